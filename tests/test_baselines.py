import numpy as np
import pytest

from music_enhance.core.audio import read_mono, write_audio
from music_enhance.core.metrics import snr
from music_enhance.data.degrade import apply_chain
from music_enhance.evaluation.baselines import baseline, task_baselines, upsample, wiener

RATE = 16000


@pytest.fixture
def tones():
    t = np.arange(2 * RATE) / RATE
    return (0.2 * np.sin(2 * np.pi * 330 * t) + 0.1 * np.sin(2 * np.pi * 1200 * t)
            ).astype(np.float32)


def test_methods_follow_the_chain():
    assert task_baselines([{"step": "resample", "low_rate": 8000}]) == ["linear", "cubic",
                                                                        "sinc"]
    assert task_baselines([{"step": "pinknoise", "snr_db": 10}]) == ["wiener"]
    assert task_baselines([]) == []


@pytest.mark.parametrize("method", ["linear", "cubic", "sinc"])
def test_upsamplers_keep_band_limited_content_and_alignment(tones, method):
    out = upsample(tones.astype(np.float64), RATE, 8000, method)
    assert len(out) == len(tones)
    # Tones far below 4 kHz: every method reproduces them closely (linear least).
    assert snr(tones[100:-100], out[100:-100]) > {"linear": 15, "cubic": 30, "sinc": 40}[method]


def test_sinc_beats_cubic_beats_linear_on_the_resampled_input(tones, rng):
    clean = (tones + 0.02 * rng.standard_normal(len(tones))).astype(np.float32)
    degraded, _ = apply_chain(clean, RATE, [{"step": "resample", "low_rate": 8000}], 0)
    scores = {m: snr(clean, upsample(degraded.astype(np.float64), RATE, 8000, m))
              for m in ("linear", "cubic", "sinc")}
    assert scores["sinc"] > scores["cubic"] > scores["linear"]
    # The sinc way back is the way the input came: it equals the input as is.
    assert scores["sinc"] == pytest.approx(snr(clean, degraded), abs=0.1)


def test_wiener_raises_snr_of_a_noisy_tone(tones):
    noisy, _ = apply_chain(tones, RATE, [{"step": "whitenoise", "snr_db": 5}], 0)
    assert snr(tones, wiener(noisy.astype(np.float64))) > snr(tones, noisy) + 5


def test_baseline_files_and_errors(tmp_path, tones):
    write_audio(tmp_path / "in.flac", tones, RATE)
    baseline(tmp_path / "in.flac", tmp_path / "lin.flac", "linear", 8000)
    out, rate = read_mono(tmp_path / "lin.flac")
    assert rate == RATE and len(out) == len(tones)
    with pytest.raises(ValueError, match="baseline 'cubic' needs the chain's resample"):
        baseline(tmp_path / "in.flac", tmp_path / "x.flac", "cubic")
    with pytest.raises(ValueError, match="unknown baseline 'magic'"):
        baseline(tmp_path / "in.flac", tmp_path / "x.flac", "magic")
