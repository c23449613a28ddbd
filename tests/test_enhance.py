import numpy as np
import pytest
import torch

from music_enhance.audio import read_mono, write_audio
from music_enhance.enhance import enhance, overlap_add
from music_enhance.train import save_checkpoint


class Identity(torch.nn.Module):
    def forward(self, x):
        return x


@pytest.mark.parametrize("length", [1, 100, 511, 512, 1024, 1500, 4096, 10001])
def test_identity_model_returns_the_input_at_any_length(length, rng):
    audio = rng.uniform(-1, 1, length).astype(np.float32)
    out = overlap_add(Identity(), audio, window=512, batch_size=3)
    assert out.shape == audio.shape
    np.testing.assert_allclose(out, audio, atol=1e-6)


def test_each_window_is_weighted_without_seams(rng):
    # A model that adds a constant: any seam or fade would show as a ripple.
    class AddOne(torch.nn.Module):
        def forward(self, x):
            return x + 1

    audio = np.zeros(5000, dtype=np.float32)
    np.testing.assert_allclose(overlap_add(AddOne(), audio, window=256), 1.0, atol=1e-6)


def test_enhance_cli_path_with_a_zeroed_unet(tmp_path, rng):
    from music_enhance.models import build_model
    spec = {"model": {"name": "unet", "channels": [4, 8], "kernels": [9, 9]}}
    model = build_model(spec["model"])
    for p in model.final.parameters():
        torch.nn.init.zeros_(p)  # with the input skip the U-Net is now the identity
    save_checkpoint(tmp_path / "g.pt", model, spec, {"sample_rate": 16000, "window": 256}, 1,
                    "zero")
    audio = (0.3 * rng.standard_normal(3000)).astype(np.float32)
    write_audio(tmp_path / "in.flac", audio, 16000)
    info = enhance(tmp_path / "in.flac", tmp_path / "out.flac", tmp_path / "g.pt")
    out, rate = read_mono(tmp_path / "out.flac")
    source, _ = read_mono(tmp_path / "in.flac")
    assert info["samples"] == 3000 and rate == 16000
    np.testing.assert_allclose(out, source, atol=2 ** -23)
    write_audio(tmp_path / "in8k.flac", audio, 8000)
    with pytest.raises(ValueError, match="in8k.flac: sample rate 8000 Hz, but .*g.pt"):
        enhance(tmp_path / "in8k.flac", tmp_path / "o.flac", tmp_path / "g.pt")
