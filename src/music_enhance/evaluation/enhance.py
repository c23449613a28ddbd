"""The enhance stage: a generator applied to whole recordings of any length.

Windows go through the network in batches and are merged in one of two ways:

- ``ola`` (default, the 2020 report): windows at 50 % overlap, each output
  weighted by a periodic Hann window, summed and divided by the summed weights.
- ``crop`` (the 2019 report): windows at 50 % overlap, of each output only the
  middle half is kept and the halves are concatenated.

Half a window of padding at each end gives every sample full coverage, so there
are no seams or faded edges, and an identity model returns its input. Files at
another sample rate are resampled to the model's rate and back; each channel of
a multichannel file is enhanced on its own. A file above the model's rate keeps
its band above the model's: the output is the enhanced band plus the input less
its resampled-down-and-up copy, a crossover that sums to the input for an
identity model, so it has no seam. Only the batch of windows in flight and the
output buffers grow with the length of the piece.
"""

import logging
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..core.audio import read_audio, resample, write_audio
from ..core.defaults import schema_default
from ..training.checkpoint import load_discriminator, load_generator
from ..training.collab import CollaborativeSampler

MERGES = ("ola", "crop")
FORMATS = (".wav", ".flac")
log = logging.getLogger(__name__)


def pick_device(name: str) -> torch.device:
    """``auto``: the GPU when there is one."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available")
    return torch.device(name)


def output_error(in_path, out_path) -> str | None:
    """What is wrong with writing ``out_path`` from ``in_path`` (None: nothing)."""
    out = Path(out_path)
    if out.is_dir():
        return f"{out_path}: is a directory; name the output file"
    if out.suffix.lower() not in FORMATS:
        return (f"{out_path}: the format follows the extension, one of "
                f"{', '.join(FORMATS)}")
    if out.resolve() == Path(in_path).resolve():
        return f"{out_path}: is the input; write the output elsewhere"
    return None


@torch.no_grad()
def merge_windows(model, audio: np.ndarray, window: int, batch_size: int = 16,
                  merge: str = "ola", progress: bool = False,
                  device: str | torch.device = "cpu") -> np.ndarray:
    if window % 4:
        raise ValueError(f"enhance window must be a multiple of 4, got {window}")
    if merge not in MERGES:
        raise ValueError(f"enhance.merge: unknown merge {merge!r}; known: {MERGES}")
    hop = window // 2
    length = len(audio)
    n_frames = -(-(length + hop) // hop)  # frames start at -hop, 0, hop, ... past the end
    padded = np.zeros((n_frames + 1) * hop, dtype=np.float32)
    padded[hop:hop + length] = audio
    out = np.zeros_like(padded)
    if merge == "ola":
        weight = np.hanning(window + 1)[:-1].astype(np.float32)  # periodic: sums to 1
        norm = np.zeros_like(padded)
    starts = np.arange(n_frames) * hop
    batches = range(0, n_frames, batch_size)
    for first in tqdm(batches, desc="enhance", disable=not progress, mininterval=2):
        batch_starts = starts[first:first + batch_size]
        frames = torch.from_numpy(padded[batch_starts[:, None] + np.arange(window)])
        result = model(frames.unsqueeze(1).to(device)).squeeze(1).float().cpu().numpy()
        for start, frame in zip(batch_starts, result, strict=True):
            if merge == "ola":
                out[start:start + window] += weight * frame
                norm[start:start + window] += weight
            else:  # keep the middle half: [start + hop/2, start + 3 hop/2)
                quarter = hop // 2
                out[start + quarter:start + quarter + hop] = frame[quarter:quarter + hop]
    if merge == "ola":
        return out[hop:hop + length] / norm[hop:hop + length]
    return out[hop:hop + length]


def enhance(in_path, out_path, checkpoint_path,
            batch_size: int = schema_default("enhance.batch_size"), threads: int = 1,
            merge: str = schema_default("enhance.merge"), progress: bool = True,
            collab: dict | None = None, device: str = "auto") -> dict:
    """Enhance a file; with ``collab`` ({layer, step_size, eta, max_iters}) the
    checkpoint's discriminator refines each batch (collaborative sampling)."""
    if output_error(in_path, out_path):
        raise ValueError(output_error(in_path, out_path))
    audio, rate = read_audio(in_path)  # a bad input fails before the model loads
    peak = float(np.abs(audio).max())
    if peak > 1.0:
        log.warning("%s: peaks at %.3g, above full scale (1.0): the model never saw such "
                    "levels and the output is clipped to full scale; scale the input down",
                    in_path, peak)
    torch.set_num_threads(max(1, threads))
    device = pick_device(device)
    model, checkpoint = load_generator(checkpoint_path)
    model = model.to(device)
    sampler = None
    if collab:
        discriminator = load_discriminator(checkpoint_path, checkpoint).to(device)
        sampler = CollaborativeSampler(model, discriminator, collab["layer"],
                                       collab["step_size"], collab["eta"], collab["max_iters"])
        model = sampler
    model_rate = checkpoint["sample_rate"]
    start = time.time()
    channels = []
    for channel in audio.T:
        x = resample(channel, rate, model_rate)
        y = merge_windows(model, x, checkpoint["window"], batch_size, merge, progress, device)
        channels.append(resample(y, model_rate, rate)[:len(channel)])
        if rate > model_rate:  # the band above the model's, as it came in
            channels[-1] += channel - resample(x, model_rate, rate)[:len(channel)]
    seconds = time.time() - start
    out = np.stack(channels, axis=1)
    if out.shape[1] == 1:
        write_audio(out_path, np.clip(out[:, 0], -1.0, 1.0), rate)
    else:
        write_audio(out_path, np.clip(out, -1.0, 1.0), rate)
    info = {"samples": len(audio), "channels": audio.shape[1], "seconds": seconds,
            "real_time_factor": len(audio) / rate / max(seconds, 1e-9)}
    if sampler:
        info["collab_steps_per_batch"] = float(np.mean(sampler.iterations))
    return info
