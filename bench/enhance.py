"""Peak memory and speed of whole-piece enhancement on long recordings (CPU).

Writes a 30-minute and a 3-hour piece (a demo MIDI rendered at 22.05 kHz,
looped), saves an untrained generator of the default config, then in fresh
processes measures (1) reading and writing the 30-minute piece alone, (2)
`enhance` on each piece. Prints the peak resident memory of each and the
real-time factor. Files longer than enhance.BLOCK_SECONDS stream in blocks, so
the peak should not grow with the length. Last line:
``ratio <peak of the 3-hour piece / peak of the 30-minute piece>``.

    python bench/enhance.py [--minutes 30] [--long-minutes 180] [--smoke]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from music_enhance.core.audio import read_mono, write_audio
from music_enhance.data.demo import synth_piece
from music_enhance.data.render import render
from music_enhance.training.checkpoint import save_checkpoint
from music_enhance.training.models import build_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak import peak_of  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RATE = 22050


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--long-minutes", type=float, default=180)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    if args.smoke:
        args.minutes, args.long_minutes = 0.1, 0.2
    tmp = Path(tempfile.mkdtemp())
    synth_piece(np.random.default_rng(0), 60).write(str(tmp / "one.midi"))
    render(tmp / "one.midi", tmp / "one.flac", "piano", 0,
           "/usr/share/sounds/sf2/FluidR3_GM.sf2", RATE)
    minute, _ = read_mono(tmp / "one.flac")
    for name, minutes in (("long", args.minutes), ("longer", args.long_minutes)):
        write_audio(tmp / f"{name}.flac", np.resize(minute, int(minutes * 60 * RATE)), RATE)
    del minute
    spec = yaml.safe_load((REPO / "config.yaml").read_text())["experiments"]["unet_l2"]
    model = build_model(spec["model"])
    save_checkpoint(tmp / "g.pt", model, spec, {"sample_rate": RATE, "window": 8192}, 0, "b")

    io_peak, io_s = peak_of(
        "from music_enhance.core.audio import read_mono, write_audio\n"
        f"a, r = read_mono('{tmp}/long.flac'); write_audio('{tmp}/copy.flac', a, r)")
    runs = {name: peak_of(
        "from music_enhance.evaluation.enhance import enhance\n"
        f"enhance('{tmp}/{name}.flac', '{tmp}/out.flac', '{tmp}/g.pt', batch_size=16, "
        "threads=2, progress=False)") for name in ("long", "longer")}
    print(f"pieces at {RATE} Hz, default U-Net {spec['model']['channels']}, window 8192, "
          f"batch 16, 2 threads")
    print(f"{'':32}{'peak RSS (GiB)':>16}{'wall (s)':>10}{'x real time':>13}")
    print(f"{f'read + write ({args.minutes:g} min)':32}{io_peak:>16.2f}{io_s:>10.1f}")
    for name, minutes in (("long", args.minutes), ("longer", args.long_minutes)):
        peak, seconds = runs[name]
        print(f"{f'enhance ({minutes:g} min)':32}{peak:>16.2f}{seconds:>10.1f}"
              f"{minutes * 60 / seconds:>13.1f}")
    print(f"ratio {runs['longer'][0] / runs['long'][0]:.3f}")


if __name__ == "__main__":
    main()
