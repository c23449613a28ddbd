"""Peak memory and speed of whole-piece enhancement on a long recording (CPU).

Writes a 30-minute piece (a demo MIDI rendered at 22.05 kHz, looped), saves an
untrained generator of the default config, then in fresh processes measures
(1) reading and writing the piece alone, (2) `music-enhance enhance` on it.
Prints the peak resident memory of each and the real-time factor. Last line:
``ratio <enhance peak memory / read-write peak memory>``.

    python bench/enhance.py [--minutes 30] [--smoke]
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
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    if args.smoke:
        args.minutes = 0.1
    tmp = Path(tempfile.mkdtemp())
    synth_piece(np.random.default_rng(0), 60).write(str(tmp / "one.midi"))
    render(tmp / "one.midi", tmp / "one.flac", "piano", 0,
           "/usr/share/sounds/sf2/FluidR3_GM.sf2", RATE)
    minute, _ = read_mono(tmp / "one.flac")
    piece = np.resize(minute, int(args.minutes * 60 * RATE))
    write_audio(tmp / "long.flac", piece, RATE)
    spec = yaml.safe_load((REPO / "config.yaml").read_text())["experiments"]["unet_l2"]
    model = build_model(spec["model"])
    save_checkpoint(tmp / "g.pt", model, spec, {"sample_rate": RATE, "window": 8192}, 0, "b")

    io_peak, io_s = peak_of(
        "from music_enhance.core.audio import read_mono, write_audio\n"
        f"a, r = read_mono('{tmp}/long.flac'); write_audio('{tmp}/copy.flac', a, r)")
    enh_peak, enh_s = peak_of(
        "from music_enhance.evaluation.enhance import enhance\n"
        f"enhance('{tmp}/long.flac', '{tmp}/out.flac', '{tmp}/g.pt', batch_size=16, "
        "threads=2, progress=False)")
    print(f"{args.minutes:g}-minute piece at {RATE} Hz ({len(piece) / 1e6:.1f} M samples), "
          f"default U-Net {spec['model']['channels']}, window 8192, batch 16, 2 threads")
    print(f"{'':28}{'peak RSS (GiB)':>16}{'wall (s)':>10}")
    print(f"{'read + write only':28}{io_peak:>16.2f}{io_s:>10.1f}")
    print(f"{'enhance (whole piece)':28}{enh_peak:>16.2f}{enh_s:>10.1f}")
    print(f"enhance real-time factor: {args.minutes * 60 / enh_s:.1f}x")
    print(f"ratio {enh_peak / io_peak:.3f}")


if __name__ == "__main__":
    main()
