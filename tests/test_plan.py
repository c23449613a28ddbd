"""The planning layer on its own, in milliseconds: systems, paths, batches, the
arguments that decide reruns, every cross-check, the schema's defaults, and the code
each stage hashes against the package's real import graph."""

import argparse
import copy
import subprocess
import sys

import pandas as pd
import pytest

from conftest import tiny_config
from music_enhance.cli import parser
from music_enhance.core.config import (
    PACKAGE_DIR,
    SCHEMA,
    STAGE_ENTRIES,
    code_text,
    schema_default,
    stage_modules,
)
from music_enhance.core.config import validate_config as validate
from music_enhance.pipeline.plan import Plan, batch_count, piece_batch


def validated(config: dict) -> dict:
    validate(config, SCHEMA)
    return config


def table(n: int, splits=("train", "validation", "test")) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"p{i:03d}" for i in range(n)],
                         "split": [splits[i % len(splits)] for i in range(n)],
                         "midi": [f"results/corpus/maestro-v3.0.0/p{i}.midi" for i in range(n)],
                         "duration": [30.0] * n})


@pytest.fixture
def plan() -> Plan:
    config = validated(tiny_config())
    config["experiments"]["gan"] = {
        **copy.deepcopy(config["experiments"]["unet_l2"]),
        "discriminator": {"name": "bce", "channels": [4], "lr": 1e-4},
        "losses": {"l2": 1, "adversarial": 0.01},
        "collab": {"layer": 0, "step_size": 0.1, "eta": 0.5, "max_iters": 2}}
    built = Plan(config)
    built.use_pieces(table(12))
    return built


def test_systems_and_their_files(plan):
    assert plan.systems == ["gan", "unet_l2", "gan.collab", "piano_sr.cubic",
                            "piano_sr.input", "piano_sr.linear", "piano_sr.sinc"]
    assert plan.task_input("piano_sr") == "results/degrade/lowres/piano/16000/{piece}.flac"
    assert plan.task_target("piano_sr") == "results/render/piano/16000/{piece}.flac"
    assert plan.estimate("gan.collab") == "results/collab/gan/{piece}.flac"
    assert plan.estimate("piano_sr.input") == plan.task_input("piano_sr")
    assert plan.estimate("piano_sr.cubic") == "results/baselines/piano_sr/cubic/{piece}.flac"
    assert plan.system_task("gan.collab") == "piano_sr"


def test_every_piece_has_one_stable_batch():
    pieces = [f"MIDI-{i}" for i in range(1276)]
    count = batch_count(len(pieces), 100)
    assert count == 16  # a power of two: 13 jobs' worth rounded up
    batches = {p: piece_batch(p, count) for p in pieces}
    sizes = pd.Series(batches).value_counts()
    assert len(sizes) == 16 and sizes.min() > 50 and sizes.max() < 110
    # Adding a piece changes one batch's piece list, no other.
    assert batch_count(len(pieces) + 1, 100) == count
    grown = {**batches, "MIDI-new": piece_batch("MIDI-new", count)}
    changed = {b for b in set(grown.values())
               if sorted(p for p, x in grown.items() if x == b)
               != sorted(p for p, x in batches.items() if x == b)}
    assert changed == {grown["MIDI-new"]}


def test_batch_jobs_cover_the_pieces_with_their_files(plan):
    batches = plan.batches()
    assert batches[0] == "train-0" and batches[-1].startswith("test-")
    assert sorted(p for b in batches for p in plan.batch_pieces(b)) == plan.pieces()
    render = plan.render_job("piano", "16000", batches[0])
    assert render["outputs"] == [f"results/render/piano/16000/{p}.flac"
                                 for p in render["pieces"]]
    assert render["midi"][0].endswith(f"p{render['pieces'][0][1:].lstrip('0') or '0'}.midi")
    # The render block's keys (less the SoundFont, the instrument's) are its options.
    assert render["options"][::2] == ["--gain", "--tail", "--max-clipped"]
    degrade = plan.degrade_job("lowres", "piano", "16000", batches[0])
    assert degrade["records"] == [f"results/render/piano/16000/batches/{batches[0]}.json"]
    assert degrade["values"][0] == degrade["outputs"][0].replace(".flac", ".json")
    # Enhancement and baselines see the batch's test pieces only.
    test_batch = plan.batches("test")[0]
    enhance = plan.enhance_job("unet_l2", test_batch)
    assert set(enhance["pieces"]) == set(plan.batch_pieces(test_batch)) != set()
    assert set(enhance["pieces"]) <= set(plan.pieces("test"))
    assert enhance["records"] == [
        f"results/degrade/lowres/piano/16000/batches/{test_batch}.json"]
    assert plan.baseline_job("piano_sr", "cubic", test_batch)["low_rate"] == 8000


