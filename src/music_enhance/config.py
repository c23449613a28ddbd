"""Helpers that turn config slices into stable rule params and seeds.

Snakemake compares ``params`` as strings between runs, so every slice a rule
sees goes through :func:`canonical`: sorted keys, no whitespace, and floats
that hold whole numbers written as integers (``11025`` and ``11025.0`` in
config.yaml must not count as a change).
"""

import hashlib
import json
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

# Modules whose source a stage's output depends on. Their hash is a rule param,
# so editing a stage's code reruns that stage (and what follows) but nothing else.
STAGE_MODULES = {
    "download": ["demo.py", "download.py"],
    "manifest": ["manifest.py"],
    "render": ["render.py", "audio.py"],
    "degrade": ["degrade.py", "audio.py"],
    "shard": ["shard.py", "audio.py"],
    "train": ["train.py", "checkpoint.py", "collab.py", "losses.py", "metrics.py", "loader.py",
              "models/unet.py", "models/inception.py", "models/discriminator.py",
              "models/__init__.py"],
    "enhance": ["enhance.py", "checkpoint.py", "collab.py", "losses.py", "metrics.py",
                "audio.py", "models/unet.py", "models/inception.py",
                "models/discriminator.py", "models/__init__.py"],
    "baseline": ["baselines.py", "degrade.py", "audio.py"],
    "score": ["score.py", "metrics.py", "audio.py"],
    "report": ["report.py", "score.py", "metrics.py", "audio.py"],
}


def _normalise(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def normalise_config(config: dict) -> None:
    """Rewrite whole-number floats as integers in place."""
    config.update(_normalise(config))


def canonical(value) -> str:
    """A config slice as one canonical JSON string."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"))


def code_version(stage: str) -> str:
    """Short hash of the source files a stage's outputs depend on."""
    digest = hashlib.sha256()
    for name in STAGE_MODULES[stage]:
        digest.update(name.encode())
        digest.update((PACKAGE_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def derive_seed(*parts) -> int:
    """A 63-bit seed from the global seed and names (chain, piece, ...)."""
    text = "/".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1
