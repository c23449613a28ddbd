"""The complex-spectrogram mask U-Net (``specunet``): its start is the identity, it
does not care how loud or long the input is, and it learns to take a room away."""

import pytest
import torch
from test_specmask import fit_one_batch, noisy_notes

from music_enhance.training.models import build_model, parameter_count
from music_enhance.training.models.stft import apply_mask

SMALL = {"name": "specunet", "channels": [8, 16, 16], "n_fft": 256, "hop": 64}


def reverberant(clean: torch.Tensor, seconds: float = 0.25, seed: int = 0) -> torch.Tensor:
    """``clean`` through a room: its direct sound plus a decaying noise tail (an
    exponential impulse response, -60 dB after ``seconds``), and a little noise."""
    g = torch.Generator().manual_seed(seed)
    length = int(seconds * 16000)
    decay = torch.exp(-6.9 * torch.arange(length) / length)
    response = 0.08 * torch.randn(length, generator=g) * decay
    response[0] = 1.0
    wet = torch.fft.irfft(torch.fft.rfft(clean, 2 * clean.shape[-1])
                          * torch.fft.rfft(response, 2 * clean.shape[-1]))[..., :clean.shape[-1]]
    return wet + 0.003 * torch.randn(clean.shape, generator=g)


@pytest.mark.parametrize("length", [1000, 8192])
def test_the_untrained_model_returns_its_input_at_any_length(length):
    model = build_model({"name": "specunet"})
    noisy, _ = noisy_notes(batch=2, length=length)
    with torch.no_grad():
        out = model(noisy)
    assert out.shape == (2, 1, length)
    torch.testing.assert_close(out, noisy, rtol=0, atol=1e-6)


def test_the_mask_does_not_depend_on_loudness():
    torch.manual_seed(0)
    model = build_model(SMALL)
    torch.nn.init.normal_(model.outlet.weight, std=0.5)  # a mask that is not one
    noisy, _ = noisy_notes(batch=2, length=4096)
    with torch.no_grad():
        out, louder = model(noisy), model(8 * noisy)
    assert (out - noisy).abs().max() > 1e-3
    torch.testing.assert_close(louder, 8 * out, rtol=1e-4, atol=1e-5)


def test_default_size_fits_a_shipped_checkpoint():
    # 4 bytes per parameter: well under the 5 MB a pretrained/ checkpoint may take.
    assert parameter_count(build_model({"name": "specunet"})) == 302866


def test_training_on_one_batch_takes_the_room_away():
    torch.manual_seed(0)
    model = build_model(SMALL)
    _, clean = noisy_notes(batch=8, length=4096)
    start, trained = fit_one_batch(model, reverberant(clean), clean, steps=80)
    assert trained > start + 3, (start, trained)


def test_bf16_autocast_keeps_the_transforms_in_float32():
    model = build_model(SMALL)
    noisy, clean = noisy_notes(batch=2, length=2048)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = model(noisy)
        loss = (mixed - clean).abs().mean()
    loss.backward()
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed.detach(), noisy, rtol=0, atol=1e-6)
    assert model.outlet.weight.grad.abs().sum() > 0


def test_a_bad_hop_is_a_clear_error():
    with pytest.raises(ValueError, match="model.hop: 300 must divide n_fft 512"):
        build_model({"name": "specunet", "hop": 300})


def test_a_filter_over_past_frames_delays_by_its_tap():
    spec = torch.randn(2, 9, 12, dtype=torch.complex64)
    weights = torch.zeros(2, 3, 9, 12, dtype=torch.complex64)
    weights[:, 2] = 1j  # the frame two hops back, turned a quarter
    out = apply_mask(spec, weights)
    torch.testing.assert_close(out[..., 2:], 1j * spec[..., :-2])
    assert out[..., :2].abs().max() == 0
    torch.testing.assert_close(apply_mask(spec, weights[:, 2]), 1j * spec)  # one weight: a mask


@pytest.mark.parametrize("length", [1000, 8192])
def test_a_deep_filter_starts_as_the_identity(length):
    model = build_model({"name": "specunet", "taps": 3})
    noisy, _ = noisy_notes(batch=2, length=length)
    with torch.no_grad():
        out = model(noisy)
    torch.testing.assert_close(out, noisy, rtol=0, atol=1e-6)
    assert parameter_count(model) == 302866 + 4 * (16 + 1)  # two more taps: 4 outlet channels


@pytest.mark.parametrize("window_context", [False, True])
def test_training_a_deep_filter_on_one_batch_takes_the_room_away(window_context):
    torch.manual_seed(0)
    model = build_model({**SMALL, "taps": 3, "window_context": window_context})
    _, clean = noisy_notes(batch=8, length=4096)
    start, trained = fit_one_batch(model, reverberant(clean), clean, steps=80)
    assert trained > start + 3, (start, trained)


def test_window_context_starts_as_the_identity_and_sees_the_whole_window():
    torch.manual_seed(0)
    model = build_model({"name": "specunet", "taps": 3, "window_context": True})
    assert parameter_count(model) == 302866 + 4 * (16 + 1) + 64 * 64 + 64
    noisy, _ = noisy_notes(batch=2, length=16384)
    late = noisy.clone()
    late[..., -2048:] *= 0.5  # changed only in its last eighth
    with torch.no_grad():
        torch.testing.assert_close(model(noisy), noisy, rtol=0, atol=1e-6)
        torch.nn.init.normal_(model.outlet.weight, std=0.5)
        # The untrained up path shrinks what the deepest level adds; a strong context
        # convolution makes it plain.
        torch.nn.init.normal_(model.context.weight, std=10)
        changed = model(late) - model(noisy)
    # The first frames move too, 0.9 s away from the change, beyond the
    # convolutions' reach, where without the context nothing moves.
    assert changed[..., :2048].abs().max() > 1e-5
    without = build_model({"name": "specunet", "taps": 3})
    torch.nn.init.normal_(without.outlet.weight, std=0.5)
    with torch.no_grad():
        assert (without(late) - without(noisy))[..., :2048].abs().max() < 1e-7