def test_score_reads_the_files_the_dag_tracks(plan):
    job = plan.score_job("piano_sr.cubic")
    assert job["pieces"] == plan.pieces("test")
    assert job["estimates"] == [f"results/baselines/piano_sr/cubic/{p}.flac"
                                for p in job["pieces"]]
    assert set(job["records"]) == {
        *[f"results/baselines/piano_sr/cubic/batches/{b}.json" for b in plan.batches("test")],
        *[f"results/render/piano/16000/batches/{b}.json" for b in plan.batches("test")]}
    assert job["options"][-2:] == ["--low-hz", "4000.0"]


def test_shards_and_their_options(plan):
    job = plan.shard_job("piano_sr", "train", 0)
    assert set(job["pieces"]) == set(plan.pieces("train"))
    assert job["targets"][0] == f"results/render/piano/16000/{job['pieces'][0]}.flac"
    tim = "/usr/share/sounds/sf2/TimGM6mb.sf2"  # the tiny config's SoundFont
    # The shard block's keys, in the schema's order, then the pairs' files.
    assert job["options"][:6] == ["--sample-format", "float32", "--compression", "none",
                                  "--soundfonts", tim]
    assert job["options"][job["options"].index("--values") + 1] == job["values"][0]
    plan.config["shard"].update(file_locking=False, min_rms_dbfs=-60)
    options = plan.shard_job("piano_sr", "train", 0)["options"]
    assert options[:2] == ["--min-rms-dbfs", "-60"]
    # Locking changes no output: not a param (common.smk sets HDF5's own switch).
    assert not any("locking" in option for option in options)


def test_a_block_key_added_to_the_schema_is_a_flag_and_an_argument(monkeypatch):
    """A stage's options are its config block's keys: a key added to the schema is a
    command-line flag with the schema's type and default, and the plan passes it."""
    from music_enhance.core import defaults
    schema = copy.deepcopy(defaults.schema())
    schema["properties"]["degrade"]["properties"]["max_dc"] = {
        "type": "number", "default": 0.5, "description": "largest DC offset"}
    monkeypatch.setattr(defaults, "schema", lambda: schema)
    commands = {a.dest: a for a in parser()._actions
                if isinstance(a, argparse._SubParsersAction)}["command"].choices
    flags = {a.dest: a for a in commands["degrade"]._actions}
    assert flags["max_dc"].default == 0.5 and flags["max_dc"].type("0.25") == 0.25
    with pytest.raises(argparse.ArgumentTypeError, match="not a number: 'x'"):
        flags["max_dc"].type("x")
    assert defaults.block_args("degrade", {"max_clipped": 0.001, "max_dc": 0.25}) == [
        "--max-clipped", "0.001", "--max-dc", "0.25"]


