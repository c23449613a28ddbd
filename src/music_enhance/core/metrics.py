"""Scores with one documented protocol (both reports' definitions where they have one).

For a clean target y and an estimate y_hat of the same length and rate:

  SNR (dB)   10 log10( sum y^2 / sum (y - y_hat)^2 )
  SI-SDR     10 log10( |a y|^2 / |a y - y_hat|^2 ),  a = <y_hat, y> / <y, y>
  LSD        mean over frames t of sqrt( mean over bins k of (X[t,k] - X_hat[t,k])^2 ),
             X = log10(|STFT(y)|^2 + EPS): 1024-point periodic Hann frames, hop 512,
             no padding (frames lie inside the signal), all 513 bins
  LSD high   the same over the bins at or above ``low_hz`` only (the band that
             super-resolution has to create: above the degraded input's cut-off)
  MR-STFT    auraloss's ``MultiResolutionSTFTLoss()`` with its defaults, so the numbers
             compare with the literature that reports it: the mean over three
             resolutions (FFT size, hop, window length) (1024, 120, 600),
             (2048, 240, 1200), (512, 50, 240) of spectral convergence
             |Y - Y_hat|_F / |Y|_F plus mean |ln |Y| - ln |Y_hat||, where
             |Y| = sqrt(max(|STFT(y)|^2, 1e-8)): periodic Hann window of the window
             length centred in the FFT frame, signal reflect-padded by half an FFT
             at both ends (torch.stft's ``center=True``)

  ViSQOL     MOS-LQO of ViSQOL v3's audio mode (1 to 5; the pure-Python
             ``visqol-python``), target and estimate resampled with sox to 48 kHz,
             on the ``seconds``-long excerpt centred in the piece (all of a shorter
             piece): the same excerpt for every system

EPS = 1e-10 keeps silent frames finite. Confidence intervals are scipy's BCa
bootstrap of the mean. Spectrograms are computed in blocks of
frames, so memory stays bounded for long pieces; there is no Python loop over
frames or bins within a block.
"""

import numpy as np
import scipy.stats

N_FFT = 1024
HOP = 512
EPS = 1e-10
# auraloss.freq.MultiResolutionSTFTLoss's defaults: (FFT size, hop, window length),
# and the floor its STFTLoss puts under the power before the square root.
MR_RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))
MR_FLOOR = 1e-8
# The FFT sizes (hop a quarter) of the training loss ``losses.mrstft_loss``, a
# different multi-resolution distance from the score's MR-STFT.
MR_FFTS = (512, 1024, 2048)
BLOCK_FRAMES = 2048


def _pair(target, estimate):
    target = np.asarray(target, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if target.shape != estimate.shape:
        raise ValueError(f"target {target.shape} and estimate {estimate.shape} differ in shape")
    return target, estimate


def snr(target, estimate) -> float:
    target, estimate = _pair(target, estimate)
    noise = np.sum((target - estimate) ** 2)
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(target ** 2) / noise))


def si_sdr(target, estimate) -> float:
    target, estimate = _pair(target, estimate)
    scaled = np.dot(estimate, target) / np.dot(target, target) * target
    residual = np.sum((scaled - estimate) ** 2)
    if residual == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(scaled ** 2) / residual))


def hann(length: int) -> np.ndarray:
    """The periodic Hann window (torch.hann_window's default)."""
    return np.hanning(length + 1)[:-1]


def _rfft_blocks(x: np.ndarray, window: np.ndarray, hop: int):
    """Yield complex spectrogram blocks (frames, len(window) // 2 + 1), frames inside ``x``."""
    frames = np.lib.stride_tricks.sliding_window_view(x, len(window))[::hop]
    for start in range(0, len(frames), BLOCK_FRAMES):
        yield np.fft.rfft(frames[start:start + BLOCK_FRAMES] * window, axis=1)


def stft_blocks(x: np.ndarray, n_fft: int, hop: int):
    """Yield magnitude spectrogram blocks (frames, n_fft // 2 + 1) of ``x``."""
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    for block in _rfft_blocks(x, hann(n_fft), hop):
        yield np.abs(block)


