"""A band gate for super-resolution: how much of the new band to add, read from
the input's own top octave.

A generator trained on several pianos adds a band above the cut-off that is out
of phase with the target's, and too much of it on a piano with little there,
where it costs SNR and log-spectral distance (docs/results.md, "11 kHz to
22 kHz"). How bright a piano is shows in the octave under the cut-off, which the
input keeps. ``BandGate`` measures that octave's share of each window's energy
(in bels) and scales the part of the generator's residual above the cut-off by
``2 sigmoid(SCALE (w share + b))``, with ``w`` and ``b`` learned from zero, so
the gate starts at 1 and a generator using it starts as the one without. Adam
moves each parameter by about the learning rate a step, so ``SCALE`` lets the
two scalars move as far in a few hundred steps as the network's weights do.
"""

import torch
from torch import nn

from .replication import fir, highpass_buffer

TAPS = 255
SCALE = 10.0


class BandGate(nn.Module):
    def __init__(self, cutoff: float, taps: int = TAPS):
        super().__init__()
        highpass = highpass_buffer(cutoff, taps, "band_gate")
        # The octave under the cut-off: a high-pass at half of it less the one at it.
        self.register_buffer("highpass", highpass)
        self.register_buffer("octave", highpass_buffer(cutoff / 2, taps, "band_gate") - highpass)
        self.weight = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(()))

    def share(self, x):
        """(B, 1, L) -> (B,): the octave under the cut-off's share of each window's
        energy, in bels."""
        energy = x.pow(2).mean(dim=(1, 2))
        octave = fir(x, self.octave).pow(2).mean(dim=(1, 2))
        return torch.log10((octave + 1e-10) / (energy + 1e-10))

    def gain(self, x):
        """(B, 1, L) -> (B,): the gain on each window's new band."""
        return 2 * torch.sigmoid(SCALE * (self.weight * self.share(x) + self.bias))

    def forward(self, residual, x):
        """The residual with its part above the cut-off scaled by the gain. In
        float32: in bfloat16 the filters would leak the residual's low band."""
        with torch.autocast(x.device.type, enabled=False):
            residual, x = residual.float(), x.float()
            band = fir(residual, self.highpass)
            return residual - (1 - self.gain(x)).view(-1, 1, 1) * band
