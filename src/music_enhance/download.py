"""The download stage for ``source: maestro``: fetch, verify and extract the MIDI archive.

The archive is fetched to ``<name>.part`` with HTTP Range requests, so an
interrupted transfer continues where it stopped; it is renamed only once its
SHA-256 matches. Extraction refuses the whole archive if any entry is absolute,
has a ``..`` component or is a link, and writes into a temporary folder that
replaces the corpus folder only when complete.
"""

import hashlib
import os
import shutil
import stat
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

import pandas as pd
from tqdm import tqdm

from .demo import CORPUS_NAME
from .render import load_midi

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
        zf.extractall(tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir


def check_midi(corpus_dir) -> pd.DataFrame:
    """Parse every MIDI of the corpus; a table of the unreadable ones and why."""
    metadata = pd.read_csv(Path(corpus_dir) / METADATA)
    bad = []
    for name in tqdm(metadata["midi_filename"], desc="checking MIDI", mininterval=5):
        try:
            load_midi(Path(corpus_dir) / CORPUS_NAME / name)
        except ValueError as err:
            bad.append({"midi_filename": name, "reason": str(err)})
    return pd.DataFrame(bad, columns=["midi_filename", "reason"])


def download_maestro(out_dir, url: str, sha256: str | None = None, path: str | None = None,
                     cache_dir="results/download") -> pd.DataFrame:
    """Fetch (or take the local copy at ``path``), verify, extract and check MIDI."""
    if path:
        archive = Path(path)
        if not archive.exists():
            raise FileNotFoundError(f"{archive}: maestro.path does not exist")
        if sha256 and archive.is_file() and sha256_of(archive) != sha256.lower():
            raise ValueError(f"{archive}: checksum mismatch: expected sha256 {sha256}, got "
                             f"{sha256_of(archive)}")
    else:
        name = PurePosixPath(urllib.request.urlparse(url).path).name or "maestro-midi.zip"
        archive = fetch(url, Path(cache_dir) / name, sha256)
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
    bad = check_midi(out_dir)
    bad.to_csv(Path(out_dir) / "bad_midi.csv", index=False)
    return bad


def download_audio(out_dir, url: str, sha256: str | None = None,
                   cache_dir="results/download") -> Path:
    """The optional MAESTRO audio archive (real recordings), fetched and extracted the
    same way as the MIDI archive."""
    name = PurePosixPath(urllib.request.urlparse(url).path).name or "maestro-audio.zip"
    return extract(fetch(url, Path(cache_dir) / name, sha256), out_dir)
