"""The smoke runs' data: the test suite's tiny config, built with Snakemake in a
temporary folder up to a stage, for the benchmarks that read a run's results."""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import run_snakemake, tiny_config, write_config  # noqa: E402


def tiny_run(until: str, experiments: dict | None = None) -> tuple[Path, dict]:
    """(folder, config) of the tiny config (plus ``experiments``) built up to ``until``."""
    folder = Path(tempfile.mkdtemp())
    config = tiny_config()
    config["experiments"].update(experiments or {})
    write_config(folder, config)
    run_snakemake(folder, "--until", until, "--quiet")
    return folder, config
