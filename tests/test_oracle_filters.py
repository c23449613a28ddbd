"""scripts/oracle_filters.py: a filter over past frames undoes an echo a mask cannot."""

import json
import subprocess
import sys

import numpy as np

from conftest import REPO
from music_enhance.core.audio import read_audio, write_audio
from music_enhance.data.degrade import apply_chain


def columns(line: str) -> list[str]:
    """The table's fixed-width cells after the piece's name."""
    return [line[i:i + 18].strip() for i in range(42, len(line), 18)]


def run_script(*args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, REPO / "scripts/oracle_filters.py", *args],
                          capture_output=True, text=True, check=check)


def script_lines(*args) -> list[str]:
    return run_script(*args).stdout.splitlines()


def snr_row(*args, lines=None) -> dict[str, float]:
    """The script's first piece's SNR per system, by column name."""
    lines = lines or script_lines(*args)
    return dict(zip(columns(lines[1]), map(float, columns(lines[2])), strict=True))


def write_echoed(folder, piece, delay, rng, rate=16000):
    """White noise as degraded/<piece>.flac with an echo after `delay` samples, and
    as targets/<piece>.flac without it."""
    target = 0.1 * rng.standard_normal(4 * rate)
    echoed = target.copy()
    echoed[delay:] += 0.5 * target[:-delay]
    for sub, audio in (("degraded", echoed), ("targets", target)):
        (folder / sub).mkdir(exist_ok=True)
        write_audio(folder / sub / f"{piece}.flac", audio.astype(np.float32), rate)


def test_a_filter_longer_than_the_echo_takes_it_away(tmp_path):
    write_echoed(tmp_path, "p", 256, np.random.default_rng(0))  # two hops of 128 samples
    snr = snr_row(tmp_path / "degraded", tmp_path / "targets", "p", "--taps", "1", "16",
                  "--blind")
    assert list(snr) == ["input", "ideal ratio mask", "1 taps", "16 taps", "WPE 1 taps",
                         "WPE 16 taps"]
    # The echo is the input's error (0.5 in amplitude: 6 dB under the target).
    assert abs(snr["input"] - 6.0) < 0.5
    # One gain per bin cannot take a white signal's echo away; 16 frames reach past it.
    assert snr["1 taps"] < 8 and snr["ideal ratio mask"] < 11
    assert snr["16 taps"] > 30
    # Blind, from the input alone: a white signal is what WPE assumes; it gains.
    assert snr["WPE 16 taps"] > snr["input"] + 2


def test_one_filter_fitted_on_other_pieces_takes_the_same_echo_away(tmp_path):
    rng = np.random.default_rng(1)
    for piece in ("fit", "scored"):  # the same room, different music
        write_echoed(tmp_path, piece, 256, rng)
    snr = snr_row(tmp_path / "degraded", tmp_path / "targets", "scored", "--taps", "16",
                  "--fit-on", "fit")
    assert list(snr) == ["input", "ideal ratio mask", "16 taps", "16 taps pooled"]
    # A fixed room is learnable from other pieces: the pooled filter nearly matches
    # the one fitted on the scored piece itself.
    assert snr["16 taps pooled"] > 25 and snr["16 taps"] > 30


def test_the_filter_of_the_nearest_room_beats_one_for_every_room(tmp_path):
    rng = np.random.default_rng(2)
    # Two rooms: an echo after 2 hops or after 5, each recorded as the degrade stage does.
    for piece, delay, room in (("near", 256, 50), ("far", 640, 80), ("scored", 256, 52)):
        write_echoed(tmp_path, piece, delay, rng)
        record = {"steps": [{"step": "reverb", "reverberance": room, "room_scale": room}]}
        (tmp_path / "degraded" / f"{piece}.json").write_text(json.dumps(record))
    args = [tmp_path / "degraded", tmp_path / "targets", "scored", "--taps", "16",
            "--fit-on", "near", "far"]
    pooled = snr_row(*args)["16 taps pooled"]
    nearest = snr_row(*args, "--nearest", "1")["16 taps 1 nearest"]
    assert nearest > 25 and nearest > pooled + 5
    error = run_script(*args, "--nearest", "3", check=False)
    assert error.returncode == 2 and "--nearest 3: needs 1 to 2 --fit-on pieces" in error.stderr


