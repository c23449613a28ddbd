"""The report's figures and score table: colour bars, separate axes, readable headers."""

import re

import numpy as np
import pandas as pd
import pytest

from music_enhance.core.audio import write_audio
from music_enhance.evaluation import report
from music_enhance.evaluation.score import METRICS

RATE = 16000


@pytest.fixture
def figures(monkeypatch):
    """Every figure the report saves, still open, in order."""
    saved = []
    save = report._save

    def keep(fig, out_png):
        saved.append(fig)
        save(fig, out_png)

    monkeypatch.setattr(report, "_save", keep)
    return saved


@pytest.fixture
def audio(tmp_path, rng):
    """Three labelled files per piece: loud noise, a sine, quiet noise."""
    t = np.arange(2 * RATE) / RATE
    pieces = {}
    for piece in ("a", "b"):
        signals = {"target": 0.5 * rng.standard_normal(len(t)),
                   "unet": 0.3 * np.sin(2 * np.pi * 440 * t),
                   "gan": 0.01 * rng.standard_normal(len(t))}
        pieces[piece] = {}
        for label, signal in signals.items():
            path = tmp_path / f"{piece}.{label}.flac"
            write_audio(path, signal.astype(np.float32), RATE)
            pieces[piece][label] = str(path)
    return pieces


def colour_bars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_spectrograms_share_one_colour_scale_with_a_db_colour_bar(audio, tmp_path, figures):
    report.spectrogram_figure(audio, tmp_path / "s.png", "unet")
    fig, = figures
    bars = colour_bars(fig)
    assert len(bars) == 1 and bars[0].get_ylabel() == "power (dB)"
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 6  # 3 labelled files x 2 pieces
    # One scale for every panel: the quiet file is darker than the loud one.
    assert len({ax.images[0].get_clim() for ax in panels}) == 1
    assert [ax.get_title() for ax in panels[:3]] == ["target (a)", "target (b)", "unet"]
    assert (tmp_path / "s.png").stat().st_size > 10_000


def test_comparison_puts_systems_side_by_side_for_one_piece(audio, tmp_path, figures):
    report.comparison_figure(audio["a"], tmp_path / "c.png", "piece a")
    fig, = figures
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["target", "unet", "gan"]
    # Side by side: one row, so every panel starts at the same height.
    assert len({round(ax.get_position().y0, 6) for ax in panels}) == 1
    assert colour_bars(fig)[0].get_ylabel() == "power (dB)"


def test_best_systems_ranks_by_the_metric_direction(tmp_path):
    summary = tmp_path / "summary.csv"
    pd.DataFrame({"system": ["t.input", "unet", "gan", "other"], "task": ["t", "t", "t", "u"],
                  "lsd": [2.0, 1.2, 1.0, 0.1], "snr": [5.0, 12.0, 9.0, 30.0]}).to_csv(summary)
    assert report.best_systems(summary, "t") == ["gan", "unet"]
    assert report.best_systems(summary, "t", "snr", 3) == ["unet", "gan", "t.input"]


def metrics_table(steps=100, d_from=31, adversarial_from=51) -> pd.DataFrame:
    """A metrics.csv as train writes it: ``d_loss`` on the discriminator's steps, the
    ``adversarial`` term once it is on, validation every 10 steps."""
    step = np.arange(1, steps + 1)
    valid = step % 10 == 0
    return pd.DataFrame({
        "step": step,
        "d_loss": np.where(step >= d_from, 0.7, np.nan),
        "train_loss": 0.2 + np.where(step >= adversarial_from, 0.1, 0.0),
        "l1": 0.2, "adversarial": np.where(step >= adversarial_from, 1.0, np.nan),
        "lr": 1e-4,
        "valid_loss": np.where(valid, 1e-6, np.nan),
        "valid_snr": np.where(valid, 20.0, np.nan),
        "valid_lsd": np.where(valid, 1.1, np.nan),
        "valid_mrstft": np.where(valid, 0.5, np.nan)})


def vertical_lines(ax) -> set:
    return {line.get_xdata()[0] for line in ax.lines
            if len(set(line.get_xdata())) == 1 and len(line.get_xdata()) == 2}


def test_curves_put_losses_on_separate_axes_and_mark_the_adversarial_schedule(
        tmp_path, figures):
    path = tmp_path / "metrics.csv"
    metrics_table().to_csv(path, index=False)
    report.training_figure(path, tmp_path / "curves.png", "gan")
    fig, = figures
    axes = {ax.get_ylabel(): ax for ax in fig.axes if ax.get_visible() and ax.lines}
    train, l2 = axes["training loss (weighted sum)"], axes["validation L2 (mean squared error)"]
    assert train is not l2
    assert train.get_yscale() == l2.get_yscale() == "log"
    assert set(axes) >= {"discriminator loss", "validation SNR (dB) ↑", "validation LSD (B) ↓",
                         "validation MR-STFT ↓"}
    for ax in axes.values():
        assert vertical_lines(ax) == {31, 51}
    assert {text.get_text() for text in fig.legends[0].get_texts()} == {
        "discriminator starts", "adversarial term joins"}


def test_training_events_come_from_metrics_csv():
    assert report.training_events(metrics_table()) == {
        31: "discriminator starts", 51: "adversarial term joins"}
    assert report.training_events(metrics_table(d_from=1, adversarial_from=1)) == {
        1: "discriminator starts, adversarial term joins"}
    plain = metrics_table().drop(columns=["d_loss", "adversarial"])
    assert report.training_events(plain) == {}


def test_curves_without_a_discriminator_have_no_markers(tmp_path, figures):
    path = tmp_path / "metrics.csv"
    metrics_table().drop(columns=["d_loss", "adversarial"]).to_csv(path, index=False)
    report.training_figure(path, tmp_path / "curves.png", "unet")
    fig, = figures
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_visible()]
    assert "discriminator loss" not in labels and len(labels) == 5
    assert not fig.legends and not any(vertical_lines(ax) for ax in fig.axes)


def test_score_table_headers_have_units_and_directions(tmp_path):
    row = {"system": "net", "task": "t", "pieces": 3}
    for metric in METRICS:
        row.update({metric: 1.0, f"{metric}_ci_low": 0.9, f"{metric}_ci_high": 1.1})
    summary = tmp_path / "summary.csv"
    pd.DataFrame([row]).to_csv(summary, index=False)
    report.summary_html(summary, tmp_path / "summary.html")
    text = (tmp_path / "summary.html").read_text()
    headers = re.findall(r"<th>(.*?)</th>", text)
    assert headers == ["system", "pieces", "SNR (dB) ↑", "LSD (B) ↓", "LSD high band (B) ↓",
                       "SI-SDR (dB) ↑", "MR-STFT ↓", "ViSQOL MOS ↑",
                       "real-time factor (×) ↑"]
    assert "<tr><td>net</td><td>3</td><td><b>1.000 [0.900, 1.100]</b></td>" in text
