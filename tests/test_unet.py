import pytest
import torch

from music_enhance.models import build_model


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
    with pytest.raises(ValueError, match="model.name: unknown model 'transformer'"):
        build_model({"name": "transformer", "channels": [4], "kernels": [9]})
    with pytest.raises(ValueError, match="model.channels .* model.kernels"):
        build_model({"name": "unet", "channels": [4, 8], "kernels": [9]})
