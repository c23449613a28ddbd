"""The render stage: one MIDI piece -> one mono lossless audio file per instrument.

The MIDI is parsed with pretty_midi and played into one in-process FluidSynth
synthesizer, event by event at sample-exact positions, with every melodic
track's program swapped for the configured instrument. Notes, velocities and
all control changes (sustain, sostenuto and soft pedal included) are kept;
drum tracks are never swapped. The length of a render depends only on the
MIDI's end time and the configured tail, so paired renders of one piece with
different instruments are sample-aligned.
"""

import ctypes
import functools
import io
import math
import zipfile
from pathlib import Path

import fluidsynth
import numpy as np
import pretty_midi

from ..core.audio import StreamingWriter
from ..core.defaults import schema_default

# FluidSynth's float output, written straight into the piece's arrays: no int16
# dither or quantisation, and no Python-side copy per event as with get_samples().
_write_float = fluidsynth._fl.fluid_synth_write_float
_write_float.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                         ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_write_float.restype = ctypes.c_int

# fluid_settings_get_type's answers.
_SETTING_TYPES = {0: (fluidsynth.fluid_settings_setnum, float),
                  1: (fluidsynth.fluid_settings_setint, int),
                  2: (fluidsynth.fluid_settings_setstr, lambda v: str(v).encode())}
_setting_type = fluidsynth._fl.fluid_settings_get_type
_setting_type.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_setting_type.restype = ctypes.c_int

# Renders whose peak stays below this are rejected as near-silent (velocity-1
# notes, a mistyped gain): -60 dBFS is 40 dB under a quiet piano render here.
MIN_PEAK_DBFS = -60.0

DRUM_CHANNEL = 9
# Event order at equal times: controls first, then note-offs, then note-ons, so a
# repeated note is released before it is struck again and pedal applies to it.
CONTROL, NOTE_OFF, NOTE_ON, BEND = 0, 1, 2, 3


class Synth(fluidsynth.Synth):
    """pyfluidsynth's synthesizer with strict settings.

    pyfluidsynth picks the setter from the Python type, so a whole-number gain
    (``10`` once the config is normalised) went to the integer setter, which
    FluidSynth refuses for its float ``synth.gain``, and the default gain was used
    without a word. Here every setting is set with the type FluidSynth declares
    for it, and a refusal is an error naming the setting.
    """

    def setting(self, opt, val):
        kind = _setting_type(self.settings, opt.encode())
        if kind not in _SETTING_TYPES:
            raise ValueError(f"FluidSynth has no setting {opt!r}")
        setter, cast = _SETTING_TYPES[kind]
        if cast is int and val != int(val):
            raise ValueError(f"FluidSynth setting {opt} takes an integer, got {val!r}")
        if setter(self.settings, opt.encode(), cast(val)) != fluidsynth.FLUID_OK:
            raise ValueError(f"FluidSynth refused the setting {opt} = {val!r} (out of range)")


def gm_program(instrument: str, program) -> int:
    """A General MIDI program number from a number or a name like ``electric_piano_1``."""
    if isinstance(program, int) and 0 <= program <= 127:
        return program
    try:
        return pretty_midi.instrument_name_to_program(str(program))
    except ValueError:
        raise ValueError(f"instruments.{instrument}.program: {program!r} is neither a number "
                         f"0-127 nor a General MIDI instrument name") from None


