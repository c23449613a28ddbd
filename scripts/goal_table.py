"""The unseen-SoundFont goal of a run's experiments, as a Markdown table.

For each experiment, from its per-piece scores (``<scores>/<experiment><suffix>.csv``),
the mean SNR, LSD and ViSQOL and on how many pieces each meets the goal's mark:
SNR at least the degraded input's minus ``--margin`` dB, LSD and ViSQOL better
than every baseline of the task (the rows ``<task>.<method><suffix>``). A bold
mean meets the mark. The 5 kHz sweep table of docs/results.md comes from

    python scripts/goal_table.py --scores runs/reports/results/scores \\
        --task sr_5k_10k_multi --suffix @timgm sr5_hifigan_multi sr5_replicate_l1x3 ...
"""

import argparse
from pathlib import Path

import pandas as pd

from music_enhance.evaluation.baselines import UPSAMPLERS

# Every baseline the pipeline has; a task's score folder holds those that fit it.
BASELINES = (*UPSAMPLERS, "wiener")


def scores(folder: Path, system: str) -> pd.DataFrame:
    path = folder / f"{system}.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: no such score file")
    return pd.read_csv(path).set_index("piece")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="+")
    parser.add_argument("--scores", type=Path, default=Path("results/scores"))
    parser.add_argument("--task", required=True, help="the baselines' task")
    parser.add_argument("--suffix", default="", help="the test SoundFont, e.g. @timgm")
    parser.add_argument("--margin", type=float, default=0.5)
    args = parser.parse_args()
    source = scores(args.scores, f"{args.task}.input{args.suffix}")
    baselines = {m: scores(args.scores, f"{args.task}.{m}{args.suffix}") for m in BASELINES
                 if (args.scores / f"{args.task}.{m}{args.suffix}.csv").is_file()}
    # Per piece, the mark to meet: the input's SNR less the margin, the best baseline.
    mark = pd.DataFrame({
        "snr": source.snr - args.margin,
        "lsd": pd.concat([b.lsd for b in baselines.values()], axis=1).min(axis=1),
        "visqol": pd.concat([b.visqol for b in baselines.values()], axis=1).max(axis=1)})
    mean_mark = {"snr": source.snr.mean() - args.margin,
                 "lsd": min(b.lsd.mean() for b in baselines.values()),
                 "visqol": max(b.visqol.mean() for b in baselines.values())}
    print(f"| experiment{args.suffix} | SNR (dB) | LSD | ViSQOL | pieces meeting SNR / LSD "
          f"/ ViSQOL |")
    print("| --- | --- | --- | --- | --- |")
    for experiment in args.experiments:
        table = scores(args.scores, experiment + args.suffix).loc[mark.index]
        meets = {"snr": table.snr >= mark.snr, "lsd": table.lsd < mark.lsd,
                 "visqol": table.visqol > mark.visqol}
        good = {"snr": table.snr.mean() >= mean_mark["snr"],
                "lsd": table.lsd.mean() < mean_mark["lsd"],
                "visqol": table.visqol.mean() > mean_mark["visqol"]}
        cells = [f"{table[k].mean():.{d}f}" for k, d in (("snr", 2), ("lsd", 2), ("visqol", 3))]
        cells = [f"**{c}**" if good[k] else c for c, k in zip(cells, good, strict=True)]
        counts = " / ".join(str(int(meets[k].sum())) for k in ("snr", "lsd", "visqol"))
        print(f"| `{experiment}` | {' | '.join(cells)} | {counts} of {len(table)} |")
    named = ", ".join(f"{m} {b.lsd.mean():.2f} / {b.visqol.mean():.3f}"
                      for m, b in baselines.items())
    print(f"\nMark: SNR {mean_mark['snr']:.2f} dB (the input's {source.snr.mean():.2f} less "
          f"{args.margin:g}); baselines' LSD / ViSQOL: {named}.")


if __name__ == "__main__":
    main()