def test_a_filter_fitted_in_the_scored_pieces_room_takes_it_away(tmp_path):
    rng, rate = np.random.default_rng(3), 16000
    for sub in ("degraded", "targets"):
        (tmp_path / sub).mkdir()
    # Two rooms, each piece degraded and recorded as the degrade stage does.
    for piece, scale in (("fit", 90), ("scored", 20)):
        target = (0.1 * rng.standard_normal(4 * rate)).astype(np.float32)
        chain = [{"step": "reverb", "reverberance": 60, "room_scale": scale}]
        degraded, drawn = apply_chain(target, rate, chain, seed=0)
        write_audio(tmp_path / "degraded" / f"{piece}.flac", degraded, rate)
        write_audio(tmp_path / "targets" / f"{piece}.flac", target, rate)
        (tmp_path / "degraded" / f"{piece}.json").write_text(json.dumps({"steps": drawn}))
    args = [tmp_path / "degraded", tmp_path / "targets", "scored", "--taps", "16",
            "--fit-on", "fit"]
    own, pooled = (snr_row(*args)[k] for k in ("16 taps", "16 taps pooled"))
    in_room = snr_row(*args, "--in-room")["16 taps in room"]
    # The other room's filter barely helps; the scored piece's room, learnt on other
    # music, does what its own oracle does.
    assert in_room > own - 1 and in_room > pooled + 10
    # The same room moved by 30 units of room scale is another room.
    lines = script_lines(*args, "--in-room", "--room-offset", "0", "30")
    assert "rooms moved by +0 reverberance, +30 room scale" in lines[0]
    moved = snr_row(lines=lines)
    assert moved["16 taps in room"] < in_room - 10
    for flags, message in ((["--in-room"], "--in-room: needs --fit-on pieces"),
                           (["--room-offset", "0", "1"], "--room-offset: needs --in-room")):
        error = run_script(*args[:5], *flags, check=False)
        assert error.returncode == 2 and message in error.stderr


def test_a_filter_fitted_to_an_estimate_keeps_only_what_a_filter_of_the_input_can_say(
        tmp_path):
    rng, rate = np.random.default_rng(4), 16000
    write_echoed(tmp_path, "p", 256, rng)
    target = read_audio(tmp_path / "targets" / "p.flac")[0][:, 0]
    echo = read_audio(tmp_path / "degraded" / "p.flac")[0][:, 0] - target
    # An estimate whose error is noise the input does not hold, and one whose error is
    # part of the echo (a filter of the input, as a model that leaves some room in).
    estimates = {"noisy": target + 0.03 * rng.standard_normal(len(target)),
                 "reverberant": target + 0.3 * echo}
    snr = {}
    for name, estimate in estimates.items():
        (tmp_path / name).mkdir()
        write_audio(tmp_path / name / "p.flac", estimate.astype(np.float32), rate)
        snr[name] = snr_row(tmp_path / "degraded", tmp_path / "targets", "p", "--taps",
                            "16", "--fit-to", tmp_path / name)
    assert list(snr["noisy"]) == ["input", "ideal ratio mask", "16 taps", "model",
                                  "16 taps to model"]
    noisy, reverberant = snr["noisy"], snr["reverberant"]
    # The noise is no filter of the input: the fit drops it and gains over 10 dB.
    assert abs(noisy["model"] - 10.5) < 1 and noisy["16 taps to model"] > 20
    # The leftover echo is one: the fit keeps it, gaining nothing.
    assert abs(reverberant["16 taps to model"] - reverberant["model"]) < 0.5
    short = tmp_path / "short"
    short.mkdir()
    write_audio(short / "p.flac", np.zeros(rate, np.float32), rate)
    error = run_script(tmp_path / "degraded", tmp_path / "targets", "p", "--fit-to", short,
                       check=False)
    assert error.returncode == 1 and f"{short / 'p.flac'}: 16000 samples" in error.stderr


def test_a_room_offset_on_a_chain_without_a_room_names_the_record(tmp_path):
    rng = np.random.default_rng(5)
    for piece in ("fit", "scored"):
        write_echoed(tmp_path, piece, 256, rng)
        record = {"steps": [{"step": "pinknoise", "snr_db": 20.0}]}
        (tmp_path / "degraded" / f"{piece}.json").write_text(json.dumps(record))
    error = run_script(tmp_path / "degraded", tmp_path / "targets", "scored", "--taps", "1",
                       "--fit-on", "fit", "--in-room", "--room-offset", "0", "1", check=False)
    assert error.returncode == 1
    assert f"{tmp_path / 'degraded' / 'scored.json'}: no reverb step" in error.stderr
