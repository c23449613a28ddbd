# The music-enhancement pipeline: see README.md and ../shared/DESIGN.md.
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from music_enhance.config import check_yaml_files, normalise_config, validate_config

min_version("9.0")


# The working directory's config.yaml, else the repository's: a partial
# `--configfile my.yaml` is merged over it from any working directory (-d).
configfile: "config.yaml" if Path("config.yaml").is_file() else f"{workflow.basedir}/config.yaml"


try:
    check_yaml_files(workflow.configfiles)
    validate_config(config, f"{workflow.basedir}/workflow/schemas/config.schema.yaml")
except ValueError as err:
    raise WorkflowError(str(err)) from None
# Canonical numbers everywhere (11025.0 -> 11025): params compare as strings, and a
# float/int flip-flop between edits must not rerun anything.
normalise_config(config)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    batch=r"(train|validation|test)-[0-9]+",
    instrument=r"[A-Za-z0-9_@-]+",
    chain=r"[A-Za-z0-9_-]+",
    rate=r"[0-9]+",
    task=r"[A-Za-z0-9_@-]+",
    experiment=r"[A-Za-z0-9_@-]+",
    split="|".join(TRAIN_SPLITS),
    method=r"linear|cubic|sinc|wiener",
    index=r"[0-9]+",
    system="|".join(re.escape(s) for s in PLAN.systems),


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
        "results/manifest.csv",
        "results/scores/summary.csv",
        "results/report/summary.html",
        expand("results/report/{experiment}/spectrogram.png", experiment=PLAN.experiments),
    default_target: True
