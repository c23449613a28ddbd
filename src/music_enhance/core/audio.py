"""Lossless audio I/O shared by the stages (soundfile, mono float32)."""

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf
import sox

logging.getLogger("sox").setLevel(logging.ERROR)  # pysox warns on every array run


def read_audio(path) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 (samples, channels); an empty file or one with
    NaN or infinite samples is an error naming the file and the first bad time."""
    frames, rate, _ = audio_info(path)
    return read_frames(path, 0, frames), rate


def audio_info(path) -> tuple[int, int, int]:
    """(frames, sample rate, channels) of an audio file; an unreadable or empty file is
    an error naming it."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"{path}: cannot read audio ({err})") from err
    if info.frames <= 0:
        raise ValueError(f"{path}: audio is empty (0 samples)")
    return info.frames, info.samplerate, info.channels


def read_frames(path, start: int, stop: int) -> np.ndarray:
    """Samples ``start:stop`` of an audio file as float32 (samples, channels); a NaN or
    infinite sample is an error naming the file and its time in the file."""
    try:
        with sf.SoundFile(str(path)) as f:
            f.seek(start)
            data = f.read(stop - start, dtype="float32", always_2d=True)
            rate = f.samplerate
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"{path}: cannot read audio ({err})") from err
    finite = np.isfinite(data)
    if not finite.all():
        sample, channel = np.argwhere(~finite)[0]
        at = start + sample
        raise ValueError(f"{path}: non-finite sample ({data[sample, channel]}) at "
                         f"{at / rate:.6f} s (sample {at}, channel {channel})")
    return data


def read_mono(path) -> tuple[np.ndarray, int]:
    """Read an audio file as mono float32; multichannel files are averaged."""
    data, rate = read_audio(path)
    return data.mean(axis=1), rate


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample mono audio with sox's linear-phase ``rate`` (very high quality); the
    result has exactly round(len * rate_out / rate_in) samples."""
    if rate_in == rate_out:
        return audio
    tfm = sox.Transformer()
    tfm.set_globals(dither=False)
    tfm.set_output_format(rate=rate_out)
    out = np.asarray(tfm.build_array(input_array=np.asarray(audio, dtype=np.float32),
                                     sample_rate_in=rate_in), dtype=np.float32).reshape(-1)
    expected = round(len(audio) * rate_out / rate_in)
    return np.pad(out, (0, max(0, expected - len(out))))[:expected]


def interpolate(low: np.ndarray, low_rate: int, rate: int, length: int,
                method: str) -> np.ndarray:
    """``length`` samples at ``rate`` through the samples ``low`` taken at ``low_rate``:
    straight lines (``linear``) or a not-a-knot cubic spline (``cubic``); no
    anti-imaging filter, so the band above low_rate / 2 holds the images."""
    times = np.arange(length) / rate
    low_times = np.arange(len(low)) / low_rate
    if method == "linear":
        return np.interp(times, low_times, low)
    if method == "cubic":
        # scipy is imported where it is used: the Snakefile imports this module at
        # every start-up, and scipy's interpolate costs a second.
        from scipy.interpolate import CubicSpline
        return CubicSpline(low_times, low, extrapolate=True)(times)
    raise ValueError(f"unknown interpolation {method!r}; known: linear, cubic")


def write_audio(path, audio: np.ndarray, rate: int, subtype: str = "PCM_24") -> None:
    """Write lossless audio (FLAC, or WAV for a .wav name) via a temporary name, so a
    crash never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    audio_format = "WAV" if path.suffix.lower() == ".wav" else "FLAC"
    try:
        sf.write(str(tmp), np.asarray(audio, dtype=np.float32), rate, subtype=subtype,
                 format=audio_format)
        os.replace(tmp, path)
    except BaseException as err:
        _raise_write_error(path, err)
    finally:
        tmp.unlink(missing_ok=True)


def _raise_write_error(path, err: BaseException):
    """A failed write (full disk, read-only folder) as an OSError naming the file:
    libsndfile itself says only "System error"."""
    if isinstance(err, sf.LibsndfileError | OSError):
        raise OSError(f"{path}: cannot write audio ({err})") from None
    raise err


class StreamingWriter:
    """Encode lossless audio (FLAC, or WAV for a .wav name) on a worker thread while
    the caller produces the next block.

    libsndfile releases the GIL, so encoding overlaps with synthesis. The file is
    written under a temporary name and renamed on a clean exit; on an exception it
    is removed.
    """

    def __init__(self, path, rate: int, subtype: str = "PCM_24", channels: int = 1):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.part")
        audio_format = "WAV" if self.path.suffix.lower() == ".wav" else "FLAC"
        try:
            self.file = sf.SoundFile(str(self.tmp), "w", rate, channels, subtype,
                                     format=audio_format)
        except BaseException as err:
            self.tmp.unlink(missing_ok=True)
            _raise_write_error(self.path, err)
        self.pool = ThreadPoolExecutor(max_workers=1)  # one worker keeps blocks in order
        self.pending = []

    def write(self, block: np.ndarray) -> None:
        self.pending.append(self.pool.submit(self.file.write, block))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            try:
                for job in self.pending:
                    job.result()
            finally:
                self.pool.shutdown()
                self.file.close()
            if exc_type is None:
                os.replace(self.tmp, self.path)
        except BaseException as err:
            _raise_write_error(self.path, err)
        finally:
            self.tmp.unlink(missing_ok=True)
