"""The config's defaults: the schema's ``default:`` values, the only place they are
written. The CLI and the library functions read theirs from here."""

from functools import cache
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "workflow/schemas/config.schema.yaml"


@cache
def _schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text())


def schema_default(key: str):
    """The schema's default of a dotted config key (``enhance.batch_size``): the CLI's
    defaults are these, so a command run by hand does what the pipeline does."""
    node = _schema()
    for part in key.split("."):
        node = node["properties"][part]
    return node["default"]

