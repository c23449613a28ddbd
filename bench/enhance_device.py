"""``enhance`` on the GPU against the CPU: real-time factor and agreement.

Enhances two minutes of a 16 kHz signal (a chord with noise, no render needed)
with a generator of the GPU overlay's U-Net size (its identity start, perturbed)
(config/experiments/reports-gpu.yaml, 40.4M parameters) through the
``enhance`` command with ``--device cpu`` and ``--device cuda``, and compares
the outputs. Last line: ``ratio <CPU wall time / GPU wall time>`` (1.0 without
a GPU).

    python bench/enhance_device.py [--seconds 120] [--smoke]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
import yaml

from music_enhance.training.checkpoint import save_checkpoint
from music_enhance.training.models import build_model, parameter_count

REPO = Path(__file__).resolve().parents[1]
RATE = 16000


def enhance(tmp: Path, device: str, threads: int) -> tuple[float, np.ndarray]:
    out = tmp / f"{device}.wav"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "music_enhance.cli", "enhance", "--inputs",
                    str(tmp / "in.wav"), "--outputs", str(out), "--checkpoint",
                    str(tmp / "g.pt"), "--device", device, "--threads", str(threads)],
                   check=True, capture_output=True)
    return time.perf_counter() - start, soundfile.read(str(out))[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads")
    parser.add_argument("--smoke", action="store_true",
                        help="a small model, two seconds: checks that the bench runs "
                             "(tests/test_bench.py), its figures mean nothing")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    gpu = yaml.safe_load((REPO / "config/experiments/reports-gpu.yaml").read_text())
    model = gpu["experiments"]["sr5_unet_l2"]["model"]
    if args.smoke:
        args.seconds, model = 2, {"name": "unet", "channels": [4, 8], "kernels": [9, 9]}
    torch.manual_seed(0)
    generator = build_model(model)
    with torch.no_grad():  # away from the identity it starts as, so outputs differ
        for weight in generator.parameters():
            weight.add_(0.01 * torch.randn_like(weight))
    save_checkpoint(tmp / "g.pt", generator, {"model": model, "discriminator": None},
                    {"sample_rate": RATE, "window": 8192}, 0, "bench")
    t = np.arange(int(args.seconds * RATE)) / RATE
    signal = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220, 277, 330))
    signal += 0.01 * np.random.default_rng(0).standard_normal(len(t))
    soundfile.write(str(tmp / "in.wav"), signal.astype(np.float32), RATE, subtype="FLOAT")
    cpu_seconds, cpu_out = enhance(tmp, "cpu", args.threads)
    print(f"{args.seconds:.0f} s at {RATE} Hz, U-Net of {parameter_count(generator):,} "
          f"parameters; CPU {args.threads} threads")
    print(f"{'device':8}{'wall s':>10}{'x real time':>14}")
    print(f"{'cpu':8}{cpu_seconds:>10.2f}{args.seconds / cpu_seconds:>14.2f}")
    ratio = 1.0
    if torch.cuda.is_available():
        gpu_seconds, gpu_out = enhance(tmp, "cuda", args.threads)
        print(f"{'cuda':8}{gpu_seconds:>10.2f}{args.seconds / gpu_seconds:>14.2f}  "
              f"({torch.cuda.get_device_name()})")
        print(f"largest difference CPU - GPU: {np.abs(cpu_out - gpu_out).max():.2e} "
              f"(output peak {np.abs(cpu_out).max():.3f})")
        ratio = cpu_seconds / gpu_seconds
    print(f"ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
