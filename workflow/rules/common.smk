# Shared helpers: config cross-checks, names, paths and piece lists.
import hashlib
import shlex
from pathlib import Path

from snakemake.exceptions import IncompleteCheckpointException, WorkflowError
from snakemake.io import checkpoint_target

from music_enhance.baselines import task_baselines
from music_enhance.config import canonical, code_version
from music_enhance.degrade import chain_cutoff
from music_enhance.demo import demo_metadata
from music_enhance.download import source_fingerprint, source_metadata
from music_enhance.manifest import build_manifest, read_checked, read_metadata
from music_enhance.render import gm_program
from music_enhance.shard import plan_shards, predicted_windows


def check_config():
    """Cross-references the schema cannot express, each error naming its key."""
    for name, task in config["tasks"].items():
        for side in ("input", "target"):
            instrument = task[side]["instrument"]
            if instrument not in config["instruments"]:
                raise WorkflowError(f"config: tasks.{name}.{side}.instrument: unknown "
                                    f"instrument {instrument!r}")
        chain = task["input"].get("chain")
        if chain is not None and chain not in config["chains"]:
            raise WorkflowError(f"config: tasks.{name}.input.chain: unknown chain {chain!r}")
        if task["window"] % 2:
            raise WorkflowError(f"config: tasks.{name}.window: must be even, "
                                f"got {task['window']}")
        for index, step in enumerate(config["chains"].get(chain) or []):
            if step["step"] == "resample" and step["low_rate"] >= task["sample_rate"]:
                raise WorkflowError(f"config: chains.{chain}[{index}].low_rate: "
                                    f"{step['low_rate']} Hz is not below the sample rate "
                                    f"{task['sample_rate']} Hz of task {name!r}")
    for name, spec in config["instruments"].items():
        try:
            gm_program(name, spec["program"])
        except ValueError as err:
            raise WorkflowError(f"config: {err}") from None
        key = f"instruments.{name}.soundfont" if "soundfont" in spec else "render.soundfont"
        soundfont = spec.get("soundfont", config["render"]["soundfont"])
        if not Path(soundfont).is_file():
            raise WorkflowError(f"config: {key}: SoundFont {soundfont} does not exist "
                                f"(instrument {name!r})")
    for name, experiment in config["experiments"].items():
        if experiment["task"] not in config["tasks"]:
            raise WorkflowError(f"config: experiments.{name}.task: unknown task "
                                f"{experiment['task']!r}")
        model = experiment["model"]
        if model["name"] != "wavenet" and "channels" in model and len(
                model["channels"]) != len(model["kernels"]):
            raise WorkflowError(f"config: experiments.{name}.model: channels and kernels "
                                f"must have the same length")
        # The WaveNet takes any length; the U-Nets halve it depth times.
        depth = (0 if model["name"] == "wavenet" else
                 len(model["channels"]) if "channels" in model else model.get("depth", 4))
        window = config["tasks"][experiment["task"]]["window"]
        if window % 2 ** depth:
            raise WorkflowError(f"config: experiments.{name}.model: the window {window} of "
                                f"task {experiment['task']!r} is not a multiple of 2^{depth}")
        collab = experiment.get("collab")
        if collab and ("discriminator" not in experiment or model["name"] != "unet"):
            raise WorkflowError(f"config: experiments.{name}.collab needs a unet model and a "
                                f"discriminator block")
        if collab and collab["layer"] >= depth - 1:
            raise WorkflowError(f"config: experiments.{name}.collab.layer: {collab['layer']} "
                                f"is not an up-sampling block (0..{depth - 2})")
        weights = experiment.get("losses", {})
        for term in ("adversarial", "feature_matching"):
            if weights.get(term) and "discriminator" not in experiment:
                raise WorkflowError(f"config: experiments.{name}.losses.{term} needs a "
                                    f"discriminator block")
        if weights.get("feature"):
            source = experiment.get("autoencoder")
            if source not in config["experiments"] or not config["experiments"][source].get(
                    "identity"):
                raise WorkflowError(f"config: experiments.{name}.autoencoder: losses.feature "
                                    f"needs an experiment with identity: true, got {source!r}")


check_config()

# Experiments that enhance; identity ones train autoencoders for the feature loss.
EXPERIMENTS = sorted(e for e, spec in config["experiments"].items() if not spec.get("identity"))
TASKS = sorted(config["tasks"])


def task_chain(task):
    chain = config["tasks"][task]["input"].get("chain")
    return config["chains"][chain] if chain else []


# Systems scored against the clean targets: every experiment, and per task the
# degraded input as is ("<task>.input") and the classical baselines its chain
# calls for ("<task>.linear", ...; experiment names cannot hold a dot).
BASELINES = {}
for _task in TASKS:
    for _method in ["input", *task_baselines(task_chain(_task))]:
        BASELINES[f"{_task}.{_method}"] = (_task, _method)
# The same trained GAN with collaborative sampling at enhancement time.
COLLAB = {f"{e}.collab": e for e in EXPERIMENTS if config["experiments"][e].get("collab")}
SYSTEMS = EXPERIMENTS + sorted(COLLAB) + sorted(BASELINES)
TRAIN_SPLITS = ["train", "validation"]


