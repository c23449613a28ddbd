"""How much of a room a filter over past STFT frames can take away: oracle filters.

For each piece, every STFT bin of the degraded input is filtered with one complex
weight per frame offset, over the frame itself and the K - 1 before it, the weights
fitted by least squares to the target's bin over the whole piece. This is the best
a time-invariant deep filter of K taps (``specunet``'s ``taps``) can do on a fixed
room; the model must estimate its weights from the input alone. K = 1 is one
complex gain per bin (an equaliser). The ideal ratio mask, time-varying but real
and at most 1, is printed beside them (``scripts/oracle_masks.py``), and, with
``--blind``, what the input alone gives a classical estimate of the same filter:
weighted prediction error (WPE, Nakatani et al. 2010), which subtracts from each
frame what the K frames from 2 frames before it predict.

With ``--fit-on PIECE...`` each K also gets one filter per bin fitted by least
squares over those pieces together and applied to every scored piece: what one
time-invariant filter for the whole distribution of rooms gives, a linear model
a network can always learn. The ratio of the two oracles says how much of the
gain lies in knowing each piece's room. ``--nearest N`` fits that filter instead,
for each scored piece, on the N pieces of ``--fit-on`` whose drawn room (the
reverb step's reverberance and room scale in the degrade stage's JSON beside each
file) is nearest its own: whether knowing those two numbers would be enough.
``--in-room`` fits it, for each scored piece, on the ``--fit-on`` pieces' targets
put through that piece's own recorded chain (its JSON's drawn values: the same
room and noise level, the noise drawn afresh): what a filter that knew the room
exactly, but not the music, would give. ``--room-offset R S`` moves that room by R
units of reverberance and S of room scale first (within 0-100): how precisely a
room must be known for its filter to serve.

``--fit-to FOLDER`` also fits each piece's filter to its file in FOLDER (a
model's outputs, as ``music-enhance enhance`` writes them) in place of the target,
and scores that file as it is: a per-recording filter that needs no target, the
whole recording's evidence of its room pooled into one linear filter. It gains on
the model's output only where the model's error is not itself a filter of the
input.

    python scripts/oracle_filters.py runs/long/results/degrade/room_noise/piano/16000
        runs/long/results/render/piano/16000 PIECE... [--taps 1 5 16 32] [--seconds 60]
        [--blind] [--fit-on TRAIN_PIECE... [--nearest N | --in-room [--room-offset R S]]]
        [--fit-to FOLDER]

A piece is a file name without ``.flac`` in both folders (degraded, then target).
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from music_enhance.core.audio import read_audio
from music_enhance.core.metrics import snr
from music_enhance.data.degrade import apply_chain


def past_frames(spec: torch.Tensor, taps: int) -> torch.Tensor:
    """(F, T) -> (F, T, taps): each frame with the taps - 1 before it (zeros before
    the first)."""
    padded = torch.nn.functional.pad(spec, (taps - 1, 0))
    return padded.unfold(-1, taps, 1).flip(-1)


def oracle_filter(spec_x: torch.Tensor, spec_y: torch.Tensor, taps: int) -> torch.Tensor:
    """The input filtered over ``taps`` frames per bin, fitted to the target."""
    frames = past_frames(spec_x, taps)
    weights = torch.linalg.lstsq(frames, spec_y.unsqueeze(-1)).solution
    return (frames @ weights).squeeze(-1)


def fit_pooled(pairs, taps: int) -> torch.Tensor:
    """(F, taps, 1) weights of one filter per bin fitted over every (input, target)
    spectrogram pair at once, from the summed normal equations."""
    gram = rhs = 0
    for spec_x, spec_y in pairs:
        frames = past_frames(spec_x, taps)
        gram = gram + frames.transpose(-1, -2).conj() @ frames
        rhs = rhs + frames.transpose(-1, -2).conj() @ spec_y.unsqueeze(-1)
    load = 1e-9 * gram.diagonal(dim1=-2, dim2=-1).real.mean(-1)[..., None, None]
    return torch.linalg.solve(gram + load * torch.eye(taps, dtype=gram.dtype), rhs)


def wpe(spec_x: torch.Tensor, taps: int, delay: int = 2, iterations: int = 3):
    """Blind dereverberation: each bin less its prediction from ``taps`` frames ending
    ``delay`` frames before it, weighted by the estimate's power (per piece)."""
    past = past_frames(torch.nn.functional.pad(spec_x, (delay, 0))[..., :-delay], taps)
    estimate = spec_x
    for _ in range(iterations):
        weighted = past / (estimate.abs() ** 2).clamp_min(1e-10).unsqueeze(-1)
        gram = weighted.transpose(-1, -2).conj() @ past
        load = 1e-6 * gram.diagonal(dim1=-2, dim2=-1).real.mean(-1)[..., None, None]
        weights = torch.linalg.solve(gram + load * torch.eye(taps, dtype=gram.dtype),
                                     weighted.transpose(-1, -2).conj() @ spec_x.unsqueeze(-1))
        estimate = spec_x - (past @ weights).squeeze(-1)
    return estimate


