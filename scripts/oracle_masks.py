"""How far a spectral mask can go on a task: oracle masks on its validation windows.

Reads the validation shards of one task (what training validates on) and prints
the validation SNR and LSD, computed as ``train`` computes them, of:

- the degraded input as it is;
- the ideal ratio mask (each STFT bin's target magnitude over the input's, at
  most 1, the input's phase kept): the best a real gain per bin can do, what
  the Wiener filter and the learned Wiener filter (``specmask``) estimate;
- the target's magnitudes with the input's phase: the best any real mask, even
  above 1, can do.

What a model must do beyond them it can do only by correcting phase (a complex
mask, ``specunet``, or a waveform model).

    python scripts/oracle_masks.py runs/long/results/shards/denoise_multi/validation/*.h5
        [--n-fft 512] [--hop 128]
"""

import argparse
import math

import numpy as np
import torch

from music_enhance.data.loader import ShardWindows
from music_enhance.training import losses


def scores(estimate: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """(SNR over all windows in dB, mean LSD), as ``Trainer.validate``."""
    error = torch.sum((target - estimate) ** 2).item()
    snr = 10 * math.log10(torch.sum(target ** 2).item() / max(error, 1e-20))
    return snr, losses.lsd(estimate, target).mean().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shards", nargs="+", help="a task's validation shards")
    parser.add_argument("--n-fft", type=int, default=512)
    parser.add_argument("--hop", type=int, default=128)
    args = parser.parse_args()
    windows = ShardWindows(args.shards, True)
    x, y = (torch.as_tensor(np.asarray(a)) for a in windows.__getitems__(
        np.arange(len(windows)))[:2])
    x, y = x[:, 0].float(), y[:, 0].float()
    hann = torch.hann_window(args.n_fft)

    def stft(a):
        return torch.stft(a, args.n_fft, args.hop, window=hann, return_complex=True)

    def istft(spec):
        return torch.istft(spec, args.n_fft, args.hop, window=hann, length=x.shape[-1])

    spec_x, spec_y = stft(x), stft(y)
    phase = spec_x / spec_x.abs().clamp_min(1e-12)
    rows = {"input": x,
            "ideal ratio mask (at most 1)": istft(
                spec_x * (spec_y.abs() / spec_x.abs().clamp_min(1e-12)).clamp(max=1)),
            "target magnitude, input phase": istft(spec_y.abs() * phase)}
    print(f"{len(windows)} validation windows of {windows.window} samples at "
          f"{windows.sample_rate} Hz; STFT {args.n_fft}/{args.hop}")
    print(f"{'':34}{'SNR (dB)':>10}{'LSD':>8}")
    for name, estimate in rows.items():
        snr, lsd = scores(estimate.unsqueeze(1), y.unsqueeze(1))
        print(f"{name:34}{snr:>10.2f}{lsd:>8.3f}")


if __name__ == "__main__":
    main()
