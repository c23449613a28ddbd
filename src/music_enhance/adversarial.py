"""The discriminator update, in one place for training and discriminator shaping.

The adversarial losses themselves are in ``losses.py`` (``discriminator_loss``,
``generator_adversarial``); collaborative sampling uses the latter too.
"""

import contextlib

import torch

from . import losses


def discriminator_update(d, discriminator, optimizer, real, fake, degraded, gp_weight: float,
                         autocast=contextlib.nullcontext, clip=None) -> float:
    """One discriminator step on real targets against fakes: the loss of every block
    and sub-discriminator, plus the gradient penalty for a ``wgan_gp`` critic. ``d``
    is ``discriminator`` or its DDP wrapper. Training and shaping both use it."""
    with autocast():
        loss = losses.discriminator_loss(discriminator.loss, d(real, degraded)[0],
                                         d(fake, degraded)[0]).float()
    if discriminator.gradient_penalty:  # in fp32: it differentiates twice
        loss = loss + gp_weight * losses.gradient_penalty(discriminator.score, real, fake,
                                                     degraded)
    if not torch.isfinite(loss):
        return loss.item()  # the caller stops, naming the step
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        clip(discriminator)
    optimizer.step()
    return loss.item()
