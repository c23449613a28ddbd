"""The U-Net generator of the 2019 report (Kuleshov et al., 2017).

``depth = len(channels)`` stride-2 levels: ``depth - 1`` down-sampling blocks
(convolution, LeakyReLU 0.2), a bottleneck (convolution, dropout, LeakyReLU),
and mirrored up-sampling blocks (convolution, dropout, ReLU, subpixel shuffle)
whose outputs are stacked with the matching down-sampling outputs. A last
convolution and subpixel shuffle return to the input's length, and the input
is added to the output, so the network learns a residual.

``replicate_above`` (the cut-off as a fraction of the sample rate, 0.25 for a 2x
super-resolution task) adds band replication (replication.py): the rectified
input above the cut-off is a second input channel, and its learned shaping is
added to the output beside the input. ``band_gate`` (the same cut-off) scales the
residual above the cut-off by a gain read from the input's octave under it
(bandgate.py).

``skips=False, input_skip=False`` is the autoencoder of the 2019 report: all
information passes the bottleneck, whose activations (``encode``) give the
feature loss.
"""

import torch
from torch import nn

from .bandgate import BandGate
from .replication import BandReplication


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


def zero_init(layer: nn.Module) -> nn.Module:
    """A generator with an input skip starts as the identity: its last layer at zero."""
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def check_input(x, multiple: int, name: str):
    if x.dim() != 3 or x.shape[1] != 1 or x.shape[-1] % multiple:
        raise ValueError(f"{name} input must be (batch, 1, length) with length a multiple "
                         f"of 2^depth = {multiple}, got {tuple(x.shape)}")


class UNet(nn.Module):
    def __init__(self, channels=(128, 256, 512, 512), kernels=(65, 33, 17, 9),
                 dropout: float = 0.5, input_skip: bool = True, skips: bool = True,
                 replicate_above: float | None = None, band_gate: float | None = None):
        super().__init__()
        self.depth = len(channels)
        self.input_skip, self.skips = input_skip, skips
        widen = 2 if skips else 1  # a stacked skip doubles the channels
        self.replication = (BandReplication(replicate_above) if replicate_above is not None
                            else None)
        self.gate = BandGate(band_gate) if band_gate is not None else None
        down_ch = [1 if self.replication is None else 2, *channels[:-1]]
        self.down = nn.ModuleList(
            nn.Sequential(conv(down_ch[i], channels[i], kernels[i], 2), nn.LeakyReLU(0.2))
            for i in range(self.depth - 1))
        self.bottleneck = nn.Sequential(conv(down_ch[-1], channels[-1], kernels[-1], 2),
                                        nn.Dropout(dropout), nn.LeakyReLU(0.2))
        # Up block i turns its input into channels[i] at twice the length; the
        # stacked skip doubles that again for the next block.
        self.up = nn.ModuleList()
        for i in reversed(range(self.depth - 1)):
            in_ch = channels[-1] if i == self.depth - 2 else widen * channels[i + 1]
            self.up.append(nn.Sequential(conv(in_ch, 2 * channels[i], kernels[i]),
                                         nn.Dropout(dropout), nn.ReLU(), SubPixel1d(2)))
        last_in = channels[-1] if self.depth == 1 else widen * channels[0]
        last = conv(last_in, 2, 9)
        self.final = nn.Sequential(zero_init(last) if input_skip else last, SubPixel1d(2))

    @property
    def multiple(self) -> int:
        """Input lengths must be a multiple of this."""
        return 2 ** self.depth

    def encode(self, x):
        """Bottleneck activations and the down-sampling outputs (the skips)."""
        check_input(x, self.multiple, "U-Net")
        skips, h = [], x
        if self.replication is not None:
            h = torch.cat([x, self.replication.band(x).to(x.dtype)], dim=1)
        for block in self.down:
            h = block(h)
            skips.append(h)
        return self.bottleneck(h), skips

    def _stack(self, u, skips, i: int):
        """Up block ``i``'s output with its skip stacked on (when the net has skips)."""
        return torch.cat([u, skips[-1 - i]], dim=1) if self.skips else u

    def up_input(self, h, skips, layer: int):
        """The input of up-sampling block ``layer``, from the bottleneck activations."""
        for i in range(layer):
            h = self._stack(self.up[i](h), skips, i)
        return h

    def decode(self, h, skips, x, start: int = 0, replace=None):
        """Up-sampling blocks ``start``, ``start + 1``, ... from ``h`` to the output.
        ``replace``, if given, stands in for the output of up-sampling block ``start``
        (collaborative sampling steps it); skips keep their values either way."""
        for i in range(start, len(self.up)):
            u = replace if (replace is not None and i == start) else self.up[i](h)
            h = self._stack(u, skips, i)
        out = self.final(h)
        if self.replication is not None:
            out = out + self.replication(self.replication.band(x))
        if self.gate is not None:
            out = self.gate(out, x).to(x.dtype)
        return out + x if self.input_skip else out

    def forward(self, x):
        h, skips = self.encode(x)
        return self.decode(h, skips, x)
