#!/usr/bin/env bash
# The WaveNet long run (wavenet-long.yaml) from the worktree pinned at b8e3a77.
WT=/work/wt-wavenet
E=$WT/config/experiments
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=$WT/src
cd /work/main/runs/long
args=(--workflow-profile $WT/workflow/profiles/default --snakefile $WT/Snakefile
  --directory /work/main/runs/long --configfile $E/reports.yaml $E/long.yaml $E/wavenet-long.yaml $E/reports-local.yaml
  --config 'maestro={"path": "/work/shared/data/maestro-asap/maestro-v3.0.0-midi.zip"}'
  --replace-workflow-config --cores 2)
# A run killed at a session's end leaves Snakemake's lock behind: lift it when no
# training of this run is alive.
pgrep -f "music-enhance train .*sr5_wavenet_long" > /dev/null ||
  snakemake "${args[@]}" --unlock results/train/sr5_wavenet_long/generator.pt > /dev/null 2>&1
exec nice -n 5 snakemake "${args[@]}" "$@" results/train/sr5_wavenet_long/generator.pt
