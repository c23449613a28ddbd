"""The train stage: one experiment = one task's shards + networks + a loss recipe.

Each step draws a batch of windows from the shards (``loader.py``). With a
discriminator, it first takes ``critic_steps`` discriminator steps (one for
``bce``/``conditional``; a fresh batch each, and a gradient penalty, for
``wgan_gp``), then one generator step on the weighted sum of the losses of
``losses.py``. The adversarial term joins once ``adversarial_start.step`` steps
are done and, when ``adversarial_start.below`` is set, the discriminator's
loss has fallen below it (the 2019 report's schedule); once on it stays on, its
weight rising over ``adversarial_start.ramp`` steps. The
discriminator trains from the first step, or, with ``adversarial_start.warmup``,
only for that many steps before the term joins (its steps cost several generator
steps, and before the join they only prepare it).

Every ``validate_every`` steps: L2, SNR, LSD and MR-STFT on a fixed spread of
validation windows (and ViSQOL on fixed excerpts of them when it selects); the
generator best by the ``selection`` metric is the output, and with
``selection.patience`` training stops once that metric has stopped improving
(``selection.py``). Every
``checkpoint_every`` steps ``last.pt`` is saved, and a rerun resumes from it
(see ``checkpoint.py``). With ``collab.shaping_iters`` the best checkpoint's
discriminator is then shaped (``collab.py``). Under ``torchrun`` the networks are wrapped in
DistributedDataParallel and each rank reads its own batches.
"""

