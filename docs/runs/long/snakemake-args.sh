# The Snakemake arguments of the WaveNet run and its scoring, sourced by wavenet.sh,
# wavenet-score-copy.sh and baselines-score.sh: the code of the worktree pinned at
# b8e3a77 with its venv, runs/long, long.yaml's overlays and the local maestro-asap copy.
WT=/work/wt-wavenet
E=$WT/config/experiments
export PATH=/work/ci/.venv/bin:$PATH PYTHONPATH=$WT/src
ARGS=(--workflow-profile "$WT/workflow/profiles/default" --snakefile "$WT/Snakefile"
  --directory /work/main/runs/long
  --configfile "$E/reports.yaml" "$E/long.yaml" "$E/wavenet-long.yaml" "$E/reports-local.yaml"
  --config 'maestro={"path": "/work/shared/data/maestro-asap/maestro-v3.0.0-midi.zip"}'
  --replace-workflow-config)
