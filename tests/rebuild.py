"""Helpers of the rebuild tests: comparing two results folders file by file, and
SIGKILLing a stage's process in the middle of a real Snakemake run."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import torch

from conftest import BIN, REPO

# Columns and keys that hold wall-clock time, not results.
TIMING = ("rtf", "seconds", "real_time_factor")


def _excluded(rel: str) -> str | None:
    """Why a file under results/ is not compared, or None."""
    if rel.startswith("logs/"):
        return "a log"
    if "/tensorboard/" in rel:
        return "TensorBoard events hold wall-clock times"
    if rel.endswith(".snakemake_timestamp"):
        return "Snakemake's time stamp of a directory output"
    if rel == "report/summary.html":
        return "shows the timing column (rtf); its scores are compared in scores/summary.csv"
    return None


def _same_objects(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_objects(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same_objects(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN equals NaN here


def same_content(a: Path, b: Path, rel: str) -> bool:
    """Equal results: bytes, except timing columns and keys, the provenance records'
    keys (a repaired record notes its repair), and checkpoints' tensors."""
    if rel.endswith(".pt"):
        return _same_objects(torch.load(a, weights_only=False), torch.load(b, weights_only=False))
    if rel.startswith("provenance/") and rel.endswith(".json") and rel != "provenance/midi.json":
        return pd.read_json(a, typ="series")["key"] == pd.read_json(b, typ="series")["key"]
    if rel.startswith(("scores/", "enhance/", "collab/")) and rel.endswith((".csv", ".json")) \
            and "/batches/" not in rel:
        if rel.endswith(".csv"):
            left, right = pd.read_csv(a), pd.read_csv(b)
            drop = [c for c in left.columns if c.split("_")[0] in TIMING or c in TIMING]
            return left.drop(columns=drop).equals(right.drop(columns=drop, errors="ignore"))
        left, right = pd.read_json(a, typ="series"), pd.read_json(b, typ="series")
        return left.drop(list(TIMING), errors="ignore").equals(
            right.drop(list(TIMING), errors="ignore"))
    return a.read_bytes() == b.read_bytes()


def compare_results(incremental: Path, clean: Path) -> tuple[list, dict, list]:
    """(files compared, {file: why excluded}, files that differ) of two results/
    folders; every file a clean build makes must be in the incremental one."""
    def files(root):
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    ours, theirs = files(incremental), files(clean)
    compared, excluded, differ = [], {}, []
    for rel in sorted(ours | theirs):
        why = _excluded(rel)
        if why is None and rel not in theirs:
            why = "left by an earlier config: no job of the final config writes it"
        if why:
            excluded[rel] = why
            continue
        if rel not in ours:
            differ.append(f"{rel}: missing from the incremental build")
            continue
        compared.append(rel)
        if not same_content(incremental / rel, clean / rel, rel):
            differ.append(rel)
    return compared, excluded, differ


def _stage_processes(stage: str, workdir: Path) -> list[int]:
    """PIDs of running ``music-enhance <stage>`` processes working in ``workdir`` (the
    jobs of this test's Snakemake run, never another run's on the same machine)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if (proc / "cwd").resolve() != workdir.resolve():
                continue
        except OSError:
            continue
        names = [Path(arg.decode(errors="replace")).name for arg in argv[:2]]
        if "music-enhance" in names and stage.encode() in argv[1:4]:
            found.append(int(proc.name))
    return found


def run_and_kill(workdir: Path, stage: str, ready=lambda: True, timeout=300) -> bool:
    """Run Snakemake in ``workdir`` and SIGKILL the first ``music-enhance <stage>``
    process once ``ready()`` holds. Returns whether a process was killed."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.Popen(
        [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile"), "--directory",
         str(workdir), "--cores", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env)
    killed, start = False, time.time()
    while run.poll() is None and time.time() - start < timeout:
        pids = _stage_processes(stage, workdir)
        if pids and not killed and ready():
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed = True
                except ProcessLookupError:
                    pass
        time.sleep(0.02)
    run.wait(timeout=max(1, timeout - (time.time() - start)))
    return killed
