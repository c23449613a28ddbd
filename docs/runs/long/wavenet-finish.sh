#!/usr/bin/env bash
# After sr5_wavenet_long has finished training (generator.pt written, its Snakemake
# exited): score it and the sr_5k_10k_multi baselines, seen and @timgm, with the pinned
# worktree's code (b8e3a77), then write the long-wavenet block of docs/results.md from
# the summary and the run's metrics.csv with /work/main's results-table.
# Log with: >> /work/main/runs/long/wavenet-finish.log 2>&1
set -euo pipefail
if pgrep -f "music-enhance train .*sr5_wavenet_long" > /dev/null; then
  echo "sr5_wavenet_long is still training: wait for it to end" >&2; exit 1
fi
bash /work/main/runs/long/wavenet-score.sh
cd /work/main
PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=src music-enhance results-table \
  runs/long/sr5-wavenet-summary.csv --readme docs/results.md --section long-wavenet \
  --commit b8e3a77 \
  --command "music-enhance summarise runs/long/sr5-wavenet-summary.csv runs/long/results/scores/{sr5_wavenet_long,sr_5k_10k_multi.{input,cubic,linear,sinc}}{,@timgm}.csv (runs/long/wavenet-score.sh)" \
  --curves runs/long/results/train/sr5_wavenet_long/metrics.csv
echo "written: the long-wavenet block of docs/results.md; now the bullet, the goal row and the runs table by hand"
