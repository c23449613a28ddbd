"""Markdown results tables generated from a scores summary, for docs/results.md.

``results_markdown`` turns ``results/scores/summary.csv`` into one table per
task and test SoundFont (every system's scores with their 95 % bootstrap
intervals, best per column in bold, baselines marked), headed by the command
that produced it and the machine it ran on. An experiment ``<e>_multi`` next to
an experiment ``<e>`` is the same experiment trained on more SoundFonts (the
reports' convention): such pairs get one more table that sets them side by side
on every test SoundFont, with that test set's baselines. ``update_readme`` replaces the
text between the file's ``<!-- results:start -->`` and ``<!-- results:end -->``
markers (or another section's) with it, so the published numbers are always the
code's. ``curves_markdown`` turns training runs' ``metrics.csv`` into learning-curve
tables.
"""

import datetime
import os
import platform
from pathlib import Path

import pandas as pd

from .score import HIGHER_IS_BETTER

# Table headers of the score columns: name, unit, and which way is better. LSD is a
# distance between log10 powers, so its unit is the bel (10 dB).
HEADERS = {"snr": "SNR (dB) ↑", "lsd": "LSD (B) ↓", "lsd_high": "LSD high band (B) ↓",
           "si_sdr": "SI-SDR (dB) ↑", "mrstft": "MR-STFT ↓", "visqol": "ViSQOL MOS ↑",
           "rtf": "real-time factor (×) ↑"}
# The columns of the markdown tables, in order.
COLUMNS = ["snr", "lsd", "lsd_high", "mrstft", "visqol", "rtf"]
MULTI = "_multi"
HEADER_NOTE = ("↑ higher is better, ↓ lower is better. LSD is in bels (B, 10 dB): the "
               "distance between log10 power spectra. MR-STFT: spectral convergence plus "
               "log-magnitude L1 at three resolutions, as auraloss's "
               "MultiResolutionSTFTLoss. ViSQOL MOS from 1 to 5. Real-time factor: "
               "seconds of audio enhanced per second of wall time on the machine that ran "
               "the enhance job, whatever else it ran then: compare it between rows "
               "with care.")


def machine() -> str:
    import torch  # only here: the tables themselves do not need it

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} x {cpu}, {gpu}, torch {torch.__version__}"


def _cell(row, metric: str, best: bool) -> str:
    if pd.isna(row[metric]):
        return "n/a"  # e.g. the high band of a task without a cut-off
    text = (f"{row[metric]:.2f} [{row[f'{metric}_ci_low']:.2f}, "
            f"{row[f'{metric}_ci_high']:.2f}]")
    return f"**{text}**" if best else text


def results_markdown(summary_csv, command: str, commit: str | None = None) -> str:
    """The tables, headed by the date, the code's commit, the command and the machine."""
    summary = pd.read_csv(summary_csv)
    made = f"at commit `{commit}` " if commit else ""
    lines = [f"Generated on {datetime.date.today().isoformat()} {made}from `{summary_csv}` by "
             f"`{command}` on {machine()}. Mean over "
             f"the test pieces, [95 % bootstrap interval]; best per column in bold; "
             f"`<task>.<method>` rows are baselines (`<task>.input`: the degraded input "
             f"as is), `<experiment>.collab` the experiment's generator with "
             f"collaborative sampling. LSD high band: above the degraded input's cut-off "
             f"(super-resolution tasks only). {HEADER_NOTE}"]
    # A summary from before a metric existed has no column for it.
    columns = {m: HEADERS[m] for m in COLUMNS if m in summary}
    for task, table in summary.groupby("task", sort=True):
        lines += ["", f"**{task}** ({int(table['pieces'].iloc[0])} test pieces)", ""]
        lines += _table(table.sort_values("lsd"), columns)
    pairs = _pairs(summary)
    if pairs:
        lines += ["", "**One training SoundFont against several**: each experiment `<e>` "
                  "beside `<e>_multi`, the same experiment trained on more SoundFonts, "
                  "on every test SoundFont (`@<name>`: one no model trained on), with "
                  "that test set's baselines; best per column and test set in bold."]
    for one, several in pairs:
        task = summary.loc[summary["system"] == one, "task"].iloc[0]
        for test in sorted(t for t in summary["task"].unique()
                           if t == task or t.startswith(f"{task}@")):
            suffix = test[len(task):]
            baselines = summary[(summary["task"] == test)
                                & summary["system"].str.startswith(f"{task}.")]
            table = pd.concat([summary[summary["system"] == one + suffix],
                               summary[summary["system"] == several + suffix], baselines])
            lines += ["", f"*{one} and {several}, test renders {test}* "
                      f"({int(table['pieces'].iloc[0])} pieces)", ""]
            lines += _table(table, columns)
    return "\n".join(lines)


