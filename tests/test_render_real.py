"""Paired renders of one real MAESTRO performance (from ../shared/data/maestro-mini)."""

import zipfile

import numpy as np
import pretty_midi
import pytest

from conftest import REPO, SMALL_SOUNDFONT
from music_enhance.core.audio import read_mono
from music_enhance.data.render import gm_program, render

MINI = REPO.parent / "shared" / "data" / "maestro-mini" / "maestro-v3.0.0-midi.zip"
RATE = 16000
pytestmark = pytest.mark.skipif(not MINI.is_file(), reason=f"{MINI} absent")


@pytest.fixture(scope="module")
def performance(tmp_path_factory):
    """The first 20 s of a real performance, pedal events included."""
    tmp = tmp_path_factory.mktemp("real")
    with zipfile.ZipFile(MINI) as zf:
        name = sorted(n for n in zf.namelist() if n.endswith(".midi"))[0]
        (tmp / "full.midi").write_bytes(zf.read(name))
    midi = pretty_midi.PrettyMIDI(str(tmp / "full.midi"))
    for inst in midi.instruments:
        inst.notes = [n for n in inst.notes if n.end < 20]
        inst.control_changes = [c for c in inst.control_changes if c.time < 20]
    midi.write(str(tmp / "cut.midi"))
    assert any(c.number == 64 for i in midi.instruments for c in i.control_changes)
    return tmp, midi


def onset_envelope(audio):
    frames = np.lib.stride_tricks.sliding_window_view(audio, 512)[::256]
    mag = np.log1p(100 * np.abs(np.fft.rfft(frames * np.hanning(512), axis=1)))
    return np.maximum(np.diff(mag, axis=0), 0).sum(axis=1)


def test_piano_and_violin_renders_are_paired(performance):
    tmp, _ = performance
    audio = {}
    for name in ("acoustic_grand_piano", "violin"):
        render(tmp / "cut.midi", tmp / f"{name}.flac", name, name, SMALL_SOUNDFONT, RATE)
        audio[name], _ = read_mono(tmp / f"{name}.flac")
    piano, violin = audio["acoustic_grand_piano"], audio["violin"]
    assert len(piano) == len(violin)
    assert not np.allclose(piano, violin)
    # Same notes at the same onsets: the onset envelopes correlate at lag 0.
    a, b = onset_envelope(piano), onset_envelope(violin)
    a, b = (a - a.mean()) / a.std(), (b - b.mean()) / b.std()
    lags = range(-20, 21)
    n = len(a)
    xcorr = [np.mean(a[20 + lag:n - 20 + lag] * b[20:n - 20]) for lag in lags]
    assert list(lags)[int(np.argmax(xcorr))] == 0 and max(xcorr) > 0.3


def test_pedal_lengthens_notes_in_a_real_performance(performance):
    tmp, midi = performance
    for inst in midi.instruments:
        inst.control_changes = [c for c in inst.control_changes if c.number != 64]
    midi.write(str(tmp / "nopedal.midi"))
    energy = {}
    for name in ("cut", "nopedal"):
        render(tmp / f"{name}.midi", tmp / f"{name}.flac", "piano", 0, SMALL_SOUNDFONT, RATE)
        audio, _ = read_mono(tmp / f"{name}.flac")
        # Energy where no key is held (plus 0.2 s of natural release): only the
        # sustain pedal keeps strings sounding there.
        held = np.zeros(len(audio), dtype=bool)
        for note in (n for inst in midi.instruments for n in inst.notes):
            held[int(note.start * RATE):int((note.end + 0.2) * RATE)] = True
        energy[name] = float(np.sum(audio[~held] ** 2))
    assert energy["cut"] > 5 * energy["nopedal"]


def test_instrument_names_resolve_to_general_midi_programs():
    assert gm_program("p", "acoustic_grand_piano") == 0
    assert gm_program("p", "electric_piano_1") == 4
    assert gm_program("p", "violin") == 40
    assert gm_program("p", 73) == 73
    with pytest.raises(ValueError, match="instruments.p.program: 'kazoo' is neither"):
        gm_program("p", "kazoo")
