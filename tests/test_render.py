import hashlib

import numpy as np
import pretty_midi
import pytest

from conftest import SMALL_SOUNDFONT
from music_enhance.core.audio import read_mono
from music_enhance.data.render import Synth, render

RATE = 16000


def write_midi(path, notes, pedal=(), velocity=100):
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes = [pretty_midi.Note(velocity, pitch, start, end) for pitch, start, end in notes]
    piano.control_changes = [pretty_midi.ControlChange(64, value, t) for t, value in pedal]
    midi.instruments.append(piano)
    midi.write(str(path))
    return path


def test_single_note_peaks_at_its_fundamental(tmp_path):
    midi = write_midi(tmp_path / "a4.mid", [(69, 0.0, 1.0)])  # A4 = 440 Hz
    render(midi, tmp_path / "a4.flac", "flute", 73, SMALL_SOUNDFONT, RATE)
    audio, rate = read_mono(tmp_path / "a4.flac")
    assert rate == RATE
    spectrum = np.abs(np.fft.rfft(audio[: rate] * np.hanning(rate)))
    freqs = np.fft.rfftfreq(rate, 1 / rate)
    assert abs(freqs[np.argmax(spectrum)] - 440.0) < 3.0


def test_paired_renders_are_aligned_and_reproducible(tmp_path):
    midi = write_midi(tmp_path / "p.mid", [(60, 0.1, 0.6), (64, 0.5, 1.3), (67, 1.0, 1.4)])
    lengths, digests = [], []
    for name, program in [("piano", 0), ("violin", 40), ("piano_again", 0)]:
        out = tmp_path / f"{name}.flac"
        info = render(midi, out, name, program, SMALL_SOUNDFONT, RATE, tail=0.5)
        lengths.append(info["samples"])
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert lengths[0] == lengths[1] == lengths[2] == int(np.ceil((1.4 + 0.5) * RATE))
    assert digests[0] == digests[2] != digests[1]


def test_sustain_pedal_is_kept(tmp_path):
    notes = [(60, 0.0, 0.2)]
    dry = write_midi(tmp_path / "dry.mid", notes + [(62, 2.0, 2.05)])
    wet = write_midi(tmp_path / "wet.mid", notes + [(62, 2.0, 2.05)],
                     pedal=[(0.0, 127), (1.9, 0)])
    energies = []
    for midi in (dry, wet):
        out = midi.with_suffix(".flac")
        render(midi, out, "piano", 0, SMALL_SOUNDFONT, RATE)
        audio, _ = read_mono(out)
        energies.append(float(np.sum(audio[int(0.8 * RATE):int(1.8 * RATE)] ** 2)))
    assert energies[1] > 10 * energies[0]


def test_bad_midi_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.midi"
    bad.write_bytes(b"not a midi file at all")
    with pytest.raises(ValueError, match="bad.midi: not a readable MIDI file"):
        render(bad, tmp_path / "x.flac", "piano", 0, SMALL_SOUNDFONT, RATE)
    assert not (tmp_path / "x.flac").exists()


def test_missing_soundfont_names_the_file(tmp_path):
    midi = write_midi(tmp_path / "n.mid", [(60, 0.0, 0.5)])
    with pytest.raises(FileNotFoundError, match="nope.sf2: SoundFont for instrument 'piano'"):
        render(midi, tmp_path / "x.flac", "piano", 0, tmp_path / "nope.sf2", RATE)


def test_whole_number_gains_are_applied(tmp_path):
    # Normalised configs turn 1.0 and 2.0 into integers: they must still set the gain.
    midi = write_midi(tmp_path / "g.mid", [(60, 0.0, 0.5), (64, 0.3, 0.8)])
    peaks = {}
    for gain in (1, 2):
        out = tmp_path / f"g{gain}.flac"
        peaks[gain] = render(midi, out, "piano", 0, SMALL_SOUNDFONT, RATE, gain=gain)["peak"]
    assert 20 * np.log10(peaks[2] / peaks[1]) == pytest.approx(6.02, abs=0.05)
    assert render(midi, tmp_path / "g.flac", "piano", 0, SMALL_SOUNDFONT, RATE,
                  gain=1.0)["peak"] == peaks[1]


@pytest.mark.parametrize("settings, message", [
    ({"synth.gain": 20.0}, "FluidSynth refused the setting synth.gain = 20.0"),
    ({"synth.polyphony": 2.5}, "synth.polyphony takes an integer, got 2.5"),
    ({"synth.no-such-thing": 1}, "FluidSynth has no setting 'synth.no-such-thing'"),
])
def test_refused_fluidsynth_settings_are_errors_naming_them(settings, message):
    with pytest.raises(ValueError, match=message):
        Synth(**settings)


@pytest.mark.parametrize("velocity, gain", [(1, 0.4), (100, 1e-6)])
def test_near_silent_renders_are_rejected(tmp_path, velocity, gain):
    midi = write_midi(tmp_path / "quiet.mid", [(60, 0.0, 0.5)], velocity=velocity)
    with pytest.raises(ValueError, match=r"quiet.mid: render with instrument 'piano' is "
                                         r"near-silent \(peak -\d+\.\d dBFS, below -60 dBFS\)"):
        render(midi, tmp_path / "q.flac", "piano", 0, SMALL_SOUNDFONT, RATE, gain=gain)
    assert not (tmp_path / "q.flac").exists()
