#!/usr/bin/env bash
# oracle_filters.py --fit-to: the shipped room denoiser's output for the first 60 s of each
# validation piece, and per-piece filters fitted to it (commit in the output's name).
set -euo pipefail
C=$(git -C /work/main rev-parse --short HEAD)
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=/work/main/src OMP_NUM_THREADS=1
cd /work/main/runs/room/fit-to
R=../results
mkdir -p x z
for p in $(cat /work/main/runs/validation-pieces.txt); do
  sox $R/degrade/room_noise/piano/16000/$p.flac x/$p.flac trim 0 60
done
nice -n 10 music-enhance enhance --checkpoint /work/main/pretrained/denoise.pt --threads 1 \
  --inputs x/*.flac --outputs $(for f in x/*.flac; do echo z/${f#x/}; done)
nice -n 10 python /work/main/scripts/oracle_filters.py x $R/render/piano/16000 \
  $(cat /work/main/runs/validation-pieces.txt) --taps 1 5 16 32 --fit-to z > oracle-filters-fit-to-$C.txt
