"""The DAG for all of MAESTRO plans from the metadata alone (no MIDI file exists), in
batches of pieces per job."""

import re

from scale import (
    full_size_config,
    reports_config,
    write_download_record,
    write_full_size_corpus,
)

from conftest import REPO, render_batches, run_snakemake, tiny_config, write_config
from music_enhance.core.config import SCHEMA, validate_config
from music_enhance.data.manifest import build_manifest, read_metadata
from music_enhance.data.shard import plan_shards
from music_enhance.pipeline.plan import Plan


def test_full_size_dag_plans_every_job(tmp_path):
    write_full_size_corpus(tmp_path / "results/corpus")
    config = full_size_config(tiny_config())
    write_config(tmp_path, config)
    table, _ = build_manifest(read_metadata(tmp_path / "results/corpus"),
                              tmp_path / "results/corpus", config["manifest"])
    # Shards per split, from the durations (8 GB each at most), for the two tasks, and
    # the jobs that write them (16 shards each at most).
    shards = [len(plan_shards(group["id"].tolist(), group["duration"].tolist(), 16000,
                              config["render"]["tail"], 1024, 512, 8e9))
              for split, group in table.groupby("split") if split != "test"] * 2
    assert sum(shards) > 30  # about 200 hours of 16 kHz windows do not fit a few files
    shard_jobs = sum(-(-count // 16) for count in shards)
    assert len(shards) < shard_jobs < sum(shards)
    config["pieces_per_job"] = 100  # the SLURM profile's
    write_config(tmp_path, config)
    write_download_record(tmp_path, config)
    result = run_snakemake(tmp_path, "-n", "--quiet", "rules")
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", result.stdout, re.M)}
    # Batches per split: 16 of the 962 train pieces, 2 of 137 validation, 2 of 177 test.
    batches = render_batches(table, 100)
    assert batches == 16 + 2 + 2
    # 3 renders (instrument, rate) and one chain per batch; 2 experiments and 3
    # baselines per test batch.
    assert counts == {
        "manifest": 1, "render": 3 * batches, "degrade": batches, "shard": shard_jobs,
        "train": 2, "enhance": 2 * 2, "baseline": 3 * 2, "score": 2 + 4 + 1, "summarise": 1,
        "report": 2, "compare": 2, "report_tables": 1, "all": 1,
        "total": 4 * batches + shard_jobs + 2 + 4 + 6 + 7 + 1 + 2 + 2 + 1 + 1 + 1}


def test_the_reports_on_a_gpu_cluster_are_at_most_300_jobs(tmp_path):
    """reports.yaml + reports-gpu.yaml on all of MAESTRO through the SLURM profile:
    large per-piece batches and several shards per job keep the plan under 300
    jobs; the GPU-sized generators' train and enhance jobs ask for a GPU, the
    learned Wiener filters' for none."""
    write_full_size_corpus(tmp_path / "results/corpus")
    config = reports_config()
    write_config(tmp_path, config)
    write_download_record(tmp_path, config)
    result = run_snakemake(tmp_path, "--workflow-profile", str(REPO / "workflow/profiles/slurm"),
                           "-n", "--quiet", "rules", cores=None)
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", result.stdout, re.M)}
    assert counts["total"] <= 300, counts
    # A shard job writes many shards: far fewer jobs than the 4 GB shards.
    assert counts["shard"] < 2 * 8 * 2, counts  # 8 tasks, 2 splits
    assert counts["score"] == 84 and counts["train"] == 19, counts
    validate_config(config, SCHEMA)
    plan = Plan(config)
    assert plan.resources("train", {"experiment": "sr5_unet_l2"})["gpu"] == 1
    assert plan.resources("train", {"experiment": "denoise_mask"})["gpu"] == 0
    assert plan.uses_gpu("sr5_hifigan@timgm") and not plan.uses_gpu("denoise_mask@timgm")
