"""The non-causal WaveNet for denoising (Rethage et al. 2018; HiFi-GAN's generator).

``stacks`` stacks of ``layers`` residual blocks each. A block is a dilated
convolution (dilation 1, 2, 4, ... 2^(layers-1) within a stack, padded on both
sides: non-causal) whose output splits into a tanh and a sigmoid gate; their
product goes through one 1x1 convolution back onto the residual path and
another onto the skip path. The summed skips go through ReLU, 1x1, ReLU, 1x1
to one channel. The receptive field is ``stacks * (2^layers - 1) * (kernel - 1)
+ 1`` samples: 4,093 (0.26 s at 16 kHz) for the defaults. Any input length works.

With ``input_skip`` the output is added to the input and the last convolution
starts at zero, so the network starts as the identity. With ``normalize`` (as
Demucs does) each window is divided by its standard deviation on the way in and
multiplied by it on the way out: the network works at unit scale whatever the
recording's level. Without it, the last convolution's input (about 0.1 RMS)
is ten times a quiet piano window's, so Adam's first step, which moves each
weight by the learning rate, adds an error ten times the identity's (relative
L2 0.0017 to 0.019 on the demo's windows at 3e-4). ``postnet: N`` adds N
convolutions with tanh (the design notes: 12) that refine the main output,
again as a residual starting at zero; ``forward(x, both=True)`` returns the
outputs before and after it, so the losses can apply to both.
"""

import torch
from torch import nn

from .unet import zero_init


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, skip_channels: int, kernel: int, dilation: int,
                 last: bool = False):
        super().__init__()
        self.dilated = nn.Conv1d(channels, 2 * channels, kernel, dilation=dilation,
                                 padding=dilation * (kernel - 1) // 2)
        # The last block feeds only the skips: a residual output would go unused.
        self.residual = None if last else nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, skip_channels, 1)

    def forward(self, h):
        filt, gate = self.dilated(h).chunk(2, dim=1)
        z = torch.tanh(filt) * torch.sigmoid(gate)
        return (h if self.residual is None else h + self.residual(z)), self.skip(z)


class WaveNet(nn.Module):
    multiple = 1  # any input length

    def __init__(self, channels: int = 64, skip_channels: int = 64, kernel: int = 3,
                 stacks: int = 2, layers: int = 10, postnet: int = 0,
                 postnet_channels: int = 32, input_skip: bool = True,
                 normalize: bool = True):
        super().__init__()
        self.normalize = normalize
        if kernel % 2 == 0:
            raise ValueError(f"wavenet kernel must be odd (non-causal padding), got {kernel}")
        self.input_skip = input_skip
        self.receptive_field = stacks * (2 ** layers - 1) * (kernel - 1) + 1
        self.inlet = nn.Conv1d(1, channels, 1)
        self.blocks = nn.ModuleList(
            ResidualBlock(channels, skip_channels, kernel, 2 ** i,
                          last=s == stacks - 1 and i == layers - 1)
            for s in range(stacks) for i in range(layers))
        last = nn.Conv1d(skip_channels, 1, 1)
        self.outlet = nn.Sequential(nn.ReLU(), nn.Conv1d(skip_channels, skip_channels, 1),
                                    nn.ReLU(), zero_init(last) if input_skip else last)
        self.postnet = None
        if postnet:
            layers_ = []
            for i in range(postnet):
                layers_.append(nn.Conv1d(1 if i == 0 else postnet_channels,
                                         1 if i == postnet - 1 else postnet_channels,
                                         kernel, padding=(kernel - 1) // 2))
                if i < postnet - 1:
                    layers_.append(nn.Tanh())
            zero_init(layers_[-1])  # the postnet starts as the identity too
            self.postnet = nn.Sequential(*layers_)

    def forward(self, x, both: bool = False):
        # Digital silence stays silence: its scale is clamped, not divided by.
        scale = x.std(dim=-1, keepdim=True).clamp_min(1e-5) if self.normalize else 1.0
        h, skips = self.inlet(x / scale), 0
        for block in self.blocks:
            h, skip = block(h)
            skips = skips + skip
        y = self.outlet(skips) * scale
        if self.input_skip:
            y = y + x
        if self.postnet is None:
            return [y] if both else y
        refined = y + self.postnet(y / scale) * scale
        return [y, refined] if both else refined
