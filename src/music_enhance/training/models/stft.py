"""What the spectral mask models share: STFT in, mask, inverse STFT out.

A subclass computes ``mask(spec)`` from the input's complex STFT (B, F, T), real
or complex, float32. The transforms run outside autocast: bf16 has too few bits
for the overlap-add to return its input. With a Hann window at a hop of at most
half the frame, a mask of one returns the input exactly, at any length.
"""

import torch
from torch import nn


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
            y = torch.istft(spec * mask, self.n_fft, self.hop, window=self.window,
                            length=x.shape[-1])
        return y.unsqueeze(1).to(x.dtype)
