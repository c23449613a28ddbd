"""The shipped reports config (and its GPU overlay) plans the reports' experiments."""

import json
import re

import pytest
import yaml

from conftest import REPO, run_snakemake

MINI = REPO.parent / "shared" / "data" / "maestro-mini" / "maestro-v3.0.0-midi.zip"
REPORTS = REPO / "config" / "experiments" / "reports.yaml"
GPU = REPO / "config" / "experiments" / "reports-gpu.yaml"

pytestmark = pytest.mark.skipif(not MINI.exists(), reason="needs ../shared/data/maestro-mini")


def planned(workdir, *configfiles):
    result = run_snakemake(workdir, "-n", "-p", "--configfile", *map(str, configfiles),
                           "--replace-workflow-config", "--config",
                           f'maestro={{"path": "{MINI}"}}')
    table = result.stdout.split("job ", 1)[1].split("total", 1)[0]
    return ({m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)},
            result.stdout)


def train_commands(plan):
    """The dry run's training commands."""
    return [line for line in plan.splitlines() if "Shell command: music-enhance train" in line]


def test_reports_config_plans_every_task_and_experiment(tmp_path):
    config = yaml.safe_load(REPORTS.read_text())
    bases = {"sr_5k_10k", "sr_11k_22k", "denoise", "swap"}
    assert set(config["tasks"]) == bases | {f"{t}_multi" for t in bases}
    # A _multi task is its base task trained on two more SoundFonts as well.
    for base in bases:
        multi = dict(config["tasks"][f"{base}_multi"])
        assert len(multi.pop("training")["soundfonts"]) == 2
        assert multi == config["tasks"][base]
    names = {e["model"]["name"] for e in config["experiments"].values()}
    kinds = {block["name"] for e in config["experiments"].values()
             for block in ([e["discriminator"]] if isinstance(e.get("discriminator"), dict)
                           else e.get("discriminator", []))}
    assert names == {"unet", "inception", "autoencoder", "specmask"}
    assert kinds == {"bce", "conditional", "wgan_gp", "multiscale", "spectrogram"}
    # The HiFi-GAN recipe on every task, with the same weights but at 5 kHz, where
    # band replication comes with L1 doubled and the band-envelope term; every
    # task also scored on a SoundFont no model trained on.
    recipe = {e["task"]: e["losses"] for e in config["experiments"].values()
              if isinstance(e.get("discriminator"), list)}
    assert set(recipe) == {f"{t}_multi" for t in bases} | {"sr_5k_10k"}
    sr5 = recipe.pop("sr_5k_10k_multi")
    del recipe["sr_5k_10k"]  # sr5_hifigan, checked below as sr5_hifigan_multi's twin
    assert len(set(map(str, recipe.values()))) == 1
    assert sr5 == {**recipe["denoise_multi"], "l1": 2.0, "bandenvelope": 0.3}
    assert config["experiments"]["sr5_hifigan_multi"]["model"]["replicate_above"] == 0.25
    # The same experiment on one SoundFont and on three, for the unseen-timbre rows.
    for one in ("sr5_unet_l2", "denoise_unet_l2", "denoise_mask", "sr5_hifigan"):
        several = dict(config["experiments"][f"{one}_multi"])
        assert several.pop("task") == config["experiments"][one]["task"] + "_multi"
        assert several == {k: v for k, v in config["experiments"][one].items() if k != "task"}
    assert all(t["evaluation"]["soundfonts"] for t in config["tasks"].values())
    assert any(e.get("losses", {}).get("feature") for e in config["experiments"].values())
    assert any("collab" in e for e in config["experiments"].values())
    jobs, _ = planned(tmp_path, REPORTS)
    assert jobs["train"] == len(config["experiments"]) == 19
    assert jobs["download"] == 1  # the pieces are planned once the archive is extracted


def test_gpu_overlay_keeps_the_experiments_and_enlarges_them(tmp_path):
    overlay = yaml.safe_load(GPU.read_text())
    base = yaml.safe_load(REPORTS.read_text())
    assert set(overlay["experiments"]) == set(base["experiments"])
    jobs, plan = planned(tmp_path, REPORTS, GPU)
    assert jobs["train"] == 19
    trains = train_commands(plan)
    assert len(trains) == 19
    # Every U-Net and the autoencoder at the reports' widths; every run 20,000 steps.
    assert sum('"channels":[128,256,512,512]' in line for line in trains) == 16
    assert sum('"model":{"channels":64,' in line and '"name":"specmask"' in line
               for line in trains) == 2
    assert all('"steps":20000' in line for line in trains)
    assert sum('"replicate_above":0.25' in line for line in trains) == 2


LONG = REPO / "config" / "experiments" / "long.yaml"


