import numpy as np
import pytest

from music_enhance.metrics import EPS, HOP, N_FFT, log_power_spectrogram, lsd, snr


@pytest.fixture
def signal(rng):
    return rng.standard_normal(16000)


def test_identical_signals(signal):
    assert snr(signal, signal) == float("inf")
    assert lsd(signal, signal) == 0.0


@pytest.mark.parametrize("gain", [0.5, 2.0, 1.1])
def test_known_gain(signal, gain):
    # y_hat = g y: the error is (1 - g) y, and every power bin scales by g^2.
    assert snr(signal, gain * signal) == pytest.approx(-20 * np.log10(abs(1 - gain)))
    assert lsd(signal, gain * signal) == pytest.approx(abs(2 * np.log10(gain)), rel=1e-6)


def test_known_noise(signal, rng):
    noise = rng.standard_normal(len(signal))
    noise *= np.sqrt(np.sum(signal ** 2) / np.sum(noise ** 2) / 100)  # exactly 20 dB
    assert snr(signal, signal + noise) == pytest.approx(20.0)


def test_lsd_by_hand_on_two_frames():
    x = np.zeros(N_FFT + HOP)
    x[100] = 1.0
    y = 3 * x
    window = np.hanning(N_FFT + 1)[:-1]
    frames = [x[0:N_FFT], x[HOP:HOP + N_FFT]]
    yframes = [y[0:N_FFT], y[HOP:HOP + N_FFT]]
    per_frame = []
    for a, b in zip(frames, yframes, strict=True):
        pa = np.log10(np.abs(np.fft.rfft(a * window)) ** 2 + EPS)
        pb = np.log10(np.abs(np.fft.rfft(b * window)) ** 2 + EPS)
        per_frame.append(np.sqrt(np.mean((pa - pb) ** 2)))
    assert log_power_spectrogram(x).shape == (2, N_FFT // 2 + 1)
    # The second frame is silent, so its distance is 0; the first is |log10 9|.
    assert lsd(x, y) == pytest.approx(np.mean(per_frame))
    assert lsd(x, y) == pytest.approx(np.log10(9) / 2, rel=1e-6)


def test_shape_mismatch_is_an_error(signal):
    with pytest.raises(ValueError, match="differ in shape"):
        snr(signal, signal[:-1])
