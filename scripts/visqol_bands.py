"""Why a system wins or loses on ViSQOL: its per-band similarity and level, from a run.

For the test pieces of a finished run (``results/manifest.csv``) and one task, on
the excerpt the score stage uses (``score.visqol_seconds``, default 10 s), prints
per system the MOS-LQO and, for the ViSQOL gammatone bands above the chain's
cut-off, the patch similarity (NSIM, 1 is identical) and the level the band
reaches above ViSQOL's floor (dB; the target's level is what it should be). Then
a probe of how ViSQOL weighs that band: the degraded input plus the target's
own content above the cut-off, at 0, -6, -12 and -20 dB. With ``--band-gains``,
the trade-off of the first system's own band: its content above the cut-off
raised by each gain (dB), with the whole piece's SNR beside the MOS-LQO (an
added band of the wrong phase costs SNR; the issue's bound is the input's SNR
minus 0.5 dB).

    python scripts/visqol_bands.py [--results results] [--task piano_sr]
        [--systems unet_gan piano_sr.cubic piano_sr.input] [--seconds 10]
        [--band-gains 0 3 6]
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from music_enhance.core.audio import read_mono, resample
from music_enhance.core.metrics import VISQOL_RATE, excerpt, snr
from music_enhance.data.degrade import chain_cutoff
from music_enhance.pipeline.plan import Plan


def measure(api, target, estimate, rate, seconds):
    cut = excerpt(len(target), rate, seconds)
    reference, degraded = (resample(a[cut].astype(np.float32), rate, VISQOL_RATE).astype(
        np.float64) for a in (target, estimate[:len(target)]))
    return api.measure_from_arrays(reference, degraded, sample_rate=VISQOL_RATE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--task", default="piano_sr")
    parser.add_argument("--systems", nargs="+",
                        default=["unet_gan", "piano_sr.cubic", "piano_sr.input"])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--band-gains", type=float, nargs="*", default=[])
    args = parser.parse_args()
    from scipy.signal import butter, sosfiltfilt
    from visqol import VisqolApi

    from music_enhance.core.config import SCHEMA, normalise_config, validate_config

    root = Path(args.results).resolve().parent
    config = yaml.safe_load(Path(args.config).read_text())
    validate_config(config, SCHEMA)
    normalise_config(config)
    plan = Plan(config)
    plan.use_pieces(pd.read_csv(Path(args.results) / "manifest.csv"))
    rate = plan.config["tasks"][args.task]["sample_rate"]
    cutoff = chain_cutoff(plan.chain(args.task))
    api = VisqolApi()
    api.create(mode="audio")
    pieces = plan.pieces("test")
    rows, bands = {}, None
    for system in ["target", *args.systems]:
        template = plan.task_target(args.task) if system == "target" else plan.estimate(system)
        results = []
        for piece in pieces:
            target = read_mono(root / plan.task_target(args.task).format(piece=piece))[0]
            estimate = read_mono(root / template.format(piece=piece))[0]
            results.append(measure(api, target, estimate, rate, args.seconds))
        centres = np.asarray(results[0].center_freq_bands)
        bands = (centres >= cutoff * 0.9) & (centres < rate / 2)
        rows[system] = (np.mean([r.moslqo for r in results]),
                        np.mean([np.asarray(r.fvnsim)[bands] for r in results], axis=0),
                        np.mean([np.asarray(r.fvdegenergy)[bands] for r in results], axis=0))
    print(f"task {args.task}, {len(pieces)} test pieces, {args.seconds:g} s excerpts; "
          f"bands above {cutoff:.0f} Hz (centre Hz): "
          + " ".join(f"{c:.0f}" for c in centres[bands]))
    for system, (mos, nsim, level) in rows.items():
        print(f"{system:24} MOS-LQO {mos:.3f}  NSIM " + " ".join(f"{v:.2f}" for v in nsim)
              + "  level dB " + " ".join(f"{v:.1f}" for v in level))
    sos = butter(8, cutoff * 1.02, "highpass", fs=rate, output="sos")
    source = plan.task_input(args.task)
    for gain_db in (0, -6, -12, -20):
        scores = []
        for piece in pieces:
            target = read_mono(root / plan.task_target(args.task).format(piece=piece))[0]
            degraded = read_mono(root / source.format(piece=piece))[0]
            high = sosfiltfilt(sos, target) * 10 ** (gain_db / 20)
            scores.append(measure(api, target, degraded + high, rate, args.seconds).moslqo)
        print(f"input + the target's band above the cut-off at {gain_db:+d} dB: "
              f"MOS-LQO {np.mean(scores):.3f}")
    system = args.systems[0]
    for gain_db in args.band_gains:
        scores, snrs = [], []
        for piece in pieces:
            target = read_mono(root / plan.task_target(args.task).format(piece=piece))[0]
            estimate = read_mono(root / plan.estimate(system).format(piece=piece))[0]
            high = sosfiltfilt(sos, estimate)
            louder = estimate + high * (10 ** (gain_db / 20) - 1)
            scores.append(measure(api, target, louder, rate, args.seconds).moslqo)
            snrs.append(snr(target, louder[:len(target)]))
        print(f"{system} with its band above the cut-off {gain_db:+g} dB: "
              f"MOS-LQO {np.mean(scores):.3f}, SNR {np.mean(snrs):.2f} dB")


if __name__ == "__main__":
    main()