def test_long_overlay_trains_each_task_flagship_to_convergence(tmp_path):
    overlay = yaml.safe_load(LONG.read_text())
    kept = {name: e for name, e in overlay["experiments"].items() if e}
    assert set(kept) == {"denoise_specunet_long", "sr5_hifigan_long", "sr22_hifigan_long",
                         "swap_hifigan_long"}
    # At least 8,000 steps each, then patience on validation ViSQOL.
    for spec in kept.values():
        assert spec["selection"] == {"metric": "visqol", "patience": 8, "min_steps": 8000}
        assert spec["task"].endswith("_multi")
    jobs, plan = planned(tmp_path, REPORTS, LONG)
    # The four, and the learned Wiener filter, a baseline of the room-noise task;
    # the tasks set to null are gone, so are their baselines.
    assert jobs["train"] == 5
    assert "denoise_mask_multi" in plan and "sr5_unet_l2" not in plan
    assert "results/baselines/sr_5k_10k/" not in plan
    assert "results/baselines/sr_5k_10k_multi/" in plan
    trains = train_commands(plan)
    assert sum('"name":"specunet"' in line for line in trains) == 1
    assert sum('"band_gate":0.25' in line for line in trains) == 1  # sr22_hifigan_long


CONTEXT = REPO / "config" / "experiments" / "room-context.yaml"


def test_room_context_overlay_compares_one_change_at_two_second_windows(tmp_path):
    overlay = yaml.safe_load(CONTEXT.read_text())
    reports = yaml.safe_load(REPORTS.read_text())
    task = overlay["tasks"]["denoise_multi_2s"]
    # The room-noise task with windows four times as long, nothing else.
    assert {**task, "window": 8192, "stride": 4096} == reports["tasks"]["denoise_multi"]
    plain, context = (overlay["experiments"][name] for name in
                      ("denoise_specunet_2s", "denoise_specunet_2s_context"))
    assert {**context, "model": plain["model"]} == plain
    assert context["model"] == {**plain["model"], "window_context": True}
    # The same samples per step as long.yaml's 16 windows of 8,192.
    assert plain["batch_size"] * task["window"] == 16 * 8192
    jobs, plan = planned(tmp_path, REPORTS, LONG, CONTEXT)
    assert jobs["train"] == 7
    assert plan.count("--window 32768 --stride 16384 --task denoise_multi_2s") == 2


WAVENET = REPO / "config" / "experiments" / "wavenet-long.yaml"


def train_specs(plan):
    """Each planned training's experiment and its spec, from the dry run's commands."""
    commands = train_commands(plan)
    return {re.search(r"--experiment (\S+)", c)[1]: json.loads(re.search(r"--spec '(.*?)'", c)[1])
            for c in commands}


def test_wavenet_overlay_is_the_5khz_flagship_with_the_wavenet_generator(tmp_path):
    _, long_plan = planned(tmp_path / "long", REPORTS, LONG)
    jobs, plan = planned(tmp_path / "wavenet", REPORTS, LONG, WAVENET)
    specs = train_specs(plan)
    # Only the WaveNet and the room-noise task's learned Wiener filter train.
    assert jobs["train"] == 2 and set(specs) == {"sr5_wavenet_long", "denoise_mask_multi"}
    wavenet, flagship = specs["sr5_wavenet_long"], train_specs(long_plan)["sr5_hifigan_long"]
    assert wavenet["model"]["name"] == "wavenet"
    assert {**wavenet, "model": flagship["model"]} == flagship


FIXED = REPO / "config" / "experiments" / "room-fixed.yaml"


def test_room_fixed_overlay_is_the_room_noise_run_with_every_piece_in_one_room(tmp_path):
    overlay, reports = (yaml.safe_load(f.read_text()) for f in (FIXED, REPORTS))
    drawn, fixed = reports["chains"]["room_noise"], overlay["chains"]["room_fixed"]
    # The same chain without the reverb's variance: its mean room for every piece.
    assert fixed[0] == {k: v for k, v in drawn[0].items() if k != "variance"}
    assert fixed[1:] == drawn[1:]
    task = overlay["tasks"]["denoise_multi_fixed"]
    assert {**task, "input": {"instrument": "piano", "chain": "room_noise"}} == (
        reports["tasks"]["denoise_multi"])
    _, long_plan = planned(tmp_path / "long", REPORTS, LONG)
    jobs, plan = planned(tmp_path / "fixed", REPORTS, LONG, FIXED)
    probe, flagship = (train_specs(p)[name] for p, name in (
        (plan, "denoise_specunet_fixed"), (long_plan, "denoise_specunet_long")))
    # long.yaml's 16-tap filter and recipe; only the task and the length differ.
    assert probe["task"] == "denoise_multi_fixed" and probe["steps"] == 2000
    assert {**probe, "task": "denoise_multi", "steps": flagship["steps"],
            "selection": flagship["selection"]} == flagship
    assert "--chain-name room_fixed" in plan
