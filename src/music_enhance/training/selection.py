"""Which validated generator is the train stage's output, and when training stops.

An experiment's ``selection`` block names the validation metric that picks the
output generator (``lsd``, ``mrstft``, ``snr``, ``visqol``, or ``last``: the
generator of the last step) and its direction (``mode``: by default lower LSD and
MR-STFT, higher SNR and ViSQOL are better). Unset, a recipe with a discriminator
is picked by ViSQOL, the perceptual score its adversarial terms are for; one
without, by LSD. With ``patience``, training stops once that many validations in
a row have not improved the metric, but never before ``min_steps``. A validation
improves on the best only by more than ``min_delta``, so that the metric's noise
between validations neither picks the output nor keeps training going.

With a discriminator and ``after_join`` (the default), the output is picked among
the generators validated after the adversarial terms joined: the first of them
replaces any earlier best, so a GAN recipe is scored as a GAN, not as the
regression model it was before the join. Patience waits for the join too.

ViSQOL needs seconds of audio, not one window: it scores ``visqol.excerpts``
excerpts, each the concatenation of validation windows (the same, drawn once
from the run's seed, for every experiment of a task) of ``visqol.seconds``.
"""

import math

import numpy as np

from ..core.metrics import visqol
from ..core.seeds import derive_seed

MODES = {"lsd": "min", "mrstft": "min", "snr": "max", "visqol": "max"}


def resolved(spec: dict) -> dict:
    """The experiment's ``selection`` block with its metric and mode decided."""
    selection = dict(spec["selection"])
    if selection["metric"] is None:
        selection["metric"] = "visqol" if spec["discriminator"] else "lsd"
    if selection["mode"] is None and selection["metric"] != "last":
        selection["mode"] = MODES[selection["metric"]]
    return selection


def selection_errors(spec: dict) -> list[str]:
    """What is wrong with a filled experiment's ``selection``, as ``key: message``."""
    selection = spec["selection"]
    if selection["metric"] == "last" and selection["patience"] is not None:
        return ["selection.patience: needs a metric to watch; metric 'last' has none "
                "(set patience: null, or metric: lsd, mrstft, snr or visqol)"]
    if selection["min_steps"] > spec["steps"]:
        return [f"selection.min_steps: {selection['min_steps']} is more than steps "
                f"({spec['steps']})"]
    return []


def better(value: float, best: float | None, mode: str | None, min_delta: float = 0.0) -> bool:
    """Whether ``value`` improves on ``best`` (None: nothing yet) by more than
    ``min_delta``. ``mode`` None (the last step) takes every value."""
    if best is None or mode is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


def restarts(best_step: int, joined_at: int | None, selection: dict) -> bool:
    """Whether a validation after the adversarial terms joined (at ``joined_at``; None:
    not yet, or no discriminator) replaces a best from before the join."""
    return selection["after_join"] and joined_at is not None and best_step < joined_at


def waiting_for_join(discriminator: bool, joined_at: int | None, selection: dict) -> bool:
    """Whether patience waits: a recipe with a discriminator, under ``after_join``,
    whose adversarial terms have not joined yet."""
    return discriminator and selection["after_join"] and joined_at is None


def stop_due(step: int, best_step: int, validate_every: int, selection: dict,
             waiting: bool = False) -> bool:
    """Whether ``patience`` validations in a row since ``best_step`` did not improve;
    never while ``waiting`` for the adversarial terms to join."""
    patience = selection["patience"]
    if patience is None or waiting or step < selection["min_steps"]:
        return False
    return (step - best_step) // validate_every >= patience


def visqol_excerpts(windows: int, window: int, rate: int, seed: int,
                    selection: dict) -> list[list[int]]:
    """Indices of the validation windows of each ViSQOL excerpt: drawn without
    replacement from the run's seed, so every experiment of a task scores the same."""
    spec = selection["visqol"]
    per_excerpt = max(1, math.ceil(spec["seconds"] * rate / window))
    count = min(spec["excerpts"], windows // per_excerpt)
    if count == 0:
        raise ValueError(f"selection.visqol: {windows} validation windows cannot make one "
                         f"{spec['seconds']} s excerpt of {per_excerpt} windows")
    rng = np.random.default_rng(derive_seed(seed, "selection", "visqol"))
    chosen = rng.choice(windows, count * per_excerpt, replace=False)
    return [sorted(int(i) for i in part) for part in np.split(chosen, count)]


def excerpt_visqol(targets, estimates, excerpts: list[list[int]], rate: int) -> float:
    """Mean ViSQOL over the excerpts; ``targets`` and ``estimates`` are (N, 1, T)."""
    scores = []
    for indices in excerpts:
        target = np.concatenate([targets[i, 0].numpy() for i in indices])
        estimate = np.concatenate([estimates[i, 0].numpy() for i in indices])
        scores.append(visqol(target, estimate, rate, len(target) / rate))
    return float(np.mean(scores))
