"""A complex-spectrogram mask U-Net (``specunet``): a denoiser that can undo a room.

Waveform in, waveform out. The input's short-time Fourier transform is multiplied
by a complex mask, one per bin, that a 2-D U-Net over (frequency, time) computes,
and transformed back. A complex mask can change a bin's phase as well as its level,
and the U-Net sees a third of a second or more around each frame (each level halves
both axes), so it can tell a note's onset from the reverberant tail after it, which
a per-frame gain (``specmask``) cannot.

The network reads three maps per bin, free of the signal's loudness: the bin's level
below the window's loudest bin (tens of dB), and the cosine and sine of its phase
advance since the previous frame (steady for a partial, random for noise). Its last
convolution starts at zero and the mask is one plus its output, so the untrained
model returns its input (the STFT with a Hann window at a hop of at most half the
frame inverts exactly). Any input length works.

With ``taps`` K above one the output is a filter per bin, not a mask: K complex
weights over the bin's own frame and the K - 1 before it (deep filtering, as in
DeepFilterNet), so the model can subtract what a room's early reflections add a
frame or more after each sound. The first weight starts at one and the others at
zero: the start is still the identity.

With ``window_context`` the deepest level also adds, to every frame, a 1x1
convolution of its features' mean over all the window's frames, per frequency band.
The convolutions alone see about 0.4 s around a frame; a room's tail lasts longer and
is the same all through a recording, so the mean gives every frame the evidence of
the whole window. The output then depends on the window's length, so enhance at the
window the model trained on (``enhance`` does).
"""

import torch
from torch import nn
from torch.nn import functional as F

from .stft import STFTMask
from .unet import zero_init


def _block(in_ch: int, out_ch: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1),
                         nn.LeakyReLU(0.2),
                         nn.Conv2d(out_ch, out_ch, 3, padding=1), nn.LeakyReLU(0.2))


class ComplexMaskUNet(STFTMask):
    name = "specunet"

    def __init__(self, n_fft: int = 512, hop: int = 128, channels=(16, 32, 64, 64),
                 taps: int = 1, window_context: bool = False):
        super().__init__(n_fft, hop)
        self.taps = taps
        widths = [3, *channels]
        self.down = nn.ModuleList(_block(widths[i], widths[i + 1], 1 if i == 0 else 2)
                                  for i in range(len(channels)))
        self.up = nn.ModuleList(_block(channels[i] + channels[i + 1], channels[i])
                                for i in range(len(channels) - 1))
        self.context = nn.Conv2d(channels[-1], channels[-1], 1) if window_context else None
        self.outlet = zero_init(nn.Conv2d(channels[0], 2 * taps, 1))

    @staticmethod
    def maps(spec: torch.Tensor) -> torch.Tensor:
        """(B, F, T) complex -> (B, 3, F, T): level under the loudest bin, phase advance."""
        power = spec.abs() ** 2
        loudest = power.amax(dim=(1, 2), keepdim=True).clamp_min(1e-20)
        level = torch.log10((power / loudest).clamp_min(1e-10)) + 5
        phasor = spec / spec.abs().clamp_min(1e-12)
        advance = phasor * F.pad(phasor, (1, 0), value=1)[..., :-1].conj()
        return torch.stack([level, advance.real, advance.imag], 1)

    def mask(self, spec):
        with torch.autocast(spec.device.type, enabled=False):
            h = self.maps(spec)
        skips = []
        for block in self.down:
            h = block(h)
            skips.append(h)
        if self.context is not None:
            h = h + self.context(h.mean(-1, keepdim=True))
        for block, skip in zip(reversed(self.up), reversed(skips[:-1]), strict=True):
            h = F.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = block(torch.cat([h, skip], 1))
        delta = self.outlet(h).float()  # (B, 2K, F, T): K real parts, then K imaginary
        real, imag = delta[:, :self.taps], delta[:, self.taps:]
        first = torch.zeros_like(real)
        first[:, 0] = 1  # the identity: the bin's own frame at weight one
        return torch.complex(real + first, imag)
