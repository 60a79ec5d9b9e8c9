"""Figures degrade instead of crashing: capped sizes, too many indicators or degenerate data are
a note in the report where the figure would be, and every other output is still written."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from ovcfstats import (
    Report,
    analyze,
    match_controls,
    plot_heatmap,
    plot_roc,
    roc_auc,
    spearman_matrix,
)
from ovcfstats.present._plotting import MAX_FIGSIZE, NoFigure

FILES = ("report.html", "report.md", "tables.xlsx", "report.docx")


def _wide(n: int, k: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    case = np.tile([1, 0], n // 2)
    values = rng.normal(0, 1, (n, k)) + 0.3 * case[:, None]
    columns = {f"x{j}": values[:, j] for j in range(k)}
    return pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "case": case, **columns})


def test_heatmap_of_many_indicators_is_capped_then_refused():
    data = _wide(60, 41)
    fig = plot_heatmap(data, [f"x{j}" for j in range(20)])
    width, height = fig.get_size_inches()
    assert width == pytest.approx(12.0) and height <= MAX_FIGSIZE[1]
    assert width / height == pytest.approx(23.6 / 20.9)  # the shape kept
    assert not fig.axes[0].texts  # 20 indicators: no ρ written in 400 cells
    with pytest.raises(NoFigure, match=r"41 indicators are more than a legible figure shows "
                       r"\(at most 40\); the numbers are in the correlation matrix"):  # fmt: skip
        plot_heatmap(spearman_matrix(data, [f"x{j}" for j in range(41)]))


def test_a_report_of_many_indicators_notes_the_figures_and_writes_every_file(tmp_path):
    data = _wide(100, 45)  # 10⁴ patients × 200 indicators: the same, only slower
    names = [f"x{j}" for j in range(45)]
    report = Report("wide").add(spearman_matrix(data, names), key="table3")
    report.add(roc_auc(data, names), key="fig5")
    paths = report.save(tmp_path / "out")
    assert all((tmp_path / "out" / f).is_file() for f in FILES)
    assert list((tmp_path / "out" / "figures").iterdir()) == [] and paths["figures"].is_dir()
    skipped = report.skipped_figures()
    assert skipped["table3"].startswith("45 indicators are more than a legible figure shows")
    assert skipped["fig5"].startswith("45 ROC curves are more than")
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.count("- Figure not drawn: 45 ") == 2 and "![Figure" not in md
    assert "Figure not drawn: 45 indicators" in (tmp_path / "out" / "report.html").read_text()
    with pytest.raises(NoFigure, match="plot a subset"):
        plot_roc(report["fig5"])
    assert len(plot_roc(report["fig5"], names[:3]).axes[0].lines) == 7  # a subset still draws


def test_figure_numbers_skip_the_figures_not_drawn(tmp_path):
    data = _wide(80, 45)
    names = [f"x{j}" for j in range(45)]
    report = Report().add(spearman_matrix(data, names), key="t3")
    report.add(roc_auc(data, names[:2]), key="roc")
    captions = [s.figure_caption for s in report.layout().sections]
    assert captions[0] == "" and captions[1].startswith("Figure 1. ROC curves")


def _two_patients() -> pd.DataFrame:
    return pd.DataFrame({"patient_id": ["a", "b"], "case": [1, 0], "age": [70, 70], "sex": "F",
                         "bmi": [22.0, 22.0], "hu": [80.0, 120.0], "vbq": [3.5, 2.5]})  # fmt: skip


def _identical(n: int) -> pd.DataFrame:
    return pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "case": np.tile([1, 0], n // 2),
                         "age": 70, "sex": "F", "bmi": 22.0, "hu": 100.0, "vbq": 3.0})  # fmt: skip


@pytest.mark.parametrize("data", [_two_patients, lambda: _identical(100_000)], ids=["2", "1e5"])
def test_degenerate_data_skip_the_figure_with_a_note(tmp_path, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the analysis warns of the skipped steps
        report = analyze(data())
        paths = report.save(tmp_path / "out")
    assert all(p.exists() for p in paths.values())
    assert report.skipped_figures()["matching"].startswith(
        "no covariate has a standardised mean difference"
    )
    assert "- Figure not drawn: no covariate has" in (tmp_path / "out" / "report.md").read_text()


def test_love_plot_of_constant_covariates_is_no_figure():
    same = _identical(6)
    with pytest.raises(NoFigure, match="no covariate has a standardised mean difference"):
        match_controls(same).plot()


def test_cli_prints_one_warning_per_figure_not_drawn(tmp_path, capsys):
    from ovcfstats.cli import main

    table = tmp_path / "t.csv"
    _two_patients().to_csv(table, index=False)
    out = tmp_path / "out"
    assert main(["analyze", str(table), "--indicators", "hu,vbq", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "ovcfstats: warning: figure of 'matching' not drawn: no covariate has" in err
    assert (out / "report.docx").is_file()
