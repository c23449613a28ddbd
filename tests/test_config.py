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
    (lambda c: c["tasks"]["piano_sr"].update(window=1002),
     "experiments.unet_l2.model: the window 1002 of task 'piano_sr' is not a "
     "multiple of 2^2"),
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
