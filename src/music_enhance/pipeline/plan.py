"""The plan of a run: what the Snakemake rules build, where, in which jobs, with which
arguments, all derived once from the validated config and the manifest's pieces.

The rules are thin: each asks the plan for its inputs and params. Per-piece stages
(render, degrade, baseline, enhance) run a *batch* of pieces per job and write, next
to the per-piece files, a batch record (``.../batches/<batch>.json``) that the DAG
tracks; the per-piece files keep the paths they always had. A piece's batch is
its split and a hash of its id modulo a power of two sized from the split's size
and ``pieces_per_job`` (``train-3``), so adding a piece changes only its own
batch (unless the split's batch count crosses a power of two), and a new test
piece never touches what training reads.
"""

import copy
import hashlib
import json
import math
import re
from functools import cache, cached_property
from pathlib import Path

import pandas as pd

from ..core.config import SCHEMA, _normalise, canonical, stage_code, validate_config
from ..core.defaults import block_args
from ..data.degrade import chain_cutoff, resample_error
from ..data.shard import plan_shards, predicted_windows
from ..evaluation.baselines import task_baselines
from ..evaluation.enhance import BLOCK_SECONDS
from ..training.models import window_error
from ..training.recipe import recipe_errors
from . import resources
from .provenance import STAMPS, record_key

TRAIN_SPLITS = ["train", "validation"]
RENDER = "results/render/{instrument}/{rate}/{piece}.flac"
DEGRADE = "results/degrade/{chain}/{instrument}/{rate}/{piece}.flac"
BASELINE = "results/baselines/{task}/{method}/{piece}.flac"
ENHANCE = "results/enhance/{experiment}/{piece}.flac"
COLLAB = "results/collab/{experiment}/{piece}.flac"
SHARD = "results/shards/{task}/{split}/{index}.h5"
# One shard job writes up to shard.shards_per_job consecutive shards of a split.
SHARD_BATCH = "results/shards/{task}/{split}/batches/{index}.json"
CHECKPOINT = "results/train/{experiment}/generator.pt"
METRICS = "results/train/{experiment}/metrics.csv"
CORPUS = "results/corpus"
# The download stage's record of the source the corpus came from and its
# unreadable MIDI files.
CORPUS_CHECKED = "results/corpus.json"
MANIFEST = "results/manifest.csv"
SCORE = "results/scores/{system}.csv"
SUMMARY = "results/scores/summary.csv"
REPORT = "results/report/{experiment}"
COMPARE = "results/report/tasks/{task}.png"


def fill(template: str, **fields) -> str:
    """A template with some fields filled in, the others (``{piece}``) left as they are."""
    for key, value in fields.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def record_of(template: str) -> str:
    """The batch record that stands for a per-piece template's files in the DAG."""
    return template.replace("{piece}.flac", "batches/{batch}.json")


# What each rule writes (the files Snakemake tracks), first the names without
# wildcards (summary.csv before the score table of a system called "summary").
OUTPUTS = {
    "download": [CORPUS_CHECKED],
    "manifest": [MANIFEST, "results/skipped.csv"],
    "summarise": [SUMMARY],
    "report_tables": ["results/report/summary.html", "results/report/config.html"],
    "compare": [COMPARE],
    "render": [record_of(RENDER)],
    "degrade": [record_of(DEGRADE)],
    "baseline": [record_of(BASELINE)],
    "enhance": [record_of(ENHANCE)],
    "enhance_collab": [record_of(COLLAB)],
    "shard": [SHARD_BATCH],
    "train": [CHECKPOINT, METRICS],
    "score": [SCORE],
    "report": [f"{REPORT}/spectrogram.png", f"{REPORT}/curves.png",
               f"{REPORT}/excerpts.html"],
}
# The stage (its code, config.STAGE_ENTRIES) of each rule, where the names differ.
RULE_STAGE = {"summarise": "score", "report_tables": "report", "compare": "report",
              "enhance_collab": "enhance"}
# The plan's job method of each rule, where the names differ.
RULE_JOB = {"enhance_collab": "collab"}


def info_of(path: str) -> str:
    """The JSON written beside an audio file (drawn values, enhancement timing)."""
    return path.removesuffix(".flac") + ".json"


def piece_batch(piece: str, batches: int) -> str:
    return str(int(hashlib.sha256(piece.encode()).hexdigest()[:12], 16) % batches)


def batch_count(pieces: int, pieces_per_job: int) -> int:
    """A power of two near pieces / pieces_per_job: stable while the corpus grows."""
    jobs = max(1, math.ceil(pieces / pieces_per_job))
    return 1 << (jobs - 1).bit_length()


