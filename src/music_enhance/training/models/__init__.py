"""Generators and discriminators, built from config blocks."""

from functools import partial

from ...core.metrics import N_FFT
from .discriminator import KINDS, Discriminator, Discriminators
from .hifigan import MultiScaleDiscriminator, SpectrogramDiscriminator
from .inception import InceptionGenerator
from .specmask import SpectralMask
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
}
BLOCKS = {"multiscale": MultiScaleDiscriminator, "spectrogram": SpectrogramDiscriminator}
# Training keys of a discriminator block, not arguments of its network.
TRAINING_KEYS = ("name", "lr", "betas", "gp_weight", "critic_steps")
# The adversarial loss each kind of block was designed with (losses.py).
DEFAULT_LOSS = {"bce": "bce", "conditional": "bce", "wgan_gp": "wasserstein",
                "multiscale": "lsgan", "spectrogram": "lsgan"}


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


def discriminator_blocks(spec) -> list[dict]:
    """An experiment's ``discriminator``: one block, or a list of blocks."""
    return list(spec) if isinstance(spec, list) else [spec]


def build_discriminator(spec, loss: str | None = None) -> Discriminators:
    """The experiment's discriminator blocks as one network; ``loss`` (the experiment's
    ``adversarial_loss``) defaults to the one the first block was designed with."""
    specs = discriminator_blocks(spec)
    names = [s["name"] for s in specs]
    if len(specs) > 1 and any(n in KINDS for n in names):
        raise ValueError(f"discriminator: {names}: only multiscale and spectrogram blocks "
                         f"combine; the reports' discriminators stand alone")
    blocks = []
    for block in specs:
        kwargs = {k: v for k, v in block.items() if k not in TRAINING_KEYS}
        if block["name"] in KINDS:
            blocks.append(Discriminator(block["name"], tuple(kwargs.get("channels",
                                        (16, 32, 64, 128))), kwargs.get("kernel", 15)))
        elif block["name"] in BLOCKS:
            blocks.append(BLOCKS[block["name"]](**{k: tuple(v) if isinstance(v, list) else v
                                                   for k, v in kwargs.items()}))
        else:
            raise ValueError(f"discriminator.name: unknown discriminator {block['name']!r}; "
                             f"known: {[*KINDS, *BLOCKS]}")
    return Discriminators(blocks, specs, loss or DEFAULT_LOSS[names[0]])


# Enhancement merges windows at hops of half a window, and its crop merge keeps the
# middle quarters.
ENHANCE_MULTIPLE = 4


def generator_depth(model: dict) -> int:
    """How many times a generator halves its input (WaveNet and specmask never do)."""
    if model["name"] in ("wavenet", "specmask"):
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
