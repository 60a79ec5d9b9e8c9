"""analyze() with [missing] method = "mice": pooled sections, sensitivity tables, Methods, cli."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from ovcfstats import StudyConfig, analyze
from ovcfstats.present._format import Style
from ovcfstats.present._present import present
from ovcfstats.report._methods import methods_paragraphs


def _table(n_pairs: int = 40, seed: int = 4) -> pd.DataFrame:
    """Cases and controls with plausible HU/BMI, holes in HU (more in cases) and BMI."""
    rng = np.random.default_rng(seed)
    n = 3 * n_pairs
    case = np.r_[np.ones(n_pairs, int), np.zeros(n - n_pairs, int)]
    df = pd.DataFrame({
        "patient_id": [f"P{i:03d}" for i in range(n)],
        "case": case,
        "age": rng.integers(60, 85, n).astype(float),
        "sex": rng.choice(["F", "M"], n, p=[0.7, 0.3]),
        "bmi": rng.normal(24, 3, n).round(1),
        "hu": (140 - 35 * case + rng.normal(0, 25, n)).round(1),
        "vbq": (2.6 + 0.5 * case + rng.normal(0, 0.4, n)).round(2),
    })
    df.loc[rng.random(n) < np.where(case == 1, 0.3, 0.1), "hu"] = np.nan
    df.loc[rng.random(n) < 0.1, "bmi"] = np.nan
    return df


def _run(table: pd.DataFrame, indicators=("hu", "vbq"), **changes):
    """One analysis (about 2 s: every section of the report runs, bootstraps included)."""
    cfg = StudyConfig(indicators=indicators, caliper=5.0, missing_method="mice", impute_m=3,
                      impute_seed=8, **changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(table, config=cfg)


@pytest.fixture(scope="module")
def once():
    return _run(_table())


def test_pooled_sections_and_complete_case_sensitivity(once):
    keys = set(once.keys())
    wanted = {"imputation", "table1", "table2_or", "fig5", "sensitivity_or", "sensitivity_auc"}
    assert wanted <= keys
    pooled, cc = once["table2_or"], once["sensitivity_or"]
    assert pooled.settings["pooled_m"] == 3 and "pooled_m" not in cc.settings
    assert (pooled.table["n"] > cc.table["n"]).any()  # the imputed rows are analysed
    assert "pooled over the imputations" in once.items[[i.key for i in once.items].index(
        "table2_or")].title
    assert once["imputation"].settings["matching_order"] == "once"
    assert set(once["imputation"].settings["imputed"]) == {"hu", "bmi"}
    assert {"vbq", "age"} <= set(once["imputation"].settings["predictors"])
    text = " ".join(methods_paragraphs(once, Style()))
    assert "imputed m = 3 times by chained equations" in text
    assert "matched once" in text and "Barnard–Rubin" in text
    assert text.count("gave odds ratios") == 1  # the sensitivity analysis: no sentence of its own
    analysed = once["missing"].analyses
    assert set(analysed["analysis"]) == {"OR, complete cases", "ROC, complete cases"}
    n_or = dict(zip(cc.table["indicator"], cc.table["n"], strict=True))
    rows = analysed[analysed["analysis"] == "OR, complete cases"]
    assert dict(zip(rows["item"], rows["n"], strict=True)) == n_or
    assert "Spearman correlation of each indicator with OVCF (pooled over the imputations)" in [
        i.title for i in once.items
    ]
    shown = present(once["fig5"])
    assert any("pooled over m = 3 imputations" in t.caption for t in shown.main)
    assert any("curves drawn are those of the first completed table" in n for n in shown.notes)
    assert not any("first completed" in n for n in present(once["sensitivity_auc"]).notes)


def test_holes_in_a_matching_variable_match_within_each_completed_table():
    table = _table()
    controls = table.index[table["case"] == 0][:6]
    table.loc[controls, "age"] = np.nan
    report = _run(table, indicators=("hu",))
    s = report["imputation"].settings
    assert s["matching_order"] == "within" and "age" in s["imputed"]
    skipped = report["skipped"].table
    assert (skipped["step"] == "complete-case matching").any()
    assert "within each completed table" in " ".join(methods_paragraphs(report, Style()))


def test_cli_flags_set_the_imputation():
    from ovcfstats.cli import _config, _parser

    args = _parser().parse_args(["analyze", "t.csv", "--impute", "7", "--seed", "5"])
    cfg = _config(args)
    assert (cfg.missing_method, cfg.impute_m, cfg.impute_seed, cfg.seed) == ("mice", 7, 5, 5)
    plain = _config(_parser().parse_args(["analyze", "t.csv", "--seed", "5"]))
    assert (plain.missing_method, plain.impute_seed) == ("complete", None)


def test_nothing_to_impute_is_a_skipped_step():
    report = _run(_table().assign(hu=lambda d: d["hu"].fillna(120.0),
                                  bmi=lambda d: d["bmi"].fillna(24.0)), indicators=("hu",))
    skipped = report["skipped"].table
    assert "no analysed variable has a missing value" in " ".join(skipped["reason"])
    assert "imputation" not in set(report.keys()) and "pooled_m" not in report["table2_or"].settings


def test_methods_say_which_intervals_the_pooled_sections_use(once):
    assert "Rubin's rules pool an estimate" not in " ".join(methods_paragraphs(once, Style()))
    report = _run(_table(), indicators=("hu",), or_ci="profile")
    assert report["table2_or"].settings["pooled_m"] == 3
    assert report["sensitivity_or"].settings["ci"] == "profile"
    text = " ".join(methods_paragraphs(report, Style()))
    assert "so the pooled ORs have Wald CIs; the complete-case analyses keep" in text
    assert "DeLong standard errors" not in text


def test_the_imputation_table_is_labelled_as_a_journal_prints_it(once):
    style = Style(variables={"hu": {"label": "Bone HU", "decimals": 1}})
    shown = present(once["imputation"], style)
    frame = shown.main[0].frame
    assert list(frame.columns) == ["Variable", "Imputation model", "Imputed values, n",
                                   "Observed, mean ± SD", "Imputed, mean ± SD"]  # fmt: skip
    assert "Bone HU" in set(frame["Variable"]) and "hu" not in set(frame["Variable"])
    table = once["imputation"].table.set_index("variable")
    row = frame[frame["Variable"] == "Bone HU"].iloc[0]
    assert row["Imputed values, n"] == str(int(table.loc["hu", "n_missing"]))
    assert row["Observed, mean ± SD"].startswith(f"{table.loc['hu', 'observed_mean']:.1f} ± ")
    assert not any("impute(" in n for n in shown.notes)


def test_the_imputation_figure_has_the_study_labels(once):
    from ovcfstats.present._format import drawing_with

    with drawing_with({"hu": {"label": "Bone HU", "unit": "HU"}}):
        fig = once["imputation"].plot()
    titles = [a.get_title() for a in fig.axes]
    assert "Bone HU, HU" in titles and "hu" not in titles
