"""The download stage for ``source: maestro``: fetch, verify and extract the MIDI archive.

The archive is fetched to ``<name>.part`` with HTTP Range requests, so an
interrupted transfer continues where it stopped; it is renamed only once its
SHA-256 matches. Extraction refuses the whole archive if any entry is absolute,
has a ``..`` component or is a link, and writes into a temporary folder that
replaces the corpus folder only when complete.
"""

import hashlib
import json
import logging
import os
import shutil
import stat
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import pandas as pd
from tqdm import tqdm

from .demo import CORPUS_NAME
from .manifest import check_metadata, write_checked
from .render import midi_bytes, parse_midi

log = logging.getLogger(__name__)

METADATA = f"{CORPUS_NAME}/{CORPUS_NAME}.csv"
CHUNK = 1 << 20


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest, sha256: str | None = None, timeout: float = 60) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part``; verify before renaming."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    done = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={done}-"} if done else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and done:  # the part file already holds every byte
            response = None
        else:
            raise ValueError(f"{url}: HTTP error {err.code} {err.reason}") from err
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ValueError(f"{url}: cannot reach host ({reason})") from err
    if response is not None:
        with response:
            if done and response.status != 206:
                done = 0  # the server ignored the range: start over
            length = response.headers.get("Content-Length")
            total = done + int(length) if length else None
            with open(part, "ab" if done else "wb") as f, tqdm(
                    total=total, initial=done, unit="B", unit_scale=True,
                    desc=dest.name, mininterval=2) as progress:
                try:
                    for block in iter(lambda: response.read(CHUNK), b""):
                        f.write(block)
                        progress.update(len(block))
                except OSError as err:
                    raise ValueError(f"{url}: transfer interrupted after {f.tell()} bytes "
                                     f"({err}); run again to resume") from err
                if total is not None and f.tell() < total:
                    raise ValueError(f"{url}: transfer interrupted after {f.tell()} of "
                                     f"{total} bytes; run again to resume")
    if sha256:
        actual = sha256_of(part)
        if actual != sha256.lower():
            part.unlink()
            raise ValueError(f"{url}: checksum mismatch: expected sha256 {sha256.lower()}, "
                             f"got {actual}; the partial file was removed")
    os.replace(part, dest)
    return dest


def unsafe_entry(info: zipfile.ZipInfo) -> str | None:
    """Why an archive entry must not be extracted, or None when it is safe."""
    name = info.filename
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in path.parts:
        return "'..' component"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link"
    return None


def extract(archive, out_dir, required: str = METADATA) -> Path:
    """Safely extract a MAESTRO archive so that ``out_dir/maestro-v3.0.0/`` exists."""
    archive, out_dir = Path(archive), Path(out_dir)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise ValueError(f"{archive}: not a zip archive ({err})") from err
    with zf:
        for info in zf.infolist():
            reason = unsafe_entry(info)
            if reason:
                raise ValueError(f"{archive}: refusing to extract entry {info.filename!r} "
                                 f"({reason}); nothing was extracted")
        if required not in zf.namelist():
            raise ValueError(f"{archive}: archive has no {required}; not a MAESTRO v3 archive")
        tmp = out_dir.with_name(f".{out_dir.name}.part")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            zf.extractall(tmp)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ValueError(f"{archive}: corrupt archive ({err}); nothing was extracted. "
                             f"Set maestro.sha256 to the archive's published checksum so a "
                             f"corrupt download is caught and fetched again") from err
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir


def source_fingerprint(spec: dict) -> str:
    """What a corpus is made from: the URL and checksum, or a digest of the local
    archive's bytes, or of every file in the local folder. A changed source reruns the
    download (it is a rule param) and makes the corpus on disk stale. Content, not
    mtime: a copy of the same archive (a new checkout, rsync to a cluster) must not
    render every piece again. Hashing the 58 MB MAESTRO MIDI archive takes 0.05 s
    here."""
    if not spec.get("path"):
        return f"url {spec['url']} sha256 {(spec.get('sha256') or '').lower()}"
    path = Path(spec["path"])
    if path.is_file():
        return f"file {path.resolve()} sha256 {sha256_of(path)}"
    if not path.is_dir():
        raise FileNotFoundError(f"maestro.path: {path} does not exist")
    digest = hashlib.sha256()
    for file in sorted((path / CORPUS_NAME).rglob("*")):
        if file.is_file():
            digest.update(f"{file.relative_to(path)}\0{sha256_of(file)}\n".encode())
    return f"folder {path.resolve()} {digest.hexdigest()}"


BAD_MIDI_COLUMNS = ["midi_filename", "file", "reason"]


