"""Generators and discriminators, built from a model config block."""

from .unet import UNet

MODELS = {"unet": UNet}


def build_model(spec: dict):
    """``spec`` is an experiment's ``model`` block: ``{"name": ..., **kwargs}``."""
    kwargs = dict(spec)
    name = kwargs.pop("name")
    if name not in MODELS:
        raise ValueError(f"model.name: unknown model {name!r}; known: {sorted(MODELS)}")
    return MODELS[name](**kwargs)
