"""The shard stage: sliding (input, target) windows of one task and split in HDF5.

Layout of a shard:
  input, target   float32 (windows, window)  the aligned audio windows
  piece           int32 (windows,)           row in ``pieces`` the window comes from
  offset          int64 (windows,)           first sample of the window in its piece
  pieces          str (pieces,)              piece ids, in manifest order
  attrs           sample_rate, window, stride, task, split, version
Windows start at 0, stride, 2*stride, ...; the last partial window of a piece is
dropped, and so is a piece shorter than one window.
"""

import os
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from . import __version__
from .audio import read_mono


def window_offsets(length: int, window: int, stride: int) -> np.ndarray:
    if length < window:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, length - window + 1, stride, dtype=np.int64)


def write_shard(out_path, pairs: list[tuple[str, str, str]], window: int, stride: int,
                attrs: dict) -> int:
    """Write windows of (piece id, input path, target path) pairs; return the count."""
    if window <= 0 or stride <= 0:
        raise ValueError(f"window and stride must be positive, got {window}, {stride}")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.part")
    rate = None
    with h5py.File(tmp, "w", libver="latest") as h5:
        data = {name: h5.create_dataset(name, (0, window), np.float32, chunks=(16, window),
                                        maxshape=(None, window)) for name in ("input", "target")}
        piece_ds = h5.create_dataset("piece", (0,), np.int32, maxshape=(None,), chunks=(4096,))
        offset_ds = h5.create_dataset("offset", (0,), np.int64, maxshape=(None,), chunks=(4096,))
        for index, (_, input_path, target_path) in enumerate(pairs):
            x, x_rate = read_mono(input_path)
            y, y_rate = read_mono(target_path)
            if x_rate != y_rate or len(x) != len(y):
                raise ValueError(f"{input_path} ({len(x)} samples at {x_rate} Hz) and "
                                 f"{target_path} ({len(y)} at {y_rate} Hz) are not aligned")
            if rate not in (None, x_rate):
                raise ValueError(f"{input_path}: sample rate {x_rate} differs from {rate}")
            rate = x_rate
            offsets = window_offsets(len(x), window, stride)
            start, n = len(piece_ds), len(offsets)
            for ds in (*data.values(), piece_ds, offset_ds):
                ds.resize(start + n, axis=0)
            frames = offsets[:, None] + np.arange(window)
            data["input"][start:] = x[frames]
            data["target"][start:] = y[frames]
            piece_ds[start:] = index
            offset_ds[start:] = offsets
        h5.create_dataset("pieces", data=[p for p, _, _ in pairs], dtype=h5py.string_dtype())
        h5.attrs.update({"sample_rate": rate or 0, "window": window, "stride": stride,
                         "version": __version__, **attrs})
        count = len(piece_ds)
    os.replace(tmp, out_path)
    return count


def shard_split(manifest_csv, split: str, input_pattern: str, target_pattern: str, out_path,
                window: int, stride: int, task: str) -> int:
    """Shard every piece of ``split``; the patterns hold ``{id}`` for the piece id."""
    table = pd.read_csv(manifest_csv)
    ids = table.loc[table["split"] == split, "id"].tolist()
    if not ids:
        raise ValueError(f"{manifest_csv}: no piece in split {split!r}")
    pairs = [(i, input_pattern.format(id=i), target_pattern.format(id=i)) for i in ids]
    return write_shard(out_path, pairs, window, stride, {"task": task, "split": split})


def load_shard(path) -> dict:
    """The whole shard in memory (fine for the demo; see the shards issue for streaming)."""
    try:
        with h5py.File(path, "r") as h5:
            return {"input": h5["input"][:], "target": h5["target"][:],
                    "piece": h5["piece"][:], "offset": h5["offset"][:],
                    "pieces": [p.decode() for p in h5["pieces"][:]], "attrs": dict(h5.attrs)}
    except (OSError, KeyError) as err:
        raise ValueError(f"{path}: not a readable shard ({err})") from err