CORPUS = Path("results/corpus")
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


# The piece list is known at start-up for the demo, for a corpus made from the
# source as it is, and for a local archive or folder (its metadata is read in
# place; with on_bad_midi: fail an unreadable selected file stops the manifest
# job). Only a URL not downloaded yet, or a changed source with on_bad_midi: skip,
# waits for the download checkpoint.
PLANNED_AT_START = (config["source"] == "demo" or corpus_is_current()
                    or (bool(config["maestro"].get("path"))
                        and config.get("on_bad_midi", "fail") == "fail"))


def corpus_metadata():
    """The corpus's MAESTRO metadata and its unreadable MIDI files (None: not known
    yet, nothing skipped)."""
    if config["source"] == "demo":
        return demo_metadata(seed=config["seed"], **config["demo"]), None
    if corpus_is_current():
        return read_metadata(CORPUS), read_checked(CORPUS_CHECKED)[1]
    if PLANNED_AT_START:
        return source_metadata(config["maestro"]), None
    # Deferred until the download checkpoint has (re)made the corpus; Snakemake
    # plans no job behind a checkpoint under --until, so say so instead of nothing.
    if set(workflow.dag_settings.until) - {"download", "manifest"}:
        raise WorkflowError("--until: the pieces are known only once the corpus is "
                            "downloaded (maestro.url, or on_bad_midi: skip): run "
                            "`snakemake --until manifest` first")
    raise IncompleteCheckpointException(checkpoints.download.rule,
                                        checkpoint_target(CORPUS_CHECKED))


_planned = {}


def manifest_table():
    """The manifest, planned by the same function that writes results/manifest.csv.

    Per-piece jobs are then ordinary jobs, not the children of a checkpoint, so
    `snakemake --until STAGE` and `-n` see the whole DAG (Snakemake 9.27 ignores
    jobs behind a checkpoint under --until).
    """
    if "table" not in _planned:
        metadata, bad = corpus_metadata()
        try:
            table, _ = build_manifest(metadata, CORPUS, config["manifest"], bad,
                                      config.get("on_bad_midi", "fail"))
        except ValueError as err:  # names the filter key, or the unreadable file
            raise WorkflowError(str(err)) from err
        check_windows(table)
        _planned["table"] = table
        _planned["midi"] = dict(zip(table["id"], table["midi"], strict=True))
    return _planned["table"]


def check_windows(table):
    """Every task's train and validation pieces must hold at least one window."""
    tail = config["render"].get("tail", 1.0)
    for name, task in config["tasks"].items():
        for split in TRAIN_SPLITS:
            durations = table.loc[table["split"] == split, "duration"]
            if len(durations) and not any(
                    predicted_windows(d, task["sample_rate"], tail, task["window"],
                                      task["stride"]) for d in durations):
                raise WorkflowError(
                    f"config: tasks.{name}.window: {task['window']} samples "
                    f"({task['window'] / task['sample_rate']:.2f} s) is longer than every "
                    f"{split} piece (the longest lasts {durations.max() + tail:.2f} s "
                    f"with the render tail)")


def piece_ids(split):
    table = manifest_table()
    return table.loc[table["split"] == split, "id"].tolist()


# Bad filters, unreadable MIDI and too long windows fail at start-up when the
# pieces can be planned now.
if PLANNED_AT_START:
    manifest_table()


def render_path(instrument, rate, piece="{id}"):
    return f"results/render/{instrument}/{rate}/{piece}.flac"


def task_input_path(task, piece="{id}"):
    """The input audio of ``task`` for a piece: the degraded render, or the render."""
    spec = config["tasks"][task]
    chain = spec["input"].get("chain")
    if chain is None:
        return render_path(spec["input"]["instrument"], spec["sample_rate"], piece)
    return (f"results/degrade/{chain}/{spec['input']['instrument']}/{spec['sample_rate']}/"
            f"{piece}.flac")


def task_target_path(task, piece="{id}"):
    spec = config["tasks"][task]
    return render_path(spec["target"]["instrument"], spec["sample_rate"], piece)


def experiment_task(experiment):
    return config["experiments"][experiment]["task"]


def midi_of(wildcards):
    manifest_table()
    return _planned["midi"][wildcards.piece]


def instrument_spec(wildcards):
    """The instrument's render settings, defaults from the render block filled in."""
    spec = {**config["render"], **config["instruments"][wildcards.instrument]}
    return canonical({"name": wildcards.instrument, **spec})


_shard_plans = {}


def shard_plan(task, split):
    """Piece ids per shard of a task's split, planned from the manifest's durations."""
    if (task, split) not in _shard_plans:
        spec, table = config["tasks"][task], manifest_table()
        chosen = table[table["split"] == split]
        _shard_plans[task, split] = plan_shards(
            chosen["id"].tolist(), chosen["duration"].tolist(), spec["sample_rate"],
            config["render"].get("tail", 1.0), spec["window"], spec["stride"],
            config.get("shard", {}).get("max_bytes", 1e9),
            config.get("shard", {}).get("sample_format", "float32"))
    return _shard_plans[task, split]


