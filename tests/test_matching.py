"""Matching: hand-solved cases, invariants, MatchIt/tableone balance references, bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import DataError, OvcfWarning, match_controls
from ovcfstats.matching import _algorithms, balance_table
from ovcfstats.matching._algorithms import (
    _caliper_edges,
    dense_optimal,
    grouped_optimal,
    sparse_optimal,
)

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
    cases, ctrls = df[df["case"] == 1], df[df["case"] == 0]
    eligible = (
        (cases["sex"].to_numpy()[:, None] == ctrls["sex"].to_numpy()[None, :])
        & (abs(cases["age"].to_numpy()[:, None] - ctrls["age"].to_numpy()[None, :]) <= width)
    ).any()
    if not eligible:  # no pair is possible: every method says so instead of an empty result
        for m in ("optimal", "nearest", "random"):
            with pytest.raises(DataError, match="no case has an eligible control"):
                match_controls(df, method=m, caliper={"age": width}, seed=0)
        return
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


# -- tie rule, caliper boundary, seeds, awkward input ----------------------------------------


def pick(df, **kwargs):
    res = match_controls(df, method="nearest", **kwargs)
    return res.pairs["control_id"].tolist()


def test_nearest_tie_goes_to_the_lower_value_whatever_the_data_order():
    assert pick(cohort([70], [71, 69])) == ["K1"]
    assert pick(cohort([70], [69, 71])) == ["K0"]


@pytest.mark.parametrize(
    ("case_age", "control_ages", "expected"),
    [
        (72, [71, 71, 71], "K0"),  # equal values below the case: the first in data order
        (70, [71, 71, 71], "K0"),  # equal values above
        (70, [70, 70, 69], "K0"),  # equal values at distance 0
        (72, [75, 71, 71], "K1"),
    ],
)
def test_nearest_tie_among_equal_values_goes_to_data_order(case_age, control_ages, expected):
    assert pick(cohort([case_age], control_ages)) == [expected]


def test_nearest_tie_rule_with_several_caliper_variables():
    df = cohort([70], [71, 69, 69]).assign(bmi=[20.0, 20.0, 20.0, 20.0])
    assert pick(df, caliper={"age": 2, "bmi": 2}) == ["K1"]


def test_nearest_reproduces_matchit_choice_among_equally_close_controls():
    """MatchIt 4.5.1 nearest, m.order = "data", age as distance (tests/reference/matchit_ties.R)."""
    ref = pd.read_csv(REF / "matchit_ties.csv", keep_default_na=False, dtype={"patient_id": str})
    n_cases = n_ids_differ = 0
    for _, d in ref.groupby("dataset", sort=False):
        df = d.drop(columns=["dataset", "matchit_control"])
        mine = match_controls(df, method="nearest", ties="matchit").pairs
        lower = match_controls(df, method="nearest").pairs
        cases = d[d["case"] == 1]
        got = dict(zip(mine["case_id"], mine["control_id"], strict=True))
        assert [got.get(c, "") for c in cases["patient_id"]] == cases["matchit_control"].tolist()
        # the default rule: the same cases matched at the same distances, other IDs
        pd.testing.assert_frame_equal(
            mine[["pair_id", "case_id", "dist_age"]], lower[["pair_id", "case_id", "dist_age"]]
        )
        n_cases += len(cases)
        n_ids_differ += int((mine["control_id"] != lower["control_id"]).sum())
    assert n_cases > 250 and n_ids_differ > 10  # the fixture does exercise the tie rules


@settings(max_examples=40, deadline=None)
@given(
    ages=st.lists(st.integers(60, 66), min_size=3, max_size=30),
    n_cases=st.integers(1, 10),
    seed=st.integers(0, 10**6),
)
def test_tie_rules_differ_only_in_ids(ages, n_cases, seed):
    n_cases = min(n_cases, len(ages) - 1)
    order = np.random.default_rng(seed).permutation(len(ages))
    df = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(len(ages))],
            "case": [1] * n_cases + [0] * (len(ages) - n_cases),
            "sex": "F",
            "age": ages,
        }
    ).iloc[order]
    try:
        a = match_controls(df, method="nearest").pairs
    except DataError:
        return
    b = match_controls(df, method="nearest", ties="matchit").pairs
    pd.testing.assert_frame_equal(a.drop(columns="control_id"), b.drop(columns="control_id"))


def test_matchit_ties_need_one_caliper_variable():
    df = cohort([70], [71]).assign(bmi=20.0)
    with pytest.raises(ValueError, match="single caliper variable"):
        match_controls(df, method="nearest", ties="matchit", caliper={"age": 2, "bmi": 1})
    with pytest.raises(ValueError, match="`ties`"):
        match_controls(df, ties="first")


@pytest.mark.parametrize("method", ["nearest", "random", "optimal"])
@pytest.mark.parametrize(
    ("case_age", "control_age", "width"),
    [(70, 72, 2), (70, 68, 2), (70.1, 72.1, 2), (60.3, 60.0, 0.3), (70, 71, 1)],
)
def test_a_control_exactly_at_the_caliper_is_matched(method, case_age, control_age, width):
    df = cohort([case_age], [control_age])
    res = match_controls(df, method=method, caliper={"age": width}, seed=1)
    assert res.pairs["control_id"].tolist() == ["K0"]


@pytest.mark.parametrize("method", ["nearest", "random", "optimal"])
def test_a_control_just_beyond_the_caliper_is_not(method):
    df = cohort([70, 80], [72.001, 80])
    res = match_controls(df, method=method, caliper={"age": 2}, seed=1)
    assert res.pairs["case_id"].tolist() == ["C1"]


@pytest.mark.parametrize("method", ["nearest", "random", "optimal"])
def test_caliper_is_inclusive_with_several_variables(method):
    df = cohort([70], [72]).assign(bmi=[20.0, 21.0])
    res = match_controls(df, method=method, caliper={"age": 2, "bmi": 1}, seed=1)
    assert res.pairs["distance"].tolist() == [2.0]


def test_random_without_seed_draws_one_records_it_and_it_reproduces_the_pairs():
    rng = np.random.default_rng(5)
    df = cohort(rng.integers(60, 80, 25), rng.integers(55, 85, 150))
    first = match_controls(df, method="random")
    seed = first.settings["seed"]
    assert isinstance(seed, int) and first.settings["seed_drawn"]
    assert f"seed={seed}" in first.summary()
    again = match_controls(df, method="random", seed=seed)
    pd.testing.assert_frame_equal(first.pairs, again.pairs)
    assert not again.settings["seed_drawn"]
    other = match_controls(df, method="random")
    assert other.settings["seed"] != seed


@pytest.mark.parametrize("seed", [True, -1, 1.5, "7"])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="`seed`"):
        match_controls(cohort([70], [71]), method="random", seed=seed)


def test_an_already_matched_table_is_rematched_keeping_its_pair_id():
    first = match_controls(cohort([70, 80], [71, 79, 90])).matched
    with pytest.warns(OvcfWarning, match="'pair_id' -> 'pair_id_input'"):
        again = match_controls(first)
    assert list(again.matched["pair_id_input"]) == list(first["pair_id"])
    assert list(again.matched["pair_id"]) == [1, 1, 2, 2]
    assert "match_distance_input" in again.matched.columns
    assert again.warnings and "analyses directly" in again.warnings[0]


def test_no_case_with_an_eligible_control_is_one_clear_error():
    df = cohort([70, 60], [75, 80, 61], ["F", "M"], ["F", "F", "F"])
    with pytest.raises(DataError) as err:
        match_controls(df, caliper={"age": 2})
    msg = str(err.value)
    assert msg.startswith("match_controls(): no case has an eligible control")
    assert "sex=F: 1 case(s), 3 control(s), closest control 5 away in 'age' (caliper 2)" in msg
    assert "sex=M: 1 case(s), 0 control(s)" in msg
    assert "caliper={'age': 5}" in msg and "exact=('sex',)" in msg


def test_ids_are_matched_as_text():
    df = pd.DataFrame(
        {"patient_id": ["007", "7", " 8 "], "case": [1, 0, 0], "sex": "F", "age": [70, 71, 75]}
    )
    res = match_controls(df)
    assert res.pairs[["case_id", "control_id"]].values.tolist() == [["007", "7"]]
    assert res.matched["patient_id"].tolist() == ["007", "7"]
    numeric = df.assign(patient_id=[1, 2, 3])
    assert match_controls(numeric).pairs["control_id"].tolist() == ["2"]


# -- sparse optimal solver == the dense assignment (still used for small strata) --------------


def _objective(case_x, ctrl_x, widths, ci, ki):
    assert len(set(ki.tolist())) == len(ki)  # a control is used once
    diff = np.abs(case_x[ci] - ctrl_x[ki]) / widths
    assert (diff <= 1 + 1e-12).all()  # every pair within every caliper
    return len(ci), diff.sum()


def _compare(case_x, ctrl_x, widths, ratio):
    fast = sparse_optimal(case_x, ctrl_x, widths, ratio)
    slow = dense_optimal(case_x, ctrl_x, widths, ratio)
    assert np.bincount(fast[0], minlength=len(case_x)).max(initial=0) <= ratio
    n_fast, d_fast = _objective(case_x, ctrl_x, widths, *fast)
    n_slow, d_slow = _objective(case_x, ctrl_x, widths, *slow)
    assert n_fast == n_slow  # as many pairs
    assert d_fast == pytest.approx(d_slow, abs=1e-9)  # and as little total distance
    return fast, slow


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 12), min_size=1, max_size=12),
    st.lists(st.integers(0, 12), min_size=1, max_size=30),
    st.lists(st.integers(0, 4), min_size=42, max_size=42),
    st.sampled_from([1.0, 2.0, 3.5]),
    st.integers(1, 3),
    st.booleans(),
)
def test_sparse_optimal_equals_dense_on_random_tied_inputs(cases, ctrls, bmi, width, ratio, two):
    # whole numbers: many ties and equally good matchings; the objective must agree
    case_x = np.array(cases, float)[:, None]
    ctrl_x = np.array(ctrls, float)[:, None]
    widths = np.array([width])
    if two:
        case_x = np.c_[case_x, bmi[: len(cases)]]
        ctrl_x = np.c_[ctrl_x, bmi[len(cases) : len(cases) + len(ctrls)]]
        widths = np.array([width, 2.0])
    _compare(case_x, ctrl_x, widths, ratio)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ratio", [1, 2])
def test_sparse_optimal_equals_dense_on_crowded_continuous_inputs(seed, ratio):
    # crowded, so that the kept-edge bound prunes. Pairs themselves may differ: with |Δ|
    # distances, two cases with both controls on the same side can swap them at equal total.
    rng = np.random.default_rng(seed)
    case_x = rng.uniform(60, 70, (40, 1))
    ctrl_x = rng.uniform(58, 72, (500, 1))
    widths = np.array([1.5])
    _compare(case_x, ctrl_x, widths, ratio)
    assert len(_caliper_edges(case_x, ctrl_x, widths, ratio)[1]) < (
        (np.abs(case_x - ctrl_x.T) <= 1.5).sum()
    )
    two = np.c_[case_x, rng.uniform(20, 30, 40)], np.c_[ctrl_x, rng.uniform(20, 30, 500)]
    _compare(*two, np.array([1.5, 3.0]), ratio)


def test_sparse_graph_keeps_only_the_needed_nearest_edges():
    # 3 cases far apart, 200 controls each within the caliper: 1 rival slot -> 1-2 edges each
    case_x = np.array([[10.0], [30.0], [50.0]])
    ctrl_x = np.r_[
        9.0 + np.linspace(0, 2, 200), 29.0 + np.linspace(0, 2, 200), 49.5 + np.zeros(200)
    ]
    widths = np.array([1.0])
    _, rows, _, dist = _caliper_edges(case_x, ctrl_x[:, None], widths, 1)
    assert len(rows) <= 6
    assert np.allclose(np.sort(dist[rows == 0])[0], 0.0050251256, atol=1e-9)
    ci, ki = sparse_optimal(case_x, ctrl_x[:, None], widths, 1)
    assert np.abs(case_x[ci, 0] - ctrl_x[ki]).tolist() == pytest.approx([1 / 199, 1 / 199, 0.5])


@pytest.mark.parametrize("chunk", [1, 7, 10**9])
def test_edges_do_not_depend_on_the_chunk_size(chunk):
    rng = np.random.default_rng(3)
    case_x, ctrl_x = rng.uniform(0, 10, (30, 2)), rng.uniform(0, 10, (90, 2))
    widths = np.array([2.0, 3.0])
    whole = _caliper_edges(case_x, ctrl_x, widths, 2, chunk=10**9)
    parts = _caliper_edges(case_x, ctrl_x, widths, 2, chunk=chunk)
    for a, b in zip(whole, parts, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.sampled_from(["F", "M", "f", " F "]),
            st.one_of(st.none(), st.integers(60, 75)),
        ),
        min_size=2,
        max_size=40,
    ),
    st.integers(1, 2),
)
def test_match_controls_optimal_equals_dense_with_awkward_input(rows, ratio):
    # text IDs with leading zeros, lower-case/padded sex codes, blank ages; sparse solver forced
    df = pd.DataFrame(rows, columns=["case", "sex", "age"])
    df.insert(0, "patient_id", [f"{i:03d}" for i in range(len(df))])
    df["case"] = df["case"].astype(int)
    df["age"] = df["age"].astype(float)
    if df["case"].nunique() < 2:
        return
    dense_cells = _algorithms.DENSE_CELLS
    _algorithms.DENSE_CELLS = 0
    try:
        res = match_controls(df, caliper={"age": 2}, ratio=ratio)
    except DataError:
        return
    finally:
        _algorithms.DENSE_CELLS = dense_cells
    best = 0.0
    data = df.set_index("patient_id")
    for _key, grp in data.dropna(subset=["age"]).groupby(data["sex"].astype(str)):
        cx = grp.loc[grp["case"] == 1, ["age"]].to_numpy(float)
        kx = grp.loc[grp["case"] == 0, ["age"]].to_numpy(float)
        if len(cx) and len(kx):
            ci, ki = dense_optimal(cx, kx, np.array([2.0]), ratio)
            best += len(ci) * 1e6 + np.abs(cx[ci] - kx[ki]).sum()
    got = res.pairs
    assert len(got) * 1e6 + got["dist_age"].sum() == pytest.approx(best, abs=1e-6)
    assert (got["case_id"].map(data["sex"]) == got["control_id"].map(data["sex"])).all()


def test_small_strata_keep_the_dense_choice_among_equally_good_matchings(monkeypatch):
    # A and B are both 1 from C: the dense solver pairs A; forced sparse, either is optimal
    df = cohort([70, 72], [71, 75])
    assert match_controls(df).pairs["case_id"].tolist() == ["C0"]
    monkeypatch.setattr(_algorithms, "DENSE_CELLS", 0)
    sparse = match_controls(df).pairs
    assert len(sparse) == 1 and sparse["distance"].sum() == 0.5


def test_large_strata_use_the_sparse_solver(monkeypatch):
    calls = []
    monkeypatch.setattr(_algorithms, "DENSE_CELLS", 9)
    monkeypatch.setattr(
        _algorithms, "sparse_optimal", lambda *a: calls.append(a) or dense_optimal(*a)
    )
    match_controls(cohort([70, 72], [71, 75, 73, 69, 70, 74]))
    match_controls(cohort([70, 72], [71, 75, 73, 69]))
    assert len(calls) == 1  # 2 cases x 5 candidates > 9 cells; 2 x 3 (75 is too far) is not


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 8), min_size=4, max_size=60),
    st.lists(st.integers(0, 8), min_size=1, max_size=80),
    st.lists(st.integers(0, 2), min_size=140, max_size=140),
    st.sampled_from([1.0, 2.0]),
    st.integers(1, 3),
    st.booleans(),
)
def test_grouped_optimal_equals_dense_on_whole_numbers(cases, ctrls, bmi, width, ratio, two):
    case_x = np.array(cases, float)[:, None]
    ctrl_x = np.array(ctrls, float)[:, None]
    widths = np.array([width])
    if two:
        case_x = np.c_[case_x, bmi[: len(cases)]]
        ctrl_x = np.c_[ctrl_x, bmi[len(cases) : len(cases) + len(ctrls)]]
        widths = np.array([width, 1.0])
    got = grouped_optimal(case_x, ctrl_x, widths, ratio)
    if got is None:  # values too varied for groups
        assert 4 * len(np.unique(case_x, axis=0)) > len(case_x)
        return
    assert np.bincount(got[0], minlength=len(case_x)).max(initial=0) <= ratio
    slow = dense_optimal(case_x, ctrl_x, widths, ratio)
    n_fast, d_fast = _objective(case_x, ctrl_x, widths, *got)
    n_slow, d_slow = _objective(case_x, ctrl_x, widths, *slow)
    assert n_fast == n_slow
    assert d_fast == pytest.approx(d_slow, abs=1e-9)


def test_grouped_optimal_deals_pairs_to_earlier_cases_first():
    # 8 cases aged 70 and 2 controls aged 71: the first two cases (data order) get them
    case_x, ctrl_x = np.full((8, 1), 70.0), np.array([[71.0], [71.0], [90.0]])
    ci, ki = grouped_optimal(case_x, ctrl_x, np.array([2.0]), 1)
    assert ci.tolist() == [0, 1] and ki.tolist() == [0, 1]
    ci, ki = grouped_optimal(case_x[:4], np.full((20, 1), 70.0), np.array([2.0]), 3)
    assert np.bincount(ci).tolist() == [3, 3, 3, 3] and len(set(ki.tolist())) == 12