def spectrograms(x, y, n_fft, hop):
    hann = torch.hann_window(n_fft, dtype=torch.float64)
    return tuple(torch.stft(torch.as_tensor(a, dtype=torch.float64), n_fft, hop,
                            window=hann, return_complex=True) for a in (x, y))


def piece_scores(x, y, taps, n_fft, hop, blind=False, pooled=None, estimate=None) -> dict:
    """SNR of the input and of each oracle; ``pooled``: {taps: weights} fitted on
    other pieces (``fit_pooled``); ``estimate``: a model's output for ``x``, scored
    as it is and as the target of each piece's filter."""
    hann = torch.hann_window(n_fft, dtype=torch.float64)

    def istft(spec):
        return torch.istft(spec, n_fft, hop, window=hann, length=len(x))

    spec_x, spec_y = spectrograms(x, y, n_fft, hop)
    mask = (spec_y.abs() / spec_x.abs().clamp_min(1e-12)).clamp(max=1)
    row = {"input": snr(y, x), "ideal ratio mask": snr(y, istft(spec_x * mask))}
    for k in taps:
        row[f"{k} taps"] = snr(y, istft(oracle_filter(spec_x, spec_y, k)))
    for (k, label), weights in (pooled or {}).items():
        row[f"{k} taps {label}"] = snr(y, istft((past_frames(spec_x, k) @ weights).squeeze(-1)))
    for k in taps if blind else []:
        row[f"WPE {k} taps"] = snr(y, istft(wpe(spec_x, k)))
    if estimate is not None:
        _, spec_z = spectrograms(x, estimate, n_fft, hop)
        row["model"] = snr(y, estimate)
        for k in taps:
            row[f"{k} taps to model"] = snr(y, istft(oracle_filter(spec_x, spec_z, k)))
    return row


def drawn_steps(folder: Path, piece: str) -> list[dict]:
    """The chain's steps with the values drawn for the piece (the degrade stage's JSON
    record beside it)."""
    return json.loads((folder / f"{piece}.json").read_text())["steps"]


def drawn_room(folder: Path, piece: str) -> np.ndarray:
    """The reverb step's drawn reverberance and room scale, from the degrade stage's
    JSON record of the piece."""
    record = folder / f"{piece}.json"
    steps = drawn_steps(folder, piece)
    reverb = [step for step in steps if step["step"] == "reverb"]
    if not reverb:
        raise SystemExit(f"{record}: no reverb step, so no room to compare or move")
    return np.array([reverb[0]["reverberance"], reverb[0]["room_scale"]])


def read_pair(args, piece):
    """A piece's degraded input and target, mono, cut to ``--seconds``."""
    degraded, target = args.degraded / f"{piece}.flac", args.targets / f"{piece}.flac"
    x, rate = read_audio(degraded)
    y, target_rate = read_audio(target)
    if rate != target_rate:
        raise SystemExit(f"{degraded} is at {rate} Hz but {target} at {target_rate} Hz")
    n = min(len(x), len(y), int(args.seconds * rate) or len(x))
    return x[:n, 0], y[:n, 0], rate


def read_estimate(args, piece, n, rate):
    """A piece's file in ``--fit-to``, mono, cut to the scored length ``n``."""
    path = args.fit_to / f"{piece}.flac"
    z, z_rate = read_audio(path)
    if z_rate != rate or len(z) < n:
        raise SystemExit(f"{path}: {len(z)} samples at {z_rate} Hz; the piece needs at "
                         f"least {n} at {rate} Hz")
    return z[:n, 0]


def moved_room(steps: list[dict], reverberance: float, room_scale: float) -> list[dict]:
    """The chain's steps with the reverb's room moved by these units (within 0-100)."""
    offsets = {"reverberance": reverberance, "room_scale": room_scale}
    return [{**step, **{key: float(np.clip(step[key] + offset, 0, 100))
                        for key, offset in offsets.items()}}
            if step["step"] == "reverb" else step for step in steps]


