"""The DAG through the SLURM profile on a real single-node SLURM cluster."""

import hashlib
import json
import os
import re
import subprocess

import pandas as pd
import pytest
from slurm_cluster import SlurmCluster, ensure_installed

from conftest import REPO, run_snakemake, tiny_config, write_config

PROFILE = str(REPO / "workflow/profiles/slurm")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = ensure_installed()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"SLURM must run in CI: {reason}")
        pytest.skip(reason)
    with SlurmCluster(tmp_path_factory.mktemp("slurm")) as running:
        yield running


def digests(root, pattern):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.glob(pattern))}


def test_dag_runs_as_slurm_jobs_and_matches_a_local_run(cluster, tmp_path):
    config = tiny_config()
    config["demo"]["pieces"] = 6  # 4 of them train pieces: one batch job renders them
    slurm_dir, local_dir = tmp_path / "slurm", tmp_path / "local"
    for workdir in (slurm_dir, local_dir):
        workdir.mkdir()
        write_config(workdir, config)
    os.environ["SLURM_CONF"] = cluster.env["SLURM_CONF"]
    try:
        # The test node has 2 CPUs and half the machine's memory: scale train down
        # (set-resources given here replaces the profile's list, so gpu=1 again).
        result = run_snakemake(slurm_dir, "--workflow-profile", PROFILE,
                               "--slurm-init-seconds-before-status-checks", "5",
                               "--seconds-between-status-checks", "5",
                               "--set-threads", "train=2", "--set-resources",
                               "train:mem_mb=2000", "train:runtime=30", "train:gpu=1")
    finally:
        del os.environ["SLURM_CONF"]
    run_snakemake(local_dir)

    # Every job was a SLURM job: one log per submitted job under the plugin's log
    # directory, and SLURM's own record of every job id it ran.
    submitted = set(re.findall(r"SLURM jobid (\d+)", result.stdout + result.stderr))
    logs = list((slurm_dir / ".snakemake/slurm_logs").rglob("*.log"))
    assert submitted and len(logs) == len(submitted)
    history = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i %T %k"],
                             capture_output=True, text=True, env=cluster.env).stdout
    records = {line.split()[0]: line.split()[1:] for line in history.splitlines()}
    assert submitted <= set(records)
    assert {records[j][0] for j in submitted} == {"COMPLETED"}
    # The plugin's job comment names the rule (or the group) each SLURM job ran.
    comments = " ".join(records[j][1] for j in submitted)
    for rule in ("download", "manifest", "render", "degrade", "shard", "train", "enhance",
                 "baseline", "score", "summarise", "report", "report_tables"):
        assert f"rule_{rule}_" in comments or f"rule_{rule} " in comments + " ", rule
    # One SLURM job per split rendered its pieces (the profile's large batches): the
    # 4 train pieces in one job; the same for degrade.
    for rule, record in (("render", "results/render/piano/16000/batches/train-0.json"),
                         ("degrade", "results/degrade/lowres/piano/16000/batches/train-0.json")):
        assert len(list((slurm_dir / ".snakemake/slurm_logs" / f"rule_{rule}").rglob(
            "*.log"))) == 3, rule
        assert len(json.loads((slurm_dir / record).read_text())) == 4, rule

    # The same bytes as the local run from every data stage, and the same scores.
    for pattern in ("results/manifest.csv", "results/render/**/*.flac",
                    "results/degrade/**/*.flac", "results/degrade/**/*.json",
                    "results/baselines/**/*.flac"):
        assert digests(slurm_dir, pattern) == digests(local_dir, pattern), pattern
    # The same scores; the real-time factor is a timing, not a score.
    summaries = [pd.read_csv(d / "results/scores/summary.csv").filter(regex="^(?!rtf)")
                 for d in (slurm_dir, local_dir)]
    pd.testing.assert_frame_equal(*summaries)

    # The train job asked for the GPU and SLURM placed it on the fake GPU.
    train_log = (slurm_dir / "results/logs/train/unet_l2.log").read_text()
    assert "CUDA_VISIBLE_DEVICES=0" in train_log
    train_jobs = [p for p in logs if "train" in str(p)]
    job_id = train_jobs[0].stem
    job = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True,
                         env=cluster.env).stdout
    assert "gres/gpu=1" in job or "gpu:1" in job
