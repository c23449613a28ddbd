"""Degrade stage vs one equivalent sox command line, on a 2-minute render.

Chain: resample to 11.025 kHz and back, pink noise at 20 dB SNR, reverb. The
command line does the same in one sox invocation (resampling and the noise in
sox subprocesses mixed with -m, then reverb), with the noise amplitude worked
out beforehand (untimed). Both read and write FLAC. Runs alternate; last line:
``ratio <stage time / command-line time>`` (medians).

    python bench/degrade.py [--runs 5] [--seconds 120] [--smoke]
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from music_enhance.core.audio import read_mono
from music_enhance.data.degrade import degrade
from music_enhance.data.demo import synth_piece
from music_enhance.data.render import render

RATE = 22050
CHAIN = [{"step": "resample", "low_rate": 11025},
         {"step": "pinknoise", "snr_db": 20},
         {"step": "reverb", "reverberance": 50}]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.seconds = 1, 5
    tmp = Path(tempfile.mkdtemp())
    midi = synth_piece(np.random.default_rng(0), args.seconds)
    midi.write(str(tmp / "piece.midi"))
    render(tmp / "piece.midi", tmp / "clean.flac", "piano", 0,
           "/usr/share/sounds/sf2/FluidR3_GM.sf2", RATE)
    clean, _ = read_mono(tmp / "clean.flac")
    # Pink noise from sox's synth, scaled to 20 dB below the signal (measured once).
    subprocess.run(["sox", "-R", "-n", "-r", str(RATE), str(tmp / "noise.wav"), "synth",
                    str(len(clean) / RATE), "pinknoise"], check=True)
    noise, _ = read_mono(tmp / "noise.wav")
    volume = np.sqrt(np.mean(clean.astype(np.float64) ** 2) / 100 / np.mean(noise ** 2.0))
    command = ["sox", "-D", "-m", "-v", "1",
               f"|sox {tmp / 'clean.flac'} -p rate -v 11025 rate -v {RATE}",
               "-v", f"{volume:.6f}",
               f"|sox -n -r {RATE} -p synth {len(clean) / RATE} pinknoise",
               "-b", "24", str(tmp / "cli.flac"), "reverb", "50"]
    stage, cli = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        degrade(tmp / "clean.flac", tmp / "stage.flac", tmp / "stage.json", "bench", CHAIN,
                seed=0, piece="piece")
        stage.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        cli.append(time.perf_counter() - start)
    print(f"{len(clean) / RATE:.0f} s render at {RATE} Hz; chain resample 11025 + pink noise "
          f"20 dB + reverb 50; {args.runs} runs each")
    print(f"{'':22}{'median s':>10}{'min':>8}{'max':>8}")
    for label, times in (("degrade stage", stage), ("sox command line", cli)):
        print(f"{label:22}{statistics.median(times):>10.3f}{min(times):>8.3f}"
              f"{max(times):>8.3f}")
    print(f"ratio {statistics.median(stage) / statistics.median(cli):.3f}")


if __name__ == "__main__":
    main()