def _table(table, columns) -> list:
    lines = ["| system | " + " | ".join(columns.values()) + " |",
             "| --- |" + " --- |" * len(columns)]
    best = {m: (table[m].max() if HIGHER_IS_BETTER[m] else table[m].min()) for m in columns}
    for _, row in table.iterrows():
        cells = [_cell(row, m, row[m] == best[m]) for m in columns]
        lines.append(f"| {row['system']} | " + " | ".join(cells) + " |")
    return lines


def _pairs(summary) -> list:
    """(``<e>``, ``<e>_multi``) for every such pair of systems in the summary."""
    names = set(summary["system"])
    return sorted((name[:-len(MULTI)], name) for name in names
                  if name.endswith(MULTI) and name[:-len(MULTI)] in names)


CURVE_COLUMNS = {"valid_snr": "SNR (dB) ↑", "valid_lsd": "LSD (B) ↓",
                 "valid_mrstft": "MR-STFT ↓", "valid_visqol": "ViSQOL ↑"}


def curves_markdown(metrics_csvs, rows: int = 12) -> str:
    """Learning curves as tables: per experiment (the folder of its ``metrics.csv``),
    its validation scores and per-term gradient norms at about ``rows`` evenly spaced
    validations, the last one before each loss term joins, the last one and the
    selected one (in bold, the step saved in ``generator.pt`` beside it)."""
    from .report import selected_step
    lines = ["Validation scores against training step (`metrics.csv` of each run; the "
             "selected generator's row in bold), and each loss term's gradient norm at "
             "the generator's output at that step (∇ term, weighted; blank before the "
             "term joins)."]
    for path in metrics_csvs:
        metrics = pd.read_csv(path).dropna(subset=["valid_loss"])
        chosen = selected_step(path)
        every = max(1, -(-len(metrics) // rows))
        keep = set(metrics["step"].iloc[::every]) | {metrics["step"].iloc[-1], chosen}
        columns = {k: v for k, v in CURVE_COLUMNS.items() if k in metrics}
        # Which loss term pulls hardest, and when that changes (the adversarial join):
        # each term's gradient norm at the generator's output, measured at validations.
        terms = [k for k in metrics if k.startswith("grad_")]
        columns |= {k: f"∇ {k.removeprefix('grad_')}" for k in terms}
        keep |= _before_joins(metrics, terms)
        selected = "no generator.pt yet" if chosen is None else f"selected step {chosen}"
        lines += ["", f"*{Path(path).parent.name}* ({int(metrics['step'].iloc[-1])} steps, "
                  f"{selected})", "",
                  "| step | " + " | ".join(columns.values()) + " |",
                  "| ---: |" + " ---: |" * len(columns)]
        for _, row in metrics[metrics["step"].isin(keep)].iterrows():
            cells = [f"{int(row['step'])}", *(_number(row[c]) for c in columns)]
            if row["step"] == chosen:
                cells = [f"**{c}**" if c else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _before_joins(metrics, terms) -> set:
    """The last validation step before each term's first gradient norm: the row a
    reader compares the first step after the join with."""
    steps = set()
    for term in terms:
        first = metrics[term].notna().to_numpy().argmax()  # 0 when it never joined
        if first > 0:
            steps.add(metrics["step"].iloc[first - 1])
    return steps


def _number(value) -> str:
    """Three decimals; three significant digits for the small and the large (gradient
    norms span 1e-4 to 1e2); blank before a term has joined."""
    if pd.isna(value):
        return ""
    return f"{value:.3f}" if 0.1 <= abs(value) < 1000 else f"{value:.3g}"


def update_readme(readme, markdown: str, section: str = "results") -> None:
    """Put ``markdown`` between the file's ``<!-- <section>:start -->`` and
    ``<!-- <section>:end -->`` markers."""
    readme = Path(readme)
    text = readme.read_text()
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    if start not in text or end not in text:
        raise ValueError(f"{readme}: no {start} ... {end} markers to put the results between")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{markdown}\n{end}{tail}")
