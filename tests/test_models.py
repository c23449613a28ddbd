import pytest
import torch

from music_enhance.training.losses import gradient_penalty
from music_enhance.training.models import build_discriminator, build_model, parameter_count

GENERATORS = {
    "unet": lambda depth: {"name": "unet", "channels": [8 * 2 ** i for i in range(depth)],
                           "kernels": [9] * depth},
    "autoencoder": lambda depth: {"name": "autoencoder",
                                  "channels": [8 * 2 ** i for i in range(depth)],
                                  "kernels": [9] * depth},
    "inception": lambda depth: {"name": "inception", "depth": depth, "base": 8, "d_max": 32},
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("depth", [1, 2, 4])
@pytest.mark.parametrize("window", [256, 1024])
def test_generators_keep_the_shape_at_any_depth_and_window(name, depth, window):
    model = build_model(GENERATORS[name](depth))
    x = torch.randn(3, 1, window)
    assert model(x).shape == x.shape
    assert model.multiple == 2 ** depth


@pytest.mark.parametrize("kind", ["bce", "conditional", "wgan_gp"])
@pytest.mark.parametrize("window", [256, 8192])
def test_discriminators_give_one_score_per_window(kind, window):
    model = build_discriminator({"name": kind, "channels": [4, 8, 16], "lr": 1e-3})
    x = torch.randn(5, 1, window)
    assert model.score(x, x).shape == (5,)
    logits, features = model(x, x)
    assert [z.shape for z in logits] == [(5, 1)] and features == []


# The counts in the model table of docs/models.md.
@pytest.mark.parametrize("spec, count", [
    ({"name": "unet", "channels": [128, 256, 512, 512], "kernels": [65, 33, 17, 9]}, 40_419_074),
    ({"name": "unet", "channels": [16, 32, 64, 64], "kernels": [33, 17, 9, 9]}, 346_082),
    ({"name": "autoencoder", "channels": [16, 32, 64, 64], "kernels": [33, 17, 9, 9]}, 242_370),
    ({"name": "inception", "depth": 4}, 2_140_481),
])
def test_generator_parameter_counts_as_documented(spec, count):
    assert parameter_count(build_model(spec)) == count


@pytest.mark.parametrize("kind, count", [("bce", 162_337), ("conditional", 162_577),
                                         ("wgan_gp", 162_337)])
def test_discriminator_parameter_counts_as_documented(kind, count):
    assert parameter_count(build_discriminator({"name": kind, "lr": 1e-3})) == count


def test_impossible_shapes_are_clear_errors():
    model = build_model(GENERATORS["inception"](3))
    with pytest.raises(ValueError, match="multiple of 2\\^depth = 8, got \\(1, 1, 1001\\)"):
        model(torch.randn(1, 1, 1001))
    with pytest.raises(ValueError, match="model.base: a level of 6 channels does not split "
                                         "over the 4 kernels"):
        build_model({"name": "inception", "depth": 2, "base": 6})
    with pytest.raises(ValueError, match=r"model: .*\('channels' was unexpected\)"):
        build_model({"name": "inception", "channels": [4]})
    with pytest.raises(ValueError, match="discriminator.name: 'mse' is not one of"):
        build_discriminator({"name": "mse", "lr": 1e-3})
    with pytest.raises(ValueError, match="needs the degraded input"):
        build_discriminator({"name": "conditional", "lr": 1e-3})(torch.randn(1, 1, 64))


class QuadraticCritic(torch.nn.Module):
    """critic(x) = 0.5 * sum(x^2): its gradient at x is x itself."""

    def forward(self, x, degraded=None):
        return 0.5 * (x ** 2).sum(dim=(1, 2))


def test_gradient_penalty_equals_the_hand_computed_value():
    real = torch.tensor([[[3.0, 0.0]], [[0.0, 1.0]]])
    fake = torch.tensor([[[0.0, 4.0]], [[0.0, -1.0]]])
    alpha = torch.rand(2, 1, 1, generator=torch.Generator().manual_seed(7))
    penalty = gradient_penalty(QuadraticCritic(), real, fake,
                               generator=torch.Generator().manual_seed(7))
    a0, a1 = alpha.flatten().tolist()
    # mix_0 = (3 a0, 4 (1 - a0)); mix_1 = (0, a1 - (1 - a1)) = (0, 2 a1 - 1)
    norm0 = ((3 * a0) ** 2 + (4 * (1 - a0)) ** 2) ** 0.5
    norm1 = abs(2 * a1 - 1)
    expected = ((norm0 - 1) ** 2 + (norm1 - 1) ** 2) / 2
    assert penalty.item() == pytest.approx(expected, rel=1e-6)


def test_gradient_penalty_of_a_unit_linear_critic_is_zero():
    weight = torch.tensor([0.6, 0.8])  # norm 1: the Lipschitz bound is met exactly

    def critic(x, degraded=None):
        return (x * weight).sum(dim=(1, 2))

    real, fake = torch.randn(4, 1, 2), torch.randn(4, 1, 2)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("spec", [
    {"name": "unet", "channels": [16, 32, 32], "kernels": [9, 9, 9]},
    {"name": "inception", "depth": 3, "base": 16, "d_max": 64},
])
def test_fifty_steps_on_one_batch_cut_the_l2_loss_tenfold(spec):
    torch.manual_seed(0)
    t = torch.arange(1024) / 16000
    target = torch.stack([0.5 * torch.sin(2 * torch.pi * f * t)
                          for f in (220, 440, 880, 1760)]).unsqueeze(1)
    noisy = target + 0.1 * torch.randn(target.shape, generator=torch.Generator().manual_seed(0))
    # No input skip and no dropout: the network has to produce the whole output.
    model = build_model({**spec, "dropout": 0.0, "input_skip": False})
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(50):
        loss = torch.mean((model(noisy) - target) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        final = torch.mean((model(noisy) - target) ** 2).item()
    assert losses[0] / final >= 10
