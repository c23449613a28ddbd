#!/usr/bin/env bash
# Test scores of a copy of sr5_wavenet_long's generator, <folder>/generator.pt, with the
# enhance and score commands the DAG gives for the run's score files (`snakemake -n -p`,
# pinned worktree at b8e3a77), their outputs moved under <folder>/, then their summary
# beside the sr_5k_10k_multi baselines (baselines-score.sh). Used where the DAG cannot
# score it: while the run trained on, and after its run folder was lost, on
# pretrained/sr5-wavenet.pt copied to wavenet-pretrained/generator.pt. From
# /work/main/runs/long:
#   bash wavenet-score-copy.sh wavenet-pretrained >> wavenet-pretrained.log 2>&1
set -euo pipefail
D=${1:?usage: wavenet-score-copy.sh <folder holding generator.pt>}
[[ -f $D/generator.pt ]] || { echo "$D/generator.pt: no such file" >&2; exit 1; }
source "$(dirname "$(readlink -f "$0")")/snakemake-args.sh"
snakemake -n -p --nolock "${ARGS[@]}" --cores 2 \
  results/scores/sr5_wavenet_long.csv results/scores/sr5_wavenet_long@timgm.csv \
  | grep "^Shell command: music-enhance \(enhance\|score\) .*sr5_wavenet_long" | sed 's/^Shell command: //' \
  | sed "s#results/train/sr5_wavenet_long/generator.pt#$D/generator.pt#g; s#results/enhance/#$D/enhance/#g; s#results/scores/#$D/scores/#g; s#results/logs/#$D/logs/#g" \
  > $D/commands.sh
[[ $(grep -c "music-enhance enhance" $D/commands.sh) == 2 && $(grep -c "music-enhance score" $D/commands.sh) == 2 ]] ||
  { echo "$D/commands.sh: expected 2 enhance and 2 score commands from the DAG" >&2; exit 1; }
for s in sr5_wavenet_long sr5_wavenet_long@timgm; do
  mkdir -p $D/logs/enhance/$s $D/enhance/$s/batches
done
mkdir -p $D/logs/score $D/scores
nice -n 5 bash -euo pipefail $D/commands.sh
music-enhance summarise $D/summary.csv $D/scores/sr5_wavenet_long.csv $D/scores/sr5_wavenet_long@timgm.csv \
  results/scores/sr_5k_10k_multi.{input,cubic,linear,sinc}{,@timgm}.csv --seed 1234
echo "done: $D/summary.csv"