def test_rerun_params_leave_out_what_a_stage_does_not_use(plan):
    # Sampling-only collab keys: not training's (without shaping), only enhance_collab's.
    assert '"collab":null' in plan.train_job("gan")["spec"]
    plan.config["experiments"]["gan"]["collab"]["shaping_iters"] = 3
    assert '"shaping_iters":3' in plan.train_job("gan")["spec"]
    assert "shaping_iters" not in plan.collab_job("gan", plan.batches("test")[0])["options"][-1]
    # A float that is a whole number is the same param as the integer.
    assert plan.train_job("unet_l2")["spec"] == plan.train_job("unet_l2")["spec"].replace(
        ".0,", ",")


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c["tasks"]["piano_sr"]["input"].update(chain="nope"),
     "config: tasks.piano_sr.input.chain: unknown chain 'nope'"),
    (lambda c: c["tasks"]["piano_sr"]["target"].update(instrument="harp"),
     "config: tasks.piano_sr.target.instrument: unknown instrument 'harp'"),
    (lambda c: c["tasks"]["piano_sr"].update(window=1026),
     "config: tasks.piano_sr.window: 1026 is not a multiple of 4 (enhancement merges "
     "windows by quarters)"),
    (lambda c: c["tasks"]["piano_sr"].update(window=512),
     "config: tasks.piano_sr.window: 512 samples is shorter than the 1024-sample frame"),
    # A model that never halves its input still enhances by quarters.
    (lambda c: (c["tasks"]["piano_sr"].update(window=1026),
                c["experiments"]["unet_l2"].update(model={"name": "wavenet"})),
     "config: tasks.piano_sr.window: 1026 is not a multiple of 4"),
    (lambda c: c["chains"]["lowres"][0].update(low_rate=16000),
     "config: chains.lowres[0].low_rate: 16000 Hz is not below the sample rate 16000 Hz"),
    (lambda c: c["instruments"]["piano"].update(program="kazoo"),
     "config: instruments.piano.program: 'kazoo' is neither"),
    (lambda c: c["instruments"]["piano"].update(soundfont="/nope.sf2"),
     "config: instruments.piano.soundfont: SoundFont /nope.sf2 does not exist"),
    (lambda c: c["tasks"]["piano_sr"].update(evaluation={"soundfonts": {"x": "/no.sf2"}}),
     "config: tasks.piano_sr.evaluation.soundfonts.x: SoundFont /no.sf2 does not exist"),
    (lambda c: c["tasks"]["piano_sr"].update(training={"soundfonts": {"y": "/no.sf2"}}),
     "config: tasks.piano_sr.training.soundfonts.y: SoundFont /no.sf2 does not exist"),
    (lambda c: c["tasks"]["piano_sr"].update(training={"soundfonts": {"y": __file__}}),
     "config: tasks.piano_sr.training.soundfonts.y: " + __file__ + ": not a SoundFont"),
    (lambda c: c["experiments"]["unet_l2"].update(task="nope"),
     "config: experiments.unet_l2.task: unknown task 'nope'"),
    (lambda c: c["experiments"]["unet_l2"]["model"].update(kernels=[9]),
     "config: experiments.unet_l2.model.kernels: 1 kernels for 2 channel levels"),
    (lambda c: c["experiments"]["unet_l2"].update(model={"name": "specmask", "hop": 512}),
     "config: experiments.unet_l2.model.hop: 512 must divide n_fft 512 and be at most "
     "half of it"),
    (lambda c: (c["tasks"]["piano_sr"].update(window=1032),
                c["experiments"]["unet_l2"]["model"].update(channels=[4, 8, 8, 8],
                                                            kernels=[9, 9, 9, 9])),
     "config: tasks.piano_sr.window: 1032 is not a multiple of 16 (2^depth of a unet of "
     "depth 4), the model of experiment 'unet_l2'"),
    (lambda c: c["experiments"]["unet_l2"].update(
        collab={"layer": 0, "step_size": 1, "eta": 0, "max_iters": 1}),
     "config: experiments.unet_l2.collab: needs a unet model and a discriminator block"),
    (lambda c: c["experiments"]["unet_l2"].update(
        discriminator={"name": "bce", "lr": 1e-4},
        collab={"layer": 1, "step_size": 1, "eta": 0, "max_iters": 1}),
     "config: experiments.unet_l2.collab.layer: 1 is not an up-sampling block (0..0)"),
    (lambda c: c["experiments"]["unet_l2"].update(losses={"l1": 1, "feature_matching": 1}),
     "config: experiments.unet_l2.losses.feature_matching: needs a discriminator block"),
    (lambda c: c["experiments"]["unet_l2"].update(losses={"l2": 1, "feature": 1}),
     "config: experiments.unet_l2.autoencoder: losses.feature needs an experiment with "
     "identity: true, got None"),
])
def test_every_cross_check_names_its_key(mutate, message):
    config = validated(tiny_config())
    mutate(config)
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace(
            "(", r"\(").replace(")", r"\)").replace("^", r"\^").replace(".", r"\.")):
        Plan(config)


def test_a_window_longer_than_every_piece_names_the_task():
    config = validated(tiny_config())
    config["render"]["tail"] = 0
    plan = Plan(config)
    short = table(6).assign(duration=0.01)
    with pytest.raises(ValueError, match=r"config: tasks.piano_sr.window: 1024 samples "
                                         r"\(0.06 s\) is longer than every train piece"):
        plan.use_pieces(short)


