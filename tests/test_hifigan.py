"""The HiFi-GAN recipe: WaveNet, multiscale and spectrogram discriminators, their
losses, the scale-free convention, the identity start and per-term gradient norms."""

import csv

import pytest
import torch

from music_enhance.training import losses
from music_enhance.training.collab import CollaborativeSampler
from music_enhance.training.models import build_discriminator, build_model, parameter_count
from music_enhance.training.train import train
from sines import sine_shards

NEW = {"task": "t", "model": {"name": "wavenet", "channels": 16, "skip_channels": 16, "layers": 6,
                 "postnet": 3},
       "discriminator": [{"name": "multiscale", "channels": [4, 16], "lr": 1e-3},
                         {"name": "spectrogram", "channels": [4, 8], "n_fft": 256, "lr": 1e-3}],
       "losses": {"l1": 1.0, "logspec": 1.0, "feature_matching": 1.0, "adversarial": 0.1},
       "optimizer": {"lr": 1e-3}, "batch_size": 4, "steps": 12, "validate_every": 4,
       "adversarial_start": {"step": 4}}


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return sine_shards(tmp_path_factory.mktemp("shards"))


# The counts in the models table of docs/models.md.
@pytest.mark.parametrize("spec, count, field", [
    ({"name": "wavenet"}, 660_673, 4093),
    ({"name": "wavenet", "postnet": 12}, 691_938, 4093),
    ({"name": "wavenet", "channels": 32, "skip_channels": 32, "layers": 8}, 133_217, 1021),
])
def test_wavenet_parameters_and_receptive_field_as_documented(spec, count, field):
    model = build_model(spec)
    assert parameter_count(model) == count and model.receptive_field == field


@pytest.mark.parametrize("window", [1000, 1024, 8192])
@pytest.mark.parametrize("postnet", [0, 2])
def test_wavenet_takes_any_length_and_starts_as_the_identity(window, postnet):
    model = build_model({"name": "wavenet", "channels": 8, "skip_channels": 8, "layers": 4,
                         "postnet": postnet})
    x = torch.randn(2, 1, window)
    with torch.no_grad():
        assert torch.equal(model(x), x)
        outputs = model(x, both=True)
    assert len(outputs) == (2 if postnet else 1)


def test_wavenet_works_at_unit_scale_so_the_first_step_keeps_the_identity():
    # A quiet window (0.001 peak, -60 dBFS) and its target. Unnormalised, the last convolution's
    # input is far louder than the window, and Adam's first step (each weight moves by
    # the learning rate) adds an error many times the identity's; normalised, the
    # network is scale-equivariant and the first step keeps the identity's error.
    t = torch.arange(4096) / 16000
    target = 0.001 * torch.sin(2 * torch.pi * 440 * t) * torch.arange(1, 5).view(4, 1, 1)
    x = target + 0.0001 * torch.randn(4, 1, 4096, generator=torch.Generator().manual_seed(0))
    errors = {}
    for normalize in (True, False):
        torch.manual_seed(0)
        model = build_model({"name": "wavenet", "channels": 16, "skip_channels": 16,
                             "layers": 6, "normalize": normalize})
        optimizer = torch.optim.Adam(model.parameters(), 3e-4)
        before = losses.relative_l2(model(x), target)
        before.backward()
        optimizer.step()
        with torch.no_grad():
            errors[normalize] = losses.relative_l2(model(x), target).item() / before.item()
            if normalize:  # now no longer the identity: the same map at any level
                assert torch.allclose(model(100 * x), 100 * model(x), rtol=1e-4, atol=1e-5)
    assert errors[True] < 1.1 and errors[False] > 10


@pytest.mark.parametrize("spec", [
    {"name": "unet", "channels": [8, 16], "kernels": [9, 9]},
    {"name": "inception", "depth": 2, "base": 8, "d_max": 16},
])
def test_generators_with_an_input_skip_start_as_the_identity(spec):
    model = build_model({**spec, "dropout": 0.0}).eval()
    x = torch.randn(3, 1, 1024)
    with torch.no_grad():
        assert torch.equal(model(x), x)


