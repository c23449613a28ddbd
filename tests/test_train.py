import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from music_enhance.data.shard import window_crcs
from music_enhance.training.checkpoint import load_discriminator, load_generator
from music_enhance.training.selection import better
from music_enhance.training.train import state_digest, train
from sines import sine_shards

BASE = {
    "task": "t", "model": {"name": "unet", "channels": [8, 16], "kernels": [9, 9], "dropout": 0.1},
    "optimizer": {"lr": 1e-3}, "batch_size": 4, "steps": 12, "validate_every": 4,
}
GAN = {**BASE, "discriminator": {"name": "bce", "channels": [4, 8], "lr": 1e-3},
       "losses": {"l2": 1.0, "adversarial": 0.01}, "adversarial_start": {"step": 4}}
# The HiFi-GAN recipe, small: WaveNet with a postnet, multiscale + spectrogram.
HIFI = {**BASE, "model": {"name": "wavenet", "channels": 8, "skip_channels": 8, "layers": 4,
                          "postnet": 2},
        "discriminator": [{"name": "multiscale", "channels": [4, 16], "lr": 1e-3},
                          {"name": "spectrogram", "channels": [4, 8], "n_fft": 256,
                           "lr": 1e-3}],
        "losses": {"l1": 1.0, "logspec": 1.0, "feature_matching": 1.0, "adversarial": 1.0},
        "adversarial_start": {"step": 4}}


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return sine_shards(tmp_path_factory.mktemp("shards"))


def run(shards, out, spec, autoencoder=None, experiment="e"):
    return train([shards["train"]], [shards["validation"]], out / "generator.pt",
                 out / "metrics.csv", experiment, spec, seed=3, threads=1,
                 autoencoder=autoencoder)


