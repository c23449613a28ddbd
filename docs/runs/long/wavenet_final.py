"""Rewrite results.md's WaveNet bullet, goal row and runs-table row for the finished run.

Run from /work/main after runs/long/wavenet-finish.sh (which writes the test tables
into the long-wavenet block) and wavenet_bullet.py (which copies the validation rows
into docs/runs/long/). Every figure comes from the run's metrics.csv and its
per-piece score files; the U-Net's test means are read from the long-sr5 block.
With --scores DIR (another generator's score files), it only prints that generator's
test sentences and changes nothing.
"""
import argparse
import csv
import pathlib
import re
import textwrap

import pandas as pd

from music_enhance.evaluation.report import selected_step

RUN = "runs/long/results"
CAPPED = "runs/long/wavenet-capped"  # wavenet-cap.sh's copies, when it capped the run
TASK = "sr_5k_10k_multi"
BASELINES = ("input", "cubic", "linear", "sinc")
KEYS = ("snr", "lsd", "mrstft", "visqol")
HIGHER = {"snr": True, "lsd": False, "mrstft": False, "visqol": True}
NAME = {"snr": "SNR", "lsd": "LSD", "mrstft": "MR-STFT", "visqol": "ViSQOL"}


def scores(system: str, folder: str = f"{RUN}/scores") -> pd.DataFrame:
    return pd.read_csv(f"{folder}/{system}.csv").set_index("piece")


def unet_means(text: str, suffix: str) -> dict[str, float]:
    """The U-Net flagship's test means, from the long-sr5 block's table."""
    block = text[text.index("<!-- long-sr5:start -->"):text.index("<!-- long-sr5:end -->")]
    row = next(line for line in block.splitlines()
               if line.startswith(f"| sr5_hifigan_long{suffix} |"))
    cells = [float(re.sub(r"[*\[].*", "", c.strip("* ")) or "nan")
             for c in row.split("|")[2:8]]
    return dict(zip(("snr", "lsd", "lsd_high", "mrstft", "visqol", "rtf"), cells, strict=True))


def fmt(key: str, value: float) -> str:
    return f"{value:.2f} dB" if key == "snr" else f"{value:.4f}" if key == "visqol" \
        else f"{value:.3f}"


def better(key: str, a: float, b: float) -> bool:
    return a > b if HIGHER[key] else a < b


def soundfont(suffix: str, folder: str = f"{RUN}/scores") -> dict:
    """The WaveNet's test means and the 5 kHz goals on one test SoundFont."""
    mine = scores(f"sr5_wavenet_long{suffix}", folder)
    base = {m: scores(f"{TASK}.{m}{suffix}").loc[mine.index] for m in BASELINES}
    means = {k: mine[k].mean() for k in (*KEYS, "lsd_high", "rtf")}
    goals = {}
    for k in ("lsd", "mrstft", "visqol"):
        best = (max if HIGHER[k] else min)(base, key=lambda m, k=k: base[m][k].mean())
        per_piece = pd.concat([b[k] for b in base.values()], axis=1)
        mark = per_piece.max(axis=1) if HIGHER[k] else per_piece.min(axis=1)
        wins = int((mine[k] > mark).sum() if HIGHER[k] else (mine[k] < mark).sum())
        goals[k] = (better(k, means[k], base[best][k].mean()), best, base[best][k].mean(),
                    wins)
    margin = mine.snr - base["input"].snr
    goals["snr"] = (margin.mean() >= -0.5, "input", base["input"].snr.mean(),
                    int((margin >= -0.5).sum()))
    return {"means": means, "goals": goals, "pieces": len(mine), "margin": margin.mean()}


def goal_words(result: dict) -> str:
    """'met' or what is missed, as the goal table words it."""
    missed = []
    for k in ("lsd", "mrstft", "visqol"):
        ok, best, value, wins = result["goals"][k]
        if not ok:
            missed.append(f"loses {NAME[k]} to {best} ({fmt(k, result['means'][k])} against "
                          f"{fmt(k, value)}; better on {wins} of {result['pieces']} pieces)")
    if not result["goals"]["snr"][0]:
        missed.append(f"SNR missed by {-0.5 - result['margin']:.2f} dB")
    margin = f"SNR {result['margin']:+.2f} dB against the input's"
    return ("met (" + margin + ")") if not missed else "; ".join(missed) + f" ({margin})"


def against_unet(result: dict, unet: dict) -> str:
    ahead = [NAME[k] for k in KEYS if better(k, round(result["means"][k], 2), unet[k])]
    behind = [NAME[k] for k in KEYS if better(k, unet[k], round(result["means"][k], 2))]
    level = [NAME[k] for k in KEYS if NAME[k] not in ahead + behind]
    parts = [f"ahead of the U-Net on {', '.join(ahead)}"] if ahead else []
    parts += [f"behind it on {', '.join(behind)}"] if behind else []
    parts += [f"level on {', '.join(level)} (to two decimals)"] if level else []
    return "; ".join(parts)


