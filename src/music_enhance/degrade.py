"""The degrade stage: a named chain of steps applied to a clean render.

Filtering steps run through sox (pysox); noise is drawn with numpy from a seed
derived from (global seed, chain name, piece id), so every random value is a
function of the config, and the values drawn are written next to the output.
The output always has the input's length and stays sample-aligned with it.
"""

import json
import logging
from pathlib import Path

import numpy as np
import sox

from .audio import read_mono, write_audio
from .config import derive_seed

NOISE_SLOPES = {"whitenoise": 0.0, "pinknoise": 1.0, "brownnoise": 2.0}

logging.getLogger("sox").setLevel(logging.ERROR)  # pysox warns on every array run


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad to ``length`` samples (sox's rate may add or drop one)."""
    if len(audio) >= length:
        return audio[:length]
    return np.pad(audio, (0, length - len(audio)))


def resample(audio: np.ndarray, rate: int, step: dict, rng) -> tuple[np.ndarray, dict]:
    """Down to ``low_rate`` and back up to ``rate`` with sox's linear-phase ``rate``."""
    low = int(step["low_rate"])
    if not 0 < low < rate:
        raise ValueError(f"resample.low_rate: must be below the task's rate {rate}, got {low}")
    quality = step.get("quality", "v")
    tfm = sox.Transformer()
    tfm.set_globals(dither=False)
    tfm.rate(low, quality=quality)
    tfm.rate(rate, quality=quality)
    out = tfm.build_array(input_array=audio.astype(np.float32), sample_rate_in=rate)
    return fit_length(np.asarray(out, dtype=np.float32), len(audio)), {"low_rate": low}


def coloured_noise(rng: np.random.Generator, length: int, slope: float) -> np.ndarray:
    """Gaussian noise whose power falls by ``slope`` x 3 dB per octave (0 white, 1 pink)."""
    white = rng.standard_normal(length)
    if slope == 0:
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0  # keep DC finite; it is removed below
    spectrum *= freqs ** (-slope / 2)
    spectrum[0] = 0.0
    return np.fft.irfft(spectrum, n=length)


def noise(kind: str):
    def add_noise(audio, rate, step, rng):
        snr_db = float(step["snr_db"]) + np.sqrt(float(step.get("variance", 0.0))) * (
            rng.standard_normal())
        if kind == "tpdfnoise":
            raw = rng.uniform(-1, 1, len(audio)) + rng.uniform(-1, 1, len(audio))
        else:
            raw = coloured_noise(rng, len(audio), NOISE_SLOPES[kind])
        signal_power = float(np.mean(audio.astype(np.float64) ** 2))
        scale = np.sqrt(signal_power / (np.mean(raw ** 2) * 10 ** (snr_db / 10)))
        return (audio + scale * raw).astype(np.float32), {"snr_db": round(snr_db, 6)}
    return add_noise


STEPS = {"resample": resample, **{k: noise(k) for k in
                                  ("whitenoise", "pinknoise", "brownnoise", "tpdfnoise")}}


def apply_chain(audio: np.ndarray, rate: int, chain: list[dict], seed: int) -> tuple:
    """Apply each step in order; return the degraded audio and the values drawn."""
    rng = np.random.default_rng(seed)
    drawn = []
    for step in chain:
        if step["step"] not in STEPS:
            raise ValueError(f"unknown degradation step {step['step']!r}; "
                             f"known: {sorted(STEPS)}")
        audio, values = STEPS[step["step"]](audio, rate, step, rng)
        drawn.append({"step": step["step"], **values})
    return audio, drawn


def degrade(in_path, out_audio, out_values, chain_name: str, chain: list[dict], seed: int,
            piece: str, max_clipped: float = 1e-3) -> list[dict]:
    audio, rate = read_mono(in_path)
    piece_seed = derive_seed(seed, chain_name, piece)
    out, drawn = apply_chain(audio, rate, chain, piece_seed)
    clipped = float(np.mean(np.abs(out) >= 1.0))
    if clipped > max_clipped:
        raise ValueError(f"{in_path}: chain {chain_name!r} clips piece {piece!r} "
                         f"({clipped:.2%} of samples, limit {max_clipped:.2%})")
    write_audio(out_audio, np.clip(out, -1.0, 1.0), rate)
    record = {"piece": piece, "chain": chain_name, "seed": piece_seed, "clipped": clipped,
              "steps": drawn}
    Path(out_values).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return drawn
