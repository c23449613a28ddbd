"""What the spectral mask models share: STFT in, mask, inverse STFT out.

A subclass computes ``mask(spec)`` from the input's complex STFT (B, F, T), real
or complex, float32: one weight per bin (B, F, T), or a filter of K weights per bin
(B, K, F, T) over the bin's own frame and the K - 1 before it (deep filtering), which
can take away an echo a frame or more after the sound that left it. The transforms
run outside autocast: bf16 has too few bits for the overlap-add to return its input.
With a Hann window at a hop of at most half the frame, a mask of one returns the
input exactly, at any length.
"""

import torch
from torch import nn
from torch.nn import functional as F


def apply_mask(spec: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``spec`` (B, F, T) times ``mask`` (B, F, T), or filtered by ``mask`` (B, K, F, T):
    output frame t is the sum over k of weight k times input frame t - k."""
    if mask.dim() == spec.dim():
        return spec * mask
    frames = spec.shape[-1]
    past = torch.stack([F.pad(spec, (k, 0))[..., :frames] for k in range(mask.shape[1])], 1)
    return (past * mask).sum(1)


class STFTMask(nn.Module):
    multiple = 1  # any input length
    name = "stft mask"

    def __init__(self, n_fft: int, hop: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def mask(self, spec: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x):
        if x.dim() != 3 or x.shape[1] != 1:
            raise ValueError(f"{self.name} expects (batch, 1, samples), got {tuple(x.shape)}")
        with torch.autocast(x.device.type, enabled=False):
            spec = torch.stft(x[:, 0].float(), self.n_fft, self.hop, window=self.window,
                              return_complex=True)
        mask = self.mask(spec)
        with torch.autocast(x.device.type, enabled=False):
            y = torch.istft(apply_mask(spec, mask), self.n_fft, self.hop, window=self.window,
                            length=x.shape[-1])
        return y.unsqueeze(1).to(x.dtype)
