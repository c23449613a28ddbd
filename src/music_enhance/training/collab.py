"""Collaborative sampling and discriminator shaping (2019 report; Liu et al. 2020).

After training, the discriminator also helps at generation time. For a batch
of degraded windows x, ``CollaborativeSampler`` computes y = G(x); while a
window's discriminator score D(y) is below ``eta`` (``Discriminators.score``: the
mean over sub-discriminators of their mean output, a probability with the BCE
loss, the raw output with the least-squares loss, whose real target is 1, and
the raw critic score for ``wgan_gp``) and fewer than
``max_iters`` steps were taken, it takes the activations at the output of the
U-Net's up-sampling block ``layer``, steps them by gradient descent on the
generator's adversarial loss (``step_size``), and finishes the forward pass
from there. The skips keep their values from the original pass, and the
weights of both networks stay frozen: only the activations move.

Discriminator shaping (``shaping_iters``) trains the discriminator further,
with the generator fixed, on real targets against collaboratively sampled
fakes, so that its gradients point towards the real data near the generator's
outputs.
"""

import torch

from . import losses
from .adversarial import discriminator_update


class CollaborativeSampler:
    def __init__(self, generator, discriminator, layer: int, step_size: float, eta: float,
                 max_iters: int):
        if not hasattr(generator, "decode"):
            raise ValueError("collab: collaborative sampling needs a U-Net generator")
        if not 0 <= layer < len(generator.up):
            raise ValueError(f"collab.layer: {layer} is not an up-sampling block of the "
                             f"generator (0..{len(generator.up) - 1})")
        self.generator, self.discriminator = generator, discriminator
        self.layer, self.step_size, self.eta, self.max_iters = layer, step_size, eta, max_iters
        self.iterations = []  # steps taken per batch, for the log

    def score(self, y, x) -> torch.Tensor:
        """Per-window score on the scale of ``eta`` (``Discriminators.score``)."""
        return self.discriminator.score(y, x)

    def _loss(self, y, x) -> torch.Tensor:
        # Summed, not averaged: each window's step must not depend on the batch size.
        return losses.generator_adversarial(self.discriminator.loss,
                                            self.discriminator(y, x)[0]).sum()

    def start(self, x):
        """(input of up block ``layer``, skips, its output) of the plain forward pass."""
        g = self.generator
        h, skips = g.encode(x)
        h = g.up_input(h, skips, self.layer)
        return h, skips, g.up[self.layer](h)

    def __call__(self, x) -> torch.Tensor:
        g = self.generator
        frozen = [p.requires_grad for p in (*g.parameters(), *self.discriminator.parameters())]
        g.requires_grad_(False)
        self.discriminator.requires_grad_(False)
        try:
            with torch.no_grad():
                h, skips, u = self.start(x)
                y = g.decode(h, skips, x, self.layer, replace=u)
                active = self.score(y, x) < self.eta
            steps = 0
            while steps < self.max_iters and bool(active.any()):
                with torch.enable_grad():
                    u_var = u.detach().requires_grad_(True)
                    loss = self._loss(g.decode(h, skips, x, self.layer, replace=u_var), x)
                    grad, = torch.autograd.grad(loss, u_var)
                with torch.no_grad():
                    u = u - self.step_size * grad * active[:, None, None]
                    y = g.decode(h, skips, x, self.layer, replace=u)
                    active &= self.score(y, x) < self.eta
                steps += 1
            self.iterations.append(steps)
            return y
        finally:
            for p, flag in zip((*g.parameters(), *self.discriminator.parameters()), frozen,
                               strict=True):
                p.requires_grad_(flag)


def shape_discriminator(sampler: CollaborativeSampler, batches, iterations: int,
                        device="cpu") -> list[float]:
    """Train the sampler's discriminator on real targets against collaborative samples
    for ``iterations`` batches; the generator stays fixed. Returns the losses."""
    d = sampler.discriminator
    optimizer = torch.optim.Adam(d.param_groups())
    history = []
    for _ in range(iterations):
        x, y, _ = next(batches)
        x, y = x.to(device), y.to(device)
        d.eval()  # sample with the running statistics, as at enhancement time
        fake = sampler(x).detach()
        d.train()
        history.append(discriminator_update(d, optimizer, y, fake, x))
    d.eval()
    return history
