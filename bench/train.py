"""Training throughput of each model: fp32 eager against the trainer's faster settings.

For the demo config's U-Net (``experiments.unet_l2``), the inception generator at
its defaults, and the U-Net with a ``bce`` discriminator (one discriminator and
one generator step), measures audio samples per second of forward + backward +
optimiser step on a batch of the demo's size and window: fp32 eager (what the
reports' code did), ``torch.compile``, bf16 autocast, and both; on the CPU and
on a GPU when there is one. Last line: ``ratio <fastest / fp32 eager>`` for the
U-Net on the device it ran on (the GPU when present).

    python bench/train.py [--seconds 10] [--smoke]
"""

import argparse
import time
from pathlib import Path

import torch
import yaml

from music_enhance.core.config import SCHEMA, validate_config
from music_enhance.training import losses
from music_enhance.training.adversarial import discriminator_update
from music_enhance.training.models import build_discriminator, build_model

REPO = Path(__file__).resolve().parents[1]
SETTINGS = {"fp32 eager": (False, False), "compiled": (True, False),
            "bf16 eager": (False, True), "bf16 compiled": (True, True)}


def step_function(name: str, spec: dict, device, compiled: bool, bf16: bool):
    generator = build_model(spec).to(device)
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-4)
    forward = torch.compile(generator) if compiled else generator
    discriminator = None
    if name == "unet + bce":
        discriminator = build_discriminator({"name": "bce", "lr": 1e-4}).to(device)
        d_optimizer = torch.optim.Adam(discriminator.param_groups())

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)

    def step(x, y):
        if discriminator is not None:  # the trainer's discriminator step
            with torch.no_grad(), autocast():
                fake = forward(x)
            discriminator_update(discriminator, d_optimizer, y, fake.float(), x, autocast)
        with autocast():
            y_hat = forward(x)
            loss = torch.mean((y_hat.float() - y) ** 2)
            if discriminator is not None:
                loss = loss + 1e-3 * losses.generator_adversarial(
                    discriminator.loss, discriminator(y_hat, x)[0]).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def rate(step, x, y, seconds: float, device) -> float:
    for _ in range(3):  # warm up: compilation, autotuning, allocator
        step(x, y)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(x, y)
        count += 1
    sync()
    return count * x.numel() / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, a few seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    if args.smoke:
        args.seconds = 0.05
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    # The inception generator at the schema's defaults (validation fills them in).
    config["experiments"]["inception"] = {**config["experiments"]["unet_l2"],
                                          "model": {"name": "inception"}}
    validate_config(config, SCHEMA)
    experiment = config["experiments"]["unet_l2"]
    window = config["tasks"][experiment["task"]]["window"]
    models = {"unet": experiment["model"], "inception": config["experiments"]["inception"][
        "model"], "unet + bce": experiment["model"]}
    if args.smoke:  # compiling alone would take minutes
        for setting in ("compiled", "bf16 compiled"):
            del SETTINGS[setting]
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available()
                                       else [])
    batch = experiment["batch_size"]
    if args.smoke:
        batch, window = 2, 2048
    results = {}
    for device in devices:
        x = torch.randn(batch, 1, window, device=device)
        y = torch.randn_like(x)
        for name, spec in models.items():
            for setting, (compiled, bf16) in SETTINGS.items():
                torch.manual_seed(0)
                torch._dynamo.reset()
                step = step_function(name, spec, device, compiled, bf16)
                results[device.type, name, setting] = rate(step, x, y, args.seconds, device)
    print(f"batch {batch} x {window} samples; "
          f"{torch.get_num_threads()} CPU threads")
    print(f"{'device':8}{'model':14}" + "".join(f"{s:>15}" for s in SETTINGS)
          + f"{'fastest/fp32':>14}")
    for device in devices:
        for name in models:
            row = [results[device.type, name, s] for s in SETTINGS]
            print(f"{device.type:8}{name:14}" + "".join(f"{v:>15,.0f}" for v in row)
                  + f"{max(row) / row[0]:>14.2f}")
    device = devices[-1].type
    row = [results[device, "unet", s] for s in SETTINGS]
    print(f"ratio {max(row) / row[0]:.2f}")


if __name__ == "__main__":
    main()
