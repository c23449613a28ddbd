"""The degrade stage: a named chain of steps applied to a clean render.

Filters, rooms and codecs run through sox; consecutive sox steps share one sox
process. Noise is drawn with numpy, for the input's length, while sox runs.
Each step draws its random values from its own generator, seeded from (global
seed, chain name, piece id) and the step's place in the chain, so the same
config gives the same bytes, and every value drawn is written next to the
output.
The output always has the input's length and stays sample-aligned with it:
sox's ``rate`` and ``sinc`` are linear-phase and delay-compensated, reverb
tails are cut at the input's end, and the mp3 codec's delay is measured and
removed.
"""

import json
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
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


def add_noise(audio, step, rng, raw):
    """``audio`` plus the noise ``raw`` (drawn from ``rng`` beforehand) at the level
    the step draws next."""
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
        # float32 throughout: half the work of float64, and far finer than any SNR.
        raw = rng.standard_normal(length, dtype=np.float32)
        if kind == "pinknoise":
            raw = lfilter(np.float32(PINK_B), np.float32(PINK_A), raw)
        elif kind == "brownnoise":
            pole = np.exp(-2 * np.pi * BROWN_CORNER_HZ / rate)
            raw = lfilter(np.float32([1.0]), np.float32([1.0, -pole]), raw)
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


ARRAY_STEPS = {"clip": clip, "gain": gain, "mp3": mp3}  # and the noises (add_noise)


def apply_chain(audio, rate: int, chain: list[dict], seed: int, length: int | None = None
                ) -> tuple:
    """Apply each step in order; return the degraded audio and the values drawn.

    ``audio`` is the samples, or the path of a mono file of ``length`` frames when the
    chain starts with a sox step, which then reads the file itself (sox decodes FLAC
    as fast as soundfile, and the samples need not cross a pipe). Runs of
    consecutive sox steps go through one sox process. The steps are checked against
    the config schema and its defaults filled in (the CLI has done so already).
    """
    chain = filled("chain", chain, "chain")
    rngs = [np.random.default_rng([seed, index]) for index in range(len(chain))]
    length, drawn, tfm = length or len(audio), [], None
    with ThreadPoolExecutor(1) as pool:  # the noises, while sox works
        noises = {i: pool.submit(coloured_noise, rngs[i], length, step["step"], rate)
                  for i, step in enumerate(chain) if step["step"] in NOISE_KINDS}
        for index, step in enumerate(chain):
            name, rng = step["step"], rngs[index]
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
            if name in NOISE_KINDS:
                raw = fit_length(noises[index].result(), len(audio))
                audio, values = add_noise(audio, step, rng, raw)
            else:
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
    """The Transformer's effects on ``audio`` in one sox process, raw float32 in and
    out through pipes. A thread writes the input in one call while this one reads
    the output (pysox's build_array feeds the pipe 512 bytes at a time, which cost
    more than sox's own work). No clipping inside sox: float samples out of range
    pass through and are measured by the stage after the chain. ``audio`` may be a
    mono file's path, which sox reads."""
    out_rate = tfm.output_format.get("rate") or rate
    raw = ["-t", "f32", "-c", "1"]
    source = [str(audio)] if isinstance(audio, Path) else [*raw, "-r", str(rate), "-"]
    command = ["sox", *tfm.globals, *source, *raw, "-r", str(out_rate), "-", *tfm.effects]
    proc = subprocess.Popen(command, stdin=None if isinstance(audio, Path) else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    feeder = None
    if not isinstance(audio, Path):
        feeder = threading.Thread(target=_feed, args=(proc.stdin, audio.astype(np.float32)))
        feeder.start()
    out = proc.stdout.read()
    err = proc.stderr.read()
    if feeder:
        feeder.join()
    if proc.wait():
        raise ValueError(f"sox {' '.join(tfm.effects)} failed: {err.decode().strip()}")
    return np.frombuffer(out, dtype=np.float32).copy()


def _feed(pipe, samples: np.ndarray) -> None:
    try:
        pipe.write(samples.tobytes())
    except BrokenPipeError:  # sox failed: its status and stderr say why
        pass
    finally:
        pipe.close()


def degrade(in_path, out_audio, out_values, chain_name: str, chain: list[dict], seed: int,
            piece: str, max_clipped: float = schema_default("degrade.max_clipped")) -> list[dict]:
    info = sf.info(str(in_path))
    rate, length = info.samplerate, info.frames
    # A mono file goes to a leading sox step as it is; anything else is read here.
    if info.channels == 1 and chain and chain[0]["step"] in SOX_STEPS:
        audio = Path(in_path)
    else:
        audio, rate = read_mono(in_path)
        length = len(audio)
    for index, step in enumerate(chain):
        if step["step"] == "resample" and resample_error(step, rate):
            raise ValueError(f"{in_path}: chain {chain_name!r} step {index}: low_rate "
                             f"{resample_error(step, rate)} of this file")
    piece_seed = derive_seed(seed, chain_name, piece)
    try:
        out, drawn = apply_chain(audio, rate, chain, piece_seed, length)
    except ValueError as err:  # a sox or codec failure: name the file and the chain
        raise ValueError(f"{in_path}: chain {chain_name!r}: {err}") from None
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
