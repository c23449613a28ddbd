"""The schema is the one home of every default: each optional key has one, the code
has no fallbacks of its own, and the constructors' defaults agree with it."""

import ast
import inspect
from pathlib import Path

import pytest

from music_enhance.core.defaults import filled, schema
from music_enhance.training.models import BLOCKS, MODELS
from music_enhance.training.models.discriminator import Discriminator

PACKAGE = Path(__file__).resolve().parents[1] / "src/music_enhance"


def object_schemas(node, path="schema"):
    """(path, schema) of every object schema with properties (not an if clause)."""
    if isinstance(node, dict):
        if "properties" in node and ("type" in node or "additionalProperties" in node):
            yield path, node
        for key, sub in node.items():
            if key != "if":
                yield from object_schemas(sub, f"{path}.{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from object_schemas(sub, f"{path}[{index}]")


def required_keys(node) -> set:
    """Keys the schema requires, also those required by one of its alternatives."""
    keys = set(node.get("required", []))
    for alternatives in (node.get("oneOf", []), node.get("anyOf", [])):
        keys.update(k for alternative in alternatives for k in alternative.get("required", []))
    return keys


def test_every_optional_key_has_a_default():
    missing = [f"{path}.{key}" for path, node in object_schemas(schema())
               for key, sub in node["properties"].items()
               if sub and key not in required_keys(node) and "default" not in sub]
    assert not missing, f"optional keys without a default: {missing}"


def test_the_walk_sees_nested_blocks():
    paths = [path for path, _ in object_schemas(schema())]
    assert any(path.endswith("experiment.properties.adversarial_start") for path in paths)
    assert sum(".step.allOf" in path for path in paths) >= 10


def then_defaults(definition: str, key: str, name: str) -> dict:
    """The defaults of the ``then`` block of ``$defs/<definition>`` for ``key: name``."""
    node = schema()["$defs"][definition]
    found = {k: v["default"] for k, v in node["properties"].items() if "default" in v}
    for clause in node["allOf"]:
        condition = clause["if"]["properties"][key]
        if name == condition.get("const") or name in condition.get("enum", []):
            found.update({k: v["default"] for k, v in clause["then"]["properties"].items()
                          if "default" in v})
    return found


def disagreements(constructor, defaults: dict) -> list[str]:
    said = []
    for name, parameter in inspect.signature(constructor).parameters.items():
        if name in defaults and parameter.default is not inspect.Parameter.empty:
            value = parameter.default
            value = list(value) if isinstance(value, tuple) else value
            if value != defaults[name]:
                said.append(f"{name}: {value!r} in the code, {defaults[name]!r} in the schema")
    return said


@pytest.mark.parametrize("name", sorted(MODELS))
def test_generator_constructors_agree_with_the_schema(name):
    defaults = then_defaults("generator", "name", name)
    assert defaults or name == "autoencoder"
    assert not disagreements(MODELS[name], defaults)


@pytest.mark.parametrize("name", ["bce", "conditional", "wgan_gp", *sorted(BLOCKS)])
def test_discriminator_constructors_agree_with_the_schema(name):
    constructor = BLOCKS.get(name, Discriminator)
    defaults = then_defaults("discriminator_block", "name", name)
    assert {"channels"} <= set(defaults)
    assert not disagreements(constructor, defaults)


def test_a_disagreement_is_seen():
    def unet(channels=(1, 2), dropout=0.25):
        pass
    assert disagreements(unet, then_defaults("generator", "name", "unet")) == [
        "dropout: 0.25 in the code, 0.5 in the schema"]


def test_filled_names_the_argument_and_key():
    step = filled("step", {"step": "resample", "low_rate": 8000}, "--chain[0]")
    assert step == {"step": "resample", "low_rate": 8000, "quality": "v",
                    "interpolation": "sox"}
    with pytest.raises(ValueError, match=r"--spec.model: 'name' is a required property"):
        filled("experiment", {"task": "t", "model": {}, "optimizer": {"lr": 1e-3},
                              "batch_size": 1, "steps": 1, "validate_every": 1}, "--spec")


CONFIG_READERS = ("spec", "step", "block", "settings", "filters", "model", "collab",
                  "experiment", "task", "instrument", "config")


def test_no_literal_fallbacks_for_config_keys():
    """``spec.get("key", literal)`` would be a second default: the code reads the
    filled config."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get" and len(node.args) == 2
                    and isinstance(node.func.value, ast.Name | ast.Subscript)
                    and ast.unparse(node.func.value).split("[")[0] in CONFIG_READERS):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, found
