"""The Difference column's CI on 1:k matched sets: the mean over the sets of (case − mean of
its controls) and its t interval against R's t.test on the per-set differences
(tests/reference/sets_difference.R), missing members, the 1:1 case, pooling and the report."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import compare_groups
from ovcfstats.present import present

REF = Path(__file__).parent / "reference"
R = pd.read_csv(REF / "sets_difference.csv").set_index(["design", "variable"])
TOL = 1e-8
#: the patients whose BMI the R script sets missing (its `na_ids`)
NA_IDS = {
    "1to2": ["S003-1", "S005-0", "S007-1", "S007-2", "S010-2"],
    "1to4": ["S002-1", "S002-3", "S004-0", "S006-1", "S006-2", "S006-3", "S006-4", "S009-2"],
}


def fixture(design: str) -> pd.DataFrame:
    d = pd.read_csv(REF / f"matched_{design}.csv")
    d["low_hu"] = (d["hu"] < 100).astype(int)
    d["band"] = np.where(d["hu"] < 80, "a_low", np.where(d["hu"] < 130, "b_mid", "c_high"))
    d["bmi_na"] = d["bmi"].mask(d["patient_id"].isin(NA_IDS[design]))
    return d


def check(row: pd.Series, design: str, var: str) -> None:
    r = R.loc[(design, var)]
    assert row["n_pairs"] == r["n_sets"]
    for col in ("diff", "ci_low", "ci_high"):
        assert row[col] == pytest.approx(r[col], rel=TOL, abs=1e-12), col


@pytest.mark.parametrize("design", ["1to2", "1to4"])
def test_continuous_and_binary_rows_match_t_test_on_set_differences(design):
    res = compare_groups(fixture(design), ["age", "bmi", "hu", "tbs", "low_hu"], pair="set_id")
    t = res.table.set_index("variable")
    assert res.settings["design"] == "1:k sets"
    for var in ("age", "bmi", "hu", "tbs", "low_hu"):
        check(t.loc[var], design, var)
    # every set complete with k controls: the within-set mean is the difference of the means
    hu = t.loc["hu"]
    assert hu["diff"] == pytest.approx(hu["mean_1"] - hu["mean_0"], rel=1e-12)


@pytest.mark.parametrize("design", ["1to2", "1to4"])
def test_three_levels_each_get_the_interval_of_their_indicator(design):
    t = compare_groups(fixture(design), ["band"], pair="set_id").table
    assert list(t["level"]) == ["a_low", "b_mid", "c_high"]
    for _, row in t.iterrows():
        check(row, design, f"band_{row['level']}")


@pytest.mark.parametrize("design", ["1to2", "1to4"])
def test_missing_members_drop_as_the_score_test_does(design):
    """A set that lost a control compares its case with the controls left; a set without its
    case or without any control is out of the difference as it is out of the test."""
    res = compare_groups(fixture(design), ["bmi_na"], pair="set_id")
    row = res.table.iloc[0]
    check(row, design, "bmi_na")
    # unequal set sizes: no longer the difference of the group means
    assert abs(row["diff"] - (row["mean_1"] - row["mean_0"])) > 1e-3


def test_one_to_one_pairs_under_clogit_give_the_paired_t_interval():
    d = fixture("1to2")
    pairs = d[~d["patient_id"].str.endswith("-2")]
    paired = compare_groups(pairs, ["hu"], pair="set_id").table.iloc[0]
    cl = compare_groups(pairs, ["hu"], pair="set_id", tests={"hu": "clogit"}).table.iloc[0]
    assert paired["test"] == "paired t"
    for col in ("diff", "ci_low", "ci_high"):
        assert cl[col] == pytest.approx(paired[col], rel=1e-12)


def test_a_matching_variable_has_a_difference_but_no_interval():
    """sex is constant within each set: every within-set difference is 0, t.test's "data are
    essentially constant"; the p is already NaN with its warning."""
    with pytest.warns(UserWarning, match="does not vary"):
        t = compare_groups(fixture("1to4"), ["sex"], pair="set_id").table
    assert (t["diff"] == 0).all() and t["ci_low"].isna().all() and t["ci_high"].isna().all()


@settings(deadline=None, max_examples=40)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=10), st.integers(0, 10_000))
def test_interval_is_centred_and_shift_equivariant(sizes, seed):
    """A per-set constant added to every member leaves the differences unchanged; adding c to
    the cases only moves the estimate and both limits by c."""
    rng = np.random.default_rng(seed)
    set_id = np.repeat(np.arange(len(sizes)), [k + 1 for k in sizes])
    case = np.zeros(set_id.size, dtype=int)
    case[np.r_[0, np.cumsum([k + 1 for k in sizes])[:-1]]] = 1
    x = rng.normal(size=set_id.size)
    frame = pd.DataFrame({"case": case, "set": set_id, "x": x})
    base = compare_groups(frame, ["x"], pair="set", tests={"x": "clogit"}).table.iloc[0]
    shifted = frame.assign(x=x + rng.normal(size=len(sizes))[set_id] + 2.5 * case)
    moved = compare_groups(shifted, ["x"], pair="set", tests={"x": "clogit"}).table.iloc[0]
    mid = (base["ci_low"] + base["ci_high"]) / 2
    assert mid == pytest.approx(base["diff"], abs=1e-9)
    for col in ("diff", "ci_low", "ci_high"):
        assert moved[col] == pytest.approx(base[col] + 2.5, abs=1e-8)


def test_report_shows_the_interval_and_names_the_method():
    res = compare_groups(fixture("1to2"), ["hu", "low_hu"], pair="set_id")
    pres = present(res)
    table = pres.main[0].frame
    hu = R.loc[("1to2", "hu")]
    assert table.loc[0, "Difference (95% CI)"] == (
        f"{hu['diff']:.1f} ({hu['ci_low']:.1f} to {hu['ci_high']:.1f})".replace("-", "−")
    )
    low = R.loc[("1to2", "low_hu")]
    assert f"({100 * low['ci_low']:.1f}" in table.loc[1, "Difference (95% CI)"]
    assert any("mean over the sets of case − mean of its controls" in n for n in pres.notes)
    assert any("t CI on sets − 1 df" in n for n in res.notes())


def test_pooled_over_imputations_keeps_the_interval_by_rubin():
    """m identical completed tables: B = 0, so the pooled SE is the table's and the df is
    Barnard–Rubin's with ν = sets − 1 and λ at its floor (as mice)."""
    from scipy.stats import t as t_dist

    from ovcfstats import Imputed
    from ovcfstats._pool import MIN_LAMBDA as lam

    d = fixture("1to4")
    one = compare_groups(d, ["hu", "low_hu"], pair="set_id").table
    imp = Imputed(table=pd.DataFrame(), datasets=(d, d.copy(), d.copy()))
    pooled = compare_groups(imp, ["hu", "low_hu"], pair="set_id").table
    nu = 29.0
    for i in range(2):
        se = (one.loc[i, "ci_high"] - one.loc[i, "ci_low"]) / (2 * t_dist.ppf(0.975, nu))
        old, obs = 2 / lam**2, (nu + 1) / (nu + 3) * nu * (1 - lam)
        half = se * t_dist.ppf(0.975, old * obs / (old + obs))
        assert pooled.loc[i, "diff"] == pytest.approx(one.loc[i, "diff"], rel=1e-12)
        assert pooled.loc[i, "ci_low"] == pytest.approx(one.loc[i, "diff"] - half, rel=1e-9)
        assert pooled.loc[i, "ci_high"] == pytest.approx(one.loc[i, "diff"] + half, rel=1e-9)
