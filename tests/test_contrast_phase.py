"""analyze() with the HU indicator by contrast phase: stratified and adjusted.

The cohort (tests/reference/contrast_phase.R) has 300 matched pairs whose cases were scanned
with contrast more often (80 % against 20 %); contrast adds 20 HU, and within a phase cases have
35 HU less than controls. Pooled, the phase hides part of that difference.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from ovcfstats import DataError, StudyConfig, analyze

REF = Path(__file__).parent / "reference"
TRUE_DIFF = -35.0  # HU, cases minus controls, within a phase
TRUE_AUC = float(norm.cdf(35 / (30 * np.sqrt(2))))  # two normals, SD 30


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(REF / "contrast_cohort.csv")


def _report(data: pd.DataFrame, handling: str = "stratify", phase: str = "phase", **changes):
    config = StudyConfig(
        indicators=("hu",),
        adjust=("age", "sex"),
        or_per="unit",
        contrast_phase=phase,
        contrast_handling=handling,
        **changes,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(data, config=config, matched_by="pair_id")


def _title(report, key: str) -> str:
    return next(item.title for item in report.items if item.key == key)


@pytest.fixture(scope="module")
def stratified(cohort):
    return _report(cohort)


def test_stratified_estimates_recover_the_within_phase_truth(stratified, cohort):
    pooled = stratified["table1"].table.set_index("variable").loc["hu"]
    assert not pooled["ci_low"] <= TRUE_DIFF <= pooled["ci_high"]  # the phase confounds
    for number, level in enumerate(["native", "portal venous"], 1):
        part = cohort[cohort["phase"] == level]
        rows = stratified[f"hu_phase{number}_table1"].table.iloc[0]
        assert rows["n_1"] + rows["n_0"] == len(part)
        assert rows["mean_1"] == pytest.approx(part.loc[part["case"] == 1, "hu"].mean(), 1e-10)
        assert rows["ci_low"] <= TRUE_DIFF <= rows["ci_high"]
        auc = stratified[f"hu_phase{number}_roc"].table.iloc[0]
        assert auc["ci_low"] <= TRUE_AUC <= auc["ci_high"]
        assert (auc["n_cases"], auc["n_controls"]) == (rows["n_1"], rows["n_0"])
        odds = stratified[f"hu_phase{number}_or"].table.iloc[0]
        assert odds["n"] == len(part) and odds["ci_high"] < 1
        title = _title(stratified, f"hu_phase{number}_or")
        assert "unpaired: matched sets split by the phase" in title


def test_adjusted_or_equals_r_glm_with_the_phase_as_covariate(cohort):
    report = _report(cohort, "adjust", conditional=False)  # the paper's unconditional model
    ref = pd.read_csv(REF / "contrast_glm.csv").set_index("term").loc["hu"]
    row = report["hu_phase_or"].table.iloc[0]
    assert row["adjusted_for"] == "age, sex, phase"
    for ours, theirs in [("beta", "coef"), ("se", "se"), ("or", "or"),
                         ("ci_low", "or_lower"), ("ci_high", "or_upper")]:  # fmt: skip
        assert row[ours] == pytest.approx(ref[theirs], rel=1e-5)
    keys = report.keys()
    assert not any(key.startswith("hu_phase1") for key in keys)


def test_adjusted_or_of_matched_pairs_equals_r_clogit(cohort):
    report = _report(cohort, "adjust")  # matched pairs: conditional logit by default
    ref = pd.read_csv(REF / "contrast_clogit.csv").set_index("term").loc["hu"]
    row = report["hu_phase_or"].table.iloc[0]
    assert report["hu_phase_or"].settings["conditional"]
    for ours, theirs in [("beta", "coef"), ("se", "se"), ("or", "or"),
                         ("ci_low", "or_lower"), ("ci_high", "or_upper")]:  # fmt: skip
        assert row[ours] == pytest.approx(ref[theirs], rel=1e-5)


def test_phase_shared_within_each_set_keeps_the_matched_analysis(cohort):
    same = cohort.copy()
    same["phase"] = same.groupby("pair_id")["phase"].transform("first")  # the case's phase
    report = _report(same)
    rows = report["hu_phase1_table1"].table.iloc[0]
    assert rows["n_pairs"] == (same["phase"] == "native").sum() / 2
    assert "matched sets)" in _title(report, "hu_phase1_table1")


def test_patients_without_a_phase_are_listed_and_in_no_stratum(cohort):
    gaps = cohort.copy()
    gaps["phase"] = gaps["phase"].astype(object)
    gaps.loc[[0, 3], "phase"] = [None, " "]
    report = _report(gaps)
    skipped = report["skipped"].table
    row = skipped[skipped["step"] == "contrast phase"].iloc[0]
    assert "2 patients without a phase" in row["reason"] and "P001, P004" in row["reason"]
    sizes = [len(report[f"hu_phase{i}_roc"].table) for i in (1, 2)]
    keys = report.keys()
    assert sizes == [1, 1] and "hu_phase3_roc" not in keys
    n = [report[f"hu_phase{i}_or"].table.iloc[0]["n"] for i in (1, 2)]
    assert sum(n) == len(gaps) - 2


def test_a_misspelt_phase_column_is_an_error_naming_the_closest(cohort):
    with pytest.raises(DataError, match=r"'phse'.*Did you mean 'phase'"):
        _report(cohort, phase="phse")


def test_study_file_and_command_line_carry_the_phase(tmp_path):
    from ovcfstats.cli import _config, _parser

    config = StudyConfig(contrast_phase="contrast_agent", contrast_handling="adjust")
    path = tmp_path / "study.toml"
    path.write_text(config.to_toml())
    assert StudyConfig.from_toml(path) == config
    assert "[contrast]" in config.to_toml()
    with pytest.raises(DataError, match=r"\[contrast\] handling"):
        StudyConfig(contrast_handling="strata")
    args = _parser().parse_args(["analyze", "x.csv", "--contrast-phase", "kind", "--adjust-phase"])
    cli = _config(args)
    assert (cli.contrast_phase, cli.contrast_handling) == ("kind", "adjust")
    args = _parser().parse_args(["analyze", "x.csv", "--study", str(path)])
    assert _config(args) == config
