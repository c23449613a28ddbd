"""The generators' throughput in the unit cluster.throughput counts their work in:
parameters x audio samples per second.

For the demo U-Net, the reports' U-Net and inception generator, and the GPU
overlay's U-Net and inception generator (config/experiments/reports-gpu.yaml),
measures enhancement (fp32 forward passes under no_grad, batches of windows, as
``enhance`` runs them) and training (forward, backward and Adam on a batch of
the experiment's size, bf16 autocast as the reports' configs train) on the CPU
with this machine's threads (per thread) and on a GPU when there is one. Prints
the figures next to the schema's ``cluster.throughput`` values. Last line:
``ratio <schema / measured>`` for the slowest of the models and kinds measured
here (at most 1: the schema does not promise more than the code does), over the
models the schema sizes for where they ran (on a GPU, at least
cluster.gpu_parameters). ``--profile wavenet`` prints where a training step's
time goes.

    python bench/models.py [--seconds 5] [--smoke] [--cpu-models demo,reports]
"""

import argparse
import time
from pathlib import Path

import torch
import yaml

from music_enhance.core import defaults
from music_enhance.core.config import SCHEMA, validate_config
from music_enhance.training.models import build_model, parameter_count

REPO = Path(__file__).resolve().parents[1]


def specs() -> dict:
    """{name: (model spec, batch size, window)} of the measured generators."""
    demo = yaml.safe_load((REPO / "config.yaml").read_text())
    validate_config(demo, SCHEMA)
    reports = yaml.safe_load((REPO / "config/experiments/reports.yaml").read_text())
    gpu = yaml.safe_load((REPO / "config/experiments/reports-gpu.yaml").read_text())
    unet = demo["experiments"]["unet_l2"]
    window = demo["tasks"][unet["task"]]["window"]
    report, big = reports["experiments"], gpu["experiments"]
    return {"demo unet": (unet["model"], unet["batch_size"], window),
            "reports unet": (report["sr5_unet_l2"]["model"], 16, 8192),
            "reports inception": (report["sr5_inception"]["model"], 16, 8192),
            "gpu unet": (big["sr5_unet_l2"]["model"], 64, 8192),
            "gpu inception": (big["sr5_inception"]["model"], 64, 8192),
            "wavenet": ({"name": "wavenet"}, unet["batch_size"], window)}


def timed(step, seconds: float, device) -> float:
    """Calls per second of ``step`` after warming up."""
    for _ in range(2):
        step()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    count, start = 0, time.perf_counter()
    while count < 2 or time.perf_counter() - start < seconds:
        step()
        count += 1
    sync()
    return count / (time.perf_counter() - start)


def measure(spec: dict, batch: int, window: int, device, seconds: float,
            profile: bool = False) -> dict:
    """Parameters x samples per second of enhancement and of training; with
    ``profile``, also prints where a training step's time goes, by operator."""
    torch.manual_seed(0)
    model = build_model(spec).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 1, window, device=device)
    y = torch.randn_like(x)
    bf16 = device.type == "cuda" or torch.backends.mkldnn.is_available()

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)

    def forward():  # as enhance runs it: fp32
        with torch.no_grad():
            model.eval()(x)

    def train():
        with autocast():
            loss = torch.mean((model.train()(x).float() - y) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    work = parameter_count(model) * x.numel()
    if profile:
        train()
        activities = [torch.profiler.ProfilerActivity.CPU] + (
            [torch.profiler.ProfilerActivity.CUDA] if device.type == "cuda" else [])
        with torch.profiler.profile(activities=activities) as prof:
            for _ in range(3):
                train()
            if device.type == "cuda":
                torch.cuda.synchronize()
        key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
        print(prof.key_averages().table(sort_by=key, row_limit=12))
    return {"parameters": parameter_count(model),
            "enhance": work * timed(forward, seconds, device),
            "train": work * timed(train, seconds, device)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--cpu-models", default="demo unet,reports unet,reports inception",
                        help="the models measured on the CPU (the GPU measures all)")
    parser.add_argument("--profile", default="",
                        help="models (comma-separated) whose training step is profiled")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny batches, a fraction of a second each: checks that the "
                             "bench runs (tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    schema = defaults.schema()["properties"]["cluster"]["properties"]["throughput"]["properties"]
    threads = torch.get_num_threads()
    runs = [("cpu", name) for name in args.cpu_models.split(",") if name]
    if torch.cuda.is_available():
        runs += [("cuda", name) for name in specs()]
    if args.smoke:
        runs = [("cpu", "demo unet")]
    print(f"CPU: {threads} threads; GPU: "
          f"{torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    print(f"{'device':8}{'model':20}{'parameters':>12}{'enhance':>12}{'train':>12}"
          "  (parameters x samples per second; CPU per thread)")
    ratios = []
    for device, name in runs:
        spec, batch, window = specs()[name]
        if args.smoke:
            batch, window = 2, 2048
        rates = measure(spec, batch, window, torch.device(device), 0.05 if args.smoke
                        else args.seconds, name in args.profile.split(","))
        per = threads if device == "cpu" else 1
        kind = "cpu" if device == "cpu" else "gpu"
        print(f"{device:8}{name:20}{rates['parameters']:>12,}"
              f"{rates['enhance'] / per:>12.3g}{rates['train'] / per:>12.3g}")
        # The schema's figures are for what runs where: the GPU's for GPU-sized models.
        gpu_sized = rates["parameters"] >= defaults.schema_default("cluster.gpu_parameters")
        if name == "wavenet" or (kind == "gpu" and not gpu_sized):
            continue
        for work in ("enhance", "train"):
            ratios.append(schema[f"{kind}_{work}"]["default"] / (rates[work] / per))
    for key in ("cpu_enhance", "cpu_train", "gpu_enhance", "gpu_train"):
        print(f"schema cluster.throughput.{key}: {schema[key]['default']:.3g}")
    print(f"ratio {max(ratios):.3f}")


if __name__ == "__main__":
    main()
