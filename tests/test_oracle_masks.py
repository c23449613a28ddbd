"""scripts/oracle_masks.py: the oracle masks' scores on a task's validation shards."""

import subprocess
import sys

from conftest import REPO
from sines import sine_shards


def test_oracle_masks_beat_the_input_in_their_order(tmp_path):
    shards = sine_shards(tmp_path)
    out = subprocess.run([sys.executable, REPO / "scripts/oracle_masks.py",
                          shards["validation"], "--n-fft", "256", "--hop", "64"],
                         capture_output=True, text=True, check=True).stdout
    assert "122 validation windows of 1024 samples at 16000 Hz; STFT 256/64" in out
    rows = {line[:34].strip(): tuple(map(float, line[34:].split()))
            for line in out.splitlines()[2:]}
    snr = {name: value[0] for name, value in rows.items()}
    # White noise at about 12 dB under the sines: a mask takes most of it away.
    assert snr["input"] < snr["ideal ratio mask (at most 1)"] - 6
    assert snr["ideal ratio mask (at most 1)"] <= snr["target magnitude, input phase"]
    assert rows["input"][1] > rows["ideal ratio mask (at most 1)"][1]
