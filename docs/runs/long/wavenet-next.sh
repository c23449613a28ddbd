#!/usr/bin/env bash
# The WaveNet run from where a session left it to its docs, in one command (from
# /work/main/runs/long, with the worktree /work/wt-wavenet at b8e3a77):
#   nohup bash wavenet-next.sh >> wavenet-next.log 2>&1 &
# It resumes the training from last.pt (wavenet.sh), caps it at step 12,000
# (wavenet-cap.sh) unless patience ends it first, scores the generator it ends with
# (wavenet-finish.sh), and rewrites docs/results.md's WaveNet bullets, goal row, runs row
# and long-wavenet block (wavenet_bullet.py, wavenet_final.py). It commits nothing.
set -euo pipefail
cd /work/main/runs/long
if ! pgrep -f "music-enhance train .*sr5_wavenet_long" > /dev/null; then
  bash wavenet.sh >> wavenet-b8e3a77.log 2>&1 &
  # Snakemake takes a minute or two to plan before the training starts.
  for _ in $(seq 60); do
    pgrep -f "music-enhance train .*sr5_wavenet_long" > /dev/null && break
    sleep 10
  done
fi
bash wavenet-cap.sh >> wavenet-cap.log 2>&1
while pgrep -f "snakemake .*sr5_wavenet_long/generator.pt" > /dev/null; do sleep 10; done
if [[ ! -f wavenet-capped/generator.pt ]] && ! tail -5 wavenet-b8e3a77.log | grep -q "(100%) done"; then
  echo "$(date): the training stopped before patience or the cap: not scoring" >&2; exit 1
fi
echo "$(date): training over; scoring"
bash wavenet-finish.sh >> wavenet-finish.log 2>&1
cd /work/main
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=src
python docs/runs/long/wavenet_bullet.py
python docs/runs/long/wavenet_final.py
echo "$(date): docs written; review git diff, then commit"
