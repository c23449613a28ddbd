"""The shard stage: sliding (input, target) windows of one task and split in HDF5.

A split is cut into shards of bounded size (``shard.max_bytes``; a piece is
never split, so one piece larger than that is a shard of its own); how many and
which pieces go where is planned from the manifest's durations alone
(``plan_shards``), so the Snakefile knows every shard before anything runs.

Layout of a shard:
  input, target   (windows, window)          the aligned audio windows: float32, or
                                             int16 PCM (value / 32768); contiguous,
                                             or one window per chunk when compressed
  piece           int32 (windows,)           row in ``pieces`` the window comes from
  offset          int64 (windows,)           first sample of the window in its piece
  pieces          str (pieces,)              piece ids
  degradation     str (pieces,)              JSON of the values drawn for the piece
  soundfont       str (pieces,)              the SoundFont the piece's pair was
                                             rendered with (a task may train on
                                             several: a piece id can repeat)
  attrs           sample_rate, window, stride, task, split, config_hash, version,
                  dropped_silent
Windows start at 0, stride, 2*stride, ...; the last partial window of a piece is
dropped, and so is a piece shorter than one window. With ``min_rms_dbfs``,
windows whose target is quieter than that are dropped and counted.
"""

import contextlib
import math
import os
import re
import zlib
from pathlib import Path

import h5py
import numpy as np
import soundfile as sf

from .. import __version__
from ..core.audio import read_mono
from ..core.defaults import schema_default

BLOCK_WINDOWS = 256


def window_offsets(length: int, window: int, stride: int) -> np.ndarray:
    if length < window:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, length - window + 1, stride, dtype=np.int64)


def predicted_windows(duration: float, rate: int, tail: float, window: int,
                      stride: int) -> int:
    """Windows of a piece whose render lasts ``duration + tail`` seconds."""
    return len(window_offsets(math.ceil((duration + tail) * rate), window, stride))


SAMPLE_FORMATS = {"float32": np.float32, "int16": np.int16}
COMPRESSIONS = ("none", "lzf", "gzip")
INT16_SCALE = 32768.0


def plan_shards(ids: list[str], durations: list[float], rate: int, tail: float, window: int,
                stride: int, max_bytes: float, sample_format: str = "float32"
                ) -> list[list[str]]:
    """Pieces per shard, in manifest order: a shard takes pieces while its predicted
    size stays under ``max_bytes`` (a single larger piece gets a shard of its own)."""
    per_window = 2 * window * np.dtype(SAMPLE_FORMATS[sample_format]).itemsize
    shards, size = [[]], 0
    for piece, duration in zip(ids, durations, strict=True):
        piece_bytes = predicted_windows(duration, rate, tail, window, stride) * per_window
        if shards[-1] and size + piece_bytes > max_bytes:
            shards.append([])
            size = 0
        shards[-1].append(piece)
        size += piece_bytes
    return shards


def _encode(samples: np.ndarray, sample_format: str) -> np.ndarray:
    if sample_format == "int16":
        return np.clip(np.round(samples * INT16_SCALE), -32768, 32767).astype(np.int16)
    return samples.astype(np.float32, copy=False)


def _check_pair(piece: dict, rate: int | None) -> tuple[int, int]:
    """(length, rate) of a piece's aligned input and target, from their headers."""
    try:
        x, y = sf.info(piece["input"]), sf.info(piece["target"])
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"{piece['input']} or {piece['target']}: cannot read audio "
                         f"({err})") from err
    if x.samplerate != y.samplerate or x.frames != y.frames:
        raise ValueError(f"{piece['input']} ({x.frames} samples at {x.samplerate} Hz) and "
                         f"{piece['target']} ({y.frames} at {y.samplerate} Hz) are not aligned")
    if rate not in (None, x.samplerate):
        raise ValueError(f"{piece['input']}: sample rate {x.samplerate} differs from {rate}")
    return x.frames, x.samplerate


def _kept_offsets(target: np.ndarray, window: int, stride: int,
                  min_rms_dbfs: float | None) -> np.ndarray:
    """Window offsets of a piece, less those whose target is quieter than the limit."""
    offsets = window_offsets(len(target), window, stride)
    if min_rms_dbfs is None or not len(offsets):
        return offsets
    kept = []
    # Blocks of windows: memory holds one piece and one block, never a whole
    # piece's windows (a 30-minute piece has ~40 M samples per side).
    for first in range(0, len(offsets), BLOCK_WINDOWS):
        block = offsets[first:first + BLOCK_WINDOWS]
        frames = target[block[:, None] + np.arange(window)].astype(np.float64)
        rms = np.sqrt(np.mean(frames ** 2, axis=1))
        kept.append(block[20 * np.log10(np.maximum(rms, 1e-12)) >= min_rms_dbfs])
    return np.concatenate(kept)


