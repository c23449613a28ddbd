"""The shard stage: sliding (input, target) windows of one task and split in HDF5.

A split is cut into shards of bounded size (``shard.max_bytes``; a piece is
never split, so one piece larger than that is a shard of its own); how many and
which pieces go where is planned from the manifest's durations alone
(``plan_shards``), so the Snakefile knows every shard before anything runs.

Layout of a shard:
  input, target   float32 (windows, window)  the aligned audio windows
  piece           int32 (windows,)           row in ``pieces`` the window comes from
  offset          int64 (windows,)           first sample of the window in its piece
  pieces          str (pieces,)              piece ids
  degradation     str (pieces,)              JSON of the values drawn for the piece
  attrs           sample_rate, window, stride, task, split, config_hash, version,
                  dropped_silent
Windows start at 0, stride, 2*stride, ...; the last partial window of a piece is
dropped, and so is a piece shorter than one window. With ``min_rms_dbfs``,
windows whose target is quieter than that are dropped and counted.
"""

import math
import os
from pathlib import Path

import h5py
import numpy as np

from . import __version__
from .audio import read_mono

BLOCK_WINDOWS = 256


def window_offsets(length: int, window: int, stride: int) -> np.ndarray:
    if length < window:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, length - window + 1, stride, dtype=np.int64)


def predicted_windows(duration: float, rate: int, tail: float, window: int,
                      stride: int) -> int:
    """Windows of a piece whose render lasts ``duration + tail`` seconds."""
    return len(window_offsets(math.ceil((duration + tail) * rate), window, stride))


def plan_shards(ids: list[str], durations: list[float], rate: int, tail: float, window: int,
                stride: int, max_bytes: float) -> list[list[str]]:
    """Pieces per shard, in manifest order: a shard takes pieces while its predicted
    size stays under ``max_bytes`` (a single larger piece gets a shard of its own)."""
    per_window = 2 * window * 4  # input and target, float32
    shards, size = [[]], 0
    for piece, duration in zip(ids, durations, strict=True):
        piece_bytes = predicted_windows(duration, rate, tail, window, stride) * per_window
        if shards[-1] and size + piece_bytes > max_bytes:
            shards.append([])
            size = 0
        shards[-1].append(piece)
        size += piece_bytes
    return shards


def write_shard(out_path, pieces: list[dict], window: int, stride: int, attrs: dict,
                min_rms_dbfs: float | None = None, file_locking: bool = True) -> int:
    """Write the windows of ``pieces`` ({id, input, target, values?}); return the count."""
    if window <= 0 or stride <= 0:
        raise ValueError(f"window and stride must be positive, got {window}, {stride}")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.part")
    rate, dropped = None, 0
    with h5py.File(tmp, "w", libver="latest", **_locking(file_locking)) as h5:
        # One window per chunk: a random window read reads nothing else.
        data = {name: h5.create_dataset(name, (0, window), np.float32, chunks=(1, window),
                                        maxshape=(None, window)) for name in ("input", "target")}
        piece_ds = h5.create_dataset("piece", (0,), np.int32, maxshape=(None,), chunks=(4096,))
        offset_ds = h5.create_dataset("offset", (0,), np.int64, maxshape=(None,), chunks=(4096,))
        for index, piece in enumerate(pieces):
            x, x_rate = read_mono(piece["input"])
            y, y_rate = read_mono(piece["target"])
            if x_rate != y_rate or len(x) != len(y):
                raise ValueError(f"{piece['input']} ({len(x)} samples at {x_rate} Hz) and "
                                 f"{piece['target']} ({len(y)} at {y_rate} Hz) are not aligned")
            if rate not in (None, x_rate):
                raise ValueError(f"{piece['input']}: sample rate {x_rate} differs from {rate}")
            rate = x_rate
            # Blocks of windows: memory holds one piece and one block, never a whole
            # piece's windows (a 30-minute piece has ~40 M samples per side).
            offsets = window_offsets(len(x), window, stride)
            for first in range(0, len(offsets), BLOCK_WINDOWS):
                block = offsets[first:first + BLOCK_WINDOWS]
                frames = block[:, None] + np.arange(window)
                targets = y[frames]
                if min_rms_dbfs is not None:
                    rms = np.sqrt(np.mean(targets.astype(np.float64) ** 2, axis=1))
                    loud = 20 * np.log10(np.maximum(rms, 1e-12)) >= min_rms_dbfs
                    dropped += int((~loud).sum())
                    block, frames, targets = block[loud], frames[loud], targets[loud]
                start, n = len(piece_ds), len(block)
                for ds in (*data.values(), piece_ds, offset_ds):
                    ds.resize(start + n, axis=0)
                data["input"][start:] = x[frames]
                data["target"][start:] = targets
                piece_ds[start:] = index
                offset_ds[start:] = block
        h5.create_dataset("pieces", data=[p["id"] for p in pieces], dtype=h5py.string_dtype())
        values = [Path(p["values"]).read_text() if p.get("values") else "" for p in pieces]
        h5.create_dataset("degradation", data=values, dtype=h5py.string_dtype())
        h5.attrs.update({"sample_rate": rate or 0, "window": window, "stride": stride,
                         "version": __version__, "dropped_silent": dropped, **attrs})
        count = len(piece_ds)
    os.replace(tmp, out_path)
    return count


def shard_pieces(ids: list[str], input_pattern: str, target_pattern: str, out_path,
                 window: int, stride: int, attrs: dict, values_pattern: str | None = None,
                 min_rms_dbfs: float | None = None, file_locking: bool = True) -> int:
    """Shard the pieces ``ids``; the patterns hold ``{id}`` for the piece id."""
    if not ids:
        raise ValueError(f"{out_path}: no piece to shard")
    pieces = [{"id": i, "input": input_pattern.format(id=i),
               "target": target_pattern.format(id=i),
               "values": values_pattern.format(id=i) if values_pattern else None}
              for i in ids]
    return write_shard(out_path, pieces, window, stride, attrs, min_rms_dbfs, file_locking)


def _locking(enabled: bool) -> dict:
    # Only ever pass locking=False: an explicit True conflicts with handles that
    # h5py opened with its default in the same process.
    return {} if enabled else {"locking": False}