def midi_problems(root: Path, names, spec: dict, verdicts: dict) -> tuple[pd.DataFrame, dict]:
    """Parse the MIDI files ``names`` under ``root`` (a folder, or a folder inside a zip
    archive, read in place). Returns the table of unreadable ones, each named where the
    user can fix it, and {name: SHA-256}. ``verdicts`` ({SHA-256: reason, "" if fine})
    holds what was parsed before and gains what is parsed now."""
    bad, digests = [], {}
    for name in names:
        try:
            data = midi_bytes(root / name)
        except OSError as err:
            bad.append({"midi_filename": name, "file": source_file(spec, name),
                        "reason": f"not a readable MIDI file ({err})"})
            continue
        digest = digests[name] = hashlib.sha256(data).hexdigest()
        if digest not in verdicts:
            try:
                parse_midi(data, name)
                verdicts[digest] = ""
            except ValueError as err:
                verdicts[digest] = str(err).removeprefix(f"{name}: ")
        if verdicts[digest]:
            bad.append({"midi_filename": name, "file": source_file(spec, name),
                        "reason": verdicts[digest]})
    return pd.DataFrame(bad, columns=BAD_MIDI_COLUMNS), digests


def check_source_midi(spec: dict, names, verdicts_path) -> tuple[pd.DataFrame, dict]:
    """``midi_problems`` of a local source (folder or zip) before any job runs. Verdicts
    are kept by content in ``verdicts_path``: each version of a file is parsed once."""
    verdicts_path = Path(verdicts_path)
    try:
        verdicts = json.loads(verdicts_path.read_text())
    except (OSError, ValueError):
        verdicts = {}
    known = len(verdicts)
    bad, digests = midi_problems(Path(spec["path"]).resolve() / CORPUS_NAME, names, spec,
                                 verdicts)
    if len(verdicts) != known:
        verdicts_path.parent.mkdir(parents=True, exist_ok=True)
        part = verdicts_path.with_name(f".{verdicts_path.name}.part")
        part.write_text(json.dumps(verdicts, indent=0, sort_keys=True) + "\n")
        os.replace(part, verdicts_path)
    return bad, digests


def source_file(spec: dict, midi_filename: str) -> str:
    """Where the user finds (and can fix) a corpus file: in their folder, or the
    archive entry."""
    entry = f"{CORPUS_NAME}/{midi_filename}"
    if spec.get("path") and Path(spec["path"]).is_dir():
        return str(Path(spec["path"]).resolve() / entry)
    return f"{Path(spec['path']).resolve() if spec.get('path') else spec['url']} (entry {entry})"


def source_metadata(spec: dict) -> pd.DataFrame:
    """The metadata table of a local source (folder or zip) without extracting it."""
    path = Path(spec["path"])
    if path.is_dir():
        csv = path / METADATA
        if not csv.is_file():
            raise ValueError(f"maestro.path: {path} has no {METADATA}")
        return check_metadata(pd.read_csv(csv), csv)
    try:
        with zipfile.ZipFile(path) as zf, zf.open(METADATA) as csv:
            return check_metadata(pd.read_csv(csv), f"{path} ({METADATA})")
    except KeyError:
        raise ValueError(f"maestro.path: {path} has no {METADATA}") from None
    except (zipfile.BadZipFile, OSError) as err:
        raise ValueError(f"maestro.path: {path} is not a zip archive ({err})") from err


def check_midi(corpus_dir, spec: dict) -> pd.DataFrame:
    """``midi_problems`` of every MIDI file of a downloaded corpus."""
    metadata = check_metadata(pd.read_csv(Path(corpus_dir) / METADATA), METADATA)
    names = tqdm(metadata["midi_filename"], desc="checking MIDI", mininterval=5)
    return midi_problems(Path(corpus_dir) / CORPUS_NAME, names, spec, {})[0]


def download_maestro(out_dir, checked, spec: dict, cache_dir="results/download"
                     ) -> pd.DataFrame:
    """Fetch (or take the local copy at ``spec["path"]``), verify, extract and check
    the MIDI; ``checked`` records the source and the unreadable files."""
    url, sha256, path = spec.get("url"), spec.get("sha256"), spec.get("path")
    source = source_fingerprint(spec)
    if path:
        archive = Path(path)
    else:
        name = PurePosixPath(urllib.request.urlparse(url).path).name or "maestro-midi.zip"
        archive = fetch(url, Path(cache_dir) / name, sha256)  # checks sha256 itself
    if archive.is_file() and (path or not sha256):
        actual = sha256_of(archive)
        if sha256 and actual != sha256.lower():
            raise ValueError(f"{archive}: checksum mismatch: expected sha256 {sha256}, got "
                             f"{actual}")
        if not sha256:
            log.info("%s: sha256 %s (set maestro.sha256 to this to pin the archive)",
                     archive, actual)
    if archive.is_dir():
        if not (archive / METADATA).is_file():
            raise ValueError(f"{archive}: folder has no {METADATA}")
        tmp = Path(out_dir).with_name(f".{Path(out_dir).name}.part")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(archive / CORPUS_NAME, tmp / CORPUS_NAME)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(tmp, out_dir)
    else:
        extract(archive, out_dir)
    bad = check_midi(out_dir, spec)
    write_checked(checked, source, bad)
    return bad


def download_audio(out_dir, url: str, sha256: str | None = None,
                   cache_dir="results/download") -> Path:
    """The optional MAESTRO audio archive (real recordings), fetched and extracted the
    same way as the MIDI archive."""
    name = PurePosixPath(urllib.request.urlparse(url).path).name or "maestro-audio.zip"
    return extract(fetch(url, Path(cache_dir) / name, sha256), out_dir)
