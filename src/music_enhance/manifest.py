"""The manifest stage: one table of the pieces used, read from a MAESTRO-layout CSV."""

import re
from pathlib import Path

import pandas as pd

from .demo import CORPUS_NAME

COLUMNS = ["id", "split", "midi", "duration", "composer", "title"]
SPLITS = ("train", "validation", "test")
REQUIRED = ["split", "midi_filename", "duration", "canonical_composer", "canonical_title"]


def piece_id(midi_filename: str) -> str:
    """A stable, filesystem-safe id from MAESTRO's ``<year>/<name>.midi`` path."""
    stem = Path(midi_filename).with_suffix("")
    return re.sub(r"[^A-Za-z0-9_-]+", "_", f"{stem.parent.name}_{stem.name}").strip("_")


def read_metadata(corpus_dir) -> pd.DataFrame:
    """MAESTRO's metadata table from ``corpus_dir/maestro-v3.0.0/maestro-v3.0.0.csv``."""
    csv = Path(corpus_dir) / CORPUS_NAME / f"{CORPUS_NAME}.csv"
    if not csv.is_file():
        raise FileNotFoundError(f"{csv}: MAESTRO metadata CSV not found")
    table = pd.read_csv(csv)
    missing = set(REQUIRED) - set(table.columns)
    if missing:
        raise ValueError(f"{csv}: missing columns {sorted(missing)}")
    return table


def build_manifest(metadata: pd.DataFrame, corpus_dir, filters: dict) -> pd.DataFrame:
    """Select and describe the pieces used. A pure function of its arguments, so the
    Snakefile can plan per-piece jobs from it before the manifest file exists."""
    corpus = Path(corpus_dir) / CORPUS_NAME
    table = pd.DataFrame({
        "id": metadata["midi_filename"].map(piece_id),
        "split": metadata["split"],
        "midi": [str(corpus / name) for name in metadata["midi_filename"]],
        "duration": metadata["duration"].astype(float),
        "composer": metadata["canonical_composer"],
        "title": metadata["canonical_title"],
    })
    duplicated = table["id"][table["id"].duplicated()]
    if len(duplicated):
        raise ValueError(f"{corpus}: two pieces map to the same id {duplicated.iloc[0]!r}")
    table = table[table["split"].isin(filters.get("splits", list(SPLITS)))]
    table = table[table["duration"] >= filters.get("min_duration", 0)]
    table = table[table["duration"] <= filters.get("max_duration", float("inf"))]
    # Deterministic selection: sorted by id within each split, then the first N.
    table = table.assign(order=table["split"].map(_split_order)).sort_values(["order", "id"])
    if filters.get("max_pieces_per_split"):
        table = table.groupby("split", sort=False).head(filters["max_pieces_per_split"])
    for split in filters.get("splits", SPLITS):
        if not (table["split"] == split).any():
            raise ValueError(f"manifest: the filters {filters} select no {split} piece "
                             f"of {corpus}")
    return table[COLUMNS].reset_index(drop=True)


def _split_order(split: str) -> int:
    return SPLITS.index(split) if split in SPLITS else len(SPLITS)


def write_manifest(corpus_dir, filters: dict, out_csv) -> pd.DataFrame:
    table = build_manifest(read_metadata(corpus_dir), corpus_dir, filters)
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_csv, index=False)
    return table
