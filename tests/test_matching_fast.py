"""Nearest matching: the array paths against the case-by-case rule, written out the slow way.

``brute_nearest`` states greedy nearest matching directly (every round, every case in data order,
a scan of all controls); the skip-pointer loop, the path that counts picks per value and
``match_controls`` as a whole must give exactly its pairs, in its order. The stratum labels, the
matched table and the balance table are checked against the plain pandas construction they
replace.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import match_controls
from ovcfstats.matching import _nearest
from ovcfstats.matching._algorithms import nearest_1d, stable_order
from ovcfstats.matching._balance import balance_table
from ovcfstats.matching._input import _strata
from ovcfstats.matching._nearest import nearest_grouped


def brute_nearest(x, y, case_pos, ctrl_pos, width, ratio, ties):
    """(case index, control index) pairs of greedy nearest matching, by scanning every control.

    A control is eligible when ``x - tol <= y <= x + tol`` (tol = caliper·(1 + 1e-12)). Below
    the case: the highest value; above (or equal): the lowest; the lower side on equal distance.
    ``ties="lower"``: among controls of that value the first in data order. ``"matchit"``: the
    case sits among the controls ordered by (value, data position); the nearest unused one on
    each side in that order.
    """
    tol = width * (1 + 1e-12)
    used = np.zeros(len(y), bool)
    out = []
    for _ in range(ratio):
        for i, xi in enumerate(x):
            free = [j for j in range(len(y)) if not used[j]]
            if ties == "lower":
                below = [j for j in free if y[j] < xi]
                above = [j for j in free if y[j] >= xi]
                b = min(below, key=lambda j: (-y[j], ctrl_pos[j])) if below else None
                a = min(above, key=lambda j: (y[j], ctrl_pos[j])) if above else None
            else:
                me = (xi, case_pos[i])
                below = [j for j in free if (y[j], ctrl_pos[j]) < me]
                above = [j for j in free if (y[j], ctrl_pos[j]) > me]
                b = max(below, key=lambda j: (y[j], ctrl_pos[j])) if below else None
                a = min(above, key=lambda j: (y[j], ctrl_pos[j])) if above else None
            ok_b = b is not None and y[b] >= xi - tol
            ok_a = a is not None and y[a] <= xi + tol
            if not (ok_a or ok_b):
                continue
            j = b if ok_b and (not ok_a or xi - y[b] <= y[a] - xi) else a
            used[j] = True
            out.append((i, j))
    return out


def loop_inputs(x, y, width):
    order = np.argsort(y, kind="stable")
    vals = y[order]
    tol = width * (1 + 1e-12)
    lows = np.searchsorted(vals, x - tol, "left").tolist()
    highs = np.searchsorted(vals, x + tol, "right").tolist()
    return order, vals, lows, highs


values = st.sampled_from(["whole", "tenths", "halves", "continuous", "few"])


def draw_values(kind, n, rng):
    if kind == "whole":
        return rng.integers(60, 72, n).astype(float)
    if kind == "tenths":
        return np.round(rng.uniform(60, 62, n), 1)
    if kind == "halves":
        return rng.integers(120, 130, n) / 2
    if kind == "few":
        return rng.choice([60.0, 61.0, 65.0], n)
    return rng.uniform(60, 70, n)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 50),
    case_kind=values,
    ctrl_kind=values,
    width=st.sampled_from([0.1, 0.5, 1.0, 2.0, 5.0]),
    ratio=st.integers(1, 3),
)
def test_grouped_path_and_loop_equal_the_rule(seed, n, m, case_kind, ctrl_kind, width, ratio):
    rng = np.random.default_rng(seed)
    x, y = draw_values(case_kind, n, rng), draw_values(ctrl_kind, m, rng)
    expected = brute_nearest(x, y, range(n), range(m), width, ratio, "lower")
    order, vals, lows, highs = loop_inputs(x, y, width)
    first_equal = np.searchsorted(vals, vals, "left").tolist()
    ins = np.searchsorted(vals, x, "left").tolist()
    cases, picks = nearest_1d(x.tolist(), vals.tolist(), lows, highs, ins, ratio, first_equal)
    assert list(zip(cases, order[picks].tolist(), strict=True)) == expected
    cases, picks = nearest_grouped(x, vals, lows, highs, ratio, share=np.inf)
    assert list(zip(cases.tolist(), order[picks].tolist(), strict=True)) == expected


@pytest.mark.parametrize("seed", range(6))
def test_grouped_path_under_heavy_contention(seed):
    # many cases per value, few controls: values run out, cases search further and further
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, 400).astype(float)
    y = rng.integers(0, 30, 300).astype(float)
    for width, ratio in ((3.0, 1), (1.0, 2), (10.0, 3)):
        _, vals, lows, highs = loop_inputs(x, y, width)
        first_equal = np.searchsorted(vals, vals, "left").tolist()
        ins = np.searchsorted(vals, x, "left").tolist()
        expected = nearest_1d(x.tolist(), vals.tolist(), lows, highs, ins, ratio, first_equal)
        cases, picks = nearest_grouped(x, vals, lows, highs, ratio, share=np.inf)
        assert (cases.tolist(), picks.tolist()) == (list(expected[0]), list(expected[1]))


def test_loop_is_kept_when_many_rounds_would_be_replayed():
    rng = np.random.default_rng(0)
    for case_ages, ctrl_ages, ratio, grouped in (
        (np.round(rng.uniform(50, 90, 5_000), 1), np.round(rng.uniform(50, 90, 50_000), 1), 1, 1),
        (rng.uniform(50, 90, 5_000), rng.uniform(50, 90, 50_000), 1, True),
        (np.round(rng.uniform(50, 90, 20_000), 1), np.round(rng.uniform(50, 90, 15_000)), 2, 0),
    ):
        _, vals, lows, highs = loop_inputs(case_ages, ctrl_ages, 2.0)
        found = nearest_grouped(case_ages, vals, lows, highs, ratio)
        assert (found is not None) == grouped


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3000), kind=values)
def test_stable_order_is_a_stable_argsort(seed, n, kind):
    y = draw_values(kind, n, np.random.default_rng(seed))
    assert np.array_equal(stable_order(y), np.argsort(y, kind="stable"))


def cohort(rng, n, m, kind, text_ids, strata):
    total = n + m
    case = np.r_[np.ones(n, int), np.zeros(m, int)][rng.permutation(total)]
    ids = [f"P{k:03d}" for k in rng.permutation(total)] if text_ids else rng.permutation(total) * 3
    return pd.DataFrame(
        {
            "patient_id": ids,
            "case": case,
            "sex": rng.choice(["F", "M"][:strata], total),
            "age": draw_values(kind, total, rng),
        }
    )


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 30),
    m=st.integers(1, 40),
    kind=values,
    text_ids=st.booleans(),
    strata=st.integers(1, 2),
    width=st.sampled_from([0.5, 1.0, 2.0]),
    ratio=st.integers(1, 3),
    ties=st.sampled_from(["lower", "matchit"]),
    grouped_path=st.booleans(),
)
def test_match_controls_nearest_equals_the_rule(
    seed, n, m, kind, text_ids, strata, width, ratio, ties, grouped_path
):
    rng = np.random.default_rng(seed)
    df = cohort(rng, n, m, kind, text_ids, strata)
    with pytest.MonkeyPatch.context() as patch:  # both paths, whatever the data
        patch.setattr(_nearest, "MAX_REPLAYED", np.inf if grouped_path else -1)
        try:
            res = match_controls(
                df, caliper={"age": width}, method="nearest", ratio=ratio, ties=ties
            )
        except ValueError:
            res = None
    ids = df["patient_id"].astype(str).to_numpy()
    expected = []
    for sex in sorted(df["sex"].unique()):
        part = df[df["sex"] == sex]
        cases, ctrls = part[part["case"] == 1], part[part["case"] == 0]
        found = brute_nearest(
            cases["age"].to_numpy(), ctrls["age"].to_numpy(), cases.index, ctrls.index,
            width, ratio, ties,
        )
        expected += [(cases.index[i], ctrls.index[j]) for i, j in found]
    expected.sort(key=lambda p: p[0])  # cases in data order, rounds in order (stable)
    if not expected:
        assert res is None
        return
    got = res.pairs
    assert list(zip(got["case_id"], got["control_id"], strict=True)) == [
        (ids[i], ids[j]) for i, j in expected
    ]
    assert np.array_equal(
        got["dist_age"].to_numpy(), np.abs(df["age"].to_numpy()[[i for i, _ in expected]]
                                          - df["age"].to_numpy()[[j for _, j in expected]])
    )
    # the matched table as a merge on the IDs and a sort would build it
    text = df.assign(patient_id=ids)
    cases = text.merge(got.drop_duplicates("pair_id")[["pair_id", "case_id"]],
                       left_on="patient_id", right_on="case_id").drop(columns="case_id")
    ctrls = text.merge(got[["pair_id", "control_id", "distance"]], left_on="patient_id",
                       right_on="control_id").drop(columns="control_id")
    ctrls = ctrls.rename(columns={"distance": "match_distance"})
    rows = {pid: k for k, pid in enumerate(ids)}
    ctrls = ctrls.assign(_row=ctrls["patient_id"].map(rows)).sort_values("_row")
    want = (
        pd.concat([cases, ctrls.drop(columns="_row")], ignore_index=True)
        .sort_values(["pair_id", "case"], ascending=[True, False], kind="stable")
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(res.matched, want, check_dtype=False)
    # every case without its controls is listed, with the number it got
    counts = got.groupby("case_id").size()
    short = [ids[i] for i in range(len(df)) if df["case"].iat[i] == 1
             and counts.get(ids[i], 0) < ratio]
    assert sorted(res.unmatched["case_id"]) == sorted(short)


def test_strata_labels_are_the_values_as_text():
    # values equal as numbers but printed differently stay apart, as their texts do
    mixed = pd.Series([1, "1", 1.0, True, "a", 2.0, -0.0, 0.0], dtype=object)
    floats = pd.Series([1.0, 1.0, 2.5, -0.0, 0.0, 2.5, 1.0, -0.0])
    sex = pd.Series(list("FMFMFMFF"))
    rows = np.arange(8)
    for columns in ({"m": mixed}, {"f": floats}, {"s": sex, "f": floats}, {"m": mixed, "s": sex}):
        stratum, labels = _strata(columns, rows, 8)
        text = None
        for col in columns.values():
            part = col.astype(str)
            text = part if text is None else text + "|" + part
        assert labels == sorted(set(text))
        assert [labels[s] for s in stratum] == list(text)
    stratum, labels = _strata({"f": floats}, np.array([1, 3, 6]), 8)  # rows kept
    assert [labels[s] for s in stratum] == ["1.0", "-0.0", "1.0"]


def test_balance_from_arrays_equals_balance_of_the_frames():
    rng = np.random.default_rng(3)
    df = cohort(rng, 60, 200, "tenths", False, 2).assign(
        bmi=lambda d: np.where(rng.random(len(d)) < 0.1, np.nan, rng.normal(25, 4, len(d))),
        diabetes=lambda d: rng.integers(0, 2, len(d)),
        hypertension=lambda d: pd.array(rng.integers(0, 2, len(d)), dtype="Int64"),
        smoker=lambda d: rng.choice(["never", "former", "current"], len(d)),
    )
    covariates = ["age", "sex", "bmi", "diabetes", "hypertension", "smoker"]
    res = match_controls(df, caliper={"age": 1}, method="nearest", covariates=covariates)
    m = res.matched
    want = balance_table(
        df[df["case"] == 1], df[df["case"] == 0], m[m["case"] == 1], m[m["case"] == 0],
        covariates,
    )
    pd.testing.assert_frame_equal(res.balance, want)
    assert list(want["covariate"].unique()) == [
        "age", "sex=M", "bmi", "diabetes", "hypertension",
        "smoker=current", "smoker=former", "smoker=never",
    ]


@pytest.mark.parametrize("caliper", [{"age": 2}, {"age": 2, "bmi": 1}])
def test_a_used_control_exactly_one_caliper_away_is_an_unused_one_missing(caliper):
    # A (70) takes K (70); K is exactly 2 years from B (72): within the caliper, but used
    df = pd.DataFrame(
        {"patient_id": ["A", "B", "K"], "case": [1, 1, 0], "sex": "F", "age": [70.0, 72, 70],
         "bmi": [20.0, 21, 20]}
    )
    for method in ("nearest", "random", "optimal"):
        res = match_controls(df, caliper=caliper, method=method, seed=1)
        assert res.unmatched.loc[0, "reason"] == (
            "no unused control with the same sex within the caliper"
        )
    far = df.assign(age=[70.0, 72.5, 70])
    res = match_controls(far, caliper=caliper, method="nearest")
    assert res.unmatched.loc[0, "reason"] == "no control with the same sex within the caliper"


@pytest.mark.parametrize("ids", [[1, 2, 2, 3, 4], [4, 2, 3, 2, 1], [5, 5, 6, 7, 8]])
def test_duplicate_whole_number_ids_are_refused_sorted_or_not(ids):
    df = pd.DataFrame({"patient_id": ids, "case": [1, 0, 0, 1, 0], "sex": "F",
                       "age": [70, 71, 72, 73, 74]})
    with pytest.raises(ValueError, match="duplicate IDs"):
        match_controls(df, method="nearest")


def test_a_variable_is_binary_only_if_every_value_is_0_or_1():
    late = pd.DataFrame({"x": np.r_[np.tile([0.0, 1.0], 200), 2.0]})
    early = pd.DataFrame({"x": np.r_[np.tile([0.0, 1.0], 200), np.nan]})
    assert not balance_table(late, late, late, late, ["x"])["binary"].any()
    assert balance_table(early, early, early, early, ["x"])["binary"].all()


def test_a_missing_covariate_is_named_before_matching():
    df = pd.DataFrame({"patient_id": list("ABC"), "case": [1, 0, 0], "sex": "F",
                       "age": [70, 71, 72]})
    with pytest.raises(ValueError, match=r"column\(s\) 'bmi' not found in `patients`"):
        match_controls(df, covariates=["age", "bmi"])
