"""Every JSON and number argument of the CLI is checked against the config schema at
start-up: one line naming the argument, exit status 2, nothing written."""

import pytest

from music_enhance.cli import main

SPEC = '{"task": "t", "model": {"name": "unet", "channels": [4], "kernels": [9]}, ' \
       '"optimizer": {"lr": 0.001}, "batch_size": %s, "steps": %s, "validate_every": 1}'
TRAIN = ["train", "g.pt", "m.csv", "--train-shards", "a.h5", "--valid-shards", "b.h5",
         "--experiment", "e", "--seed", "1", "--spec"]
RENDER = ["render", "--midi", "a.midi", "--outputs", "o.flac", "--instrument"]


@pytest.mark.parametrize("args, message", [
    (TRAIN + [SPEC % (4, -2)], "argument --spec: steps: -2 is less than the minimum of 1"),
    (TRAIN + [SPEC % (0, 2)], "argument --spec: batch_size: 0 is less than the minimum of 1"),
    (TRAIN + ["{}"], "argument --spec: 'task' is a required property"),
    (TRAIN + ["{"], "argument --spec: not valid JSON"),
    (RENDER + ['{"name": "piano"}', "--rate", "16000"],
     "argument --instrument: Additional properties are not allowed ('name' was unexpected)"),
    (RENDER + ["[1, 2]", "--rate", "16000"], "argument --instrument: [1, 2] is not of type "
                                             "'object'"),
    (RENDER + ['{"program": 0}', "--rate", "0"], "argument --rate: 0 is less than the minimum "
                                                 "of 8000"),
    (["degrade", "--pieces", "p", "--inputs", "i.flac", "--outputs", "o.flac", "--values",
      "v.json", "--chain-name", "c", "--chain", '{"step": "resample"}', "--seed", "1"],
     "argument --chain: {'step': 'resample'} is not of type 'array'"),
    (["report", "out", "--pieces", "{}", "--metrics", "m.csv", "--title", "t"],
     "argument --pieces: {} should be non-empty"),
    (["compare", "o.png", "--files", '[["target"]]', "--title", "t"],
     "argument --files: 0: ['target'] is too short"),
    (["enhance", "--inputs", "a.wav", "--outputs", "b.wav", "--checkpoint", "g.pt",
      "--collab", '{"layer": 0}'], "argument --collab: 'step_size' is a required property"),
    (["score", "o.csv", "--system", "s", "--task", "t", "--pieces", "p", "--estimates",
      "e.flac", "--targets", "t.flac", "--visqol-seconds", "-1"],
     "argument --visqol-seconds: -1.0 is less than the minimum of 0"),
])
def test_bad_arguments_are_one_line_and_write_nothing(tmp_path, monkeypatch, capsys, args,
                                                     message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_every_option_has_help():
    import argparse

    from music_enhance.cli import parser
    commands = {a.dest: a for a in parser()._actions
                if isinstance(a, argparse._SubParsersAction)}["command"].choices
    missing = [f"{name} {action.option_strings[0]}" for name, command in commands.items()
               for action in command._actions
               if action.option_strings and action.help is None]
    assert not missing, missing
