"""Degradation chains on the real sox binary, checked by measured signal properties."""

import hashlib
import json

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import welch

from music_enhance.core.audio import read_mono, write_audio
from music_enhance.data.degrade import apply_chain, degrade

RATE = 22050


def band_db(audio, low, high=RATE / 2):
    """Energy in [low, high) Hz relative to the total, in dB."""
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    freqs = np.fft.rfftfreq(len(audio), 1 / RATE)
    return 10 * np.log10(spectrum[(freqs >= low) & (freqs < high)].sum() / spectrum.sum())


def best_lag(out, clean, max_lag=64):
    lags = np.arange(-max_lag, max_lag + 1)
    inner = slice(max_lag, len(clean) - max_lag)
    xcorr = [np.dot(out[inner.start + lag:inner.stop + lag], clean[inner]) for lag in lags]
    return int(lags[int(np.argmax(xcorr))])


@pytest.fixture
def white(rng):
    return (0.1 * rng.standard_normal(3 * RATE)).astype(np.float32)


@pytest.mark.parametrize("step, cutoff", [
    ({"step": "resample", "low_rate": 11025}, 5512),
    ({"step": "resample", "low_rate": 8000, "quality": "h"}, 4000),
    ({"step": "lowpass", "frequency": 3000}, 3000),
])
def test_band_limiting_steps_leave_nothing_above_the_cutoff(white, step, cutoff):
    out, _ = apply_chain(white, RATE, [step], seed=0)
    assert len(out) == len(white)
    passband = band_db(out, 100, cutoff * 0.8) - 10 * np.log10((cutoff * 0.8 - 100) / RATE * 2)
    stopband = band_db(out, cutoff * 1.05) - 10 * np.log10((RATE / 2 - cutoff * 1.05) / RATE * 2)
    assert stopband < passband - 40  # per-Hz energy above the cut-off is 40 dB down
    assert best_lag(out, white) == 0


def test_linear_interpolation_matches_the_report_and_stays_aligned(white):
    out, drawn = apply_chain(white, RATE, [{"step": "resample", "low_rate": 11025,
                                            "interpolation": "linear"}], seed=0)
    assert drawn == [{"step": "resample", "low_rate": 11025}]
    assert best_lag(out, white) == 0
    # Linear interpolation leaves images above the low Nyquist, unlike sox's rate.
    assert -40 < band_db(out, 6000) < -10


def test_cubic_interpolation_is_the_cubic_baseline_of_the_sox_input(white):
    from music_enhance.evaluation.baselines import upsample
    out, drawn = apply_chain(white, RATE, [{"step": "resample", "low_rate": 11025,
                                            "interpolation": "cubic"}], seed=0)
    assert drawn == [{"step": "resample", "low_rate": 11025}] and len(out) == len(white)
    assert best_lag(out, white) == 0
    # Through the same low-rate samples as the cubic baseline of the sox-degraded input.
    sox, _ = apply_chain(white, RATE, [{"step": "resample", "low_rate": 11025}], seed=0)
    baseline = upsample(sox, RATE, 11025, "cubic")
    assert np.corrcoef(out[100:-100], baseline[100:-100])[0, 1] > 0.99
    # Its images are weaker than the straight lines' (a smoother kernel).
    linear, _ = apply_chain(white, RATE, [{"step": "resample", "low_rate": 11025,
                                           "interpolation": "linear"}], seed=0)
    assert band_db(out, 6000) < band_db(linear, 6000) - 3


def test_highpass_and_equalizer_shape_the_spectrum(white):
    high, _ = apply_chain(white, RATE, [{"step": "highpass", "frequency": 2000}], seed=0)
    assert band_db(high, 0, 1800) < -40
    boosted, _ = apply_chain(white, RATE, [{"step": "equalizer", "frequency": 1000,
                                            "width_q": 2.0, "gain_db": 12}], seed=0)
    gain = band_db(boosted, 950, 1050) - band_db(white, 950, 1050)
    assert 6 < gain < 12.5
    assert best_lag(boosted, white) == 0


