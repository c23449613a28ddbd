"""A band gate for super-resolution: how much of the new band to add, read from
the input's own top octave.

A generator trained on several pianos adds a band above the cut-off whatever the
piano, and the band is not in phase with the target's, so on a piano with little
there it costs SNR and log-spectral distance (docs/results.md, "11 kHz to
22 kHz"). How bright a piano is shows in the octave under the cut-off, which the
input keeps. ``BandGate`` measures that octave's share of each window's energy
(in bels) and scales the part of the generator's residual above the cut-off by
``2 sigmoid(SCALE (w share + b))``, with ``w`` and ``b`` learned from zero, so
the gate starts at 1 and a generator using it starts as the one without. Adam
moves each parameter by about the learning rate a step, so ``SCALE`` lets the
two scalars move as far in a few hundred steps as the network's weights do.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .replication import highpass_kernel

TAPS = 255
SCALE = 10.0


class BandGate(nn.Module):
    def __init__(self, cutoff: float, taps: int = TAPS):
        super().__init__()
        if not 0 < cutoff < 0.5 - 5.5 / taps:
            raise ValueError(f"model.band_gate must be a fraction of the sample rate "
                             f"in (0, {0.5 - 5.5 / taps:.3f}), got {cutoff}")
        highpass = torch.tensor(highpass_kernel(cutoff, taps), dtype=torch.float32)
        # The octave under the cut-off: a high-pass at half of it less the one at it.
        octave = torch.tensor(highpass_kernel(cutoff / 2, taps), dtype=torch.float32) - highpass
        self.register_buffer("highpass", highpass.view(1, 1, taps))
        self.register_buffer("octave", octave.view(1, 1, taps))
        self.weight = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(()))

    def _filter(self, x, kernel):
        return F.conv1d(x, kernel, padding=kernel.shape[-1] // 2)

    def share(self, x):
        """(B, 1, L) -> (B,): the octave under the cut-off's share of each window's
        energy, in bels."""
        energy = x.pow(2).mean(dim=(1, 2))
        octave = self._filter(x, self.octave).pow(2).mean(dim=(1, 2))
        return torch.log10((octave + 1e-10) / (energy + 1e-10))

    def gain(self, x):
        """(B, 1, L) -> (B,): the gain on each window's new band."""
        return 2 * torch.sigmoid(SCALE * (self.weight * self.share(x) + self.bias))

    def forward(self, residual, x):
        """The residual with its part above the cut-off scaled by the gain. In
        float32: in bfloat16 the filters would leak the residual's low band."""
        with torch.autocast(x.device.type, enabled=False):
            residual, x = residual.float(), x.float()
            band = self._filter(residual, self.highpass)
            return residual - (1 - self.gain(x)).view(-1, 1, 1) * band
