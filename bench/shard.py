"""Peak memory of the shard writer: one 30-minute piece, and a split of many pieces.

Writes (untimed) a 30-minute piece at 44.1 kHz and 40 one-minute pieces, then in
fresh processes measures the peak resident memory of (1) reading the long piece
alone, (2) sharding the long piece (window 8192, stride 4096), (3) sharding the
40 short pieces into one shard. Last line:
``ratio <peak sharding the 30-minute piece / peak reading it>``.

    python bench/shard.py [--smoke]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from music_enhance.core.audio import write_audio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak import peak_of  # noqa: E402

RATE = 44100


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    # The smoke run: a 1-minute "long" piece and 4 pieces of 6 s.
    long_minutes, short_seconds, count = (1, 6, 4) if args.smoke else (30, 60, 40)
    tmp = Path(tempfile.mkdtemp())
    rng = np.random.default_rng(0)
    write_audio(tmp / "long.flac", 0.1 * rng.standard_normal(long_minutes * 60 * RATE), RATE)
    minute = 0.1 * rng.standard_normal(short_seconds * RATE)
    for i in range(count):
        write_audio(tmp / f"s{i}.flac", minute, RATE)
    ids = ",".join(f"s{i}" for i in range(count))
    read_peak, _ = peak_of("from music_enhance.core.audio import read_mono\n"
                           f"read_mono('{tmp}/long.flac')")
    long_peak, long_s = peak_of(
        "from music_enhance.data.shard import shard_pieces\n"
        f"shard_pieces(['long'], ['{tmp}/long.flac'], ['{tmp}/long.flac'], '{tmp}/l.h5', "
        "8192, 4096, {})")
    many_peak, many_s = peak_of(
        "from music_enhance.data.shard import shard_pieces\n"
        f"ids = '{ids}'.split(','); files = [f'{tmp}/{{i}}.flac' for i in ids]\n"
        f"shard_pieces(ids, files, files, "
        f"'{tmp}/m.h5', 8192, 4096, {{}})")
    print(f"{'at 44.1 kHz, window 8192, stride 4096':42}{'peak RSS (GiB)':>16}{'wall (s)':>10}")
    print(f"{'read the 30-minute piece only':42}{read_peak:>16.2f}{'':>10}")
    print(f"{'shard the 30-minute piece':42}{long_peak:>16.2f}{long_s:>10.1f}")
    print(f"{'shard 40 one-minute pieces (one shard)':42}{many_peak:>16.2f}{many_s:>10.1f}")
    print(f"ratio {long_peak / read_peak:.3f}")


if __name__ == "__main__":
    main()