import contextlib
import csv
import hashlib
import io
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from ..core.batch import sha256
from ..core.config import canonical, code_version
from ..core.defaults import filled
from ..core.seeds import derive_seed
from ..data.loader import ShardWindows, window_loader
from . import losses, selection
from .adversarial import discriminator_update
from .checkpoint import (
    atomic_save,
    cpu_state,
    load_discriminator,
    load_generator,
    load_resume,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from .collab import CollaborativeSampler, shape_discriminator
from .models import build_discriminator, build_model, window_error

log = logging.getLogger(__name__)
VALID_WINDOWS = 256


def distributed_setup() -> tuple[int, int]:
    """(rank, world size); joins the process group when started by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def pick_device() -> torch.device:
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device("cpu")


def endless(loader, sampler, start: int = 0):
    """Batches over epoch after epoch, each shuffled anew, from batch ``start`` on."""
    epoch, skip = divmod(start, len(loader))
    while True:
        sampler.set_epoch(epoch, skip)
        yield from loader
        epoch, skip = epoch + 1, 0


def state_digest(model) -> str:
    buffer = io.BytesIO()
    torch.save(cpu_state(model), buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


class Trainer:
    def __init__(self, spec: dict, experiment: str, seed: int,
                 autoencoder: str | None = None):
        # Filled here too: a library caller may pass a partial block (the CLI filled it).
        spec = filled("experiment", spec, experiment)
        self.spec, self.experiment = spec, experiment
        self.rank, self.world = distributed_setup()
        self.device = pick_device()
        torch.manual_seed(derive_seed(seed, "train", experiment))
        self.weights = spec["losses"]
        self.generator = build_model(spec["model"]).to(self.device)
        self.postnet = getattr(self.generator, "postnet", None) is not None
        self.resolutions = spec["logspec_resolutions"]
        self.discriminator = (build_discriminator(spec["discriminator"], spec[
            "adversarial_loss"]).to(self.device) if spec["discriminator"] else None)
        self.autoencoder = None
        if self.weights["feature"]:
            self.autoencoder = load_generator(autoencoder)[0].to(self.device).requires_grad_(False)
        opt = spec["optimizer"]
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=opt["lr"],
                                      betas=tuple(opt["betas"]))
        self.opt_d = (torch.optim.Adam(self.discriminator.param_groups())
                      if self.discriminator else None)
        plateau = spec["scheduler"]
        self.scheduler = (torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.opt_g, factor=plateau["factor"], patience=plateau["patience"])
            if plateau else None)
        self.bf16 = spec["precision"] == "bf16" or (
            spec["precision"] == "auto" and self.device.type == "cuda")
        # DDP averages the generator's gradients across ranks (the discriminator's
        # are averaged in discriminator_update); the raw module stays reachable.
        g = self.generator
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            g = DistributedDataParallel(g, device_ids=ids)
        compile_ = spec["compile"]
        if compile_ is True or (compile_ == "auto" and self.device.type == "cuda"):
            g = torch.compile(g)
        self.g = g
        self.last_d_loss = math.inf
        self.adversarial_since = None  # the step the adversarial terms joined

    @property
    def adversarial_on(self) -> bool:
        return self.adversarial_since is not None

    def autocast(self):
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def discriminator_step(self, x, y) -> float:
        self.discriminator.requires_grad_(True)
        with torch.no_grad(), self.autocast():
            fake = self.g(x)
        loss = discriminator_update(self.discriminator, self.opt_d, y, fake.float(), x,
                                    self.autocast, self._clip)
        self._check(loss, "discriminator")
        return loss

    def generator_step(self, x, y, measure: bool = False) -> dict:
        """One update; with ``measure`` also the norm of each weighted term's gradient
        at the generator's output (``grad_<term>``), to see which term dominates."""
        adversarial = self.adversarial_on and self.weights["adversarial"]
        if self.discriminator:
            self.discriminator.requires_grad_(False)  # no gradient into D from here
        with self.autocast():
            outputs = self.g(x, both=True) if self.postnet else [self.g(x)]
        outputs = [out.float() for out in outputs]
        terms = {}
        for out in outputs:  # before and after a postnet: the losses apply to both
            for name, value in losses.reconstruction_losses(
                    self.weights, out, y, self.autoencoder, self.resolutions).items():
                terms[name] = terms.get(name, 0.0) + value
        if adversarial:
            with self.autocast():
                fake_logits, fake_features = self.discriminator(outputs[-1], x)
            terms["adversarial"] = losses.generator_adversarial(
                self.discriminator.loss, fake_logits).mean()
            if self.weights["feature_matching"]:
                with torch.no_grad(), self.autocast():
                    real_features = self.discriminator(y, x)[1]
                terms["feature_matching"] = losses.feature_matching(real_features,
                                                                    fake_features)
        weighted = {name: self.weights[name] * value.float() for name, value in terms.items()}
        for name in ("adversarial", "feature_matching"):
            if name in weighted:
                weighted[name] = self.adversarial_ramp() * weighted[name]
        loss = sum(weighted.values())
        self._check(loss, "generator")
        row = {"train_loss": loss.item(), **{name: v.item() for name, v in terms.items()}}
        if measure:
            for name, value in weighted.items():
                grad, = torch.autograd.grad(value, outputs[0], retain_graph=True)
                row[f"grad_{name}"] = grad.norm().item()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self._clip(self.generator)
        self.opt_g.step()
        return row

    def _clip(self, model):
        if self.spec["grad_clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.spec["grad_clip"])

    def _check(self, loss, network: str):
        loss = float(loss.detach() if torch.is_tensor(loss) else loss)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"{self.experiment}: {network} loss is {float(loss)} at step {self.step}; "
                f"training stopped, the last good checkpoint is kept")

    def discriminator_due(self, step: int) -> bool:
        """Whether the discriminator trains at ``step`` (``adversarial_start.warmup``)."""
        start = self.spec["adversarial_start"]
        return bool(self.discriminator) and (
            start["warmup"] is None or step > start["step"] - start["warmup"])

    def update_schedule(self, step: int):
        start = self.spec["adversarial_start"]
        below = start["below"]
        if (self.discriminator and not self.adversarial_on and step > start["step"]
                and (below is None or self.last_d_loss < below)):
            self.adversarial_since = step

    def adversarial_ramp(self) -> float:
        """The adversarial terms' share of their weights now: from 1/ramp on the step
        they join up to 1 (``adversarial_start.ramp``)."""
        ramp = self.spec["adversarial_start"]["ramp"]
        return min(1.0, (self.step - self.adversarial_since + 1) / ramp) if ramp else 1.0

    @torch.no_grad()
    def validate(self, inputs, targets, batch_size: int, excerpts=None, rate=None) -> dict:
        """Validation scores; ViSQOL too on ``excerpts`` (lists of window indices)."""
        model = self.generator.eval()
        l2 = snr_num = snr_den = lsd = mrstft = 0.0
        estimates = []
        for i in range(0, len(inputs), batch_size):
            x = inputs[i:i + batch_size].to(self.device)
            y = targets[i:i + batch_size].to(self.device)
            with self.autocast():
                y_hat = model(x)
            y_hat = y_hat.float()
            if excerpts:
                estimates.append(y_hat.cpu())
            l2 += torch.sum((y_hat - y) ** 2).item()
            snr_num += torch.sum(y ** 2).item()
            snr_den += torch.sum((y - y_hat) ** 2).item()
            lsd += losses.lsd(y_hat, y).sum().item()
            mrstft += losses.mrstft_loss(y_hat, y).item() * len(x)
        model.train()
        scores = {"valid_loss": l2 / inputs.numel(),
                  "valid_snr": 10 * math.log10(snr_num / max(snr_den, 1e-20)),
                  "valid_lsd": lsd / len(inputs), "valid_mrstft": mrstft / len(inputs)}
        if excerpts:
            scores["valid_visqol"] = selection.excerpt_visqol(
                targets, torch.cat(estimates), excerpts, rate)
        return scores

    def state(self) -> dict:
        return {"generator": self.generator.state_dict(), "opt_g": self.opt_g.state_dict(),
                "discriminator": self.discriminator.state_dict() if self.discriminator else None,
                "opt_d": self.opt_d.state_dict() if self.opt_d else None,
                "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                "adversarial_since": self.adversarial_since, "last_d_loss": self.last_d_loss,
                "rng": rng_state()}

    def load_state(self, state: dict):
        self.generator.load_state_dict(state["generator"])
        self.opt_g.load_state_dict(state["opt_g"])
        if self.discriminator:
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_d.load_state_dict(state["opt_d"])
        if self.scheduler:
            self.scheduler.load_state_dict(state["scheduler"])
        self.adversarial_since, self.last_d_loss = (state["adversarial_since"],
                                                    state["last_d_loss"])
        set_rng_state(state["rng"])


@dataclass
class Progress:
    """What a run has done, saved in ``last.pt`` and restored on resume."""
    rows: list = field(default_factory=list)
    best: float | None = None  # the selection metric's best value
    best_checkpoint: dict | None = None
    drawn: int = 0  # batches drawn from the endless loader
    step: int = 0
    best_step: int = 0
    stopped: bool = False  # by patience


def open_windows(train_shards, valid_shards, file_locking: bool, experiment: str,
                 model: dict) -> tuple[ShardWindows, ShardWindows]:
    sets = ShardWindows(train_shards, file_locking), ShardWindows(valid_shards, file_locking)
    for name, windows in zip(("training", "validation"), sets, strict=True):
        if len(windows) == 0:
            raise ValueError(f"{experiment}: the {name} shards {windows.paths} hold no window "
                             f"(pieces shorter than the window, or all silent?)")
    if window_error(sets[0].window, model):
        raise ValueError(f"{experiment}: window {window_error(sets[0].window, model)}")
    return sets


def validation_windows(valid_set: ShardWindows) -> tuple:
    """A fixed spread of at most VALID_WINDOWS windows: (inputs, targets)."""
    keep = np.linspace(0, len(valid_set) - 1, min(VALID_WINDOWS, len(valid_set))).astype(int)
    return valid_set.__getitems__(np.unique(keep))[:2]


def provenance_key(path):
    """The ``key`` of a provenance record, or one error naming the file."""
    try:
        return json.loads(Path(path).read_text())["key"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"--provenance {path}: not a readable provenance record with a "
                         f"key ({type(err).__name__}: {err})") from None


def run_fingerprint(spec: dict, seed: int, world: int, provenance, shards) -> str:
    """What ``last.pt`` must belong to. The provenance key covers the config, code and
    inputs upstream (a changed chain value makes other shards); by hand, without one,
    the shards' paths and contents."""
    inputs = provenance_key(provenance) if provenance else {str(p): sha256(p) for p in shards}
    return canonical({"spec": spec, "seed": seed, "world": world,
                      "code": code_version("train"), "inputs": inputs})


def resume(trainer: Trainer, last_path: Path, fingerprint: str, out_checkpoint) -> Progress:
    state = load_resume(last_path, fingerprint)
    if not state:
        return Progress()
    trainer.load_state(state["trainer"])
    done = Progress(state["rows"], state["best"], state["best_checkpoint"], state["drawn"],
                    state["step"], state["best_step"], state["stopped"])
    log.info("resuming %s from %s at step %d", trainer.experiment, last_path, done.step)
    if not Path(out_checkpoint).exists() and done.best_checkpoint:
        atomic_save(done.best_checkpoint, out_checkpoint)
    return done


def next_batch(trainer: Trainer, batches, done: Progress) -> tuple:
    """(input, target) on the device; an autoencoder (identity) maps target to target."""
    x, y = (t.to(trainer.device, non_blocking=True) for t in next(batches)[:2])
    done.drawn += 1
    return (y if trainer.spec["identity"] else x), y


def train_step(trainer: Trainer, batches, done: Progress, step: int, measure: bool) -> dict:
    """The discriminator's steps when due, then one generator step: the step's row."""
    trainer.step, row = step, {"step": step}
    if trainer.discriminator_due(step):
        for _ in range(trainer.discriminator.critic_steps):
            trainer.last_d_loss = row["d_loss"] = trainer.discriminator_step(
                *next_batch(trainer, batches, done))
        trainer.update_schedule(step)
    row.update(trainer.generator_step(*next_batch(trainer, batches, done), measure=measure))
    row["lr"] = trainer.opt_g.param_groups[0]["lr"]
    return row


def validate(trainer: Trainer, row: dict, valid: tuple, done: Progress, out_checkpoint,
             attrs: dict, chosen: dict) -> None:
    """Validation scores into ``row``; the generator best by the selection metric is
    the output, and ``done.stopped`` says when patience has run out."""
    inputs, targets = valid
    spec = trainer.spec
    row.update(trainer.validate(targets if spec["identity"] else inputs, targets,
                                spec["batch_size"], chosen.get("excerpts"),
                                attrs["sample_rate"]))
    main = trainer.rank == 0
    if main:  # a line per validation in the job's log: where progress shows
        log.info("%s step %d/%d: train loss %.4g, validation SNR %.2f dB, LSD %.3f, "
                 "MR-STFT %.3f%s", trainer.experiment, row["step"], spec["steps"],
                 row["train_loss"], row["valid_snr"], row["valid_lsd"], row["valid_mrstft"],
                 f", ViSQOL {row['valid_visqol']:.3f}" if "valid_visqol" in row else "")
    if trainer.scheduler:
        trainer.scheduler.step(row["valid_loss"])
    metric = chosen["metric"]
    value = row["step"] if metric == "last" else row[f"valid_{metric}"]
    joined_at = trainer.adversarial_since
    if (selection.restarts(done.best_step, joined_at, chosen)
            or selection.better(value, done.best, chosen["mode"], chosen["min_delta"])):
        done.best, done.best_step = value, row["step"]
        if main:
            done.best_checkpoint = save_checkpoint(
                out_checkpoint, trainer.generator, spec, attrs, row["step"], trainer.experiment,
                trainer.discriminator, {k: row[k] for k in row if "valid" in k}, chosen)
    waiting = selection.waiting_for_join(bool(trainer.discriminator), joined_at, chosen)
    done.stopped = selection.stop_due(row["step"], done.best_step, spec["validate_every"],
                                      chosen, waiting)
    if main and done.stopped:
        log.info("%s: no better validation %s for %d validations since step %d; stopping "
                 "at step %d", trainer.experiment, metric, chosen["patience"],
                 done.best_step, row["step"])


def save_last(trainer: Trainer, done: Progress, fingerprint: str, last_path) -> None:
    atomic_save({"fingerprint": fingerprint, "step": done.step, "drawn": done.drawn,
                 "rows": done.rows, "best": done.best, "trainer": trainer.state(),
                 "best_checkpoint": done.best_checkpoint, "best_step": done.best_step,
                 "stopped": done.stopped}, last_path)


def train(train_shards, valid_shards, out_checkpoint, out_metrics, experiment: str,
          spec: dict, seed: int, threads: int = 1, autoencoder: str | None = None,
          file_locking: bool = True, provenance: str | None = None) -> dict:
    torch.set_num_threads(max(1, threads))
    spec = filled("experiment", spec, experiment)
    train_set, valid_set = open_windows(train_shards, valid_shards, file_locking, experiment,
                                        spec["model"])
    trainer = Trainer(spec, experiment, seed, autoencoder)
    main = trainer.rank == 0
    steps, every = spec["steps"], spec["checkpoint_every"] or spec["validate_every"]
    loader, sampler = window_loader(train_set, spec["batch_size"],
                                    derive_seed(seed, "batches", experiment),
                                    workers=spec["workers"])
    valid = validation_windows(valid_set)
    attrs = {"sample_rate": train_set.sample_rate, "window": train_set.window}
    chosen = selection.resolved(spec)
    if chosen["metric"] == "visqol":
        chosen["excerpts"] = selection.visqol_excerpts(len(valid[0]), train_set.window,
                                                       train_set.sample_rate, seed, chosen)
    last_path = Path(out_checkpoint).with_name("last.pt")
    fingerprint = run_fingerprint(spec, seed, trainer.world, provenance,
                                  [*train_shards, *valid_shards])
    done = resume(trainer, last_path, fingerprint, out_checkpoint)
    first = done.step + 1
    writer = tensorboard_writer(Path(out_checkpoint).parent / "tensorboard") if main else None
    batches = endless(loader, sampler, done.drawn)
    bar = tqdm(range(first, steps + 1), desc=f"train {experiment}", mininterval=5,
               disable=not main, initial=first - 1, total=steps)
    start = time.time()
    for step in bar:
        if done.stopped:
            break
        validating = step % spec["validate_every"] == 0 or step == steps
        row = train_step(trainer, batches, done, step, measure=validating)
        # refresh=False: the bar redraws at most every mininterval, not every step.
        bar.set_postfix(loss=f"{row['train_loss']:.2e}", refresh=False)
        if validating:
            validate(trainer, row, valid, done, out_checkpoint, attrs, chosen)
        done.rows.append(row)
        done.step = step
        if writer:
            for key, value in row.items():
                if key != "step":
                    writer.add_scalar(key, value, step)
        if main and (step % every == 0 or step == steps or done.stopped):
            save_last(trainer, done, fingerprint, last_path)
            write_metrics(out_metrics, done.rows)
    if writer:
        writer.close()
    if main:
        write_metrics(out_metrics, done.rows)
        if spec["collab"] and spec["collab"]["shaping_iters"]:
            shape(out_checkpoint, spec, batches, trainer.device)
    digests = [state_digest(trainer.generator)]
    if trainer.world > 1:
        gathered = [None] * trainer.world
        dist.all_gather_object(gathered, digests[0])
        digests = gathered
    ran = max(done.step - first + 1, 0)
    log.info("%s: %d steps in %.1f s, %.1f samples/s", experiment, ran, time.time() - start,
             ran * spec["batch_size"] * train_set.window / max(time.time() - start, 1e-9))
    return {"selection": chosen["metric"], "best_valid": done.best, "best_step": done.best_step,
            "steps": done.step, "stopped": done.stopped, "rank_digests": digests,
            "resumed_from": first - 1}


def shape(checkpoint_path, spec: dict, batches, device) -> None:
    """Discriminator shaping of the best checkpoint (``collab.shaping_iters``), once."""
    generator, checkpoint = load_generator(checkpoint_path)
    if checkpoint.get("shaped"):
        return
    generator = generator.to(device)
    discriminator = load_discriminator(checkpoint_path, checkpoint).to(device)
    collab = spec["collab"]
    sampler = CollaborativeSampler(generator, discriminator, collab["layer"],
                                   collab["step_size"], collab["eta"], collab["max_iters"])
    history = shape_discriminator(sampler, batches, collab["shaping_iters"], device)
    log.info("shaped the discriminator for %d iterations: loss %.4g -> %.4g", len(history),
             history[0], history[-1])
    checkpoint.update(discriminator_state=cpu_state(discriminator), shaped=len(history))
    atomic_save(checkpoint, checkpoint_path)


def tensorboard_writer(log_dir):
    from torch.utils.tensorboard import SummaryWriter
    return SummaryWriter(log_dir=str(log_dir))


def write_metrics(path, rows):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fields = list(dict.fromkeys(key for row in rows for key in row))
    tmp = Path(path).with_name(f".{Path(path).name}.part")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
