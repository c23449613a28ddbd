"""Provenance records: what made each output of the DAG, so that an incremental run
makes what a clean run of the current config and code would make.

Every job has a record under ``results/provenance/<rule>/...json``: the config values
its outputs depend on (named by their config keys), the hash of each source file of
its stage, and the keys of the records of the jobs whose outputs it reads. Its
``key`` hashes all three, so it changes when anything upstream changes, down the whole
DAG. The record is an input of its job and is rewritten only when its key changes
(or when the job's outputs are found damaged), so:

- a changed value reruns the jobs it reaches, by the record's new content (with
  Snakemake's metadata) or its new time (without it: a copied ``results/``);
- a job killed after its record changed still has a record newer than its outputs,
  and so do the jobs below it, which therefore still rerun, and need it again;
- an output deleted or truncated by hand is seen at start-up and its job reruns.

A job reads its own record's ``key`` where it keeps state across runs (train's
``last.pt``), so it never resumes from work made for other inputs.
"""

import contextlib
import hashlib
import json
import os
import zipfile
from pathlib import Path

from ..core.config import canonical

STAMPS = "results/provenance"
UPSTREAM_CHANGED = "an input's provenance changed"


def record_key(record: dict) -> str:
    fields = {k: record[k] for k in ("rule", "job", "config", "code", "inputs")}
    return hashlib.sha256(canonical(fields).encode()).hexdigest()[:16]


def _leaves(value, prefix: str) -> dict:
    if isinstance(value, dict) and value:
        out = {}
        for key, sub in value.items():
            out.update(_leaves(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for index, sub in enumerate(value):
            out.update(_leaves(sub, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 200 else text[:197] + "..."


def changes(old: dict | None, new: dict) -> list[str]:
    """What differs between two records, in words: config keys with both values,
    source files; an upstream change alone is left to the upstream job's own line."""
    if old is None:
        return ["no provenance record yet"]
    said = []
    before, after = _leaves(old.get("config", {}), ""), _leaves(new["config"], "")
    for key in sorted(set(before) | set(after)):
        if before.get(key, "(unset)") != after.get(key, "(unset)"):
            said.append(f"{key}: {_short(before.get(key, '(unset)'))} -> "
                        f"{_short(after.get(key, '(unset)'))}")
    code_old, code_new = old.get("code", {}), new["code"]
    said += [f"code of {name} changed" for name in sorted(set(code_old) | set(code_new))
             if code_old.get(name) != code_new.get(name)]
    if not said and old.get("inputs") != new["inputs"]:
        said.append(UPSTREAM_CHANGED)
    return said


def write_record(path, record: dict, damaged: list[str], dest=None) -> list[str] | None:
    """Write ``record`` (with its key) at ``path`` unless the one there has the same key
    and no output is ``damaged``. Returns the reasons it was written, or None. With
    ``dest`` it is compared with the one at ``path`` but written at ``dest``."""
    path = Path(path)
    record = {**record, "key": record_key(record)}
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = None
    if old is not None and old.get("key") == record["key"] and not damaged:
        return None
    reasons = ([] if old is not None and old.get("key") == record["key"]
               else changes(old, record)) + damaged
    if damaged:
        # Other content than before: Snakemake compares small inputs by content.
        record["repaired"] = damaged
    path = Path(dest or path)
    part = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        os.replace(part, path)
    except OSError as err:  # a read-only or full results folder
        with contextlib.suppress(OSError):
            part.unlink()
        raise OSError(f"{path}: cannot write the job's provenance record "
                      f"({err.strerror or err}); is the results folder writable?") from None
    return reasons


def damage(path) -> str | None:
    """Why an existing output cannot be used as it is (deleted or truncated parts),
    else None. Cheap checks only: sizes, headers, archive directories."""
    path = Path(path)
    if not path.exists() or path.is_dir():
        return None
    try:
        if path.stat().st_size == 0:
            return f"{path} is empty"
        if path.suffix == ".json" and "/batches/" in path.as_posix():
            return _batch_damage(path)
        if path.suffix == ".h5":
            import h5py

            with h5py.File(path, "r", locking=False):
                return None
        if path.suffix == ".pt":
            with zipfile.ZipFile(path):
                return None
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        return f"{path} is unreadable ({type(err).__name__}: {err})"
    return None


def _batch_damage(record: Path) -> str | None:
    """A batch record lists its files with their sizes: each must be there, whole."""
    for name, entry in json.loads(record.read_text()).items():
        file = Path(name)
        if not file.is_file():
            return f"{file} (listed in {record}) is missing"
        size = entry.get("bytes") if isinstance(entry, dict) else None
        if size is not None and file.stat().st_size != size:
            return f"{file} (listed in {record}) has {file.stat().st_size} bytes, not {size}"
    return None
