"""How bright each SoundFont's piano is: the energy above some frequencies,
in dB under the total, of one MIDI file rendered with each SoundFont.

    python scripts/piano_brightness.py PIECE.midi SF2 [SF2 ...] [--seconds 60]
"""

import argparse
from pathlib import Path

import numpy as np

from music_enhance.data.render import load_midi, render_midi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("midi")
    parser.add_argument("soundfonts", nargs="+")
    parser.add_argument("--program", type=int, default=0, help="General MIDI program")
    parser.add_argument("--rate", type=int, default=22050)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--above", type=float, nargs="+", default=[2500, 5500])
    args = parser.parse_args()
    midi = load_midi(args.midi)
    for soundfont in args.soundfonts:
        audio = render_midi(midi, args.program, soundfont, args.rate, gain=0.4, tail=1.0)
        audio = np.asarray(audio[:int(args.seconds * args.rate)], dtype=np.float64)
        power = np.abs(np.fft.rfft(audio)) ** 2
        freqs = np.fft.rfftfreq(len(audio), 1 / args.rate)
        levels = [10 * np.log10(power[freqs > f].sum() / power.sum()) for f in args.above]
        print(Path(soundfont).name, " ".join(f"above {f:g} Hz: {db:.1f} dB"
                                             for f, db in zip(args.above, levels, strict=True)))


if __name__ == "__main__":
    main()
