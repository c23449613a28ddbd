"""The manifest stage: one table of the pieces used, read from a MAESTRO-layout CSV."""

import json
import re
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from ..core.defaults import filled
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
    return check_metadata(pd.read_csv(csv), csv)


def check_metadata(table: pd.DataFrame, where) -> pd.DataFrame:
    """The table, if it has MAESTRO's columns and every MIDI name stays inside the
    corpus (a name from an archive must never reach a file elsewhere)."""
    missing = set(REQUIRED) - set(table.columns)
    if missing:
        raise ValueError(f"{where}: missing columns {sorted(missing)}")
    for name in table["midi_filename"]:
        path = PurePosixPath(str(name).replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or not path.parts or ":" in path.parts[0]:
            raise ValueError(f"{where}: midi_filename {name!r} is not a relative path inside "
                             f"the corpus")
    return table


# The download stage's record of what the corpus was made from and which of its
# MIDI files cannot be read: {"source": fingerprint, "bad_midi": [{midi_filename,
# file (where the user can fix it), reason}]}.
BAD_COLUMNS = ["midi_filename", "file", "reason"]


def write_checked(path, source: str, bad: pd.DataFrame) -> None:
    records = bad.reindex(columns=BAD_COLUMNS).to_dict("records")
    Path(path).write_text(json.dumps({"source": source, "bad_midi": records}, indent=1) + "\n")


def read_checked(path) -> tuple[str, pd.DataFrame]:
    """(source fingerprint, table of unreadable MIDI files) of a corpus record."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: record of the checked corpus not found")
    record = json.loads(path.read_text())
    return record["source"], pd.DataFrame(record["bad_midi"], columns=BAD_COLUMNS, dtype=str)


def build_manifest(metadata: pd.DataFrame, corpus_dir, filters: dict,
                   bad_midi: pd.DataFrame | None = None,
                   on_bad_midi: str = "fail") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Select and describe the pieces used, and the selected pieces skipped as bad MIDI.

    A pure function of its arguments, so the Snakefile can plan per-piece jobs
    from it before the manifest file exists.
    """
    corpus = Path(corpus_dir) / CORPUS_NAME
    filters = filled("manifest", filters, "manifest")
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
    dashed = table[table["id"].str.startswith("-") | (table["id"] == "")]
    if len(dashed):  # a command line would read "-n" as an option
        raise ValueError(f"{dashed['midi'].iloc[0]}: its piece id {dashed['id'].iloc[0]!r} is "
                         f"empty or starts with '-'; rename the file (MAESTRO keeps it in a "
                         f"year folder)")
    splits = filters["splits"]
    keeps = {
        "splits": lambda: table["split"].isin(splits),
        "composers": lambda: table["composer"].isin(filters["composers"]),
        "years": lambda: metadata["year"].isin(filters["years"]),
        "min_duration": lambda: table["duration"] >= filters["min_duration"],
        "max_duration": lambda: table["duration"] <= filters["max_duration"],
    }
    for name, keep in keeps.items():
        if filters[name] is None:
            continue
        mask = np.asarray(keep())
        table, metadata = table[mask], metadata[mask]
        for split in splits:
            if not (table["split"] == split).any():
                raise ValueError(f"manifest.{name}: {filters[name]!r} leaves no {split} "
                                 f"piece of {corpus}")
    # Deterministic selection: sorted by id within each split, then the first N.
    table = table.assign(order=table["split"].map(_split_order)).sort_values(["order", "id"])
    table, skipped = _without_bad_midi(table, bad_midi, on_bad_midi)
    if filters["max_pieces_per_split"]:
        table = table.groupby("split", sort=False).head(filters["max_pieces_per_split"])
    for split in splits:
        if not (table["split"] == split).any():
            raise ValueError(f"on_bad_midi: skipping unreadable MIDI leaves no {split} piece "
                             f"of {corpus}")
    return table[COLUMNS].reset_index(drop=True), skipped.reset_index(drop=True)


def _without_bad_midi(table: pd.DataFrame, bad_midi: pd.DataFrame | None,
                      on_bad_midi: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table less its unreadable pieces, and those pieces with the reason; with
    on_bad_midi fail, an error naming the first."""
    skipped = pd.DataFrame(columns=["id", "midi", "reason"])
    if bad_midi is None or not len(bad_midi):
        return table, skipped
    bad_midi = bad_midi.set_index(bad_midi["midi_filename"].map(piece_id))
    is_bad = table["id"].isin(bad_midi.index)
    if is_bad.any() and on_bad_midi == "fail":
        first = bad_midi.loc[table.loc[is_bad, "id"].iloc[0]]
        raise ValueError(
            f"{is_bad.sum()} selected MIDI file(s) cannot be read, e.g. "
            f"{first['file'] or first['midi_filename']}: {first['reason']}. Fix or "
            f"replace the file and run again (the corpus is checked again whenever its "
            f"source changes), or set on_bad_midi: skip to leave such pieces out")
    skipped = table.loc[is_bad, ["id", "midi"]].assign(
        reason=table.loc[is_bad, "id"].map(bad_midi["reason"]))
    return table[~is_bad], skipped


def _split_order(split: str) -> int:
    return SPLITS.index(split) if split in SPLITS else len(SPLITS)


def write_manifest(corpus_dir, checked, filters: dict, out_csv, skipped_csv=None,
                   on_bad_midi: str = "fail") -> pd.DataFrame:
    """The manifest of the corpus in ``corpus_dir``; ``checked`` is its record."""
    table, skipped = build_manifest(read_metadata(corpus_dir), corpus_dir, filters,
                                    read_checked(checked)[1], on_bad_midi)
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_csv, index=False)
    if skipped_csv:
        skipped.to_csv(skipped_csv, index=False)
    return table
