"""SNR and LSD with one documented protocol (the reports' definitions).

SNR (dB)  = 10 log10( sum y^2 / sum (y - y_hat)^2 )
LSD       = mean over frames t of sqrt( mean over bins k of (X[t,k] - X_hat[t,k])^2 )
            with X = log10(|STFT(y)|^2 + EPS), 1024-point periodic Hann frames,
            hop 512, no padding (frames lie inside the signal), all 513 bins.
EPS = 1e-10 keeps silent frames finite; in LSD it bounds the distance of a
silent frame from a very quiet one.
"""

import numpy as np

N_FFT = 1024
HOP = 512
EPS = 1e-10


def snr(target: np.ndarray, estimate: np.ndarray) -> float:
    target, estimate = _pair(target, estimate)
    noise = np.sum((target - estimate) ** 2)
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(target ** 2) / noise))


def log_power_spectrogram(x: np.ndarray) -> np.ndarray:
    """(frames, N_FFT // 2 + 1) log10 power spectrogram."""
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    window = np.hanning(N_FFT + 1)[:-1]
    return np.log10(np.abs(np.fft.rfft(frames * window, axis=1)) ** 2 + EPS)


def lsd(target: np.ndarray, estimate: np.ndarray) -> float:
    target, estimate = _pair(target, estimate)
    diff = log_power_spectrogram(target) - log_power_spectrogram(estimate)
    return float(np.mean(np.sqrt(np.mean(diff ** 2, axis=1))))


def _pair(target, estimate):
    target = np.asarray(target, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if target.shape != estimate.shape:
        raise ValueError(f"target {target.shape} and estimate {estimate.shape} differ in shape")
    return target, estimate
