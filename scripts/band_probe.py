"""What a super-resolution generator's new band is worth: its phase, its level, its gate.

For each piece, the generator enhances the degraded input (as ``enhance`` does), and
the band it adds above the input's cut-off (the output less the input, above it) is
measured against the target's:

- the least-squares gain ``g*`` on the band, the one that maximises SNR: 1 for a band
  that matches the target's, 0 for one with none of its phase;
- the SNR of the input, of the output, and of the output with the band scaled by g*;
- the input's octave under the cut-off, the target's band and the model's band, each
  as a share of the target's energy in dB (the octave: of the input's);
- with a band gate (``model.band_gate``), its mean gain over the piece's windows.

``--gains`` then scores the output with its band scaled by each gain, beside the
input and cubic interpolation from the cut-off (SNR, LSD, LSD above the cut-off,
MR-STFT, and ViSQOL with ``--visqol``, on the middle seconds as the score stage
does); ``--keep-below HZ`` adds the output with its band under HZ replaced by the
input's. Means over the pieces.

    python scripts/band_probe.py CHECKPOINT
        runs/long/results/degrade/lowres_11k/piano/22050 runs/long/results/render/piano/22050
        PIECE... --cutoff 5512.5 [--gains 1 0.6 0.4 0] [--visqol 10] [--keep-below 5000]

A piece is a file name without ``.flac`` in both folders (degraded, then target).
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from music_enhance.core.audio import read_mono
from music_enhance.core.metrics import all_metrics, snr, visqol
from music_enhance.evaluation.baselines import upsample
from music_enhance.evaluation.enhance import merge_windows
from music_enhance.training.checkpoint import load_generator


def split(audio: np.ndarray, rate: int, hz: float) -> tuple[np.ndarray, np.ndarray]:
    """``audio``'s band at or under ``hz`` and its band above it (an FFT split)."""
    spectrum = np.fft.rfft(audio.astype(np.float64))
    above = np.fft.rfftfreq(len(audio), 1 / rate) > hz
    high = np.fft.irfft(np.where(above, spectrum, 0), len(audio))
    return audio - high, high


def band_gain(target: np.ndarray, base: np.ndarray, band: np.ndarray) -> float:
    """The gain g that brings ``base + g band`` nearest ``target`` (least squares)."""
    return float(np.dot(band, target - base) / max(np.dot(band, band), 1e-30))


def share_db(part: np.ndarray, whole: np.ndarray) -> float:
    return float(10 * np.log10(max(np.sum(part ** 2), 1e-30) / np.sum(whole ** 2)))


def gate_gain(model, degraded: np.ndarray, window: int) -> float:
    """The band gate's mean gain over the piece's whole windows (nan without one)."""
    gate = getattr(model, "gate", None)
    if gate is None or len(degraded) < window:
        return float("nan")
    whole = len(degraded) // window * window
    windows = torch.from_numpy(degraded[:whole].astype(np.float32)).view(-1, 1, window)
    with torch.no_grad():
        return float(gate.gain(windows).mean())


def piece_probe(model, meta, x, t, rate, cutoff):
    """The model's output and its new band, and the piece's row of measures."""
    y = merge_windows(model, x.astype(np.float32), meta["window"]).astype(np.float64)
    n = min(len(x), len(y), len(t))
    x, y, t = x[:n].astype(np.float64), y[:n], t[:n].astype(np.float64)
    band = split(y - x, rate, cutoff)[1]
    g = band_gain(t, y - band, band)
    octave = split(split(x, rate, cutoff)[0], rate, cutoff / 2)[1]
    row = {"input SNR": snr(t, x), "output SNR": snr(t, y), "g*": g,
           "SNR at g*": snr(t, y - band + g * band),
           "input octave dB": share_db(octave, x),
           "target band dB": share_db(split(t, rate, cutoff)[1], t),
           "model band dB": share_db(band, t),
           "gate gain": gate_gain(model, x, meta["window"])}
    return x, y, t, band, row


def scores(t, estimate, rate, cutoff, seconds) -> list[float]:
    m = all_metrics(t, estimate, rate, cutoff)
    row = [m["snr"], m["lsd"], m["lsd_high"], m["mrstft"]]
    return row + ([visqol(t, estimate, rate, seconds)] if seconds else [])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("degraded", type=Path, help="folder of the degraded inputs")
    parser.add_argument("targets", type=Path, help="folder of the targets")
    parser.add_argument("pieces", nargs="+", help="file names without .flac")
    parser.add_argument("--cutoff", type=float, required=True, help="the input's cut-off (Hz)")
    parser.add_argument("--gains", type=float, nargs="*", default=[],
                        help="score the output with its band scaled by each")
    parser.add_argument("--visqol", type=float, default=0.0, metavar="SECONDS",
                        help="add ViSQOL on the middle SECONDS (0: none)")
    parser.add_argument("--keep-below", type=float, metavar="HZ",
                        help="score the output with its band under HZ the input's")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, meta = load_generator(args.checkpoint)
    rows, table = [], {}
    for piece in args.pieces:
        x, rate = read_mono(args.degraded / f"{piece}.flac")
        t, target_rate = read_mono(args.targets / f"{piece}.flac")
        if rate != target_rate:
            raise SystemExit(f"{piece}: degraded at {rate} Hz, target at {target_rate} Hz")
        x, y, t, band, row = piece_probe(model, meta, x, t, rate, args.cutoff)
        rows.append(row)
        if not rows[1:]:
            print(f"{'piece':40s}" + "".join(f"{k:>16s}" for k in row))
        print(f"{piece[:40]:40s}" + "".join(f"{v:16.3f}" for v in row.values()), flush=True)
        if not args.gains and args.keep_below is None:
            continue
        systems = {"input": x, "cubic": upsample(x, rate, int(round(2 * args.cutoff)), "cubic")}
        systems |= {f"model, g = {g:g}": y - (1 - g) * band for g in args.gains}
        if args.keep_below is not None:
            systems["model, input's band kept"] = (split(x, rate, args.keep_below)[0]
                                                   + split(y, rate, args.keep_below)[1])
        for name, estimate in systems.items():
            table.setdefault(name, []).append(scores(t, estimate, rate, args.cutoff,
                                                     args.visqol))
    print(f"{'mean':40s}" + "".join(f"{v:16.3f}" for v in np.mean(
        [list(r.values()) for r in rows], axis=0)))
    if table:
        names = ["SNR", "LSD", "LSD high", "MR-STFT"] + (["ViSQOL"] if args.visqol else [])
        print(f"\n{'system':40s}" + "".join(f"{k:>16s}" for k in names))
        for name, values in table.items():
            print(f"{name:40s}" + "".join(f"{v:16.3f}" for v in np.mean(values, axis=0)))


if __name__ == "__main__":
    main()
