import pytest
import torch

from music_enhance.training.models import build_model


@pytest.mark.parametrize("channels", [[4], [4, 8], [4, 8, 16, 16]])
@pytest.mark.parametrize("multiple", [1, 3, 16])
def test_output_has_the_input_shape(channels, multiple):
    model = build_model({"name": "unet", "channels": channels, "kernels": [9] * len(channels)})
    length = multiple * 2 ** len(channels)
    x = torch.randn(2, 1, length)
    assert model(x).shape == x.shape


def test_length_not_a_multiple_of_two_to_the_depth_is_a_clear_error():
    model = build_model({"name": "unet", "channels": [4, 8, 8], "kernels": [9, 9, 9]})
    with pytest.raises(ValueError, match="multiple of 2\\^depth = 8, got \\(1, 1, 1020\\)"):
        model(torch.randn(1, 1, 1020))


def test_input_skip_makes_a_zeroed_network_the_identity():
    model = build_model({"name": "unet", "channels": [4, 8], "kernels": [9, 9]}).eval()
    for p in model.final.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(1, 1, 64)
    torch.testing.assert_close(model(x), x)


def test_bad_model_config_names_the_key():
    with pytest.raises(ValueError, match="model.name: 'transformer' is not one of"):
        build_model({"name": "transformer", "channels": [4], "kernels": [9]})
    with pytest.raises(ValueError, match="model.kernels: 1 kernels for 2 channel levels"):
        build_model({"name": "unet", "channels": [4, 8], "kernels": [9]})


def test_band_replication_starts_as_the_identity():
    model = build_model({"name": "unet", "channels": [4, 8], "kernels": [9, 9],
                         "replicate_above": 0.25}).eval()
    x = torch.randn(2, 1, 256)
    torch.testing.assert_close(model(x), x)


def test_replicated_band_keeps_rectified_harmonics_above_the_cut_off_only():
    from music_enhance.training.models.replication import BandReplication

    rate, length = 10000, 8192
    t = torch.arange(length) / rate
    # |sin| at 1.24 kHz: harmonics at 2.48 kHz, just under the 2.5 kHz cut-off, and 4.96 kHz.
    x = (0.5 * torch.sin(2 * torch.pi * 1240 * t)).view(1, 1, -1)
    band = BandReplication(0.25).band(x)[0, 0, 512:-512]  # away from the padded edges
    rectified = x.abs()[0, 0, 512:-512]
    window = torch.hann_window(len(band), dtype=torch.float64)
    freqs = torch.fft.rfftfreq(len(band), 1 / rate)

    def level(signal, hz):
        spectrum = torch.fft.rfft(signal.double() * window).abs()
        return 20 * torch.log10(spectrum[(freqs - hz).abs().argmin()])

    assert level(band, 2480) - level(rectified, 2480) < -60  # stopped under the cut-off
    assert abs(level(band, 4960) - level(rectified, 4960)) < 0.5  # passed above it


def test_learned_shaping_adds_the_band_to_the_output():
    model = build_model({"name": "unet", "channels": [4, 8], "kernels": [9, 9],
                         "replicate_above": 0.25}).eval()
    torch.nn.init.zeros_(model.replication.shaping.weight)
    with torch.no_grad():
        model.replication.shaping.weight[0, 0, 16] = 1.0  # a unit impulse: no shaping
    x = torch.randn(1, 1, 512)
    torch.testing.assert_close(model(x) - x, model.replication.band(x))


def test_a_replication_cut_off_outside_the_band_names_the_key():
    with pytest.raises(ValueError, match=r"model.replicate_above: 0.49 is greater than or "
                                         r"equal to the maximum of 0.478"):
        build_model({"name": "unet", "channels": [4], "kernels": [9], "replicate_above": 0.49})


def test_band_replication_trains_reloads_and_samples_collaboratively(tmp_path):
    from music_enhance.training.checkpoint import load_discriminator, load_generator
    from music_enhance.training.collab import CollaborativeSampler
    from music_enhance.training.train import train
    from sines import sine_shards

    paths = sine_shards(tmp_path)
    spec = {"task": "t",
            "model": {"name": "unet", "channels": [8, 16], "kernels": [9, 9], "dropout": 0.0,
                      "replicate_above": 0.25},
            "discriminator": {"name": "bce", "channels": [4, 8], "lr": 1e-3},
            "losses": {"l2": 1.0, "adversarial": 0.01}, "optimizer": {"lr": 1e-3},
            "batch_size": 4, "steps": 20, "validate_every": 10}
    train([paths["train"]], [paths["validation"]], tmp_path / "g.pt", tmp_path / "m.csv",
          "g", spec, seed=1)
    generator, checkpoint = load_generator(tmp_path / "g.pt")
    # The training loop reaches the learned filter (it starts at zero and moved).
    assert generator.replication.shaping.weight.abs().max() > 1e-4
    x = torch.randn(2, 1, 1024) * 0.3
    sampler = CollaborativeSampler(generator, load_discriminator(tmp_path / "g.pt", checkpoint),
                                   0, 0.1, 1.0, max_iters=0)
    with torch.no_grad():
        torch.testing.assert_close(sampler(x), generator(x), rtol=0, atol=0)
