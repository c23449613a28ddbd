import datetime

import pandas as pd
import pytest

from music_enhance.evaluation.results import results_markdown, update_readme

START, END = "<!-- results:start -->", "<!-- results:end -->"


@pytest.fixture
def summary(tmp_path):
    rows = []
    for system, snr, lsd in (("t.input", 10.0, 2.0), ("t.cubic", 11.0, 1.5), ("net", 12.5, 1.7)):
        row = {"system": system, "task": "t", "pieces": 4}
        for metric, value in (("snr", snr), ("lsd", lsd), ("lsd_high", lsd + 1)):
            row.update({metric: value, f"{metric}_ci_low": value - 0.1,
                        f"{metric}_ci_high": value + 0.1})
        rows.append(row)
    path = tmp_path / "summary.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_table_holds_every_system_with_intervals_and_marks_the_best(summary):
    text = results_markdown(summary, "make reports")
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[0] == "| system | SNR (dB) ↑ | LSD (B) ↓ | LSD high band (B) ↓ |"
    body = lines[2:]
    assert [line.split(" | ")[0] for line in body] == ["| t.cubic", "| net", "| t.input"]
    assert "| net | **12.50 [12.40, 12.60]** | 1.70 [1.60, 1.80] |" in text
    assert "| t.cubic | 11.00 [10.90, 11.10] | **1.50 [1.40, 1.60]** |" in text
    assert "`make reports`" in text and "**t** (4 test pieces)" in text
    dated = results_markdown(summary, "make reports", commit="abc1234")
    assert dated.startswith(f"Generated on {datetime.date.today().isoformat()} at commit "
                            f"`abc1234` from `{summary}` by `make reports`")


def test_a_missing_metric_is_marked_not_available(summary, tmp_path):
    table = pd.read_csv(summary)
    table["lsd_high"] = float("nan")
    table.to_csv(summary, index=False)
    assert "| net | **12.50 [12.40, 12.60]** | 1.70 [1.60, 1.80] | n/a |" in results_markdown(
        summary, "make reports")


def test_readme_is_rewritten_only_between_the_markers(summary, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\nold\n{END}\noutro\n")
    update_readme(readme, results_markdown(summary, "make reports"))
    text = readme.read_text()
    assert text.startswith(f"intro\n{START}\nGenerated on ") and text.endswith(f"{END}\noutro\n")
    assert "\nold\n" not in text
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="README.md: no <!-- results:start -->"):
        update_readme(readme, "x")


def test_an_experiment_and_its_multi_soundfont_twin_are_set_side_by_side(tmp_path):
    scores = {("t.input", "t"): 4.0, ("e", "t"): 2.0, ("e_multi", "t_multi"): 2.5,
              ("t_multi.input", "t_multi"): 4.0, ("lone_multi", "t_multi"): 1.0,
              ("t.input@u", "t@u"): 3.0, ("e@u", "t@u"): 3.5, ("e_multi@u", "t_multi@u"): 1.5}
    rows = []
    for (system, task), lsd in scores.items():
        row = {"system": system, "task": task, "pieces": 4}
        for metric, value in (("snr", 10.0), ("lsd", lsd)):
            row.update({metric: value, f"{metric}_ci_low": value, f"{metric}_ci_high": value})
        rows.append(row)
    path = tmp_path / "summary.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    text = results_markdown(path, "make reports")
    assert text.count("*e and e_multi, test renders") == 2  # no pair for lone_multi
    seen = text.split("*e and e_multi, test renders t* (4 pieces)")[1].split("*e and")[0]
    unseen = text.split("*e and e_multi, test renders t@u* (4 pieces)")[1]
    assert [line.split(" | ")[0] for line in seen.splitlines() if line.startswith("| ")][2:] \
        == ["| e", "| e_multi", "| t.input"]
    assert "| e_multi@u | **10.00 [10.00, 10.00]** | **1.50 [1.50, 1.50]** |" in unseen
    assert "| e@u | **10.00 [10.00, 10.00]** | 3.50 [3.50, 3.50] |" in unseen
    assert "t_multi.input" not in seen + unseen


