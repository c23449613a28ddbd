import hashlib
import json

import pandas as pd
import pretty_midi
import pytest

from music_enhance.data.demo import COLUMNS, CORPUS_NAME, demo_metadata, write_demo_corpus
from music_enhance.data.manifest import (
    BAD_COLUMNS,
    build_manifest,
    read_metadata,
    write_checked,
    write_manifest,
)


def digest_tree(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_demo_corpus_has_maestro_layout_and_musical_content(tmp_path):
    table = write_demo_corpus(tmp_path, pieces=12, min_duration=20, max_duration=40, seed=5)
    root = tmp_path / CORPUS_NAME
    csv = pd.read_csv(root / f"{CORPUS_NAME}.csv")
    assert list(csv.columns) == COLUMNS
    assert csv["split"].value_counts().to_dict() == {"train": 8, "validation": 2, "test": 2}
    as_json = json.loads((root / f"{CORPUS_NAME}.json").read_text())
    assert as_json["midi_filename"]["3"] == csv["midi_filename"][3]
    for row in table.itertuples():
        midi = pretty_midi.PrettyMIDI(str(root / row.midi_filename))
        notes = midi.instruments[0].notes
        pedal = [c for c in midi.instruments[0].control_changes if c.number == 64]
        assert 18 <= midi.get_end_time() <= 40
        assert abs(midi.get_end_time() - row.duration) < 0.01
        assert len({n.velocity for n in notes}) > 10
        assert len(pedal) > 10 and {c.value for c in pedal} == {0, 100}
        # Chords: at least three notes starting together.
        starts = pd.Series([round(n.start, 4) for n in notes]).value_counts()
        assert starts.max() >= 3


def test_demo_corpus_is_reproducible_and_seeded(tmp_path):
    args = dict(pieces=4, min_duration=5, max_duration=6)
    write_demo_corpus(tmp_path / "a", seed=1, **args)
    write_demo_corpus(tmp_path / "b", seed=1, **args)
    write_demo_corpus(tmp_path / "c", seed=2, **args)
    assert digest_tree(tmp_path / "a") == digest_tree(tmp_path / "b")
    assert digest_tree(tmp_path / "a") != digest_tree(tmp_path / "c")


def test_manifest_written_equals_the_planned_one(tmp_path):
    write_demo_corpus(tmp_path, pieces=6, min_duration=5, max_duration=9, seed=3)
    filters = {"splits": ["train", "validation", "test"], "max_pieces_per_split": 2}
    write_checked(tmp_path / "corpus.json", "demo", pd.DataFrame(columns=BAD_COLUMNS))
    written = write_manifest(tmp_path, tmp_path / "corpus.json", filters,
                             tmp_path / "manifest.csv")
    planned, skipped = build_manifest(demo_metadata(6, 5, 9, seed=3), tmp_path, filters)
    assert skipped.empty
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "manifest.csv"), planned)
    assert list(written.columns) == ["id", "split", "midi", "duration", "composer", "title"]
    assert written["split"].value_counts().to_dict() == {"train": 2, "validation": 1,
                                                        "test": 1}
    assert written["id"].str.fullmatch(r"[A-Za-z0-9_-]+").all()
    assert not set(written.query("split == 'train'")["id"]) & set(
        written.query("split != 'train'")["id"])


def test_composer_and_year_filters(tmp_path):
    write_demo_corpus(tmp_path, pieces=12, min_duration=3, max_duration=4, seed=3)
    metadata = read_metadata(tmp_path)
    table, _ = build_manifest(metadata, tmp_path, {"splits": ["train"], "years": [2004],
                                                   "composers": ["Demo Bach"]})
    chosen = metadata[metadata["midi_filename"].str.startswith("2004/")
                      & (metadata["canonical_composer"] == "Demo Bach")
                      & (metadata["split"] == "train")]
    assert len(table) == len(chosen) > 0
    assert set(table["composer"]) == {"Demo Bach"}


def test_filters_selecting_nothing_name_the_filter(tmp_path):
    write_demo_corpus(tmp_path, pieces=3, min_duration=5, max_duration=6, seed=3)
    metadata = read_metadata(tmp_path)
    with pytest.raises(ValueError, match="manifest.min_duration: 100 leaves no train piece"):
        build_manifest(metadata, tmp_path, {"min_duration": 100})
    with pytest.raises(ValueError, match="manifest.composers: \\['Liszt'\\] leaves no train"):
        build_manifest(metadata, tmp_path, {"composers": ["Liszt"]})
    with pytest.raises(FileNotFoundError, match="nowhere/maestro-v3.0.0/maestro-v3.0.0.csv"):
        read_metadata(tmp_path / "nowhere")


def test_a_piece_id_that_reads_as_an_option_is_refused(tmp_path):
    metadata = demo_metadata(6, 5, 9, seed=3)
    metadata.loc[0, "midi_filename"] = "-n.midi"
    with pytest.raises(ValueError, match=r"-n.midi: its piece id '-n' is empty or starts "
                                         r"with '-'"):
        build_manifest(metadata, tmp_path, {})
