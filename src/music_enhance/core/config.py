"""Helpers that turn config slices into stable rule params and seeds.

Snakemake compares ``params`` as strings between runs, so every slice a rule
sees goes through :func:`canonical`: sorted keys, no whitespace, and floats
that hold whole numbers written as integers (``11025`` and ``11025.0`` in
config.yaml must not count as a change).
"""

import ast
import hashlib
import io
import json
import tokenize
from functools import cache
from pathlib import Path

import yaml

from .defaults import (  # noqa: F401 (schema_default re-exported)
    SCHEMA,
    coerce_strings,
    first_error,
    schema_default,
)
from .seeds import derive_seed  # noqa: F401 (re-exported)

# The package's root: a stage's code is named by paths below it (data/render.py).
PACKAGE_DIR = Path(__file__).resolve().parents[1]

# Each stage's entry modules. A stage's code version hashes these and every
# package module they import, transitively (imports inside functions too), so
# editing a stage's code reruns that stage (and what follows) but nothing else.
STAGE_ENTRIES = {
    "download": ["data.demo", "data.download", "data.manifest"],
    "manifest": ["data.manifest"],
    "render": ["data.render"],
    "degrade": ["data.degrade"],
    "shard": ["data.shard"],
    "train": ["training.train"],
    "enhance": ["evaluation.enhance"],
    "baseline": ["evaluation.baselines"],
    "score": ["evaluation.score"],
    "report": ["evaluation.report"],
}


def _module_path(name: str) -> Path:
    path = PACKAGE_DIR / (name.replace(".", "/") + ".py")
    return path if path.is_file() else PACKAGE_DIR / name.replace(".", "/") / "__init__.py"


def package_imports(name: str) -> set[str]:
    """The package modules ``name`` (dotted, relative to the package) imports directly."""
    path = _module_path(name)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            stem = [*base, *(node.module.split(".") if node.module else [])]
            found.add(".".join(stem))
            # `from . import losses` names a module, not an attribute.
            found.update(".".join([*stem, a.name]) for a in node.names
                         if _module_path(".".join([*stem, a.name])).is_file())
        elif isinstance(node, ast.ImportFrom | ast.Import):
            modules = [node.module] if isinstance(node, ast.ImportFrom) else [
                a.name for a in node.names]
            found.update(m.removeprefix("music_enhance.") for m in modules
                         if m and m.startswith("music_enhance."))
    return {m for m in found if m and _module_path(m).is_file()}


def stage_modules(stage: str) -> list[str]:
    """The source files (relative to the package) a stage's outputs depend on."""
    seen, todo = set(), list(STAGE_ENTRIES[stage])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            # Importing a module runs its packages' __init__ first.
            parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
            todo.extend((package_imports(name) | parents) - seen)
    return sorted(str(_module_path(m).relative_to(PACKAGE_DIR)) for m in seen)


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


DOCSTRING_OWNERS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _docstring_spans(tree, lines) -> list[tuple]:
    """((row, col), (end_row, end_col)) of every docstring, columns in characters
    as tokenize counts them (ast counts UTF-8 bytes)."""
    def column(row, offset):
        return len(lines[row - 1].encode()[:offset].decode())

    spans = []
    for node in ast.walk(tree):
        if not isinstance(node, DOCSTRING_OWNERS) or not node.body:
            continue
        first = node.body[0]
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            spans.append(((first.lineno, column(first.lineno, first.col_offset)),
                          (first.end_lineno, column(first.end_lineno, first.end_col_offset))))
    return spans


def code_text(source: str) -> str:
    """``source`` without its comments, docstrings, trailing spaces and blank lines.
    Editing those changes nothing a stage computes, so it must not rerun the stage
    (a reworded comment in download.py would otherwise re-render a whole corpus).
    Text, not an AST dump: the hash must not change with the Python version."""
    lines = source.split("\n")  # the rows ast and tokenize count (not splitlines')
    docstrings = _docstring_spans(ast.parse(source), lines)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    cuts = docstrings + [(t.start, t.end) for t in tokens if t.type == tokenize.COMMENT]
    # Inside other multi-line strings blank lines and trailing spaces are data.
    starts = {start for start, _ in docstrings}
    verbatim = {row for t in tokens if t.type == tokenize.STRING and t.start not in starts
                for row in range(t.start[0] + 1, t.end[0] + 1)}
    for (row, col), (end_row, end_col) in sorted(cuts, reverse=True):
        # The rows stay: a cut's inner rows become empty, to be dropped below.
        lines[row - 1:end_row] = ([lines[row - 1][:col] + lines[end_row - 1][end_col:]]
                                  + [""] * (end_row - row))
    return "\n".join(line if row in verbatim else line.rstrip()
                     for row, line in enumerate(lines, 1) if row in verbatim or line.strip())


@cache
def stage_code(stage: str) -> dict[str, str]:
    """{source file: short hash of its :func:`code_text`} for the files a stage's
    outputs depend on: a provenance record names the file that changed."""
    return {name: hashlib.sha256(code_text((PACKAGE_DIR / name).read_text(
        encoding="utf-8")).encode()).hexdigest()[:16] for name in stage_modules(stage)}


def code_version(stage: str) -> str:
    """Short hash of the code (:func:`code_text`) of the source files a stage's
    outputs depend on."""
    return hashlib.sha256(canonical(stage_code(stage)).encode()).hexdigest()[:16]


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


def drop_nulls(config: dict) -> None:
    """An overlay drops a task or an experiment of the config below it by setting it
    to null (a merge of YAML files cannot delete a key)."""
    for block in ("tasks", "experiments"):
        if isinstance(config.get(block), dict):
            for name in [k for k, v in config[block].items() if v is None]:
                del config[block][name]


def validate_config(config: dict, schema_path) -> None:
    """Validate against the JSON schema, filling in its defaults; the error is one
    line naming the key."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    drop_nulls(config)
    coerce_strings(config, schema)
    error = first_error(config, schema, "")
    if error is None:
        return
    hint = ""
    if error.startswith("(top level)") and "is a required property" in error:
        hint = (" (a --configfile is merged over config.yaml of the working directory, or "
                "of the repository when there is none)")
    raise ValueError(f"config: {error}{hint}")
