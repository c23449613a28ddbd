"""An incremental run equals a clean run: whatever sequence of config edits and killed
jobs led to a results folder, it holds what a clean build of the final config holds.
Through the real Snakemake CLI on a tiny config."""

import copy
import os
import random
import re
import shutil
import subprocess
import time
from functools import partial

import pandas as pd
import pytest
import torch
import yaml
from rebuild import compare_results, run_and_kill

from conftest import BIN, REPO, run_snakemake, tiny_config, write_config


def saved_since(path, start: float) -> bool:
    return path.exists() and path.stat().st_mtime > start


def base_config() -> dict:
    config = tiny_config()
    # Long enough (a few seconds) that a SIGKILL lands while it trains.
    config["experiments"]["unet_l2"].update(steps=200, validate_every=50)
    config["score"] = {"visqol_seconds": 1}
    return config


def _set(config: dict, key: str, value) -> None:
    node = config
    *path, last = key.split(".")
    for part in path:
        node = node[part]
    node[last] = value


# One list of single-key edits per stage: (key, candidate values).
EDITS = {
    "render": [("render.gain", [0.3, 0.5]), ("render.tail", [0.5, 1.5])],
    "chain": [("chains.lowres", [[{"step": "resample", "low_rate": r, "quality": "v"}]
                                 for r in (5000, 6000, 7000)])],
    "task": [("tasks.piano_sr.window", [2048]), ("tasks.piano_sr.stride", [256, 1024])],
    "shard": [("shard.sample_format", ["int16"]), ("shard.min_rms_dbfs", [-60])],
    "experiment": [("experiments.unet_l2.optimizer.lr", [0.001, 0.0001]),
                   ("experiments.unet_l2.steps", [150, 250]),
                   ("experiments.unet_l2.model.channels", [[6, 8], [4, 12]])],
    "score": [("score.visqol_seconds", [0, 2])],
}


def edit_sequence(seed: int) -> list[str]:
    """Every stage's edit once, then an experiment added and later removed, in a
    seeded order (the removal after the addition)."""
    rng = random.Random(seed)
    order = [*EDITS, "add"]
    rng.shuffle(order)
    order.insert(rng.randint(order.index("add") + 1, len(order)), "remove")
    return order


def apply(config: dict, kind: str, rng: random.Random) -> str:
    if kind == "add":
        extra = copy.deepcopy(config["experiments"]["unet_l2"])
        extra["model"]["channels"] = [8, 8]
        extra["steps"] = 30
        config["experiments"]["unet_b"] = extra
        return "experiments.unet_b added"
    if kind == "remove":
        del config["experiments"]["unet_b"]
        return "experiments.unet_b removed"
    key, values = rng.choice(EDITS[kind])
    value = rng.choice(values)
    _set(config, key, value)
    return f"{key} = {value}"


@pytest.mark.slow
def test_any_sequence_of_edits_and_kills_equals_a_clean_build(tmp_path):
    rng = random.Random(29)
    work = tmp_path / "incremental"
    work.mkdir()
    config = base_config()
    write_config(work, config)
    run_snakemake(work)
    last = work / "results/train/unet_l2/last.pt"
    kills = []
    for kind in edit_sequence(29):
        print("edit:", apply(config, kind, rng))
        write_config(work, config)
        # SIGKILL a train job once it has saved its resume state, and a render job
        # as soon as it starts; the next run must make what a clean run makes.
        if kind in ("experiment", "render"):
            stage = "train" if kind == "experiment" else "render"
            ready = (partial(saved_since, last, time.time()) if stage == "train"
                     else (lambda: True))
            if run_and_kill(work, stage, ready):
                kills.append(stage)
        run_snakemake(work)
    assert sorted(kills) == ["render", "train"]
    assert "Nothing to be done" in run_snakemake(work, "-n").stdout

    clean = tmp_path / "clean"
    clean.mkdir()
    write_config(clean, config)
    run_snakemake(clean)
    compared, excluded, differ = compare_results(work / "results", clean / "results")
    print(f"compared {len(compared)} files:", *compared, sep="\n  ")
    print("excluded:", *(f"{f}: {why}" for f, why in excluded.items()), sep="\n  ")
    assert not differ, differ
    kinds = {f.split("/")[0] for f in compared}
    assert {"render", "degrade", "shards", "train", "enhance", "scores", "report",
            "baselines", "provenance"} <= kinds
    assert yaml.safe_load((clean / "config.yaml").read_text()) == config


