"""Small real shards for trainer tests: noisy sines (input) and clean sines (target)."""

import numpy as np

from music_enhance.core.audio import write_audio
from music_enhance.data.shard import shard_pieces

RATE, WINDOW = 16000, 1024


def sine_shards(root) -> dict:
    """Train (4 pieces) and validation (2 pieces) shards of 2-second pieces in ``root``."""
    rng = np.random.default_rng(0)
    t = np.arange(2 * RATE) / RATE
    for i in range(6):
        clean = (0.3 * np.sin(2 * np.pi * 110 * (i + 1) * t)).astype(np.float32)
        write_audio(root / f"p{i}.target.flac", clean, RATE)
        write_audio(root / f"p{i}.input.flac", clean + 0.05 * rng.standard_normal(len(t)),
                    RATE)
    paths = {}
    for split, ids in (("train", ["p0", "p1", "p2", "p3"]), ("validation", ["p4", "p5"])):
        paths[split] = root / f"{split}.h5"
        shard_pieces(ids, [str(root / f"{i}.input.flac") for i in ids],
                     [str(root / f"{i}.target.flac") for i in ids],
                     paths[split], WINDOW, WINDOW // 2, {})
    return paths
