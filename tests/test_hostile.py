"""Hostile but realistic inputs, through the real Snakemake CLI: file names that a shell
would run, a bad MIDI file fixed in the user's folder, config mistakes caught at
start-up, `--until` on both sources, a partial config from another folder."""

import hashlib
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pretty_midi
import pytest
import yaml

from conftest import (
    REPO,
    SMALL_SOUNDFONT,
    run_snakemake,
    tiny_config,
    write_config,
)
from music_enhance.data.demo import CORPUS_NAME, write_demo_corpus
from music_enhance.data.render import render

# Each is a file name a shell would split, expand or run if a rule left it unquoted.
HOSTILE = ["2004/with space (1).midi", "2004/quote's \"double\".midi",
           "2006/x$(touch INJECTED).midi", "2006/back`touch INJECTED_BT`tick.midi",
           "2008/Dvořák – Humoreska č. 7.midi", "2008/semi;colon&amp>redirect.midi"]


def maestro_folder(root: Path, names=None) -> Path:
    """A MAESTRO v3 folder of six short demo pieces, renamed to ``names``."""
    table = write_demo_corpus(root, pieces=6, min_duration=3, max_duration=4, seed=7)
    if names:
        corpus = root / CORPUS_NAME
        for old, new in zip(table["midi_filename"], names, strict=True):
            (corpus / new).parent.mkdir(parents=True, exist_ok=True)
            (corpus / old).rename(corpus / new)
        table["midi_filename"] = names
        table.to_csv(corpus / f"{CORPUS_NAME}.csv", index=False)
    return root


def maestro_config(folder: Path, **changes) -> dict:
    config = tiny_config()
    config.update(source="maestro", maestro={"url": "http://127.0.0.1:9/unused.zip",
                                             "sha256": None, "path": str(folder)}, **changes)
    return config


def job_counts(stdout: str) -> dict:
    stats = stdout.split("Job stats:")[1] if "Job stats:" in stdout else ""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.M)}


def test_hostile_file_names_render_correctly_and_run_nothing(tmp_path):
    folder = maestro_folder(tmp_path / "maestro", HOSTILE)
    work = tmp_path / "work"
    work.mkdir()
    write_config(work, maestro_config(folder))
    run_snakemake(work, "--until", "render")
    assert not list(tmp_path.rglob("INJECTED*")) and not list(REPO.rglob("INJECTED*"))
    renders = sorted((work / "results/render/piano/16000").glob("*.flac"))
    assert len(renders) == len(HOSTILE)
    # Each render equals one made directly from the user's file: right file, right length.
    for name in HOSTILE:
        source = folder / CORPUS_NAME / name
        piece = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{Path(name).parent}_{Path(name).stem}")
        direct = tmp_path / "direct.flac"
        info = render(source, direct, "piano", 0, SMALL_SOUNDFONT, 16000)
        ours = work / "results/render/piano/16000" / f"{piece.strip('_')}.flac"
        end = pretty_midi.PrettyMIDI(str(source)).get_end_time()
        assert info["samples"] == math.ceil((end + 1.0) * 16000)
        assert hashlib.sha256(ours.read_bytes()).digest() == hashlib.sha256(
            direct.read_bytes()).digest()


def test_bad_midi_stops_the_first_run_and_a_fixed_file_reruns_its_batch_only(tmp_path):
    folder = maestro_folder(tmp_path / "maestro")
    table = pd.read_csv(folder / CORPUS_NAME / f"{CORPUS_NAME}.csv")
    victim = folder / CORPUS_NAME / table["midi_filename"][0]
    good = victim.read_bytes()
    victim.write_bytes(good[:30])  # truncated
    work = tmp_path / "work"
    work.mkdir()
    config = maestro_config(folder, pieces_per_job=1)
    write_config(work, config)
    # Every run, the first included, stops at start-up before any job, naming the file
    # in the user's folder and what is wrong with it.
    for args in ([], ["-n"], ["--until", "download"]):
        result = run_snakemake(work, *args, check=False)
        out = result.stderr + result.stdout
        assert result.returncode != 0
        assert f"{victim}: not a readable MIDI file (" in out and "()" not in out
        assert "Fix or replace the file and run again" in out
        assert "Traceback" not in out
        assert not (work / "results/corpus").exists()
        assert not (work / "results/render").exists()
    victim.write_bytes(good)  # the user fixes it
    run_snakemake(work, "--until", "render", "manifest")
    renders = work / "results/render/piano/16000"
    assert len(list(renders.glob("*.flac"))) == 6
    assert len(pd.read_csv(work / "results/manifest.csv")) == 6
    before = {p.name: p.read_bytes() for p in renders.glob("*.flac")}
    # Another version of one file re-renders its batch alone.
    victim.write_bytes((folder / CORPUS_NAME / table["midi_filename"][1]).read_bytes())
    result = run_snakemake(work, "--until", "render")
    assert job_counts(result.stdout + result.stderr)["render"] == 1
    changed = {p.name for p in renders.glob("*.flac") if p.read_bytes() != before[p.name]}
    assert changed == {f"{Path(table['midi_filename'][0]).parent.name}_"
                       f"{Path(table['midi_filename'][0]).stem}.flac"}
    # A lost record is no traceback: a local source is planned from where it is.
    (work / "results/corpus.json").unlink()
    for bad_midi in ("fail", "skip"):
        write_config(work, {**config, "on_bad_midi": bad_midi})
        result = run_snakemake(work, "-n")
        assert job_counts(result.stdout + result.stderr)["download"] == 1
        assert "Traceback" not in result.stderr