def in_room_pairs(args, piece, targets):
    """Spectrogram pairs of the fit pieces' ``targets`` ([(samples, rate)]) degraded by
    ``piece``'s own recorded chain (its room moved by ``--room-offset``), and those
    targets."""
    if any(args.room_offset):
        drawn_room(args.degraded, piece)  # a chain without a room has none to move
    steps = moved_room(drawn_steps(args.degraded, piece), *args.room_offset)
    return [spectrograms(apply_chain(y, rate, steps, seed)[0], y, args.n_fft, args.hop)
            for seed, (y, rate) in enumerate(targets)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("degraded", type=Path, help="folder of the degraded pieces")
    parser.add_argument("targets", type=Path, help="folder of their targets")
    parser.add_argument("pieces", nargs="+")
    parser.add_argument("--taps", type=int, nargs="+", default=[1, 5, 16, 32])
    parser.add_argument("--seconds", type=float, default=60,
                        help="the first seconds of each piece (0: all)")
    parser.add_argument("--blind", action="store_true",
                        help="WPE's estimate from the input alone beside each oracle")
    parser.add_argument("--fit-on", nargs="+", default=[], metavar="PIECE",
                        help="also fit one filter per bin over these pieces together")
    parser.add_argument("--nearest", type=int, metavar="N",
                        help="fit on the N pieces of --fit-on nearest each scored one's room")
    parser.add_argument("--in-room", action="store_true",
                        help="fit on the --fit-on pieces' targets put through each scored "
                             "piece's own recorded chain")
    parser.add_argument("--room-offset", type=float, nargs=2, metavar=("R", "S"),
                        help="with --in-room: move each scored piece's room by R units of "
                             "reverberance and S of room scale")
    parser.add_argument("--fit-to", type=Path, metavar="FOLDER",
                        help="also fit each piece's filter to its file in this folder "
                             "(a model's outputs) in place of the target")
    parser.add_argument("--n-fft", type=int, default=512)
    parser.add_argument("--hop", type=int, default=128)
    args = parser.parse_args()
    if args.nearest and not 0 < args.nearest <= len(args.fit_on):
        parser.error(f"--nearest {args.nearest}: needs 1 to {len(args.fit_on)} --fit-on pieces")
    if args.in_room and (args.nearest or not args.fit_on):
        parser.error("--in-room: needs --fit-on pieces, and no --nearest")
    if args.room_offset and not args.in_room:
        parser.error("--room-offset: needs --in-room")
    args.room_offset = args.room_offset or (0.0, 0.0)
    fit = [read_pair(args, piece) for piece in args.fit_on]  # read once for every piece
    pairs = [] if args.in_room else [spectrograms(x, y, args.n_fft, args.hop)
                                     for x, y, _ in fit]
    rooms = np.array([drawn_room(args.degraded, p) for p in args.fit_on]) if args.nearest else None
    rows = {}
    for piece in args.pieces:
        chosen, label = range(len(pairs)), "pooled"
        if args.in_room:
            pairs = in_room_pairs(args, piece, [(y, rate) for _, y, rate in fit])
            chosen, label = range(len(pairs)), "in room"
        if args.nearest:
            distance = np.linalg.norm(rooms - drawn_room(args.degraded, piece), axis=1)
            chosen, label = np.argsort(distance)[:args.nearest], f"{args.nearest} nearest"
        pooled = {(k, label): fit_pooled([pairs[i] for i in chosen], k)
                  for k in args.taps} if pairs else None
        x, y, rate = read_pair(args, piece)
        estimate = read_estimate(args, piece, len(x), rate) if args.fit_to else None
        rows[piece] = piece_scores(x, y, args.taps, args.n_fft, args.hop, args.blind,
                                   pooled, estimate)
    columns = list(next(iter(rows.values())))
    offset = ("; the in-room filters' rooms moved by {:+g} reverberance, {:+g} room scale"
              .format(*args.room_offset) if any(args.room_offset) else "")
    print(f"SNR (dB) against the target; STFT {args.n_fft}/{args.hop}{offset}")
    print(f"{'piece':42}" + "".join(f"{c:>18}" for c in columns))
    for piece, row in rows.items():
        print(f"{piece[:41]:42}" + "".join(f"{row[c]:>18.2f}" for c in columns))
    print(f"{'mean':42}" + "".join(
        f"{np.mean([r[c] for r in rows.values()]):>18.2f}" for c in columns))


if __name__ == "__main__":
    main()