def shard_paths(task, split):
    return [f"results/shards/{task}/{split}/{i}.h5" for i in range(len(shard_plan(task, split)))]


def shard_piece_ids(wildcards):
    return shard_plan(wildcards.task, wildcards.split)[int(wildcards.index)]


def shard_inputs(wildcards):
    ids = shard_piece_ids(wildcards)
    inputs = {"inputs": [task_input_path(wildcards.task, i) for i in ids],
              "targets": [task_target_path(wildcards.task, i) for i in ids]}
    if task_chain(wildcards.task):
        inputs["values"] = [task_values_path(wildcards.task, i) for i in ids]
    return inputs


def task_values_path(task, piece="{id}"):
    return task_input_path(task, piece).removesuffix(".flac") + ".json"


def values_option(wildcards):
    if not task_chain(wildcards.task):
        return ""
    return f"--values-pattern {shlex.quote(task_values_path(wildcards.task))}"


def task_config_hash(task):
    """What a task's windows depend on: its block and its chain."""
    text = canonical({"task": config["tasks"][task], "chain": task_chain(task)})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def shard_options(wildcards):
    settings = config.get("shard", {})
    options = []
    if settings.get("min_rms_dbfs") is not None:
        options.append(f"--min-rms-dbfs {settings['min_rms_dbfs']}")
    if not settings.get("file_locking", True):
        options.append("--no-file-locking")
    options.append(f"--sample-format {settings.get('sample_format', 'float32')}")
    options.append(f"--compression {settings.get('compression', 'none')}")
    return " ".join(options)


def autoencoder_input(wildcards):
    """The autoencoder checkpoint an experiment's feature loss needs, if any."""
    spec = config["experiments"][wildcards.experiment]
    if not spec.get("losses", {}).get("feature"):
        return []
    return [f"results/train/{spec['autoencoder']}/generator.pt"]


def autoencoder_option(wildcards, input):
    return f"--autoencoder {shlex.quote(input.autoencoder[0])}" if input.autoencoder else ""


# What a train job asks of a cluster, per experiment (resources block) or these.
TRAIN_RESOURCES = {"mem_mb": 16000, "runtime": 720, "gpu": 1}


def train_resource(name):
    def resource(wildcards):
        spec = config["experiments"][wildcards.experiment]
        return spec.get("resources", {}).get(name, TRAIN_RESOURCES[name])

    return resource


def system_task(system):
    if system in BASELINES:
        return BASELINES[system][0]
    return experiment_task(COLLAB.get(system, system))


def train_spec(wildcards):
    """An experiment's block as training sees it: sampling-only collab keys matter to
    training only through shaping, so without shaping they are left out (changing
    them reruns enhance_collab alone)."""
    spec = dict(config["experiments"][wildcards.experiment])
    if not spec.get("collab", {}).get("shaping_iters"):
        spec.pop("collab", None)
    return canonical(spec)


def collab_spec(wildcards):
    """What sampling needs of an experiment's collab block (shaping is training's)."""
    spec = dict(config["experiments"][wildcards.experiment]["collab"])
    spec.pop("shaping_iters", None)
    return canonical(spec)


def system_estimate_path(system, piece="{id}"):
    if system in COLLAB:
        return f"results/collab/{COLLAB[system]}/{piece}.flac"
    if system not in BASELINES:
        return f"results/enhance/{system}/{piece}.flac"
    task, method = BASELINES[system]
    if method == "input":
        return task_input_path(task, piece)
    return f"results/baselines/{task}/{method}/{piece}.flac"


def low_rate_of(task):
    """The first resample rate of a task's chain (the upsampling baselines start there)."""
    rates = [s["low_rate"] for s in task_chain(task) if s["step"] == "resample"]
    return rates[0] if rates else 0


def low_hz_option(wildcards):
    cutoff = chain_cutoff(task_chain(system_task(wildcards.system)))
    return f"--low-hz {cutoff}" if cutoff else ""


def score_inputs(wildcards):
    task = system_task(wildcards.system)
    ids = piece_ids("test")
    return {
        "estimates": [system_estimate_path(wildcards.system, i) for i in ids],
        "targets": [task_target_path(task, i) for i in ids],
    }


def report_pieces(wildcards):
    """{piece: [[label, path], ...]} for the first two test pieces of the experiment's
    task: input, target, baselines, output (lists keep this order through canonical)."""
    task = experiment_task(wildcards.experiment)
    methods = [m for t, m in BASELINES.values() if t == task and m != "input"]
    pieces = {}
    for piece in piece_ids("test")[:2]:
        pieces[piece] = [["input", task_input_path(task, piece)],
                         ["target", task_target_path(task, piece)],
                         *[[m, system_estimate_path(f"{task}.{m}", piece)] for m in methods],
                         [wildcards.experiment,
                          system_estimate_path(wildcards.experiment, piece)],
                         *[[c, system_estimate_path(c, piece)] for c, e in COLLAB.items()
                           if e == wildcards.experiment]]
    return pieces


def report_audio(wildcards):
    return sorted({path for pairs in report_pieces(wildcards).values() for _, path in pairs})
