"""Adversarial training, measured: the L2 U-Net, the reports' BCE U-Net GAN and the
HiFi-GAN recipe, trained on the demo's shards for the same steps and batches.

Builds the demo's shards with Snakemake in runs/bench-gan (cached), trains each
recipe there, and prints validation SNR, LSD and MR-STFT at the adversarial start
and at the end, the lowest validation SNR after the start, and the last per-term
gradient norms. Goal: the new recipe's validation SNR never falls more than 1 dB
below its value at the adversarial start, and its final LSD and MR-STFT beat the
L2 model's. Last line: ``ratio <new recipe's final validation LSD / L2 model's>``
(goal: at most 0.8); with `--only l2 wavenet`, the WaveNet's over the L2 model's.

``--only wavenet`` (not run by default: a step costs about 13 U-Net steps on this
CPU) trains the WaveNet generator at its defaults with the L2 loss, bf16 autocast,
on the same shards, batches and learning rate, to set beside the L2 U-Net; the
smoke run includes it.

    python bench/gan.py [--steps 600] [--start 200] [--ramp 0] [--only new] [--smoke]
    python bench/gan.py --steps 200 --only l2 wavenet --threads 1
"""

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from music_enhance.training.train import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny import tiny_run  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RUN = REPO / "runs" / "bench-gan"
EXPERIMENTS = yaml.safe_load((REPO / "config.yaml").read_text())["experiments"]
# The bench compares curves (metrics.csv), not selected generators: selection by the
# last step keeps ViSQOL out of validation (and bench/visqol.py, beside this script
# on sys.path, would shadow the visqol package).
COMMON = {"task": "t", "optimizer": {"lr": 0.0003}, "batch_size": 16, "validate_every": 50,
          "selection": {"metric": "last"}}
RECIPES = {
    "l2": {"model": EXPERIMENTS["unet_l2"]["model"]},
    # The reports' GAN, as the demo had it.
    "bce_gan": {"model": EXPERIMENTS["unet_l2"]["model"],
                "losses": {"l2": 1.0, "adversarial": 0.001},
                "discriminator": {"name": "bce", "channels": [16, 32, 64, 128], "lr": 1e-4}},
    # The demo's GAN (config.yaml: unet_gan): the HiFi-GAN recipe for enhancement
    # (Su et al. 2020) on the same U-Net.
    "new": {key: EXPERIMENTS["unet_gan"][key] for key in ("model", "discriminator", "losses")},
    # The HiFi-GAN paper's generator (models/wavenet.py) at its schema defaults.
    "wavenet": {"model": {"name": "wavenet"}, "precision": "bf16"},
}
DEFAULT = ["bce_gan", "l2", "new"]


def shards(run: Path, smoke: bool) -> tuple[list[Path], list[Path]]:
    """The demo's (or, smoke run, the tiny config's) training and validation shards of
    task piano_sr (built if needed)."""
    if smoke:
        run = tiny_run("shard")[0]
    else:
        run.mkdir(parents=True, exist_ok=True)
        subprocess.run([Path(sys.executable).parent / "snakemake", "--snakefile",
                        REPO / "Snakefile", "--directory", run, "--cores", "2", "--until",
                        "shard", "--quiet"], check=True)
    found = [sorted((run / "results/shards/piano_sr" / split).glob("*.h5"))
             for split in ("train", "validation")]
    return found[0], found[1]


def read_rows(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


def summary(rows: list[dict], start: int) -> dict:
    valid = [r for r in rows if r["valid_snr"]]
    at_start = max((r for r in valid if int(r["step"]) <= start), key=lambda r: int(r["step"]))
    after = [float(r["valid_snr"]) for r in valid if int(r["step"]) > start]
    grads = {k: float(v) for k, v in valid[-1].items() if k.startswith("grad_") and v}
    return {"start": at_start, "end": valid[-1], "min_snr_after": min(after),
            "grads": grads}


def lsd_ratio(result: dict, reference: dict) -> float:
    return float(result["end"]["valid_lsd"]) / float(reference["end"]["valid_lsd"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--start", type=int, default=200, help="adversarial start step")
    parser.add_argument("--ramp", type=int, default=0,
                        help="steps over which the adversarial weights rise after the start")
    parser.add_argument("--only", nargs="+", choices=sorted(RECIPES), default=DEFAULT)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=2, help="torch threads per training")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    run, common = RUN, COMMON
    if args.smoke:  # the tiny config's shards, 4 steps, a validation every 2
        run, common = Path(tempfile.mkdtemp()), {**COMMON, "validate_every": 2}
        args.steps, args.start, args.only = 4, 2, sorted(RECIPES)
    train_shards, valid_shards = shards(run, args.smoke)
    results = {}
    for name in ("l2", "new", "bce_gan", "wavenet"):  # the goal's pair first
        out = run / "train" / name
        spec = {**common, **RECIPES[name], "steps": args.steps,
                "adversarial_start": {"step": args.start, "ramp": args.ramp}}
        done = out / "spec.yaml"
        if name in args.only and not (done.exists() and yaml.safe_load(done.read_text())
                                      == spec):
            out.mkdir(parents=True, exist_ok=True)
            train(train_shards, valid_shards, out / "generator.pt", out / "metrics.csv", name,
                  spec, args.seed, threads=args.threads)
            done.write_text(yaml.safe_dump(spec))
        if (out / "metrics.csv").exists():
            results[name] = summary(read_rows(out / "metrics.csv"), args.start)
    print(f"{'recipe':8} {'at step':>8} {'SNR dB':>8} {'LSD':>7} {'MR-STFT':>8} | "
          f"{'end SNR':>8} {'LSD':>7} {'MR-STFT':>8} | {'min SNR after start':>20}")
    for name, r in results.items():
        s, e = r["start"], r["end"]
        print(f"{name:8} {s['step']:>8} {float(s['valid_snr']):8.2f} {float(s['valid_lsd']):7.3f} "
              f"{float(s['valid_mrstft']):8.3f} | {float(e['valid_snr']):8.2f} "
              f"{float(e['valid_lsd']):7.3f} {float(e['valid_mrstft']):8.3f} | "
              f"{r['min_snr_after']:20.2f}")
    for name, r in results.items():
        print(f"{name} gradient norms at the output (last validation): "
              + ", ".join(f"{k[5:]} {v:.3g}" for k, v in r["grads"].items()))
    if "new" in results and "l2" in results:
        new, l2 = results["new"], results["l2"]
        drop = float(new["start"]["valid_snr"]) - new["min_snr_after"]
        print(f"new recipe: SNR falls at most {drop:.2f} dB below its start (goal <= 1), "
              f"final MR-STFT {float(new['end']['valid_mrstft']):.3f} vs L2 "
              f"{float(l2['end']['valid_mrstft']):.3f}")
        print(f"ratio {lsd_ratio(new, l2):.3f}")
    elif "wavenet" in results and "l2" in results:  # --only l2 wavenet
        print(f"ratio {lsd_ratio(results['wavenet'], results['l2']):.3f}")


if __name__ == "__main__":
    main()
