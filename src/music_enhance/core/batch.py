"""A per-piece stage's batch job: the same work per piece, then one record of it."""

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger("music_enhance")


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_batch(record, outputs: list[str], work) -> None:
    """``work(i)`` makes ``outputs[i]``; then ``record`` (the file the DAG tracks) lists
    every output with its SHA-256 and size, written last so a cut job leaves no record
    (the size lets a run see a file deleted or truncated by hand without reading it)."""
    for index, out in enumerate(outputs):
        log.info("[%d/%d] %s: %s", index + 1, len(outputs), out, work(index))
    if record:
        Path(record).parent.mkdir(parents=True, exist_ok=True)
        part = Path(f"{record}.part")
        try:
            part.write_text(json.dumps(
                {out: {"sha256": sha256(out), "bytes": os.path.getsize(out)}
                 for out in outputs}, indent=1) + "\n")
            os.replace(part, record)
        finally:
            part.unlink(missing_ok=True)
