#!/usr/bin/env bash
# The sr_5k_10k_multi baselines' test scores (seen and @timgm) in runs/long with the
# pinned worktree's code (b8e3a77), beside the running WaveNet training (--nolock: its
# Snakemake holds the lock; this DAG has no train job). One core, niced.
set -euo pipefail
WT=/work/wt-wavenet; E=$WT/config/experiments
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=$WT/src
cd /work/main/runs/long
files=()
for sys in sr_5k_10k_multi.input sr_5k_10k_multi.cubic sr_5k_10k_multi.linear sr_5k_10k_multi.sinc; do
  files+=("results/scores/$sys.csv" "results/scores/$sys@timgm.csv")
done
nice -n 15 snakemake --workflow-profile $WT/workflow/profiles/default --snakefile $WT/Snakefile \
  --directory /work/main/runs/long --configfile $E/reports.yaml $E/long.yaml $E/wavenet-long.yaml $E/reports-local.yaml \
  --config 'maestro={"path": "/work/shared/data/maestro-asap/maestro-v3.0.0-midi.zip"}' \
  --replace-workflow-config --cores 1 --nolock "$@" "${files[@]}"
