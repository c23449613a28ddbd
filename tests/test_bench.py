"""Every benchmark runs: its smoke mode (tiny sizes, seconds) ends with `ratio X`, so
none can rot between the runs that measure."""

import re
import subprocess
import sys

import pytest

from conftest import REPO

BENCHES = sorted(p for p in (REPO / "bench").glob("*.py") if "def main(" in p.read_text())


def test_every_script_with_a_main_is_a_bench():
    assert {p.stem for p in BENCHES} >= {"collab", "degrade", "enhance", "gan", "loader",
                                          "plan", "render", "shard", "train", "visqol"}


@pytest.mark.slow
@pytest.mark.parametrize("bench", BENCHES, ids=lambda p: p.stem)
def test_the_bench_runs_in_its_smoke_mode(bench):
    result = subprocess.run([sys.executable, str(bench), "--smoke"], capture_output=True,
                            text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"ratio \d+(\.\d+)?", last), result.stdout
