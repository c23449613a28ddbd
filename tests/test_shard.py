import hashlib
import multiprocessing
import os

import h5py
import numpy as np
import pytest
import torch
import torch.distributed as dist

from music_enhance.core.audio import read_mono, write_audio
from music_enhance.data.loader import ShardWindows, WindowBatches, WindowLoader, window_loader
from music_enhance.data.shard import (
    plan_shards,
    predicted_windows,
    shard_pieces,
    window_offsets,
)

LENGTHS = {"p1": 5000, "p2": 3100, "p3": 900, "p4": 4096}  # p3: shorter than one window


@pytest.fixture
def shards(tmp_path, rng):
    """Two shards of one split: p1, p2 in the first, p3, p4 in the second."""
    for piece, length in LENGTHS.items():
        clean = (0.1 * rng.standard_normal(length)).astype(np.float32)
        write_audio(tmp_path / f"{piece}.target.flac", clean, 16000)
        write_audio(tmp_path / f"{piece}.input.flac", clean * 0.5, 16000)
    paths = []
    for index, pieces in enumerate([["p1", "p2"], ["p3", "p4"]]):
        for piece in pieces:
            (tmp_path / f"{piece}.json").write_text(f'{{"piece": "{piece}"}}')
        shard_pieces(pieces, files(tmp_path, pieces, ".input.flac"),
                     files(tmp_path, pieces, ".target.flac"), tmp_path / f"train{index}.h5",
                     window=1024, stride=512, attrs={"task": "t", "config_hash": "abc"},
                     values=files(tmp_path, pieces, ".json"),
                     soundfonts=[f"/sf/{piece}.sf2" for piece in pieces])
        paths.append(tmp_path / f"train{index}.h5")
    return tmp_path, paths


def files(root, ids, suffix) -> list[str]:
    return [str(root / f"{i}{suffix}") for i in ids]


def test_windows_equal_the_source_audio_at_their_offsets(shards):
    root, paths = shards
    windows = ShardWindows(paths)
    expected = sum(len(window_offsets(n, 1024, 512)) for n in LENGTHS.values())
    assert len(windows) == expected == 8 + 5 + 0 + 7
    assert windows.sample_rate == 16000 and windows.window == 1024
    x, y, index = windows.__getitems__(np.arange(len(windows))[::-1])
    assert list(index) == list(range(len(windows)))  # ascending: sequential reads
    for row, i in enumerate(index.tolist()):
        piece, offset = windows.window_id(i)
        for side, batch in (("input", x), ("target", y)):
            audio, _ = read_mono(root / f"{piece}.{side}.flac")
            np.testing.assert_array_equal(batch[row, 0].numpy(), audio[offset:offset + 1024])
    assert not list(root.glob(".*.part"))
    with h5py.File(paths[1], "r") as h5:
        assert [v.decode() for v in h5["degradation"][:]] == ['{"piece": "p3"}',
                                                                '{"piece": "p4"}']
        assert h5.attrs["config_hash"] == "abc" and h5.attrs["dropped_silent"] == 0
        assert list(h5["soundfont"].asstr()[:]) == ["/sf/p3.sf2", "/sf/p4.sf2"]


def test_shard_plan_matches_the_durations():
    durations = [10.0, 0.02, 33.3, 7.5, 60.0]
    ids = [f"p{i}" for i in range(5)]
    counts = [predicted_windows(d, 16000, 1.0, 1024, 512) for d in durations]
    assert counts[1] == 30  # 1.02 s = 16320 samples: offsets 0, 512, ..., 14848
    limit = (counts[0] + counts[1] + counts[2]) * 2 * 1024 * 4
    plan = plan_shards(ids, durations, 16000, 1.0, 1024, 512, max_bytes=limit)
    assert plan == [["p0", "p1", "p2"], ["p3"], ["p4"]]  # p4 alone is over the limit
    assert plan_shards(ids, durations, 16000, 1.0, 1024, 512, max_bytes=1e12) == [ids]


def test_silent_windows_are_dropped_and_counted(tmp_path, rng):
    audio = (0.1 * rng.standard_normal(8192)).astype(np.float32)
    audio[4096:] = 0.0  # second half silent
    write_audio(tmp_path / "s.flac", audio, 16000)
    count = shard_pieces(["s"], files(tmp_path, ["s"], ".flac"), files(tmp_path, ["s"], ".flac"),
                         tmp_path / "s.h5", 1024, 1024, {}, min_rms_dbfs=-60)
    with h5py.File(tmp_path / "s.h5", "r") as h5:
        assert count == 4 and h5.attrs["dropped_silent"] == 4
        assert list(h5["offset"][:]) == [0, 1024, 2048, 3072]


