"""A full disk or a folder that cannot be written: one line naming the file, exit
status 1, and nothing partial left behind. The full disk is the kernel's own
(/dev/full behind the temporary name), the unwritable folder is /sys."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from music_enhance.cli import main
from music_enhance.core.audio import write_audio
from music_enhance.training.checkpoint import atomic_save


def full_disk(out: Path) -> None:
    """Writes to ``out``'s temporary name end in ENOSPC."""
    os.symlink("/dev/full", out.with_name(f".{out.name}.part"))


@pytest.fixture
def clean(tmp_path):
    write_audio(tmp_path / "in.flac", 0.1 * np.sin(np.arange(16000) / 10).astype(np.float32),
                16000)
    return tmp_path / "in.flac"


@pytest.mark.parametrize("stage", ["degrade", "baseline"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, clean, capsys, stage):
    out = tmp_path / "o.flac"
    full_disk(out)
    args = {"degrade": ["degrade", "--pieces", "p", "--inputs", str(clean), "--outputs",
                        str(out), "--values", str(tmp_path / "o.json"), "--chain-name", "c",
                        "--chain", '[{"step": "gain", "gain_db": -1}]', "--seed", "1"],
            "baseline": ["baseline", "--inputs", str(clean), "--outputs", str(out),
                         "--method", "cubic", "--low-rate", "8000"]}[stage]
    assert main([*args, "--record", str(tmp_path / "record.json")]) == 1
    err = capsys.readouterr().err
    assert f"music-enhance {stage}: error: {out}: cannot write audio" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.flac"]


def test_render_into_a_full_disk_leaves_no_part(tmp_path, capsys):
    from conftest import SMALL_SOUNDFONT
    from music_enhance.data.demo import write_demo_corpus
    table = write_demo_corpus(tmp_path / "corpus", 3, 3, 4, 0)
    midi = str(tmp_path / "corpus" / "maestro-v3.0.0" / table["midi_filename"].iloc[0])
    out = tmp_path / "o.flac"
    full_disk(out)
    assert main(["render", "--midi", midi, "--outputs", str(out), "--instrument",
                 f'{{"program": 0, "soundfont": "{SMALL_SOUNDFONT}"}}', "--rate",
                 "16000"]) == 1
    assert f"{out}: cannot write audio" in capsys.readouterr().err
    assert not out.exists() and not out.with_name(".o.flac.part").exists()


def test_an_unwritable_folder_is_one_line(clean, capsys):
    assert main(["baseline", "--inputs", str(clean), "--outputs", "/sys/o.flac",
                 "--method", "linear", "--low-rate", "8000"]) == 1
    assert "error: /sys/o.flac: cannot write audio" in capsys.readouterr().err


def test_a_checkpoint_on_a_full_disk_is_named(tmp_path):
    full_disk(tmp_path / "g.pt")
    with pytest.raises(OSError, match="g.pt: cannot write the checkpoint"):
        atomic_save({"w": torch.zeros(1000)}, tmp_path / "g.pt")
    assert list(tmp_path.iterdir()) == []
