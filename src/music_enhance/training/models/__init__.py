"""Generators and discriminators, built from config blocks."""

from functools import partial

from ...core.defaults import filled
from ...core.metrics import N_FFT
from .discriminator import KINDS, Discriminator, Discriminators
from .hifigan import MultiScaleDiscriminator, SpectrogramDiscriminator
from .inception import InceptionGenerator, inception_widths
from .specmask import SpectralMask
from .specunet import ComplexMaskUNet
from .unet import UNet
from .wavenet import WaveNet

MODELS = {
    "unet": UNet,
    "inception": InceptionGenerator,
    # The 2019 report's autoencoder: the U-Net without skips, trained on identity.
    "autoencoder": partial(UNet, skips=False, input_skip=False),
    "wavenet": WaveNet,
    # A learned Wiener filter (waveform in and out): for noise and reverberation.
    "specmask": SpectralMask,
    # A complex-spectrogram mask U-Net (waveform in and out): noise and a room.
    "specunet": ComplexMaskUNet,
}
BLOCKS = {"multiscale": MultiScaleDiscriminator, "spectrogram": SpectrogramDiscriminator}
# Training keys of a discriminator block, not arguments of its network.
TRAINING_KEYS = ("name", "lr", "betas", "gp_weight", "critic_steps")
# The adversarial loss each kind of block was designed with (losses.py).
DEFAULT_LOSS = {"bce": "bce", "conditional": "bce", "wgan_gp": "wasserstein",
                "multiscale": "lsgan", "spectrogram": "lsgan"}


def model_errors(model: dict) -> list[str]:
    """What is wrong with a filled ``model`` block, as ``key: message`` below it."""
    name, errors = model["name"], []
    if name in ("unet", "autoencoder") and len(model["channels"]) != len(model["kernels"]):
        errors.append(f"kernels: {len(model['kernels'])} kernels for "
                      f"{len(model['channels'])} channel levels (one each)")
    if name in ("unet", "autoencoder", "inception") and any(k % 2 == 0 for k in model[
            "kernels"]):
        errors.append(f"kernels: {model['kernels']} must be odd (same padding)")
    if name == "inception":
        widths = inception_widths(model["depth"], model["base"], model["d_max"])
        uneven = [w for w in widths if w % len(model["kernels"])]
        if uneven:
            errors.append(f"base: a level of {uneven[0]} channels does not split over the "
                          f"{len(model['kernels'])} kernels")
    if name in ("specmask", "specunet") and (
            model["n_fft"] % model["hop"] or 2 * model["hop"] > model["n_fft"]):
        # Hann frames must overlap for the inverse STFT
        errors.append(f"hop: {model['hop']} must divide n_fft {model['n_fft']} and be at "
                      f"most half of it")
    return errors



def build_model(spec: dict):
    """``spec`` is an experiment's ``model`` block: ``{"name": ..., **kwargs}``, checked
    against the schema (its defaults filled in) and :func:`model_errors`."""
    kwargs = filled("generator", spec, "model")
    for error in model_errors(kwargs):
        raise ValueError(f"model.{error}")
    return MODELS[kwargs.pop("name")](**kwargs)


def discriminator_blocks(spec) -> list[dict]:
    """An experiment's ``discriminator``: one block, or a list of blocks."""
    return list(spec) if isinstance(spec, list) else [spec]


def build_discriminator(spec, loss: str | None = None) -> Discriminators:
    """The experiment's discriminator blocks as one network; ``loss`` (the experiment's
    ``adversarial_loss``) defaults to the one the first block was designed with."""
    specs = discriminator_blocks(filled("discriminator", spec, "discriminator"))
    names = [s["name"] for s in specs]
    blocks = []
    for block in specs:
        kwargs = {k: v for k, v in block.items() if k not in TRAINING_KEYS}
        if block["name"] in KINDS:
            blocks.append(Discriminator(block["name"], tuple(kwargs["channels"]),
                                        kwargs["kernel"]))
        else:
            blocks.append(BLOCKS[block["name"]](**{k: tuple(v) if isinstance(v, list) else v
                                                   for k, v in kwargs.items()}))
    return Discriminators(blocks, specs, loss or DEFAULT_LOSS[names[0]])


# Enhancement merges windows at hops of half a window, and its crop merge keeps the
# middle quarters.
ENHANCE_MULTIPLE = 4


def generator_depth(model: dict) -> int:
    """How many times a generator halves its input (WaveNet and the spectrogram
    models never do)."""
    if model["name"] in ("wavenet", "specmask", "specunet"):
        return 0
    return model["depth"] if model["name"] == "inception" else len(model["channels"])


def window_error(window: int, model: dict | None = None) -> str | None:
    """What is wrong with a training window (None: nothing), the one rule the plan
    checks at start-up and training checks when run by hand: at least the validation
    LSD's frame, and a multiple of 4 (enhancement) and of 2^depth of ``model``."""
    multiple = max(ENHANCE_MULTIPLE, 2 ** generator_depth(model) if model else 1)
    if window < N_FFT:
        return f"{window} samples is shorter than the {N_FFT}-sample frame of the validation LSD"
    if window % multiple:
        why = (f"2^depth of a {model['name']} of depth {generator_depth(model)}"
               if multiple > ENHANCE_MULTIPLE else "enhancement merges windows by quarters")
        return f"{window} is not a multiple of {multiple} ({why})"
    return None


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())
