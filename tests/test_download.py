"""The maestro source against real bytes served from 127.0.0.1."""

import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from loopback import LoopbackServer

from conftest import REPO, render_batches, run_snakemake, tiny_config, write_config
from music_enhance.data.download import download_maestro, extract, fetch, sha256_of
from music_enhance.data.manifest import write_manifest

MINI = REPO.parent / "shared" / "data" / "maestro-mini"
ARCHIVE = "maestro-v3.0.0-midi.zip"
needs_mini = pytest.mark.skipif(not (MINI / ARCHIVE).is_file(),
                                reason=f"{MINI} absent (CI always has ../shared)")


def mini_sha256() -> str:
    return (MINI / "SHA256SUMS").read_text().split()[0]


@needs_mini
def test_download_verify_extract_and_manifest_through_the_dag(tmp_path):
    config = tiny_config()
    with LoopbackServer(MINI) as server:
        config.update(source="maestro", maestro={"url": server.url(ARCHIVE),
                                                 "sha256": mini_sha256(), "path": None})
        write_config(tmp_path, config)
        run_snakemake(tmp_path, "--until", "manifest")
    manifest = pd.read_csv(tmp_path / "results/manifest.csv")
    assert len(manifest) == 24
    assert manifest["split"].value_counts().to_dict() == {"train": 16, "validation": 4,
                                                          "test": 4}
    assert all(Path(tmp_path, m).is_file() for m in manifest["midi"])
    assert sha256_of(tmp_path / "results/download" / ARCHIVE) == mini_sha256()
    assert pd.read_csv(tmp_path / "results/skipped.csv").empty
    # Once downloaded, the whole DAG is planned without the checkpoint.
    dry = run_snakemake(tmp_path, "-n")
    assert re.search(rf"^render\s+{render_batches(manifest)}$", dry.stdout, re.M)


@needs_mini
def test_flipped_byte_is_a_checksum_error_and_the_part_is_removed(tmp_path):
    data = bytearray((MINI / ARCHIVE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "serve").mkdir()
    (tmp_path / "serve" / ARCHIVE).write_bytes(bytes(data))
    with LoopbackServer(tmp_path / "serve") as server:
        with pytest.raises(ValueError, match=f"checksum mismatch: expected sha256 "
                                             f"{mini_sha256()}, got [0-9a-f]{{64}}"):
            fetch(server.url(ARCHIVE), tmp_path / "dl" / ARCHIVE, mini_sha256())
    assert list((tmp_path / "dl").iterdir()) == []


@needs_mini
def test_interrupted_download_resumes_with_a_range_request(tmp_path):
    with LoopbackServer(MINI) as server:
        server.httpd.cut_after = 100_000
        with pytest.raises(ValueError, match="transfer interrupted .* run again to resume"):
            fetch(server.url(ARCHIVE), tmp_path / ARCHIVE, mini_sha256())
        assert (tmp_path / f"{ARCHIVE}.part").stat().st_size == 100_000
        fetch(server.url(ARCHIVE), tmp_path / ARCHIVE, mini_sha256())
        assert server.httpd.requests == [None, "bytes=100000-"]
    assert sha256_of(tmp_path / ARCHIVE) == mini_sha256()
    assert not (tmp_path / f"{ARCHIVE}.part").exists()


@needs_mini
def test_local_path_needs_no_network(tmp_path):
    bad = download_maestro(tmp_path / "corpus", tmp_path / "corpus.json",
                           {"url": "http://127.0.0.1:9/nothing.zip", "sha256": mini_sha256(),
                            "path": str(MINI / ARCHIVE)})
    assert bad.empty
    table = write_manifest(tmp_path / "corpus", tmp_path / "corpus.json", {},
                           tmp_path / "manifest.csv")
    assert len(table) == 24
    assert not (tmp_path / "results").exists()


@needs_mini
def test_a_fresh_copy_of_the_same_archive_downloads_nothing_again(tmp_path):
    """A new checkout or an rsync gives the archive a new mtime, not new bytes: the
    corpus (and every render after it) stays; other bytes download again."""
    archive = tmp_path / "source" / ARCHIVE
    archive.parent.mkdir()
    shutil.copy(MINI / ARCHIVE, archive)
    config = tiny_config()
    config.update(source="maestro")
    config["maestro"]["path"] = str(archive)
    work = tmp_path / "work"
    work.mkdir()
    write_config(work, config)
    run_snakemake(work, "--until", "manifest")
    archive.unlink()
    shutil.copy(MINI / ARCHIVE, archive)
    os.utime(archive, ns=(2_000_000_000 * 10**9, 2_000_000_000 * 10**9))
    dry = run_snakemake(work, "-n", "--until", "manifest")
    assert re.search(r"^total\s+0$", dry.stdout, re.M)
    # Other bytes (an extra entry) are another source.
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("maestro-v3.0.0/README", b"changed")
    dry = run_snakemake(work, "-n", "--until", "manifest")
    assert re.search(r"^download\s+1$", dry.stdout, re.M)
    assert f"rerun download: source: file {archive} sha256 " in dry.stderr


def zip_with(entries: dict[str, bytes], links=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    return buffer.getvalue()


@pytest.mark.parametrize("entries, links, reason", [
    ({"maestro-v3.0.0/maestro-v3.0.0.csv": b"x", "../evil": b"gotcha"}, (), "'..' component"),
    ({"maestro-v3.0.0/maestro-v3.0.0.csv": b"x", "/tmp/evil": b"gotcha"}, (), "absolute path"),
    ({"maestro-v3.0.0/maestro-v3.0.0.csv": b"x"}, [("maestro-v3.0.0/l", "/etc/passwd")],
     "symbolic link"),
])
def test_unsafe_archives_are_refused_whole(tmp_path, entries, links, reason):
    (tmp_path / "a.zip").write_bytes(zip_with(entries, links))
    with pytest.raises(ValueError, match=f"a.zip: refusing to extract entry .*{reason}"):
        extract(tmp_path / "a.zip", tmp_path / "out" / "corpus")
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))


