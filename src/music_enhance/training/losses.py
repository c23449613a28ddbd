"""Training losses; every weight comes from an experiment's ``losses`` block.

Scale-free convention: no term depends on the render gain or the loudness of
the music, so one set of weights serves every task. The time-domain terms are
relative errors (the error's mean absolute value or energy over the target's
in the batch: 0 is perfect, 1 is as far off as silence); the spectral ones
compare logarithms; feature matching divides by the real features' magnitude.

  l1, l2       mean absolute / squared waveform error over the target's mean
               absolute value / energy
  snr          minus each window's signal-to-noise ratio in bels (SNR / 10 dB),
               averaged over windows: the score's SNR as a loss. Its gradient is
               the L2 error's over that window's error energy, so a window counts
               by how much of its error is left, not by how loud it is
  spectral     the 2020 report's spectral power loss: mean squared difference of
               log10 power spectrograms (1024-point Hann, hop 512, as LSD)
  mrstft       multi-resolution STFT loss: spectral convergence + log-magnitude L1
               at FFT sizes 512, 1024, 2048 (hop a quarter; those that fit the
               window), averaged
  feature      mean squared difference of the frozen autoencoder's bottleneck
               activations for estimate and target (2019 report)
  logspec      L1 distance of log10(magnitude + floor) spectrograms, the floor 60 dB
               under the target's loudest bin in the batch, at two (or more)
               resolutions, ``logspec_resolutions`` [[n_fft, hop], ...], default a
               long window for frequency and a short one for time: [[2048, 512],
               [256, 64]] (those longer than the window are left out), averaged
  bandlevel    L1 distance of log10 band energies: the power spectrogram
               (1024-point Hann, hop 256) averaged over the frames of the window and
               over ``BANDS`` bands of equal width on the mel scale, the floor 60 dB
               under the target's loudest band in the batch, so a silent window (the
               end of a piece) stays under the floor: a band's gradient is the
               inverse of its level. Per-bin log losses
               reward a quiet band where the partials' positions are uncertain (the
               median bin between partials is quiet); a band's energy does not
               depend on where its partials sit, so this term asks for the level
               alone, which is what ViSQOL weighs above a cut-off (docs/results.md, the
               demo paragraph: what closed the ViSQOL gap).
  bandenvelope the same bands per frame (the level over time: ViSQOL compares
               patches of a band's envelope, so a band at the right mean level
               whose notes do not start and decay with the target's still scores
               low), the floor 60 dB under the target's loudest band and frame in
               the batch; a mel-spectrogram L1 in spirit (HiFi-GAN's)
  feature_matching  L1 distance of the discriminators' feature maps for the target
               and the output, over the real maps' mean magnitude, averaged over maps
  adversarial  per the experiment's ``adversarial_loss``: ``bce`` (non-saturating,
               the reports' ``bce``/``conditional``), ``lsgan`` (least squares, the
               HiFi-GAN family's, default for ``multiscale``/``spectrogram``) or
               ``wasserstein`` (-critic score, ``wgan_gp``), summed over the logit
               maps of every sub-discriminator

The same STFT conventions as ``metrics.py`` (frames inside the signal, EPS),
so the validation LSD here is the score's LSD on each window.
"""

import torch
import torch.nn.functional as F

from ..core.metrics import EPS, HOP, MR_FFTS, N_FFT

LOSSES = ("l1", "l2", "snr", "spectral", "mrstft", "logspec", "bandlevel", "bandenvelope",
          "feature", "feature_matching", "adversarial")
LOGSPEC_RESOLUTIONS = ((2048, 512), (256, 64))
# The log-spectrogram loss's floor, relative to the target's loudest bin in the
# batch (-60 dB): quieter bins do not steer the generator. An absolute floor would
# not be scale-free, and the score's EPS would let the empty band's bins, where
# the log's slope is steepest, outweigh every other term a thousandfold.
LOGSPEC_FLOOR = 1e-3


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