# -- each way a results folder used to go stale, on its own --------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A finished tiny run, copied (times and Snakemake's metadata kept) by each test."""
    work = tmp_path_factory.mktemp("built")
    write_config(work, tiny_config())
    run_snakemake(work)
    return work


def copy_run(built, dest, metadata: bool = True):
    shutil.copytree(built / "results", dest / "results", symlinks=True)
    shutil.copy2(built / "config.yaml", dest / "config.yaml")
    if metadata:
        shutil.copytree(built / ".snakemake", dest / ".snakemake", symlinks=True)
    return dest


def generator(work) -> dict:
    return torch.load(work / "results/train/unet_l2/generator.pt")["state_dict"]


def job_counts(result) -> dict:
    """Rule -> jobs from Snakemake's job table (stdout for -n, stderr for a run)."""
    out = result.stdout + result.stderr
    stats = out.split("Job stats:")[1] if "Job stats:" in out else ""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.M)}


def test_a_data_change_trains_anew_and_says_why(built, tmp_path):
    work = copy_run(built, tmp_path)
    before = generator(work)
    config = yaml.safe_load((work / "config.yaml").read_text())
    config["chains"]["lowres"][0]["low_rate"] = 6000
    write_config(work, config)
    result = run_snakemake(work)
    # The changed key, named, for the jobs it reaches first; no render reruns.
    assert ("rerun degrade/lowres/piano/16000/train-0: chains.lowres[0].low_rate: "
            "8000 -> 6000") in result.stderr
    assert "rerun shard/piano_sr/train/0: chains.lowres[0].low_rate" in result.stderr
    assert "render" not in job_counts(result)
    log = (work / "results/logs/train/unet_l2.log").read_text()
    assert "resuming" not in log and "20 steps in" in log
    after = generator(work)
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_a_killed_train_job_is_run_again(built, tmp_path):
    work = copy_run(built, tmp_path)
    config = yaml.safe_load((work / "config.yaml").read_text())
    config["experiments"]["unet_l2"]["optimizer"]["lr"] = 0.001
    write_config(work, config)
    assert run_and_kill(work, "train")
    assert not (work / "results/train/unet_l2/generator.pt").exists()
    # The jobs below it still know they are stale: train is needed again.
    counts = job_counts(run_snakemake(work, "-n"))
    assert counts["train"] == 1 and counts["enhance"] == 1 and counts["score"] == 1
    run_snakemake(work)
    metrics = pd.read_csv(work / "results/train/unet_l2/metrics.csv")
    assert metrics["lr"].iloc[-1] == 0.001 and len(metrics) == 20
    assert "Nothing to be done" in run_snakemake(work, "-n").stdout


