"""The DAG for all of MAESTRO plans from the metadata alone (no MIDI file exists)."""

import re

from scale import full_size_config, write_full_size_corpus

from conftest import run_snakemake, tiny_config, write_config


def test_full_size_dag_plans_every_job(tmp_path):
    write_full_size_corpus(tmp_path / "results/corpus")
    write_config(tmp_path, full_size_config(tiny_config()))
    result = run_snakemake(tmp_path, "-n", "--quiet", "rules")
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", result.stdout, re.M)}
    assert counts == {
        "manifest": 1, "render": 3 * 1276, "degrade": 1276, "shard": 2 * 2, "train": 2,
        "enhance": 2 * 177, "baseline": 3 * 177, "score": 2 + 4 + 1, "summarise": 1,
        "report": 2, "report_tables": 1, "all": 1,
        "total": 3828 + 1276 + 4 + 2 + 354 + 531 + 7 + 1 + 2 + 1 + 1 + 1}
