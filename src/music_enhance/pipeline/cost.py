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
from .plan import Plan, producer

# Stages whose files are audio, and whether it is a clean render.
AUDIO_OUTPUTS = {"render": True, "degrade": False, "baseline": False, "enhance": False,
                 "enhance_collab": False}


def job_table(plan: Plan) -> pd.DataFrame:
    """One row per job of a whole run: rule, wildcards, threads, gpu, seconds (its
    start-up included), the jobs it waits for."""
    jobs = plan.jobs_below(plan.targets())
    index = {_key(rule, wildcards): i for i, (rule, wildcards) in enumerate(jobs)}
    start = plan.config["cluster"]["throughput"]["start"]
    rows = []
    for rule, wildcards in jobs:
        estimate = plan.estimate_job(rule, wildcards)
        after = {index[_key(*producer(path))] for path in plan.job_of(rule, wildcards)["depends"]}
        rows.append({"rule": rule, "wildcards": wildcards, "threads": plan.threads(rule),
                     "gpu": estimate["gpu"], "seconds": start + estimate["seconds"],
                     "after": sorted(after)})
    return pd.DataFrame(rows)


def _key(rule: str, wildcards: dict) -> tuple:
    return rule, tuple(sorted(wildcards.items()))


def per_rule(table: pd.DataFrame) -> pd.DataFrame:
    """Jobs, CPU-hours (threads x hours of the CPU jobs) and GPU-hours per rule."""
    cpu = table["seconds"] * table["threads"] * (table["gpu"] == 0) / 3600
    gpu = table["seconds"] * table["gpu"] / 3600
    return pd.DataFrame({"rule": table["rule"], "jobs": 1, "cpu_hours": cpu,
                         "gpu_hours": gpu}).groupby("rule", sort=False).sum()


def disk(plan: Plan, table: pd.DataFrame) -> dict:
    """Bytes each stage writes: its audio files, or its shards."""
    sizes = plan.config["cluster"]["disk"]
    written = Counter()
    for rule, wildcards in zip(table["rule"], table["wildcards"], strict=True):
        pieces = plan.job_of(rule, wildcards).get("pieces", [])
        if rule in AUDIO_OUTPUTS:
            per_sample = sizes["clean_flac"] if AUDIO_OUTPUTS[rule] else sizes["degraded_flac"]
            written[rule] += (plan.audio_seconds(pieces)[0] * plan.rate_of(wildcards)
                              * per_sample)
        elif rule == "shard":
            task = plan.config["tasks"][wildcards["task"]]
            item = SAMPLE_FORMATS[plan.config["shard"]["sample_format"]]().itemsize
            windows = sum(predicted_windows(plan.durations[piece], task["sample_rate"], 0.0,
                                            task["window"], task["stride"])
                          for piece in pieces)  # durations hold the render tail
            written[rule] += windows * 2 * task["window"] * item
    return dict(written)


def wall_hours(table: pd.DataFrame, nodes: int, cores: int, gpus: int) -> float:
    """Hours from the first job to the last on ``nodes`` nodes of ``cores`` CPUs and
    ``gpus`` GPUs each: every job starts as soon as the jobs it waits for are done
    and a node has its threads (and GPU) free, the longest first among those ready."""
    free = [[cores, gpus] for _ in range(nodes)]
    need = [(min(threads, cores), gpu) for threads, gpu in zip(table["threads"], table["gpu"],
                                                                strict=True)]
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
            node = next((n for n, (c, g) in enumerate(free)
                         if c >= need[i][0] and g >= need[i][1]), None)
            if node is not None:
                free[node] = [free[node][0] - need[i][0], free[node][1] - need[i][1]]
                heapq.heappush(running, (now + table["seconds"][i], i, node))
                ready.remove(i)
        if not running:
            raise ValueError(f"no node has {need[ready[0]][1]} GPUs for a "
                             f"{table['rule'][ready[0]]} job")
        now, i, node = heapq.heappop(running)
        free[node] = [free[node][0] + need[i][0], free[node][1] + need[i][1]]
        done += 1
        for child in children[i]:
            waiting[child].discard(i)
            if not waiting[child]:
                ready.append(child)
    return now / 3600