def records(work) -> dict:
    """Each provenance record's bytes and time."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in (work / "results/provenance").rglob("*") if p.is_file()}


def test_a_dry_run_or_lint_of_another_config_changes_nothing(built, tmp_path):
    work = copy_run(built, tmp_path)
    before = records(work)
    original = (work / "config.yaml").read_text()
    config = yaml.safe_load(original)
    config["chains"]["lowres"][0]["low_rate"] = 6000
    write_config(work, config)
    result = run_snakemake(work, "-n")
    # It plans the change as a real run would, and says why.
    counts = job_counts(result)
    assert "render" not in counts
    assert counts["degrade"] == 3 and counts["shard"] == 2 and counts["train"] == 1
    assert "rerun degrade/lowres/piano/16000/train-0: chains.lowres[0].low_rate" in (
        result.stderr)
    run_snakemake(work, "--lint", cores=None, check=False)
    assert records(work) == before
    (work / "config.yaml").write_text(original)
    assert "Nothing to be done" in run_snakemake(work, "-n").stdout


def test_copied_results_without_snakemake_metadata_rerun_what_changed(built, tmp_path):
    work = copy_run(built, tmp_path / "copy", metadata=False)
    assert not (work / ".snakemake").exists()
    assert "Nothing to be done" in run_snakemake(work, "-n").stdout
    config = yaml.safe_load((work / "config.yaml").read_text())
    config["chains"]["lowres"][0]["low_rate"] = 6000
    write_config(work, config)
    counts = job_counts(run_snakemake(work))
    assert "render" not in counts and "download" not in counts
    assert counts["degrade"] == 3 and counts["shard"] == 2 and counts["train"] == 1
    clean = tmp_path / "clean"
    clean.mkdir()
    write_config(clean, config)
    run_snakemake(clean)
    compared, _, differ = compare_results(work / "results", clean / "results")
    assert not differ and len(compared) > 50


def test_files_damaged_by_hand_are_rebuilt_never_used(built, tmp_path):
    work = copy_run(built, tmp_path)
    render = next((work / "results/render/piano/16000").glob("*.flac"))
    shard = work / "results/shards/piano_sr/train/0.h5"
    checkpoint = work / "results/train/unet_l2/generator.pt"
    originals = {path: path.read_bytes() for path in (render, shard)}
    weights = generator(work)
    render.unlink()
    half = shard.stat().st_size // 2
    with open(shard, "r+b") as f:
        f.truncate(half)
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    result = run_snakemake(work)
    assert f"{render.relative_to(work)} (listed in results/render" in result.stderr
    assert "is missing" in result.stderr
    # A shard is listed with its size in its job's record.
    assert (f"{shard.relative_to(work)} (listed in results/shards/piano_sr/train/batches/"
            f"0.json) has {half} bytes") in result.stderr
    assert f"{checkpoint.relative_to(work)} is unreadable" in result.stderr
    for path, data in originals.items():
        assert path.read_bytes() == data, path
    assert all(torch.equal(weights[k], generator(work)[k]) for k in weights)
    assert "Nothing to be done" in run_snakemake(work, "-n").stdout


def checkout_copy(dest, with_package: bool = True):
    """Another checkout of this repository (its Snakefile, workflow and source)."""
    dest.mkdir()
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(REPO / name, dest / name)
    for name in ("workflow", "envs"):
        shutil.copytree(REPO / name, dest / name)
    shutil.copytree(REPO / "src", dest / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    if not with_package:
        shutil.rmtree(dest / "src/music_enhance")
    return dest


def run_other(snakefile, work, *args, check=True):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([str(BIN / "snakemake"), "--snakefile", str(snakefile),
                             "--directory", str(work), "--cores", "2", *args],
                            capture_output=True, text=True, env=env, timeout=600)
    assert not check or result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_jobs_run_the_code_of_the_checkout_beside_the_snakefile(built, tmp_path):
    # Two checkouts share this virtual environment (its package is the first one's).
    other = checkout_copy(tmp_path / "other")
    degrade = other / "src/music_enhance/data/degrade.py"
    degrade.write_text(degrade.read_text() + "\nprint('degrade code of the other checkout')\n")
    work = copy_run(built, tmp_path / "work")
    result = run_other(other / "Snakefile", work)
    assert "rerun degrade/lowres/piano/16000/train-0: code of data/degrade.py changed" in (
        result.stderr)
    assert "render" not in job_counts(result) and job_counts(result)["degrade"] == 3
    log = (work / "results/logs/degrade/lowres/piano/16000/train-0.log").read_text()
    assert "degrade code of the other checkout" in log
    # A Snakefile whose src/ lacks the package refuses to run another one's.
    bare = checkout_copy(tmp_path / "bare", with_package=False)
    result = run_other(bare / "Snakefile", work, "-n", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in out
    assert f"not from {bare / 'src/music_enhance'} beside the Snakefile" in out
    assert f"imported from {REPO / 'src/music_enhance'}" in out
