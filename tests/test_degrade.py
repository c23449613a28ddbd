import hashlib
import json

import numpy as np
import pytest

from music_enhance.audio import read_mono, write_audio
from music_enhance.degrade import apply_chain, degrade

RATE = 22050


def band_energy_db(audio, rate, low, high):
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    band = spectrum[(freqs >= low) & (freqs < high)].sum()
    return 10 * np.log10(band / spectrum.sum())


def broadband(rng, seconds=2.0):
    return (0.1 * rng.standard_normal(int(seconds * RATE))).astype(np.float32)


def test_resample_removes_energy_above_low_nyquist_and_stays_aligned(rng):
    clean = broadband(rng)
    out, drawn = apply_chain(clean, RATE, [{"step": "resample", "low_rate": 11025}], seed=1)
    assert drawn == [{"step": "resample", "low_rate": 11025}]
    assert len(out) == len(clean)
    # White noise has half its energy above 5.5 kHz; the chain leaves almost none.
    assert band_energy_db(clean, RATE, 5700, RATE / 2) > -4
    assert band_energy_db(out, RATE, 5700, RATE / 2) < -40
    lags = np.arange(-50, 51)
    xcorr = [np.dot(out[100 + lag:-100 + lag], clean[100:-100]) for lag in lags]
    assert lags[int(np.argmax(xcorr))] == 0


@pytest.mark.parametrize("kind", ["whitenoise", "pinknoise", "brownnoise", "tpdfnoise"])
def test_noise_reaches_the_requested_snr(kind, rng):
    clean = np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE).astype(np.float32) * 0.3
    out, drawn = apply_chain(clean, RATE, [{"step": kind, "snr_db": 20.0}], seed=3)
    noise = out.astype(np.float64) - clean
    achieved = 10 * np.log10(np.sum(clean.astype(np.float64) ** 2) / np.sum(noise ** 2))
    assert abs(achieved - 20.0) < 0.1
    assert drawn == [{"step": kind, "snr_db": 20.0}]


def test_degrade_is_seeded_recorded_and_varies_by_piece(tmp_path, rng):
    write_audio(tmp_path / "clean.flac", broadband(rng, 1.0), RATE)
    chain = [{"step": "resample", "low_rate": 8000},
             {"step": "pinknoise", "snr_db": 30, "variance": 4.0}]
    digests, draws = [], []
    for name, piece in [("a", "p1"), ("b", "p1"), ("c", "p2")]:
        degrade(tmp_path / "clean.flac", tmp_path / f"{name}.flac", tmp_path / f"{name}.json",
                "noisy", chain, seed=7, piece=piece)
        digests.append(hashlib.sha256((tmp_path / f"{name}.flac").read_bytes()).hexdigest())
        draws.append(json.loads((tmp_path / f"{name}.json").read_text()))
    assert digests[0] == digests[1] != digests[2]
    assert draws[0] == draws[1]
    assert draws[0]["steps"][1]["snr_db"] != draws[2]["steps"][1]["snr_db"]
    assert draws[2]["piece"] == "p2" and draws[2]["chain"] == "noisy"
    out, rate = read_mono(tmp_path / "a.flac")
    assert rate == RATE and len(out) == RATE


def test_low_rate_above_task_rate_is_a_clear_error(rng):
    with pytest.raises(ValueError, match="resample.low_rate: must be below"):
        apply_chain(broadband(rng, 0.1), RATE, [{"step": "resample", "low_rate": 44100}], 0)


def test_unknown_step_is_named(rng):
    with pytest.raises(ValueError, match="unknown degradation step 'chorus'"):
        apply_chain(broadband(rng, 0.1), RATE, [{"step": "chorus"}], 0)
