# The Snakemake side of music_enhance/plan.py: the pieces (behind the download
# checkpoint when they are not known at start-up) and adapters from wildcards to
# the plan's jobs. Paths, systems, batches and rule arguments live in the plan.
import shlex
import shutil
import sys
from functools import cache
from pathlib import Path

from snakemake.exceptions import IncompleteCheckpointException, WorkflowError
from snakemake.io import checkpoint_target

from music_enhance.core.config import canonical
from music_enhance.data.demo import CORPUS_NAME, demo_metadata
from music_enhance.data.download import check_source_midi, source_fingerprint, source_metadata
from music_enhance.data.manifest import build_manifest, piece_id, read_checked, read_metadata
from music_enhance.pipeline.plan import (
    BASELINE,
    CHECKPOINT,
    COLLAB,
    COMPARE,
    CORPUS,
    CORPUS_CHECKED,
    DEGRADE,
    ENHANCE,
    MANIFEST,
    METRICS,
    OUTPUTS,
    RENDER,
    SHARD_BATCH,
    SUMMARY,
    TRAIN_SPLITS,
    Plan,
    record_of,
)
from music_enhance.pipeline.provenance import STAMPS, UPSTREAM_CHANGED, damage, write_record


onstart:
    # Every job runs the package's command; without it each would die with exit 127.
    # Checked before the first job (not for -n or --lint, which run none).
    if shutil.which("music-enhance") is None and not any(
        "CONDA" in str(m) for m in workflow.deployment_settings.deployment_method
    ):
        raise WorkflowError(
            "music-enhance is not on PATH: activate the virtual environment first "
            "(source .venv/bin/activate), or run `make run`"
        )


try:
    PLAN = Plan(config)
except ValueError as err:  # a cross-check of the config, naming its key
    raise WorkflowError(str(err)) from None

SOURCE = None if config["source"] == "demo" else source_fingerprint(config["maestro"])
PLAN.source = SOURCE


def corpus_is_current():
    """Whether results/corpus was made from the configured source as it is now."""
    try:
        return read_checked(CORPUS_CHECKED)[0] == SOURCE
    except FileNotFoundError:
        return False


# A local archive or folder (maestro.path) is read in place: its metadata at
# start-up, its selected MIDI files parsed then too (each version once, verdicts kept
# in results/provenance/midi.json), and the renders read them where they are, so a
# file fixed there reruns only its own render batch. A URL source is planned once
# its download (a checkpoint the first time) has made and checked the corpus.
FROM_SOURCE = config["source"] != "demo" and bool(config["maestro"].get("path"))
SOURCE_ROOT = Path(config["maestro"]["path"]).resolve() if FROM_SOURCE else None
PLANNED_AT_START = config["source"] == "demo" or FROM_SOURCE or corpus_is_current()


@cache
def source_checked():
    """(metadata, unreadable MIDI, {midi_filename: SHA-256}) of a local source."""
    metadata = source_metadata(config["maestro"])
    # The candidates: every filter but the count, which applies after skipping.
    candidates, _ = build_manifest(
        metadata, SOURCE_ROOT, {**config["manifest"], "max_pieces_per_split": 0}
    )
    names = metadata["midi_filename"][
        metadata["midi_filename"].map(piece_id).isin(candidates["id"])
    ]
    bad, digests = check_source_midi(config["maestro"], names, f"{STAMPS}/midi.json")
    return metadata, bad, digests


def corpus_metadata():
    """The corpus's MAESTRO metadata, its unreadable MIDI files (None: not known
    yet, nothing skipped) and where its MIDI files are read."""
    if config["source"] == "demo":
        return demo_metadata(seed=config["seed"], **config["demo"]), None, CORPUS
    if FROM_SOURCE:
        return *source_checked()[:2], SOURCE_ROOT
    if corpus_is_current():
        return read_metadata(CORPUS), read_checked(CORPUS_CHECKED)[1], CORPUS
    # Snakemake plans no job behind a checkpoint under --until: say so instead of nothing.
    if set(workflow.dag_settings.until) - {"download", "manifest"}:
        raise WorkflowError(
            "--until: the pieces are known only once the corpus is downloaded "
            "(maestro.url): run `snakemake --until manifest` first"
        )
    raise IncompleteCheckpointException(
        checkpoints.download.rule, checkpoint_target(CORPUS_CHECKED)
    )


