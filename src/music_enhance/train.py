"""The train stage: one experiment = one task's shards + one model + one loss recipe.

This first trainer fits the generator with an L2 loss and Adam on random
batches of training windows, validates every ``validate_every`` steps, and
keeps the generator with the lowest validation loss.
"""

import csv
import os
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .config import derive_seed
from .models import build_model
from .shard import load_shard


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


def as_tensor(windows: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(windows).unsqueeze(1)


def train(train_shard, valid_shard, out_checkpoint, out_metrics, experiment: str,
          spec: dict, seed: int, threads: int = 1) -> dict:
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(derive_seed(seed, "train", experiment))
    rng = np.random.default_rng(derive_seed(seed, "batches", experiment))
    train_data, valid_data = load_shard(train_shard), load_shard(valid_shard)
    if len(train_data["input"]) == 0:
        raise ValueError(f"{train_shard}: shard holds no window (pieces shorter than window?)")
    window = int(train_data["attrs"]["window"])
    model = build_model(spec["model"])
    if window % model.multiple:
        raise ValueError(f"{experiment}: window {window} is not a multiple of 2^depth = "
                         f"{model.multiple} of its model")
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["optimizer"]["lr"],
                                 betas=tuple(spec["optimizer"].get("betas", (0.9, 0.999))))
    batch_size, steps = spec["batch_size"], spec["steps"]
    # At most 256 validation windows, evenly spread, so validation stays cheap.
    keep = np.linspace(0, len(valid_data["input"]) - 1,
                       min(256, len(valid_data["input"]))).astype(int)
    valid_x = as_tensor(valid_data["input"][keep])
    valid_y = as_tensor(valid_data["target"][keep])

    rows, best, start = [], float("inf"), time.time()
    progress = tqdm(range(1, steps + 1), desc=f"train {experiment}", mininterval=5)
    for step in progress:
        index = np.sort(rng.choice(len(train_data["input"]), batch_size, replace=False))
        x = as_tensor(train_data["input"][index])
        y = as_tensor(train_data["target"][index])
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
                save_checkpoint(out_checkpoint, model, spec, train_data["attrs"], step,
                                experiment)
    write_metrics(out_metrics, rows)
    return {"best_valid_loss": best, "steps": steps}


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
