"""scripts/oracle_filters.py: a filter over past frames undoes an echo a mask cannot."""

import subprocess
import sys

import numpy as np

from conftest import REPO
from music_enhance.core.audio import write_audio


def columns(line: str) -> list[str]:
    """The table's fixed-width cells after the piece's name."""
    return [line[i:i + 18].strip() for i in range(42, len(line), 18)]


def test_a_filter_longer_than_the_echo_takes_it_away(tmp_path):
    rate, delay = 16000, 256  # two hops of 128 samples
    target = 0.1 * np.random.default_rng(0).standard_normal(4 * rate)
    echoed = target.copy()
    echoed[delay:] += 0.5 * target[:-delay]
    for folder, audio in (("degraded", echoed), ("targets", target)):
        (tmp_path / folder).mkdir()
        write_audio(tmp_path / folder / "p.flac", audio.astype(np.float32), rate)
    out = subprocess.run([sys.executable, REPO / "scripts/oracle_filters.py",
                          tmp_path / "degraded", tmp_path / "targets", "p",
                          "--taps", "1", "16", "--blind"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    snr = dict(zip(columns(lines[1]), map(float, columns(lines[2])), strict=True))
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
    rate, delay = 16000, 256
    rng = np.random.default_rng(1)
    for folder in ("degraded", "targets"):
        (tmp_path / folder).mkdir()
    for piece in ("fit", "scored"):  # the same room, different music
        target = 0.1 * rng.standard_normal(4 * rate)
        echoed = target.copy()
        echoed[delay:] += 0.5 * target[:-delay]
        write_audio(tmp_path / "degraded" / f"{piece}.flac", echoed.astype(np.float32), rate)
        write_audio(tmp_path / "targets" / f"{piece}.flac", target.astype(np.float32), rate)
    out = subprocess.run([sys.executable, REPO / "scripts/oracle_filters.py",
                          tmp_path / "degraded", tmp_path / "targets", "scored",
                          "--taps", "16", "--fit-on", "fit"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    snr = dict(zip(columns(lines[1]), map(float, columns(lines[2])), strict=True))
    assert list(snr) == ["input", "ideal ratio mask", "16 taps", "16 taps pooled"]
    # A fixed room is learnable from other pieces: the pooled filter nearly matches
    # the one fitted on the scored piece itself.
    assert snr["16 taps pooled"] > 25 and snr["16 taps"] > 30
