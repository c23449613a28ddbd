#!/usr/bin/env bash
# The WaveNet long run (wavenet-long.yaml) from the worktree pinned at b8e3a77; it
# resumes from last.pt when runs/long holds one.
source "$(dirname "$(readlink -f "$0")")/snakemake-args.sh"
cd /work/main/runs/long
# A run killed at a session's end leaves Snakemake's lock behind: lift it when no
# training of this run is alive.
pgrep -f "music-enhance train .*sr5_wavenet_long" > /dev/null ||
  snakemake "${ARGS[@]}" --unlock results/train/sr5_wavenet_long/generator.pt > /dev/null 2>&1
exec nice -n 5 snakemake "${ARGS[@]}" --cores 2 "$@" results/train/sr5_wavenet_long/generator.pt
