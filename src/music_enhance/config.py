"""Helpers that turn config slices into stable rule params and seeds.

Snakemake compares ``params`` as strings between runs, so every slice a rule
sees goes through :func:`canonical`: sorted keys, no whitespace, and floats
that hold whole numbers written as integers (``11025`` and ``11025.0`` in
config.yaml must not count as a change).
"""

import hashlib
import json
from pathlib import Path

import jsonschema
import yaml

PACKAGE_DIR = Path(__file__).resolve().parent

# Modules whose source a stage's output depends on. Their hash is a rule param,
# so editing a stage's code reruns that stage (and what follows) but nothing else.
STAGE_MODULES = {
    "download": ["demo.py", "download.py", "manifest.py", "render.py"],
    "manifest": ["manifest.py"],
    "render": ["render.py", "audio.py"],
    "degrade": ["degrade.py", "audio.py"],
    "shard": ["shard.py", "audio.py"],
    "train": ["train.py", "adversarial.py", "checkpoint.py", "collab.py", "losses.py",
              "metrics.py", "loader.py", "models/unet.py", "models/inception.py",
              "models/wavenet.py", "models/discriminator.py", "models/hifigan.py",
              "models/__init__.py"],
    "enhance": ["enhance.py", "adversarial.py", "checkpoint.py", "collab.py", "losses.py",
                "metrics.py", "audio.py", "models/unet.py", "models/inception.py",
                "models/wavenet.py", "models/discriminator.py", "models/hifigan.py",
                "models/__init__.py"],
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key written twice in one mapping (PyYAML and
    Snakemake keep the last one without a word)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # keys written next to `<<: *anchor` override it on purpose
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ValueError(f"{key_node.start_mark.name}: key {key!r} is defined twice "
                                 f"(lines {seen[key]} and {line})")
            seen[key] = line
        return super().construct_mapping(node, deep)


def check_yaml_files(paths) -> None:
    """Refuse duplicate keys in config files, naming the key and both lines."""
    for path in paths:
        with open(path) as f:
            yaml.load(f, Loader=_UniqueKeyLoader)


def validate_config(config: dict, schema_path) -> None:
    """Validate against the JSON schema; the error is one line naming the key."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    hint = ""
    if error.validator == "required" and not error.absolute_path:
        hint = (" (a --configfile is merged over config.yaml of the working directory, or "
                "of the repository when there is none)")
    raise ValueError(f"config: {key}: {error.message}{hint}")