def test_the_schema_holds_the_defaults_and_the_cli_takes_them():
    config = tiny_config()
    for key in ("on_bad_midi", "shard", "degrade", "pieces_per_job"):
        config.pop(key, None)
    config["render"].pop("gain", None)
    validated(config)
    assert config["on_bad_midi"] == "fail" and config["pieces_per_job"] == 4
    assert config["shard"] == {"max_bytes": 8e9, "shards_per_job": 16, "min_rms_dbfs": None,
                               "file_locking": True,
                               "sample_format": "float32", "compression": "none"}
    assert config["render"]["gain"] == 0.4 and config["degrade"]["max_clipped"] == 0.001
    commands = {a.dest: a for a in parser()._actions
                if isinstance(a, argparse._SubParsersAction)}["command"].choices
    options = {(c, a.dest): a.default for c, p in commands.items() for a in p._actions}
    for (command, option), key in {
            ("enhance", "batch_size"): "enhance.batch_size", ("enhance", "merge"): "enhance.merge",
            ("shard", "sample_format"): "shard.sample_format",
            ("shard", "compression"): "shard.compression",
            ("degrade", "max_clipped"): "degrade.max_clipped",
            ("manifest", "on_bad_midi"): "on_bad_midi"}.items():
        assert options[command, option] == schema_default(key), (command, option)


def test_stage_code_follows_the_import_graph():
    assert "core/seeds.py" in stage_modules("degrade")  # every seed is derived there
    assert "core/config.py" not in stage_modules("degrade")  # validation changes no data
    assert "data/render.py" in stage_modules("download")  # its MIDI loader checks the corpus
    assert "data/shard.py" in stage_modules("train")  # the shard reader's format
    assert "training/train.py" not in stage_modules("enhance")
    # Whatever importing a stage's entry modules loads is in its hashed set.
    for stage, entries in STAGE_ENTRIES.items():
        loaded = subprocess.run(
            [sys.executable, "-c", "import sys, importlib\n"
             + "".join(f"importlib.import_module('music_enhance.{e}')\n" for e in entries)
             + "print('MODULES', *(m for m in sys.modules if m.startswith('music_enhance.')))"],
            capture_output=True, text=True, check=True).stdout
        # Imported libraries may print too (pyfluidsynth names the library it found).
        loaded = next(line for line in loaded.splitlines()
                      if line.startswith("MODULES")).split()[1:]
        files = {m.removeprefix("music_enhance.").replace(".", "/") for m in loaded}
        hashed = {f.removesuffix(".py").removesuffix("/__init__") for f in stage_modules(stage)}
        assert files <= hashed, (stage, files - hashed)


MODULE = '''"""A stage."""

import numpy as np  # the array library


class Mixer:
    """Mixes — with a dash."""

    def gain(self, x):
        """Twice ``x``.

        Longer."""
        # Why: a comment.
        return 2 * x  # trailing comment

    def name(self):
        return "not a docstring"  # kept: it is data
'''


def test_a_comment_or_docstring_edit_keeps_the_stage_code_hash():
    reworded = (MODULE.replace("A stage.", "One pipeline stage.")
                .replace("with a dash", "with a longer dash — and more").replace("Longer.", "")
                .replace("# Why: a comment.", "# Why: reworded,\n        # on two lines.")
                .replace("# the array library", "").replace("\n\n\nclass", "\nclass"))
    assert code_text(reworded) == code_text(MODULE)
    assert "#" not in code_text(MODULE) and "Mixes" not in code_text(MODULE)
    for change in (("2 * x", "3 * x"), ("not a docstring", "a value"), ("numpy", "torch")):
        assert code_text(MODULE.replace(*change)) != code_text(MODULE), change
    # Columns after non-ASCII text, code beside a docstring, a form feed (a line
    # break to str.splitlines, not to Python), blank lines inside a string (data).
    assert code_text('def f(x="é"): """doc é"""; return x  # note\n') == 'def f(x="é"): ; return x'
    feed = '\x0c\ndef f(x=1):\n    """Doc."""\n    return x\n'
    assert code_text(feed) == "def f(x=1):\n    return x"
    assert code_text('T = """a\n\nb"""\n') != code_text('T = """a\nb"""\n')
    # The package's own modules keep their code (the U-Net's class statement).
    unet = code_text((PACKAGE_DIR / "training/models/unet.py").read_text())
    assert "class UNet(nn.Module):" in unet and "Kuleshov" not in unet


