"""Band replication for super-resolution: the rectified input above the cut-off.

A band-limited input carries nothing above its cut-off, and a generator trained
with waveform and spectral losses adds too little there: on the 5 kHz task the
sweep in docs/results.md measured its new band 6-10 dB under the target and without the
notes' attacks and decays, the part ViSQOL weighs. Full-wave rectification,
``|x|``, makes harmonics of what the input holds, so each note's upper partials
come with that note's own time course (the classical non-linear bandwidth
extension of speech codecs). ``BandReplication`` keeps the part of ``|x|`` above
the cut-off (a fixed windowed-sinc high-pass) and shapes it with a learned filter
that starts at zero, so a generator using it still starts as the identity.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def highpass_kernel(cutoff: float, taps: int) -> np.ndarray:
    """A Blackman-windowed sinc high-pass whose stop band ends at ``cutoff`` (a
    fraction of the sample rate): nothing rectified leaks under the cut-off, where
    the input is already right."""
    centre = cutoff + 2.75 / taps  # half the Blackman window's transition width
    n = np.arange(taps) - taps // 2
    lowpass = 2 * centre * np.sinc(2 * centre * n) * np.blackman(taps)
    impulse = (n == 0).astype(float)
    return impulse - lowpass


def highpass_buffer(cutoff: float, taps: int, key: str) -> torch.Tensor:
    """``highpass_kernel`` as a (1, 1, taps) float32 tensor, for the model key
    ``key`` that sets ``cutoff``."""
    # The filter's transition band (5.5 / taps wide) must end under the Nyquist rate.
    if not 0 < cutoff < 0.5 - 5.5 / taps:
        raise ValueError(f"model.{key} must be a fraction of the sample rate "
                         f"in (0, {0.5 - 5.5 / taps:.3f}), got {cutoff}")
    return torch.tensor(highpass_kernel(cutoff, taps), dtype=torch.float32).view(1, 1, taps)


def fir(x, kernel):
    """(B, 1, L) through a centred (1, 1, taps) filter, same length."""
    return F.conv1d(x, kernel, padding=kernel.shape[-1] // 2)


class BandReplication(nn.Module):
    def __init__(self, cutoff: float, taps: int = 255, shaping_taps: int = 33):
        super().__init__()
        self.register_buffer("highpass", highpass_buffer(cutoff, taps, "replicate_above"))
        self.shaping = nn.Conv1d(1, 1, shaping_taps, padding=shaping_taps // 2, bias=False)
        nn.init.zeros_(self.shaping.weight)

    def band(self, x):
        """(B, 1, L) -> (B, 1, L): the rectified input above the cut-off, in float32
        (in bfloat16 the high-pass would leak the rectified signal's large low band)."""
        with torch.autocast(x.device.type, enabled=False):
            return fir(x.float().abs(), self.highpass.float())

    def forward(self, band):
        """The band shaped by the learned filter: what the generator adds to its input."""
        return self.shaping(band.to(self.shaping.weight.dtype))
