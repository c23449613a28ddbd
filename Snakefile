# The music-enhancement pipeline: see README.md and ../shared/DESIGN.md.
from snakemake.utils import min_version, validate

from music_enhance.config import normalise_config

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")
# Canonical numbers everywhere (11025.0 -> 11025): params compare as strings, and a
# float/int flip-flop between edits must not rerun anything.
normalise_config(config)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    piece=r"[A-Za-z0-9_-]+",
    instrument=r"[A-Za-z0-9_-]+",
    chain=r"[A-Za-z0-9_-]+",
    rate=r"[0-9]+",
    task=r"[A-Za-z0-9_-]+",
    experiment=r"[A-Za-z0-9_-]+",
    split="|".join(TRAIN_SPLITS),
    method=r"linear|cubic|sinc|wiener",
    index=r"[0-9]+",
    system="|".join(re.escape(s) for s in SYSTEMS),


include: "workflow/rules/download.smk"
include: "workflow/rules/manifest.smk"
include: "workflow/rules/render.smk"
include: "workflow/rules/degrade.smk"
include: "workflow/rules/shard.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/enhance.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        "results/scores/summary.csv",
        "results/report/summary.html",
        expand("results/report/{experiment}/spectrogram.png", experiment=EXPERIMENTS),
    default_target: True
