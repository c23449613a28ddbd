#!/usr/bin/env bash
# room-fixed.yaml from the worktree pinned at c70f2d8.
WT=/work/wt-fixed; E=$WT/config/experiments
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=$WT/src
cd /work/main/runs/room-fixed
exec snakemake --workflow-profile $WT/workflow/profiles/default --snakefile $WT/Snakefile \
  --directory /work/main/runs/room-fixed --configfile $E/reports.yaml $E/long.yaml $E/room-fixed.yaml $E/reports-local.yaml \
  --config 'maestro={"path": "/work/shared/data/maestro-asap/maestro-v3.0.0-midi.zip"}' \
  --replace-workflow-config --cores 2 "$@" results/train/denoise_specunet_fixed/generator.pt results/degrade/room_fixed/piano/16000/batches/validation-0.json
