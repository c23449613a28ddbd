"""The degrade stage: a named chain of steps applied to a clean render.

Filters, rooms and codecs run through sox (pysox); consecutive sox steps share
one sox process. Noise is drawn with numpy. Every random value comes from one
generator seeded from (global seed, chain name, piece id), so the same config
gives the same bytes, and every value drawn is written next to the output.
The output always has the input's length and stays sample-aligned with it:
sox's ``rate`` and ``sinc`` are linear-phase and delay-compensated, reverb
tails are cut at the input's end, and the mp3 codec's delay is measured and
removed.
"""

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import sox

from ..core.audio import interpolate, read_mono, write_audio
from ..core.defaults import filled, schema_default
from ..core.seeds import derive_seed

REVERB_RANGES = {"reverberance": (0, 100), "hf_damping": (0, 100), "room_scale": (0, 100),
                 "stereo_depth": (0, 100), "pre_delay": (0, 500), "wet_gain": (-10, 10)}
NOISE_KINDS = ("whitenoise", "pinknoise", "brownnoise", "tpdfnoise")


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad to ``length`` samples (rate may add or drop one; reverb tails)."""
    if len(audio) >= length:
        return audio[:length]
    return np.pad(audio, (0, length - len(audio)))


def jitter(rng, value: float, variance: float, low=-np.inf, high=np.inf) -> float:
    """``value`` plus Gaussian noise of ``variance``, kept in [low, high]."""
    if variance:
        value = value + np.sqrt(variance) * rng.standard_normal()
    return round(float(np.clip(value, low, high)), 6)


def resample_error(step: dict, rate: int) -> str | None:
    """What is wrong with a resample step at ``rate`` (None: nothing)."""
    if step["low_rate"] >= rate:
        return f"{step['low_rate']} Hz is not below the sample rate {rate} Hz"
    return None


# Sox steps add effects to a shared Transformer and return the values drawn. The
# chain's steps are filled and checked against the schema before they get here.

def sox_resample(tfm, rate, step, rng):
    low = int(step["low_rate"])
    tfm.rate(low, quality=step["quality"])
    if step["interpolation"] == "sox":
        tfm.rate(rate, quality=step["quality"])
    else:  # sox stops at low_rate; interpolate_up goes back up
        tfm.set_output_format(rate=low)
    return {"low_rate": low}


def sox_lowpass(tfm, rate, step, rng):
    tfm.sinc(filter_type="low", cutoff_freq=float(step["frequency"]))
    return {"frequency": step["frequency"]}


def sox_highpass(tfm, rate, step, rng):
    tfm.sinc(filter_type="high", cutoff_freq=float(step["frequency"]))
    return {"frequency": step["frequency"]}


def sox_equalizer(tfm, rate, step, rng):
    tfm.equalizer(float(step["frequency"]), float(step["width_q"]),
                  float(step["gain_db"]))
    return {k: step[k] for k in ("frequency", "gain_db")}


def sox_reverb(tfm, rate, step, rng):
    variance = step["variance"]
    drawn = {name: jitter(rng, step[name], variance.get(name, 0), *REVERB_RANGES[name])
             for name in REVERB_RANGES}
    tfm.reverb(**{k: v for k, v in drawn.items() if k != "hf_damping"},
               high_freq_damping=drawn["hf_damping"])
    return drawn


def sox_overdrive(tfm, rate, step, rng):
    tfm.overdrive(gain_db=float(step["gain_db"]), colour=float(step["colour"]))
    return {"gain_db": step["gain_db"], "colour": step["colour"]}


def sox_compand(tfm, rate, step, rng):
    points = [tuple(p) for p in step["points"]]
    tfm.compand(attack_time=float(step["attack"]), decay_time=float(step["decay"]),
                soft_knee_db=float(step["soft_knee_db"]), tf_points=points)
    return {"points": [list(p) for p in points]}


SOX_STEPS = {"resample": sox_resample, "lowpass": sox_lowpass, "highpass": sox_highpass,
             "equalizer": sox_equalizer, "reverb": sox_reverb, "overdrive": sox_overdrive,
             "compand": sox_compand}


# Array steps take and return audio.

def interpolate_up(audio, rate, step, rng):
    """Back up from low_rate without an anti-imaging filter: straight lines (the
    2019 report's way) or a cubic spline (the input of Kuleshov et al.'s U-Net)."""
    low = int(step["low_rate"])
    return interpolate(audio, low, rate, round(len(audio) * rate / low),
                       step["interpolation"]).astype(np.float32), {}


def noise(kind):
    def add_noise(audio, rate, step, rng):
        raw = coloured_noise(rng, len(audio), kind, rate)
        variance = float(step["variance"])
        if "snr_db" in step:
            # The signal keeps its level; the noise is scaled to the drawn SNR.
            snr_db = jitter(rng, float(step["snr_db"]), variance)
            level = np.sqrt(np.mean(audio.astype(np.float64) ** 2) / 10 ** (snr_db / 10))
            drawn = {"snr_db": snr_db}
        else:  # the report's sox-style absolute amplitude
            level = jitter(rng, float(step["volume"]), variance, 0.0)
            drawn = {"volume": level}
        return (audio + level * raw).astype(np.float32), drawn
    return add_noise


# A 3-pole/3-zero filter whose gain falls 3 dB per octave within 0.1 dB over
# three decades of normalised frequency (J. O. Smith, "Spectral Audio Signal
# Processing", pink noise example).
PINK_B = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
PINK_A = [1.0, -2.494956002, 2.017265875, -0.522189400]
BROWN_CORNER_HZ = 5.0  # a leaky integrator: -6 dB per octave above this


def coloured_noise(rng: np.random.Generator, length: int, kind: str, rate: int) -> np.ndarray:
    """Zero-mean noise of unit RMS; white and TPDF flat, pink -3 dB and brown -6 dB
    per octave. Filtering white noise costs a fraction of shaping it by FFT."""
    if kind == "tpdfnoise":
        raw = rng.uniform(-1, 1, length) + rng.uniform(-1, 1, length)
    else:
        from scipy.signal import lfilter  # not at import: the Snakefile imports this module
        raw = rng.standard_normal(length)
        if kind == "pinknoise":
            raw = lfilter(PINK_B, PINK_A, raw)
        elif kind == "brownnoise":
            raw = lfilter([1.0], [1.0, -np.exp(-2 * np.pi * BROWN_CORNER_HZ / rate)], raw)
    raw -= raw.mean()
    return raw / np.sqrt(np.mean(raw ** 2))


def clip(audio, rate, step, rng):
    level = float(step["level"])
    return np.clip(audio, -level, level), {"level": level}


def gain(audio, rate, step, rng):
    return audio * np.float32(10 ** (float(step["gain_db"]) / 20)), {"gain_db": step["gain_db"]}


def mp3(audio, rate, step, rng):
    """Encode to mp3 at ``bitrate`` kb/s and decode back; the codec delay is removed."""
    bitrate = int(step["bitrate"])
    with tempfile.TemporaryDirectory() as tmp:
        wav, coded, back = (Path(tmp) / n for n in ("in.wav", "coded.mp3", "out.wav"))
        sf.write(str(wav), audio, rate, subtype="FLOAT")
        for cmd in (["sox", "-D", "-R", str(wav), "-C", str(bitrate), str(coded)],
                    ["sox", "-D", "-R", str(coded), "-r", str(rate), "-e", "float", "-b", "32",
                     str(back)]):
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode:
                raise ValueError(f"mp3: sox failed: {result.stderr.strip()}")
        decoded, _ = read_mono(back)
    delay = codec_delay(audio, decoded)
    return fit_length(decoded[delay:], len(audio)), {"bitrate": bitrate, "delay": delay}


def codec_delay(reference: np.ndarray, decoded: np.ndarray, max_lag: int = 4096) -> int:
    """The lag (samples) at which ``decoded`` best matches ``reference``."""
    n = min(len(reference), len(decoded) - max_lag)
    if n <= 0:
        return 0
    size = 1 << int(np.ceil(np.log2(n + max_lag)))
    xcorr = np.fft.irfft(np.fft.rfft(decoded[:n + max_lag], size)
                         * np.conj(np.fft.rfft(reference[:n], size)), size)
    return int(np.argmax(xcorr[:max_lag + 1]))


ARRAY_STEPS = {**{k: noise(k) for k in NOISE_KINDS}, "clip": clip, "gain": gain, "mp3": mp3}


def apply_chain(audio: np.ndarray, rate: int, chain: list[dict], seed: int) -> tuple:
    """Apply each step in order; return the degraded audio and the values drawn.

    Runs of consecutive sox steps go through one sox process. The steps are checked
    against the config schema and its defaults filled in (the CLI has done so already).
    """
    chain = filled("chain", chain, "chain")
    rng = np.random.default_rng(seed)
    length, drawn, tfm = len(audio), [], None
    for step in chain:
        name = step["step"]
        if name in SOX_STEPS:
            tfm = tfm or _transformer()
            drawn.append({"step": name, **SOX_STEPS[name](tfm, rate, step, rng)})
            if name == "resample" and step["interpolation"] != "sox":
                audio = _run_sox(tfm, audio, rate)
                tfm = None
                audio, _ = interpolate_up(audio, rate, step, rng)
            continue
        if tfm is not None:
            audio, tfm = _run_sox(tfm, audio, rate), None
        audio, values = ARRAY_STEPS[name](audio, rate, step, rng)
        drawn.append({"step": name, **values})
    if tfm is not None:
        audio = _run_sox(tfm, audio, rate)
    return fit_length(np.asarray(audio, dtype=np.float32), length), drawn


def _transformer():
    tfm = sox.Transformer()
    tfm.set_globals(dither=False)
    return tfm


def _run_sox(tfm, audio, rate):
    # No clipping inside sox: float samples out of range pass through and are
    # measured by the stage after the chain.
    return np.asarray(tfm.build_array(input_array=audio.astype(np.float32),
                                      sample_rate_in=rate), dtype=np.float32).reshape(-1)


def degrade(in_path, out_audio, out_values, chain_name: str, chain: list[dict], seed: int,
            piece: str, max_clipped: float = schema_default("degrade.max_clipped")) -> list[dict]:
    audio, rate = read_mono(in_path)
    for index, step in enumerate(chain):
        if step["step"] == "resample" and resample_error(step, rate):
            raise ValueError(f"{in_path}: chain {chain_name!r} step {index}: low_rate "
                             f"{resample_error(step, rate)} of this file")
    piece_seed = derive_seed(seed, chain_name, piece)
    out, drawn = apply_chain(audio, rate, chain, piece_seed)
    clipped = float(np.mean(np.abs(out) >= 1.0))
    if clipped > max_clipped:
        raise ValueError(f"{in_path}: chain {chain_name!r} clips piece {piece!r} "
                         f"({clipped:.3%} of samples, limit {max_clipped:.3%})")
    write_audio(out_audio, np.clip(out, -1.0, 1.0), rate)
    record = {"piece": piece, "chain": chain_name, "seed": piece_seed, "clipped": clipped,
              "steps": drawn}
    Path(out_values).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return drawn


def chain_cutoff(chain: list[dict]) -> float | None:
    """The frequency above which a chain removed the content (Hz), if it band-limits."""
    cutoffs = [s["low_rate"] / 2 for s in chain if s["step"] == "resample"]
    cutoffs += [s["frequency"] for s in chain if s["step"] == "lowpass"]
    return min(cutoffs) if cutoffs else None
