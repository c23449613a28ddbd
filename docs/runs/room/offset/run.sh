#!/usr/bin/env bash
# oracle_filters.py --in-room --room-offset: the 16-tap in-room filter (fitted on 5 train
# pieces put through each validation piece's recorded chain) with that room moved.
# Arguments: offsets as "R S" (reverberance, room scale), one run each.
set -euo pipefail
C=$(git -C /work/main rev-parse --short HEAD)
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=/work/main/src OMP_NUM_THREADS=1
cd /work/main/runs/room
for offset in "$@"; do
  read -r r s <<< "$offset"
  out=offset/offset-$r-$s-$C.txt
  python /work/main/scripts/oracle_filters.py results/degrade/room_noise/piano/16000 \
    results/render/piano/16000 $(cat ../validation-pieces.txt) --taps 16 \
    --fit-on $(cat offset/fit5.txt) --in-room --room-offset $r $s > $out
  echo "$(date +%T) $offset: $(tail -1 $out)"
done
