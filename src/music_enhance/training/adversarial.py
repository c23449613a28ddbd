"""The discriminator update, in one place for training and discriminator shaping.

The adversarial losses themselves are in ``losses.py`` (``discriminator_loss``,
``generator_adversarial``); collaborative sampling uses the latter too.
"""

import contextlib

import torch
import torch.distributed as dist

from . import losses


def discriminator_update(discriminator, optimizer, real, fake, degraded,
                         autocast=contextlib.nullcontext, clip=None) -> float:
    """One discriminator step on real targets against fakes: the loss of every block
    and sub-discriminator, plus the gradient penalty for a ``wgan_gp`` critic.
    Training and shaping both use it. Under torchrun the gradients are averaged
    over the ranks by hand and rank 0's batch-norm statistics are shared: the step
    takes two forward passes (real, fake), which DistributedDataParallel does not
    allow before one backward pass."""
    with autocast():
        loss = losses.discriminator_loss(discriminator.loss, discriminator(real, degraded)[0],
                                         discriminator(fake, degraded)[0]).float()
    if discriminator.gradient_penalty:  # in fp32: it differentiates twice
        loss = loss + discriminator.gp_weight * losses.gradient_penalty(
            discriminator.score, real, fake, degraded)
    if not torch.isfinite(loss):
        return loss.item()  # the caller stops, naming the step
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if dist.is_initialized() and dist.get_world_size() > 1:
        for parameter in discriminator.parameters():
            if parameter.grad is not None:
                dist.all_reduce(parameter.grad)
                parameter.grad /= dist.get_world_size()
        for buffer in discriminator.buffers():
            dist.broadcast(buffer, 0)
    if clip:
        clip(discriminator)
    optimizer.step()
    return loss.item()
