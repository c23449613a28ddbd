"""Write results.md's WaveNet results from the files in git.

The `long-wavenet` block (test tables and validation curve), the test-score bullet,
the goal row and the runs-table row, all from docs/runs/long/:
- wavenet-pretrained/: `pretrained/sr5-wavenet.pt` (the run's generator, step 9,250)
  scored with the DAG's commands (`wavenet-score-copy.sh wavenet-pretrained`), its
  per-piece score files and summary;
- results/scores/: the `sr_5k_10k_multi` baselines' per-piece score files;
- sr5_wavenet_long-validation.csv: the run's validation rows.
Run from /work/main with the package importable (PYTHONPATH=src). With --scores DIR
(another generator's score files), it only prints that generator's test sentences.
"""
import argparse
import pathlib
import re
import shutil
import tempfile
import textwrap

import pandas as pd

from music_enhance.evaluation.results import curves_markdown, results_markdown, update_readme
from music_enhance.training.checkpoint import read_checkpoint

DOCS = "docs/runs/long"
SCORED = f"{DOCS}/wavenet-pretrained"
BASELINE_SCORES = f"{DOCS}/results/scores"
VALIDATION = f"{DOCS}/sr5_wavenet_long-validation.csv"
CHECKPOINT = "pretrained/sr5-wavenet.pt"
COMMIT = "b8e3a77"  # the pinned worktree's code: training, enhance and score
TASK = "sr_5k_10k_multi"
BASELINES = ("input", "cubic", "linear", "sinc")
KEYS = ("snr", "lsd", "mrstft", "visqol")
HIGHER = {"snr": True, "lsd": False, "mrstft": False, "visqol": True}
NAME = {"snr": "SNR", "lsd": "LSD", "mrstft": "MR-STFT", "visqol": "ViSQOL"}
SUMMARISE = (f"music-enhance summarise {SCORED}/summary.csv "
             f"{SCORED}/scores/sr5_wavenet_long{{,@timgm}}.csv "
             f"{BASELINE_SCORES}/{TASK}.{{{','.join(BASELINES)}}}{{,@timgm}}.csv --seed 1234")


def scores(system: str, folder: str) -> pd.DataFrame:
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


def soundfont(suffix: str, folder: str) -> dict:
    """The WaveNet's test means and the 5 kHz goals on one test SoundFont."""
    mine = scores(f"sr5_wavenet_long{suffix}", folder)
    base = {m: scores(f"{TASK}.{m}{suffix}", BASELINE_SCORES).loc[mine.index]
            for m in BASELINES}
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


def block(readme: pathlib.Path) -> None:
    """The test tables and the validation curve, its bold row the checkpoint's step:
    curves_markdown names a run by its folder and reads the step beside metrics.csv."""
    with tempfile.TemporaryDirectory() as tmp:
        run = pathlib.Path(tmp, "sr5_wavenet_long")
        run.mkdir()
        shutil.copy(VALIDATION, run / "metrics.csv")
        shutil.copy(CHECKPOINT, run / "generator.pt")
        markdown = "\n\n".join([results_markdown(f"{SCORED}/summary.csv", SUMMARISE, COMMIT),
                                curves_markdown([run / "metrics.csv"])])
    update_readme(readme, markdown, "long-wavenet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", help="print the test sentences of these score files")
    args = parser.parse_args()
    p = pathlib.Path("docs/results.md")
    if args.scores:
        print(textwrap.fill(test_sentences(p.read_text(), args.scores), width=78))
        return
    block(p)
    text = p.read_text()
    validation = pd.read_csv(VALIDATION)
    last, sel = int(validation.step.max()), read_checkpoint(CHECKPOINT)["step"]
    seen, unseen = soundfont("", f"{SCORED}/scores"), soundfont("@timgm", f"{SCORED}/scores")
    bullet = f"""- **At length: the test scores.** The run's generator, step {sel:,}
  (`pretrained/sr5-wavenet.pt`), enhanced and scored on the {seen['pieces']} test pieces
  with the DAG's commands at `{COMMIT}` (`docs/runs/long/wavenet-score-copy.sh`),
  beside the baselines scored at the same commit, whose means equal the `long-sr5`
  block's; the `long-wavenet` block below holds the tables, and the U-Net figures
  are the `long-sr5` block's. {test_sentences(text, f"{SCORED}/scores")}"""
    bullet = textwrap.fill(" ".join(bullet.split()), width=78, subsequent_indent="  ",
                           break_on_hyphens=False, break_long_words=False)
    marker = "\n\n<!-- long-wavenet:start -->"
    if "- **At length: the test scores.**" in text:
        start = text.index("- **At length: the test scores.**")
        text = text[:start] + bullet + text[text.index(marker, start):]
    else:
        start = text.index(marker, text.index("- **At length: stopped"))
        text = text[:start] + "\n" + bullet + text[start:]
    text = replace_line(text, "| WaveNet at the long overlay's length",
                        f"| WaveNet at the long overlay's length (5 kHz goals; step {sel:,} "
                        f"of {last:,}, \"WaveNet\" below) | {goal_words(seen)} | "
                        f"{goal_words(unseen)} |")
    text = replace_line(text, "| `sr5_wavenet_long` (`wavenet-long.yaml`)",
                        f"| `sr5_wavenet_long` (`wavenet-long.yaml`), step {sel:,} | "
                        f"`{COMMIT}` | `long-wavenet` | copied into git: "
                        f"[docs/runs/long/wavenet-pretrained/](runs/long/wavenet-pretrained/), "
                        f"the baselines' [docs/runs/long/results/scores/]"
                        f"(runs/long/results/scores/), its validation rows "
                        f"[docs/runs/long/](runs/long/sr5_wavenet_long-validation.csv) |")
    p.write_text(text)
    print(bullet)


def replace_line(text: str, prefix: str, line: str) -> str:
    start = text.index(prefix)
    return text[:start] + line + text[text.index("\n", start):]


if __name__ == "__main__":
    main()
