"""Planning all of MAESTRO v3 (1,276 pieces, MAESTRO's 198.7 hours; metadata only):
the job count and the dry-run time (`snakemake -n`) of the test suite's
3-instrument config with the default settings and with the SLURM profile, and of
the reports' experiments on one GPU (reports.yaml + reports-gpu.yaml) with the
SLURM profile, against planning the tiny demo DAG in the same run. Goal: the
reports' plan through the SLURM profile has at most 300 jobs and takes at most
30 s. With ``--cost``, that plan's cost sheet (pipeline/cost.py): jobs, CPU-hours
and GPU-hours per rule, disk per stage and the wall time on 1, 4 and 16 nodes.
Last line: ``ratio <the larger of jobs / 300 and plan time / 30 s>``.

    python bench/plan.py [--runs 3] [--smoke] [--cost]
"""

import argparse
import copy
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from scale import (  # noqa: E402
    full_size_config,
    reports_config,
    write_download_record,
    write_full_size_corpus,
)

from conftest import REPO, run_snakemake, tiny_config, write_config  # noqa: E402
from music_enhance.core.config import SCHEMA, validate_config  # noqa: E402
from music_enhance.data.manifest import build_manifest, read_metadata  # noqa: E402
from music_enhance.pipeline import cost  # noqa: E402
from music_enhance.pipeline.plan import Plan  # noqa: E402

SLURM = ["--workflow-profile", str(REPO / "workflow/profiles/slurm")]
GOAL_JOBS, GOAL_SECONDS = 300, 30.0
NODE = {"cores": 32, "gpus": 4}


def plan(workdir: Path, runs: int, *profile) -> tuple[float, int]:
    """Median wall time of a dry run, and its job count."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run_snakemake(workdir, *profile, "-n", "--quiet", "rules")
        times.append(time.perf_counter() - start)
    total = re.search(r"^total\s+(\d+)$", result.stdout, re.M)
    return statistics.median(times), int(total[1])


def cost_sheet(workdir: Path, config: dict) -> None:
    config = copy.deepcopy(config)
    validate_config(config, SCHEMA)
    built = Plan(config)
    table, _ = build_manifest(read_metadata(workdir / "results/corpus"),
                              workdir / "results/corpus", config["manifest"])
    built.use_pieces(table)
    jobs = cost.job_table(built)
    print(f"\ncost sheet: {len(table)} performances, {table['duration'].sum() / 3600:.1f} "
          "hours; estimates at cluster.throughput (no margin)")
    print(f"{'rule':16}{'jobs':>6}{'CPU-hours':>12}{'GPU-hours':>12}{'disk GB':>10}")
    written = cost.disk(built, jobs)
    summary = cost.per_rule(jobs)
    for rule, row in summary.iterrows():
        print(f"{rule:16}{row['jobs']:>6.0f}{row['cpu_hours']:>12.1f}{row['gpu_hours']:>12.1f}"
              f"{written.get(rule, 0) / 1e9:>10.0f}")
    print(f"{'total':16}{summary['jobs'].sum():>6.0f}{summary['cpu_hours'].sum():>12.1f}"
          f"{summary['gpu_hours'].sum():>12.1f}{sum(written.values()) / 1e9:>10.0f}")
    for nodes in (1, 4, 16):
        hours = cost.wall_hours(jobs, nodes, NODE["cores"], NODE["gpus"])
        print(f"wall time on {nodes:2} node(s) of {NODE['cores']} CPUs and {NODE['gpus']} "
              f"GPUs: {hours:.1f} hours")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true",
                        help="one dry run each: checks that the bench runs "
                             "(tests/test_bench.py)")
    parser.add_argument("--cost", action="store_true", help="print the cost sheet too")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    tiny, full, reports = (Path(tempfile.mkdtemp()) for _ in range(3))
    write_config(tiny, tiny_config())
    for workdir, config in ((full, full_size_config(tiny_config())),
                            (reports, reports_config())):
        write_full_size_corpus(workdir / "results/corpus")
        write_config(workdir, config)
        write_download_record(workdir, config)
    rows = {"tiny demo (3 pieces), default": plan(tiny, runs),
            "full MAESTRO (1,276 pieces), default": plan(full, runs),
            "full MAESTRO, SLURM profile": plan(full, runs, *SLURM),
            "full MAESTRO, reports + GPU, SLURM": plan(reports, runs, *SLURM)}
    print(f"{'DAG':40}{'jobs':>8}{'median plan time (s)':>22}")
    for name, (seconds, jobs) in rows.items():
        print(f"{name:40}{jobs:>8}{seconds:>22.2f}")
    if args.cost or args.smoke:
        cost_sheet(reports, reports_config())
    seconds, jobs = rows["full MAESTRO, reports + GPU, SLURM"]
    print(f"reports + GPU through the SLURM profile: {jobs} jobs (goal <= {GOAL_JOBS}), "
          f"{seconds:.1f} s (goal <= {GOAL_SECONDS:.0f} s)")
    print(f"ratio {max(jobs / GOAL_JOBS, seconds / GOAL_SECONDS):.3f}")


if __name__ == "__main__":
    main()
