"""Planning time (`snakemake -n`) of the DAG for all of MAESTRO v3 (1,276 pieces,
3 instruments, 2 tasks, 2 experiments; metadata only), against planning the tiny
demo DAG in the same run. Last line: ``ratio <full-size / tiny planning time>``.

    python bench/plan.py [--runs 3]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from scale import full_size_config, write_full_size_corpus  # noqa: E402

from conftest import run_snakemake, tiny_config, write_config  # noqa: E402


def plan_seconds(workdir: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_snakemake(workdir, "-n", "--quiet", "rules")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    tiny, full = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    write_config(tiny, tiny_config())
    write_full_size_corpus(full / "results/corpus")
    write_config(full, full_size_config(tiny_config()))
    tiny_s, full_s = plan_seconds(tiny, runs), plan_seconds(full, runs)
    print(f"{'DAG':40}{'median plan time (s)':>22}")
    print(f"{'tiny demo (3 pieces, 17 jobs)':40}{tiny_s:>22.2f}")
    print(f"{'full MAESTRO (1,276 pieces, 5,473 jobs)':40}{full_s:>22.2f}")
    print(f"ratio {full_s / tiny_s:.2f}")


if __name__ == "__main__":
    main()
