"""What each job asks of a cluster, from the work it will do.

A job's work is counted in the unit its stage's throughput is measured in
(``cluster.throughput``, measured by ``bench/stages.py`` and stated in the schema):

- the per-piece stages and the shards: seconds of audio (pieces plus the render
  tail), at ``throughput.<stage>`` seconds of audio per second on one thread;
- scoring: the same for its whole-piece metrics, plus ``score_piece`` seconds per
  piece (the ViSQOL excerpt);
- the generator's work: parameters x samples, at ``cpu_enhance`` per thread or
  ``gpu_enhance`` (forward passes), and ``cpu_train`` per thread or ``gpu_train``
  (forward, backward and Adam); collaborative sampling costs ``collab_factor``
  times enhancement, a GAN step ``gan_factor`` times a plain one.

A generator of at least ``gpu_parameters`` parameters trains and enhances on a GPU.
Memory is ``memory.base_mb`` plus, per stage, ``memory.<stage>`` MB per minute of
the job's longest piece at 44.1 kHz (scaled by its rate). The job asks
``margin`` times the estimate, and each retry ``escalation`` times the last.
"""

import math

REFERENCE_RATE = 44100
# The stages whose work is seconds of audio, and the rate each works at.
AUDIO_STAGES = ("render", "degrade", "baseline", "shard", "score")


def scaled(estimate: float, cluster: dict, attempt: int, floor: float) -> int:
    """An estimate with the margin, escalated for a retry, and at least ``floor``."""
    value = max(floor, cluster["margin"] * estimate)
    return math.ceil(value * cluster["escalation"] ** (max(1, attempt) - 1))


def asked(estimate: dict, cluster: dict, attempt: int) -> dict:
    """What a job with this ``estimate`` asks for: runtime in minutes, mem_mb, gpu."""
    return {"runtime": scaled((cluster["throughput"]["start"] + estimate["seconds"]) / 60,
                              cluster, attempt, cluster["min_runtime"]),
            "mem_mb": scaled(cluster["memory"]["base_mb"] + estimate["memory_mb"], cluster,
                             attempt, cluster["min_mem_mb"]),
            "gpu": estimate["gpu"]}


def audio_job(stage: str, seconds: float, longest: float, rate: int, pieces: int,
              threads: int, cluster: dict) -> dict:
    """The estimate of a job over ``seconds`` of audio at ``rate`` whose longest piece
    lasts ``longest``: its work's seconds on its threads, its memory, no GPU."""
    work = seconds / (cluster["throughput"][stage] * threads)
    if stage == "score":
        work += pieces * cluster["throughput"]["score_piece"]
    memory = cluster["memory"][stage] * longest / 60 * rate / REFERENCE_RATE
    return {"seconds": work, "memory_mb": memory, "gpu": 0}


def uses_gpu(parameters: int, cluster: dict) -> bool:
    return parameters >= cluster["gpu_parameters"]


def model_job(kind: str, parameter_samples: float, parameters: int, threads: int,
              cluster: dict, memory_mb: float = 0.0) -> dict:
    """The estimate of training or enhancement (``kind``) of ``parameter_samples``
    (parameters x samples) by a generator of ``parameters``: on a GPU when it is
    GPU-sized. Weights, gradients and Adam's moments take 16 bytes per parameter."""
    gpu = uses_gpu(parameters, cluster)
    throughput = cluster["throughput"]
    speed = throughput[f"gpu_{kind}"] if gpu else throughput[f"cpu_{kind}"] * threads
    return {"seconds": parameter_samples / speed,
            "memory_mb": 16 * parameters / 2 ** 20 + memory_mb, "gpu": int(gpu)}