def spectral_slope_db_per_octave(noise):
    freqs, psd = welch(noise, RATE, nperseg=4096)
    band = (freqs > 100) & (freqs < 5000)
    return np.polyfit(np.log2(freqs[band]), 10 * np.log10(psd[band]), 1)[0]


@pytest.mark.parametrize("kind, slope", [("whitenoise", 0), ("pinknoise", -3),
                                         ("brownnoise", -6), ("tpdfnoise", 0)])
def test_noise_colour_and_requested_snr(kind, slope):
    t = np.arange(10 * RATE) / RATE
    clean = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out, drawn = apply_chain(clean, RATE, [{"step": kind, "snr_db": 20.0}], seed=3)
    noise = out.astype(np.float64) - clean
    achieved = 10 * np.log10(np.sum(clean.astype(np.float64) ** 2) / np.sum(noise ** 2))
    assert abs(achieved - 20.0) < 0.5
    assert drawn == [{"step": kind, "snr_db": 20.0}]
    assert abs(spectral_slope_db_per_octave(noise) - slope) < 0.6
    # Mixing leaves the signal's level alone: the clean part is all still there.
    assert np.dot(out, clean) / np.dot(clean, clean) == pytest.approx(1.0, abs=0.01)


def test_noise_volume_and_variance_draw_per_piece(white):
    out, drawn = apply_chain(white * 0, RATE, [{"step": "whitenoise", "volume": 0.05}], 0)
    assert np.sqrt(np.mean(out.astype(np.float64) ** 2)) == pytest.approx(0.05, rel=1e-3)
    levels = {apply_chain(white, RATE, [{"step": "pinknoise", "snr_db": 30, "variance": 9}],
                          seed)[1][0]["snr_db"] for seed in range(20)}
    assert len(levels) == 20 and 1.5 < np.std(list(levels)) < 4.5


def decay_time(out, threshold_db=-40):
    """Seconds after the click until the envelope stays below threshold_db of its peak."""
    envelope = np.convolve(out.astype(np.float64) ** 2, np.ones(220) / 220, "same")
    above = np.nonzero(10 * np.log10(envelope / envelope.max() + 1e-20) > threshold_db)[0]
    return (above[-1] - 1000) / RATE


def test_reverb_decay_lengthens_with_reverberance_and_wet_gain_sets_level():
    click = np.zeros(3 * RATE, dtype=np.float32)
    click[1000] = 0.5
    times = []
    for reverberance in (10, 50, 90):
        out, drawn = apply_chain(click, RATE, [{"step": "reverb", "reverberance":
                                                reverberance}], 0)
        assert drawn[0]["reverberance"] == reverberance and len(out) == len(click)
        times.append(decay_time(out))
    assert times[0] < times[1] < times[2]
    tails = []
    for wet_gain in (0, 6):
        out, _ = apply_chain(click, RATE, [{"step": "reverb", "wet_gain": wet_gain}], 0)
        tails.append(np.sum(out[1200:].astype(np.float64) ** 2))
    assert 10 * np.log10(tails[1] / tails[0]) == pytest.approx(6.0, abs=0.5)


def test_reverb_variance_is_drawn_and_recorded():
    click = np.zeros(RATE, dtype=np.float32)
    click[10] = 0.5
    step = {"step": "reverb", "room_scale": 50, "variance": {"room_scale": 100}}
    rooms = [apply_chain(click, RATE, [step], seed)[1][0]["room_scale"] for seed in range(5)]
    assert len(set(rooms)) == 5 and all(0 <= r <= 100 for r in rooms)


def test_mp3_removes_content_above_its_cutoff_and_stays_aligned(white):
    out, drawn = apply_chain(white, RATE, [{"step": "mp3", "bitrate": 32}], seed=0)
    assert len(out) == len(white) and drawn[0]["bitrate"] == 32
    assert band_db(white, 10000) > -12
    assert band_db(out, 10000) < band_db(white, 10000) - 30
    assert best_lag(out, white) == 0


