"""The score stage: SNR and LSD per piece for one system, then a summary of all systems.

A system is an experiment (its enhanced test pieces) or a baseline (the
degraded input of a task, as is). Every system is scored against the same
clean target renders.
"""

from pathlib import Path

import pandas as pd

from .audio import read_mono
from .metrics import lsd, snr


def score_system(system: str, task: str, pieces: list[str], estimates: list[str],
                 targets: list[str], out_csv) -> pd.DataFrame:
    rows = []
    for piece, estimate_path, target_path in zip(pieces, estimates, targets, strict=True):
        estimate, rate = read_mono(estimate_path)
        target, target_rate = read_mono(target_path)
        if rate != target_rate or len(estimate) != len(target):
            raise ValueError(f"{estimate_path} ({len(estimate)} samples at {rate} Hz) does not "
                             f"match its target {target_path} ({len(target)} at {target_rate})")
        rows.append({"system": system, "task": task, "piece": piece,
                     "snr": snr(target, estimate), "lsd": lsd(target, estimate)})
    table = pd.DataFrame(rows, columns=["system", "task", "piece", "snr", "lsd"])
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_csv, index=False, float_format="%.6f")
    return table


def summarise(score_csvs: list[str], out_csv) -> pd.DataFrame:
    """One row per system: its task, piece count, and mean SNR and LSD."""
    scores = pd.concat([pd.read_csv(path) for path in score_csvs], ignore_index=True)
    summary = (scores.groupby(["system", "task"], sort=False)
               .agg(pieces=("piece", "count"), snr=("snr", "mean"), lsd=("lsd", "mean"))
               .reset_index())
    summary.to_csv(out_csv, index=False, float_format="%.4f")
    return summary
