# The music-enhancement pipeline: see README.md and docs/design.md.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

# This checkout's code, whichever environment is active (two clones often share one
# on a cluster): the plan and the code hashes read the src/ beside this Snakefile, and
# every job runs it too (PYTHONPATH, common.smk).
SRC = Path(workflow.basedir, "src").resolve()
sys.path.insert(0, str(SRC))
import music_enhance

if Path(music_enhance.__file__).resolve().parent != SRC / "music_enhance":
    raise WorkflowError(
        f"music_enhance is imported from {Path(music_enhance.__file__).parent}, not from "
        f"{SRC / 'music_enhance'} beside the Snakefile: run the Snakefile of the checkout "
        f"whose code you mean to run"
    )

from music_enhance.core.config import check_yaml_files, normalise_config, validate_config

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
        PLAN.targets(),
    default_target: True