def test_gain_clip_overdrive_compand(white):
    loud, _ = apply_chain(white, RATE, [{"step": "gain", "gain_db": 6.0206}], 0)
    np.testing.assert_allclose(loud, 2 * white, rtol=1e-4)
    clipped, _ = apply_chain(white, RATE, [{"step": "clip", "level": 0.05}], 0)
    assert np.abs(clipped).max() == pytest.approx(0.05)
    for step in ({"step": "overdrive", "gain_db": 10}, {"step": "compand"}):
        out, _ = apply_chain(white, RATE, [step], 0)
        assert len(out) == len(white) and not np.allclose(out, white)


def test_degrade_is_seeded_recorded_and_varies_by_piece(tmp_path, white):
    write_audio(tmp_path / "clean.flac", white, RATE)
    chain = [{"step": "resample", "low_rate": 8000},
             {"step": "pinknoise", "snr_db": 30, "variance": 4.0},
             {"step": "reverb", "reverberance": 40, "variance": {"reverberance": 50}}]
    digests, draws = [], []
    for name, piece in [("a", "p1"), ("b", "p1"), ("c", "p2")]:
        degrade(tmp_path / "clean.flac", tmp_path / f"{name}.flac", tmp_path / f"{name}.json",
                "noisy", chain, seed=7, piece=piece)
        digests.append(hashlib.sha256((tmp_path / f"{name}.flac").read_bytes()).hexdigest())
        draws.append(json.loads((tmp_path / f"{name}.json").read_text()))
    assert digests[0] == digests[1] != digests[2]
    assert draws[0] == draws[1]
    assert draws[0]["steps"][1]["snr_db"] != draws[2]["steps"][1]["snr_db"]
    assert draws[0]["steps"][2]["reverberance"] != draws[2]["steps"][2]["reverberance"]
    assert draws[2]["piece"] == "p2" and draws[2]["chain"] == "noisy"
    out, rate = read_mono(tmp_path / "a.flac")
    assert rate == RATE and len(out) == len(white)


def test_clipping_above_the_limit_names_piece_and_chain(tmp_path, white):
    write_audio(tmp_path / "clean.flac", white, RATE)
    with pytest.raises(ValueError, match="chain 'hot' clips piece 'p9'"):
        degrade(tmp_path / "clean.flac", tmp_path / "o.flac", tmp_path / "o.json", "hot",
                [{"step": "gain", "gain_db": 24}], seed=0, piece="p9")
    assert not (tmp_path / "o.flac").exists()


@pytest.mark.parametrize("chain, message", [
    ([{"step": "chorus"}], r"chain.0.step: 'chorus' is not one of \['resample'"),
    ([{"step": "reverb", "size": 3}], r"chain.0: .*\('size' was unexpected\)"),
    ([{"step": "pinknoise"}], "chain.0: give exactly one of 'snr_db', 'volume'"),
])
def test_invalid_chains_name_step_and_parameter(white, chain, message):
    with pytest.raises(ValueError, match=message):
        apply_chain(white[:100], RATE, chain, 0)


def test_a_resample_rate_above_the_files_rate_names_the_file(white, tmp_path):
    sf.write(tmp_path / "in.flac", white[:1000], RATE)
    with pytest.raises(ValueError, match=f"in.flac: chain 'up' step 0: low_rate 44100 Hz is "
                                         f"not below the sample rate {RATE} Hz"):
        degrade(tmp_path / "in.flac", tmp_path / "o.flac", tmp_path / "o.json", "up",
                [{"step": "resample", "low_rate": 44100}], seed=0, piece="p")
    assert not (tmp_path / "o.flac").exists()


def test_a_sox_failure_names_the_file_and_the_chain(white, tmp_path):
    sf.write(tmp_path / "in.flac", white[:1000], RATE)
    with pytest.raises(ValueError, match=r"in.flac: chain 'eq': sox equalizer .* failed: "
                                         r".*frequency must be less than half"):
        degrade(tmp_path / "in.flac", tmp_path / "o.flac", tmp_path / "o.json", "eq",
                [{"step": "equalizer", "frequency": RATE, "width_q": 1, "gain_db": 3}],
                seed=0, piece="p")
    assert not (tmp_path / "o.flac").exists()
