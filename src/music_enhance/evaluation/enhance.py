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
identity model, so it has no seam. A file longer than ``BLOCK_SECONDS`` streams
through in blocks, each read with a margin of context on both sides and cut where
the model's windows fall as they would for the whole file, so memory does not
grow with its length; a shorter file is enhanced whole.
"""

import logging
import math
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..core.audio import StreamingWriter, audio_info, read_frames, resample, write_audio
from ..core.defaults import schema_default
from ..training.checkpoint import load_discriminator, load_generator
from ..training.collab import CollaborativeSampler

MERGES = ("ola", "crop")
FORMATS = (".wav", ".flac")
# Longer files stream through in blocks of about this many seconds.
BLOCK_SECONDS = 600
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


def block_unit(rate: int, model_rate: int, hop: int) -> int:
    """The least number of file samples whose span holds a whole number of model
    samples that is a multiple of the merge's hop: blocks cut at such multiples see
    the model's samples and windows where the whole file would."""
    common = math.gcd(rate, model_rate)
    return rate // common * (hop // math.gcd(hop, model_rate // common))


def enhance_segment(model, audio: np.ndarray, rate: int, model_rate: int, window: int,
                    batch_size: int, merge: str, progress: bool, device) -> np.ndarray:
    """(samples, channels) at ``rate`` through the model at ``model_rate``, each
    channel on its own; above the model's band, the input as it came in."""
    channels = []
    for channel in audio.T:
        x = resample(channel, rate, model_rate)
        y = merge_windows(model, x, window, batch_size, merge, progress, device)
        channels.append(resample(y, model_rate, rate)[:len(channel)])
        if rate > model_rate:  # the band above the model's, as it came in
            channels[-1] += channel - resample(x, model_rate, rate)[:len(channel)]
    return np.stack(channels, axis=1)


def enhance(in_path, out_path, checkpoint_path,
            batch_size: int = schema_default("enhance.batch_size"), threads: int = 1,
            merge: str = schema_default("enhance.merge"), progress: bool = True,
            collab: dict | None = None, device: str = "auto") -> dict:
    """Enhance a file; with ``collab`` ({layer, step_size, eta, max_iters}) the
    checkpoint's discriminator refines each batch (collaborative sampling). A file
    longer than BLOCK_SECONDS streams through in blocks, each with a margin of
    context on both sides, so memory does not grow with its length."""
    if output_error(in_path, out_path):
        raise ValueError(output_error(in_path, out_path))
    frames, rate, n_channels = audio_info(in_path)  # a bad input fails before the model
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
    model_rate, window = checkpoint["sample_rate"], checkpoint["window"]
    run = partial(enhance_segment, model, rate=rate, model_rate=model_rate, window=window,
                  batch_size=batch_size, merge=merge, progress=progress, device=device)
    unit = block_unit(rate, model_rate, window // 2)
    block = math.ceil(BLOCK_SECONDS * rate / unit) * unit
    start, peak = time.time(), 0.0
    if frames <= block:  # the whole file at once
        audio = read_frames(in_path, 0, frames)
        peak, out = float(np.abs(audio).max()), np.clip(run(audio), -1.0, 1.0)
        write_audio(out_path, out[:, 0] if n_channels == 1 else out, rate)
    else:
        # Context on each side: the model's windows and the resampler's filter.
        margin = math.ceil(max(2 * window * rate / model_rate, rate) / unit) * unit
        with StreamingWriter(out_path, rate, channels=n_channels) as writer:
            for first in range(0, frames, block):
                last = min(first + block, frames)
                lo, hi = max(0, first - margin), min(frames, last + margin)
                audio = read_frames(in_path, lo, hi)
                peak = max(peak, float(np.abs(audio).max()))
                writer.write(np.clip(run(audio)[first - lo:last - lo], -1.0, 1.0))
    seconds = time.time() - start
    if peak > 1.0:
        log.warning("%s: peaks at %.3g, above full scale (1.0): the model never saw such "
                    "levels and the output is clipped to full scale; scale the input down",
                    in_path, peak)
    info = {"samples": frames, "channels": n_channels, "seconds": seconds,
            "real_time_factor": frames / rate / max(seconds, 1e-9)}
    if sampler:
        info["collab_steps_per_batch"] = float(np.mean(sampler.iterations))
    return info
