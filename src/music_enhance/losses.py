"""Training losses; every weight comes from an experiment's ``losses`` block.

  l1, l2       mean absolute / squared error of the waveforms
  spectral     the 2020 report's spectral power loss: mean squared difference of
               log10 power spectrograms (1024-point Hann, hop 512, as LSD)
  mrstft       multi-resolution STFT loss: spectral convergence + log-magnitude L1
               at FFT sizes 512, 1024, 2048 (hop a quarter; those that fit the
               window), averaged
  feature      mean squared difference of the frozen autoencoder's bottleneck
               activations for estimate and target (2019 report)
  adversarial  non-saturating BCE for ``bce``/``conditional`` discriminators,
               Wasserstein (-critic score) for ``wgan_gp``

The same STFT conventions as ``metrics.py`` (frames inside the signal, EPS),
so the validation LSD here is the score's LSD on each window.
"""

import torch
import torch.nn.functional as F

from .metrics import EPS, HOP, MR_FFTS, N_FFT

LOSSES = ("l1", "l2", "spectral", "mrstft", "feature", "adversarial")


def _magnitude(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """|STFT| (B, bins, frames) of (B, 1, L), frames inside the signal."""
    window = torch.hann_window(n_fft, device=x.device, dtype=torch.float32)
    return torch.stft(x.squeeze(1).float(), n_fft, hop, window=window, center=False,
                      return_complex=True).abs()


def log_power(x: torch.Tensor) -> torch.Tensor:
    return torch.log10(_magnitude(x, N_FFT, HOP) ** 2 + EPS)


def spectral_loss(estimate, target) -> torch.Tensor:
    return torch.mean((log_power(estimate) - log_power(target)) ** 2)


def lsd(estimate, target) -> torch.Tensor:
    """Log-spectral distance per window (B,), as ``metrics.lsd``."""
    diff = log_power(estimate) - log_power(target)
    return torch.sqrt(torch.mean(diff ** 2, dim=1)).mean(dim=-1)


def mrstft_loss(estimate, target) -> torch.Tensor:
    """Over the FFT sizes that fit in the window (all three from 2048 samples)."""
    sizes = [n for n in MR_FFTS if n <= estimate.shape[-1]] or [estimate.shape[-1]]
    total = 0.0
    for n_fft in sizes:
        y_hat, y = _magnitude(estimate, n_fft, n_fft // 4), _magnitude(target, n_fft, n_fft // 4)
        convergence = torch.linalg.norm(y - y_hat) / torch.linalg.norm(y).clamp_min(EPS)
        magnitude = torch.mean(torch.abs(torch.log10(y + EPS) - torch.log10(y_hat + EPS)))
        total = total + convergence + magnitude
    return total / len(sizes)


def feature_loss(autoencoder, estimate, target) -> torch.Tensor:
    with torch.no_grad():
        wanted, _ = autoencoder.encode(target)
    features, _ = autoencoder.encode(estimate)
    return F.mse_loss(features, wanted)


def reconstruction_losses(weights: dict, estimate, target, autoencoder=None) -> dict:
    """Weighted non-adversarial terms that have a weight; name -> unweighted value."""
    terms = {}
    if weights.get("l1"):
        terms["l1"] = F.l1_loss(estimate, target)
    if weights.get("l2"):
        terms["l2"] = F.mse_loss(estimate, target)
    if weights.get("spectral"):
        terms["spectral"] = spectral_loss(estimate, target)
    if weights.get("mrstft"):
        terms["mrstft"] = mrstft_loss(estimate, target)
    if weights.get("feature"):
        terms["feature"] = feature_loss(autoencoder, estimate, target)
    return terms


def generator_adversarial(kind: str, fake_score) -> torch.Tensor:
    if kind == "wgan_gp":
        return -fake_score.mean()
    return F.binary_cross_entropy_with_logits(fake_score, torch.ones_like(fake_score))


def discriminator_loss(kind: str, real_score, fake_score) -> torch.Tensor:
    if kind == "wgan_gp":
        return fake_score.mean() - real_score.mean()
    return (F.binary_cross_entropy_with_logits(real_score, torch.ones_like(real_score))
            + F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score)))


def gradient_penalty(critic, real, fake, degraded=None, generator=None) -> torch.Tensor:
    """WGAN-GP: mean over the batch of (||grad critic(mix)||_2 - 1)^2 at random points
    ``mix = a real + (1 - a) fake`` between real and fake samples."""
    alpha = torch.rand(real.shape[0], 1, 1, device=real.device, generator=generator)
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(mix, degraded)
    grad, = torch.autograd.grad(score.sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
