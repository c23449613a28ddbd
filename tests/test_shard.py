import h5py
import numpy as np
import pandas as pd
import pytest

from music_enhance.audio import read_mono, write_audio
from music_enhance.shard import load_shard, shard_split, window_offsets


def test_windows_equal_the_source_audio_at_their_offsets(tmp_path, rng):
    lengths = {"p1": 5000, "p2": 3100, "p3": 900}  # p3 is shorter than one window
    for piece, length in lengths.items():
        clean = (0.1 * rng.standard_normal(length)).astype(np.float32)
        write_audio(tmp_path / f"{piece}.target.flac", clean, 16000)
        write_audio(tmp_path / f"{piece}.input.flac", clean * 0.5, 16000)
    pd.DataFrame({"id": list(lengths), "split": "train"}).to_csv(tmp_path / "m.csv")
    count = shard_split(tmp_path / "m.csv", "train", str(tmp_path / "{id}.input.flac"),
                        str(tmp_path / "{id}.target.flac"), tmp_path / "train.h5",
                        window=1024, stride=512, task="t")
    expected = sum(len(window_offsets(n, 1024, 512)) for n in lengths.values())
    assert count == expected == 8 + 5 + 0
    shard = load_shard(tmp_path / "train.h5")
    assert shard["pieces"] == ["p1", "p2", "p3"]
    assert shard["attrs"]["sample_rate"] == 16000 and shard["attrs"]["task"] == "t"
    for i in range(count):
        piece = shard["pieces"][shard["piece"][i]]
        offset = shard["offset"][i]
        for side in ("input", "target"):
            audio, _ = read_mono(tmp_path / f"{piece}.{side}.flac")
            np.testing.assert_array_equal(shard[side][i], audio[offset:offset + 1024])
    assert not list(tmp_path.glob(".*.part"))


def test_misaligned_pair_is_a_clear_error(tmp_path, rng):
    write_audio(tmp_path / "a.input.flac", rng.standard_normal(2000) * 0.1, 16000)
    write_audio(tmp_path / "a.target.flac", rng.standard_normal(2001) * 0.1, 16000)
    pd.DataFrame({"id": ["a"], "split": "train"}).to_csv(tmp_path / "m.csv")
    with pytest.raises(ValueError, match="are not aligned"):
        shard_split(tmp_path / "m.csv", "train", str(tmp_path / "{id}.input.flac"),
                    str(tmp_path / "{id}.target.flac"), tmp_path / "s.h5", 512, 256, "t")
    assert not (tmp_path / "s.h5").exists()


def test_corrupt_shard_names_the_file(tmp_path):
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n" + b"\0" * 100)
    with pytest.raises(ValueError, match="bad.h5: not a readable shard"):
        load_shard(tmp_path / "bad.h5")
    with h5py.File(tmp_path / "empty.h5", "w"):
        pass
    with pytest.raises(ValueError, match="empty.h5: not a readable shard"):
        load_shard(tmp_path / "empty.h5")