class Plan:
    """Built from a validated config (defaults filled in); ``use_pieces`` gives it the
    manifest table (columns id, split, midi, duration) once the pieces are known."""

    def __init__(self, config: dict):
        # Validated here too (filling the schema's defaults) for callers that built or
        # edited a config by hand; validating a filled config changes nothing.
        config = copy.deepcopy(config)
        validate_config(config, SCHEMA)
        check_config(config)
        self.config = copy.deepcopy(config)
        self.tasks = sorted(config["tasks"])
        # Identity experiments train the feature loss's autoencoders; they enhance nothing.
        self.experiments = sorted(e for e, spec in config["experiments"].items()
                                  if not spec["identity"])
        # Per task, the degraded input as is ("<task>.input") and the classical
        # baselines its chain calls for ("<task>.cubic"; experiment names hold no dot).
        self.baselines = {f"{task}.{method}": (task, method) for task in self.tasks
                          for method in ["input", *task_baselines(self.chain(task))]}
        # The same trained GAN with collaborative sampling at enhancement time.
        self.collab = {f"{e}.collab": e for e in self.experiments
                       if config["experiments"][e]["collab"]}
        # Unseen timbres: every system again on test pieces rendered with another
        # SoundFont ("<system>@<soundfont>"), through virtual instruments, tasks and
        # (untrained) experiments named "<name>@<soundfont>" ('@' is in no config name).
        # The names are for display and paths: what a variant stands for is recorded
        # (evaluated: each such experiment -> the trained one whose generator it uses).
        self.evaluated = {}
        # More timbres to train on: per task, the variants whose train and validation
        # pairs join its shards (rendered with another SoundFont, "<task>@<soundfont>").
        self.training = {task: [self._variant(task, soundfont, path, "training")
                                for soundfont, path in config["tasks"][task]["training"][
                                    "soundfonts"].items()]
                         for task in self.tasks}
        for task in self.tasks:
            for soundfont, path in config["tasks"][task]["evaluation"]["soundfonts"].items():
                self._add_variant(task, soundfont, path)
        self.systems = (self.experiments + sorted(self.evaluated) + sorted(self.collab)
                        + sorted(self.baselines))
        self._table = None
        self._shard_plans = {}
        # Set by the workflow: what the corpus is made from (the download stage's
        # source fingerprint) and, for a local source read in place, each piece's
        # MIDI digest, so that a render reruns when its own file changes, not another's.
        self.source = None
        self.midi_digest = None
        self._records = {}

    def _variant(self, task: str, soundfont: str, path: str, block: str) -> str:
        """The task ``<task>@<soundfont>``: its instruments rendered with ``path``."""
        spec = {**copy.deepcopy(self.config["tasks"][task]), "training": {"soundfonts": {}},
                "evaluation": {"soundfonts": {}}}
        variant = f"{task}@{soundfont}"
        for side in ("input", "target"):
            name = spec[side]["instrument"]
            timbre = {**self.config["instruments"][name], "soundfont": path}
            if self.config["instruments"].setdefault(f"{name}@{soundfont}", timbre) != timbre:
                raise ValueError(f"config: tasks.{task}.{block}.soundfonts.{soundfont}: "
                                 f"another task names a different SoundFont {soundfont!r}")
            spec[side]["instrument"] = f"{name}@{soundfont}"
        self.config["tasks"][variant] = spec
        return variant

    def _add_variant(self, task: str, soundfont: str, path: str) -> None:
        variant = self._variant(task, soundfont, path, "evaluation")
        for method in ["input", *task_baselines(self.chain(task))]:
            self.baselines[f"{task}.{method}@{soundfont}"] = (variant, method)
        for experiment in self.experiments:
            if self.config["experiments"][experiment]["task"] == task:
                name = f"{experiment}@{soundfont}"
                self.config["experiments"][name] = {
                    **self.config["experiments"][experiment], "task": variant}
                self.evaluated[name] = experiment
                if f"{experiment}.collab" in self.collab:
                    self.collab[f"{experiment}.collab@{soundfont}"] = name

    # -- the pieces ----------------------------------------------------------------

    def use_pieces(self, table: pd.DataFrame) -> None:
        check_windows(self.config, table)
        self._table = table.reset_index(drop=True)
        self._shard_plans.clear()
        self._records.clear()
        for derived in ("midi", "_batch", "durations"):
            self.__dict__.pop(derived, None)

    @property
    def has_pieces(self) -> bool:
        return self._table is not None

    @property
    def table(self) -> pd.DataFrame:
        if self._table is None:
            raise RuntimeError("the plan has no pieces yet (use_pieces)")
        return self._table

    def pieces(self, split: str | None = None) -> list[str]:
        table = self.table if split is None else self.table[self.table["split"] == split]
        return table["id"].tolist()

    @cached_property
    def midi(self) -> dict:
        return dict(zip(self.table["id"], self.table["midi"], strict=True))

    @cached_property
    def _batch(self) -> dict:
        batches = {}
        for split, group in self.table.groupby("split"):
            count = batch_count(len(group), self.config["pieces_per_job"])
            batches.update({p: f"{split}-{piece_batch(p, count)}" for p in group["id"]})
        return batches

    @staticmethod
    def _order(batch: str) -> tuple:
        split, index = batch.rsplit("-", 1)
        return [*TRAIN_SPLITS, "test"].index(split), int(index)

    def batch_pieces(self, batch: str) -> list[str]:
        return [p for p in self.pieces() if self._batch[p] == batch]

    def batches(self, split: str | None = None) -> list[str]:
        """The batches holding pieces (of ``split``), in split and numeric order."""
        return self.batches_of(self.pieces(split))

    def batches_of(self, pieces) -> list[str]:
        return sorted({self._batch[p] for p in pieces}, key=self._order)

    # -- tasks and their files -----------------------------------------------------

    def chain(self, task: str) -> list[dict]:
        name = self.config["tasks"][task]["input"]["chain"]
        return self.config["chains"][name] if name else []

    def task_input(self, task: str) -> str:
        """The per-piece template of a task's input: the degraded render, or the render."""
        spec = self.config["tasks"][task]
        chain = spec["input"]["chain"]
        return fill(DEGRADE if chain else RENDER, chain=chain,
                    instrument=spec["input"]["instrument"], rate=spec["sample_rate"])

    def task_target(self, task: str) -> str:
        spec = self.config["tasks"][task]
        return fill(RENDER, instrument=spec["target"]["instrument"], rate=spec["sample_rate"])

    def system_task(self, system: str) -> str:
        if system in self.baselines:
            return self.baselines[system][0]
        return self.config["experiments"][self.collab.get(system, system)]["task"]

    def estimate(self, system: str) -> str:
        """The per-piece template of a system's estimates."""
        if system in self.collab:
            return fill(COLLAB, experiment=self.collab[system])
        if system not in self.baselines:
            return fill(ENHANCE, experiment=system)
        task, method = self.baselines[system]
        if method == "input":
            return self.task_input(task)
        return fill(BASELINE, task=task, method=method)

    def records(self, template: str, pieces) -> list[str]:
        """The batch records standing for ``template``'s files of ``pieces``."""
        return [record_of(template).format(batch=b) for b in self.batches_of(pieces)]

    @staticmethod
    def files(template: str, pieces) -> list[str]:
        return [template.format(piece=p) for p in pieces]

    # -- per-piece batch jobs: {"pieces", "inputs", records in} per rule ------------

    def render_job(self, instrument: str, rate: int, batch: str) -> dict:
        pieces = self.batch_pieces(batch)
        out = fill(RENDER, instrument=instrument, rate=rate)
        spec = {**self.config["instruments"][instrument],
                "soundfont": self.instrument_soundfont(instrument)}
        if self.midi_digest:  # read in place from a local source: each file by its bytes
            midi = {"pieces": {p: self.midi_digest(p) for p in pieces}}
        elif self.config["source"] == "demo":  # the corpus is a function of these
            midi = {"demo": self.config["demo"], "seed": self.config["seed"], "pieces": pieces}
        else:  # extracted from a download: a function of its URL and checksum
            midi = {"source": self.source, "pieces": pieces}
        return {"pieces": pieces, "midi": [self.midi[p] for p in pieces],
                "outputs": self.files(out, pieces),
                "instrument": canonical(spec),
                "options": block_args("render", self.config["render"]),
                "config": {"render": self.config["render"],
                           f"instruments.{instrument}": self.config["instruments"][instrument],
                           "midi": midi},
                "depends": []}

    def degrade_job(self, chain: str, instrument: str, rate: int, batch: str) -> dict:
        pieces = self.batch_pieces(batch)
        source = fill(RENDER, instrument=instrument, rate=rate)
        out = fill(DEGRADE, chain=chain, instrument=instrument, rate=rate)
        return {"pieces": pieces, "records": self.records(source, pieces),
                "inputs": self.files(source, pieces), "outputs": self.files(out, pieces),
                "values": self.files(info_of(out), pieces),
                "chain": canonical(self.config["chains"][chain]),
                "options": block_args("degrade", self.config["degrade"]),
                "config": {f"chains.{chain}": self.config["chains"][chain],
                           "seed": self.config["seed"], "degrade": self.config["degrade"],
                           "pieces": pieces}}

    def baseline_job(self, task: str, method: str, batch: str) -> dict:
        pieces = self.batch_pieces(batch)
        rates = [s["low_rate"] for s in self.chain(task) if s["step"] == "resample"]
        return {"pieces": pieces, "records": self.records(self.task_input(task), pieces),
                "inputs": self.files(self.task_input(task), pieces),
                "outputs": self.files(fill(BASELINE, task=task, method=method), pieces),
                # The upsamplers start from the chain's first resample rate.
                "low_rate": rates[0] if rates else 0,
                "config": {"low_rate": rates[0] if rates else 0, "pieces": pieces}}

    def enhance_job(self, experiment: str, batch: str, collab: bool = False) -> dict:
        task = self.config["experiments"][experiment]["task"]
        pieces = self.batch_pieces(batch)
        out = fill(COLLAB if collab else ENHANCE, experiment=experiment)
        # An unseen-timbre experiment enhances with the trained experiment's generator.
        checkpoint = CHECKPOINT.format(experiment=self.evaluated.get(experiment, experiment))
        return {"pieces": pieces, "records": self.records(self.task_input(task), pieces),
                "inputs": self.files(self.task_input(task), pieces), "checkpoint": checkpoint,
                "outputs": self.files(out, pieces), "infos": self.files(info_of(out), pieces),
                "options": block_args("enhance", self.config["enhance"]),
                "config": {"enhance": self.config["enhance"], "pieces": pieces},
                "depends": [*self.records(self.task_input(task), pieces), checkpoint]}

    def collab_job(self, experiment: str, batch: str) -> dict:
        """Enhancement with collaborative sampling: what sampling needs of the collab
        block (shaping is training's)."""
        spec = dict(self.config["experiments"][experiment]["collab"])
        spec.pop("shaping_iters", None)
        job = self.enhance_job(experiment, batch, collab=True)
        job["config"][f"experiments.{experiment}.collab"] = spec
        return {**job, "options": [*job["options"], "--collab", canonical(spec)]}

    # -- shards, training, scores, report ----------------------------------------

    def instrument_soundfont(self, instrument: str) -> str:
        return (self.config["instruments"][instrument]["soundfont"]
                or self.config["render"]["soundfont"])

    def soundfont(self, task: str) -> str:
        """The SoundFont a task's targets are rendered with."""
        return self.instrument_soundfont(self.config["tasks"][task]["target"]["instrument"])

    def shard_plan(self, task: str, split: str) -> list[list[tuple[str, str]]]:
        """(piece, source task) pairs per shard of a task's split, packed from the
        manifest's durations: the task's own pairs, then each training SoundFont's."""
        if (task, split) not in self._shard_plans:
            spec, settings = self.config["tasks"][task], self.config["shard"]
            chosen = self.table[self.table["split"] == split]
            entries = [(piece, source) for source in [task, *self.training[task]]
                       for piece in chosen["id"]]
            plan = plan_shards(
                list(range(len(entries))), chosen["duration"].tolist() * (
                    1 + len(self.training[task])), spec["sample_rate"],
                self.config["render"]["tail"], spec["window"], spec["stride"],
                settings["max_bytes"], settings["sample_format"])
            self._shard_plans[task, split] = [[entries[i] for i in shard] for shard in plan]
        return self._shard_plans[task, split]

    def shards(self, task: str, split: str) -> list[str]:
        return [SHARD.format(task=task, split=split, index=i)
                for i in range(len(self.shard_plan(task, split)))]

    def shard_batches(self, task: str, split: str) -> list[range]:
        """The shard indices each shard job of a task's split writes."""
        count, per_job = len(self.shard_plan(task, split)), self.config["shard"]["shards_per_job"]
        return [range(start, min(start + per_job, count)) for start in range(0, count, per_job)]

    def shard_records(self, task: str, split: str) -> list[str]:
        return [SHARD_BATCH.format(task=task, split=split, index=b)
                for b in range(len(self.shard_batches(task, split)))]

    def shard_job(self, task: str, split: str, index: int) -> dict:
        indices = self.shard_batches(task, split)[int(index)]
        shards = [self.shard_plan(task, split)[i] for i in indices]
        entries = [entry for shard in shards for entry in shard]
        sources = {source: [p for p, s in entries if s == source] for _, source in entries}
        job = {"pieces": [p for p, _ in entries],
               "counts": [len(shard) for shard in shards],
               "outputs": [SHARD.format(task=task, split=split, index=i) for i in indices],
               "records": sorted({r for source, pieces in sources.items()
                                  for template in (self.task_input(source),
                                                   self.task_target(source))
                                  for r in self.records(template, pieces)}),
               "inputs": [self.task_input(s).format(piece=p) for p, s in entries],
               "targets": [self.task_target(s).format(piece=p) for p, s in entries],
               "values": ([info_of(self.task_input(s)).format(piece=p) for p, s in entries]
                          if self.chain(task) else [])}
        settings = self.config["shard"]
        options = [*block_args("shard", settings),
                   "--soundfonts", *(self.soundfont(s) for _, s in entries),
                   *(["--values", *job["values"]] if job["values"] else [])]
        # What the windows depend on: the task's block (not its test-time timbres),
        # its chain and the SoundFonts of its pairs.
        block = {k: v for k, v in self.config["tasks"][task].items() if k != "evaluation"}
        digest = canonical({"task": block, "chain": self.chain(task),
                            "soundfonts": sorted({self.soundfont(s) for _, s in entries})})
        # Locking changes how the files are opened, and the job size how they are
        # grouped into jobs, not what they hold.
        written = {k: v for k, v in settings.items()
                   if k not in ("file_locking", "shards_per_job")}
        chain = self.config["tasks"][task]["input"]["chain"]
        return {**job, "options": options, "window": self.config["tasks"][task][
            "window"], "stride": self.config["tasks"][task]["stride"],
                "config_hash": hashlib.sha256(digest.encode()).hexdigest()[:16],
                "config": {f"tasks.{task}": block, "shard": written,
                           **({f"chains.{chain}": self.chain(task)} if chain else {}),
                           "render.tail": self.config["render"]["tail"],
                           "shards": {out: [list(entry) for entry in shard] for out, shard
                                      in zip(job["outputs"], shards, strict=True)}}}

    def train_job(self, experiment: str) -> dict:
        spec = dict(self.config["experiments"][experiment])
        task = spec["task"]
        # Sampling-only collab keys matter to training only through shaping: without
        # shaping they are left out, so changing them reruns enhance_collab alone.
        if spec["collab"] and not spec["collab"]["shaping_iters"]:
            spec["collab"] = None
        autoencoder = ([CHECKPOINT.format(experiment=spec["autoencoder"])]
                       if spec["losses"]["feature"] else [])
        records = [*self.shard_records(task, "train"), *self.shard_records(task, "validation")]
        return {"train": self.shards(task, "train"), "valid": self.shards(task, "validation"),
                "records": records, "autoencoder": autoencoder, "spec": canonical(spec),
                "options": ["--autoencoder", *autoencoder] if autoencoder else [],
                "config": {f"experiments.{experiment}": spec, "seed": self.config["seed"]},
                "depends": [*records, *autoencoder]}

    # -- what each job asks of a cluster (resources.py) -----------------------------

    def threads(self, rule: str) -> int:
        threads = self.config["cluster"]["threads"]
        return threads.get(RULE_STAGE.get(rule, rule), threads["default"])

    def parameters(self, experiment: str) -> int:
        """The generator's parameter count (an unseen-timbre variant has its trained
        experiment's model; built on the meta device: no memory)."""
        return model_parameters(canonical(self.config["experiments"][experiment]["model"]))

    def uses_gpu(self, experiment: str) -> bool:
        return resources.uses_gpu(self.parameters(experiment), self.config["cluster"])

    @cached_property
    def durations(self) -> pd.Series:
        """Each piece's rendered length (seconds, with the render tail), by id."""
        return self.table.set_index("id")["duration"] + self.config["render"]["tail"]

    def audio_seconds(self, pieces) -> tuple[float, float]:
        """Seconds of audio of ``pieces`` together, and of the longest."""
        durations = self.durations.loc[list(pieces)]
        return float(durations.sum()), float(durations.max())

    def rate_of(self, wildcards: dict) -> int:
        """The sample rate a job's files are at, from its wildcards."""
        if "rate" in wildcards:
            return int(wildcards["rate"])
        if "experiment" in wildcards:
            task = self.config["experiments"][wildcards["experiment"]]["task"]
        else:
            task = wildcards.get("task") or self.system_task(wildcards["system"])
        return self.config["tasks"][task]["sample_rate"]

    def resources(self, rule: str, wildcards: dict, attempt: int = 1) -> dict:
        """runtime (minutes), mem_mb and gpu of a job, from its estimate; each retry
        (``attempt``) asks cluster.escalation times more."""
        return resources.asked(self.estimate_job(rule, wildcards), self.config["cluster"],
                               attempt)

    def estimate_job(self, rule: str, wildcards: dict) -> dict:
        """The seconds a job's work takes on its threads (or GPU), its memory beyond a
        process's base and its GPU count (resources.py)."""
        cluster, threads = self.config["cluster"], self.threads(rule)
        if rule == "train":
            return self._train_estimate(wildcards["experiment"], threads)
        if rule in ("enhance", "enhance_collab"):
            rate = self.rate_of(wildcards)
            seconds, longest = self.audio_seconds(self.batch_pieces(wildcards["batch"]))
            factor = cluster["throughput"]["collab_factor"] if rule == "enhance_collab" else 1
            parameters = self.parameters(wildcards["experiment"])
            streamed = min(longest, BLOCK_SECONDS)  # longer files stream in blocks
            return resources.model_job(
                "enhance", factor * seconds * rate * parameters, parameters, threads, cluster,
                cluster["memory"]["enhance"] * streamed / 60 * rate / resources.REFERENCE_RATE)
        if rule in resources.AUDIO_STAGES:
            pieces = self.job_of(rule, wildcards)["pieces"]
            seconds, longest = self.audio_seconds(pieces)
            return resources.audio_job(rule, seconds, longest, self.rate_of(wildcards),
                                       len(pieces), threads, cluster)
        return {"seconds": 0.0, "memory_mb": 0.0, "gpu": 0}

    def _train_estimate(self, experiment: str, threads: int) -> dict:
        """Steps x batch x window samples through the generator; a GAN step costs
        throughput.gan_factor plain ones. From the config alone: Snakemake evaluates
        a train job's resources where the pieces may not be known yet."""
        spec, cluster = self.config["experiments"][experiment], self.config["cluster"]
        samples = spec["steps"] * spec["batch_size"] * self.config["tasks"][spec["task"]][
            "window"]
        if spec["discriminator"]:
            samples *= cluster["throughput"]["gan_factor"]
        parameters = self.parameters(experiment)
        return resources.model_job("train", samples * parameters, parameters, threads,
                                   cluster, cluster["memory"]["train"])

    def score_job(self, system: str) -> dict:
        task, pieces = self.system_task(system), self.pieces("test")
        cutoff = chain_cutoff(self.chain(task))
        # Trained systems wrote their timing beside each output.
        infos = ([] if system in self.baselines else self.files(info_of(self.estimate(system)),
                                                                 pieces))
        return {"task": task, "pieces": pieces,
                "config": {"score": self.config["score"], "pieces": pieces, "low_hz": cutoff},
                "options": [*block_args("score", self.config["score"]),
                            *(["--infos", *infos] if infos else []),
                            *(["--low-hz", str(cutoff)] if cutoff else [])],
                "records": sorted({*self.records(self.estimate(system), pieces),
                                   *self.records(self.task_target(task), pieces)}),
                "estimates": self.files(self.estimate(system), pieces),
                "targets": self.files(self.task_target(task), pieces)}

    def report_job(self, experiment: str) -> dict:
        """{piece: [[label, path], ...]} for the first two test pieces of the experiment's
        task: input, target, baselines, output, collab (lists keep this order)."""
        task = self.config["experiments"][experiment]["task"]
        methods = [m for t, m in self.baselines.values() if t == task and m != "input"]
        collabs = [c for c, e in self.collab.items() if e == experiment]
        pieces = self.pieces("test")[:2]
        layout = {piece: [["input", self.task_input(task).format(piece=piece)],
                          ["target", self.task_target(task).format(piece=piece)],
                          *[[m, self.estimate(f"{task}.{m}").format(piece=piece)]
                            for m in methods],
                          *[[s, self.estimate(s).format(piece=piece)]
                            for s in [experiment, *collabs]]]
                  for piece in pieces}
        templates = [self.task_input(task), self.task_target(task),
                     *[self.estimate(s) for s in [f"{task}.{m}" for m in methods]
                       + [experiment, *collabs]]]
        records = sorted({r for t in templates for r in self.records(t, pieces)})
        return {"pieces": canonical(layout), "records": records,
                "config": {"pieces": layout},
                "depends": [*records, METRICS.format(experiment=experiment)]}

    def compared_tasks(self) -> list[str]:
        """The tasks with a model to compare: those of the trained experiments."""
        return sorted({self.config["experiments"][e]["task"] for e in self.experiments})

    def compare_job(self, task: str) -> dict:
        """[[label, path], ...] of the first test piece: input, target, then every
        model of the task (its experiments and their collaborative sampling) and the
        task's baselines, side by side."""
        piece = self.pieces("test")[0]
        systems = [s for s in self.systems if self.system_task(s) == task
                   and (s not in self.baselines or self.baselines[s][1] != "input")]
        templates = [self.task_input(task), self.task_target(task),
                     *(self.estimate(s) for s in systems)]
        layout = [[label, template.format(piece=piece)] for label, template in
                  zip(["input", "target", *systems], templates, strict=True)]
        records = sorted({r for t in templates for r in self.records(t, [piece])})
        return {"files": canonical(layout), "records": records,
                "config": {"files": layout}}

    # -- whole-run jobs -------------------------------------------------------------

    def download_job(self) -> dict:
        if self.config["source"] == "demo":
            return {"config": {"demo": self.config["demo"], "seed": self.config["seed"]},
                    "depends": []}
        return {"config": {"maestro": self.config["maestro"], "source": self.source},
                "depends": []}

    def manifest_job(self) -> dict:
        return {"config": {"manifest": self.config["manifest"],
                           "on_bad_midi": self.config["on_bad_midi"]},
                "depends": [CORPUS_CHECKED]}

    def summarise_job(self) -> dict:
        return {"config": {"seed": self.config["seed"]},
                "depends": [SCORE.format(system=s) for s in self.systems]}

    def report_tables_job(self) -> dict:
        return {"config": {"": self.config}, "depends": [SUMMARY]}

    # -- provenance -----------------------------------------------------------------

    def job_of(self, rule: str, wildcards: dict) -> dict:
        """The job of ``rule`` for ``wildcards``: its inputs, outputs, arguments, the
        config values it depends on and the files it reads (``depends``)."""
        job = getattr(self, f"{RULE_JOB.get(rule, rule)}_job")(**wildcards)
        job.setdefault("depends", job.get("records", []))
        return job

    def provenance(self, rule: str, wildcards: dict) -> dict:
        """The provenance record of a job (``provenance.py``): the config values its
        outputs depend on, its stage's code, and the keys of the jobs it reads from.
        Each is built once: every job below it asks for its key."""
        job_id = (rule, tuple(sorted((k, str(v)) for k, v in wildcards.items())))
        if job_id not in self._records:
            job = self.job_of(rule, wildcards)
            self._records[job_id] = {
                "rule": rule, "job": dict(job_id[1]), "config": _normalise(job["config"]),
                "code": stage_code(RULE_STAGE.get(rule, rule)),
                "inputs": {path: self.key_of(path) for path in job["depends"]}}
        return self._records[job_id]

    def key_of(self, path: str) -> str:
        """The provenance key of the job that writes ``path``."""
        return record_key(self.provenance(*producer(path)))

    def targets(self) -> list[str]:
        """What a whole run makes (the rule ``all``)."""
        return [MANIFEST, SUMMARY, OUTPUTS["report_tables"][0],
                *(OUTPUTS["report"][0].format(experiment=e) for e in self.experiments),
                *(COMPARE.format(task=t) for t in self.compared_tasks())]

    def jobs_below(self, paths) -> list[tuple[str, dict]]:
        """(rule, wildcards) of every job that ``paths`` are made by or from."""
        seen, jobs, todo = set(), [], list(paths)
        while todo:
            rule, wildcards = producer(todo.pop())
            if (rule, tuple(sorted(wildcards.items()))) not in seen:
                seen.add((rule, tuple(sorted(wildcards.items()))))
                jobs.append((rule, wildcards))
                todo.extend(self.job_of(rule, wildcards)["depends"])
        return jobs

    @staticmethod
    def stamp(rule: str, wildcards: dict) -> str:
        """Where a job's provenance record lives: by rule, then its output's wildcards."""
        fields = re.findall(r"{(\w+)}", OUTPUTS[rule][0])
        return "/".join([STAMPS, rule, *(str(wildcards[f]) for f in fields)]) + ".json"


