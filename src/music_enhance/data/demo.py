"""The offline ``demo`` source: a small synthetic MIDI corpus in MAESTRO v3's layout.

Each piece is a random walk melody over a chord progression in a random key,
with varied velocities and sustain-pedal changes at every chord, written as
``<year>/<name>.midi`` next to ``maestro-v3.0.0.csv`` and ``.json`` with
MAESTRO's columns, so the manifest stage reads it exactly like the real data.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pretty_midi

from ..core.seeds import derive_seed

CORPUS_NAME = "maestro-v3.0.0"
COLUMNS = ["canonical_composer", "canonical_title", "split", "year",
           "midi_filename", "audio_filename", "duration"]
# I-vi-IV-V and friends, as scale degrees of a major key.
PROGRESSIONS = [[0, 5, 3, 4], [0, 3, 4, 0], [5, 3, 0, 4], [0, 4, 5, 3]]
MAJOR = [0, 2, 4, 5, 7, 9, 11]
COMPOSERS = ["Demo Bach", "Demo Chopin", "Demo Satie"]


def split_of(index: int, pieces: int) -> str:
    """Two thirds train, the rest shared by validation and test (each at least one)."""
    n_eval = max(1, round(pieces / 6))
    if index < pieces - 2 * n_eval:
        return "train"
    return "validation" if index < pieces - n_eval else "test"


def synth_piece(rng: np.random.Generator, duration: float) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI(initial_tempo=float(rng.integers(70, 130)))
    piano = pretty_midi.Instrument(program=0, name="Piano")
    key = int(rng.integers(0, 12))
    progression = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    bar = float(rng.uniform(1.6, 2.6))
    degree = 7  # melody position on the scale, one octave above the chord
    t, bar_index = 0.0, 0
    while t + bar <= duration:
        root = progression[bar_index % len(progression)]
        # Pedal up just before the chord, down on it: MAESTRO-style legato.
        piano.control_changes.append(pretty_midi.ControlChange(64, 0, max(0.0, t - 0.02)))
        piano.control_changes.append(pretty_midi.ControlChange(64, 100, t + 0.01))
        chord_velocity = int(rng.integers(40, 80))
        for step in (0, 2, 4):
            d = root + step
            pitch = 48 + key + 12 * (d // 7) + MAJOR[d % 7]
            piano.notes.append(pretty_midi.Note(chord_velocity, pitch, t, t + bar * 0.9))
        n = t
        while n < t + bar - 1e-6:
            length = float(rng.choice([0.25, 0.5, 0.5, 1.0])) * bar / 2
            degree = int(np.clip(degree + rng.integers(-2, 3), 4, 16))
            pitch = 60 + key + 12 * (degree // 7) + MAJOR[degree % 7]
            velocity = int(rng.integers(50, 120))
            end = min(n + length * 0.95, t + bar)
            piano.notes.append(pretty_midi.Note(velocity, pitch, n, end))
            n += length
        t += bar
        bar_index += 1
    piano.control_changes.append(pretty_midi.ControlChange(64, 0, t))
    midi.instruments.append(piano)
    return midi


def demo_pieces(pieces: int, min_duration: float, max_duration: float, seed: int):
    """Yield (metadata row, MIDI) for every piece: a pure function of the arguments."""
    if pieces < 3:
        raise ValueError(f"demo.pieces: need at least 3 (train, validation, test), got {pieces}")
    if not 0 < min_duration <= max_duration:
        raise ValueError(f"demo.min_duration/max_duration: need 0 < min <= max, got "
                         f"{min_duration}, {max_duration}")
    for index in range(pieces):
        rng = np.random.default_rng(derive_seed(seed, "demo", index))
        midi = synth_piece(rng, float(rng.uniform(min_duration, max_duration)))
        year = 2004 + index % 3
        name = f"DEMO--{index:03d}_R1_{year}_wav--{index % 4 + 1}"
        row = {
            "canonical_composer": COMPOSERS[index % len(COMPOSERS)],
            "canonical_title": f"Study No. {index + 1}",
            "split": split_of(index, pieces),
            "year": year,
            "midi_filename": f"{year}/{name}.midi",
            "audio_filename": f"{year}/{name}.wav",
            "duration": round(midi.get_end_time(), 6),
        }
        yield row, midi


def demo_metadata(pieces: int, min_duration: float, max_duration: float,
                  seed: int) -> pd.DataFrame:
    """The corpus's MAESTRO metadata table without writing anything (for planning)."""
    rows = [row for row, _ in demo_pieces(pieces, min_duration, max_duration, seed)]
    return pd.DataFrame(rows, columns=COLUMNS)


def write_demo_corpus(out_dir, pieces: int, min_duration: float, max_duration: float,
                      seed: int) -> pd.DataFrame:
    """Write the corpus under ``out_dir/maestro-v3.0.0`` and return its metadata table."""
    root = Path(out_dir) / CORPUS_NAME
    rows = []
    for row, midi in demo_pieces(pieces, min_duration, max_duration, seed):
        midi_path = root / row["midi_filename"]
        midi_path.parent.mkdir(parents=True, exist_ok=True)
        midi.write(str(midi_path))
        rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.to_csv(root / f"{CORPUS_NAME}.csv", index=False)
    # MAESTRO's JSON is column-oriented: {column: {row index: value}}.
    columns = {c: {str(i): v for i, v in enumerate(table[c].tolist())} for c in COLUMNS}
    (root / f"{CORPUS_NAME}.json").write_text(json.dumps(columns, indent=1) + "\n")
    return table
