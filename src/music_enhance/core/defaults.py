"""The config's defaults and constraints: the schema, the only place they are written.

Validation fills the schema's ``default:`` values in, so code reads a filled config
and has no fallbacks of its own. The CLI validates its JSON arguments against the
same definitions (``filled``), and takes its defaults from here (``schema_default``).
"""

import copy
from functools import cache
from pathlib import Path

import jsonschema
import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "workflow/schemas/config.schema.yaml"


@cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text())


def schema_default(key: str):
    """The schema's default of a dotted config key (``enhance.batch_size``): the CLI's
    defaults are these, so a command run by hand does what the pipeline does."""
    node = schema()
    for part in key.split("."):
        node = node["properties"][part]
    return node["default"]


def _fill_defaults(validator, properties, instance, subschema):
    if isinstance(instance, dict):
        for key, sub in properties.items():
            if "default" in sub:
                instance.setdefault(key, copy.deepcopy(sub["default"]))
    yield from jsonschema.Draft202012Validator.VALIDATORS["properties"](
        validator, properties, instance, subschema)


FillingValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                                {"properties": _fill_defaults})


def _type_errors(errors):
    for error in errors:
        if error.validator == "type" and isinstance(error.instance, str):
            yield error
        yield from _type_errors(error.context or [])


def _parsed(text: str, types) -> tuple[bool, object]:
    """(whether it parses, the value) of a string as one of a schema's ``type``s."""
    value = yaml.safe_load(text) if text.strip() else None
    kinds = {"integer": int, "number": (int, float), "boolean": bool, "null": type(None)}
    for kind in [types] if isinstance(types, str) else types:
        wanted = kinds.get(kind)
        if wanted and isinstance(value, wanted) and not (
                kind in ("integer", "number") and isinstance(value, bool)):
            return True, value
    return False, text


def coerce_strings(value, subschema: dict) -> None:
    """Strings where the schema wants numbers, booleans or null, parsed in place:
    Snakemake's ``--config key='{"pieces": 4}'`` hands nested values over as text."""
    for _ in range(10_000):  # one value per pass; a pass that parses none ends it
        for error in _type_errors(FillingValidator(subschema).iter_errors(value)):
            ok, parsed = _parsed(error.instance, error.validator_value)
            if ok and error.absolute_path:
                parent = value
                for key in list(error.absolute_path)[:-1]:
                    parent = parent[key]
                parent[error.absolute_path[-1]] = parsed
                break
        else:
            return


def first_error(value, subschema: dict, label: str) -> str | None:
    """Validate ``value`` in place against ``subschema`` (filling its defaults); the
    best error as one line naming the key below ``label``, or None."""
    error = jsonschema.exceptions.best_match(FillingValidator(subschema).iter_errors(value))
    if error is None:
        return None
    key = ".".join([label, *map(str, error.absolute_path)]).strip(".") or "(top level)"
    message = error.message
    if error.validator == "not" and "description" in error.validator_value:
        message = error.validator_value["description"]  # what is refused, in words
    alternatives = error.validator_value if error.validator == "oneOf" else []
    if alternatives and all(set(a) == {"required"} for a in alternatives):
        names = ", ".join(repr(k) for a in alternatives for k in a["required"])
        message = f"give exactly one of {names}"
    return f"{key}: {message}"


def filled(definition: str, value, label: str):
    """A copy of ``value`` validated against the schema's ``$defs/<definition>`` (or the
    top-level key ``definition``) with its defaults filled in; a ValueError names
    ``label`` and the key."""
    value = copy.deepcopy(value)
    # The top-level keys under a name that is no keyword: only the $ref applies.
    where = "$defs" if definition in schema()["$defs"] else "x-top"
    error = first_error(value, {"$defs": schema()["$defs"], "x-top": schema()["properties"],
                                "$ref": f"#/{where}/{definition}"}, label)
    if error:
        raise ValueError(error)
    return value


# The config blocks whose keys are options of the stage command of the same name,
# less the keys the plan reads itself: the command's flags, their types, choices,
# defaults and help are the schema's, and the plan passes the filled block.
BLOCK_OPTIONS = {"render": ("soundfont",), "degrade": (),
                 "shard": ("max_bytes", "file_locking", "shards_per_job"),
                 "enhance": (), "score": ()}


def block_options(block: str) -> dict:
    """{key: its schema} of the options a config block gives its stage command."""
    return {key: node for key, node in schema()["properties"][block]["properties"].items()
            if key not in BLOCK_OPTIONS[block]}


def block_keys(block: str) -> list[str]:
    return list(block_options(block))


def option_flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def block_args(block: str, values: dict) -> list[str]:
    """The command-line arguments of a filled config block (a null value is left out:
    it is the flag's default)."""
    return [part for key in block_keys(block) if values[key] is not None
            for part in (option_flag(key), str(values[key]))]
