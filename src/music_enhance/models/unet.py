"""The U-Net generator of the 2019 report (Kuleshov et al., 2017).

``depth = len(channels)`` stride-2 levels: ``depth - 1`` down-sampling blocks
(convolution, LeakyReLU 0.2), a bottleneck (convolution, dropout, LeakyReLU),
and mirrored up-sampling blocks (convolution, dropout, ReLU, subpixel shuffle)
whose outputs are stacked with the matching down-sampling outputs. A last
convolution and subpixel shuffle return to the input's length, and the input
is added to the output, so the network learns a residual.
"""

import torch
from torch import nn


class SubPixel1d(nn.Module):
    """(B, C*r, L) -> (B, C, L*r): interleave channel groups along time."""

    def __init__(self, factor: int = 2):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        b, c, length = x.shape
        r = self.factor
        return x.view(b, c // r, r, length).permute(0, 1, 3, 2).reshape(b, c // r, length * r)


def conv(in_ch, out_ch, kernel, stride=1):
    return nn.Conv1d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2)


class UNet(nn.Module):
    def __init__(self, channels=(128, 256, 512, 512), kernels=(65, 33, 17, 9),
                 dropout: float = 0.5, input_skip: bool = True):
        super().__init__()
        if len(channels) != len(kernels) or not channels:
            raise ValueError(f"model.channels ({len(channels)}) and model.kernels "
                             f"({len(kernels)}) must be non-empty lists of equal length")
        if any(k % 2 == 0 for k in kernels):
            raise ValueError(f"model.kernels must be odd (same padding), got {list(kernels)}")
        self.depth = len(channels)
        self.input_skip = input_skip
        down_ch = [1, *channels[:-1]]
        self.down = nn.ModuleList(
            nn.Sequential(conv(down_ch[i], channels[i], kernels[i], 2), nn.LeakyReLU(0.2))
            for i in range(self.depth - 1))
        self.bottleneck = nn.Sequential(conv(down_ch[-1], channels[-1], kernels[-1], 2),
                                        nn.Dropout(dropout), nn.LeakyReLU(0.2))
        # Up block i turns its input into channels[i] at twice the length; the
        # stacked skip doubles that again for the next block.
        self.up = nn.ModuleList()
        for i in reversed(range(self.depth - 1)):
            in_ch = channels[-1] if i == self.depth - 2 else 2 * channels[i + 1]
            self.up.append(nn.Sequential(conv(in_ch, 2 * channels[i], kernels[i]),
                                         nn.Dropout(dropout), nn.ReLU(), SubPixel1d(2)))
        last_in = channels[-1] if self.depth == 1 else 2 * channels[0]
        self.final = nn.Sequential(conv(last_in, 2, 9), SubPixel1d(2))

    @property
    def multiple(self) -> int:
        """Input lengths must be a multiple of this."""
        return 2 ** self.depth

    def forward(self, x):
        if x.dim() != 3 or x.shape[1] != 1 or x.shape[-1] % self.multiple:
            raise ValueError(f"U-Net input must be (batch, 1, length) with length a multiple "
                             f"of 2^depth = {self.multiple}, got {tuple(x.shape)}")
        skips, h = [], x
        for block in self.down:
            h = block(h)
            skips.append(h)
        h = self.bottleneck(h)
        for block in self.up:
            h = torch.cat([block(h), skips.pop()], dim=1)
        out = self.final(h)
        return out + x if self.input_skip else out
