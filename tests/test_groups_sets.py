"""Table 1 on 1:k matched sets: the conditional-logistic score test per variable against
survival::clogit on a 1:2 (infert) and a 1:4 (MatchIt on lalonde) design
(tests/reference/clogit_sets.R), missing values, the 1:1 default kept, and bad designs."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import DataError, DegenerateDataWarning, compare_groups
from ovcfstats.table1._matched_sets import score_test

REF = Path(__file__).parent / "reference"
R = pd.read_csv(REF / "clogit_sets.csv").set_index(["design", "variable", "kind"])
TOL = 1e-8


@pytest.fixture(scope="module")
def infert() -> pd.DataFrame:
    d = pd.read_csv(REF / "infert.csv")
    d["patient_id"] = [f"w{i + 1}" for i in range(len(d))]
    d["spont_na"] = pd.read_csv(REF / "clogit_infert_na.csv")["spont_na"]
    return d


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    return pd.read_csv(REF / "clogit_lalonde_sets.csv")


def check(row: pd.Series, design: str, var: str, kind: str = "continuous") -> None:
    r = R.loc[(design, var, kind)]
    assert row["test"] == "conditional logistic score"
    assert row["statistic"] == pytest.approx(r["score"], rel=TOL, abs=1e-10)
    assert row["df"] == r["score_df"]
    assert row["p"] == pytest.approx(r["score_p"], rel=TOL, abs=1e-10)
    assert row["n_pairs"] == r["n_sets"]


@pytest.mark.parametrize("var", ["spontaneous", "induced", "spont_na"])
def test_infert_1_2_matches_clogit_score_test(infert, var):
    res = compare_groups(infert, [var], pair="stratum")
    check(res.table.iloc[0], "infert_1_2", var)
    assert res.settings["design"] == "1:k sets"


@pytest.mark.parametrize("var", ["induced", "spontaneous"])
def test_infert_categorical_matches_clogit_with_dummies(infert, var):
    res = compare_groups(infert, [var], pair="stratum", categorical=[var])
    t = res.table
    assert list(t["level"]) == [0, 1, 2]
    for _, row in t.iterrows():
        check(row, "infert_1_2", var, "categorical")
    cases = infert[infert["case"] == 1]
    assert t["count_1"].tolist() == [float((cases[var] == v).sum()) for v in (0, 1, 2)]


def test_infert_missing_values_drop_the_patient_and_uninformative_sets(infert):
    res = compare_groups(infert, ["spont_na"], pair="stratum")
    check(res.table.iloc[0], "infert_1_2", "spont_na")
    exc = res.excluded.set_index("id")["reason"]
    # rows 1 and 5 are the cases of strata 1 and 5: their controls lose their set
    assert exc["w1"] == exc["w5"] == exc["w100"] == "missing spont_na"
    for stratum in (1, 5):
        partners = infert.loc[(infert["stratum"] == stratum) & (infert["case"] == 0)]
        for pid in partners["patient_id"]:
            assert exc[pid] == f"set {stratum}: its case missing spont_na"
    assert res.table.loc[0, "n_excluded"] == len(exc) == 8
    n_used = res.table.loc[0, "n_1"] + res.table.loc[0, "n_0"]
    assert n_used + len(exc) == len(infert)


@pytest.mark.parametrize("var", ["parity", "age"])
def test_matching_variable_gives_nan_with_a_warning(infert, var):
    """infert's sets are matched on age and parity: no information within sets. R gives df 0
    (parity) or a score of 3e-15 on df 1 (age: rounding noise in the information)."""
    with pytest.warns(DegenerateDataWarning, match="does not vary within any matched set"):
        res = compare_groups(infert, [var], pair="stratum")
    assert np.isnan(res.table.loc[0, "p"])
    assert R.loc[("infert_1_2", var, "continuous"), "score"] < 1e-12


@pytest.mark.parametrize("var", ["age", "educ", "re74", "re75", "re78", "married", "nodegree"])
def test_lalonde_1_4_matches_clogit(lalonde, var):
    row = compare_groups(lalonde, [var], pair="set").table.iloc[0]
    check(row, "lalonde_1_4", var)
    sub = lalonde[lalonde["case"] == 0]
    if var not in ("married", "nodegree"):
        assert row["mean_0"] == pytest.approx(sub[var].mean(), rel=1e-12)
        assert row["sd_0"] == pytest.approx(sub[var].std(ddof=1), rel=1e-12)
        assert (row["n_1"], row["n_0"]) == (80, 320)


def test_lalonde_race_three_levels(lalonde):
    res = compare_groups(lalonde, ["race", "age"], pair="set")
    t = res.table
    assert list(t.loc[t["variable"] == "race", "level"]) == ["black", "hispan", "white"]
    for _, row in t[t["variable"] == "race"].iterrows():
        check(row, "lalonde_1_4", "race", "categorical")
    assert res.settings["tests_used"] == {"race": "clogit", "age": "clogit"}
    assert any("conditional logistic score test" in n for n in res.notes())
    assert any("Matched sets" in n for n in res.notes())
    f = res.formatted()
    assert f.loc[0, "test"] == "conditional logistic score"


def test_unpaired_tests_are_allowed_on_sets_and_paired_ones_refused(lalonde):
    res = compare_groups(lalonde, ["age"], pair="set", tests={"age": "welch"})
    assert res.table.loc[0, "test"] == "Welch t"
    with pytest.raises(DataError, match=r"needs 1:1 pairs.*1:k matched sets"):
        compare_groups(lalonde, ["age"], pair="set", tests={"age": "paired_t"})
    with pytest.raises(DataError, match="needs matched pairs or sets"):
        compare_groups(lalonde, ["age"], pair=None, tests={"age": "clogit"})


def test_one_to_one_pairs_keep_paired_t_and_clogit_is_available(infert):
    pairs = infert.groupby("stratum").head(2)  # the case and its first control
    pairs = pairs[pairs.groupby("stratum")["case"].transform("sum") == 1]
    res = compare_groups(pairs, ["spontaneous"], pair="stratum")
    assert res.table.loc[0, "test"] == "paired t" and res.settings["design"] == "1:1 pairs"
    cl = compare_groups(pairs, ["spontaneous"], pair="stratum", tests={"spontaneous": "clogit"})
    d = (
        pairs.sort_values(["stratum", "case"]).groupby("stratum")["spontaneous"].diff().dropna()
    )  # case − control per pair
    assert cl.table.loc[0, "statistic"] == pytest.approx(d.sum() ** 2 / (d**2).sum(), rel=1e-12)


def test_set_with_two_cases_is_refused(lalonde):
    bad = lalonde.copy()
    bad.loc[bad["set"] == 2, "set"] = 1
    with pytest.raises(DataError, match=r"more than one case.*pair ids: 1;"):
        compare_groups(bad, ["age"], pair="set")


@settings(deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=3, max_size=12),
    st.integers(0, 10_000),
)
def test_score_test_is_invariant_to_shift_within_sets_and_scale(sizes, seed):
    """Adding a per-set constant or rescaling x leaves the conditional score test unchanged."""
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(len(sizes)), [k + 1 for k in sizes])
    case = np.zeros(codes.size)
    case[np.r_[0, np.cumsum([k + 1 for k in sizes])[:-1]]] = 1
    x = rng.normal(size=codes.size)
    stat, df, p = score_test(x, codes, case)
    shifted = score_test(3.5 * x + rng.normal(size=len(sizes))[codes], codes, case)
    assert shifted[0] == pytest.approx(stat, rel=1e-9)
    assert df == 1 and 0 <= p <= 1


def test_no_warnings_on_clean_sets(lalonde):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare_groups(lalonde, ["age", "race"], pair="set")


def test_set_without_controls_drops_its_case(lalonde):
    d = lalonde.copy()
    d.loc[(d["set"] == 1) & (d["case"] == 0), "age"] = np.nan
    res = compare_groups(d, ["age"], pair="set")
    exc = res.excluded.set_index("id")["reason"]
    case = d.loc[(d["set"] == 1) & (d["case"] == 1), "patient_id"].iloc[0]
    assert exc[case] == "set 1: no control with age"
    assert (res.table.loc[0, "n_1"], res.table.loc[0, "n_0"], res.table.loc[0, "n_pairs"]) == (
        79,
        316,
        79,
    )


def test_a_categorical_with_one_level_in_sets_has_no_test_but_a_warning():
    data = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(6)],
            "case": [1, 0, 0, 1, 0, 0],
            "set": [1, 1, 1, 2, 2, 2],
            "sex": ["F"] * 6,
            "age": [70.0, 71, 69, 75, 74, 77],
        }
    )
    with pytest.warns(DegenerateDataWarning, match="'sex'"):
        res = compare_groups(data, ["sex", "age"], pair="set")
    sex = res.table[res.table["variable"] == "sex"]
    assert len(sex) == 1 and np.isnan(sex["p"].iloc[0])
    assert np.isfinite(res.table.loc[res.table["variable"] == "age", "p"].iloc[0])
