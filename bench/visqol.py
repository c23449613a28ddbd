"""Speed of the score stage's ViSQOL with numba against visqol-python's numpy path.

Renders a demo piece at 22.05 kHz, degrades it (resampled through 11.025 kHz),
and scores the pair with ``metrics.visqol`` in two fresh processes: one as the
project installs it (numba compiles the patch-matching loops; the first call,
which loads or compiles them, is left out of the timing) and one with numba
hidden, so visqol-python takes its numpy fallback. The two scores must be equal.
Last line: ``ratio <numba seconds / numpy seconds>``.

    python bench/visqol.py [--seconds 10] [--repeats 3]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from music_enhance.core.audio import read_mono, resample, write_audio
from music_enhance.data.demo import synth_piece
from music_enhance.data.render import render

RATE = 22050
TIMED = """
import json, sys, time
{hide}
from music_enhance.core.audio import read_mono
from music_enhance.core.metrics import visqol
target, _ = read_mono({target!r}); estimate, _ = read_mono({estimate!r})
visqol(target[:{rate}], estimate[:{rate}], {rate}, 1)  # imports, loads the compiled loops
start = time.perf_counter()
scores = [visqol(target, estimate, {rate}, {seconds}) for _ in range({repeats})]
print(json.dumps({{"seconds": (time.perf_counter() - start) / {repeats}, "score": scores[0]}}))
"""


def timed(tmp: Path, hide_numba: bool, seconds: float, repeats: int) -> dict:
    code = TIMED.format(hide="sys.modules['numba'] = None" if hide_numba else "",
                        target=str(tmp / "target.flac"), estimate=str(tmp / "estimate.flac"),
                        rate=RATE, seconds=seconds, repeats=repeats)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.repeats = 4, 1
    tmp = Path(tempfile.mkdtemp())
    synth_piece(np.random.default_rng(0), args.seconds + 2).write(str(tmp / "one.midi"))
    render(tmp / "one.midi", tmp / "target.flac", "piano", 0,
           "/usr/share/sounds/sf2/FluidR3_GM.sf2", RATE)
    target, _ = read_mono(tmp / "target.flac")
    degraded = resample(resample(target, RATE, 11025), 11025, RATE)[:len(target)]
    write_audio(tmp / "estimate.flac", degraded, RATE)
    fast = timed(tmp, False, args.seconds, args.repeats)
    slow = timed(tmp, True, args.seconds, args.repeats)
    print(f"ViSQOL (audio mode, 48 kHz) of a {args.seconds:g} s excerpt, resampled through "
          f"11.025 kHz, mean of {args.repeats}")
    print(f"{'':22}{'seconds':>10}{'MOS-LQO':>12}")
    print(f"{'numba (installed)':22}{fast['seconds']:>10.2f}{fast['score']:>12.6f}")
    print(f"{'numpy (numba hidden)':22}{slow['seconds']:>10.2f}{slow['score']:>12.6f}")
    print(f"scores equal: {fast['score'] == slow['score']}")
    print(f"ratio {fast['seconds'] / slow['seconds']:.3f}")


if __name__ == "__main__":
    main()