STAGES = ["download", "manifest", "render", "degrade", "shard", "train", "score", "report"]


@pytest.mark.parametrize("source", ["demo", "maestro"])
def test_until_sees_every_stage_on_both_sources(tmp_path, source):
    config = tiny_config() if source == "demo" else maestro_config(
        maestro_folder(tmp_path / "maestro"))
    write_config(tmp_path, config)
    # The demo's pieces never wait for its download; MAESTRO's are checked both ways.
    for downloaded in (False, True) if source == "maestro" else (False,):
        for stage in STAGES:
            counts = job_counts(run_snakemake(tmp_path, "-n", "--until", stage).stdout)
            if downloaded and stage == "download":
                assert "download" not in counts
            else:
                assert counts.get(stage, 0) >= 1, (source, downloaded, stage, counts)
        run_snakemake(tmp_path, "--until", "download")


def config_with(**changes):
    config = tiny_config()
    for key, value in changes.items():
        *path, last = key.split("__")
        node = config
        for part in path:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    return config


@pytest.mark.parametrize("changes, message", [
    ({"instruments__piano__program": "kazoo"},
     "config: instruments.piano.program: 'kazoo' is neither a number 0-127 nor a General "
     "MIDI instrument name"),
    ({"render__soundfont": "/nope/missing.sf2"},
     "config: render.soundfont: SoundFont /nope/missing.sf2 does not exist"),
    ({"chains__lowres__0__low_rate": 16000},
     "config: chains.lowres[0].low_rate: 16000 Hz is not below the sample rate 16000 Hz "
     "of task 'piano_sr'"),
    ({"tasks__piano_sr__window": 160000},
     "config: tasks.piano_sr.window: 160000 samples (10.00 s) is longer than every train "
     "piece"),
    ({"seed": "abc"}, "config: seed: 'abc' is not of type 'integer'"),
])
def test_config_mistakes_fail_at_start_up_naming_the_key(tmp_path, changes, message):
    write_config(tmp_path, config_with(**changes))
    result = run_snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert message in output, output[-2000:]
    assert "$defs" not in output and "Traceback" not in output  # no schema dump
    assert not (tmp_path / "results").exists()


def test_duplicate_yaml_keys_are_refused_naming_both_lines(tmp_path):
    text = yaml.safe_dump(tiny_config(), sort_keys=False)
    start = text.index("  unet_l2:")
    end = start + re.search(r"^\S", text[start:], re.M).start()  # the next top-level key
    block = text[start:end]
    # The experiment written twice, as a user pasting a variant would.
    (tmp_path / "config.yaml").write_text(text[:end] + block.replace("steps: 20", "steps: 5")
                                          + text[end:])
    first = text[:start].count("\n") + 1
    second = text[:end].count("\n") + 1
    result = run_snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    assert (f"config.yaml: key 'unet_l2' is defined twice (lines {first} and {second})"
            in result.stdout + result.stderr)


def test_partial_configfile_merges_over_config_yaml_from_any_folder(tmp_path):
    partial = tmp_path / "partial.yaml"
    partial.write_text(yaml.safe_dump({"demo": {"pieces": 3, "min_duration": 3,
                                                "max_duration": 4},
                                       "render": {"soundfont": SMALL_SOUNDFONT}}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_snakemake(elsewhere, "-n", "--configfile", str(partial))
    default = yaml.safe_load((REPO / "config.yaml").read_text())
    sources = {(t["input"]["instrument"], t["sample_rate"]) for t in default["tasks"].values()}
    sources |= {(t["target"]["instrument"], t["sample_rate"])
                for t in default["tasks"].values()}
    # 3 pieces, one per split: a batch each.
    assert job_counts(result.stdout + result.stderr)["render"] == 3 * len(sources)
    shutil.rmtree(elsewhere / ".snakemake", ignore_errors=True)


def test_a_results_folder_that_cannot_be_written_is_one_line(tmp_path):
    write_config(tmp_path, tiny_config())
    (tmp_path / "results").symlink_to("/sys/kernel")  # not even root writes there
    result = run_snakemake(tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "cannot write the job's provenance record (Operation not permitted); is the " \
           "results folder writable?" in output
    assert "Traceback" not in output
