#!/usr/bin/env bash
# Cap sr5_wavenet_long at step 12,000, the U-Net flagship's length (sr5_hifigan_long was
# capped there): once metrics.csv holds step 12,000's validation, copy the run's generator.pt
# (the best validation ViSQOL so far), metrics.csv and last.pt to wavenet-capped/, then
# SIGKILL its Snakemake (so that it cannot delete the job's outputs) and the training.
# If patience ends the run first, Snakemake exits by itself and this script only waits.
# Run from /work/main/runs/long:  nohup bash wavenet-cap.sh >> wavenet-cap.log 2>&1 &
set -euo pipefail
T=results/train/sr5_wavenet_long
validated() {
  [[ -f $T/metrics.csv ]] && /work/ci/.venv/bin/python - "$T/metrics.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get("valid_snr")]
sys.exit(0 if rows and int(rows[-1]["step"]) >= 12000 else 1)
PY
}
while pgrep -f "music-enhance train .*sr5_wavenet_long" > /dev/null; do
  if validated; then
    sleep 60  # let that validation write generator.pt and last.pt too
    mkdir -p wavenet-capped
    cp $T/generator.pt $T/metrics.csv $T/last.pt wavenet-capped/
    pkill -9 -f "snakemake .*sr5_wavenet_long/generator.pt" || true
    pkill -f "music-enhance train .*sr5_wavenet_long" || true
    echo "$(date): capped at step 12,000; copies in runs/long/wavenet-capped/"
    exit 0
  fi
  sleep 30
done
echo "$(date): the training is not running (ended, or not started)"
