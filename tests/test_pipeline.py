"""The whole DAG on the real tools, on a tiny config, and its caching behaviour."""

import copy
import hashlib
import json
import re

import h5py
import numpy as np
import pandas as pd
import pytest
import soundfile

from conftest import run_snakemake, tiny_config, write_config
from music_enhance.data.loader import ShardWindows
from music_enhance.data.shard import plan_shards, predicted_windows
from music_enhance.evaluation.score import HIGHER_IS_BETTER, METRICS


def sf_rate(path) -> str:
    """A render's content digest: another SoundFont gives other samples."""
    return hashlib.sha256(soundfile.read(path)[0].tobytes()).hexdigest()


def planned_jobs(workdir) -> dict[str, int]:
    """Rule -> job count from the job table of a real dry run."""
    result = run_snakemake(workdir, "-n")
    if "Nothing to be done" in result.stdout + result.stderr:
        return {}
    table = result.stdout.split("job ", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("dag")
    config = tiny_config()
    write_config(workdir, config)
    run_snakemake(workdir)
    return workdir, config


def test_whole_dag_scores_model_and_baseline(finished_run):
    workdir, _ = finished_run
    summary = pd.read_csv(workdir / "results/scores/summary.csv")
    assert set(summary["system"]) == {"unet_l2", "piano_sr.input", "piano_sr.linear",
                                      "piano_sr.cubic", "piano_sr.sinc"}
    assert (summary["pieces"] == 1).all()
    # The baseline's score is recomputable from the files it names.
    per_piece = pd.read_csv(workdir / "results/scores/piano_sr.input.csv")
    baseline = summary.set_index("system").loc["piano_sr.input"]
    assert baseline["lsd"] == pytest.approx(per_piece["lsd"].mean(), abs=1e-4)
    assert 0 < baseline["lsd"] < 10 and baseline["snr"] > 0
    # Above the 4 kHz cut-off the input has nothing: its high-band LSD is the worst.
    assert baseline["lsd_high"] > baseline["lsd"]
    for metric in ("snr", "lsd", "lsd_high", "si_sdr", "mrstft", "visqol"):
        assert np.isfinite(summary[metric]).all(), metric
    # ViSQOL is a MOS (1 to 5); the real-time factor is the enhancement JSON's, for the
    # trained system only.
    assert summary["visqol"].between(1, 5).all()
    info = json.loads(next((workdir / "results/enhance/unet_l2").glob("*.json")).read_text())
    rtf = summary.set_index("system")["rtf"]
    assert rtf["unet_l2"] == pytest.approx(info["real_time_factor"], rel=1e-3)
    assert rtf.drop("unet_l2").isna().all()
    manifest = pd.read_csv(workdir / "results/manifest.csv")
    assert sorted(manifest["split"]) == ["test", "train", "validation"]
    assert (workdir / "results/report/unet_l2/spectrogram.png").stat().st_size > 10_000
    assert (workdir / "results/report/tasks/piano_sr.png").stat().st_size > 10_000
    metrics = pd.read_csv(workdir / "results/train/unet_l2/metrics.csv")
    assert list(metrics["step"]) == list(range(1, 21))
    assert list(metrics.dropna(subset=["valid_lsd"])["step"]) == [10, 20]
    # The job's log says how training goes, one line per validation.
    log = (workdir / "results/logs/train/unet_l2.log").read_text()
    assert re.findall(r"unet_l2 step (\d+)/20: train loss \S+, validation SNR -?[\d.]+ dB, "
                      r"LSD [\d.]+, MR-STFT [\d.]+", log) == ["10", "20"]


def test_report_holds_the_summary_and_figures(finished_run):
    workdir, _ = finished_run
    run_snakemake(workdir, "--report", "results/report.html")
    html = (workdir / "results/report.html").read_text()
    for name in ("summary.csv", "summary.html", "config.html", "spectrogram.png",
                 "curves.png", "excerpts.html"):
        assert name in html, name
    # The bold cell of each metric column is the system best on it in summary.csv.
    table = (workdir / "results/report/summary.html").read_text()
    rows = re.findall(r"<tr><td>([^<]+)</td><td>\d+</td>(.*?)</tr>", table)
    summary = pd.read_csv(workdir / "results/scores/summary.csv").set_index("system")
    for column, metric in enumerate(METRICS):
        bold = [system for system, cells in rows
                if re.findall(r"<td>(.*?)</td>", cells)[column].startswith("<b>")]
        best = (summary[metric].idxmax() if HIGHER_IS_BETTER[metric]
                else summary[metric].idxmin())
        assert bold == [best], metric
    assert (workdir / "results/report/unet_l2/excerpts.html").read_text().count(
        "data:audio/wav;base64,") == 6  # input, target, 3 baselines, output


def test_until_builds_up_to_a_stage(finished_run, tmp_path):
    write_config(tmp_path, finished_run[1])
    assert planned_jobs(tmp_path) == {
        "download": 1, "manifest": 1, "render": 3, "degrade": 3, "shard": 2, "train": 1,
        "enhance": 1, "baseline": 3, "score": 5, "summarise": 1, "report": 1, "compare": 1,
        "report_tables": 1, "all": 1}
    run_snakemake(tmp_path, "--until", "degrade")
    # A batch per split (one piece each here); each file where it always was, listed
    # with its SHA-256 and size in its batch's record.
    assert len(list((tmp_path / "results/degrade").rglob("*.flac"))) == 3
    records = {}
    for split in ("train", "validation", "test"):
        records.update(json.loads((tmp_path / f"results/render/piano/16000/batches/"
                                   f"{split}-0.json").read_text()))
    assert sorted(records) == sorted(str(p.relative_to(tmp_path)) for p in
                                     (tmp_path / "results/render").rglob("*.flac"))
    assert all(hashlib.sha256((tmp_path / f).read_bytes()).hexdigest() == entry["sha256"]
               and (tmp_path / f).stat().st_size == entry["bytes"]
               for f, entry in records.items())
    assert not (tmp_path / "results/shards").exists()


def test_a_small_max_bytes_splits_a_split_into_several_shards(finished_run, tmp_path):
    # 6 pieces (4 train) of about 4 s: about 1 MB of windows each, over a 1.5 MB limit;
    # a shard job writes at most 2 of them.
    config = {**finished_run[1], "shard": {"max_bytes": 1_500_000, "shards_per_job": 2},
              "demo": {"pieces": 6, "min_duration": 3, "max_duration": 4}}
    write_config(tmp_path, config)
    run_snakemake(tmp_path, "--until", "shard", "manifest")
    shards = sorted((tmp_path / "results/shards/piano_sr/train").glob("*.h5"))
    manifest = pd.read_csv(tmp_path / "results/manifest.csv")
    train = manifest[manifest["split"] == "train"]
    plan = plan_shards(train["id"].tolist(), train["duration"].tolist(), 16000, 1.0, 1024,
                       512, 1_500_000)
    # As many shards as the durations predict, each with the predicted windows.
    assert len(shards) == len(plan) > 2
    # Written by jobs of at most 2 consecutive shards, each listed in its job's record.
    records = sorted((tmp_path / "results/shards/piano_sr/train/batches").glob("*.json"))
    listed = [list(json.loads(r.read_text())) for r in records]
    assert len(records) == -(-len(plan) // 2) and all(len(names) <= 2 for names in listed)
    assert sorted(n for names in listed for n in names) == sorted(
        str(p.relative_to(tmp_path)) for p in shards)
    predicted = dict(zip(train["id"], [predicted_windows(d, 16000, 1.0, 1024, 512)
                                       for d in train["duration"]], strict=True))
    for path, pieces in zip(shards, plan, strict=True):
        assert len(ShardWindows([path])) == sum(predicted[p] for p in pieces)
    windows = ShardWindows(shards)
    assert {windows.window_id(i)[0] for i in range(len(windows))} == set(train["id"])


def test_changed_low_rate_reruns_degrade_and_downstream_not_render(finished_run):
    workdir, config = finished_run
    assert planned_jobs(workdir) == {}
    renders = {p: p.stat().st_mtime_ns for p in (workdir / "results/render").rglob("*.flac")}
    before = pd.read_csv(workdir / "results/scores/summary.csv")

    config["chains"]["lowres"][0]["low_rate"] = 6000
    write_config(workdir, config)
    assert planned_jobs(workdir) == {
        "degrade": 3, "shard": 2, "train": 1, "enhance": 1, "baseline": 3, "score": 5,
        "summarise": 1, "report": 1, "compare": 1, "report_tables": 1, "all": 1}
    run_snakemake(workdir)
    assert renders == {p: p.stat().st_mtime_ns for p in renders}
    after = pd.read_csv(workdir / "results/scores/summary.csv")
    # A lower cut-off leaves a worse input: the baseline LSD must grow.
    assert (after.set_index("system").loc["piano_sr.input", "lsd"]
            > before.set_index("system").loc["piano_sr.input", "lsd"])
    assert planned_jobs(workdir) == {}


def test_integer_written_as_float_is_not_a_change(finished_run):
    workdir, config = finished_run
    config["tasks"]["piano_sr"]["stride"] = 512.0
    config["chains"]["lowres"][0]["low_rate"] = float(config["chains"]["lowres"][0]["low_rate"])
    write_config(workdir, config)
    assert planned_jobs(workdir) == {}


def test_changed_chain_reruns_only_its_own_degrade_jobs(tmp_path):
    config = tiny_config()
    config["chains"]["noisy"] = [{"step": "pinknoise", "snr_db": 20, "variance": 1.0},
                                 {"step": "reverb", "reverberance": 30}]
    config["tasks"]["denoise"] = {**config["tasks"]["piano_sr"],
                                  "input": {"instrument": "piano", "chain": "noisy"}}
    config["experiments"]["unet_denoise"] = {**config["experiments"]["unet_l2"],
                                             "task": "denoise"}
    write_config(tmp_path, config)
    run_snakemake(tmp_path, "--until", "degrade")
    values = sorted((tmp_path / "results/degrade/noisy/piano/16000").glob("*.json"))
    assert len(values) == 3
    config["chains"]["noisy"][1]["reverberance"] = 60
    write_config(tmp_path, config)
    result = run_snakemake(tmp_path, "-n", "--until", "degrade")
    planned = result.stdout.split("job ", 1)[1].split("total", 1)[0]
    assert re.search(r"^degrade\s+3$", planned, re.M)
    assert "render" not in planned
    assert "results/degrade/noisy/" in result.stdout
    assert "results/degrade/lowres/" not in result.stdout


def test_an_unseen_soundfont_adds_rows_and_renders_only_the_test_pieces(finished_run):
    workdir, config = finished_run
    renders = {p: p.stat().st_mtime_ns for p in (workdir / "results/render").rglob("*.flac")}
    config["tasks"]["piano_sr"]["evaluation"] = {
        "soundfonts": {"fluid": "/usr/share/sounds/sf2/FluidR3_GM.sf2"}}
    write_config(workdir, config)
    # No retraining, nothing of the seen timbre again: the test piece with FluidR3_GM,
    # degraded, enhanced with the trained generator, its baselines, their scores.
    assert planned_jobs(workdir) == {
        "render": 1, "degrade": 1, "enhance": 1, "baseline": 3, "score": 5, "summarise": 1,
        "report_tables": 1, "all": 1}
    run_snakemake(workdir)
    assert renders == {p: p.stat().st_mtime_ns for p in renders}
    test = pd.read_csv(workdir / "results/manifest.csv").query("split == 'test'")["id"]
    unseen = sorted(p.stem for p in (workdir / "results/render/piano@fluid/16000").glob(
        "*.flac"))
    assert unseen == sorted(test)
    summary = pd.read_csv(workdir / "results/scores/summary.csv").set_index("system")
    assert {"unet_l2@fluid", "piano_sr.input@fluid", "piano_sr.cubic@fluid"} <= set(
        summary.index)
    assert summary.loc["unet_l2@fluid", "task"] == "piano_sr@fluid"
    # Another timbre, other numbers: the rows are not copies of the seen ones.
    assert summary.loc["piano_sr.input@fluid", "lsd"] != summary.loc["piano_sr.input", "lsd"]
    seen = sf_rate(workdir / f"results/render/piano/16000/{test.iloc[0]}.flac")
    assert sf_rate(workdir / f"results/render/piano@fluid/16000/{test.iloc[0]}.flac") != seen


def test_hdf5_locking_off_reruns_nothing_and_reaches_the_jobs(finished_run, tmp_path):
    workdir, config = finished_run
    write_config(workdir, {**config, "shard": {**config.get("shard", {}),
                                               "file_locking": False}})
    # Only the config page shows it.
    assert planned_jobs(workdir) == {"report_tables": 1, "all": 1}
    write_config(workdir, config)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    write_config(fresh, {**config, "shard": {"file_locking": False}})
    run_snakemake(fresh, "--until", "shard")
    logs = sorted((fresh / "results/logs/shard").rglob("*.log"))
    assert len(logs) == 2  # train and validation
    assert all("HDF5_USE_FILE_LOCKING=FALSE" in log.read_text() for log in logs)


def test_a_training_soundfont_joins_the_shards_and_renders_no_test_piece_again(finished_run):
    workdir, config = finished_run
    fluid, tim = "/usr/share/sounds/sf2/FluidR3_GM.sf2", config["render"]["soundfont"]
    seen = {p: p.stat().st_mtime_ns for p in (workdir / "results/render/piano").rglob("*")}
    several = copy.deepcopy(config)
    several["tasks"]["piano_sr"].pop("evaluation", None)
    several["tasks"]["piano_sr"]["training"] = {"soundfonts": {"fluid": fluid}}
    write_config(workdir, several)
    # The train and validation pieces with FluidR3_GM (one render and one degrade job
    # each: 4 pieces per job), new shards, the model trained again and scored again.
    jobs = planned_jobs(workdir)
    assert (jobs["render"], jobs["degrade"], jobs["shard"], jobs["train"]) == (2, 2, 2, 1)
    run_snakemake(workdir)
    assert seen == {p: p.stat().st_mtime_ns for p in seen}
    manifest = pd.read_csv(workdir / "results/manifest.csv")
    train = sorted(manifest.query("split == 'train'")["id"])
    with h5py.File(workdir / "results/shards/piano_sr/train/0.h5", "r") as h5:
        pieces, soundfonts = list(h5["pieces"].asstr()[:]), list(h5["soundfont"].asstr()[:])
        rows = h5["piece"][:]
    assert sorted(pieces) == sorted(train * 2)
    assert sorted(zip(pieces, soundfonts, strict=True)) == sorted(
        [(p, tim) for p in train] + [(p, fluid) for p in train])
    assert {soundfonts[r] for r in rows} == {tim, fluid}  # windows of both timbres
    write_config(workdir, config)
