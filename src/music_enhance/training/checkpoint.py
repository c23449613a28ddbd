"""Checkpoints of the train stage.

``generator.pt`` (the stage's output) holds the generator that the experiment's
``selection`` picked (with how it picked: metric, and the ViSQOL excerpts), with
its discriminator when the experiment has one, and the model specs, so
enhancement needs nothing else. ``last.pt`` beside it holds everything a
killed run needs to continue exactly: networks, optimisers, scheduler, RNG
states, batches drawn, metric rows. It is not a Snakemake output, so a failed
or killed job leaves it for the rerun; it is used only when its fingerprint
(experiment spec, seed, shards) matches the run's.
"""

import os
import zipfile
from pathlib import Path

import torch

from .models import build_discriminator, build_model


def atomic_save(obj, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # torch says RuntimeError for a full disk
        raise OSError(f"{path}: cannot write the checkpoint ({err})") from None
    finally:
        tmp.unlink(missing_ok=True)


def cpu_state(model) -> dict:
    """A snapshot of a model's weights on the CPU (training goes on changing them)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def save_checkpoint(path, model, spec: dict, attrs: dict, step: int, experiment: str,
                    discriminator=None, scores: dict | None = None,
                    selection: dict | None = None) -> dict:
    """The stage's output: generator (and discriminator) weights with their specs.
    Returns what it saved, which the resume state keeps."""
    checkpoint = {"experiment": experiment, "model": spec["model"], "step": step,
                  "sample_rate": int(attrs["sample_rate"]), "window": int(attrs["window"]),
                  "state_dict": cpu_state(model), "scores": scores or {},
                  "selection": selection or {},
                  "discriminator": spec["discriminator"] if discriminator else None,
                  "adversarial_loss": discriminator.loss if discriminator else None,
                  "discriminator_state": cpu_state(discriminator) if discriminator else None}
    atomic_save(checkpoint, path)
    return checkpoint


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_resume(path, fingerprint: str):
    """The state in ``path`` if it exists and belongs to this run, else None."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except (OSError, RuntimeError, EOFError) as err:
        raise ValueError(f"{path}: unreadable resume checkpoint ({err}); delete it to "
                         f"start over") from err
    return state if state.get("fingerprint") == fingerprint else None


GENERATOR_KEYS = {"model", "state_dict", "sample_rate", "window"}


def read_checkpoint(path) -> dict:
    """A generator checkpoint written by ``train``; anything else is one clear error."""
    if Path(path).is_dir() or not Path(path).exists():
        raise ValueError(f"{path}: no checkpoint file there")
    try:
        checkpoint, failure = torch.load(path, map_location="cpu", weights_only=True), None
    except Exception as err:  # torch raises many kinds for bytes that are no checkpoint
        checkpoint, failure = None, type(err).__name__
    if (isinstance(checkpoint, dict) and "fingerprint" in checkpoint) or (
            failure and zipfile.is_zipfile(path) and _is_resume_state(path)):
        raise ValueError(f"{path}: a resume state (last.pt), not a generator; use "
                         f"generator.pt beside it")
    if failure:
        raise ValueError(f"{path}: not a generator checkpoint written by train ({failure})")
    if not isinstance(checkpoint, dict) or not GENERATOR_KEYS <= set(checkpoint):
        raise ValueError(f"{path}: not a generator checkpoint written by train (no "
                         f"{', '.join(sorted(GENERATOR_KEYS))})")
    return checkpoint


def _is_resume_state(path) -> bool:
    """Whether a zip checkpoint is ``last.pt``: its pickle names a fingerprint (read as
    bytes, never unpickled)."""
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        return bool(pickles) and b"fingerprint" in archive.read(pickles[0])


def load_generator(path):
    """The generator saved by ``train``, in eval mode, and its checkpoint dict."""
    checkpoint = read_checkpoint(path)
    model = build_model(checkpoint["model"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in checkpoint["state_dict"].items()})
    return model.eval(), checkpoint


def export_generator(path, out, half: bool = False) -> dict:
    """The generator of ``path`` alone (``pretrained/``): weights (``half``: in bfloat16,
    half the bytes; loading turns them back to float32), model spec, rate, window,
    and the step, scores and selection it was picked by; no discriminator."""
    checkpoint = read_checkpoint(path)
    state = checkpoint["state_dict"]
    if half:
        state = {k: v.to(torch.bfloat16) if v.is_floating_point() else v
                 for k, v in state.items()}
    exported = {key: checkpoint.get(key) for key in (
        "experiment", "model", "step", "sample_rate", "window", "scores", "selection")}
    exported.update(state_dict=state, discriminator=None)
    atomic_save(exported, out)
    return exported


def load_discriminator(path, checkpoint: dict | None = None):
    """The discriminator saved with a generator, in eval mode."""
    checkpoint = checkpoint or read_checkpoint(path)
    if not checkpoint.get("discriminator"):
        raise ValueError(f"{path}: the experiment has no discriminator")
    model = build_discriminator(checkpoint["discriminator"], checkpoint.get("adversarial_loss"))
    model.load_state_dict(checkpoint["discriminator_state"])
    return model.eval()
