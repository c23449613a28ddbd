"""Generators and discriminators, built from config blocks."""

from functools import partial

from .discriminator import Discriminator
from .inception import InceptionGenerator
from .unet import UNet

MODELS = {
    "unet": UNet,
    "inception": InceptionGenerator,
    # The 2019 report's autoencoder: the U-Net without skips, trained on identity.
    "autoencoder": partial(UNet, skips=False, input_skip=False),
}


def build_model(spec: dict):
    """``spec`` is an experiment's ``model`` block: ``{"name": ..., **kwargs}``."""
    kwargs = dict(spec)
    name = kwargs.pop("name")
    if name not in MODELS:
        raise ValueError(f"model.name: unknown model {name!r}; known: {sorted(MODELS)}")
    try:
        return MODELS[name](**kwargs)
    except TypeError as err:
        raise ValueError(f"model: bad option for {name!r} ({err})") from err


def build_discriminator(spec: dict):
    """An experiment's ``discriminator`` block: name, channels, kernel (+ training keys)."""
    return Discriminator(spec["name"], tuple(spec.get("channels", (16, 32, 64, 128))),
                         spec.get("kernel", 15))


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())
