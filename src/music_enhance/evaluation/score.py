"""The score stage: metrics per piece for one system, then a summary of all systems.

A system is an experiment (its enhanced test pieces) or a baseline (the
degraded input as is, or a classical method). Every system is scored against
the same clean target renders with the protocol of ``metrics.py``; a system's
summary is the mean, standard deviation and 95 % bootstrap confidence interval
of each metric over the test pieces. ``rtf`` is a trained system's enhancement
speed (seconds of audio per second of compute, from the JSON beside each output;
empty for baselines), so the cost of collaborative sampling sits next to its scores.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.audio import read_mono
from ..core.defaults import schema_default
from ..core.metrics import all_metrics, bootstrap_ci, visqol

METRICS = ["snr", "lsd", "lsd_high", "si_sdr", "mrstft", "visqol", "rtf"]
HIGHER_IS_BETTER = {"snr": True, "lsd": False, "lsd_high": False, "si_sdr": True,
                    "mrstft": False, "visqol": True, "rtf": True}


def score_system(system: str, task: str, pieces: list[str], estimates: list[str],
                 targets: list[str], out_csv, low_hz: float | None = None,
                 visqol_seconds: float = schema_default("score.visqol_seconds"),
                 infos: list[str] | None = None) -> pd.DataFrame:
    """Per-piece metrics; ViSQOL on the excerpts when ``visqol_seconds`` > 0, the
    real-time factor from ``infos`` (the enhancement JSONs) when given."""
    rows = []
    for index, (piece, estimate_path, target_path) in enumerate(
            zip(pieces, estimates, targets, strict=True)):
        estimate, rate = read_mono(estimate_path)
        target, target_rate = read_mono(target_path)
        if rate != target_rate or len(estimate) != len(target):
            raise ValueError(f"{estimate_path} ({len(estimate)} samples at {rate} Hz) does not "
                             f"match its target {target_path} ({len(target)} at {target_rate})")
        rows.append({"system": system, "task": task, "piece": piece,
                     **all_metrics(target, estimate, rate, low_hz),
                     "visqol": (visqol(target, estimate, rate, visqol_seconds)
                                if visqol_seconds else float("nan")),
                     "rtf": (json.loads(Path(infos[index]).read_text())["real_time_factor"]
                             if infos else float("nan"))})
    table = pd.DataFrame(rows, columns=["system", "task", "piece", *METRICS])
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_csv, index=False, float_format="%.6f")
    return table


def summarise(score_csvs: list[str], out_csv, seed: int = 0) -> pd.DataFrame:
    """One row per system: its task, piece count, and per metric the mean, standard
    deviation and bootstrap 95 % interval (columns ``<metric>``, ``<metric>_std``,
    ``<metric>_ci_low``, ``<metric>_ci_high``)."""
    scores = pd.concat([pd.read_csv(path) for path in score_csvs], ignore_index=True)
    rows = []
    for (system, task), group in scores.groupby(["system", "task"], sort=False):
        row = {"system": system, "task": task, "pieces": len(group)}
        for metric in METRICS:
            values = group[metric].to_numpy(dtype=np.float64)
            finite = values[np.isfinite(values)]
            low, high = bootstrap_ci(finite, seed)
            row.update({metric: finite.mean() if len(finite) else np.nan,
                        f"{metric}_std": finite.std(ddof=1) if len(finite) > 1 else np.nan,
                        f"{metric}_ci_low": low, f"{metric}_ci_high": high})
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary.to_csv(out_csv, index=False, float_format="%.4f")
    return summary