def metrics(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_l2_training_improves_validation_and_keeps_the_best(shards, tmp_path):
    result = run(shards, tmp_path, {**BASE, "steps": 40, "validate_every": 10})
    rows = metrics(tmp_path / "metrics.csv")
    assert [int(r["step"]) for r in rows] == list(range(1, 41))
    lsd = [float(r["valid_lsd"]) for r in rows if r["valid_lsd"]]
    assert len(lsd) == 4 and result["best_valid"] == min(lsd)
    assert result["selection"] == "lsd"
    assert float(rows[-1]["valid_snr"]) > float(rows[9]["valid_snr"])
    model, checkpoint = load_generator(tmp_path / "generator.pt")
    assert checkpoint["scores"]["valid_lsd"] == min(lsd)
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_a_gan_recipe_is_selected_by_visqol_on_recorded_excerpts(shards, tmp_path):
    result = run(shards, tmp_path, GAN)
    rows = [r for r in metrics(tmp_path / "metrics.csv") if r["valid_lsd"]]
    visqol = {int(r["step"]): float(r["valid_visqol"]) for r in rows}
    assert result["selection"] == "visqol" and len(visqol) == 3
    assert all(1 <= v <= 5 for v in visqol.values())
    _, checkpoint = load_generator(tmp_path / "generator.pt")
    # The adversarial terms join at step 5: step 4's generator cannot be the output.
    joined = {s: v for s, v in visqol.items() if s > 4}
    assert checkpoint["step"] == max(joined, key=joined.get)
    chosen = checkpoint["selection"]
    assert (chosen["metric"], chosen["mode"]) == ("visqol", "max")
    # 2-second excerpts of 1024-sample windows at 16 kHz: 32 windows each, none twice;
    # the 122 validation windows make 3 of the 4 asked for.
    drawn = [i for excerpt in chosen["excerpts"] for i in excerpt]
    assert len(chosen["excerpts"]) == 3 and len(drawn) == 3 * 32 == len(set(drawn))
    assert all(0 <= i < 122 for i in drawn)
    again = run(shards, tmp_path / "again", {**GAN, "steps": 4})
    assert load_generator(tmp_path / "again" / "generator.pt")[1]["selection"][
        "excerpts"] == chosen["excerpts"]  # the seed's, whatever the experiment
    assert again["selection"] == "visqol"


def test_selection_by_the_last_step(shards, tmp_path):
    run(shards, tmp_path, {**BASE, "steps": 10, "selection": {"metric": "last"}})
    assert load_generator(tmp_path / "generator.pt")[1]["step"] == 10


@pytest.mark.parametrize("min_steps", [0, 24])
def test_patience_stops_once_the_metric_stops_improving(shards, tmp_path, min_steps):
    # Higher LSD counted as better: training lowers it, so the first validation
    # stays the best and patience runs out as soon as min_steps allows.
    spec = {**BASE, "steps": 60, "validate_every": 4,
            "selection": {"metric": "lsd", "mode": "max", "patience": 2,
                          "min_steps": min_steps}}
    result = run(shards, tmp_path, spec)
    rows = metrics(tmp_path / "metrics.csv")
    lsd = {int(r["step"]): float(r["valid_lsd"]) for r in rows if r["valid_lsd"]}
    best = max(lsd, key=lsd.get)
    stop = next(s for s in sorted(lsd) if s >= min_steps and (s - max(
        (b for b in lsd if b <= s), key=lsd.get)) // 4 >= 2)
    assert len(rows) == stop < 60 and result["stopped"] and result["steps"] == stop
    assert stop >= min_steps and stop == max(min_steps, best + 8)
    assert load_generator(tmp_path / "generator.pt")[1]["step"] == best
    # A rerun finds the run finished: no more steps.
    run(shards, tmp_path, spec)
    assert len(metrics(tmp_path / "metrics.csv")) == stop


def test_min_delta_counts_only_a_larger_change_as_better(shards, tmp_path):
    # Lower LSD is better and training lowers it, but by less than min_delta: the
    # first validation stays the output and patience stops two validations later.
    spec = {**BASE, "steps": 60, "validate_every": 4,
            "selection": {"metric": "lsd", "patience": 2, "min_delta": 100.0}}
    result = run(shards, tmp_path, spec)
    lsd = [float(r["valid_lsd"]) for r in metrics(tmp_path / "metrics.csv") if r["valid_lsd"]]
    assert min(lsd) < lsd[0]  # an improvement min_delta: 0 would have taken
    assert result["stopped"] and result["steps"] == 12
    assert load_generator(tmp_path / "generator.pt")[1]["step"] == 4


def test_better_by_more_than_min_delta():
    assert better(4.60, 4.59, "max", 0.005) and not better(4.594, 4.59, "max", 0.005)
    assert better(0.90, 0.95, "min", 0.01) and not better(0.945, 0.95, "min", 0.01)
    assert better(0.0, None, "min", 1.0) and better(0.0, 1.0, None, 1.0)


@pytest.mark.parametrize("after_join", [True, False])
def test_a_gan_is_selected_and_stopped_after_its_adversarial_terms_join(shards, tmp_path,
                                                                       after_join):
    # Higher LSD counted as better: training lowers it, so step 4 would stay the best
    # and patience would stop at step 12, before the join at step 21.
    spec = {**GAN, "steps": 60, "adversarial_start": {"step": 20},
            "selection": {"metric": "lsd", "mode": "max", "patience": 2,
                          "after_join": after_join}}
    result = run(shards, tmp_path, spec)
    lsd = {int(r["step"]): float(r["valid_lsd"]) for r in metrics(tmp_path / "metrics.csv")
           if r["valid_lsd"]}
    first = 24 if after_join else 4  # the first validation that can be the output

    def best_until(step):
        return max((s for s in lsd if first <= s <= step), key=lsd.get)

    stop = next(s for s in sorted(lsd) if s >= first and (s - best_until(s)) // 4 >= 2)
    assert result["stopped"] and result["steps"] == stop == max(lsd)
    assert load_generator(tmp_path / "generator.pt")[1]["step"] == best_until(stop)
    assert (stop > 21) == after_join


def test_patience_needs_a_metric(shards, tmp_path):
    with pytest.raises(ValueError, match="selection.patience: needs a metric"):
        recipe_check({**BASE, "selection": {"metric": "last", "patience": 3}})
    with pytest.raises(ValueError, match=r"selection.min_steps: 20 is more than steps \(12\)"):
        recipe_check({**BASE, "selection": {"min_steps": 20}})


def recipe_check(spec):
    from music_enhance.core.defaults import filled
    from music_enhance.training.recipe import recipe_errors
    for error in recipe_errors(filled("experiment", spec, "e")):
        raise ValueError(error)


@pytest.mark.parametrize("kind", ["bce", "conditional", "wgan_gp"])
def test_adversarial_training_starts_on_schedule(shards, tmp_path, kind):
    spec = {**GAN, "discriminator": {**GAN["discriminator"], "name": kind, "critic_steps": 2}}
    if kind == "wgan_gp":
        spec["losses"] = {"l2": 1.0, "adversarial": 0.001}
    run(shards, tmp_path, spec)
    rows = metrics(tmp_path / "metrics.csv")
    assert all(r["d_loss"] for r in rows)
    started = [int(r["step"]) for r in rows if r.get("adversarial")]
    assert started == list(range(5, 13))  # after adversarial_start.step = 4
    discriminator = load_discriminator(tmp_path / "generator.pt")
    assert discriminator.blocks[0].kind == kind


def test_the_discriminator_trains_only_its_warmup_before_the_adversarial_start(shards,
                                                                              tmp_path):
    run(shards, tmp_path, {**GAN, "steps": 10,
                           "adversarial_start": {"step": 6, "warmup": 2}})
    rows = metrics(tmp_path / "metrics.csv")
    assert [int(r["step"]) for r in rows if r["d_loss"]] == list(range(5, 11))
    assert [int(r["step"]) for r in rows if r.get("adversarial")] == list(range(7, 11))


def test_the_adversarial_weight_ramps_up_after_the_start(shards, tmp_path):
    run(shards, tmp_path, {**GAN, "adversarial_start": {"step": 4, "ramp": 4}})
    for row in metrics(tmp_path / "metrics.csv"):
        step, adversarial = int(row["step"]), float(row.get("adversarial") or 0)
        share = min(1.0, (step - 4) / 4) if step > 4 else 0.0
        assert float(row["train_loss"]) == pytest.approx(
            float(row["l2"]) + 0.01 * share * adversarial, rel=1e-5), step


def test_adversarial_start_waits_for_the_discriminator_loss(shards, tmp_path):
    run(shards, tmp_path, {**GAN, "adversarial_start": {"step": 0, "below": 1e-9}})
    rows = metrics(tmp_path / "metrics.csv")
    assert not any(r.get("adversarial") for r in rows)  # BCE loss never gets that low


def test_feature_loss_uses_the_autoencoder(shards, tmp_path):
    autoencoder = {**BASE, "model": {"name": "autoencoder", "channels": [8, 16],
                                     "kernels": [9, 9]}, "identity": True}
    run(shards, tmp_path / "ae", autoencoder)
    spec = {**BASE, "losses": {"l2": 1.0, "feature": 0.5, "spectral": 0.1, "mrstft": 0.1,
                               "l1": 0.1}}
    run(shards, tmp_path / "g", spec, autoencoder=tmp_path / "ae" / "generator.pt")
    rows = metrics(tmp_path / "g" / "metrics.csv")
    for row in rows:
        terms = {k: float(row[k]) for k in ("l2", "feature", "spectral", "mrstft", "l1")}
        total = terms["l2"] + 0.5 * terms["feature"] + 0.1 * (
            terms["spectral"] + terms["mrstft"] + terms["l1"])
        assert float(row["train_loss"]) == pytest.approx(total, rel=1e-5)
        assert terms["feature"] > 0


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(shards, tmp_path):
    bad = tmp_path / "bad.h5"
    shutil.copy(shards["train"], bad)
    with h5py.File(bad, "r+") as h5:
        poisoned = h5["target"][0]
        poisoned[:] = np.nan
        h5["target"][0] = poisoned  # one window; with seed 3 it is drawn at step 40
        # Its checksum too: a shard that holds NaN as written, not one changed after.
        h5["target_crc32"][0] = window_crcs(poisoned[None])[0]
    spec = {**BASE, "steps": 60, "validate_every": 4, "checkpoint_every": 2}
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FloatingPointError, match="e: generator loss is nan at step 40"):
        train([bad], [shards["validation"]], out / "generator.pt", out / "metrics.csv", "e",
              spec, seed=3)
    # The best checkpoint of the 39 good steps and the resume state of step 38 are kept.
    model, checkpoint = load_generator(out / "generator.pt")
    assert 4 <= checkpoint["step"] <= 36 and checkpoint["step"] % 4 == 0
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert torch.load(out / "last.pt", weights_only=False)["step"] == 38
    rows = metrics(out / "metrics.csv")
    assert [int(r["step"]) for r in rows] == list(range(1, 39))
    assert all(np.isfinite(float(r["train_loss"])) for r in rows)


def _command(shards, out, spec, extra=()):
    import json
    return [*extra, "train", str(out / "generator.pt"), str(out / "metrics.csv"),
            "--train-shards", str(shards["train"]), "--valid-shards",
            str(shards["validation"]), "--experiment", "e", "--spec", json.dumps(spec),
            "--seed", "3", "--threads", "1"]


def test_an_unreadable_provenance_record_is_a_clear_error(shards, tmp_path):
    record = tmp_path / "record.json"
    record.write_text("{not json")
    done = subprocess.run([sys.executable, "-m", "music_enhance.cli",
                           *_command(shards, tmp_path, BASE), "--provenance", str(record)],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"--provenance {record}: not a readable provenance record" in done.stderr
    assert not list(tmp_path.glob("*.pt")) and not (tmp_path / "metrics.csv").exists()


@pytest.mark.parametrize("recipe", [GAN, HIFI], ids=["bce", "hifigan"])
def test_killed_run_resumes_to_the_same_curve(shards, tmp_path, recipe):
    # The kill falls inside the adversarial ramp: the step it began must survive it.
    spec = {**recipe, "steps": 150, "validate_every": 25, "checkpoint_every": 10,
            "scheduler": {"factor": 0.5, "patience": 1},
            "adversarial_start": {**recipe["adversarial_start"], "ramp": 40}}
    cli = [sys.executable, "-m", "music_enhance.cli"]
    whole = tmp_path / "whole"
    subprocess.run(_command(shards, whole, spec, cli), check=True, capture_output=True)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_command(shards, killed, spec, cli), stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (killed / "last.pt").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    interrupted = metrics(killed / "metrics.csv")
    assert 10 <= len(interrupted) < 150  # killed part way
    resumed = subprocess.run(_command(shards, killed, spec, cli), check=True,
                             capture_output=True, text=True)
    assert "resuming e from" in resumed.stderr
    assert metrics(killed / "metrics.csv") == metrics(whole / "metrics.csv")
    assert (state_digest(load_generator(killed / "generator.pt")[0])
            == state_digest(load_generator(whole / "generator.pt")[0]))


@pytest.mark.parametrize("recipe", [BASE, HIFI], ids=["l2", "hifigan"])
def test_two_process_ddp_keeps_the_ranks_identical(shards, tmp_path, recipe):
    torchrun = Path(sys.executable).with_name("torchrun")
    cli = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "music_enhance.cli"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(_command(shards, tmp_path, {**recipe, "batch_size": 2}, cli), env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = [line for line in done.stderr.splitlines() if "rank_digests" in line]
    assert len(reports) == 2  # each rank gathers the weight digests of both
    for report in reports:
        listed = report.split("'rank_digests': [")[1].split("]")[0].split(", ")
        assert len(listed) == 2 and listed[0] == listed[1]
    assert len(metrics(tmp_path / "metrics.csv")) == 12
    assert torch.load(tmp_path / "generator.pt", weights_only=True)["step"] in (4, 8, 12)


def test_plateau_scheduler_halves_a_rate_that_stopped_helping(shards, tmp_path):
    spec = {**BASE, "steps": 12, "validate_every": 2, "optimizer": {"lr": 1e-12},
            "scheduler": {"factor": 0.5, "patience": 0}}
    run(shards, tmp_path, spec)
    rates = [float(r["lr"]) for r in metrics(tmp_path / "metrics.csv")]
    # lr 1e-12 changes nothing, so after each validation but the first the rate halves.
    assert rates[:4] == pytest.approx([1e-12] * 4)
    assert rates[-1] == pytest.approx(1e-12 / 2 ** 4)


def test_gradient_clipping_bounds_the_updates(shards, tmp_path):
    spec = {**BASE, "steps": 40, "model": {**BASE["model"], "dropout": 0.0}}
    run(shards, tmp_path / "free", spec)
    run(shards, tmp_path / "clipped", {**spec, "grad_clip": 1e-12})
    free = [float(r["l2"]) for r in metrics(tmp_path / "free" / "metrics.csv")]
    clipped = [float(r["l2"]) for r in metrics(tmp_path / "clipped" / "metrics.csv")]
    assert free[-1] < 0.9 * free[0]
    # Gradients of norm 1e-12 sit far below Adam's eps: the weights hardly move.
    # (the same batches in both runs, so the per-batch losses compare directly).
    assert clipped[0] == free[0]
    assert clipped[0] - clipped[-1] < 0.25 * (free[0] - free[-1])


def test_compiled_training_matches_the_eager_losses(shards, tmp_path):
    spec = {**BASE, "steps": 4, "validate_every": 4, "model": {**BASE["model"], "dropout": 0.0}}
    run(shards, tmp_path / "eager", {**spec, "compile": False})
    run(shards, tmp_path / "compiled", {**spec, "compile": True})
    eager = [float(r["train_loss"]) for r in metrics(tmp_path / "eager" / "metrics.csv")]
    compiled = [float(r["train_loss"]) for r in metrics(tmp_path / "compiled" / "metrics.csv")]
    assert compiled == pytest.approx(eager, rel=1e-3)