@pytest.mark.parametrize("spec, count, maps, features, lengths", [
    ({"name": "multiscale", "lr": 1}, 1_145_283, 3, 12, [256, 128, 64]),
    ({"name": "multiscale", "channels": [4, 16], "scales": 2, "lr": 1}, 2 * 4_049, 2, 6,
     [1024, 512]),
    ({"name": "spectrogram", "lr": 1}, 70_241, 1, 3, None),
])
@pytest.mark.parametrize("window", [4096, 8192])
def test_new_discriminators_give_logit_and_feature_maps(spec, count, maps, features, lengths,
                                                        window):
    model = build_discriminator(spec)
    assert model.loss == "lsgan"
    assert parameter_count(model) == count
    logits, feats = model(torch.randn(3, 1, window))
    assert len(logits) == maps and len(feats) == features
    assert all(z.shape[0] == 3 and z.shape[1] == 1 for z in logits)
    if lengths:  # each scale halves the rate; strides of 4 twice
        assert [z.shape[-1] for z in logits] == [n * window // 4096 for n in lengths]
    assert model.score(torch.randn(3, 1, window)).shape == (3,)


def test_a_list_of_blocks_is_one_network_with_a_group_per_block():
    model = build_discriminator(NEW["discriminator"])
    logits, feats = model(torch.randn(2, 1, 2048))
    assert len(logits) == 3 + 1 and len(feats) == 3 * 3 + 2
    assert [g["lr"] for g in model.param_groups()] == [1e-3, 1e-3]
    with pytest.raises(ValueError, match=r"discriminator.0.name: 'bce' is not one of "
                                         r"\['multiscale', 'spectrogram'\]"):
        build_discriminator([{"name": "bce", "lr": 1}, {"name": "multiscale", "lr": 1}])


def test_least_squares_and_feature_matching_losses_by_hand():
    real = [torch.tensor([[[1.0, 3.0]], [[0.0, 1.0]]])]
    fake = [torch.tensor([[[0.0, 2.0]], [[1.0, -2.0]]])]
    # Generator: mean over positions of (z - 1)^2 per window.
    assert losses.generator_adversarial("lsgan", fake).tolist() == [1.0, 4.5]
    # Discriminator: mean of (real - 1)^2 + mean of fake^2 = (2 + 0.5) / 2 + (2 + 2.5) / 2.
    assert losses.discriminator_loss("lsgan", real, fake).item() == pytest.approx(3.5)
    # Feature matching: mean |real - fake| over mean |real|: 1.5 / 1.25.
    assert losses.feature_matching(real, fake).item() == pytest.approx(1.2)
    assert losses.generator_adversarial("wasserstein", fake).tolist() == [-1.0, 0.5]


@pytest.mark.parametrize("name", ["l1", "l2", "snr", "logspec", "mrstft", "bandlevel",
                                  "bandenvelope"])
def test_reconstruction_losses_do_not_depend_on_the_loudness(name):
    torch.manual_seed(0)
    target = torch.randn(4, 1, 4096)
    estimate = target + 0.3 * torch.randn(4, 1, 4096)
    terms = [losses.reconstruction_losses({name: 1.0}, g * estimate, g * target)[name]
             for g in (1.0, 0.01)]
    assert terms[0].item() == pytest.approx(terms[1].item(), rel=1e-3)


def test_the_snr_loss_is_minus_each_windows_snr_in_bels():
    target = torch.ones(2, 1, 100)
    estimate = target.clone()
    estimate[0] += 0.1  # error energy 1 % of the target's: 20 dB
    estimate[1] += torch.tensor([1.0, -1.0]).repeat(50)  # as much as the target: 0 dB
    assert losses.snr_loss(estimate, target).item() == pytest.approx(-(2.0 + 0.0) / 2)


def test_band_level_asks_for_the_level_not_the_partials_positions():
    # Target: a partial at 6 kHz. The same partial 40 Hz off (4 bins of the 2048-point
    # STFT): the per-bin log loss still counts 39 % of silence's distance for it,
    # the band-level loss 5 %.
    t = torch.arange(8192) / 22050
    low = 0.5 * torch.sin(2 * torch.pi * 440 * t)
    target = (low + 0.05 * torch.sin(2 * torch.pi * 6000 * t)).view(1, 1, -1)
    shifted = (low + 0.05 * torch.sin(2 * torch.pi * 6040 * t)).view(1, 1, -1)
    quiet = (low + 0.005 * torch.sin(2 * torch.pi * 6000 * t)).view(1, 1, -1)
    silent = low.view(1, 1, -1)
    band = [losses.bandlevel_loss(e, target).item() for e in (shifted, quiet, silent)]
    per_bin = [losses.logspec_loss(e, target).item() for e in (shifted, quiet, silent)]
    assert band[0] < 0.01 < band[1] < band[2]
    # 20 dB quieter is 2 in log10 power in its band (of 32), a little more with the
    # window's leakage into the next one.
    assert 2 / losses.BANDS < band[1] < 1.2 * 2 / losses.BANDS
    assert band[0] / band[2] < 0.1 and per_bin[0] / per_bin[2] > 0.3


def test_band_envelope_asks_for_the_notes_timing_the_band_level_does_not():
    # Target: a 6 kHz note in the first half of the window. The same note in the
    # second half has the window's band level (bandlevel near 0) but the wrong
    # envelope: bandenvelope counts it as far off as leaving the band silent.
    t = torch.arange(8192) / 22050
    low = 0.5 * torch.sin(2 * torch.pi * 440 * t)
    note = 0.05 * torch.sin(2 * torch.pi * 6000 * t)
    first, second = (t < t[4096]).float(), (t >= t[4096]).float()
    target = (low + note * first).view(1, 1, -1)
    late = (low + note * second).view(1, 1, -1)
    silent = low.view(1, 1, -1)
    level = [losses.bandlevel_loss(e, target).item() for e in (late, silent)]
    envelope = [losses.bandenvelope_loss(e, target).item() for e in (target, late, silent)]
    assert level[0] < 0.05 * level[1]
    assert envelope[0] == 0 and envelope[1] > 0.8 * envelope[2] > 0


@pytest.mark.parametrize("name", ["bandlevel", "bandenvelope"])
def test_a_silent_window_does_not_dominate_the_band_terms_gradient(name):
    # The end of a piece: a window 120 dB under the others, its estimate a little
    # noise. With a floor per window its bands' gradient was the inverse of their
    # level, 1e4 times the rest of the batch's; under the batch's floor it is
    # about as large as any other window's.
    torch.manual_seed(0)
    target = torch.randn(8, 1, 4096)
    target[0] *= 1e-6
    estimate = (target + 0.3 * torch.randn(8, 1, 4096) * target.std(-1, keepdim=True))
    estimate.requires_grad_(True)
    losses.reconstruction_losses({name: 1.0}, estimate, target)[name].backward()
    per_window = estimate.grad.flatten(1).norm(dim=1)
    assert per_window[0] < 3 * per_window[1:].max()
    assert per_window[1:].min() > 0


def test_gradient_norms_of_each_term_are_logged_at_validation(shards, tmp_path):
    train([shards["train"]], [shards["validation"]], tmp_path / "g.pt", tmp_path / "m.csv",
          "e", NEW, seed=3)
    with open(tmp_path / "m.csv") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        validated = int(row["step"]) % 4 == 0
        assert bool(row["grad_l1"]) == validated and bool(row["grad_logspec"]) == validated
        assert bool(row["grad_adversarial"]) == (validated and int(row["step"]) > 4)
    last = rows[-1]
    assert all(float(last[f"grad_{t}"]) > 0 for t in NEW["losses"])
    assert last["valid_mrstft"] and float(last["feature_matching"]) > 0


def test_fifty_steps_of_the_new_recipe_on_one_batch_lower_the_reconstruction_loss():
    torch.manual_seed(0)
    t = torch.arange(2048) / 16000
    target = torch.stack([0.5 * torch.sin(2 * torch.pi * f * t)
                          for f in (220, 440, 880, 1760)]).unsqueeze(1)
    noisy = target + 0.05 * torch.randn(target.shape, generator=torch.Generator().manual_seed(1))
    generator = build_model(NEW["model"])
    discriminator = build_discriminator(NEW["discriminator"])
    opt_g = torch.optim.Adam(generator.parameters(), lr=3e-3)
    opt_d = torch.optim.Adam(discriminator.param_groups())
    weights = NEW["losses"]
    history = []
    for _ in range(50):
        fake = generator(noisy)
        d_loss = losses.discriminator_loss("lsgan", discriminator(target)[0],
                                           discriminator(fake.detach())[0])
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        outputs = generator(noisy, both=True)
        terms = {}
        for out in outputs:
            for name, value in losses.reconstruction_losses(weights, out, target).items():
                terms[name] = terms.get(name, 0.0) + value
        fake_logits, fake_features = discriminator(outputs[-1])
        terms["adversarial"] = losses.generator_adversarial("lsgan", fake_logits).mean()
        terms["feature_matching"] = losses.feature_matching(discriminator(target)[1],
                                                            fake_features)
        loss = sum(weights[k] * v for k, v in terms.items())
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        history.append((terms["l1"] + terms["logspec"]).item())
    # From the identity start the log-spectral term falls slowly: 7.58 -> 6.74 here.
    assert history[-1] < 0.92 * history[0]
    assert sum(history[-10:]) < sum(history[:10])


def test_collaborative_sampling_scores_with_the_mean_of_the_sub_discriminators():
    torch.manual_seed(0)
    generator = build_model({"name": "unet", "channels": [8, 16, 16], "kernels": [9, 9, 9],
                             "dropout": 0.0})
    # Well away from the identity: near it the decoder's gradient is too small for one
    # step to move the score above float32 rounding.
    torch.nn.init.normal_(generator.final[0].weight, std=0.3)
    discriminator = build_discriminator(NEW["discriminator"]).eval()
    x = torch.randn(3, 1, 2048)
    with torch.no_grad():
        logits, _ = discriminator(generator(x))
        expected = torch.stack([z.flatten(1).mean(1) for z in logits]).mean(0)
        plain = CollaborativeSampler(generator, discriminator, 1, 0.0, 1e9, max_iters=0)
        assert torch.allclose(plain.score(generator(x), x), expected)
        refined = CollaborativeSampler(generator, discriminator, 1, 5.0, 1e9, max_iters=1)
        assert (refined.score(refined(x), x) > plain.score(plain(x), x)).all()
