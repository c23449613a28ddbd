# The music-enhancement pipeline: see README.md and ../shared/DESIGN.md.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
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
        expand("results/report/{experiment}/spectrogram.png", experiment=EXPERIMENTS),
    default_target: True
