"""GAN, WGAN-GP and feature-loss experiments through the whole DAG on the tiny config."""

import json

import pandas as pd
import pytest
import torch

from conftest import run_snakemake, tiny_config, write_config

MODEL = {"name": "unet", "channels": [4, 8], "kernels": [9, 9], "dropout": 0.1}
COMMON = {"task": "piano_sr", "model": MODEL, "optimizer": {"lr": 3e-4}, "batch_size": 8,
          "steps": 12, "validate_every": 6}


@pytest.fixture(scope="module")
def zoo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("zoo")
    config = tiny_config()
    config["experiments"] = {
        "gan": {**COMMON, "discriminator": {"name": "bce", "channels": [4, 8], "lr": 3e-4},
                "losses": {"l2": 1.0, "adversarial": 0.001},
                "adversarial_start": {"step": 3},
                "collab": {"layer": 0, "step_size": 0.01, "eta": 1.0, "max_iters": 2}},
        "wgan": {**COMMON, "discriminator": {"name": "wgan_gp", "channels": [4, 8],
                                             "lr": 3e-4, "critic_steps": 2, "gp_weight": 10},
                 "losses": {"l2": 1.0, "adversarial": 0.0001}},
        "ae": {**COMMON, "model": {**MODEL, "name": "autoencoder"}, "identity": True},
        "feat": {**COMMON, "autoencoder": "ae", "losses": {"l2": 1.0, "feature": 0.1}},
        "incep": {**COMMON, "model": {"name": "inception", "depth": 2, "base": 4, "d_max": 8}},
    }
    write_config(workdir, config)
    run_snakemake(workdir)
    return workdir


def test_every_enhancing_experiment_is_scored_and_the_autoencoder_is_not(zoo_run):
    summary = pd.read_csv(zoo_run / "results/scores/summary.csv")
    systems = set(summary["system"])
    assert {"gan", "wgan", "feat", "incep"} <= systems and "ae" not in systems
    assert summary.set_index("system").loc[["gan", "wgan", "feat", "incep"], "snr"].notna().all()


def test_collaborative_sampling_is_scored_next_to_the_plain_generator(zoo_run):
    summary = pd.read_csv(zoo_run / "results/scores/summary.csv").set_index("system")
    assert "gan.collab" in summary.index
    for info in (zoo_run / "results/collab/gan").glob("*.json"):
        assert json.loads(info.read_text())["collab_steps_per_batch"] == 2  # eta 1: never met
    plain = sorted((zoo_run / "results/enhance/gan").glob("*.flac"))
    collab = sorted((zoo_run / "results/collab/gan").glob("*.flac"))
    assert [p.name for p in plain] == [p.name for p in collab] and plain
    assert plain[0].read_bytes() != collab[0].read_bytes()


def test_changing_eta_reruns_only_collaborative_enhancement(zoo_run, tmp_path):
    import yaml
    config = yaml.safe_load((zoo_run / "config.yaml").read_text())
    config["experiments"]["gan"]["collab"]["eta"] = 0.5
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    jobs = run_snakemake(zoo_run, "-n", "--configfile", str(tmp_path / "config.yaml"))
    table = jobs.stdout.split("job ", 1)[1].split("total", 1)[0]
    assert "enhance_collab" in table
    assert "\ntrain " not in table and "\nenhance " not in table


def test_gan_and_wgan_trained_their_discriminators(zoo_run):
    for name, kind in (("gan", "bce"), ("wgan", "wgan_gp")):
        metrics = pd.read_csv(zoo_run / f"results/train/{name}/metrics.csv")
        assert len(metrics) == 12 and metrics["d_loss"].notna().all()
        assert metrics["adversarial"].notna().sum() == (9 if name == "gan" else 12)
        checkpoint = torch.load(zoo_run / f"results/train/{name}/generator.pt",
                                weights_only=True)
        assert checkpoint["discriminator"]["name"] == kind
        assert (zoo_run / f"results/train/{name}/last.pt").exists()


def test_feature_loss_experiment_trained_after_its_autoencoder(zoo_run):
    ae = (zoo_run / "results/train/ae/generator.pt").stat().st_mtime
    feat = (zoo_run / "results/train/feat/generator.pt").stat().st_mtime
    assert ae < feat
    # The feature term is the autoencoder's: zero or absent without one.
    assert pd.read_csv(zoo_run / "results/train/feat/metrics.csv")["feature"].gt(0).all()
    assert not (zoo_run / "results/train/ae/enhance").exists()
    assert not list((zoo_run / "results/enhance").glob("ae"))
    result = run_snakemake(zoo_run, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.parametrize("mutate, message", [
    (lambda e: e["feat"].update(autoencoder="gan"),
     "experiments.feat.autoencoder: losses.feature needs an experiment with identity: true"),
    (lambda e: e["gan"].pop("discriminator"),
     "experiments.gan.losses.adversarial: needs a discriminator block"),
    (lambda e: e["incep"]["model"].update(channels=[4]), "channels"),
])
def test_bad_experiment_blocks_fail_before_any_job(tmp_path, mutate, message):
    config = tiny_config()
    config["experiments"] = {
        "gan": {**COMMON, "discriminator": {"name": "bce", "lr": 1e-3},
                "losses": {"l2": 1.0, "adversarial": 0.01}},
        "ae": {**COMMON, "model": {**MODEL, "name": "autoencoder"}, "identity": True},
        "feat": {**COMMON, "autoencoder": "ae", "losses": {"l2": 1.0, "feature": 0.1}},
        "incep": {**COMMON, "model": {"name": "inception", "depth": 2}},
    }
    mutate(config["experiments"])
    write_config(tmp_path, config)
    result = run_snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
