#!/usr/bin/env bash
# After sr5_wavenet_long has finished training: score it, seen and @timgm, with the pinned
# worktree's code (b8e3a77), then write the long-wavenet block of docs/results.md from
# the summary and the run's metrics.csv with /work/main's results-table.
# - Ended by patience (its Snakemake exited by itself): the DAG's jobs, wavenet-score.sh.
# - Capped by wavenet-cap.sh (runs/long/wavenet-capped/ holds its copies): the DAG's
#   commands on that copy, wavenet-score-copy.sh.
# Log with: >> /work/main/runs/long/wavenet-finish.log 2>&1
set -euo pipefail
if pgrep -f "music-enhance train .*sr5_wavenet_long" > /dev/null; then
  echo "sr5_wavenet_long is still training: wait for it to end" >&2; exit 1
fi
L=/work/main/runs/long
S=runs/long/results/scores
if [[ -f $L/wavenet-capped/generator.pt ]]; then
  (cd $L && bash wavenet-score-copy.sh wavenet-capped)
  summary=runs/long/wavenet-capped/summary.csv
  metrics=runs/long/wavenet-capped/metrics.csv
  scores="runs/long/wavenet-capped/scores/sr5_wavenet_long{,@timgm}.csv $S/sr_5k_10k_multi.{input,cubic,linear,sinc}{,@timgm}.csv (runs/long/wavenet-score-copy.sh wavenet-capped)"
else
  bash $L/wavenet-score.sh
  summary=runs/long/sr5-wavenet-summary.csv
  metrics=runs/long/results/train/sr5_wavenet_long/metrics.csv
  scores="$S/{sr5_wavenet_long,sr_5k_10k_multi.{input,cubic,linear,sinc}}{,@timgm}.csv (runs/long/wavenet-score.sh)"
fi
cd /work/main
PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=src music-enhance results-table \
  $summary --readme docs/results.md --section long-wavenet --commit b8e3a77 \
  --command "music-enhance summarise $summary $scores" --curves $metrics
echo "written: the long-wavenet block of docs/results.md; now wavenet_bullet.py, then wavenet_final.py"
