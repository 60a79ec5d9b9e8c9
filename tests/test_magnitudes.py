"""Values near 1e300 (squares overflow): every statistic is computed on rescaled values, exactly.

An indicator ``hu · 2⁹⁰⁰`` is the same measurement in other units: its Table 1 summaries are
those of ``hu`` times 2⁹⁰⁰ and its scale-free statistics (p, SMD, OR per SD, AUC) are equal.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from ovcfstats import (
    StudyConfig,
    analyze,
    compare_groups,
    derive_indicators,
    load_sample,
    logistic_or,
    match_controls,
    roc_auc,
)

UNIT = 2.0**900  # hu · UNIT ≈ 1e272 · hu: squares overflow


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    patients, measurements = load_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = derive_indicators(patients, measurements).table
    data = match_controls(table, caliper={"age": 2}).matched
    return data.assign(big=data["hu"] * UNIT, tiny=data["hu"] / UNIT)


def test_table1_sd_is_finite_and_exact(pairs):
    res = compare_groups(pairs, ["hu", "big", "tiny"], pair="pair_id").table.set_index("variable")
    for var, unit in (("big", UNIT), ("tiny", 1 / UNIT)):
        for col in ("mean_1", "sd_1", "mean_0", "sd_0", "diff", "ci_low", "ci_high"):
            assert res.loc[var, col] == res.loc["hu", col] * unit, (var, col)
        for col in ("statistic", "p", "smd"):
            assert res.loc[var, col] == res.loc["hu", col], (var, col)
    assert np.isfinite(res.loc["big", "sd_1"]) and res.loc["big", "p"] < 1e-10
    quartiles = compare_groups(pairs, ["hu", "big"], median=True).table.set_index("variable")
    assert quartiles.loc["big", "q3_0"] == quartiles.loc["hu", "q3_0"] * UNIT


def test_separated_values_near_1e300_give_a_small_p_not_1():
    rng = np.random.default_rng(3)
    x = np.r_[rng.uniform(1e300, 2e300, 40), rng.uniform(3e300, 4e300, 40)]
    data = pd.DataFrame({"patient_id": [f"P{i}" for i in range(80)], "case": [0] * 40 + [1] * 40,
                         "x": x})  # fmt: skip
    roc = roc_auc(data, ["x"]).table
    assert roc.loc[0, "auc"] == 1.0
    for test in ("welch", "student"):
        row = compare_groups(data, ["x"], tests={"x": test}).table.iloc[0]
        assert row["p"] < 1e-20 and np.isfinite(row["sd_1"]) and row["smd"] > 5
    in_units = compare_groups(data.assign(x=x / 2.0**1000), ["x"]).table.iloc[0]
    row = compare_groups(data, ["x"]).table.iloc[0]
    assert row["statistic"] == in_units["statistic"] and row["p"] == in_units["p"]


@pytest.mark.parametrize("conditional", [False, True])
def test_table2_is_not_dropped_as_collinear(pairs, conditional):
    kw = {"conditional": True, "strata": "pair_id", "adjust": ()} if conditional else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        res = logistic_or(pairs, ["hu", "big"], per="sd", **kw).table.set_index("indicator")
        unit = logistic_or(pairs, ["big"], per="unit", **kw).table.iloc[0]
    for col in ("or", "ci_low", "ci_high", "p"):
        assert res.loc["big", col] == pytest.approx(res.loc["hu", col], rel=1e-9)
    hu = logistic_or(pairs, ["hu"], per="unit", **kw).table.iloc[0]
    assert unit["beta"] == pytest.approx(hu["beta"] / UNIT, rel=1e-9) and unit["p"] == hu["p"]


def test_the_study_runs_every_step_on_values_near_1e300(pairs):
    data = pairs.drop(columns=["pair_id", "tiny"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = analyze(data, config=StudyConfig(indicators=("hu", "big")))
    assert not [w for w in caught if "overflow" in str(w.message) or "skipped" in str(w.message)]
    keys = set(report.keys())
    assert "skipped" not in keys and "table2_or" in keys
    t1 = report["table1"].table.set_index("variable")
    assert t1.loc["big", "sd_1"] == t1.loc["hu", "sd_1"] * UNIT
    assert (report["fig5"].table.set_index("indicator").loc["big", "auc"]
            == report["fig5"].table.set_index("indicator").loc["hu", "auc"])  # fmt: skip


def test_balance_and_cutoffs_near_the_largest_floats():
    from ovcfstats.matching._balance import balance_from_columns

    x = np.array([1.0, 2.0, 3.0, 5.0])
    parts = [x, x + 1, x, x + 0.5]
    plain = balance_from_columns({"v": parts}).set_index("stage")
    big = balance_from_columns({"v": [p * UNIT for p in parts]}).set_index("stage")
    assert (big["sd_case"] == plain["sd_case"] * UNIT).all()
    assert (big["smd_pooled_sd"] == plain["smd_pooled_sd"]).all()
    data = pd.DataFrame({"patient_id": list("abcd"), "case": [0, 0, 1, 1],
                         "x": [1.0e308, 1.2e308, 1.6e308, 1.7e308]})  # fmt: skip
    row = roc_auc(data, ["x"]).table.iloc[0]
    assert row["auc"] == 1.0 and row["cutoff"] == pytest.approx(1.4e308)
