"""The train stage: one experiment = one task's shards + one model + one loss recipe.

This first trainer fits the generator with an L2 loss and Adam on shuffled
batches of training windows streamed from the shards (``loader.py``),
validates every ``validate_every`` steps on a fixed spread of validation
windows, and keeps the generator with the lowest validation loss.
"""

import csv
import os
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .config import derive_seed
from .loader import ShardWindows, window_loader
from .models import build_model


def snr_db(estimate: torch.Tensor, target: torch.Tensor) -> float:
    noise = (target - estimate).pow(2).sum()
    return float(10 * torch.log10(target.pow(2).sum() / noise.clamp_min(1e-20)))


@torch.no_grad()
def validate(model, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int) -> tuple:
    model.eval()
    outputs = torch.cat([model(inputs[i:i + batch_size])
                         for i in range(0, len(inputs), batch_size)])
    model.train()
    return float(torch.mean((outputs - targets) ** 2)), snr_db(outputs, targets)


def train(train_shards, valid_shards, out_checkpoint, out_metrics, experiment: str,
          spec: dict, seed: int, threads: int = 1) -> dict:
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(derive_seed(seed, "train", experiment))
    train_set, valid_set = ShardWindows(train_shards), ShardWindows(valid_shards)
    for name, windows in (("training", train_set), ("validation", valid_set)):
        if len(windows) == 0:
            raise ValueError(f"{experiment}: the {name} shards {windows.paths} hold no window "
                             f"(pieces shorter than the window, or all silent?)")
    model = build_model(spec["model"])
    if train_set.window % model.multiple:
        raise ValueError(f"{experiment}: window {train_set.window} is not a multiple of "
                         f"2^depth = {model.multiple} of its model")
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["optimizer"]["lr"],
                                 betas=tuple(spec["optimizer"].get("betas", (0.9, 0.999))))
    batch_size, steps = spec["batch_size"], spec["steps"]
    loader, sampler = window_loader(train_set, batch_size, derive_seed(seed, "batches",
                                                                         experiment),
                                    workers=spec.get("workers", 0))
    # At most 256 validation windows, evenly spread, so validation stays cheap.
    keep = np.linspace(0, len(valid_set) - 1, min(256, len(valid_set))).astype(int)
    valid_x, valid_y, _ = valid_set.__getitems__(np.unique(keep))
    attrs = {"sample_rate": train_set.sample_rate, "window": train_set.window}

    rows, best, start = [], float("inf"), time.time()
    progress = tqdm(range(1, steps + 1), desc=f"train {experiment}", mininterval=5)
    batches = endless(loader, sampler)
    for step in progress:
        x, y, _ = next(batches)
        loss = torch.mean((model(x) - y) ** 2)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{experiment}: loss is {loss.item()} at step {step}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        progress.set_postfix(loss=f"{loss.item():.2e}")
        if step % spec["validate_every"] == 0 or step == steps:
            val_loss, val_snr = validate(model, valid_x, valid_y, batch_size)
            rows.append({"step": step, "train_loss": loss.item(), "valid_loss": val_loss,
                         "valid_snr": val_snr, "seconds": round(time.time() - start, 3)})
            if val_loss < best:
                best = val_loss
                save_checkpoint(out_checkpoint, model, spec, attrs, step, experiment)
    write_metrics(out_metrics, rows)
    return {"best_valid_loss": best, "steps": steps}


def endless(loader, sampler):
    """Batches over epoch after epoch, each epoch shuffled anew."""
    epoch = 0
    while True:
        sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


def save_checkpoint(path, model, spec, attrs, step, experiment):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    torch.save({"experiment": experiment, "model": spec["model"], "step": step,
                "sample_rate": int(attrs["sample_rate"]), "window": int(attrs["window"]),
                "state_dict": model.state_dict()}, tmp)
    os.replace(tmp, path)


def write_metrics(path, rows):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def load_generator(path):
    """The generator saved by :func:`train`, in eval mode, and its checkpoint dict."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as err:
        raise ValueError(f"{path}: not a readable checkpoint ({err})") from err
    model = build_model(checkpoint["model"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), checkpoint
