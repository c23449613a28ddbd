"""Collaborative sampling on a trained GAN: step sizes, scores and time.

For a trained experiment with a discriminator (default: the demo's unet_gan),
takes up to 64 validation windows and, for the plain generator and for
collaborative sampling with each step size, prints the discriminator's mean
score, the SNR against the targets and the seconds per window. Last line:
``ratio <seconds with collaborative sampling (the config's step size) / plain>``.

    python bench/collab.py [--experiment unet_gan] [--results results] [--eta 1.0] [--smoke]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from music_enhance.data.loader import ShardWindows
from music_enhance.training.checkpoint import load_discriminator, load_generator
from music_enhance.training.collab import CollaborativeSampler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny import tiny_run  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def snr(estimate: torch.Tensor, target: torch.Tensor) -> float:
    return float(10 * torch.log10(target.pow(2).sum() / (target - estimate).pow(2).sum()))


def tiny_gan(config_path) -> dict:
    """The config's unet_gan shrunk to the tiny config: a 2-level U-Net, 4 steps."""
    spec = yaml.safe_load(Path(config_path).read_text())["experiments"]["unet_gan"]
    spec["model"].update(channels=[4, 8], kernels=[9, 9])
    for block in spec["discriminator"]:
        block["channels"] = [4, 8]
    spec.update(steps=4, validate_every=2, batch_size=8,
                adversarial_start={"step": 2, "warmup": 1})
    spec["collab"]["layer"] = 0
    return spec


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="unet_gan")
    parser.add_argument("--results", default="results", help="the run's results folder")
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    parser.add_argument("--eta", type=float, help="instead of the config's (1.0 with a "
                        "probability: every window takes max_iters steps)")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny GAN trained for 4 steps on the tiny config: checks "
                             "that the bench runs (tests/test_bench.py)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.smoke:
        folder, config = tiny_run("train", {args.experiment: tiny_gan(args.config)})
        args.results, spec = folder / "results", config["experiments"][args.experiment]
    else:
        spec = yaml.safe_load(Path(args.config).read_text())["experiments"][args.experiment]
    results = Path(args.results)
    checkpoint_path = results / "train" / args.experiment / "generator.pt"
    generator, checkpoint = load_generator(checkpoint_path)
    discriminator = load_discriminator(checkpoint_path, checkpoint)
    shards = sorted((results / "shards" / spec["task"] / "validation").glob("*.h5"))
    windows = ShardWindows(shards)
    pick = np.unique(np.linspace(0, len(windows) - 1, min(64, len(windows))).astype(int))
    x, y, _ = windows.__getitems__(pick)
    collab = {**spec["collab"], **({"eta": args.eta} if args.eta is not None else {})}
    rows = []
    for step_size in [None, *sorted({collab["step_size"] / 10, collab["step_size"],
                                     collab["step_size"] * 10})]:
        sampler = CollaborativeSampler(generator, discriminator, collab["layer"],
                                       step_size or 0.0, collab["eta"],
                                       0 if step_size is None else collab["max_iters"])
        start = time.perf_counter()
        with torch.no_grad():
            out = torch.cat([sampler(x[i:i + 16]) for i in range(0, len(x), 16)])
        seconds = (time.perf_counter() - start) / len(x)
        score = sampler.score(out, x).mean().item()
        rows.append(("plain" if step_size is None else f"step {step_size:g}", score,
                     snr(out, y), seconds, np.mean(sampler.iterations)))
    print(f"{args.experiment}: {len(x)} validation windows, layer {collab['layer']}, "
          f"eta {collab['eta']}, max_iters {collab['max_iters']}")
    print(f"{'generator':16}{'D score':>10}{'SNR (dB)':>10}{'ms/window':>11}{'steps':>7}")
    for label, score, value, seconds, steps in rows:
        print(f"{label:16}{score:>10.3f}{value:>10.2f}{seconds * 1e3:>11.2f}{steps:>7.1f}")
    chosen = next(r for r in rows if r[0] == f"step {collab['step_size']:g}")
    print(f"ratio {chosen[3] / rows[0][3]:.2f}")


if __name__ == "__main__":
    main()
