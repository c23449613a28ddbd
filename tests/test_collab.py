import numpy as np
import pytest
import torch

from music_enhance.training.checkpoint import load_discriminator, load_generator
from music_enhance.training.collab import CollaborativeSampler
from music_enhance.training.models import build_discriminator, build_model
from music_enhance.training.train import train
from sines import sine_shards

SPEC = {"task": "t",
        "model": {"name": "unet", "channels": [8, 16, 16], "kernels": [9, 9, 9], "dropout": 0.0},
        "discriminator": {"name": "bce", "channels": [4, 8], "lr": 1e-3},
        "losses": {"l2": 1.0, "adversarial": 0.01}, "optimizer": {"lr": 1e-3},
        "batch_size": 4, "steps": 30, "validate_every": 10}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny GAN trained on noisy -> clean sines ."""
    root = tmp_path_factory.mktemp("collab")
    paths = sine_shards(root)
    train([paths["train"]], [paths["validation"]], root / "generator.pt", root / "m.csv", "g",
          SPEC, seed=1)
    generator, checkpoint = load_generator(root / "generator.pt")
    return generator, load_discriminator(root / "generator.pt", checkpoint), paths


def windows(n=4, length=1024, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length) / 16000
    clean = np.stack([0.3 * np.sin(2 * np.pi * 110 * (i + 1) * t) for i in range(n)])
    return torch.from_numpy((clean + 0.05 * rng.standard_normal(clean.shape))
                            .astype(np.float32)).unsqueeze(1)


@pytest.mark.parametrize("layer", [0, 1])
def test_zero_iterations_is_the_plain_generator(trained, layer):
    generator, discriminator, _ = trained
    x = windows()
    sampler = CollaborativeSampler(generator, discriminator, layer, 0.1, 1.0, max_iters=0)
    with torch.no_grad():
        torch.testing.assert_close(sampler(x), generator(x), rtol=0, atol=0)


def test_a_refinement_step_raises_the_discriminator_score(trained):
    generator, discriminator, _ = trained
    x = windows()
    plain = CollaborativeSampler(generator, discriminator, 1, 0.0, 1.0, max_iters=0)
    refined = CollaborativeSampler(generator, discriminator, 1, 0.05, 1.0, max_iters=1)
    with torch.no_grad():
        before = plain.score(plain(x), x)
        after = refined.score(refined(x), x)
    assert refined.iterations == [1]
    assert (after > before).all(), (before, after)


def test_weights_and_skips_keep_their_values(trained):
    generator, discriminator, _ = trained
    x = windows()
    weights = [p.clone() for p in (*generator.parameters(), *discriminator.parameters())]
    sampler = CollaborativeSampler(generator, discriminator, 1, 0.05, 1.0, max_iters=3)
    with torch.no_grad():
        _, skips_before = generator.encode(x)
    seen = []
    original = generator.decode

    def spy(h, skips, x, start=0, replace=None):
        seen.append([s.clone() for s in skips])
        return original(h, skips, x, start, replace)

    generator.decode = spy
    try:
        sampler(x)
    finally:
        del generator.decode
    assert len(seen) == 1 + 2 * 3  # plain pass, then per step a gradient and a new pass
    for skips in seen:
        for used, before in zip(skips, skips_before, strict=True):
            torch.testing.assert_close(used, before, rtol=0, atol=0)
    after = [*generator.parameters(), *discriminator.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(after, weights, strict=True))
    assert all(p.requires_grad for p in after)


def test_sampling_stops_once_the_score_passes_eta(trained):
    generator, discriminator, _ = trained
    sampler = CollaborativeSampler(generator, discriminator, 1, 0.05, eta=0.0, max_iters=5)
    sampler(windows())
    assert sampler.iterations == [0]  # a probability is never below 0


def test_bad_layer_names_the_key():
    generator = build_model({"name": "unet", "channels": [4, 8], "kernels": [9, 9]})
    with pytest.raises(ValueError, match="collab.layer: 3 is not an up-sampling block"):
        CollaborativeSampler(generator, build_discriminator({"name": "bce", "lr": 1e-3}), 3,
                             0.1, 0.5, 2)


def test_shaping_trains_only_the_discriminator(tmp_path):
    paths = sine_shards(tmp_path)
    spec = {**SPEC, "steps": 10, "collab": {"layer": 1, "step_size": 0.05, "eta": 1.0,
                                            "max_iters": 1, "shaping_iters": 4}}
    plain = {**SPEC, "steps": 10}
    for name, block in (("plain", plain), ("shaped", spec)):
        train([paths["train"]], [paths["validation"]], tmp_path / name / "generator.pt",
              tmp_path / name / "m.csv", "g", block, seed=1)
    loaded = {name: torch.load(tmp_path / name / "generator.pt", weights_only=True)
              for name in ("plain", "shaped")}
    assert loaded["shaped"]["shaped"] == 4 and "shaped" not in loaded["plain"]
    for key, value in loaded["plain"]["state_dict"].items():
        assert torch.equal(value, loaded["shaped"]["state_dict"][key])  # same generator
    changed = [not torch.equal(v, loaded["shaped"]["discriminator_state"][k])
               for k, v in loaded["plain"]["discriminator_state"].items()]
    assert any(changed)