@functools.cache
def soundfont_presets(path: str) -> frozenset[tuple[int, int]]:
    """The (bank, program) pairs a SoundFont (SF2, or SF3 with compressed samples)
    defines, read from its preset headers (the ``phdr`` chunk of ``pdta``) without
    loading its samples: a check at start-up, where FluidSynth would fall back to
    another preset with only a warning."""
    def chunks(data: bytes, start: int, stop: int):
        while start + 8 <= stop:
            size = int.from_bytes(data[start + 4:start + 8], "little")
            yield data[start:start + 4], start + 8, size
            start += 8 + size + size % 2

    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
            raise ValueError(f"{path}: not a SoundFont (no RIFF sfbk header)")
        position, odd = 12, 0
        while True:  # the top-level LIST chunks; sdta (the samples) is skipped by seeking
            f.seek(position)
            header = f.read(12)
            if header[:4] != b"LIST" and odd:
                # Some SF3 writers do not pad an odd-sized chunk (MuseScore's).
                position -= 1
                f.seek(position)
                header = f.read(12)
            if len(header) < 12 or header[:4] != b"LIST":
                raise ValueError(f"{path}: SoundFont without preset headers (pdta phdr)")
            size = int.from_bytes(header[4:8], "little")
            if header[8:12] == b"pdta":
                data = f.read(size - 4)
                break
            odd = size % 2
            position += 8 + size + odd
    for name, start, size in chunks(data, 0, len(data)):
        if name == b"phdr":  # 38-byte records; the last one is the terminal "EOP"
            records = [data[i:i + 38] for i in range(start, start + size - 38, 38)]
            return frozenset((int.from_bytes(r[22:24], "little"),
                              int.from_bytes(r[20:22], "little")) for r in records)
    raise ValueError(f"{path}: SoundFont without preset headers (pdta phdr)")


def midi_bytes(path) -> bytes:
    """A MIDI file's bytes; ``archive.zip/dir/x.midi`` names an entry of a zip archive,
    read in place (a local MAESTRO archive is never extracted to be rendered)."""
    path = Path(path)
    if path.is_file():
        return path.read_bytes()
    for archive in path.parents:
        if archive.is_file() and zipfile.is_zipfile(archive):
            entry = path.relative_to(archive).as_posix()
            with zipfile.ZipFile(archive) as zf:
                try:
                    return zf.read(entry)
                except KeyError:
                    raise FileNotFoundError(f"{archive}: no entry {entry}") from None
    raise FileNotFoundError(f"{path}: MIDI file not found")


def load_midi(path) -> pretty_midi.PrettyMIDI:
    try:
        data = midi_bytes(path)
    except OSError as err:
        raise ValueError(f"{path}: not a readable MIDI file ({err})") from err
    return parse_midi(data, path)


def parse_midi(data: bytes, path) -> pretty_midi.PrettyMIDI:
    """The MIDI in ``data`` (read from ``path``), or a ValueError saying what is wrong."""
    try:
        midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
    except Exception as err:  # mido raises many types for bad bytes, some without a word
        raise ValueError(f"{path}: not a readable MIDI file "
                         f"({type(err).__name__}{': ' + str(err) if str(err) else ''})") from err
    if not any(inst.notes for inst in midi.instruments):
        raise ValueError(f"{path}: MIDI file has no notes")
    if midi.get_end_time() <= 0:
        raise ValueError(f"{path}: MIDI file has zero length")
    return midi


def midi_events(midi: pretty_midi.PrettyMIDI, rate: int) -> list[tuple]:
    """(sample, kind, channel, a, b) for every event, sorted, channels assigned."""
    events = []
    melodic = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15]
    tracks = [inst for inst in midi.instruments if not inst.is_drum]
    drums = [inst for inst in midi.instruments if inst.is_drum]
    if len(tracks) > len(melodic):
        raise ValueError(f"{len(tracks)} melodic tracks: at most {len(melodic)} can be rendered")
    channels = list(zip(melodic, tracks, strict=False)) + [(DRUM_CHANNEL, d) for d in drums]
    for channel, inst in channels:
        for note in inst.notes:
            events.append((round(note.start * rate), NOTE_ON, channel, note.pitch, note.velocity))
            events.append((round(note.end * rate), NOTE_OFF, channel, note.pitch, 0))
        for cc in inst.control_changes:
            events.append((round(cc.time * rate), CONTROL, channel, cc.number, cc.value))
        for bend in inst.pitch_bends:
            events.append((round(bend.time * rate), BEND, channel, bend.pitch, 0))
    events.sort()
    return events