def logspec_loss(estimate, target, resolutions=LOGSPEC_RESOLUTIONS) -> torch.Tensor:
    """Mean over the resolutions that fit the window of the log-magnitude L1 distance."""
    fitting = [(n, h) for n, h in resolutions if n <= estimate.shape[-1]] or [
        (estimate.shape[-1], estimate.shape[-1] // 4)]
    total = 0.0
    for n_fft, hop in fitting:
        wanted = _magnitude(target, n_fft, hop)
        floor = LOGSPEC_FLOOR * wanted.max().clamp_min(EPS)
        total = total + torch.mean(torch.abs(
            torch.log10(_magnitude(estimate, n_fft, hop) + floor) - torch.log10(wanted + floor)))
    return total / len(fitting)


BANDS = 32
BANDLEVEL_FFT, BANDLEVEL_HOP = 1024, 256
BANDLEVEL_FLOOR = 1e-6


def _band_matrix(bins: int, device) -> torch.Tensor:
    """(bins, BANDS) averaging matrix: each rfft bin to its band, equal widths in mel.
    The loss does not know the sample rate, so Nyquist counts as 8 kHz: the bands
    cover the same fractions of the spectrum at every rate."""
    mel = 2595 * torch.log10(1 + torch.linspace(0, 1, bins, device=device) * 8000 / 700)
    band = torch.clamp((mel / mel[-1] * BANDS).long(), max=BANDS - 1)
    matrix = F.one_hot(band, BANDS).float()
    return matrix / matrix.sum(0).clamp_min(1)


def band_envelope(x: torch.Tensor) -> torch.Tensor:
    """Mean power (B, frames, BANDS) of each band's bins in every frame."""
    n_fft = min(BANDLEVEL_FFT, x.shape[-1])
    power = _magnitude(x, n_fft, min(BANDLEVEL_HOP, n_fft // 4)) ** 2
    return power.transpose(1, 2) @ _band_matrix(power.shape[1], x.device)


def band_energy(x: torch.Tensor) -> torch.Tensor:
    """Mean power (B, BANDS) over the window's frames and each band's bins."""
    return band_envelope(x).mean(1)


def _log_distance(estimate, wanted) -> torch.Tensor:
    floor = BANDLEVEL_FLOOR * wanted.amax().clamp_min(EPS)
    return torch.mean(torch.abs(torch.log10(estimate + floor) - torch.log10(wanted + floor)))


def bandlevel_loss(estimate, target) -> torch.Tensor:
    return _log_distance(band_energy(estimate), band_energy(target))


def bandenvelope_loss(estimate, target) -> torch.Tensor:
    return _log_distance(band_envelope(estimate), band_envelope(target))


def relative_l1(estimate, target) -> torch.Tensor:
    return torch.mean(torch.abs(estimate - target)) / torch.mean(torch.abs(target)).clamp_min(EPS)


def relative_l2(estimate, target) -> torch.Tensor:
    return torch.mean((estimate - target) ** 2) / torch.mean(target ** 2).clamp_min(EPS)


def snr_loss(estimate, target) -> torch.Tensor:
    error = (estimate - target).pow(2).flatten(1).sum(1).clamp_min(EPS)
    return torch.mean(torch.log10(error / target.pow(2).flatten(1).sum(1).clamp_min(EPS)))


def feature_loss(autoencoder, estimate, target) -> torch.Tensor:
    with torch.no_grad():
        wanted, _ = autoencoder.encode(target)
    features, _ = autoencoder.encode(estimate)
    return F.mse_loss(features, wanted)


def reconstruction_losses(weights: dict, estimate, target, autoencoder=None,
                          resolutions=LOGSPEC_RESOLUTIONS) -> dict:
    """Weighted non-adversarial terms that have a weight; name -> unweighted value."""
    terms = {}
    if weights.get("l1"):
        terms["l1"] = relative_l1(estimate, target)
    if weights.get("l2"):
        terms["l2"] = relative_l2(estimate, target)
    if weights.get("snr"):
        terms["snr"] = snr_loss(estimate, target)
    if weights.get("spectral"):
        terms["spectral"] = spectral_loss(estimate, target)
    if weights.get("mrstft"):
        terms["mrstft"] = mrstft_loss(estimate, target)
    if weights.get("logspec"):
        terms["logspec"] = logspec_loss(estimate, target, resolutions)
    if weights.get("bandlevel"):
        terms["bandlevel"] = bandlevel_loss(estimate, target)
    if weights.get("bandenvelope"):
        terms["bandenvelope"] = bandenvelope_loss(estimate, target)
    if weights.get("feature"):
        terms["feature"] = feature_loss(autoencoder, estimate, target)
    return terms


def _per_window(logit: torch.Tensor, loss) -> torch.Tensor:
    return loss(logit.float()).flatten(1).mean(1)


# Elementwise losses of a logit z judged as real (the generator's aim) or fake;
# softplus(-z) is BCE with target 1, softplus(z) with target 0.
REAL = {"bce": lambda z: F.softplus(-z), "lsgan": lambda z: (z - 1) ** 2,
        "wasserstein": lambda z: -z}
FAKE = {"bce": lambda z: F.softplus(z), "lsgan": lambda z: z ** 2, "wasserstein": lambda z: z}


def generator_adversarial(loss: str, fake_logits: list) -> torch.Tensor:
    """Per-window adversarial loss (B,) of the generator, summed over logit maps: the
    trainer averages it over the batch; collaborative sampling sums it, so a window's
    step does not depend on the batch size."""
    return sum(_per_window(z, REAL[loss]) for z in fake_logits)


def discriminator_loss(loss: str, real_logits: list, fake_logits: list) -> torch.Tensor:
    return sum(_per_window(z, REAL[loss]).mean() for z in real_logits) + sum(
        _per_window(z, FAKE[loss]).mean() for z in fake_logits)


def feature_matching(real_features: list, fake_features: list) -> torch.Tensor:
    """Mean over feature maps of |real - fake| over mean |real| (scale-free)."""
    total = 0.0
    for real, fake in zip(real_features, fake_features, strict=True):
        real = real.detach().float()
        total = total + torch.mean(torch.abs(real - fake.float())) / torch.mean(
            torch.abs(real)).clamp_min(EPS)
    return total / len(real_features)


def gradient_penalty(critic, real, fake, degraded=None, generator=None) -> torch.Tensor:
    """WGAN-GP: mean over the batch of (||grad critic(mix)||_2 - 1)^2 at random points
    ``mix = a real + (1 - a) fake`` between real and fake samples; ``critic(x,
    degraded)`` gives one score per window (``Discriminators.score``)."""
    alpha = torch.rand(real.shape[0], 1, 1, device=real.device, generator=generator)
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(mix, degraded)
    grad, = torch.autograd.grad(score.sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
