"""Each data stage's throughput and memory, as the cluster block counts them.

Runs every per-piece stage as its job runs it (the ``music-enhance`` command, one
thread, one piece) on a short and a long piece at 16 kHz: render (FluidR3_GM),
degrade (the reports' room_noise chain), baseline (cubic from 5 kHz), shard (an
int16 pair), score (SNR, LSD, MR-STFT; ViSQOL on 10 s) and enhance (the demo
U-Net on one thread). From the two runs of each: its speed in seconds of audio
per second (cluster.throughput.<stage>), the job's start-up, and its peak memory
(VmHWM) per minute of audio scaled to 44.1 kHz (cluster.memory.<stage>); and the
FLAC bytes per sample of a clean and a degraded piece (cluster.disk); each next
to the schema's value. Last line: ``ratio <measured time of the long
piece's job / the time the schema's figures predict>``, the largest over the
stages (at most 1: the schema does not promise more than the code does).

    python bench/stages.py [--seconds 300] [--smoke]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import yaml

from music_enhance.core import defaults
from music_enhance.core.config import canonical
from music_enhance.data.demo import synth_piece
from music_enhance.training.checkpoint import save_checkpoint
from music_enhance.training.models import build_model

REPO = Path(__file__).resolve().parents[1]
RATE = 16000
FLUID = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
CLI = str(Path(sys.executable).parent / "music-enhance")


def room_noise() -> list:
    reports = yaml.safe_load((REPO / "config/experiments/reports.yaml").read_text())
    return reports["chains"]["room_noise"]


def commands(tmp: Path, name: str) -> dict:
    """{stage: the command of its job on piece ``name``}, in the order they run."""
    f = {k: str(tmp / f"{name}.{k}.{suffix}") for k, suffix in (
        ("midi", "midi"), ("render", "flac"), ("degraded", "flac"), ("values", "json"),
        ("cubic", "flac"), ("h5", "h5"), ("csv", "csv"), ("enhanced", "flac"),
        ("info", "json"))}
    record = str(tmp / f"{name}.record.json")
    instrument = canonical({"program": "acoustic_grand_piano", "soundfont": FLUID})
    return {
        "render": [CLI, "render", "--midi", f["midi"], "--outputs", f["render"],
                   "--instrument", instrument, "--name", "piano", "--rate", str(RATE),
                   "--record", record],
        "degrade": [CLI, "degrade", "--pieces", name, "--inputs", f["render"], "--outputs",
                    f["degraded"], "--values", f["values"], "--chain-name", "room_noise",
                    "--chain", canonical(room_noise()), "--seed", "1", "--record", record],
        "baseline": [CLI, "baseline", "--inputs", f["degraded"], "--outputs", f["cubic"],
                     "--method", "cubic", "--low-rate", "5000", "--record", record],
        "shard": [CLI, "shard", "--outputs", f["h5"], "--pieces", name, "--split", "train",
                  "--inputs", f["degraded"], "--targets", f["render"], "--window", "8192",
                  "--stride", "4096", "--task", "denoise", "--sample-format", "int16",
                  "--record", record],
        "score": [CLI, "score", f["csv"], "--system", "bench", "--task", "denoise",
                  "--pieces", name, "--estimates", f["degraded"], "--targets", f["render"]],
        "enhance": [CLI, "enhance", "--inputs", f["degraded"], "--outputs", f["enhanced"],
                    "--infos", f["info"], "--checkpoint", str(tmp / "g.pt"), "--threads", "1",
                    "--device", "cpu", "--record", record],
    }


def run(command: list) -> tuple[float, float]:
    """Wall seconds and peak resident MB of a command (its own process's VmHWM)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300, help="the long piece")
    parser.add_argument("--smoke", action="store_true",
                        help="short pieces, seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    lengths = {"short": 10.0, "long": 30.0 if args.smoke else args.seconds}
    tmp = Path(tempfile.mkdtemp())
    spec = {"model": yaml.safe_load((REPO / "config.yaml").read_text())["experiments"][
        "unet_l2"]["model"], "discriminator": None}
    save_checkpoint(tmp / "g.pt", build_model(spec["model"]), spec,
                    {"sample_rate": RATE, "window": 8192}, 0, "bench")
    measured = {}
    for name, seconds in lengths.items():
        synth_piece(np.random.default_rng(0), seconds).write(str(tmp / f"{name}.midi.midi"))
        for stage, command in commands(tmp, name).items():
            measured[stage, name] = run(command)
    # The render's real length (its tail included) is what every later stage reads.
    audio = {name: soundfile.info(str(tmp / f"{name}.render.flac")).duration for name in lengths}
    cluster = defaults.schema()["properties"]["cluster"]["properties"]
    schema = {group: {k: v["default"] for k, v in cluster[group]["properties"].items()}
              for group in ("throughput", "memory")}
    print(f"pieces of {audio['short']:.1f} s and {audio['long']:.1f} s at {RATE} Hz, "
          "one thread per job")
    print(f"{'stage':10}{'short s':>9}{'long s':>9}{'speed x':>10}{'schema':>9}"
          f"{'start s':>9}{'MB/min@44.1k':>14}{'schema':>8}{'peak MB':>9}")
    ratios = []
    extra = audio["long"] - audio["short"]
    for stage in commands(tmp, "short"):
        (t_short, m_short), (t_long, m_long) = measured[stage, "short"], measured[stage, "long"]
        speed = extra / max(t_long - t_short, 1e-9)
        start = t_short - audio["short"] / speed
        per_minute = max(0.0, m_long - m_short) / (extra / 60) * 44100 / RATE
        known = schema["throughput"].get(stage)
        if known:  # enhance: bench/models.py (parameters x samples)
            predicted = schema["throughput"]["start"] + audio["long"] / known + (
                schema["throughput"]["score_piece"] if stage == "score" else 0)
            ratios.append(t_long / predicted)
        print(f"{stage:10}{t_short:>9.2f}{t_long:>9.2f}{speed:>10.1f}"
              f"{known or float('nan'):>9.0f}{start:>9.2f}{per_minute:>14.1f}"
              f"{schema['memory'][stage]:>8.0f}{m_long:>9.0f}")
    disk = {k: v["default"] for k, v in cluster["disk"]["properties"].items()}
    for key, name in (("clean_flac", "render"), ("degraded_flac", "degraded")):
        size = (tmp / f"long.{name}.flac").stat().st_size / (audio["long"] * RATE)
        print(f"{key}: {size:.3f} bytes per sample (schema {disk[key]})")
    print(f"schema: start {schema['throughput']['start']} s, base {schema['memory']['base_mb']}"
          f" MB, score_piece {schema['throughput']['score_piece']} s")
    print(f"ratio {max(ratios):.3f}")


if __name__ == "__main__":
    main()
