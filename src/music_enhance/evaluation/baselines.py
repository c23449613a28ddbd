"""Classical baselines every model must beat, computed from the degraded input.

Super-resolution (the chain resamples): take the input down to the chain's
low rate and back up by linear interpolation (the 2019 report), a cubic spline
(Kuleshov et al.) or sox's windowed-sinc ``rate``. Noise (the chain adds
noise): a Wiener filter with the noise power estimated from the input itself.
The degraded input as is needs no file.
"""

import numpy as np

from ..core.audio import interpolate, read_mono, resample, write_audio
from ..data.degrade import NOISE_KINDS, fit_length

UPSAMPLERS = ("linear", "cubic", "sinc")


def task_baselines(chain: list[dict]) -> list[str]:
    """The baseline methods that make sense for a task's degradation chain."""
    methods = []
    if any(step["step"] == "resample" for step in chain):
        methods += list(UPSAMPLERS)
    if any(step["step"] in NOISE_KINDS for step in chain):
        methods.append("wiener")
    return methods


def upsample(audio: np.ndarray, rate: int, low_rate: int, method: str) -> np.ndarray:
    low = resample(audio, rate, low_rate)
    if method == "sinc":
        return fit_length(resample(low, low_rate, rate), len(audio))
    if method in ("linear", "cubic"):
        return interpolate(low, low_rate, rate, len(audio), method)
    raise ValueError(f"unknown upsampling method {method!r}; known: {UPSAMPLERS}")


def wiener(audio: np.ndarray, n_fft: int = 1024, smooth_bins: int = 31) -> np.ndarray:
    """Wiener filter for stationary broadband noise. The noise power per bin is the
    median over time of each frame's power median-filtered across frequency: the
    filter looks past harmonics (narrow in frequency), the time median past notes."""
    from scipy.ndimage import median_filter
    from scipy.signal import istft, stft
    _, _, spec = stft(audio, nperseg=n_fft, noverlap=3 * n_fft // 4)
    power = np.abs(spec) ** 2
    floor = median_filter(power, size=(smooth_bins, 1), mode="nearest")
    noise = np.median(floor, axis=1, keepdims=True)
    prior_snr = np.maximum(power / np.maximum(noise, 1e-20) - 1, 0)
    _, out = istft(spec * prior_snr / (prior_snr + 1), nperseg=n_fft,
                   noverlap=3 * n_fft // 4)
    return fit_length(out, len(audio))


def baseline(in_path, out_path, method: str, low_rate: int | None = None) -> None:
    audio, rate = read_mono(in_path)
    if method in UPSAMPLERS:
        if not low_rate:
            raise ValueError(f"baseline {method!r} needs the chain's resample low_rate")
        out = upsample(audio, rate, low_rate, method)
    elif method == "wiener":
        out = wiener(audio)
    else:
        raise ValueError(f"unknown baseline {method!r}; known: {[*UPSAMPLERS, 'wiener']}")
    write_audio(out_path, np.clip(out, -1, 1), rate)