def test_same_inputs_same_shard_bytes(shards, tmp_path):
    root, paths = shards
    shard_pieces(["p1", "p2"], files(root, ["p1", "p2"], ".input.flac"),
                 files(root, ["p1", "p2"], ".target.flac"), tmp_path / "again.h5", 1024, 512,
                 {"task": "t", "config_hash": "abc"},
                 values=files(root, ["p1", "p2"], ".json"),
                 soundfonts=["/sf/p1.sf2", "/sf/p2.sf2"])
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (paths[0],
                                                                    tmp_path / "again.h5")]
    assert digest[0] == digest[1]


def test_two_workers_see_disjoint_windows_covering_the_split(shards):
    _, paths = shards
    windows = ShardWindows(paths)
    loader, _ = window_loader(windows, batch_size=3, seed=5, workers=2, drop_last=False)
    seen = torch.cat([index for _, _, index in loader]).tolist()
    assert sorted(seen) == list(range(len(windows)))
    again = torch.cat([index for _, _, index in loader]).tolist()
    assert again == seen  # same seed and epoch: same order


def test_worker_batches_stay_intact_while_held_and_ring_slots_come_back(shards):
    _, paths = shards
    windows = ShardWindows(paths)
    loader = WindowLoader(windows, WindowBatches(len(windows), 1, seed=2), workers=2, group=1)
    kept = list(loader)  # all held: once the ring's slots are lent, the queue carries the rest
    assert len(kept) == len(windows) == 20
    assert loader.ring.fallbacks == len(kept) - loader.ring.slots
    for x, y, index in kept:
        expected = windows.__getitems__(index.tolist())
        assert all(torch.equal(a, b) for a, b in zip((x, y, index), expected, strict=True))
    del kept, x, y, index, expected  # frees every slot
    for x, y, index in loader:  # one batch at a time: slots are reused, never a fallback
        expected = windows.__getitems__(index.tolist())
        assert torch.equal(x, expected[0]) and torch.equal(y, expected[1])
    assert loader.ring.fallbacks == len(windows) - loader.ring.slots


def _rank_windows(rank, paths, out_dir, port):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    loader, sampler = window_loader(ShardWindows(paths), 2, seed=1, workers=2,
                                    drop_last=False)
    sampler.set_epoch(3)
    seen = torch.cat([index for _, _, index in loader])
    dist.barrier()
    np.save(os.path.join(out_dir, f"rank{rank}.npy"), seen.numpy())
    dist.destroy_process_group()


def test_two_ddp_ranks_with_two_workers_each_see_disjoint_windows(shards, tmp_path):
    _, paths = shards
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_rank_windows, args=(r, paths, str(tmp_path), port))
             for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    ranks = [set(np.load(tmp_path / f"rank{r}.npy").tolist()) for r in range(2)]
    assert not ranks[0] & ranks[1]
    assert ranks[0] | ranks[1] == set(range(len(ShardWindows(paths))))


def test_misaligned_pair_is_a_clear_error(tmp_path, rng):
    write_audio(tmp_path / "a.input.flac", rng.standard_normal(2000) * 0.1, 16000)
    write_audio(tmp_path / "a.target.flac", rng.standard_normal(2001) * 0.1, 16000)
    with pytest.raises(ValueError, match="are not aligned"):
        shard_pieces(["a"], files(tmp_path, ["a"], ".input.flac"),
                     files(tmp_path, ["a"], ".target.flac"), tmp_path / "s.h5", 512, 256, {})
    assert not (tmp_path / "s.h5").exists()


def test_corrupt_shard_names_the_file(tmp_path):
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n" + b"\0" * 100)
    with pytest.raises(ValueError, match="bad.h5: not a readable shard"):
        ShardWindows([tmp_path / "bad.h5"])
    with h5py.File(tmp_path / "empty.h5", "w"):
        pass
    with pytest.raises(ValueError, match="empty.h5: not a readable shard"):
        ShardWindows([tmp_path / "empty.h5"])


@pytest.mark.parametrize("sample_format, compression", [
    ("float32", "lzf"), ("float32", "gzip"), ("int16", "none"), ("int16", "gzip")])
def test_sample_formats_and_compression_keep_the_windows(shards, tmp_path, sample_format,
                                                         compression):
    root, paths = shards
    out = tmp_path / f"{sample_format}-{compression}.h5"
    shard_pieces(["p1", "p2"], files(root, ["p1", "p2"], ".input.flac"),
                 files(root, ["p1", "p2"], ".target.flac"),
                 out, 1024, 512, {}, sample_format=sample_format, compression=compression)
    with h5py.File(out, "r") as h5:
        assert h5["input"].dtype == np.dtype(sample_format)
        assert h5["input"].compression == (None if compression == "none" else compression)
        assert h5["input"].chunks == (None if compression == "none" else (1, 1024))
        assert h5.attrs["sample_format"] == sample_format
    windows = ShardWindows([out])
    x, y, index = windows.__getitems__(np.arange(len(windows)))
    for row in index.tolist():
        piece, offset = windows.window_id(row)
        audio, _ = read_mono(root / f"{piece}.target.flac")
        expected = audio[offset:offset + 1024]
        if sample_format == "int16":  # PCM: the nearest of 65,536 levels
            expected = np.round(expected * 32768) / 32768
        np.testing.assert_array_equal(y[row, 0].numpy(), expected)


