"""scripts/band_probe.py: the gain on a super-resolution model's new band."""

import subprocess
import sys

import numpy as np

from conftest import REPO
from music_enhance.core.audio import write_audio

sys.path.insert(0, str(REPO / "scripts"))
from band_probe import band_gain, split  # noqa: E402


def columns(line: str) -> list[str]:
    """The table's fixed-width cells after the 40-character name."""
    return [line[i:i + 16].strip() for i in range(40, len(line), 16)]


def test_the_least_squares_gain_reads_the_bands_phase():
    rate = 22050
    time = np.arange(rate) / rate
    low, high = np.sin(2 * np.pi * 440 * time), 0.3 * np.sin(2 * np.pi * 8000 * time)
    target = low + high
    assert abs(band_gain(target, low, high) - 1) < 1e-9
    assert abs(band_gain(target, low, 2 * high) - 0.5) < 1e-9
    assert abs(band_gain(target, low, -high) + 1) < 1e-9
    # A band in quadrature with the target's has none of its phase.
    assert abs(band_gain(target, low, 0.3 * np.cos(2 * np.pi * 8000 * time))) < 1e-3
    under, above = split(target, rate, 5512.5)
    assert np.allclose(under, low, atol=1e-9) and np.allclose(above, high, atol=1e-9)


def test_the_shipped_sr22_model_probed_on_a_chord(tmp_path):
    rate = 22050
    time = np.arange(2 * rate) / rate
    low = 0.2 * sum(np.sin(2 * np.pi * f * time) for f in (262, 330, 392, 1047))
    target = low + 0.02 * np.sin(2 * np.pi * 7000 * time)
    for folder, audio in (("degraded", low), ("targets", target)):
        (tmp_path / folder).mkdir()
        write_audio(tmp_path / folder / "p.flac", audio.astype(np.float32), rate)
    out = subprocess.run([sys.executable, REPO / "scripts/band_probe.py",
                          REPO / "pretrained/sr22.pt", tmp_path / "degraded",
                          tmp_path / "targets", "p", "--cutoff", "5512.5",
                          "--gains", "1", "0", "--keep-below", "5000"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    row = dict(zip(columns(lines[0]), map(float, columns(lines[1])), strict=True))
    # The input lacks only the 7 kHz tone: its SNR is the chord's power over the tone's.
    expected = 10 * np.log10(np.mean(target ** 2) / np.mean((target - low) ** 2))
    assert abs(row["input SNR"] - expected) < 0.05
    assert abs(row["target band dB"] - (-expected)) < 0.05  # the tone's share of the energy
    assert row["SNR at g*"] >= max(row["output SNR"], 0) - 1e-3  # the least-squares gain
    assert 0 < row["gate gain"] < 2  # sr22.pt has the band gate
    table = {line[:40].strip(): list(map(float, columns(line)))
             for line in lines[lines.index("") + 2:]}
    assert list(table) == ["input", "cubic", "model, g = 1", "model, g = 0",
                           "model, input's band kept"]
    assert abs(table["input"][0] - expected) < 0.05
    assert abs(table["model, g = 1"][0] - row["output SNR"]) < 1e-3
