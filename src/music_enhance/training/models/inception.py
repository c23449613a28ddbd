"""The inception-module generator of the 2020 report.

An inception module runs convolutions with kernels 3, 9, 27 and 81 side by side,
each after a 1x1 convolution that reduces the channels, and stacks their
outputs, so every level sees both short and long time scales. ``depth`` levels
down (module, then superpixel: twice the channels at half the length), a
bottleneck module with dropout, and mirrored levels up (module, then subpixel)
stacked with the matching down-level outputs. Level i has
``min(d_max, base * 2^i)`` channels: ``d_max`` caps the capacity. The input is
added to the output (a residual), as in the U-Net.
"""

import torch
from torch import nn

from .unet import SubPixel1d, check_input, zero_init


def inception_widths(depth: int, base: int, d_max: int) -> list[int]:
    """The channels of each level and of the bottleneck (the last)."""
    return [min(d_max, base * 2 ** i) for i in range(depth + 1)]


class SuperPixel1d(nn.Module):
    """(B, C, L*r) -> (B, C*r, L): the inverse of ``SubPixel1d``."""

    def __init__(self, factor: int = 2):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        b, c, length = x.shape
        r = self.factor
        return x.view(b, c, length // r, r).permute(0, 1, 3, 2).reshape(b, c * r, length // r)


class InceptionModule(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, kernels=(3, 9, 27, 81)):
        super().__init__()
        width = out_ch // len(kernels)
        reduced = max(1, width // 2)
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Conv1d(in_ch, reduced, 1), nn.LeakyReLU(0.2),
                          nn.Conv1d(reduced, width, k, padding=k // 2))
            for k in kernels)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.act(torch.cat([branch(x) for branch in self.branches], dim=1))


class InceptionGenerator(nn.Module):
    def __init__(self, depth: int, base: int = 32, d_max: int = 256,
                 kernels=(3, 9, 27, 81), dropout: float = 0.5, input_skip: bool = True):
        super().__init__()
        width = inception_widths(depth, base, d_max)
        self.depth, self.input_skip = depth, input_skip
        self.down = nn.ModuleList(
            InceptionModule(1 if i == 0 else 2 * width[i - 1], width[i], kernels)
            for i in range(depth))
        self.shrink = SuperPixel1d(2)
        self.bottleneck = nn.Sequential(InceptionModule(2 * width[depth - 1], width[depth],
                                                        kernels), nn.Dropout(dropout))
        self.up = nn.ModuleList(
            nn.Sequential(InceptionModule(width[depth] if i == depth - 1 else 2 * width[i + 1],
                                          2 * width[i], kernels), SubPixel1d(2))
            for i in reversed(range(depth)))
        self.final = nn.Conv1d(2 * width[0], 1, 1)
        if input_skip:
            zero_init(self.final)

    @property
    def multiple(self) -> int:
        return 2 ** self.depth

    def forward(self, x):
        check_input(x, self.multiple, "inception generator")
        skips, h = [], x
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.shrink(h)
        h = self.bottleneck(h)
        for block in self.up:
            h = torch.cat([block(h), skips.pop()], dim=1)
        out = self.final(h)
        return out + x if self.input_skip else out