def test_headers_name_unit_and_direction_of_every_metric(summary):
    from music_enhance.evaluation.results import HEADERS
    from music_enhance.evaluation.score import HIGHER_IS_BETTER, METRICS
    assert set(HEADERS) == set(METRICS)
    for metric, header in HEADERS.items():
        assert header.endswith(" ↑" if HIGHER_IS_BETTER[metric] else " ↓"), metric
    assert HEADERS["snr"] == "SNR (dB) ↑" and HEADERS["si_sdr"] == "SI-SDR (dB) ↑"
    assert HEADERS["visqol"] == "ViSQOL MOS ↑" and HEADERS["mrstft"] == "MR-STFT ↓"
    text = results_markdown(summary, "make reports")
    assert "↑ higher is better, ↓ lower is better" in text


def test_learning_curves_mark_the_selected_step(tmp_path):
    import torch

    from music_enhance.evaluation.results import curves_markdown
    from music_enhance.training.checkpoint import save_checkpoint
    from music_enhance.training.models import build_model
    run = tmp_path / "denoise_long"
    run.mkdir()
    rows = [{"step": s, "train_loss": 1.0, **({"valid_loss": 0.1, "valid_snr": 10 + s / 1000,
                                               "valid_lsd": 2 - s / 1e4, "valid_mrstft": 0.7,
                                               "valid_visqol": 4.0 + s / 1e5,
                                               "grad_l1": 0.004,
                                               **({"grad_adversarial": 12.5} if s > 5000
                                                  else {})}
                                              if s % 250 == 0 else {})}
            for s in range(1, 10001)]
    pd.DataFrame(rows).to_csv(run / "metrics.csv", index=False)
    spec = {"model": {"name": "specunet", "channels": [4]}}
    torch.manual_seed(0)
    save_checkpoint(run / "generator.pt", build_model(spec["model"]), spec,
                    {"sample_rate": 16000, "window": 8192}, 7250, "denoise_long")
    text = curves_markdown([run / "metrics.csv"], rows=8)
    assert "*denoise_long* (10000 steps, selected step 7250)" in text
    table = [line for line in text.splitlines()
             if line.startswith("| ") and "step" not in line and "---" not in line]
    steps = [int(line.split("|")[1].strip(" *")) for line in table]
    # Every fifth of the 40 validations, the last before the adversarial term joins
    # (5000), the last, and the selected one in bold.
    assert steps == sorted({250, 1500, 2750, 4000, 5250, 6500, 7750, 9000, 5000, 7250,
                            10000})
    assert "| step | SNR (dB) ↑ | LSD (B) ↓ | MR-STFT ↓ | ViSQOL ↑ | ∇ l1 | ∇ adversarial |" in text
    assert ("| **7250** | **17.250** | **1.275** | **0.700** | **4.072** | **0.004** | "
            "**12.500** |") in table
    assert "| 4000 | 14.000 | 1.600 | 0.700 | 4.040 | 0.004 |  |" in table
    # A run still training (or stopped before saving) has no generator.pt: no row in bold.
    (run / "generator.pt").unlink()
    text = curves_markdown([run / "metrics.csv"], rows=8)
    assert "*denoise_long* (10000 steps, no generator.pt yet)" in text and "**" not in text


def test_results_table_prints_curves_with_the_rows_asked_for(tmp_path, capsys):
    from music_enhance.cli import main
    run = tmp_path / "sr5_long"
    run.mkdir()
    pd.DataFrame([{"step": s, "train_loss": 1.0, "valid_loss": 0.1, "valid_snr": s / 100,
                   "grad_l1": 0.01, "grad_adversarial": 1.0 if s > 2000 else None}
                  for s in range(250, 4001, 250)]).to_csv(run / "metrics.csv", index=False)
    assert main(["results-table", "--curves", str(run / "metrics.csv"),
                 "--curve-rows", "2"]) == 0
    table = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("| ") and "step" not in line and "---" not in line]
    # Every eighth of the 16 validations, the last before the join (2000) and the last.
    assert [int(line.split("|")[1]) for line in table] == [250, 2000, 2250, 4000]
    assert main(["results-table", "--curves", str(run / "metrics.csv"),
                 "--curve-rows", "0"]) == 1
    assert "--curve-rows 0: give at least 1" in capsys.readouterr().err
