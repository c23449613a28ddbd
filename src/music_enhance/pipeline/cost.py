"""What a whole run costs a cluster, from the plan's per-job estimates (resources.py):
jobs, CPU-hours and GPU-hours per rule, disk per stage, and the wall time on N nodes.

The estimates are the work at the measured throughputs, without the margin a job
asks on top. Disk counts FLAC at the bytes per sample measured for clean and for
degraded audio (``cluster.disk``) and shards at their predicted size.
"""

import heapq
from collections import Counter, defaultdict

import pandas as pd

from ..data.shard import SAMPLE_FORMATS, predicted_windows
from .plan import Plan

# Stages whose files are audio, and whether it is a clean render.
AUDIO_OUTPUTS = {"render": True, "degrade": False, "baseline": False, "enhance": False,
                 "enhance_collab": False}


def job_table(plan: Plan) -> pd.DataFrame:
    """One row per job of a whole run: rule, wildcards, threads, gpu, seconds (its
    start-up included), the jobs it waits for."""
    jobs = plan.jobs_below(plan.targets())
    keys = {(rule, tuple(sorted(w.items()))): index for index, (rule, w) in enumerate(jobs)}
    start = plan.config["cluster"]["throughput"]["start"]
    rows = []
    for rule, wildcards in jobs:
        estimate = plan.estimate_job(rule, wildcards)
        before = {keys[_key(path)] for path in plan.job_of(rule, wildcards)["depends"]}
        rows.append({"rule": rule, "wildcards": wildcards, "threads": plan.threads(rule),
                     "gpu": estimate["gpu"], "seconds": start + estimate["seconds"],
                     "after": sorted(before)})
    return pd.DataFrame(rows)


def _key(path: str) -> tuple:
    from .plan import producer

    rule, wildcards = producer(path)
    return rule, tuple(sorted(wildcards.items()))


def per_rule(table: pd.DataFrame) -> pd.DataFrame:
    """Jobs, CPU-hours (threads x hours of the CPU jobs) and GPU-hours per rule."""
    cpu = table["seconds"] * table["threads"] * (table["gpu"] == 0) / 3600
    gpu = table["seconds"] * table["gpu"] / 3600
    summary = pd.DataFrame({"rule": table["rule"], "jobs": 1, "cpu_hours": cpu,
                            "gpu_hours": gpu}).groupby("rule", sort=False).sum()
    return summary


def disk(plan: Plan, table: pd.DataFrame) -> dict:
    """Bytes each stage writes: its audio files, or its shards."""
    sizes = plan.config["cluster"]["disk"]
    written = Counter()
    for rule, wildcards in zip(table["rule"], table["wildcards"], strict=True):
        if rule in AUDIO_OUTPUTS:
            job = plan.job_of(rule, wildcards)
            rate = plan._rate(rule, wildcards) if rule in ("render", "degrade", "baseline") \
                else plan.config["tasks"][plan.config["experiments"][wildcards["experiment"]][
                    "task"]]["sample_rate"]
            seconds, _ = plan._audio(job["pieces"], rate)
            per_sample = sizes["clean_flac"] if AUDIO_OUTPUTS[rule] else sizes["degraded_flac"]
            written[rule] += seconds * rate * per_sample
        elif rule == "shard":
            written[rule] += _shard_bytes(plan, wildcards)
    return dict(written)


def _shard_bytes(plan: Plan, wildcards: dict) -> float:
    task = plan.config["tasks"][wildcards["task"]]
    item = SAMPLE_FORMATS[plan.config["shard"]["sample_format"]]().itemsize
    durations = plan.table.set_index("id")["duration"]
    job = plan.job_of("shard", wildcards)
    windows = sum(predicted_windows(durations[piece], task["sample_rate"],
                                    plan.config["render"]["tail"], task["window"],
                                    task["stride"]) for piece in job["pieces"])
    return windows * 2 * task["window"] * item


def wall_hours(table: pd.DataFrame, nodes: int, cores: int, gpus: int) -> float:
    """Hours from the first job to the last on ``nodes`` nodes of ``cores`` CPUs and
    ``gpus`` GPUs each: every job starts as soon as the jobs it waits for are done
    and a node has its threads (and GPU) free, the longest first among those ready."""
    free = [[cores, gpus] for _ in range(nodes)]
    node_of = {id(n): n for n in free}
    waiting = {i: set(after) for i, after in enumerate(table["after"])}
    children = defaultdict(list)
    for i, after in waiting.items():
        for j in after:
            children[j].append(i)
    ready = [i for i, after in waiting.items() if not after]
    running, now, done = [], 0.0, 0
    while done < len(table):
        ready.sort(key=lambda i: -table["seconds"][i])
        for i in list(ready):
            need = [min(table["threads"][i], cores), table["gpu"][i]]
            node = next((n for n in free if n[0] >= need[0] and n[1] >= need[1]), None)
            if node is not None:
                node[0] -= need[0]
                node[1] -= need[1]
                heapq.heappush(running, (now + table["seconds"][i], i, id(node)))
                ready.remove(i)
        if not running:
            raise ValueError(f"no node has {table['gpu'][ready[0]]} GPUs for a "
                             f"{table['rule'][ready[0]]} job")
        now, i, node_id = heapq.heappop(running)
        node = node_of[node_id]
        node[0] += min(table["threads"][i], cores)
        node[1] += table["gpu"][i]
        done += 1
        for child in children[i]:
            waiting[child].discard(i)
            if not waiting[child]:
                ready.append(child)
    return now / 3600
