#!/usr/bin/env bash
# maestro-asap's train and validation pieces, FluidR3_GM, room_noise at 16 kHz (main's code),
# for scripts/oracle_filters.py.
M=/work/main; E=$M/config/experiments
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=$M/src
cd $M/runs/room
targets=$(for b in train-0 train-1 train-2 train-3 train-4 train-5 train-6 train-7 validation-0; do echo results/degrade/room_noise/piano/16000/batches/$b.json; done)
exec nice -n 10 snakemake --workflow-profile $M/workflow/profiles/default --snakefile $M/Snakefile \
  --directory $M/runs/room --configfile $E/reports.yaml $E/long.yaml $E/reports-local.yaml \
  --config 'maestro={"path": "/work/shared/data/maestro-asap/maestro-v3.0.0-midi.zip"}' \
  --replace-workflow-config --cores 1 "$@" $targets
