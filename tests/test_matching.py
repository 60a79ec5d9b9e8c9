"""Matching: hand-solved cases, invariants, MatchIt/tableone balance references, bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import DataError, match_controls
from ovcfstats.matching import balance_table

REF = Path(__file__).parent / "reference"


def cohort(ages_cases, ages_controls, sex_cases=None, sex_controls=None):
    n1, n0 = len(ages_cases), len(ages_controls)
    return pd.DataFrame(
        {
            "patient_id": [f"C{i}" for i in range(n1)] + [f"K{i}" for i in range(n0)],
            "case": [1] * n1 + [0] * n0,
            "sex": (sex_cases or ["F"] * n1) + (sex_controls or ["F"] * n0),
            "age": list(ages_cases) + list(ages_controls),
        }
    )


def test_greedy_loses_a_pair_that_optimal_keeps():
    # A (70) greedily takes K0 (71); B (72) is then left with K1 (68), 4 years away.
    df = cohort([70, 72], [71, 68])
    nearest = match_controls(df, method="nearest", caliper={"age": 2})
    optimal = match_controls(df, method="optimal", caliper={"age": 2})
    assert nearest.pairs[["case_id", "control_id"]].values.tolist() == [["C0", "K0"]]
    assert list(nearest.unmatched["case_id"]) == ["C1"]
    assert "no unused control" in nearest.unmatched.loc[0, "reason"]
    assert optimal.pairs[["case_id", "control_id"]].values.tolist() == [["C0", "K1"], ["C1", "K0"]]
    assert optimal.pairs["dist_age"].sum() == 3.0
    assert optimal.unmatched.empty


def test_optimal_minimises_total_distance_among_maximal_matchings():
    df = cohort([60, 61], [60, 61, 62])
    res = match_controls(df, method="optimal", caliper={"age": 2})
    assert res.pairs["dist_age"].sum() == 0.0


def test_matched_table_is_ready_for_paired_steps():
    df = cohort([70, 80], [71, 79, 90]).assign(bmi=[20.0, 21, 22, 23, 24])
    res = match_controls(df)
    m = res.matched
    assert list(m["pair_id"]) == [1, 1, 2, 2]
    assert list(m["case"]) == [1, 0, 1, 0]
    assert "bmi" in m.columns and m.groupby("pair_id")["sex"].nunique().eq(1).all()


def test_unmatched_reason_distinguishes_no_candidate_from_exhausted_pool():
    df = cohort([70, 70, 90], [70], ["F", "F", "F"], ["F"])
    res = match_controls(df, method="nearest")
    reasons = dict(zip(res.unmatched["case_id"], res.unmatched["reason"], strict=True))
    assert reasons["C1"].startswith("no unused control")
    assert reasons["C2"].startswith("no control with the same sex")


def test_controls_with_missing_age_or_sex_are_excluded_with_reason():
    df = cohort([70], [70, 71, 72], ["F"], ["F", None, "F"])
    df.loc[df["patient_id"] == "K2", "age"] = np.nan
    res = match_controls(df)
    reasons = dict(zip(res.excluded["id"], res.excluded["reason"], strict=True))
    assert reasons == {"K1": "control with missing sex", "K2": "control with missing age"}


def test_random_is_reproducible_with_seed_and_within_caliper():
    rng = np.random.default_rng(3)
    df = cohort(rng.integers(60, 80, 30), rng.integers(55, 85, 200))
    a = match_controls(df, method="random", seed=7)
    b = match_controls(df, method="random", seed=7)
    pd.testing.assert_frame_equal(a.pairs, b.pairs)
    assert (a.pairs["dist_age"] <= 2).all()


def test_ratio_two_uses_distinct_controls():
    df = cohort([70, 75], [69, 70, 71, 74, 76, 80])
    for method in ("optimal", "nearest", "random"):
        res = match_controls(df, method=method, ratio=2, seed=1)
        assert len(res.pairs) == 4 and res.pairs["control_id"].is_unique
        assert res.pairs.groupby("pair_id").size().eq(2).all()


@settings(max_examples=60, deadline=None)
@given(
    ages=st.lists(st.integers(50, 70), min_size=2, max_size=40),
    sexes=st.lists(st.sampled_from("FM"), min_size=40, max_size=40),
    n_cases=st.integers(1, 15),
    width=st.sampled_from([0.5, 1, 2, 3]),
)
def test_invariants(ages, sexes, n_cases, width):
    n_cases = min(n_cases, len(ages) - 1)
    df = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(len(ages))],
            "case": [1] * n_cases + [0] * (len(ages) - n_cases),
            "sex": sexes[: len(ages)],
            "age": ages,
        }
    )
    sex, age = df.set_index("patient_id")["sex"], df.set_index("patient_id")["age"]
    results = {
        m: match_controls(df, method=m, caliper={"age": width}, seed=0)
        for m in ("optimal", "nearest", "random")
    }
    for res in results.values():
        p = res.pairs
        assert (p["case_id"].map(sex) == p["control_id"].map(sex)).all()
        assert (abs(p["case_id"].map(age) - p["control_id"].map(age)) <= width).all()
        assert p["control_id"].is_unique and p["case_id"].is_unique
        assert len(p) + len(res.unmatched) == n_cases
    opt, near = results["optimal"].pairs, results["nearest"].pairs
    assert len(opt) >= len(near)
    if len(opt) == len(near):
        assert opt["dist_age"].sum() <= near["dist_age"].sum() + 1e-9


def test_balance_matches_matchit_and_tableone_on_lalonde():
    lalonde = pd.read_csv(REF / "lalonde.csv")
    ref = pd.read_csv(REF / "matchit_lalonde_smd.csv", skipinitialspace=True).set_index("covariate")
    t, c = lalonde[lalonde["treat"] == 1], lalonde[lalonde["treat"] == 0]
    bal = balance_table(t, c, t, c, covariates=list(ref.index))
    before = bal[bal["stage"] == "before"].set_index("covariate").loc[ref.index]
    # closed forms: 1e-10 relative to R's 15 printed digits
    np.testing.assert_allclose(before["smd_treated_sd"], ref["smd_treated_sd"], rtol=1e-10)
    np.testing.assert_allclose(before["smd_pooled_sd"], ref["smd_pooled_sd"], rtol=1e-10)
    np.testing.assert_allclose(before["mean_control"], ref["mean_control"], rtol=1e-12)
    # the published MatchIt README figures, 4 decimals
    np.testing.assert_allclose(
        before.loc[["age", "educ", "married", "re74"], "smd_treated_sd"],
        [-0.3094, 0.0550, -0.8263, -0.7211],
        atol=5e-5,
    )


def test_love_plot_returns_figure():
    res = match_controls(cohort([70, 80], [71, 79, 90]))
    fig = res.plot()
    assert fig.axes[0].get_xlabel().startswith("Absolute standardised")


@pytest.mark.parametrize(
    ("kwargs", "edit", "match"),
    [
        ({"caliper": {"height": 2}}, None, r"'height'.*not found"),
        ({"caliper": {"sex": 2}}, None, r"non-numeric values.*'sex'"),
        ({"caliper": {"age": -1}}, None, "positive number"),
        ({"method": "closest"}, None, r"`method` of match_controls\(\) must be one of"),
        ({}, lambda d: d.assign(case=1), "no candidate controls"),
        ({}, lambda d: d.assign(case=0), "no cases"),
        ({}, lambda d: d.assign(patient_id="X"), r"duplicate IDs.*patient_id: X"),
        ({}, lambda d: d.assign(sex=[None, "F", "F"]), r"exact-matching column 'sex'.*C0"),
    ],
)
def test_bad_input(kwargs, edit, match):
    df = cohort([70], [71, 72])
    if edit is not None:
        df = edit(df)
    with pytest.raises((DataError, ValueError), match=match):
        match_controls(df, **kwargs)
