"""scripts/goal_table.py: the goal's mark per piece and in the mean, from score files."""

import subprocess
import sys

import pandas as pd

from conftest import REPO


def write(folder, system, snr, lsd, visqol):
    pd.DataFrame({"system": system, "piece": ["a", "b"], "snr": snr, "lsd": lsd,
                  "visqol": visqol}).to_csv(folder / f"{system}.csv", index=False)


def test_goal_table_counts_pieces_against_the_best_baseline(tmp_path):
    write(tmp_path, "t.input@u", [20.0, 22.0], [3.0, 3.0], [4.5, 4.5])
    write(tmp_path, "t.cubic@u", [19.0, 21.0], [1.5, 1.6], [4.70, 4.60])
    write(tmp_path, "t.linear@u", [18.0, 20.0], [1.4, 1.9], [4.60, 4.65])
    # Piece a: SNR 19.6 >= 19.5, LSD 1.3 < 1.4, ViSQOL 4.71 > 4.70: all three met.
    # Piece b: SNR 21.0 < 21.5, LSD 1.7 > 1.6, ViSQOL 4.66 > 4.65: ViSQOL only.
    write(tmp_path, "model@u", [19.6, 21.0], [1.3, 1.7], [4.71, 4.66])
    out = subprocess.run([sys.executable, REPO / "scripts/goal_table.py", "--scores", tmp_path,
                          "--task", "t", "--suffix", "@u", "model"],
                         capture_output=True, text=True, check=True).stdout
    # Means: SNR 20.30 < 20.50 (the input's 21.00 less 0.5); LSD 1.50 against the
    # baselines' best mean 1.55 (cubic); ViSQOL 4.685 against 4.650 (cubic).
    assert "| `model` | 20.30 | **1.50** | **4.685** | 1 / 1 / 2 of 2 |" in out
    assert "Mark: SNR 20.50 dB" in out
