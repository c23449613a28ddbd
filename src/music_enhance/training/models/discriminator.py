"""Discriminators of both reports, one class, three flavours, and the set of an
experiment's discriminator blocks.

  bce          strided convolutions with batch norm and LeakyReLU 0.2, averaged over
               time, one logit; the sigmoid lives in the loss (``BCEWithLogits``)
               for numerical stability
  conditional  the same, seeing the degraded input and the candidate stacked on
               channels, so it judges the pair and not the candidate alone
  wgan_gp      a critic: layer norm instead of batch norm (the gradient penalty is
               per sample, batch norm would mix samples), an unbounded score

``Discriminators`` holds an experiment's blocks (these, ``multiscale``,
``spectrogram``) as one network: it returns every block's logit maps and feature
maps, and ``score`` (collaborative sampling) is the mean over sub-discriminators
of each one's mean output, through a sigmoid for the BCE loss.
"""

import torch
from torch import nn

KINDS = ("bce", "conditional", "wgan_gp")


class Discriminator(nn.Module):
    def __init__(self, kind: str = "bce", channels=(16, 32, 64, 128), kernel: int = 15):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"discriminator.name: unknown discriminator {kind!r}; "
                             f"known: {list(KINDS)}")
        if not channels or kernel % 2 == 0:
            raise ValueError(f"discriminator: channels must be non-empty and kernel odd, got "
                             f"{list(channels)}, {kernel}")
        self.kind = kind
        self.conditional = kind == "conditional"
        layers, in_ch = [], 2 if self.conditional else 1
        for i, out_ch in enumerate(channels):
            layers.append(nn.Conv1d(in_ch, out_ch, kernel, stride=2, padding=kernel // 2))
            if i > 0:  # no norm on the first layer (DCGAN practice)
                layers.append(nn.GroupNorm(1, out_ch) if kind == "wgan_gp"
                              else nn.BatchNorm1d(out_ch))
            layers.append(nn.LeakyReLU(0.2))
            in_ch = out_ch
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(in_ch, 1)

    def forward(self, candidate, degraded=None):
        """Score (B,) of candidates (B, 1, L). Only a conditional discriminator looks at
        the degraded input; the others ignore it, so callers can always pass it."""
        if self.conditional:
            if degraded is None:
                raise ValueError("a conditional discriminator needs the degraded input")
            candidate = torch.cat([degraded, candidate], dim=1)
        return self.head(self.features(candidate).mean(dim=-1)).squeeze(-1)

    def outputs(self, candidate, degraded=None):
        """([logits (B, 1)], no feature maps): the interface of the other blocks."""
        return [self(candidate, degraded)[:, None]], []


class Discriminators(nn.Module):
    def __init__(self, blocks: list[nn.Module], specs: list[dict], loss: str):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.specs = specs
        self.loss = loss  # bce, lsgan or wasserstein (losses.py)
        self.gradient_penalty = any(spec["name"] == "wgan_gp" for spec in specs)
        # A wgan_gp critic stands alone, so the first block holds the training keys.
        self.gp_weight = specs[0]["gp_weight"]
        self.critic_steps = specs[0]["critic_steps"]

    def forward(self, candidate, degraded=None):
        """(logit maps, feature maps) of every block, in block order."""
        logits, features = [], []
        for block in self.blocks:
            block_logits, block_features = (block.outputs(candidate, degraded)
                                            if isinstance(block, Discriminator)
                                            else block(candidate, degraded))
            logits += block_logits
            features += block_features
        return logits, features

    def score(self, candidate, degraded=None) -> torch.Tensor:
        """Per-window score (B,): a probability for the BCE loss, else the raw output."""
        per_map = torch.stack([logit.flatten(1).mean(1)
                               for logit in self(candidate, degraded)[0]])
        return (torch.sigmoid(per_map) if self.loss == "bce" else per_map).mean(0)

    def param_groups(self) -> list[dict]:
        """One optimizer group per block, with its own learning rate and betas."""
        return [{"params": block.parameters(), "lr": spec["lr"],
                 "betas": tuple(spec["betas"])}
                for block, spec in zip(self.blocks, self.specs, strict=True)]
