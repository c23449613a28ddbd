"""The DAG through the SLURM profile on a real single-node SLURM cluster."""

import hashlib
import json
import os
import re
import subprocess

import pandas as pd
import pytest
from slurm_cluster import SlurmCluster, ensure_installed

from conftest import BIN, REPO, run_snakemake, tiny_config, write_config

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
    # The test node has 2 CPUs; every generator counts as GPU-sized, so train and
    # enhance ask for the node's (fake) GPU.
    config["cluster"] = {"threads": {"train": 2, "enhance": 2}, "gpu_parameters": 0}
    slurm_dir, local_dir = tmp_path / "slurm", tmp_path / "local"
    for workdir in (slurm_dir, local_dir):
        workdir.mkdir()
        write_config(workdir, config)
    os.environ["SLURM_CONF"] = cluster.env["SLURM_CONF"]
    try:
        result = run_snakemake(slurm_dir, "--workflow-profile", PROFILE,
                               "--slurm-init-seconds-before-status-checks", "5",
                               "--seconds-between-status-checks", "5")
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

    # The train and enhance jobs asked for the GPU (the plugin's --gpus), with the
    # rule's 2 threads as CPUs, and SLURM placed them on the fake GPU.
    train_log = (slurm_dir / "results/logs/train/unet_l2.log").read_text()
    assert "CUDA_VISIBLE_DEVICES=0" in train_log
    for rule in ("train", "enhance"):
        job_ids = [p.stem for p in logs if f"rule_{rule}/" in p.as_posix()]
        assert job_ids, rule
        for job_id in job_ids:
            job = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True,
                                 text=True, env=cluster.env).stdout
            assert "gres/gpu=1" in job or "gpu:1" in job, job
            assert re.search(r"NumCPUs=2\b", job), job


def test_a_job_over_its_time_limit_is_resubmitted_with_more_and_succeeds(cluster, tmp_path):
    """The first attempt of the train job is held past its 1-minute limit (a slow
    node: the command waits before it starts); SLURM kills it, Snakemake submits it
    again with 3 times the runtime, and that attempt trains and finishes."""
    config = tiny_config()
    # Sized as the SLURM profile sizes it, so the local run plans the same jobs.
    config.update(pieces_per_job=500, shard={"shards_per_job": 64})
    config["cluster"] = {"threads": {"train": 2}, "min_runtime": 1, "margin": 1,
                         "escalation": 3, "min_mem_mb": 1000}
    write_config(tmp_path, config)
    run_snakemake(tmp_path, "--until", "shard")  # the inputs, locally
    slow = tmp_path / "slow-node"
    slow.mkdir()
    marker = tmp_path / "first-attempt"
    (slow / "music-enhance").write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = train ] && [ ! -e {marker} ]; then touch {marker}; sleep 600; fi\n"
        f'exec {BIN / "music-enhance"} "$@"\n')
    (slow / "music-enhance").chmod(0o755)
    os.environ["SLURM_CONF"] = cluster.env["SLURM_CONF"]
    try:
        result = run_snakemake(tmp_path, "--workflow-profile", PROFILE,
                               "--slurm-init-seconds-before-status-checks", "5",
                               "--seconds-between-status-checks", "5",
                               "results/train/unet_l2/generator.pt", path=slow)
    finally:
        del os.environ["SLURM_CONF"]
    assert (tmp_path / "results/train/unet_l2/generator.pt").is_file() and marker.exists()
    submitted = re.findall(r"SLURM jobid (\d+)", result.stdout + result.stderr)
    # SLURM's completion records (sacct -c) of both attempts: the first timed out
    # under a 1-minute limit, the second finished under 3 minutes.
    records = subprocess.run(
        ["sacct", "-c", "-n", "-P", "-j", ",".join(submitted), "-o", "jobid,state,timelimit"],
        capture_output=True, text=True, env=cluster.env, check=True).stdout
    states = {line.split("|")[0]: line.split("|")[1:] for line in records.splitlines()}
    assert len(submitted) == 2, (submitted, records)
    first, second = (states[job_id] for job_id in submitted)
    assert first[0] == "TIMEOUT" and first[1] in ("00:01:00", "1"), records
    assert second[0] == "COMPLETED" and second[1] in ("00:03:00", "3"), records
