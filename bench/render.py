"""Render stage vs the fluidsynth command line: same MIDI, SoundFont and sample rate.

Runs both alternately, several times each, and prints real-time factors (seconds
of audio per second of wall time). The command line gets the stage's synth
settings (no reverb, no chorus, same gain) so both do the same synthesis work.
Last line: ``ratio <stage throughput / command-line throughput>`` (medians).

    python bench/render.py [MIDI] [--soundfont SF2] [--rate 44100] [--runs 5] [--smoke]
"""

import argparse
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pretty_midi

from music_enhance.data.demo import synth_piece
from music_enhance.data.render import render

MINI = Path(__file__).resolve().parents[2] / "shared/data/maestro-mini/maestro-v3.0.0-midi.zip"


def longest_mini_midi(tmp: Path) -> Path:
    with zipfile.ZipFile(MINI) as zf:
        names = [n for n in zf.namelist() if n.endswith(".midi")]
        name = max(names, key=lambda n: zf.getinfo(n).file_size)
        out = tmp / Path(name).name
        out.write_bytes(zf.read(name))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("midi", nargs="?", help="default: the largest maestro-mini MIDI")
    parser.add_argument("--soundfont", default="/usr/share/sounds/sf2/FluidR3_GM.sf2")
    parser.add_argument("--rate", type=int, default=44100)
    parser.add_argument("--gain", type=float, default=0.4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    if args.smoke:
        args.runs, args.midi = 1, tmp / "smoke.midi"
        synth_piece(np.random.default_rng(0), 5).write(str(args.midi))
    midi = Path(args.midi) if args.midi else longest_mini_midi(tmp)
    seconds = pretty_midi.PrettyMIDI(str(midi)).get_end_time() + 1.0
    command = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", str(args.gain),
               "-F", str(tmp / "cli.wav"), "-r", str(args.rate), args.soundfont, str(midi)]
    stage, cli = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        render(midi, tmp / "stage.flac", "piano", 0, args.soundfont, args.rate, args.gain)
        stage.append(seconds / (time.perf_counter() - start))
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        cli.append(seconds / (time.perf_counter() - start))
    print(f"MIDI: {midi.name} ({seconds:.1f} s of audio), {Path(args.soundfont).name}, "
          f"{args.rate} Hz, {args.runs} runs each")
    print(f"{'':24}{'median x real time':>20}{'min':>10}{'max':>10}")
    for label, rtf in (("render stage (FLAC)", stage), ("fluidsynth CLI (WAV)", cli)):
        print(f"{label:24}{statistics.median(rtf):>20.1f}{min(rtf):>10.1f}{max(rtf):>10.1f}")
    print(f"ratio {statistics.median(stage) / statistics.median(cli):.3f}")


if __name__ == "__main__":
    main()
