#!/usr/bin/env bash
# The sr_5k_10k_multi baselines' test scores (seen and @timgm) in runs/long with the
# pinned worktree's code (b8e3a77); this DAG has no train job. Extra arguments go to
# Snakemake (-n, --cores 1 beside a training, --nolock).
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/snakemake-args.sh"
cd /work/main/runs/long
files=()
for sys in sr_5k_10k_multi.{input,cubic,linear,sinc}; do
  files+=("results/scores/$sys.csv" "results/scores/$sys@timgm.csv")
done
nice -n 15 snakemake "${ARGS[@]}" --cores 2 "$@" "${files[@]}"
