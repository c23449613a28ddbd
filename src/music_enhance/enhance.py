"""The enhance stage: a generator applied to whole pieces of any length.

The piece is cut into windows at 50% overlap, each window's output is weighted
by a periodic Hann window, and the weighted outputs are summed and divided by
the summed weights (overlap-add). Half a window of padding at each end gives
every sample two windows, so there are no seams and no faded edges; an
identity model returns its input exactly. Windows go through the network in
batches, so memory does not grow with the piece's length beyond the audio.
"""

import time

import numpy as np
import torch

from .audio import read_mono, write_audio
from .train import load_generator


@torch.no_grad()
def overlap_add(model, audio: np.ndarray, window: int, batch_size: int = 16) -> np.ndarray:
    if window % 2:
        raise ValueError(f"enhance window must be even, got {window}")
    hop = window // 2
    length = len(audio)
    n_frames = -(-(length + hop) // hop)  # covers [-hop, length + hop)
    padded = np.zeros((n_frames + 1) * hop, dtype=np.float32)
    padded[hop:hop + length] = audio
    weight = np.hanning(window + 1)[:-1].astype(np.float32)  # periodic: sums to 1 at 50%
    out = np.zeros_like(padded)
    norm = np.zeros_like(padded)
    starts = np.arange(n_frames) * hop
    for first in range(0, n_frames, batch_size):
        batch_starts = starts[first:first + batch_size]
        frames = padded[batch_starts[:, None] + np.arange(window)]
        result = model(torch.from_numpy(frames).unsqueeze(1)).squeeze(1).numpy()
        for start, frame in zip(batch_starts, result, strict=True):
            out[start:start + window] += weight * frame
            norm[start:start + window] += weight
    return out[hop:hop + length] / norm[hop:hop + length]


def enhance(in_path, out_path, checkpoint_path, batch_size: int = 16, threads: int = 1) -> dict:
    torch.set_num_threads(max(1, threads))
    model, checkpoint = load_generator(checkpoint_path)
    audio, rate = read_mono(in_path)
    if rate != checkpoint["sample_rate"]:
        raise ValueError(f"{in_path}: sample rate {rate} Hz, but {checkpoint_path} was trained "
                         f"at {checkpoint['sample_rate']} Hz")
    start = time.time()
    out = overlap_add(model, audio, checkpoint["window"], batch_size)
    seconds = time.time() - start
    write_audio(out_path, np.clip(out, -1.0, 1.0), rate)
    return {"samples": len(audio), "real_time_factor": len(audio) / rate / max(seconds, 1e-9)}