def centred_stft_blocks(x: np.ndarray, n_fft: int, hop: int, win_length: int):
    """Yield floored magnitude blocks as auraloss's STFTLoss computes them (see above)."""
    window = np.zeros(n_fft)
    left = (n_fft - win_length) // 2
    window[left:left + win_length] = hann(win_length)
    for block in _rfft_blocks(np.pad(x, n_fft // 2, mode="reflect"), window, hop):
        yield np.sqrt(np.maximum(block.real ** 2 + block.imag ** 2, MR_FLOOR))


def log_power_spectrogram(x: np.ndarray) -> np.ndarray:
    """(frames, N_FFT // 2 + 1) log10 power spectrogram."""
    return np.concatenate([np.log10(m ** 2 + EPS) for m in stft_blocks(x, N_FFT, HOP)])


def lsd(target, estimate, low_hz: float | None = None, rate: int | None = None) -> float:
    """LSD over all bins, or over the bins at or above ``low_hz`` (needs ``rate``)."""
    target, estimate = _pair(target, estimate)
    bins = slice(None)
    if low_hz is not None:
        first = int(np.ceil(low_hz * N_FFT / rate))
        if first > N_FFT // 2:
            raise ValueError(f"LSD band starts at {low_hz} Hz, above Nyquist of {rate} Hz")
        bins = slice(first, None)
    distances = [np.sqrt(np.mean((np.log10(a[:, bins] ** 2 + EPS)
                                  - np.log10(b[:, bins] ** 2 + EPS)) ** 2, axis=1))
                 for a, b in zip(stft_blocks(target, N_FFT, HOP),
                                 stft_blocks(estimate, N_FFT, HOP), strict=True)]
    return float(np.mean(np.concatenate(distances)))


def mrstft(target, estimate) -> float:
    """``auraloss.freq.MultiResolutionSTFTLoss()(estimate, target)`` (see above)."""
    target, estimate = _pair(target, estimate)
    total = 0.0
    for n_fft, hop, win_length in MR_RESOLUTIONS:
        diff = norm = log_diff = 0.0
        count = 0
        for a, b in zip(centred_stft_blocks(target, n_fft, hop, win_length),
                        centred_stft_blocks(estimate, n_fft, hop, win_length), strict=True):
            diff += np.sum((a - b) ** 2)
            norm += np.sum(a ** 2)
            log_diff += np.sum(np.abs(np.log(a) - np.log(b)))
            count += a.size
        # The floor keeps the norm positive, so silence divides safely.
        total += np.sqrt(diff) / np.sqrt(norm) + log_diff / count
    return float(total / len(MR_RESOLUTIONS))


def all_metrics(target, estimate, rate: int, low_hz: float | None) -> dict:
    return {"snr": snr(target, estimate), "lsd": lsd(target, estimate),
            "lsd_high": lsd(target, estimate, low_hz, rate) if low_hz else float("nan"),
            "si_sdr": si_sdr(target, estimate), "mrstft": mrstft(target, estimate)}


VISQOL_RATE = 48000


def excerpt(length: int, rate: int, seconds: float) -> slice:
    """The ``seconds``-long excerpt centred in a piece of ``length`` samples."""
    size = min(length, round(seconds * rate))
    start = (length - size) // 2
    return slice(start, start + size)


_visqol = {}


def visqol(target, estimate, rate: int, seconds: float) -> float:
    """ViSQOL audio-mode MOS-LQO of ``estimate`` against ``target`` (see above)."""
    from visqol import VisqolApi  # a second or two to import: only where it is used

    from .audio import resample
    target, estimate = _pair(target, estimate)
    cut = excerpt(len(target), rate, seconds)
    if "api" not in _visqol:
        _visqol["api"] = VisqolApi()
        _visqol["api"].create(mode="audio")
    reference, degraded = (resample(a[cut].astype(np.float32), rate, VISQOL_RATE).astype(
        np.float64) for a in (target, estimate))
    return float(_visqol["api"].measure_from_arrays(reference, degraded,
                                                     sample_rate=VISQOL_RATE).moslqo)


def bootstrap_ci(values, seed: int = 0, resamples: int = 2000, level: float = 0.95):
    """BCa bootstrap confidence interval of the mean of the finite ``values``
    (``scipy.stats.bootstrap``, seeded). One value, or values all equal, give the
    point itself: every resample has that mean (scipy refuses the first and has no
    BCa interval for the second). No finite value gives NaNs."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    result = scipy.stats.bootstrap((values,), np.mean, n_resamples=resamples,
                                   confidence_level=level, method="BCa",
                                   rng=np.random.default_rng(seed))
    low, high = result.confidence_interval
    return float(low), float(high)