def test_clear_errors_name_the_url_or_file(tmp_path):
    (tmp_path / "notzip.zip").write_bytes(b"plain text")
    with pytest.raises(ValueError, match="notzip.zip: not a zip archive"):
        extract(tmp_path / "notzip.zip", tmp_path / "c")
    (tmp_path / "nocsv.zip").write_bytes(zip_with({"maestro-v3.0.0/2004/a.midi": b""}))
    with pytest.raises(ValueError, match="nocsv.zip: archive has no maestro-v3.0.0/maestro"):
        extract(tmp_path / "nocsv.zip", tmp_path / "c")
    with LoopbackServer(tmp_path) as server:
        with pytest.raises(ValueError, match=r"/missing.zip: HTTP error 404"):
            fetch(server.url("missing.zip"), tmp_path / "m.zip")
        port_url = server.url("x.zip")
    with pytest.raises(ValueError, match=f"{port_url}: cannot reach host"):
        fetch(port_url, tmp_path / "x.zip", timeout=5)


@needs_mini
def test_bad_midi_fails_or_is_skipped_and_listed(tmp_path):
    with zipfile.ZipFile(MINI / ARCHIVE) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    victim = sorted(n for n in entries if n.endswith(".midi"))[0]
    entries[victim] = entries[victim][:40]  # truncated
    (tmp_path / "bad.zip").write_bytes(zip_with(entries))
    checked = tmp_path / "corpus.json"
    bad = download_maestro(tmp_path / "corpus", checked,
                           {"url": "", "path": str(tmp_path / "bad.zip")})
    assert list(bad["midi_filename"]) == [victim.split("/", 1)[1]]
    # The error names the entry of the user's archive, not the extracted copy.
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'bad.zip'} (entry {victim}): "
                                                   f"not a readable MIDI file")):
        write_manifest(tmp_path / "corpus", checked, {}, tmp_path / "m.csv")
    table = write_manifest(tmp_path / "corpus", checked, {}, tmp_path / "m.csv",
                           tmp_path / "s.csv", on_bad_midi="skip")
    skipped = pd.read_csv(tmp_path / "s.csv")
    assert len(table) == 23 and len(skipped) == 1
    assert "not a readable MIDI file" in skipped["reason"][0]
    assert skipped["id"][0] not in set(table["id"])
    shutil.rmtree(tmp_path / "corpus")


@needs_mini
def test_optional_audio_archive_is_fetched_verified_and_extracted(tmp_path):
    from music_enhance.data.download import download_audio
    with LoopbackServer(MINI) as server:
        out = download_audio(tmp_path / "audio", server.url(ARCHIVE), mini_sha256(),
                             cache_dir=tmp_path / "cache")
    assert (out / "maestro-v3.0.0" / "maestro-v3.0.0.csv").is_file()
    assert sha256_of(tmp_path / "cache" / ARCHIVE) == mini_sha256()


@needs_mini
def test_a_local_archive_that_does_not_match_its_pinned_checksum_is_refused(tmp_path):
    out = tmp_path / "results" / "corpus"
    wrong = "0" * 64
    with pytest.raises(ValueError, match=f"{ARCHIVE}: checksum mismatch: expected sha256 "
                                         f"{wrong}, got {mini_sha256()}"):
        download_maestro(out, tmp_path / "results/corpus.json",
                         {"url": "", "sha256": wrong, "path": str(MINI / ARCHIVE)})
    assert not (tmp_path / "results").exists()


@needs_mini
def test_corrupt_archive_without_checksum_is_a_clear_error_leaving_nothing(tmp_path, caplog):
    data = bytearray((MINI / ARCHIVE).read_bytes())
    data[len(data) // 2:len(data) // 2 + 64] = bytes(64)  # inside a member's data
    (tmp_path / ARCHIVE).write_bytes(bytes(data))
    out = tmp_path / "results" / "corpus"
    with caplog.at_level("INFO", logger="music_enhance.data.download"):
        with pytest.raises(ValueError, match=f"{ARCHIVE}: corrupt archive .*nothing was "
                                             f"extracted. Set maestro.sha256"):
            download_maestro(out, tmp_path / "results/corpus.json",
                             {"url": "", "sha256": None, "path": str(tmp_path / ARCHIVE)})
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == []
    # Without a configured checksum the archive's own is logged, to pin it.
    assert sha256_of(tmp_path / ARCHIVE) in caplog.text
