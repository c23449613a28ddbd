"""What each job asks of a cluster: computed from its work, at the config's
throughputs, growing with each retry; and the SLURM profile's dry run shows the
rules' own threads and these resources."""

import copy
import math
import re

import pandas as pd
import pytest

from conftest import REPO, run_snakemake, tiny_config, write_config
from music_enhance.core.config import SCHEMA, validate_config
from music_enhance.pipeline import cost
from music_enhance.pipeline.plan import Plan

BIG_UNET = {"name": "unet", "channels": [128, 256, 512, 512], "kernels": [65, 33, 17, 9]}


def planned(durations, **cluster) -> Plan:
    config = tiny_config()
    config["cluster"] = {"min_runtime": 1, "min_mem_mb": 1, **cluster}
    config["experiments"]["big"] = {**copy.deepcopy(config["experiments"]["unet_l2"]),
                                    "model": BIG_UNET, "collab": None}
    validate_config(config, SCHEMA)
    plan = Plan(config)
    plan.use_pieces(pd.DataFrame({
        "id": [f"p{i}" for i in range(len(durations))], "split": "test",
        "midi": [f"p{i}.midi" for i in range(len(durations))], "duration": durations}))
    return plan


def test_a_render_job_asks_for_its_minutes_of_audio_at_the_measured_speed():
    plan = planned([3599.0, 7199.0])  # with the 1 s render tail: 3 hours, longest 2
    cluster = plan.config["cluster"]
    job = plan.resources("render", {"instrument": "piano", "rate": 16000, "batch": "test-0"})
    seconds = 10800 / cluster["throughput"]["render"] + cluster["throughput"]["start"]
    assert job["runtime"] == math.ceil(cluster["margin"] * seconds / 60)
    memory = cluster["memory"]["base_mb"] + cluster["memory"]["render"] * 120 * 16000 / 44100
    assert job["mem_mb"] == math.ceil(cluster["margin"] * memory) and job["gpu"] == 0
    # Ten times the audio: about ten times the runtime.
    longer = planned([35999.0, 71999.0]).resources(
        "render", {"instrument": "piano", "rate": 16000, "batch": "test-0"})
    assert longer["runtime"] > 5 * job["runtime"] and longer["mem_mb"] > job["mem_mb"]


def test_each_retry_asks_escalation_times_more():
    plan = planned([36000.0] * 4, escalation=3)
    wildcards = {"system": "piano_sr.cubic"}
    first, second, third = (plan.resources("score", wildcards, attempt) for attempt in (1, 2, 3))
    for key in ("runtime", "mem_mb"):
        assert second[key] == pytest.approx(3 * first[key], rel=0.02)
        assert third[key] == pytest.approx(9 * first[key], rel=0.02)


def test_gpu_sized_generators_train_and_enhance_on_a_gpu():
    plan = planned([60.0] * 2)
    batch = {"batch": "test-0"}
    assert plan.parameters("big") > plan.config["cluster"]["gpu_parameters"] > plan.parameters(
        "unet_l2")
    assert plan.resources("train", {"experiment": "big"})["gpu"] == 1
    assert plan.resources("enhance", {"experiment": "big", **batch})["gpu"] == 1
    assert plan.resources("train", {"experiment": "unet_l2"})["gpu"] == 0
    assert plan.resources("enhance", {"experiment": "unet_l2", **batch})["gpu"] == 0
    # The threshold is the config's: lowered, the small model asks for a GPU too.
    low = planned([60.0] * 2, gpu_parameters=0)
    assert low.resources("enhance", {"experiment": "unet_l2", **batch})["gpu"] == 1


def test_a_train_job_grows_with_its_steps_and_its_model():
    plan = planned([60.0])
    few = plan.resources("train", {"experiment": "big"})
    plan.config["experiments"]["big"]["steps"] *= 10000
    assert plan.resources("train", {"experiment": "big"})["runtime"] > 50 * few["runtime"]
    small = plan.resources("train", {"experiment": "unet_l2"})
    # The large model's weights, gradients and Adam moments: 16 bytes per parameter.
    assert plan.resources("train", {"experiment": "big"})["mem_mb"] > (
        small["mem_mb"] + 16 * plan.parameters("big") / 2 ** 20)


def test_the_slurm_profile_shows_the_rules_threads_and_planned_resources(tmp_path):
    config = tiny_config()
    config["cluster"] = {"threads": {"train": 6}, "min_runtime": 7}
    write_config(tmp_path, config)
    # No --cores from this host: the profile's own, so the rule's threads stand.
    result = run_snakemake(tmp_path, "--workflow-profile",
                           str(REPO / "workflow/profiles/slurm"), "-n", "-p", cores=None)
    train = result.stdout[result.stdout.index("rule train:"):]
    train = train[:train.index("\n\n")]
    assert "--threads 6" in result.stdout
    assert re.search(r"threads: 6\b", train), train
    assert re.search(r"runtime=7\b", train) and re.search(r"gpu=0\b", train), train


def test_the_cost_sheet_schedules_every_job_of_the_plan():
    config = tiny_config()
    validate_config(config, SCHEMA)
    plan = Plan(config)
    plan.use_pieces(pd.DataFrame({
        "id": [f"p{i}" for i in range(6)], "split": ["train", "validation", "test"] * 2,
        "midi": [f"p{i}.midi" for i in range(6)], "duration": [600.0] * 6}))
    jobs = cost.job_table(plan)
    assert len(jobs) == len(plan.jobs_below(plan.targets()))
    summary = cost.per_rule(jobs)
    assert summary["jobs"].sum() == len(jobs) and summary.loc["render", "cpu_hours"] > 0
    # One CPU: every job after another. Unbounded: the longest chain of the DAG.
    seconds = jobs["seconds"].tolist()
    assert cost.wall_hours(jobs, 1, 1, 1) == pytest.approx(sum(seconds) / 3600)
    finish = {}

    def done(i):
        if i not in finish:
            finish[i] = seconds[i] + max((done(j) for j in jobs["after"][i]), default=0.0)
        return finish[i]
    longest = max(done(i) for i in range(len(jobs)))
    assert cost.wall_hours(jobs, 1, 1000, 1000) == pytest.approx(longest / 3600)
    assert cost.disk(plan, jobs)["render"] == pytest.approx(
        3 * 601 * 16000 * plan.config["cluster"]["disk"]["clean_flac"] * 2)