def test_int16_shards_are_half_the_size(shards, tmp_path):
    root, paths = shards
    sizes = {}
    for sample_format in ("float32", "int16"):
        out = tmp_path / f"{sample_format}.h5"
        shard_pieces(["p1", "p2"], files(root, ["p1", "p2"], ".input.flac"),
                     files(root, ["p1", "p2"], ".target.flac"), out, 1024, 512, {},
                     sample_format=sample_format)
        sizes[sample_format] = out.stat().st_size
    payload = 13 * 2 * 1024 * 2  # windows x sides x samples x 2 bytes saved
    assert sizes["float32"] - sizes["int16"] == pytest.approx(payload, abs=2048)


def test_truncated_shard_names_the_file(shards, tmp_path):
    _, paths = shards
    cut = tmp_path / "cut.h5"
    data = paths[0].read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="cut.h5: (truncated|not a readable) shard"):
        ShardWindows([cut]).__getitems__([0])


@pytest.mark.parametrize("sample_format, compression", [("float32", "none"),
                                                       ("int16", "none"),
                                                       ("float32", "gzip")])
def test_bytes_overwritten_in_place_are_named_on_read(shards, tmp_path, sample_format,
                                                      compression):
    root, _ = shards
    path = tmp_path / "s.h5"
    shard_pieces(["p1"], files(root, ["p1"], ".input.flac"), files(root, ["p1"],
                 ".target.flac"), path, 1024, 512, {}, sample_format=sample_format,
                 compression=compression)
    windows = ShardWindows([path])
    windows.__getitems__(list(range(len(windows))))  # as written: every window passes
    with h5py.File(path, "r") as h5:
        target = h5["target"]
        offset = (target.id.get_offset() if target.chunks is None
                  else target.id.get_chunk_info(2).byte_offset)
        row_bytes = target.dtype.itemsize * 1024
    data = bytearray(path.read_bytes())
    at = offset + (2 * row_bytes if target.chunks is None else 0) + 100
    data[at:at + 8] = bytes(b ^ 0x5A for b in data[at:at + 8])  # same size, other bytes
    path.write_bytes(bytes(data))
    windows = ShardWindows([path])
    windows.__getitems__([0, 1])  # the others still read
    with pytest.raises(ValueError, match=r"s.h5: window 2 of target fails its CRC-32 \(the "
                                         r"file changed after it was written\)|s.h5: .*"
                                         r"cannot be read \(.*filter"):
        windows.__getitems__([1, 2, 3])


def test_bad_sample_format_names_the_key(shards, tmp_path):
    root, _ = shards
    with pytest.raises(ValueError, match="shard.sample_format: 'int8'"):
        shard_pieces(["p1"], files(root, ["p1"], ".input.flac"),
                     files(root, ["p1"], ".target.flac"), tmp_path / "x.h5", 1024, 512, {},
                     sample_format="int8")
    assert not list(tmp_path.glob("*x.h5*"))


def _shard_in_child(out, source, file_size_limit=None):
    """shard_pieces in a child process, optionally with a file size limit (a full disk
    as the writer meets it: a write fails part-way); returns its error or None."""
    import resource
    import signal
    if file_size_limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    try:
        shard_pieces(["a"], [source.format(id="a")], [source.format(id="a")], out, 1024, 512, {})
    except ValueError as err:
        return str(err)
    return None


@pytest.mark.parametrize("case", ["full", "unwritable"])
def test_failed_shard_write_is_one_line_and_leaves_nothing(tmp_path, rng, case):
    write_audio(tmp_path / "a.flac", rng.uniform(-0.5, 0.5, 100_000).astype(np.float32),
                16000)
    if case == "full":
        out, limit, cause = tmp_path / "out" / "0.h5", 200_000, "File too large"
    else:  # a folder that cannot be made (root ignores permission bits)
        (tmp_path / "blocker").write_text("a file where the folder should be")
        out, limit, cause = tmp_path / "blocker" / "shards" / "0.h5", None, "Not a directory"
    with multiprocessing.get_context("fork").Pool(1) as pool:
        error = pool.apply(_shard_in_child, (out, str(tmp_path / "{id}.flac"), limit))
    assert error is not None and error.startswith(f"{out}: cannot write the shard ({cause}")
    assert "\n" not in error
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["a.flac", *(["out"] if case == "full" else ["blocker"])])