@cache
def model_parameters(model: str) -> int:
    """The parameter count of a generator (its canonical JSON spec)."""
    import torch

    from ..training.models import build_model, parameter_count

    with torch.device("meta"):
        return parameter_count(build_model(json.loads(model)))


def _pattern(template: str):
    return re.compile("".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{")
                              else re.escape(part)
                              for part in re.split(r"({\w+})", template)) + "$")


PRODUCERS = [(rule, _pattern(template)) for rule, templates in OUTPUTS.items()
             for template in templates]


def producer(path: str) -> tuple[str, dict]:
    """(rule, wildcards) of the job that writes ``path``."""
    for rule, pattern in PRODUCERS:
        match = pattern.match(path)
        if match:
            return rule, match.groupdict()
    raise ValueError(f"{path}: no rule writes this file")


def check_config(config: dict) -> None:
    """Cross-references the schema cannot express, each error naming its key."""
    for name, task in config["tasks"].items():
        for side in ("input", "target"):
            if task[side]["instrument"] not in config["instruments"]:
                raise ValueError(f"config: tasks.{name}.{side}.instrument: unknown "
                                 f"instrument {task[side]['instrument']!r}")
        chain = task["input"]["chain"]
        if chain is not None and chain not in config["chains"]:
            raise ValueError(f"config: tasks.{name}.input.chain: unknown chain {chain!r}")
        if window_error(task["window"]):
            raise ValueError(f"config: tasks.{name}.window: {window_error(task['window'])}")
        for index, step in enumerate(config["chains"][chain] if chain else []):
            if step["step"] == "resample" and resample_error(step, task["sample_rate"]):
                raise ValueError(f"config: chains.{chain}[{index}].low_rate: "
                                 f"{resample_error(step, task['sample_rate'])} of task {name!r}")
    from ..data.render import gm_program  # FluidSynth's bindings: only when planning

    programs = {}
    for name, spec in config["instruments"].items():
        try:
            programs[name] = gm_program(name, spec["program"])
        except ValueError as err:  # names the instrument's key
            raise ValueError(f"config: {err}") from None
        key = f"instruments.{name}.soundfont" if spec["soundfont"] else "render.soundfont"
        _check_soundfont(key, spec["soundfont"] or config["render"]["soundfont"], name,
                         programs[name])
    for name, task in config["tasks"].items():
        for block in ("training", "evaluation"):
            for soundfont, path in task[block]["soundfonts"].items():
                for instrument in dict.fromkeys([task["input"]["instrument"],
                                                 task["target"]["instrument"]]):
                    _check_soundfont(f"tasks.{name}.{block}.soundfonts.{soundfont}", path,
                                     instrument, programs[instrument])
    for name, experiment in config["experiments"].items():
        _check_experiment(config, name, experiment)


