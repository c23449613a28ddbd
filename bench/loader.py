"""Loader throughput against an in-memory array and the training step rate.

Builds shards of about 6 minutes of audio (a demo render, input and target) at
22.05 kHz, then measures batches of 32 windows of 8192 samples per second from
the shards with 0, 1 and 2 DataLoader workers, the same from an in-memory numpy
array (the ceiling: fancy indexing only), and the training step rate of the
default generator on this machine; then, with 0 workers, the size and read rate
of the same windows as int16, and with lzf and gzip compression, and the rate
from one shard against one shard per piece (int16). Last line:
``ratio <loader with 2 workers / in-memory ceiling>``.

    python bench/loader.py [--seconds 10]
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from music_enhance.data.demo import synth_piece
from music_enhance.data.loader import ShardWindows, window_loader
from music_enhance.data.render import render
from music_enhance.data.shard import shard_pieces
from music_enhance.training.models import build_model
from music_enhance.training.train import endless

REPO = Path(__file__).resolve().parents[1]
RATE, WINDOW, BATCH = 22050, 8192, 32


def rate_of(batches, seconds: float) -> float:
    """Batches per second over ``seconds`` of pulling from an endless iterator."""
    next(batches)  # warm up (workers start, files open)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(batches)
        count += 1
    return count / (time.perf_counter() - start)


def endless_loader(dataset, workers):
    return endless(*window_loader(dataset, BATCH, seed=0, workers=workers))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    if args.smoke:
        args.seconds = 0.2
    tmp = Path(tempfile.mkdtemp())
    ids = []
    for i in range(6):
        synth_piece(np.random.default_rng(i), 5 if args.smoke else 60).write(
            str(tmp / f"p{i}.midi"))
        render(tmp / f"p{i}.midi", tmp / f"p{i}.flac", "piano", 0,
               "/usr/share/sounds/sf2/FluidR3_GM.sf2", RATE)
        ids.append(f"p{i}")
    paths = [tmp / "a.h5", tmp / "b.h5"]
    for path, part in zip(paths, (ids[:3], ids[3:]), strict=True):
        shard_pieces(part, [str(tmp / f"{i}.flac") for i in part],
                     [str(tmp / f"{i}.flac") for i in part], path, WINDOW,
                     WINDOW // 2, {})
    dataset = ShardWindows(paths)
    memory = dataset.__getitems__(np.arange(len(dataset)))[:2]
    rng = np.random.default_rng(0)

    def in_memory():
        while True:
            index = np.sort(rng.choice(len(dataset), BATCH, replace=False))
            yield memory[0][index], memory[1][index]

    rates = {f"shards, {w} workers": rate_of(endless_loader(dataset, w), args.seconds)
             for w in (0, 1, 2)}
    rates["in-memory numpy (ceiling)"] = rate_of(in_memory(), args.seconds)

    spec = yaml.safe_load((REPO / "config.yaml").read_text())["experiments"]["unet_l2"]
    torch.set_num_threads(2)
    model = build_model(spec["model"])
    optimizer = torch.optim.Adam(model.parameters())
    x = torch.randn(spec["batch_size"], 1, WINDOW)

    def steps():
        while True:
            loss = torch.mean((model(x) - x) ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            yield

    step_rate = rate_of(steps(), args.seconds)
    formats = {}
    for sample_format, compression in (("float32", "none"), ("int16", "none"),
                                       ("float32", "lzf"), ("float32", "gzip")):
        variant = [tmp / f"{sample_format}-{compression}-{i}.h5" for i in range(2)]
        for path, part in zip(variant, (ids[:3], ids[3:]), strict=True):
            shard_pieces(part, [str(tmp / f"{i}.flac") for i in part],
                     [str(tmp / f"{i}.flac") for i in part], path, WINDOW,
                         WINDOW // 2, {}, sample_format=sample_format, compression=compression)
        formats[sample_format, compression] = (
            sum(p.stat().st_size for p in variant) / 2**20,
            rate_of(endless_loader(ShardWindows(variant), 0), args.seconds))
    # The same windows in one shard and in one shard per piece: what a shard's
    # size costs the loader (each is memory-mapped; reads gather by index).
    counts = {}
    for count in (1, len(ids)):
        variant = [tmp / f"count{count}-{i}.h5" for i in range(count)]
        for path, part in zip(variant, np.array_split(ids, count), strict=True):
            shard_pieces(list(part), [str(tmp / f"{i}.flac") for i in part],
                         [str(tmp / f"{i}.flac") for i in part], path, WINDOW,
                         WINDOW // 2, {}, sample_format="int16")
        counts[count] = rate_of(endless_loader(ShardWindows(variant), 0), args.seconds)
    print(f"{len(dataset)} windows of {WINDOW} samples in 2 shards; batches of {BATCH}")
    print(f"{'source':32}{'batches/s':>12}")
    for label, value in rates.items():
        print(f"{label:32}{value:>12.1f}")
    print(f"{'training steps/s (batch ' + str(spec['batch_size']) + ')':32}{step_rate:>12.2f}")
    print(f"{'format, compression':24}{'MiB':>8}{'batches/s (0 workers)':>24}")
    for (sample_format, compression), (size, rate) in formats.items():
        print(f"{sample_format + ', ' + compression:24}{size:>8.1f}{rate:>24.1f}")
    for count, rate in counts.items():
        print(f"int16 windows in {count} shard(s), 0 workers: {rate:.1f} batches/s")
    print(f"loader (2 workers) / training step rate: "
          f"{rates['shards, 2 workers'] / step_rate:.1f}x")
    print(f"ratio {rates['shards, 2 workers'] / rates['in-memory numpy (ceiling)']:.3f}")


if __name__ == "__main__":
    main()
