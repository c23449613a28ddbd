#!/usr/bin/env bash
# scripts/oracle_filters.py --nearest N on the room build (commit of /work/main at the time).
N=$1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=/work/main/src
cd /work/main/runs/room
exec nice -n 5 /work/ci/.venv/bin/python /work/main/scripts/oracle_filters.py \
  results/degrade/room_noise/piano/16000 results/render/piano/16000 \
  $(cat ../validation-pieces.txt) --taps 1 5 16 --fit-on $(cat ../train-pieces.txt) --nearest $N