def write_shard(out_path, pieces: list[dict], window: int, stride: int, attrs: dict,
                min_rms_dbfs: float | None = None, file_locking: bool = True,
                sample_format: str = schema_default("shard.sample_format"),
                compression: str = schema_default("shard.compression")) -> int:
    """Write the windows of ``pieces`` ({id, input, target, values?}); return the count."""
    if window <= 0 or stride <= 0:
        raise ValueError(f"window and stride must be positive, got {window}, {stride}")
    if sample_format not in SAMPLE_FORMATS:
        raise ValueError(f"shard.sample_format: {sample_format!r} is not one of "
                         f"{sorted(SAMPLE_FORMATS)}")
    if compression not in COMPRESSIONS:
        raise ValueError(f"shard.compression: {compression!r} is not one of {COMPRESSIONS}")
    out_path = Path(out_path)
    # Pass 1 fixes the window count, so the datasets can be contiguous (no chunk
    # index: the loader maps them straight from the file).
    rate, kept, dropped = None, [], 0
    for piece in pieces:
        length, rate = _check_pair(piece, rate)
        if min_rms_dbfs is None:
            kept.append(window_offsets(length, window, stride))
        else:  # only the filter needs the samples
            kept.append(_kept_offsets(read_mono(piece["target"])[0], window, stride,
                                      min_rms_dbfs))
        dropped += len(window_offsets(length, window, stride)) - len(kept[-1])
    tmp = out_path.with_name(f".{out_path.name}.part")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _write(tmp, pieces, kept, window, stride, dropped, rate, attrs, file_locking,
               sample_format, compression)
    except (OSError, RuntimeError) as err:  # h5py raises RuntimeError when closing
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise ValueError(f"{out_path}: cannot write the shard ({_os_reason(err)})") from err
    os.replace(tmp, out_path)
    return sum(len(k) for k in kept)


def window_crcs(rows: np.ndarray) -> np.ndarray:
    """The CRC-32 of each stored row's bytes."""
    rows = np.ascontiguousarray(rows)
    return np.array([zlib.crc32(row) for row in rows], dtype=np.uint32)


def _os_reason(err: Exception) -> str:
    """The cause of a failed write in a few words (h5py buries errno in its message)."""
    match = re.search(r"errno = (\d+)", str(err))
    number = getattr(err, "errno", None) or (int(match[1]) if match else None)
    if not number:
        return str(err)
    where = getattr(err, "filename", None)
    return f"{os.strerror(number)}: {where}" if where else os.strerror(number)


def _write(tmp, pieces, kept, window, stride, dropped, rate, attrs, file_locking,
           sample_format, compression) -> None:
    total = sum(len(k) for k in kept)
    with h5py.File(tmp, "w", libver="latest", **_locking(file_locking)) as h5:
        # Uncompressed: contiguous. Compressed: one window per chunk, so a random
        # window read decompresses nothing else.
        layout = ({} if compression == "none" or total == 0 else
                  {"chunks": (1, window), "compression": compression})
        data = {name: h5.create_dataset(name, (total, window), SAMPLE_FORMATS[sample_format],
                                        **layout) for name in ("input", "target")}
        # A CRC-32 per stored window: the loader checks each window it reads, so bytes
        # changed after writing are named, not trained on.
        crcs = {name: np.zeros(total, np.uint32) for name in ("input", "target")}
        h5.create_dataset("piece", data=np.repeat(np.arange(len(pieces), dtype=np.int32),
                                                  [len(k) for k in kept]))
        h5.create_dataset("offset", data=np.concatenate([np.zeros(0, np.int64), *kept]))
        start = 0
        for piece, offsets in zip(pieces, kept, strict=True):
            x, y = read_mono(piece["input"])[0], read_mono(piece["target"])[0]
            for first in range(0, len(offsets), BLOCK_WINDOWS):
                frames = offsets[first:first + BLOCK_WINDOWS, None] + np.arange(window)
                stop = start + len(frames)
                for name, audio in (("input", x), ("target", y)):
                    rows = _encode(audio[frames], sample_format)
                    data[name][start:stop] = rows
                    crcs[name][start:stop] = window_crcs(rows)
                start = stop
        for name, values in crcs.items():
            h5.create_dataset(f"{name}_crc32", data=values)
        h5.create_dataset("pieces", data=[p["id"] for p in pieces], dtype=h5py.string_dtype())
        values = [Path(p["values"]).read_text() if p.get("values") else "" for p in pieces]
        h5.create_dataset("degradation", data=values, dtype=h5py.string_dtype())
        h5.create_dataset("soundfont", data=[p.get("soundfont") or "" for p in pieces],
                          dtype=h5py.string_dtype())
        h5.attrs.update({"sample_rate": rate or 0, "window": window, "stride": stride,
                         "version": __version__, "dropped_silent": dropped,
                         "sample_format": sample_format, "compression": compression, **attrs})


def shard_pieces(ids: list[str], inputs: list[str], targets: list[str], out_path,
                 window: int, stride: int, attrs: dict, values: list[str] | None = None,
                 soundfonts: list[str] | None = None, **options) -> int:
    """Shard the pieces ``ids`` from their input, target (and drawn values) files, one
    each per piece, with the SoundFont each pair was rendered with. ``options`` go to
    ``write_shard`` (min_rms_dbfs, file_locking, sample_format, compression)."""
    if not ids:
        raise ValueError(f"{out_path}: no piece to shard")
    none = [None] * len(ids)
    pieces = [{"id": i, "input": x, "target": y, "values": v, "soundfont": f}
              for i, x, y, v, f in zip(ids, inputs, targets, values or none,
                                       soundfonts or none, strict=True)]
    return write_shard(out_path, pieces, window, stride, attrs, **options)


def _locking(enabled: bool) -> dict:
    # Only ever pass locking=False: an explicit True conflicts with handles that
    # h5py opened with its default in the same process.
    return {} if enabled else {"locking": False}