def _check_soundfont(key: str, path: str, instrument: str, program: int) -> None:
    """The SoundFont exists and defines the instrument's program (FluidSynth would
    play another preset with only a warning)."""
    from ..data.render import soundfont_presets

    if not Path(path).is_file():
        raise ValueError(f"config: {key}: SoundFont {path} does not exist "
                         f"(instrument {instrument!r})")
    try:
        presets = soundfont_presets(str(path))
    except (OSError, ValueError) as err:
        raise ValueError(f"config: {key}: {err}") from None
    if (0, program) not in presets:
        raise ValueError(f"config: {key}: SoundFont {path} has no General MIDI program "
                         f"{program} (bank 0), which instrument {instrument!r} plays")


def _check_experiment(config: dict, name: str, experiment: dict) -> None:
    key = f"config: experiments.{name}"
    if experiment["task"] not in config["tasks"]:
        raise ValueError(f"{key}.task: unknown task {experiment['task']!r}")
    for error in recipe_errors(experiment):
        raise ValueError(f"{key}.{error}")
    window = config["tasks"][experiment["task"]]["window"]
    if window_error(window, experiment["model"]):
        raise ValueError(f"config: tasks.{experiment['task']}.window: "
                         f"{window_error(window, experiment['model'])}, the model of "
                         f"experiment {name!r}")
    source = experiment["autoencoder"]
    if experiment["losses"]["feature"] and (source not in config["experiments"] or not config[
            "experiments"][source]["identity"]):
        raise ValueError(f"{key}.autoencoder: losses.feature needs an experiment with "
                         f"identity: true, got {source!r}")


def check_windows(config: dict, table: pd.DataFrame) -> None:
    """Every task's train and validation pieces must hold at least one window."""
    tail = config["render"]["tail"]
    for name, task in config["tasks"].items():
        for split in TRAIN_SPLITS:
            durations = table.loc[table["split"] == split, "duration"]
            if len(durations) and not any(
                    predicted_windows(d, task["sample_rate"], tail, task["window"],
                                      task["stride"]) for d in durations):
                raise ValueError(
                    f"config: tasks.{name}.window: {task['window']} samples "
                    f"({task['window'] / task['sample_rate']:.2f} s) is longer than every "
                    f"{split} piece (the longest lasts {durations.max() + tail:.2f} s "
                    f"with the render tail)")
