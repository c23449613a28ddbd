"""The learned Wiener filter (``specmask``): its start is the classical filter, it
does not care how loud the input is, and training improves on the start."""

import numpy as np
import pytest
import torch
from scipy.ndimage import median_filter

from music_enhance.training.models import build_model

RATE = 16000


def noisy_notes(batch: int = 4, length: int = 8192, noise: float = 0.05, seed: int = 0):
    """Decaying harmonic notes (the target) and the same plus white noise."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(length) / RATE
    notes = []
    for _ in range(batch):
        f0 = 110 * 2 ** (torch.randint(0, 36, (1,), generator=g).item() / 12)
        notes.append(sum(0.3 / k * torch.sin(2 * torch.pi * k * f0 * t) for k in range(1, 6))
                     * torch.exp(-3 * t))
    clean = torch.stack(notes).unsqueeze(1)
    return clean + noise * torch.randn(clean.shape, generator=g), clean


def snr_db(estimate, clean) -> float:
    return 10 * torch.log10(clean.pow(2).sum() / (estimate - clean).pow(2).sum()).item()


def fit_one_batch(model, noisy, clean, steps: int, lr: float = 3e-3):
    """SNR of ``model(noisy)`` before and after ``steps`` L1 steps on this one batch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    with torch.no_grad():
        start = snr_db(model(noisy), clean)
    for _ in range(steps):
        loss = (model(noisy) - clean).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return start, snr_db(model(noisy), clean)


def test_the_untrained_model_is_the_wiener_filter_of_its_window():
    model = build_model({"name": "specmask", "n_fft": 256, "hop": 64, "smooth_bins": 9})
    noisy, clean = noisy_notes()
    spec = torch.stft(noisy[:, 0], 256, 64, window=torch.hann_window(256),
                      return_complex=True)
    power = spec.abs().numpy() ** 2
    # The noise per bin as baselines.wiener estimates it, with scipy, per window.
    noise = np.median(median_filter(power, size=(1, 9, 1), mode="nearest"), axis=2,
                      keepdims=True)
    prior = np.maximum(power / noise - 1, 0)
    expected = np.clip(prior / (prior + 1), 1e-3, 1 - 1e-3)
    gain, _ = model.prior(spec)
    np.testing.assert_allclose(gain.numpy(), expected, rtol=1e-5, atol=1e-6)
    # With the defaults (32 ms frames) it takes more than half of the noise's power away.
    noisy, clean = noisy_notes(noise=0.05)
    with torch.no_grad():
        out = build_model({"name": "specmask"})(noisy)
    assert out.shape == noisy.shape
    assert snr_db(out, clean) > snr_db(noisy, clean) + 4


@pytest.mark.parametrize("length", [1000, 8192])
def test_any_length_and_any_loudness(length):
    torch.manual_seed(0)
    model = build_model({"name": "specmask", "channels": 8})
    torch.nn.init.normal_(model.outlet.weight, std=0.5)  # a correction that is not zero
    noisy, _ = noisy_notes(batch=2, length=length)
    with torch.no_grad():
        out, louder = model(noisy), model(8 * noisy)
    assert out.shape == (2, 1, length)
    # The network's maps are level ratios: eight times the input, eight times the output.
    torch.testing.assert_close(louder, 8 * out, rtol=1e-4, atol=1e-6)


def test_training_improves_on_the_wiener_start():
    torch.manual_seed(0)
    model = build_model({"name": "specmask", "channels": 8, "n_fft": 256, "hop": 64})
    noisy, clean = noisy_notes(batch=8, length=4096)
    start, trained = fit_one_batch(model, noisy, clean, steps=60)
    assert trained > start + 1, (start, trained)


def test_an_unknown_option_is_a_clear_error():
    with pytest.raises(ValueError, match=r"model: .*\('kernel' was unexpected\)"):
        build_model({"name": "specmask", "kernel": 3})
    with pytest.raises(ValueError, match="model.hop: 100 must divide n_fft 512"):
        build_model({"name": "specmask", "hop": 100})
    with pytest.raises(ValueError, match="hop: 512 must divide n_fft 512 and be at most half"):
        build_model({"name": "specmask", "hop": 512})


def test_bf16_autocast_keeps_the_transforms_in_float32():
    # The reports train with bf16 autocast: torch.stft has no bf16 kernel on the
    # CPU, and a bf16 gain would round the output; only the network runs in bf16.
    model = build_model({"name": "specmask", "channels": 8})
    noisy, clean = noisy_notes(batch=2, length=2048)
    with torch.no_grad():
        plain = model(noisy)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = model(noisy)
        loss = (mixed - clean).abs().mean()
    loss.backward()
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed.detach(), plain)  # the correction starts at zero
    assert model.outlet.weight.grad.abs().sum() > 0
