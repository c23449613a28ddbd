"""A MAESTRO-shaped corpus of full size (1,276 pieces) for planning, without MIDI files."""

import copy
import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from snakemake.utils import update_config

from music_enhance.core.config import SCHEMA, validate_config
from music_enhance.data.demo import COLUMNS, CORPUS_NAME
from music_enhance.data.download import source_fingerprint
from music_enhance.data.manifest import BAD_COLUMNS, write_checked
from music_enhance.pipeline.plan import Plan
from music_enhance.pipeline.provenance import write_record

MAESTRO = {"url": "http://127.0.0.1:9/unused.zip", "sha256": None, "path": None}
REPO = Path(__file__).resolve().parents[1]


def write_full_size_corpus(corpus_dir, pieces: int = 1276) -> None:
    rng = np.random.default_rng(0)
    # MAESTRO v3's split sizes (962 / 137 / 177), scaled to ``pieces``.
    position = np.arange(pieces) * 1276 // pieces
    splits = np.select([position < 962, position < 1099], ["train", "validation"], "test")
    years = rng.choice([2004, 2006, 2008, 2009, 2011, 2013, 2014, 2015, 2017, 2018], pieces)
    names = [f"{y}/MIDI-Unprocessed_{i:04d}_R1_{y}_wav--{i % 5 + 1}.midi"
             for i, y in enumerate(years)]
    table = pd.DataFrame({
        "canonical_composer": rng.choice(["Bach", "Chopin", "Liszt", "Schubert"], pieces),
        "canonical_title": [f"Piece {i}" for i in range(pieces)],
        "split": splits, "year": years, "midi_filename": names,
        "audio_filename": [n.replace(".midi", ".wav") for n in names],
        # MAESTRO v3's 198.7 hours: 560 s per performance on average.
        "duration": rng.uniform(60, 1060, pieces).round(6)}, columns=COLUMNS)
    root = corpus_dir / CORPUS_NAME
    root.mkdir(parents=True)
    table.to_csv(root / f"{CORPUS_NAME}.csv", index=False)
    # The download stage's record, as if the corpus came from MAESTRO's URL.
    write_checked(corpus_dir.parent / "corpus.json", source_fingerprint(MAESTRO),
                  pd.DataFrame(columns=BAD_COLUMNS))


def full_size_config(config: dict) -> dict:
    """3 instruments, 2 tasks, 2 experiments on the MAESTRO source."""
    config.update(source="maestro", maestro=dict(MAESTRO))
    config["instruments"] = {"piano": {"program": "acoustic_grand_piano"},
                             "epiano": {"program": "electric_piano_1"},
                             "violin": {"program": "violin"}}
    config["tasks"]["swap"] = {"sample_rate": 16000, "input": {"instrument": "epiano"},
                               "target": {"instrument": "piano"}, "window": 1024,
                               "stride": 512}
    config["experiments"]["swap_l2"] = {**config["experiments"]["unet_l2"], "task": "swap"}
    config["tasks"]["piano_sr"]["input"]["instrument"] = "violin"
    return config


def write_download_record(workdir, config: dict) -> None:
    """The provenance record of the download that made the corpus, older than it, as
    a finished run leaves them (else the download would run again)."""
    config = copy.deepcopy(config)
    validate_config(config, SCHEMA)
    plan = Plan(config)
    plan.source = source_fingerprint(config["maestro"])
    write_record(workdir / plan.stamp("download", {}), plan.provenance("download", {}), [])
    for path in ("results/corpus.json", "results/corpus"):
        os.utime(workdir / path)


def reports_config() -> dict:
    """reports.yaml with reports-gpu.yaml over it, on the full-size corpus, sized as
    the SLURM profile sizes it."""
    # Merged as Snakemake merges config files and --config values.
    config = yaml.safe_load((REPO / "config/experiments/reports.yaml").read_text())
    update_config(config, yaml.safe_load(
        (REPO / "config/experiments/reports-gpu.yaml").read_text()))
    profile = yaml.safe_load((REPO / "workflow/profiles/slurm/config.yaml").read_text())
    for entry in profile["config"]:
        key, value = entry.split("=", 1)
        update_config(config, {key: yaml.safe_load(value)})
    config["maestro"] = dict(MAESTRO)
    return config
