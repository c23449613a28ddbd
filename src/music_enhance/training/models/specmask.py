"""A learned Wiener filter for stationary noise and reverberation (``specmask``).

Waveform in, waveform out: the input's short-time Fourier transform is scaled by
a real gain per bin, and the phase is kept. The gain starts as the classical
Wiener filter of ``baselines.wiener`` computed on the window itself (noise power
per bin: the median over the window's frames of each frame's power
median-filtered across ``smooth_bins`` bins), so the untrained model is that
filter; a small 2-D convolutional network over (frequency, time) adds a
correction to the gain's logit and starts at zero. What it learns is where the
classical rule is wrong: notes' decays under the noise floor, harmonics it
mutes, the reverberant tail after a note it cannot see as noise.

The network reads two maps per bin, both free of the signal's loudness: the
bin's level over the noise estimate and over the window's loudest bin, in tens
of dB. Its frame context grows with ``dilations`` (1, 2, 4, 8 by default: 33
frames, 0.26 s at 16 kHz with the default hop of 128 samples). Any input
length works; the noise estimate is only as good as the window is long.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .stft import STFTMask
from .unet import zero_init

GAIN_FLOOR = 1e-3  # the prior's gain is kept in [1e-3, 1 - 1e-3], so its logit is finite


def _median_across_frequency(power: torch.Tensor, size: int) -> torch.Tensor:
    """(B, F, T) -> the median of each bin's ``size`` neighbours in frequency, the edges
    repeated (scipy's ``median_filter(mode="nearest")`` along one axis)."""
    half = size // 2
    padded = F.pad(power.transpose(1, 2), (half, half), mode="replicate").transpose(1, 2)
    return padded.unfold(1, size, 1).median(dim=-1).values


class SpectralMask(STFTMask):
    name = "specmask"

    def __init__(self, n_fft: int = 512, hop: int = 128, smooth_bins: int = 15,
                 channels: int = 24, dilations=(1, 2, 4, 8)):
        super().__init__(n_fft, hop)
        self.smooth_bins = smooth_bins
        self.inlet = nn.Conv2d(2, channels, (5, 3), padding=(2, 1))
        self.layers = nn.ModuleList(
            nn.Conv2d(channels, channels, 3, padding=(1, d), dilation=(1, d))
            for d in dilations)
        self.outlet = zero_init(nn.Conv2d(channels, 1, 1))

    def prior(self, spec: torch.Tensor):
        """The Wiener gain of every bin, and the network's input maps."""
        power = spec.abs() ** 2
        noise = _median_across_frequency(power, self.smooth_bins).median(dim=-1, keepdim=True)
        snr = power / noise.values.clamp_min(1e-20)
        gain = (snr - 1).clamp_min(0) / snr.clamp_min(1)  # prior / (prior + 1)
        loudest = power.amax(dim=(1, 2), keepdim=True).clamp_min(1e-20)
        maps = torch.stack([torch.log10(snr.clamp(1e-3, 1e5)),
                            torch.log10((power / loudest).clamp_min(1e-10)) + 5], 1)
        return gain.clamp(GAIN_FLOOR, 1 - GAIN_FLOOR), maps

    def mask(self, spec):
        with torch.autocast(spec.device.type, enabled=False), torch.no_grad():
            gain, maps = self.prior(spec)  # the prior depends on the input only
        h = F.leaky_relu(self.inlet(maps), 0.2)
        for layer in self.layers:
            h = h + F.leaky_relu(layer(h), 0.2)
        correction = self.outlet(h)[:, 0].float()
        return torch.sigmoid(torch.logit(gain) + correction)
