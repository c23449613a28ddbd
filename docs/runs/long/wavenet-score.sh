#!/usr/bin/env bash
# After sr5_wavenet_long has finished training: its test scores (seen and @timgm) beside the
# sr_5k_10k_multi baselines, in runs/long, with the pinned worktree's code (b8e3a77), then
# their summary. Run from anywhere; log with: >> runs/long/wavenet-score.log 2>&1
set -euo pipefail
WT=/work/wt-wavenet
E=$WT/config/experiments
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=$WT/src
cd /work/main/runs/long
S=results/scores
files=()
for sys in sr5_wavenet_long sr_5k_10k_multi.input sr_5k_10k_multi.cubic sr_5k_10k_multi.linear sr_5k_10k_multi.sinc; do
  files+=("$S/$sys.csv" "$S/$sys@timgm.csv")
done
nice -n 5 snakemake --workflow-profile $WT/workflow/profiles/default --snakefile $WT/Snakefile \
  --directory /work/main/runs/long --configfile $E/reports.yaml $E/long.yaml $E/wavenet-long.yaml $E/reports-local.yaml \
  --config 'maestro={"path": "/work/shared/data/maestro-asap/maestro-v3.0.0-midi.zip"}' \
  --replace-workflow-config --cores 2 "$@" "${files[@]}"
music-enhance summarise sr5-wavenet-summary.csv "${files[@]}" --seed 1234
echo "summary: runs/long/sr5-wavenet-summary.csv"
