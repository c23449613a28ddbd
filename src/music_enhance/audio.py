"""Lossless audio I/O shared by the stages (soundfile, mono float32)."""

import os
from pathlib import Path

import numpy as np
import soundfile as sf


def read_mono(path) -> tuple[np.ndarray, int]:
    """Read an audio file as mono float32; multichannel files are averaged."""
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"{path}: cannot read audio ({err})") from err
    return data.mean(axis=1), rate


def write_audio(path, audio: np.ndarray, rate: int, subtype: str = "PCM_24") -> None:
    """Write lossless FLAC via a temporary name, so a crash never leaves a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    sf.write(str(tmp), np.asarray(audio, dtype=np.float32), rate, subtype=subtype,
             format="FLAC")
    os.replace(tmp, path)