def test_unseen_soundfont_rows_reuse_the_trained_generator_on_test_renders():
    config = validated(tiny_config())
    config["tasks"]["piano_sr"]["evaluation"] = {
        "soundfonts": {"fluid": "/usr/share/sounds/sf2/FluidR3_GM.sf2"}}
    plan = Plan(config)
    plan.use_pieces(table(12))
    assert [s for s in plan.systems if "@" in s] == [
        "unet_l2@fluid", "piano_sr.cubic@fluid", "piano_sr.input@fluid",
        "piano_sr.linear@fluid", "piano_sr.sinc@fluid"]
    assert plan.system_task("piano_sr.cubic@fluid") == "piano_sr@fluid"
    assert plan.estimate("piano_sr.cubic@fluid") == (
        "results/baselines/piano_sr@fluid/cubic/{piece}.flac")
    batch = plan.batches("test")[0]
    render = plan.render_job("piano@fluid", "16000", batch)
    assert render["pieces"] == plan.batch_pieces(batch)
    assert set(render["pieces"]) <= set(plan.pieces("test"))  # test pieces only
    assert "FluidR3_GM.sf2" in render["instrument"]
    enhance = plan.enhance_job("unet_l2@fluid", batch)
    assert enhance["checkpoint"] == "results/train/unet_l2/generator.pt"
    assert enhance["inputs"][0].startswith("results/degrade/lowres/piano@fluid/16000/")
    # The seen timbre's jobs and the shards do not change.
    assert config["tasks"]["piano_sr"]["evaluation"]
    bare = Plan(validated(tiny_config()))
    bare.use_pieces(table(12))
    assert plan.shard_job("piano_sr", "train", 0) == bare.shard_job("piano_sr", "train", 0)
    assert plan.render_job("piano", "16000", batch) == bare.render_job("piano", "16000", batch)


def test_collab_rows_of_an_unseen_timbre_are_written_where_they_are_scored(plan):
    plan.config["tasks"]["piano_sr"]["evaluation"] = {
        "soundfonts": {"fluid": "/usr/share/sounds/sf2/FluidR3_GM.sf2"}}
    variant = Plan(plan.config)
    variant.use_pieces(table(12))
    batch = variant.batches("test")[0]
    job = variant.collab_job("gan@fluid", batch)
    assert job["outputs"] == variant.files(variant.estimate("gan.collab@fluid"), job["pieces"])
    assert job["outputs"][0].startswith("results/collab/gan@fluid/")
    assert variant.score_job("gan.collab@fluid")["estimates"][0].startswith(
        "results/collab/gan@fluid/")


def test_a_new_test_piece_changes_one_test_batch_and_nothing_training_reads(plan):
    plan.config["pieces_per_job"] = 1
    plan.use_pieces(table(9))  # 3 test pieces: 4 test batches, and still 4 with a fourth
    before = {b: plan.batch_pieces(b) for b in plan.batches()}
    grown = table(9)
    grown.loc[len(grown)] = {"id": "zzz", "split": "test", "midi": "z.midi", "duration": 30}
    plan.use_pieces(grown)
    after = {b: plan.batch_pieces(b) for b in plan.batches()}
    assert [b for b in after if after[b] != before.get(b)] == [plan._batch["zzz"]]
    assert plan._batch["zzz"].startswith("test-")


def one_preset_soundfont(path, bank: int, program: int, pad: bool = True):
    """A SoundFont whose preset headers define only (bank, program): no samples.
    ``pad=False`` leaves an odd-sized chunk unpadded, as MuseScore's SF3 files do."""
    def chunk(name: bytes, body: bytes) -> bytes:
        return name + len(body).to_bytes(4, "little") + body + b"\0" * (len(body) % 2 * pad)

    def preset(name: bytes, program: int, bank: int) -> bytes:
        return name.ljust(20, b"\0") + program.to_bytes(2, "little") + bank.to_bytes(
            2, "little") + bytes(14)

    phdr = chunk(b"phdr", preset(b"only", program, bank) + preset(b"EOP", 0, 0))
    body = (b"sfbk" + chunk(b"LIST", b"INFO") + chunk(b"LIST", b"sdta" + b"\1" * 7)
            + chunk(b"LIST", b"pdta" + phdr))
    path.write_bytes(chunk(b"RIFF", body))
    return str(path)


