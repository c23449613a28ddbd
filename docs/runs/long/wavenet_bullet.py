"""Rewrite results.md's WaveNet bullet from the run's metrics.csv (run from /work/main).

Once the run has been scored (runs/long/sr5-wavenet-summary.csv exists when patience
ended it, runs/long/wavenet-capped/summary.csv when wavenet-cap.sh capped it at step
12,000), it words the bullet for a finished run and leaves the long-wavenet block and the
goal row to wavenet-finish.sh and wavenet_final.py.
"""
import csv
import pathlib
import subprocess
import sys
import textwrap

import numpy as np

capped = pathlib.Path("runs/long/wavenet-capped/summary.csv").exists()
metrics = ("runs/long/wavenet-capped/metrics.csv" if capped else
           "runs/long/results/train/sr5_wavenet_long/metrics.csv")
finished = capped or pathlib.Path("runs/long/sr5-wavenet-summary.csv").exists()
rows = [r for r in csv.DictReader(open(metrics)) if r.get("valid_snr")]
v = {int(r["step"]): [float(r[k]) for k in ("valid_snr", "valid_lsd", "valid_mrstft",
                                             "valid_visqol")] for r in rows}
n = max(v)
snr, lsd, mr, vq = v[n]
snrs = ", ".join(f"{v[s][0]:.2f}" for s in sorted(v))
low = min(v, key=lambda s: v[s][0])
g = {int(r["step"]): float(r["grad_adversarial"]) for r in rows if r.get("grad_adversarial")}
l1 = {int(r["step"]): float(r["grad_l1"]) for r in rows}
# The U-Net flagship's selected step (long-sr5 block): 18.367 dB, 0.894, 0.353, 4.685.
unet = {"SNR": 18.367, "LSD": 0.894, "MR-STFT": 0.353, "ViSQOL": 4.685}
mine = {"SNR": snr, "LSD": lsd, "MR-STFT": mr, "ViSQOL": vq}
# Level: SNR within 0.05 dB, the others equal to the U-Net's three decimals.
level = [k for k in unet if (abs(mine[k] - unet[k]) < 0.05 if k == "SNR"
                             else round(mine[k], 3) == unet[k])]
ahead = [k for k in unet if k not in level
         and (mine[k] > unet[k] if k in ("SNR", "ViSQOL") else mine[k] < unet[k])]
behind = [k for k in unet if k not in level + ahead]
def words(names):
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
parts = [f"ahead on {words(ahead)}"] if ahead else []
level_scores = ", ".join(f"{mine[k]:.2f} dB" if k == "SNR" else f"{mine[k]:.3f}"
                         for k in level)
parts += [f"level on {words(level)} ({level_scores})"] if level else []
behind_scores = ", ".join(f"{mine[k]:.3f}" for k in behind)
parts += [f"behind on {words(behind)} ({behind_scores})"] if behind else []
passed = (f"at step {n:,}, against the U-Net's selected 18.37 dB, 0.894, 0.353 and 4.685, it is "
          + ", ".join(parts))
sel = max((s for s in v if s > 4000), key=lambda s: v[s][3])
stop = min(max(8000, sel + 2000), 12000)
progress = (f"It was capped at step {n:,}, the U-Net flagship's length, by "
            f"`docs/runs/long/wavenet-cap.sh`; its best validation ViSQOL was step "
            f"{sel:,}'s {v[sel][3]:.4f}, so patience would have run to step {sel + 2000:,} "
            f"at least" if capped else
            f"It trained {n:,} steps: no validation after step {sel:,}'s ViSQOL of "
            f"{v[sel][3]:.4f} passed it, so patience (8 validations) ended it at step {n:,}, "
            f"where the U-Net flagship was capped at 12,000 before patience ended it"
            if finished else
            f"It has reached step {n:,} of the 8,000 it must train at least" if n < 8000 else
            f"It has trained {n:,} steps, the 8,000 it must and more to come: "
            f"it stops at step {stop:,} "
            + (f"unless a validation ViSQOL above step {sel:,}'s {v[sel][3]:.4f} comes first, "
               f"and at step 12,000 at the latest, the U-Net flagship's length, where "
               f"`docs/runs/long/wavenet-cap.sh` caps it" if stop < 12000 else
               "(12,000, the U-Net flagship's length, where `docs/runs/long/wavenet-cap.sh` "
               "caps it)"))
after = sorted(s for s in v if s > 4000)
def trend_over_scatter(i):
    x, y = np.array(after) / 1000, np.array([v[s][i] for s in after])
    fit = np.polyfit(x, y, 1)
    return abs(fit[0]) / (y - np.polyval(fit, x)).std()
vq_lo, vq_hi = min(v[s][3] for s in after), max(v[s][3] for s in after)
noise = (f"Its validation ViSQOL has stayed within {vq_lo:.3f}-{vq_hi:.3f} since the join "
         f"while its SNR rose {v[n][0] - v[4250][0]:.2f} dB: fitted with a line over the "
         f"{len(after)} validations after the join, ViSQOL's trend per 1,000 steps is "
         f"{trend_over_scatter(3):.1f} times its scatter about the line, SNR's "
         f"{trend_over_scatter(0):.1f}, MR-STFT's {trend_over_scatter(2):.1f}, so on four "
         f"2-second excerpts the kept step, and when training stops, follow its noise "
         f"more than its trend.")
