"""An experiment's constraints that the schema cannot express, each rule written once.

The plan checks them for every experiment at start-up, naming the config key; the
``train`` command checks its ``--spec`` with them.
"""

from .models import generator_depth, model_errors
from .selection import selection_errors


def recipe_errors(spec: dict) -> list[str]:
    """What is wrong with a filled experiment block, as ``key: message`` below it."""
    errors = [f"model.{e}" for e in model_errors(spec["model"])]
    collab, weights = spec["collab"], spec["losses"]
    if collab and (not spec["discriminator"] or spec["model"]["name"] != "unet"):
        errors.append("collab: needs a unet model and a discriminator block")
    elif collab and collab["layer"] >= generator_depth(spec["model"]) - 1:
        errors.append(f"collab.layer: {collab['layer']} is not an up-sampling block "
                      f"(0..{generator_depth(spec['model']) - 2})")
    for term in ("adversarial", "feature_matching"):
        if weights[term] and not spec["discriminator"]:
            errors.append(f"losses.{term}: needs a discriminator block")
    return errors + selection_errors(spec)
