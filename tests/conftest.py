import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from music_enhance.core.config import SCHEMA, validate_config
from music_enhance.pipeline.plan import batch_count, piece_batch

REPO = Path(__file__).resolve().parents[1]
SMALL_SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"
BIN = Path(sys.executable).parent


def tiny_config() -> dict:
    """The default config shrunk to seconds: 3 short pieces, one 2-level U-Net, 20 steps."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    validate_config(config, SCHEMA)  # every key present, the schema's defaults filled in
    config["demo"] = {"pieces": 3, "min_duration": 3, "max_duration": 4}
    config["render"]["soundfont"] = SMALL_SOUNDFONT
    config["chains"] = {"lowres": [{"step": "resample", "low_rate": 8000, "quality": "v"}]}
    config["tasks"] = {"piano_sr": {
        "sample_rate": 16000, "input": {"instrument": "piano", "chain": "lowres"},
        "target": {"instrument": "piano"}, "window": 1024, "stride": 512}}
    experiment = config["experiments"]["unet_l2"]
    experiment.update({"steps": 20, "validate_every": 10, "batch_size": 8})
    experiment["model"].update({"channels": [4, 8], "kernels": [9, 9]})
    config["experiments"] = {"unet_l2": experiment}  # GANs: tests/test_zoo_dag.py
    config["enhance"] = {"batch_size": 8}
    return config


def run_snakemake(workdir: Path, *args, check=True, cores="2", path=None
                  ) -> subprocess.CompletedProcess:
    """Run the real Snakemake CLI on the repository's Snakefile in ``workdir`` (with
    ``--cores`` unless ``cores`` is None: a profile's own then), with ``path`` (a
    folder) first on PATH when given."""
    env = {**os.environ, "PATH": os.pathsep.join(
        [*([str(path)] if path else []), str(BIN), os.environ["PATH"]])}
    result = subprocess.run(
        [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile"), "--directory",
         str(workdir), *(["--cores", cores] if cores else []), *args],
        capture_output=True, text=True, env=env, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout}\n"
                             f"{result.stderr}")
    return result


def render_batches(manifest, pieces_per_job: int = 4) -> int:
    """The batches (render jobs per instrument and rate) a manifest's pieces fill."""
    batches = set()
    for split, group in manifest.groupby("split"):
        count = batch_count(len(group), pieces_per_job)
        batches |= {(split, piece_batch(i, count)) for i in group["id"]}
    return len(batches)


def write_config(workdir: Path, config: dict) -> None:
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session", autouse=True)
def _tools_present():
    for tool in ("sox", "fluidsynth"):
        assert shutil.which(tool), f"{tool} not installed: run `make test`, which installs it"
    assert Path(SMALL_SOUNDFONT).is_file(), f"{SMALL_SOUNDFONT} missing (timgm6mb-soundfont)"