def test_a_soundfont_without_the_instruments_program_fails_naming_its_key(tmp_path):
    organ = one_preset_soundfont(tmp_path / "organ.sf2", 0, 19)
    config = validated(tiny_config())
    config["tasks"]["piano_sr"]["evaluation"] = {"soundfonts": {"organ": organ}}
    with pytest.raises(ValueError, match=(
            f"config: tasks.piano_sr.evaluation.soundfonts.organ: SoundFont {organ} has no "
            "General MIDI program 0 \\(bank 0\\), which instrument 'piano' plays")):
        Plan(config)
    config = validated(tiny_config())
    for pad in (True, False):  # an odd-sized sdta chunk, padded or not: read
        config["instruments"]["piano"]["soundfont"] = one_preset_soundfont(
            tmp_path / f"piano{pad}.sf2", 0, 0, pad)
        Plan(config)
    config["instruments"]["piano"]["program"] = 1
    with pytest.raises(ValueError, match="config: instruments.piano.soundfont: .* has no "
                       "General MIDI program 1"):
        Plan(config)


def test_training_soundfonts_join_the_shards_with_their_soundfont_recorded():
    fluid, tim = "/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2"
    config = validated(tiny_config())
    config["tasks"]["piano_sr"]["training"] = {"soundfonts": {"fluid": fluid}}
    plan = Plan(config)
    plan.use_pieces(table(12))
    bare = Plan(validated(tiny_config()))
    bare.use_pieces(table(12))
    # No new scored rows: the test pieces keep the instrument's own SoundFont.
    assert plan.systems == bare.systems
    assert plan.score_job("unet_l2") == bare.score_job("unet_l2")
    job = plan.shard_job("piano_sr", "train", 0)
    train = plan.pieces("train")
    assert job["pieces"] == train + train  # every piece in both SoundFonts
    assert job["targets"] == ([f"results/render/piano/16000/{p}.flac" for p in train]
                              + [f"results/render/piano@fluid/16000/{p}.flac" for p in train])
    assert job["inputs"][len(train)] == f"results/degrade/lowres/piano@fluid/16000/{train[0]}.flac"
    assert job["values"][len(train)].endswith(f"piano@fluid/16000/{train[0]}.json")
    at = job["options"].index("--soundfonts") + 1
    assert job["options"][at:at + 2 * len(train)] == [tim] * len(train) + [fluid] * len(train)
    assert {r.split("/batches/")[0] for r in job["records"]} == {
        "results/render/piano/16000", "results/degrade/lowres/piano/16000",
        "results/render/piano@fluid/16000", "results/degrade/lowres/piano@fluid/16000"}
    assert job["config_hash"] != bare.shard_job("piano_sr", "train", 0)["config_hash"]
    # The renders with the new SoundFont are the train and validation pieces' only.
    records = {r for split in ("train", "validation") for i in range(len(plan.shard_records(
        "piano_sr", split))) for r in plan.shard_job("piano_sr", split, i)["records"]}
    fluid_batches = {r.rsplit("/", 1)[1].removesuffix(".json") for r in records
                     if r.startswith("results/render/piano@fluid/")}
    assert fluid_batches == set(plan.batches("train") + plan.batches("validation"))
    assert plan.render_job("piano@fluid", 16000, plan.batches("train")[0])["pieces"]
    assert plan.render_job("piano", 16000, plan.batches("train")[0]) == bare.render_job(
        "piano", 16000, plan.batches("train")[0])


def test_compare_puts_every_model_of_a_task_side_by_side(plan):
    job = plan.compare_job("piano_sr")
    piece = plan.pieces("test")[0]
    labels = [label for label, _ in job["config"]["files"]]
    assert labels == ["input", "target", "gan", "unet_l2", "gan.collab", "piano_sr.cubic",
                      "piano_sr.linear", "piano_sr.sinc"]
    assert job["config"]["files"][2] == ["gan", f"results/enhance/gan/{piece}.flac"]
    assert "results/report/tasks/piano_sr.png" in plan.targets()

