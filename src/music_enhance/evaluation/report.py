"""The report stage: figures, tables and audio excerpts for ``snakemake --report``."""

import base64
import html
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import soundfile as sf  # noqa: E402

from ..core.audio import read_mono  # noqa: E402
from ..core.metrics import log_power_spectrogram  # noqa: E402
from .score import HIGHER_IS_BETTER, METRICS  # noqa: E402


def spectrogram_figure(pieces: dict[str, dict[str, str]], out_png, title: str,
                       seconds: float = 10.0):
    """Log power spectrograms of the first ``seconds``: one column per piece, one row
    per labelled file (input, target, baselines, output)."""
    labels = list(next(iter(pieces.values())))
    fig, axes = plt.subplots(len(labels), len(pieces), figsize=(6 * len(pieces),
                             2.2 * len(labels)), sharex=True, squeeze=False)
    for col, (piece, paths) in enumerate(pieces.items()):
        for row, label in enumerate(labels):
            audio, rate = read_mono(paths[label])
            spec = 10 * log_power_spectrogram(audio[: int(seconds * rate)]).T
            ax = axes[row, col]
            ax.imshow(spec, origin="lower", aspect="auto", cmap="magma",
                      extent=(0, spec.shape[1] * 512 / rate, 0, rate / 2000),
                      vmin=spec.max() - 90, vmax=spec.max())
            ax.set_title(f"{label} ({piece})" if row == 0 else label, fontsize=9)
            if col == 0:
                ax.set_ylabel("kHz")
        axes[-1, col].set_xlabel("seconds")
    fig.suptitle(title)
    _save(fig, out_png)


def training_figure(metrics_csv, out_png, title: str):
    metrics = pd.read_csv(metrics_csv)
    valid = metrics.dropna(subset=["valid_loss"])
    fig, (loss_ax, snr_ax, lsd_ax) = plt.subplots(1, 3, figsize=(13, 3.2))
    loss_ax.semilogy(metrics["step"], metrics["train_loss"], label="train (weighted sum)",
                     alpha=0.6)
    loss_ax.semilogy(valid["step"], valid["valid_loss"], label="validation L2")
    if "d_loss" in metrics:
        loss_ax.plot(metrics["step"], metrics["d_loss"], label="discriminator", alpha=0.6)
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("loss")
    loss_ax.legend()
    snr_ax.plot(valid["step"], valid["valid_snr"], color="tab:green")
    snr_ax.set_xlabel("step")
    snr_ax.set_ylabel("validation SNR (dB)")
    lsd_ax.plot(valid["step"], valid["valid_lsd"], color="tab:red")
    lsd_ax.set_xlabel("step")
    lsd_ax.set_ylabel("validation LSD")
    fig.suptitle(title)
    _save(fig, out_png)


def excerpts_html(paths: dict[str, str], out_html, title: str, seconds: float = 8.0):
    """A page of embedded audio players for the first ``seconds`` of each file."""
    rows = []
    for label, path in paths.items():
        audio, rate = read_mono(path)
        buffer = io.BytesIO()
        sf.write(buffer, audio[: int(seconds * rate)], rate, format="WAV", subtype="PCM_16")
        data = base64.b64encode(buffer.getvalue()).decode()
        rows.append(f"<tr><td>{html.escape(label)}</td><td><audio controls "
                    f'src="data:audio/wav;base64,{data}"></audio></td>'
                    f"<td>{html.escape(Path(path).name)}</td></tr>")
    _write_html(out_html, title, f"<p>First {seconds:g} s of each file.</p><table>"
                + "".join(rows) + "</table>")


def summary_html(summary_csv, out_html):
    """Systems x metrics per task: mean [95 % CI]; the best of each column in bold."""
    summary = pd.read_csv(summary_csv)
    parts = []
    for task, table in summary.groupby("task", sort=False):
        head = "".join(f"<th>{m}</th>" for m in METRICS)
        body = []
        for _, row in table.iterrows():
            cells = []
            for metric in METRICS:
                column = table[metric]
                best = column.max() if HIGHER_IS_BETTER[metric] else column.min()
                value = row[metric]
                text = "n/a" if pd.isna(value) else (
                    f"{value:.3f} [{row[f'{metric}_ci_low']:.3f}, "
                    f"{row[f'{metric}_ci_high']:.3f}]")
                cells.append(f"<td><b>{text}</b></td>" if value == best else f"<td>{text}</td>")
            body.append(f"<tr><td>{html.escape(row['system'])}</td><td>{row['pieces']}</td>"
                        + "".join(cells) + "</tr>")
        parts.append(f"<h2>task {html.escape(task)}</h2><table><tr><th>system</th>"
                     f"<th>pieces</th>{head}</tr>{''.join(body)}</table>")
    note = ("<p>Mean over test pieces with 95 % bootstrap interval. Higher is better for "
            "snr and si_sdr (dB), lower for lsd, lsd_high and mrstft. Best per task in "
            "bold.</p>")
    _write_html(out_html, "Scores", note + "".join(parts))


def config_html(config: dict, out_html):
    _write_html(out_html, "Configuration used",
                f"<pre>{html.escape(json.dumps(config, indent=2, sort_keys=True))}</pre>")


def _write_html(path, title, body):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    style = ("<style>body{font-family:sans-serif}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style>")
    Path(path).write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
                          f"<title>{html.escape(title)}</title>{style}</head><body>"
                          f"<h1>{html.escape(title)}</h1>{body}</body></html>\n")


def _save(fig, out_png):
    Path(out_png).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    # No timestamp or software tag in the PNG: same inputs, same bytes.
    fig.savefig(out_png, dpi=90, metadata={"Software": None})
    plt.close(fig)


def report_experiment(pieces: dict[str, list[list[str]]], metrics_csv, out_dir, title):
    """``pieces`` maps a piece id to its [label, audio path] pairs, in display order."""
    pieces = {piece: dict(pairs) for piece, pairs in pieces.items()}
    out_dir = Path(out_dir)
    spectrogram_figure(pieces, out_dir / "spectrogram.png", title)
    training_figure(metrics_csv, out_dir / "curves.png", title)
    first = next(iter(pieces.values()))
    excerpts_html(first, out_dir / "excerpts.html", f"{title}: {next(iter(pieces))}")

