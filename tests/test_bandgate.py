"""The band gate: the residual above the cut-off scaled by a gain read from the
input's octave under it."""

import math

import pytest
import torch

from music_enhance.training.models import build_model
from music_enhance.training.models.bandgate import SCALE, BandGate

RATE, LENGTH = 10000, 8192
UNET = {"name": "unet", "channels": [4, 8], "kernels": [9, 9]}


def tone(hz, amplitude=0.5):
    return (amplitude * torch.sin(2 * torch.pi * hz * torch.arange(LENGTH) / RATE)).view(1, 1, -1)


def level(signal, hz):
    """The level in dB of ``signal``'s bin nearest ``hz``, away from the padded edges."""
    middle = signal[0, 0, 512:-512].double()
    spectrum = torch.fft.rfft(middle * torch.hann_window(len(middle), dtype=torch.float64)).abs()
    freqs = torch.fft.rfftfreq(len(middle), 1 / RATE)
    return 20 * torch.log10(spectrum[(freqs - hz).abs().argmin()]).item()


def test_a_gated_unet_starts_as_the_ungated_one():
    torch.manual_seed(0)
    plain = build_model(UNET).eval()
    gated = build_model({**UNET, "band_gate": 0.25}).eval()
    gated.load_state_dict({**plain.state_dict(), **{k: v for k, v in gated.state_dict().items()
                                                    if k.startswith("gate.")}})
    x = torch.randn(2, 1, 1024) * 0.3
    torch.testing.assert_close(gated(x), x)  # the identity at initialisation
    torch.nn.init.normal_(plain.final[0].weight, std=0.1)  # now a residual, gain 1
    gated.final[0].weight.data.copy_(plain.final[0].weight)
    torch.testing.assert_close(gated(x), plain(x), atol=1e-5, rtol=1e-5)


def test_the_gain_scales_the_residual_above_the_cut_off_only():
    gate = BandGate(0.25)
    with torch.no_grad():
        gate.weight.fill_(0.2)
    # The octave under the 2.5 kHz cut-off holds a tenth of the 300 Hz tone's energy.
    x = tone(1800) * 10 ** -0.5 + tone(300)
    share = gate.share(x).item()
    assert share == pytest.approx(math.log10(0.1 / 1.1), abs=0.01)
    gain = 2 / (1 + math.exp(-SCALE * 0.2 * share))
    residual = tone(1000) + tone(4000)
    out = gate(residual, x)
    assert abs(level(out, 1000) - level(residual, 1000)) < 0.01  # under the cut-off: as is
    assert abs(level(out, 4000) - level(residual, 4000) - 20 * math.log10(gain)) < 0.05


def test_a_gate_cut_off_outside_the_band_names_the_key():
    with pytest.raises(ValueError, match=r"model.band_gate: 0.49 is greater than or "
                                         r"equal to the maximum of 0.478"):
        build_model({**UNET, "band_gate": 0.49})


def test_the_gate_trains_and_reloads(tmp_path):
    from music_enhance.training.checkpoint import load_generator
    from music_enhance.training.train import train
    from sines import sine_shards

    paths = sine_shards(tmp_path)
    spec = {"task": "t", "model": {**UNET, "dropout": 0.0, "band_gate": 0.25},
            "losses": {"l2": 1.0, "logspec": 1.0}, "optimizer": {"lr": 1e-2},
            "batch_size": 4, "steps": 20, "validate_every": 10}
    train([paths["train"]], [paths["validation"]], tmp_path / "g.pt", tmp_path / "m.csv",
          "g", spec, seed=1)
    generator, _ = load_generator(tmp_path / "g.pt")
    # The training loop reaches the gate (it starts at zero and moved).
    assert abs(generator.gate.bias.item()) > 1e-4 and abs(generator.gate.weight.item()) > 1e-4
