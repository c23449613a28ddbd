"""``music-enhance``: one subcommand per pipeline stage; the Snakemake rules call these."""

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__
from .core.defaults import (
    block_keys,
    block_options,
    filled,
    first_error,
    option_flag,
    schema,
    schema_default,
)

log = logging.getLogger("music_enhance")


def json_arg(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON: {err}") from err


def add_block_options(sub, block: str) -> None:
    """One flag per key of a config block (``core.defaults.BLOCK_OPTIONS``), declared by
    the schema: type, choices, default and help."""
    for key, node in block_options(block).items():
        types = node.get("type", [])
        types = types if isinstance(types, list) else [types]
        convert = int if "integer" in types else float if "number" in types else None
        sub.add_argument(option_flag(key), type=checked(convert, node) if convert else None,
                         choices=node.get("enum"),
                         default=node["default"], help=f"{node.get('description', '')} "
                         f"(config: {block}.{key})")


def checked(convert, node: dict):
    """An argument type: a number checked against its schema (minimum, maximum)."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        error = first_error(value, node, "")
        if error:
            raise argparse.ArgumentTypeError(error.removeprefix("(top level): "))
        return value
    parse.__name__ = convert.__name__
    return parse


def block_values(args, block: str) -> dict:
    return {key: getattr(args, key) for key in block_keys(block)}


# [[label, audio path], ...] in display order: the report's and compare's layouts.
LABELLED_FILES = {"type": "array", "minItems": 1,
                  "items": {"type": "array", "minItems": 2, "maxItems": 2,
                            "items": {"type": "string"}}}


def shaped_arg(shape: dict):
    """An argument type: JSON of the given JSON-schema shape."""
    def parse(text: str):
        value = json_arg(text)
        error = first_error(value, shape, "")
        if error:
            raise argparse.ArgumentTypeError(error.removeprefix("(top level): "))
        return value
    parse.__name__ = "JSON"
    return parse


def config_arg(definition: str):
    """An argument type: JSON checked against the config schema's ``definition``, the
    same rules as the pipeline's config, with the schema's defaults filled in."""
    def parse(text: str):
        try:
            return filled(definition, json_arg(text), "")
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err).removeprefix("(top level): ")) from err
    parse.__name__ = definition  # argparse names the type in its message
    return parse


def cmd_demo(args):
    import pandas as pd

    from .data.demo import write_demo_corpus
    from .data.manifest import BAD_COLUMNS, write_checked
    table = write_demo_corpus(args.out_dir, args.pieces, args.min_duration, args.max_duration,
                              args.seed)
    # The maestro source's contract: the record of unreadable MIDI (none here).
    write_checked(args.checked, "demo", pd.DataFrame(columns=BAD_COLUMNS))
    log.info("wrote %d demo pieces under %s", len(table), args.out_dir)


def cmd_download(args):
    from .data.download import download_maestro
    bad = download_maestro(args.out_dir, args.checked, args.maestro, args.cache_dir)
    log.info("corpus ready in %s; %d unreadable MIDI files", args.out_dir, len(bad))


def cmd_download_audio(args):
    from .data.download import download_audio
    download_audio(args.out_dir, args.url, args.sha256, args.cache_dir)
    log.info("audio archive extracted to %s", args.out_dir)


def cmd_manifest(args):
    from .data.manifest import write_manifest
    table = write_manifest(args.corpus_dir, args.checked, args.filters, args.out_csv,
                           args.skipped, args.on_bad_midi)
    log.info("manifest: %s", table["split"].value_counts().to_dict())


def same_length(args, *names) -> None:
    lengths = {name: len(getattr(args, name) or []) for name in names}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{' / '.join('--' + n for n in names)}: one file each, got "
                         f"{lengths}")


def cmd_render(args):
    from .core.batch import run_batch
    from .data.render import render
    spec = args.instrument
    if not spec["soundfont"]:
        raise ValueError("--instrument: soundfont: the SoundFont to render with is needed")
    same_length(args, "midi", "outputs")

    def one(index):
        return render(args.midi[index], args.outputs[index], args.name, spec["program"],
                      spec["soundfont"], args.rate, **block_values(args, "render"))
    run_batch(args.record, args.outputs, one)


def cmd_degrade(args):
    from .core.batch import run_batch
    from .data.degrade import degrade
    same_length(args, "pieces", "inputs", "outputs", "values")

    def one(index):
        return degrade(args.inputs[index], args.outputs[index], args.values[index],
                       args.chain_name, args.chain, args.seed, args.pieces[index],
                       **block_values(args, "degrade"))
    run_batch(args.record, args.outputs, one)


def cmd_shard(args):
    import os

    from .core.batch import run_batch
    from .data.shard import shard_pieces
    # The pipeline turns locking off through HDF5's own switch (shard.file_locking).
    log.info("HDF5_USE_FILE_LOCKING=%s", os.environ.get("HDF5_USE_FILE_LOCKING", "unset"))
    same_length(args, "pieces", "inputs", "targets", *(["values"] if args.values else []),
                *(["soundfonts"] if args.soundfonts else []))
    counts = args.counts or [len(args.pieces)]
    if len(counts) != len(args.outputs) or sum(counts) != len(args.pieces):
        raise SystemExit(f"shard: --counts {' '.join(map(str, counts))} must give one count "
                         f"per output ({len(args.outputs)}) summing to the "
                         f"{len(args.pieces)} pieces")
    starts = [sum(counts[:i]) for i in range(len(counts))]
    attrs = {"task": args.task, "split": args.split, "config_hash": args.config_hash}

    def one(index):
        part = slice(starts[index], starts[index] + counts[index])
        count = shard_pieces(args.pieces[part], args.inputs[part], args.targets[part],
                             args.outputs[index], args.window, args.stride, attrs,
                             args.values[part] if args.values else None,
                             args.soundfonts[part] if args.soundfonts else None,
                             file_locking=not args.no_file_locking,
                             **block_values(args, "shard"))
        return f"{count} windows of {counts[index]} pieces"
    run_batch(args.record, args.outputs, one)


def cmd_train(args):
    import os

    import torch

    from .training.recipe import recipe_errors
    from .training.train import train
    for error in recipe_errors(args.spec):
        raise ValueError(f"--spec: {error}")
    if args.spec["losses"]["feature"] and not args.autoencoder:
        raise ValueError("--autoencoder: losses.feature needs the autoencoder's checkpoint")
    # Where the job runs: on a cluster this shows the GPU SLURM handed over.
    log.info("CUDA_VISIBLE_DEVICES=%s, CUDA available: %s, HDF5_USE_FILE_LOCKING=%s",
             os.environ.get("CUDA_VISIBLE_DEVICES", "unset"), torch.cuda.is_available(),
             os.environ.get("HDF5_USE_FILE_LOCKING", "unset"))
    result = train(args.train_shards, args.valid_shards, args.checkpoint, args.metrics,
                   args.experiment, args.spec, args.seed, args.threads, args.autoencoder,
                   file_locking=not args.no_file_locking, provenance=args.provenance)
    log.info("trained %s: %s", args.experiment, result)
    if len(set(result["rank_digests"])) > 1:
        raise ValueError(f"{args.experiment}: ranks ended with different weights "
                         f"{result['rank_digests']}")


def cmd_enhance(args):
    from .core.batch import run_batch
    from .evaluation.enhance import enhance, output_error
    if args.files and (args.inputs or args.outputs or len(args.files) != 2):
        raise ValueError("give one input and one output file (IN OUT), or --inputs and "
                         "--outputs")
    if args.files:
        args.inputs, args.outputs = args.files[:1], args.files[1:]
    if not args.inputs or not args.outputs:
        raise ValueError("no input: give IN OUT, or --inputs and --outputs")
    same_length(args, "inputs", "outputs", *(["infos"] if args.infos else []))
    for source, out in zip(args.inputs, args.outputs, strict=True):
        if output_error(source, out):  # every pair, before the first file is enhanced
            raise ValueError(f"--outputs: {output_error(source, out)}")

    def one(index):
        info = enhance(args.inputs[index], args.outputs[index], args.checkpoint,
                       threads=args.threads, collab=args.collab, device=args.device,
                       **block_values(args, "enhance"))
        if args.infos:
            Path(args.infos[index]).write_text(json.dumps(info, indent=1) + "\n")
        return (f"{info['samples']} samples x {info['channels']} channels in "
                f"{info['seconds']:.1f} s, {info['real_time_factor']:.1f}x real time")
    run_batch(args.record, args.outputs, one)


def cmd_export(args):
    from .training.checkpoint import export_generator
    exported = export_generator(args.checkpoint, args.out, args.half)
    log.info("%s: %s at step %d, %d bytes", args.out, exported["experiment"],
             exported["step"], Path(args.out).stat().st_size)


def cmd_baseline(args):
    from .core.batch import run_batch
    from .evaluation.baselines import baseline
    same_length(args, "inputs", "outputs")
    run_batch(args.record, args.outputs, lambda index: baseline(
        args.inputs[index], args.outputs[index], args.method, args.low_rate))


def cmd_score(args):
    from .evaluation.score import score_system
    same_length(args, "pieces", "estimates", "targets", *(["infos"] if args.infos else []))
    scores = score_system(args.system, args.task, args.pieces, args.estimates, args.targets,
                          args.out, args.low_hz, infos=args.infos,
                          **block_values(args, "score"))
    log.info("%s: mean SNR %.3f dB, mean LSD %.4f", args.system, scores["snr"].mean(),
             scores["lsd"].mean())


def cmd_summarise(args):
    from .evaluation.score import summarise
    summary = summarise(args.scores, args.out, args.seed)
    print(summary[["system", "task", "pieces", "snr", "lsd", "lsd_high"]].to_string(index=False))


def cmd_report(args):
    from .evaluation.report import report_experiment
    report_experiment(args.pieces, args.metrics, args.out_dir, args.title)


def cmd_compare(args):
    from .evaluation.report import comparison_figure
    comparison_figure(dict(args.files), args.out, args.title)


def cmd_report_tables(args):
    from .evaluation.report import config_html, summary_html
    summary_html(args.summary, args.summary_html)
    config_html(args.config, args.config_html)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="music-enhance", description=__doc__)
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="command", required=True)
    for add in (corpus_commands, data_commands, training_commands, evaluation_commands,
                table_commands):
        add(sub)
    return p


RECORD = "JSON record of the batch written last (the file the DAG tracks)"


def corpus_commands(sub) -> None:
    """The corpus: the demo's MIDI, MAESTRO's download, the manifest."""
    s = sub.add_parser("demo", help="write the synthetic MIDI corpus (source: demo)")
    s.add_argument("out_dir")
    s.add_argument("checked", help="JSON record of the corpus (no unreadable MIDI)")
    s.add_argument("--pieces", type=int, default=schema_default("demo.pieces"),
                   help="number of pieces")
    s.add_argument("--min-duration", type=float, default=schema_default("demo.min_duration"),
                   help="shortest piece (s)")
    s.add_argument("--max-duration", type=float, default=schema_default("demo.max_duration"),
                   help="longest piece (s)")
    s.add_argument("--seed", type=int, required=True, help="the config's seed")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("download", help="fetch, verify and extract MAESTRO (source: maestro)")
    s.add_argument("out_dir")
    s.add_argument("checked", help="JSON record of the source and its unreadable MIDI files")
    s.add_argument("--maestro", type=config_arg("maestro"), required=True,
                   help='JSON: the config\'s maestro block, {"url"?, "sha256"?, "path"?}')
    s.add_argument("--cache-dir", default="results/download",
                   help="where the archive is downloaded (and resumed)")
    s.set_defaults(func=cmd_download)

    s = sub.add_parser("download-audio", help="fetch and extract the MAESTRO audio archive")
    s.add_argument("out_dir")
    s.add_argument("--url", required=True, help="the audio archive's URL")
    s.add_argument("--sha256", help="its SHA-256, verified when given")
    s.add_argument("--cache-dir", default="results/download",
                   help="where the archive is downloaded (and resumed)")
    s.set_defaults(func=cmd_download_audio)

    s = sub.add_parser("manifest", help="table of the pieces used")
    s.add_argument("corpus_dir")
    s.add_argument("checked", help="the download stage's record of the corpus")
    s.add_argument("out_csv")
    s.add_argument("--filters", type=config_arg("manifest"), default=filled("manifest", {}, ""),
                   help="JSON: the config's manifest block")
    s.add_argument("--skipped", help="CSV of the selected pieces left out as bad MIDI")
    s.add_argument("--on-bad-midi", choices=["fail", "skip"],
                   default=schema_default("on_bad_midi"),
                   help="unreadable MIDI: fail naming it, or skip and list it")
    s.set_defaults(func=cmd_manifest)


def data_commands(sub) -> None:
    """The per-piece data stages: render, degrade, and the shards."""
    s = sub.add_parser("render", help="render MIDI files with one instrument")
    s.add_argument("--midi", nargs="+", required=True, help="MIDI files")
    s.add_argument("--outputs", nargs="+", required=True, help="one audio file per MIDI")
    s.add_argument("--instrument", type=config_arg("instrument"), required=True,
                   help='JSON: an instrument block of the config, {"program", "soundfont"}')
    s.add_argument("--name", default="instrument", help="the instrument's name, in messages")
    s.add_argument("--rate", required=True, help="sample rate (Hz)",
                   type=checked(int, schema()["$defs"]["task"]["properties"]["sample_rate"]))
    add_block_options(s, "render")
    s.add_argument("--record", help=RECORD)
    s.set_defaults(func=cmd_render)

    s = sub.add_parser("degrade", help="apply a degradation chain to renders")
    s.add_argument("--pieces", nargs="+", required=True, help="piece ids (seed the draws)")
    s.add_argument("--inputs", nargs="+", required=True, help="clean renders, one per piece")
    s.add_argument("--outputs", nargs="+", required=True, help="degraded audio, one per piece")
    s.add_argument("--values", nargs="+", required=True, help="JSON files of the values drawn")
    s.add_argument("--chain-name", required=True, help="the chain's name (seeds the draws)")
    s.add_argument("--chain", type=config_arg("chain"), required=True,
                   help="JSON list of steps, as a chain of the config")
    s.add_argument("--seed", type=int, required=True, help="the config's seed")
    add_block_options(s, "degrade")
    s.add_argument("--record", help=RECORD)
    s.set_defaults(func=cmd_degrade)

    s = sub.add_parser("shard", help="window some pieces of one task's split into HDF5 shards")
    s.add_argument("--outputs", nargs="+", required=True, help="the HDF5 shards to write")
    s.add_argument("--counts", nargs="+", type=checked(int, {"minimum": 1}),
                   help="how many of the pieces (in order) each output holds; one "
                        "output holds them all when omitted")
    s.add_argument("--pieces", nargs="+", required=True, help="piece ids, one per input")
    s.add_argument("--inputs", nargs="+", required=True, help="input audio, one per piece")
    s.add_argument("--targets", nargs="+", required=True, help="target audio, one per piece")
    s.add_argument("--values", nargs="+", help="JSON of drawn degradation values per piece")
    s.add_argument("--soundfonts", nargs="+",
                   help="the SoundFont each piece's pair was rendered with (recorded)")
    s.add_argument("--window", type=int, required=True, help="window length (samples)")
    s.add_argument("--stride", type=int, required=True, help="hop between windows (samples)")
    s.add_argument("--task", required=True, help="the task's name (recorded)")
    s.add_argument("--split", required=True, help="train or validation (recorded)")
    s.add_argument("--config-hash", default="", help="hash of the task's config")
    s.add_argument("--no-file-locking", action="store_true",
                   help="HDF5 without file locks (some shared cluster filesystems)")
    s.add_argument("--record", help=RECORD)
    add_block_options(s, "shard")
    s.set_defaults(func=cmd_shard)


def training_commands(sub) -> None:
    """Training one experiment."""
    s = sub.add_parser("train", help="train one experiment")
    s.add_argument("checkpoint")
    s.add_argument("metrics")
    s.add_argument("--train-shards", nargs="+", required=True,
                   help="HDF5 shards of the training windows")
    s.add_argument("--valid-shards", nargs="+", required=True,
                   help="HDF5 shards of the validation windows")
    s.add_argument("--experiment", required=True, help="the experiment's name (seeds, messages)")
    s.add_argument("--spec", type=config_arg("experiment"), required=True,
                   help="JSON: an experiment block of the config")
    s.add_argument("--seed", type=int, required=True, help="the config's seed")
    s.add_argument("--threads", type=int, default=1, help="CPU threads")
    s.add_argument("--autoencoder", help="checkpoint of the autoencoder (feature loss)")
    s.add_argument("--no-file-locking", action="store_true",
                   help="read the shards without HDF5 file locks")
    s.add_argument("--provenance",
                   help="the job's provenance record: last.pt resumes only a run of the "
                        "same key (same config, code and inputs upstream)")
    s.set_defaults(func=cmd_train)


def evaluation_commands(sub) -> None:
    """Enhancement, baselines and scores."""
    s = sub.add_parser("enhance", help="enhance whole files with a trained generator")
    s.add_argument("files", nargs="*", metavar="IN OUT",
                   help="one input file and its output (or --inputs and --outputs)")
    s.add_argument("--inputs", nargs="+",
                   help="audio files at any rate, length and channel count")
    s.add_argument("--outputs", nargs="+",
                   help="one per input, at its rate; the format follows the extension "
                        "(.wav or .flac)")
    s.add_argument("--checkpoint", required=True,
                   help="a generator.pt written by train, or a pretrained/<task>.pt")
    s.add_argument("--threads", type=int, default=1, help="CPU threads")
    s.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where the networks run (auto: the GPU when there is one)")
    add_block_options(s, "enhance")
    s.add_argument("--collab", type=config_arg("collab"),
                   help="JSON {layer, step_size, eta, max_iters}: collaborative sampling")
    s.add_argument("--infos", nargs="+",
                   help="per output, write samples, seconds, real-time factor here (JSON)")
    s.add_argument("--record", help=RECORD)
    s.set_defaults(func=cmd_enhance)

    s = sub.add_parser("export", help="a trained generator alone, for pretrained/")
    s.add_argument("checkpoint", help="a generator.pt written by train")
    s.add_argument("out", help="where to write it (pretrained/<task>.pt)")
    s.add_argument("--half", action="store_true",
                   help="store the weights in bfloat16 (half the bytes)")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("baseline", help="a classical baseline from degraded inputs")
    s.add_argument("--inputs", nargs="+", required=True, help="degraded audio, one per piece")
    s.add_argument("--outputs", nargs="+", required=True, help="one output per input")
    s.add_argument("--method", required=True, choices=["linear", "cubic", "sinc", "wiener"],
                   help="linear, cubic or sinc interpolation from --low-rate, or Wiener")
    s.add_argument("--low-rate", type=int, help="the chain's resample rate (upsamplers)")
    s.add_argument("--record", help=RECORD)
    s.set_defaults(func=cmd_baseline)

    s = sub.add_parser("score", help="SNR, SI-SDR, LSD (and its high band), MR-STFT and "
                                     "ViSQOL per piece of one system")
    s.add_argument("out")
    s.add_argument("--system", required=True, help="the system's name (a column)")
    s.add_argument("--task", required=True, help="its task's name (a column)")
    s.add_argument("--pieces", nargs="+", required=True, help="piece ids, one per estimate")
    s.add_argument("--estimates", nargs="+", required=True, help="one audio file per piece")
    s.add_argument("--targets", nargs="+", required=True, help="one audio file per piece")
    s.add_argument("--low-hz", type=float, help="lower edge of the high-band LSD")
    add_block_options(s, "score")
    s.add_argument("--infos", nargs="+", help="enhancement JSON per piece (real-time factor)")
    s.set_defaults(func=cmd_score)


def table_commands(sub) -> None:
    """The summary, the report's figures and tables."""
    s = sub.add_parser("summarise", help="one row per system from per-piece score CSVs")
    s.add_argument("out")
    s.add_argument("scores", nargs="+")
    s.add_argument("--seed", type=int, required=True,
                   help="seed of the bootstrap: the config's seed, as the pipeline passes")
    s.set_defaults(func=cmd_summarise)

    s = sub.add_parser("report", help="one experiment's spectrograms, curves and excerpts")
    s.add_argument("out_dir")
    s.add_argument("--pieces", required=True,
                   type=shaped_arg({"type": "object", "minProperties": 1,
                                    "additionalProperties": LABELLED_FILES}),
                   help='JSON {piece: [[label, audio path], ...]} in display order')
    s.add_argument("--metrics", required=True, help="the experiment's metrics.csv")
    s.add_argument("--title", required=True, help="the figures' title")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("compare", help="spectrograms of one piece's systems side by side")
    s.add_argument("out")
    s.add_argument("--files", type=shaped_arg(LABELLED_FILES), required=True,
                   help='JSON [[label, audio path], ...] in display order')
    s.add_argument("--title", required=True, help="the figure's title")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("report-tables", help="the score table and the config as HTML")
    s.add_argument("summary")
    s.add_argument("summary_html")
    s.add_argument("config_html")
    s.add_argument("--config", type=json_arg, required=True, help="JSON config used")
    s.set_defaults(func=cmd_report_tables)
    s = sub.add_parser("results-table", help="markdown tables of a scores summary")
    s.add_argument("summary", nargs="?",
                   help="results/scores/summary.csv (none: only the --curves tables)")
    s.add_argument("--readme", help="write between the results markers of this file")
    s.add_argument("--command", dest="command_line", default="make reports",
                   help="the command that produced the summary, quoted in the text")
    s.add_argument("--commit", help="the commit of the code that made the scores, quoted")
    s.add_argument("--curves", nargs="+", default=[], metavar="METRICS_CSV",
                   help="training runs' metrics.csv: their learning curves and per-term "
                        "gradient norms as tables too")
    s.add_argument("--curve-rows", type=int, default=12, metavar="N",
                   help="about N evenly spaced validations per curve, besides the last, "
                        "the selected one and the last before each loss term joins")
    s.add_argument("--section", default="results",
                   help="write between the <!-- SECTION:start/end --> markers")
    s.set_defaults(func=cmd_results_table)


def cmd_results_table(args):
    from .evaluation.results import curves_markdown, results_markdown, update_readme
    if not args.summary and not args.curves:
        raise ValueError("give a scores summary, --curves, or both")
    parts = [results_markdown(args.summary, args.command_line, args.commit)] if (
        args.summary) else []
    if args.curves:
        if args.curve_rows < 1:
            raise ValueError(f"--curve-rows {args.curve_rows}: give at least 1")
        parts.append(curves_markdown(args.curves, rows=args.curve_rows))
    markdown = "\n\n".join(parts)
    if args.readme:
        update_readme(args.readme, markdown, args.section)
        log.info("tables of %s written into %s", ", ".join(
            filter(None, [args.summary, *args.curves])), args.readme)
    else:
        print(markdown)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError, FloatingPointError) as err:  # OSError: a full disk too
        print(f"music-enhance {args.command}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
