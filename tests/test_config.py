"""Bad config fails at start-up, before any job runs, naming the key."""

import pytest

from conftest import run_snakemake, tiny_config, write_config


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c.update(colour="blue"), "colour"),
    (lambda c: c["tasks"]["piano_sr"].update(window="big"), "'big' is not of type 'integer'"),
    (lambda c: c["chains"]["lowres"][0].update(low_rate=8000, octave=2), "octave"),
    (lambda c: c["chains"]["lowres"].append({"step": "chorus"}), "chorus"),
    (lambda c: c["tasks"]["piano_sr"]["input"].update(chain="nope"),
     "tasks.piano_sr.input.chain: unknown chain 'nope'"),
    (lambda c: c["experiments"]["unet_l2"].update(task="nope"),
     "experiments.unet_l2.task: unknown task 'nope'"),
    (lambda c: c["tasks"]["piano_sr"].update(window=1026),
     "tasks.piano_sr.window: 1026 is not a multiple of 4 (enhancement merges windows by "
     "quarters)"),
    (lambda c: c["experiments"]["unet_l2"]["model"].update(replicate_above=0.49),
     "experiments.unet_l2.model.replicate_above: 0.49 is greater than or equal to the "
     "maximum of 0.478"),
    (lambda c: c["experiments"]["unet_l2"]["model"].update(name="autoencoder",
                                                           replicate_above=0.25),
     "experiments.unet_l2.model: Additional properties are not allowed ('band_gate', "
     "'input_skip', 'replicate_above' were unexpected)"),
    (lambda c: c["manifest"].update(splits=["train", "validation", "test"], max_duration=1),
     "manifest.max_duration: 1 leaves no train piece"),
])
def test_bad_config_fails_before_any_job(tmp_path, mutate, message):
    config = tiny_config()
    mutate(config)
    write_config(tmp_path, config)
    result = run_snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_duplicate_keys_are_refused_but_merge_keys_may_be_overridden(tmp_path):
    from music_enhance.core.config import check_yaml_files
    path = tmp_path / "c.yaml"
    path.write_text("base: &b {lr: 1}\nx:\n  <<: *b\n  lr: 2\n")
    check_yaml_files([path])  # overriding a merged key is what merge keys are for
    path.write_text("base: &b {lr: 1}\nx:\n  <<: *b\n  steps: 1\n  steps: 2\n")
    with pytest.raises(ValueError, match=r"c.yaml: key 'steps' is defined twice \(lines 4 and 5\)"):
        check_yaml_files([path])


def test_snakemake_from_an_inactive_venv_says_to_activate_it(tmp_path):
    import os
    import subprocess

    from conftest import BIN, REPO
    write_config(tmp_path, tiny_config())
    command = [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile"), "-d",
               str(tmp_path), "--cores", "1"]
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert ("music-enhance is not on PATH: activate the virtual environment"
            in result.stdout + result.stderr)
    # Before the first job: nothing but the provenance records written at start-up.
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["provenance"]
    # A dry run runs no job: it plans as usual.
    assert subprocess.run([*command, "-n"], capture_output=True, env=env).returncode == 0


def test_nested_config_overrides_on_the_command_line_take_the_schemas_types(tmp_path):
    """Snakemake hands ``--config demo='{"pieces": 4}'`` over as text: the values are
    parsed by the schema's types, so the override works as Snakemake's docs show it."""
    write_config(tmp_path, tiny_config())
    result = run_snakemake(tmp_path, "-n", "--config",
                           'demo={"pieces": 4, "min_duration": 3, "max_duration": 4}',
                           'enhance={"batch_size": 4, "merge": "crop"}')
    assert "download" in result.stdout
    from music_enhance.core.config import SCHEMA, validate_config
    config = {**tiny_config(), "demo": {"pieces": "4", "min_duration": "3",
                                        "max_duration": "4.5"}, "seed": "7"}
    validate_config(config, SCHEMA)
    assert config["demo"] == {"pieces": 4, "min_duration": 3, "max_duration": 4.5}
    assert config["seed"] == 7
    config["demo"]["pieces"] = "four"
    with pytest.raises(ValueError, match="config: demo.pieces: 'four' is not of type "
                                         "'integer'"):
        validate_config(config, SCHEMA)