def planned():
    """The plan with its pieces, from the same function that writes results/manifest.csv,
    so per-piece jobs are ordinary jobs that `--until` and `-n` see."""
    if not PLAN.has_pieces:
        try:
            metadata, bad, root = corpus_metadata()
            table, _ = build_manifest(
                metadata, root, config["manifest"], bad, config["on_bad_midi"]
            )
            PLAN.use_pieces(table)
        except ValueError as err:  # a filter key, an unreadable file, a too long window
            raise WorkflowError(str(err)) from None
        if FROM_SOURCE:
            digests, root = source_checked()[2], SOURCE_ROOT / CORPUS_NAME
            PLAN.midi_digest = lambda piece: digests[
                Path(PLAN.midi[piece]).relative_to(root).as_posix()
            ]
    return PLAN


# Every job runs this checkout's package (the Snakefile checked it imports the same).
# shard.file_locking: false reaches every job's HDF5 (shard writes, training reads)
# through HDF5's own switch in every job's shell; not a param, since it changes
# no output (turning it off reruns nothing).
shell.prefix(
    # Doubled braces: Snakemake formats the prefix as it formats a shell command.
    f"export PYTHONPATH={shlex.quote(str(SRC))}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
    + ("" if config["shard"]["file_locking"] else "export HDF5_USE_FILE_LOCKING=FALSE; ")
)

# Bad filters, unreadable MIDI and too long windows fail at start-up when they can.
if PLANNED_AT_START:
    planned()


@cache
def _job(rule, wildcards):
    return planned().job_of(rule, dict(wildcards))


def job(rule, key):
    """An input or params function: ``key`` of the plan's job for the rule's wildcards."""
    return lambda wildcards: _job(rule, tuple(sorted(wildcards.items())))[key]


# Provenance records (music_enhance/provenance.py): every rule's first input, written
# before Snakemake looks at any file (it lists each folder once), when a key changed
# or the job's outputs were damaged by hand; each rerun's own reason is printed.
# A dry run (-n) or --lint leaves results/ as it is: the records it would change are
# written under .snakemake/dry-run/ instead, and its jobs read them there.
_RECORDS = {}
DRY_RUN = getattr(workflow.output_settings, "dryrun", False) or "--lint" in sys.argv
DRY_RUN_RECORDS = Path(".snakemake/dry-run")


def plan_of(rule):
    """The plan a rule's jobs ask: download and manifest run before the pieces are known."""
    return PLAN if rule in ("download", "manifest") else planned()


def write_provenance(rule, wildcards):
    key = (rule, tuple(sorted(wildcards.items())))
    if key in _RECORDS:
        return _RECORDS[key]
    plan = plan_of(rule)
    content = plan.provenance(rule, wildcards)
    path = plan.stamp(rule, wildcards)
    outputs = [t.format(**wildcards) for t in OUTPUTS[rule]]
    damaged = [why for why in map(damage, outputs) if why]
    dest = str(DRY_RUN_RECORDS / path) if DRY_RUN else path
    try:
        reasons = write_record(path, content, damaged, dest)
    except OSError as err:
        raise WorkflowError(str(err)) from None
    _RECORDS[key] = path if reasons is None else dest
    # A rerun (not a first run) for a reason of its own, not only upstream's.
    own = [r for r in reasons or [] if r != UPSTREAM_CHANGED]
    if own and any(Path(o).exists() for o in outputs):
        print(f"rerun {Path(path).relative_to(STAMPS).with_suffix('')}: {'; '.join(own)}",
              file=sys.stderr)
    return _RECORDS[key]


def provenance(rule):
    """An input function: the job's provenance record. Jobs run by a cluster (or any
    job process) take the record the main process wrote."""

    def record(wildcards):
        if not workflow.is_main_process:
            return Plan.stamp(rule, dict(wildcards))
        return write_provenance(rule, dict(wildcards))

    return record


if PLANNED_AT_START and workflow.is_main_process:
    for _rule, _wildcards in planned().jobs_below(planned().targets()):
        write_provenance(_rule, _wildcards)


@cache
def _resources(rule, wildcards, attempt):
    return plan_of(rule).resources(rule, dict(wildcards), attempt)


def sized(rule):
    """The rule's resources, computed by the plan from each job's work (its pieces'
    minutes of audio, its model's size and steps; pipeline/resources.py), growing
    with each retry of a failed job (``attempt``)."""

    def resource(key):
        def value(wildcards, attempt):
            return _resources(rule, tuple(sorted(wildcards.items())), attempt)[key]

        return value

    return {key: resource(key) for key in ("runtime", "mem_mb", "gpu")}