def table(result: dict, unet: dict) -> str:
    m = result["means"]
    cells = ", ".join(f"{NAME[k]} {fmt(k, m[k])} (U-Net {unet[k]:.2f})" for k in KEYS)
    counts = ", ".join(f"{NAME[k]} on {result['goals'][k][3]}" for k in ("lsd", "mrstft",
                                                                         "visqol"))
    return (f"{cells}, enhancing at {m['rtf']:.1f} times real time on 2 cores (U-Net "
            f"{unet['rtf']:.1f}); it beats every baseline per piece on {counts} of "
            f"{result['pieces']} pieces, and its SNR is at least the input's less 0.5 dB on "
            f"{result['goals']['snr'][3]}")


def test_sentences(text: str, folder: str) -> str:
    seen, unseen = soundfont("", folder), soundfont("@timgm", folder)
    unet_seen, unet_unseen = unet_means(text, ""), unet_means(text, "@timgm")
    return (f"Seen (FluidR3_GM): {table(seen, unet_seen)}; {against_unet(seen, unet_seen)}. "
            f"Unseen (TimGM6mb): {table(unseen, unet_unseen)}; "
            f"{against_unet(unseen, unet_unseen)}. The 5 kHz goals, seen: "
            f"{goal_words(seen)}; unseen: {goal_words(unseen)}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", help="print the test sentences of these score files")
    args = parser.parse_args()
    if args.scores:
        print(textwrap.fill(test_sentences(pathlib.Path("docs/results.md").read_text(),
                                           args.scores), width=78))
        return
    capped = pathlib.Path(f"{CAPPED}/summary.csv").exists()
    metrics = f"{CAPPED}/metrics.csv" if capped else f"{RUN}/train/sr5_wavenet_long/metrics.csv"
    folder = f"{CAPPED}/scores" if capped else f"{RUN}/scores"
    summary = f"{CAPPED}/summary.csv" if capped else "runs/long/sr5-wavenet-summary.csv"
    how = ("the DAG's commands on wavenet-cap.sh's copy of it (`docs/runs/long/"
           "wavenet-score-copy.sh wavenet-capped`)" if capped else
           "the DAG's jobs (`runs/long/wavenet-score.sh`)")
    rows = [r for r in csv.DictReader(open(metrics)) if r.get("valid_snr")]
    v = {int(r["step"]): [float(r[f"valid_{k}"]) for k in KEYS] for r in rows}
    last, sel = max(v), selected_step(metrics)
    p = pathlib.Path("docs/results.md")
    text = p.read_text()
    seen, unseen = soundfont("", folder), soundfont("@timgm", folder)
    seen_goal, unseen_goal = goal_words(seen), goal_words(unseen)
    bullet = f"""- **At length: the test scores.** The generator of step {sel:,}
  (`generator.pt`), enhanced and scored on the {seen['pieces']} test pieces by {how},
  beside the baselines scored at `b8e3a77`, whose
  means equal the `long-sr5` block's; the `long-wavenet` block below holds the
  tables, and the U-Net figures are the `long-sr5` block's.
  {test_sentences(text, folder)}"""
    bullet = textwrap.fill(" ".join(bullet.split()), width=78, subsequent_indent="  ",
                           break_on_hyphens=False, break_long_words=False)
    block = "\n\n<!-- long-wavenet:start -->"
    if "- **At length: the test scores.**" in text:
        start = text.index("- **At length: the test scores.**")
        text = text[:start] + bullet + text[text.index(block, start):]
    else:
        start = text.index(block, text.index("- **At length: "))
        text = text[:start] + "\n" + bullet + text[start:]
    text = once(text, "(the two blocks of curves alone, `room-fixed` and `long-wavenet`, have\n"
                "their command in the text before them)",
                "(the block of curves alone, `room-fixed`, has\nits command in the text before it)")
    text = once(text, "is training at the long overlay's\nlength (the last bullet below)",
                "was trained at the long overlay's\nlength (the last two bullets below)")
    text = replace_line(text, "| WaveNet at the long overlay's length",
                        f"| WaveNet at the long overlay's length (5 kHz goals; step {sel:,} "
                        f"of {last:,}, \"WaveNet\" below) | {seen_goal} | {unseen_goal} |")
    text = replace_line(text, "| `sr5_wavenet_long` (`wavenet-long.yaml`)",
                        f"| `sr5_wavenet_long` (`wavenet-long.yaml`), step {sel:,} | `b8e3a77` "
                        f"| `long-wavenet` | `{folder}/sr5_wavenet_long*`, "
                        f"`{summary}`, `runs/long/results/scores/"
                        "sr_5k_10k_multi.*` (its validation rows: [docs/runs/long/]"
                        "(runs/long/sr5_wavenet_long-validation.csv)) |")
    p.write_text(text)
    print(bullet)


def once(text: str, old: str, new: str) -> str:
    """Replace old by new, which must be there once (or already replaced)."""
    if new in text:
        return text
    if text.count(old) != 1:
        raise SystemExit(f"docs/results.md: {old!r} is not there once")
    return text.replace(old, new)


def replace_line(text: str, prefix: str, line: str) -> str:
    start = text.index(prefix)
    return text[:start] + line + text[text.index("\n", start):]


if __name__ == "__main__":
    main()