p = pathlib.Path("docs/results.md")
t = p.read_text()
interim, cells = "", ("", "")
if pathlib.Path("runs/long/wavenet-step9250/summary.csv").exists():
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from wavenet_final import goal_words, soundfont, test_sentences
    cells = tuple(f"; step 9,250's generator on the test pieces: "
                  f"{goal_words(soundfont(s, 'runs/long/wavenet-step9250/scores'))}"
                  for s in ("", "@timgm"))
    interim = ("Step 9,250's generator, copied while it was the best and scored on the test "
               "pieces while the run trained on (`docs/runs/long/wavenet-score-copy.sh`; its "
               "score files in `runs/long/wavenet-step9250/`; shipped as "
               "`pretrained/sr5-wavenet.pt`, [pretrained.md](pretrained.md)), against the "
               "U-Net flagship's test means in the `long-sr5` block. "
               + test_sentences(t, "runs/long/wavenet-step9250/scores"))
title = ("At length: capped at step 12,000." if capped else "At length: trained until patience."
         if finished else "At length, still training.")
scored = ("Its test scores are the next bullet." if finished else
          "The generator it ends with has no test scores yet, so the row stays open "
          "(step 9,250's, scored while it trains on, are at the end of this bullet)."
          if interim else "It has no test scores yet, and the row stays open.")
bold = ("the selected step, the best validation ViSQOL after the join" if finished else
        "the best validation ViSQOL after the join so far, the one selection would keep")
where = ("in the `long-wavenet` block below, after its test tables (" if finished else
         "the `long-wavenet` block below (`music-enhance results-table --section "
         "long-wavenet --readme docs/results.md --curves "
         "runs/long/results/train/sr5_wavenet_long/metrics.csv`; ")
ending = ("" if finished else "Which step the run's own selection keeps, and how it "
          "scores, is for the run to show.")
start = t.index("- **At length")
end = t.index("\n\n<!-- long-wavenet:start -->", start)
new = f"""- **{title}** `config/experiments/wavenet-long.yaml` (an
  overlay of `long.yaml`) trains the WaveNet with the 5 kHz flagship's recipe,
  only the generator swapped (a test in `tests/test_reports_config.py`
  compares the two planned specs), in `runs/long/`, from commit `b8e3a77`, on
  2 cores in bf16: 3.2-3.8 s a step on this machine with nothing else running,
  about 5 s once its discriminators train (from step 3,800). {progress}; the
  adversarial terms joined at step 4,000. {scored} Its
  validation curve is {where}its bold row is {bold}),
  beside `sr5_hifigan_long`'s in the `long-sr5` block,
  the same recipe, seed, batches and validation excerpts. At step 4,000, the
  last validation before the join: {v[4000][0]:.2f} dB, LSD {v[4000][1]:.3f},
  MR-STFT {v[4000][2]:.3f}, ViSQOL {v[4000][3]:.3f}. At step {n:,}: {snr:.2f} dB,
  LSD {lsd:.3f}, MR-STFT {mr:.3f}, ViSQOL {vq:.3f}. Per step it is ahead of the
  U-Net on LSD and MR-STFT from the first validation, and on ViSQOL at every
  later step the U-Net's curve shows (at 250, {v[250][3]:.3f} against 4.658; at 2,250: LSD
  {v[2250][1]:.3f}, MR-STFT {v[2250][2]:.3f}, ViSQOL {v[2250][3]:.3f} against the
  U-Net's 1.086, 0.433 and 4.664), and {passed}; per second of training the
  two are close (the WaveNet's LSD {v[1500][1]:.3f} at step 1,500, about 5,500 s;
  the U-Net's 0.894 at step 11,750, about 5,700 s with its discriminators).
  Its SNR fell from 18.01 dB at step 250 to {v[low][0]:.2f} at step {low:,} and
  rose again to {v[4000][0]:.2f} by the join ({snrs} dB at steps 250 to {n:,}),
  where the U-Net's held at 18.0 dB to step 1,250, fell to 17.67 by its join
  at 4,000 and rose to 18.37 at its selected step 11,750. Through the join its
  SNR did not dip ({v[4250][0]:.2f} dB at step 4,250), where the U-Net's lost
  0.27 dB (17.67 to 17.40). Its training loss
  was still falling at the join (mean 0.320 over steps 2,001 to 2,500, 0.297
  over 3,501 to 4,000), so the phase before it had not plateaued. The
  adversarial term's gradient at the output grew from {g[4250]:.2f} at step 4,250 to
  {g[n]:.2f} at step {n:,}, {g[n] / l1[n]:.1f} times the L1 term's, while its SNR rose from
  {v[4250][0]:.2f} to {snr:.2f} dB; the U-Net's grew alike (0.82 at step 4,250, 2.01 at
  6,250, 3.27 at 8,250, 8.0 times its L1 term's, 2.15 at its selected step).
  {noise} {interim} {ending}"""
new = textwrap.fill(" ".join(new.split()), width=78, subsequent_indent="  ",
                    break_on_hyphens=False, break_long_words=False)
t = t[:start] + new + t[end:]
if not finished:
    row_start = t.index("| WaveNet at the long overlay's length |")
    row_end = t.index("\n", row_start)
    t = (t[:row_start] + f"| WaveNet at the long overlay's length | training: step {n:,}; it "
         f"stops at {stop:,} at the earliest (\"WaveNet\" below){cells[0]} | "
         f"{cells[1].lstrip('; ')} |" + t[row_end:])
p.write_text(t)
if not finished:
    subprocess.run(["music-enhance", "results-table", "--curves", metrics, "--readme",
                    "docs/results.md", "--section", "long-wavenet"], check=True)
print(n, v[n])
# The validation rows, copied into docs/runs so that the curve outlives this machine.
with open("docs/runs/long/sr5_wavenet_long-validation.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
