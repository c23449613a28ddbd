"""The report stage: figures for Snakemake's HTML report (``snakemake --report``)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .audio import read_mono  # noqa: E402
from .metrics import log_power_spectrogram  # noqa: E402


def spectrogram_figure(paths: dict[str, str], out_png, title: str, seconds: float = 10.0):
    """Log power spectrograms of the first ``seconds`` of each labelled file, stacked."""
    fig, axes = plt.subplots(len(paths), 1, figsize=(10, 2.6 * len(paths)), sharex=True,
                             squeeze=False)
    for ax, (label, path) in zip(axes[:, 0], paths.items(), strict=True):
        audio, rate = read_mono(path)
        spec = 10 * log_power_spectrogram(audio[: int(seconds * rate)]).T
        extent = (0, spec.shape[1] * 512 / rate, 0, rate / 2000)
        image = ax.imshow(spec, origin="lower", aspect="auto", extent=extent, cmap="magma",
                          vmin=spec.max() - 90, vmax=spec.max())
        ax.set_ylabel("kHz")
        ax.set_title(f"{label}: {Path(path).name}", fontsize=9)
        fig.colorbar(image, ax=ax, label="dB", pad=0.01)
    axes[-1, 0].set_xlabel("seconds")
    fig.suptitle(title)
    _save(fig, out_png)


def training_figure(metrics_csv, out_png, title: str):
    metrics = pd.read_csv(metrics_csv)
    fig, (loss_ax, snr_ax) = plt.subplots(1, 2, figsize=(10, 3.2))
    loss_ax.semilogy(metrics["step"], metrics["train_loss"], label="train (last batch)")
    loss_ax.semilogy(metrics["step"], metrics["valid_loss"], label="validation")
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("L2 loss")
    loss_ax.legend()
    snr_ax.plot(metrics["step"], metrics["valid_snr"], color="tab:green")
    snr_ax.set_xlabel("step")
    snr_ax.set_ylabel("validation SNR (dB)")
    fig.suptitle(title)
    _save(fig, out_png)


def _save(fig, out_png):
    Path(out_png).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    # No timestamp or software tag in the PNG: same inputs, same bytes.
    fig.savefig(out_png, dpi=100, metadata={"Software": None})
    plt.close(fig)
