# The Snakemake side of music_enhance/plan.py: the pieces (behind the download
# checkpoint when they are not known at start-up) and adapters from wildcards to
# the plan's jobs. Paths, systems, batches and rule arguments live in the plan.
import shutil
from functools import cache

from snakemake.exceptions import IncompleteCheckpointException, WorkflowError
from snakemake.io import checkpoint_target

from music_enhance.config import canonical, code_version
from music_enhance.demo import demo_metadata
from music_enhance.download import source_fingerprint, source_metadata
from music_enhance.manifest import build_manifest, read_checked, read_metadata
from music_enhance.plan import (
    BASELINE,
    CHECKPOINT,
    COLLAB,
    DEGRADE,
    ENHANCE,
    RENDER,
    SHARD,
    TRAIN_SPLITS,
    Plan,
    record_of,
)


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

CORPUS = "results/corpus"
# The download stage's record of the source the corpus came from and its
# unreadable MIDI files: it follows the source, so a fixed file is checked again.
CORPUS_CHECKED = "results/corpus.json"
SOURCE = None if config["source"] == "demo" else source_fingerprint(config["maestro"])


def corpus_is_current():
    """Whether results/corpus was made from the configured source as it is now."""
    try:
        return read_checked(CORPUS_CHECKED)[0] == SOURCE
    except FileNotFoundError:
        return False


# The pieces are known at start-up for the demo, for a corpus made from the source
# as it is, and for a local archive or folder (its metadata is read in place; with
# on_bad_midi: fail an unreadable selected file stops the manifest job). Only a URL
# not downloaded yet, or a changed source with on_bad_midi: skip, waits for the
# download checkpoint.
PLANNED_AT_START = (
    config["source"] == "demo"
    or corpus_is_current()
    or (bool(config["maestro"].get("path")) and config["on_bad_midi"] == "fail")
)


def corpus_metadata():
    """The corpus's MAESTRO metadata and its unreadable MIDI files (None: not known
    yet, nothing skipped)."""
    if config["source"] == "demo":
        return demo_metadata(seed=config["seed"], **config["demo"]), None
    if corpus_is_current():
        return read_metadata(CORPUS), read_checked(CORPUS_CHECKED)[1]
    if PLANNED_AT_START:
        return source_metadata(config["maestro"]), None
    # Snakemake plans no job behind a checkpoint under --until: say so instead of nothing.
    if set(workflow.dag_settings.until) - {"download", "manifest"}:
        raise WorkflowError(
            "--until: the pieces are known only once the corpus is downloaded "
            "(maestro.url, or on_bad_midi: skip): run `snakemake --until manifest` first"
        )
    raise IncompleteCheckpointException(
        checkpoints.download.rule, checkpoint_target(CORPUS_CHECKED)
    )


def planned():
    """The plan with its pieces, from the same function that writes results/manifest.csv,
    so per-piece jobs are ordinary jobs that `--until` and `-n` see."""
    if PLAN._table is None:
        metadata, bad = corpus_metadata()
        try:
            table, _ = build_manifest(
                metadata, CORPUS, config["manifest"], bad, config["on_bad_midi"]
            )
            PLAN.use_pieces(table)
        except ValueError as err:  # a filter key, an unreadable file, a too long window
            raise WorkflowError(str(err)) from err
    return PLAN


# shard.file_locking: false reaches every job's HDF5 (shard writes, training reads)
# through HDF5's own switch in every job's shell; not a param, since it changes
# no output (turning it off reruns nothing).
if not config["shard"]["file_locking"]:
    shell.prefix("export HDF5_USE_FILE_LOCKING=FALSE; ")

# Bad filters, unreadable MIDI and too long windows fail at start-up when they can.
if PLANNED_AT_START:
    planned()


@cache
def _job(stage, wildcards):
    return getattr(planned(), f"{stage}_job")(**dict(wildcards))


def job(stage, key):
    """An input or params function: ``key`` of the plan's job for the rule's wildcards."""
    return lambda wildcards: _job(stage, tuple(sorted(wildcards.items())))[key]
