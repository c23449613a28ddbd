"""The report stage: figures, tables and audio excerpts for ``snakemake --report``."""

import base64
import html
import io
import itertools
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import soundfile as sf  # noqa: E402

from ..core.audio import read_mono  # noqa: E402
from ..core.metrics import HOP, log_power_spectrogram  # noqa: E402
from .results import HEADER_NOTE, HEADERS  # noqa: E402
from .score import HIGHER_IS_BETTER, METRICS  # noqa: E402

# The colour scale spans this many dB below the loudest bin of the figure.
DYNAMIC_RANGE_DB = 90


def spectrogram_figure(pieces: dict[str, dict[str, str]], out_png, title: str,
                       seconds: float = 10.0, labels: list[str] | None = None):
    """Power spectrograms (dB) of the first ``seconds``: one column per piece, one row
    per labelled file (input, target, baselines, outputs); ``labels`` picks and orders
    the rows (all, in the pieces' order, by default)."""
    labels = labels or list(next(iter(pieces.values())))
    grid = [[(f"{label} ({piece})" if row == 0 else label, paths[label])
             for piece, paths in pieces.items()] for row, label in enumerate(labels)]
    _spectrogram_grid(grid, out_png, title, seconds)


def comparison_figure(paths: dict[str, str], out_png, title: str, seconds: float = 10.0):
    """Power spectrograms (dB) of one piece side by side: a column per labelled file
    (e.g. the target and the best two systems, or every model's output)."""
    _spectrogram_grid([list(paths.items())], out_png, title, seconds)


def best_systems(summary_csv, task: str, metric: str = "lsd", count: int = 2) -> list[str]:
    """The ``count`` systems of ``task`` best on ``metric`` in a scores summary, best first."""
    table = pd.read_csv(summary_csv)
    table = table[(table["task"] == task) & table[metric].notna()]
    ranked = table.sort_values(metric, ascending=not HIGHER_IS_BETTER[metric], kind="stable")
    return list(ranked["system"][:count])


def _spectrogram_db(path, seconds: float):
    audio, rate = read_mono(path)
    return 10 * log_power_spectrogram(audio[: int(seconds * rate)]).T, rate


def _spectrogram_grid(grid: list[list[tuple[str, str]]], out_png, title: str,
                      seconds: float):
    """Panels of (title, audio path) rows and columns. They share one colour scale, so
    that colours compare between systems, and one colour bar shows it."""
    specs = [[_spectrogram_db(path, seconds) for _, path in row] for row in grid]
    top = max(spec.max() for row in specs for spec, _ in row)
    rows, cols = len(grid), len(grid[0])
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols + 1, 1.9 * rows + 1.1),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    for r, c in itertools.product(range(rows), range(cols)):
        (spec, rate), ax = specs[r][c], axes[r, c]
        image = ax.imshow(spec, origin="lower", aspect="auto", cmap="magma",
                          extent=(0, spec.shape[1] * HOP / rate, 0, rate / 2000),
                          vmin=top - DYNAMIC_RANGE_DB, vmax=top)
        ax.set_title(grid[r][c][0], fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel("frequency (kHz)")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.colorbar(image, ax=axes, label="power (dB)")
    fig.suptitle(title)
    _save(fig, out_png)


def training_figure(metrics_csv, out_png, title: str):
    """Training and validation curves, each on its own axis, with vertical lines where
    the discriminator starts training and where the adversarial term joins the
    generator's loss (both read from ``metrics.csv``), and a dot on each validation
    curve at the step whose generator was selected (``selected_step``)."""
    metrics = pd.read_csv(metrics_csv)
    valid = metrics.dropna(subset=["valid_loss"])
    panels = [("training loss (weighted sum)", metrics, "train_loss", True),
              ("discriminator loss", metrics, "d_loss", False),
              ("validation L2 (mean squared error)", valid, "valid_loss", True),
              ("validation SNR (dB) ↑", valid, "valid_snr", False),
              ("validation LSD (B) ↓", valid, "valid_lsd", False),
              ("validation MR-STFT ↓", valid, "valid_mrstft", False),
              ("validation ViSQOL (excerpts) ↑", valid, "valid_visqol", False)]
    panels = [p for p in panels if p[2] in metrics and metrics[p[2]].notna().any()]
    cols = 3
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.0 * rows + 0.5),
                             sharex=True, squeeze=False, layout="constrained")
    chosen = selected_step(metrics_csv)
    for ax, (label, table, column, log) in zip(axes.flat, panels, strict=False):
        _curve(ax, table, column, log, label)
        if column.startswith("valid_") and chosen in set(table["step"]):
            ax.plot(chosen, table.loc[table["step"] == chosen, column].iloc[0], "o",
                    color="tab:red", label=f"selected (step {chosen})")
        for (step, name), style in zip(training_events(metrics).items(), ("--", ":"),
                                       strict=False):
            ax.axvline(step, color="0.3", linestyle=style, linewidth=1, label=name)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    handles, names = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="outside lower center", ncols=len(handles))
    fig.suptitle(title)
    _save(fig, out_png)


def selected_step(metrics_csv) -> int | None:
    """The step of the generator that train saved (``generator.pt`` beside
    ``metrics.csv``), or None without one."""
    from ..training.checkpoint import read_checkpoint
    path = Path(metrics_csv).with_name("generator.pt")
    return read_checkpoint(path)["step"] if path.exists() else None


def training_events(metrics: pd.DataFrame) -> dict[int, str]:
    """{step: what starts there}: the discriminator's first step (the first ``d_loss``)
    and the first generator step with the adversarial term (its ``adversarial`` column,
    which train writes only once the term is on)."""
    events = {}
    for column, name in (("d_loss", "discriminator starts"),
                         ("adversarial", "adversarial term joins")):
        steps = metrics["step"][metrics[column].notna()] if column in metrics else []
        if len(steps):
            step = int(steps.iloc[0])
            events[step] = f"{events[step]}, {name}" if step in events else name
    return events


def _curve(ax, table, column: str, log: bool, label: str):
    # Per-step losses are noisy: the raw values faint under their running mean.
    table = table.dropna(subset=[column])  # e.g. no d_loss before the warmup
    window = max(1, len(table) // 50)
    values = table[column]
    ax.plot(table["step"], values, color="tab:blue", alpha=0.3 if window > 1 else 1)
    if window > 1:
        ax.plot(table["step"], values.rolling(window, min_periods=1).mean(),
                color="tab:blue")
    if log and (values > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.xaxis.set_tick_params(labelbottom=True)  # on every panel: a row may be short
    ax.set_ylabel(label)


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
        head = "".join(f"<th>{html.escape(HEADERS[m])}</th>" for m in METRICS)
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
    note = (f"<p>Mean over test pieces with 95 % bootstrap interval; best per task in "
            f"bold. {html.escape(HEADER_NOTE)}</p>")
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
    if fig.get_layout_engine() is None:
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