def render_midi(midi: pretty_midi.PrettyMIDI, program: int, soundfont, rate: int,
                gain: float, tail: float, on_block=None) -> np.ndarray:
    """Mono float32 audio of ``midi`` played with General MIDI ``program``.

    ``on_block`` receives each finished stretch of mono audio (about a second),
    in order, while the rest is still being synthesized.
    """
    length = math.ceil((midi.get_end_time() + tail) * rate)
    synth = Synth(gain=gain, samplerate=rate, **{
        # A dry, deterministic render: the degrade stage adds rooms on purpose.
        "synth.reverb.active": 0, "synth.chorus.active": 0, "synth.cpu-cores": 1,
        # Load only the samples of the presets played, not the whole SoundFont.
        "synth.dynamic-sample-loading": 1,
    })
    try:
        sfid = synth.sfload(str(soundfont))
        if sfid < 0:
            raise ValueError(f"{soundfont}: FluidSynth cannot load this SoundFont")
        for channel in range(16):
            if channel == DRUM_CHANNEL:
                synth.program_select(channel, sfid, 128, 0)
            else:
                synth.program_select(channel, sfid, 0, program)
        left = np.zeros(length, dtype=np.float32)
        right = np.zeros(length, dtype=np.float32)
        mono = np.empty(length, dtype=np.float32)
        emitted = 0

        def synthesize(start, stop):
            nonlocal emitted
            _write_float(synth.synth, stop - start, left.ctypes.data + 4 * start, 0, 1,
                         right.ctypes.data + 4 * start, 0, 1)
            if stop - emitted >= rate or stop == length:
                np.add(left[emitted:stop], right[emitted:stop], out=mono[emitted:stop])
                mono[emitted:stop] *= np.float32(0.5)
                if on_block is not None:
                    on_block(mono[emitted:stop])
                emitted = stop

        position = 0
        for sample, kind, channel, a, b in midi_events(midi, rate):
            sample = min(sample, length)
            if sample > position:
                synthesize(position, sample)
                position = sample
            if kind == NOTE_ON:
                synth.noteon(channel, a, b)
            elif kind == NOTE_OFF:
                synth.noteoff(channel, a)
            elif kind == CONTROL:
                if a in (0, 32):  # bank select would undo the program swap
                    continue
                synth.cc(channel, a, b)
            else:
                synth.pitch_bend(channel, a)
        if length > position:
            synthesize(position, length)
    finally:
        synth.delete()
    return mono


def render(midi_path, out_path, instrument: str, program: int, soundfont, rate: int,
           gain: float = schema_default("render.gain"),
           tail: float = schema_default("render.tail"),
           max_clipped: float = schema_default("render.max_clipped")) -> dict:
    """Render one piece with one instrument; near-silent or clipping renders are errors."""
    if not Path(soundfont).is_file():
        raise FileNotFoundError(f"{soundfont}: SoundFont for instrument {instrument!r} not found")
    program = gm_program(instrument, program)
    midi = load_midi(midi_path)
    with StreamingWriter(out_path, rate) as writer:
        audio = render_midi(midi, program, soundfont, rate, gain, tail, writer.write)
        peak = float(np.abs(audio).max())
        peak_dbfs = 20 * math.log10(peak) if peak > 0 else -math.inf
        if peak_dbfs < MIN_PEAK_DBFS:
            raise ValueError(f"{midi_path}: render with instrument {instrument!r} is "
                             f"near-silent (peak {peak_dbfs:.1f} dBFS, below "
                             f"{MIN_PEAK_DBFS:g} dBFS); check the velocities and render.gain")
        clipped = float(np.mean(np.abs(audio) >= 1.0))
        if clipped > max_clipped:
            raise ValueError(f"{midi_path}: render with instrument {instrument!r} clips "
                             f"({clipped:.2%} of samples); lower render.gain")
    return {"samples": len(audio), "peak": peak, "clipped": clipped}
