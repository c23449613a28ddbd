"""Planning all of MAESTRO v3 (1,276 pieces, 3 instruments, 2 tasks, 2 experiments;
metadata only): the job count and the dry-run time (`snakemake -n`) with the default
settings and with the SLURM profile (workflow/profiles/slurm: large batches), against
planning the tiny demo DAG in the same run. Goal: with the SLURM profile at most 300
jobs and 30 s. Last line: ``ratio <SLURM-profile plan time / 30 s>``.

    python bench/plan.py [--runs 3] [--smoke]
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from scale import (  # noqa: E402
    full_size_config,
    write_download_record,
    write_full_size_corpus,
)

from conftest import REPO, run_snakemake, tiny_config, write_config  # noqa: E402

SLURM = ["--workflow-profile", str(REPO / "workflow/profiles/slurm")]
GOAL_JOBS, GOAL_SECONDS = 300, 30.0


def plan(workdir: Path, runs: int, *profile) -> tuple[float, int]:
    """Median wall time of a dry run, and its job count."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run_snakemake(workdir, *profile, "-n", "--quiet", "rules")
        times.append(time.perf_counter() - start)
    total = re.search(r"^total\s+(\d+)$", result.stdout, re.M)
    return statistics.median(times), int(total[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true",
                        help="one dry run each: checks that the bench runs "
                             "(tests/test_bench.py)")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    tiny, full = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    write_config(tiny, tiny_config())
    write_full_size_corpus(full / "results/corpus")
    write_config(full, full_size_config(tiny_config()))
    write_download_record(full, full_size_config(tiny_config()))
    rows = {"tiny demo (3 pieces), default": plan(tiny, runs),
            "full MAESTRO (1,276 pieces), default": plan(full, runs),
            "full MAESTRO, SLURM profile": plan(full, runs, *SLURM)}
    print(f"{'DAG':40}{'jobs':>8}{'median plan time (s)':>22}")
    for name, (seconds, jobs) in rows.items():
        print(f"{name:40}{jobs:>8}{seconds:>22.2f}")
    seconds, jobs = rows["full MAESTRO, SLURM profile"]
    print(f"SLURM profile: {jobs} jobs (goal <= {GOAL_JOBS}), {seconds:.1f} s "
          f"(goal <= {GOAL_SECONDS:.0f} s)")
    print(f"ratio {seconds / GOAL_SECONDS:.3f}")


if __name__ == "__main__":
    main()
