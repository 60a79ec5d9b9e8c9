"""Table 1 (compare_groups): R references (sleep, 2x2 tables, pbc), the paper's chi2 p-values,
missing pairs, invariants and bad input. Reference values: tests/reference/stats_tests.R."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import (
    DataError,
    DegenerateDataWarning,
    OvcfWarning,
    SmallSampleWarning,
    compare_groups,
    derive_indicators,
    load_sample,
    match_controls,
)

REF = Path(__file__).parent / "reference"
R = pd.read_csv(REF / "stats_results.csv").set_index("name")
TABLES = pd.read_csv(REF / "stats_tables.csv").set_index("name")
TOL = 1e-8


def sleep_data() -> pd.DataFrame:
    """R's sleep: group 1 plays the cases, ID pairs the two drugs."""
    s = pd.read_csv(REF / "stats_sleep.csv")
    return pd.DataFrame(
        {
            "patient_id": [f"g{g}-{i}" for g, i in zip(s["group"], s["ID"], strict=True)],
            "case": (s["group"] == 1).astype(int),
            "pair_id": s["ID"],
            "extra": s["extra"],
        }
    )


def table_data(name: str) -> pd.DataFrame:
    """Unpaired patients from a 2x2 table: rows = case/control, columns = yes/no."""
    a, b, c, d = TABLES.loc[name, ["a", "b", "c", "d"]]
    case = [1] * (a + b) + [0] * (c + d)
    yes = [1] * a + [0] * b + [1] * c + [0] * d
    return pd.DataFrame({"case": case, "x": yes})


def pairs_from_table(table: np.ndarray) -> pd.DataFrame:
    """Matched pairs whose (case value, control value) cross-table is ``table``."""
    rows, pid = [], 0
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            for _ in range(int(table[i, j])):
                pid += 1
                rows += [(f"C{pid}", 1, pid, i), (f"K{pid}", 0, pid, j)]
    return pd.DataFrame(rows, columns=["patient_id", "case", "pair_id", "x"])


def check(row: pd.Series, ref: str, *, estimate: bool = True, ci: bool = True) -> None:
    r = R.loc[ref]
    if not pd.isna(r["statistic"]):
        assert row["statistic"] == pytest.approx(r["statistic"], abs=TOL, rel=TOL)
    if not pd.isna(r["df"]):
        assert row["df"] == pytest.approx(r["df"], rel=TOL)
    assert row["p"] == pytest.approx(r["p"], abs=1e-12, rel=TOL)
    if estimate:
        assert row["diff"] == pytest.approx(r["estimate"], rel=TOL)
    if ci:
        assert row["ci_low"] == pytest.approx(r["conf_low"], rel=TOL)
        assert row["ci_high"] == pytest.approx(r["conf_high"], rel=TOL)


# -- R references ------------------------------------------------------------------------------


def test_sleep_paired_t_matches_r():
    res = compare_groups(sleep_data(), ["extra"])
    row = res.table.iloc[0]
    check(row, "sleep_paired_t")
    assert row["statistic"] == pytest.approx(-4.0621, abs=1e-4)
    assert row["p"] == pytest.approx(0.002833, abs=1e-6)
    assert (row["test"], row["n_pairs"], row["df"]) == ("paired t", 10, 9)


@pytest.mark.parametrize(
    ("test", "ref", "label"),
    [("welch", "sleep_welch", "Welch t"), ("student", "sleep_student", "Student t")],
)
def test_sleep_unpaired_t_matches_r(test, ref, label):
    res = compare_groups(sleep_data(), ["extra"], pair=None, tests={"extra": test})
    check(res.table.iloc[0], ref)
    assert res.table.loc[0, "test"] == label
    assert res.settings["unpaired_reason"] == "pair=None"


def test_sleep_wilcoxon_signed_rank_matches_r_normal_approximation():
    res = compare_groups(sleep_data(), ["extra"], tests={"extra": "wilcoxon"})
    row = res.table.iloc[0]
    check(row, "sleep_wilcoxon_paired", estimate=False, ci=False)  # V = 0, zero diff dropped
    assert row["test"] == "Wilcoxon signed-rank"
    assert np.isnan(row["ci_low"])


def test_sleep_mann_whitney_matches_r_normal_approximation():
    data = sleep_data().drop(columns="pair_id")  # no pair column: unpaired
    res = compare_groups(data, ["extra"], tests={"extra": "wilcoxon"})
    check(res.table.iloc[0], "sleep_mann_whitney", estimate=False, ci=False)  # W = 25.5
    assert res.settings["unpaired_reason"] == "no column 'pair_id'"


def test_mcnemar_with_continuity_correction_matches_r():
    table = np.array(TABLES.loc["mcnemar_approval", ["a", "b", "c", "d"]]).reshape(2, 2)
    res = compare_groups(pairs_from_table(table), ["x"], tests={"x": "mcnemar"})
    row = res.table.iloc[0]
    check(row, "mcnemar_approval", estimate=False, ci=False)
    assert row["statistic"] == pytest.approx(16.8178, abs=1e-4)
    # rows: the case's value 0/1, columns: the control's; case "1" 86 + 570, control 150 + 570
    assert row["level"] == 1 and row["diff"] == pytest.approx((86 - 150) / 1600, rel=TOL)
    assert row["ci_low"] < row["diff"] < row["ci_high"]


def test_bowker_for_three_levels_matches_statsmodels():
    from statsmodels.stats.contingency_tables import SquareTable

    table = np.array([[20, 5, 3], [9, 15, 4], [7, 2, 10]])
    res = compare_groups(pairs_from_table(table), ["x"], tests={"x": "mcnemar"}, categorical=["x"])
    ref = SquareTable(table, shift_zeros=False).symmetry()
    assert len(res.table) == 3 and set(res.table["test"]) == {"Bowker symmetry"}
    assert res.table.loc[0, "statistic"] == pytest.approx(ref.statistic, rel=TOL)
    assert res.table.loc[0, "p"] == pytest.approx(ref.pvalue, rel=TOL)
    assert res.table.loc[0, "df"] == 3


@pytest.mark.parametrize("name", ["hypertension", "diabetes", "hyperlipidemia"])
def test_paper_comorbidity_p_values_are_uncorrected_pearson_chi2(name):
    res = compare_groups(table_data(f"paper_{name}"), ["x"])
    row = res.table.iloc[0]
    check(row, f"chi2_paper_{name}", estimate=False, ci=False)
    published = {"hypertension": 0.262, "diabetes": 0.149, "hyperlipidemia": 0.259}[name]
    assert round(row["p"], 3) == published
    fisher = compare_groups(table_data(f"paper_{name}"), ["x"], tests={"x": "fisher"})
    check(fisher.table.iloc[0], f"fisher_paper_{name}", estimate=False, ci=False)


def test_fisher_tea_tasting_matches_r():
    res = compare_groups(table_data("tea_tasting"), ["x"], tests={"x": "fisher"})
    check(res.table.iloc[0], "fisher_tea_tasting", estimate=False, ci=False)


def test_chi2_with_small_expected_counts_warns_and_suggests_fisher():
    with pytest.warns(SmallSampleWarning, match=r"expected counts below 5.*'fisher'"):
        res = compare_groups(table_data("tea_tasting"), ["x"])
    assert res.warnings and 0 < res.table.loc[0, "p"] < 1


def test_newcombe_ci_of_the_difference_of_proportions():
    from statsmodels.stats.proportion import confint_proportions_2indep

    row = compare_groups(table_data("paper_hypertension"), ["x"]).table.iloc[0]
    lo, hi = confint_proportions_2indep(42, 78, 35, 78, method="newcomb", compare="diff")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=TOL)
    assert row["diff"] == pytest.approx(7 / 78, rel=TOL)
    p1, p0 = 42 / 78, 35 / 78
    assert row["smd"] == pytest.approx((p1 - p0) / np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2))


@pytest.fixture(scope="module")
def pbc():
    data = pd.read_csv(REF / "pbc.csv")
    data = data[data["trt"].notna()]  # tableone's Table 1: the 312 randomised patients
    return data.assign(case=(data["trt"] == 1).astype(int))


def test_pbc_table_one_matches_tableone_and_r(pbc):
    res = compare_groups(
        pbc,
        ["age", "sex", "chol", "edema"],
        tests={"age": "student"},
        categorical=["edema"],
        id_col="id",
    )
    t = res.table.set_index(["variable", res.table["level"].fillna("").astype(str)])
    age = t.loc[("age", "")]
    for col, ref in [("mean_1", "pbc_age_mean_1"), ("sd_1", "pbc_age_sd_1"),
                     ("mean_0", "pbc_age_mean_0"), ("sd_0", "pbc_age_sd_0"),
                     ("n_1", "pbc_n_1"), ("n_0", "pbc_n_0")]:  # fmt: skip
        assert age[col] == pytest.approx(R.loc[ref, "statistic"], rel=TOL)
    check(age, "pbc_age_student")
    # tableone prints: 51.42 (11.01) vs 48.58 (9.96), p 0.018, SMD 0.270
    assert (round(age["mean_1"], 2), round(age["sd_1"], 2)) == (51.42, 11.01)
    assert (round(age["mean_0"], 2), round(age["sd_0"], 2)) == (48.58, 9.96)
    assert round(age["p"], 3) == 0.018 and round(age["smd"], 3) == 0.270
    check(t.loc[("chol", "")], "pbc_chol_welch")
    check(t.loc[("sex", "f")], "pbc_sex_chi2", estimate=False, ci=False)
    edema = res.table[res.table["variable"] == "edema"]
    assert list(edema["level"]) == [0.0, 0.5, 1.0]
    check(edema.iloc[0], "pbc_edema_chi2", estimate=False, ci=False)  # tableone: 0.877
    # chol: 28 randomised patients without it, each listed and counted
    missing = pbc.loc[pbc["chol"].isna(), "id"].tolist()
    assert t.loc[("chol", ""), "n_excluded"] == len(missing) == 28
    assert res.excluded["id"].tolist() == missing
    assert set(res.excluded["reason"]) == {"missing chol"}


def test_pbc_age_welch_matches_r(pbc):
    res = compare_groups(pbc, ["age"], id_col="id")
    check(res.table.iloc[0], "pbc_age_welch")


# -- the paper's Table 1 on the matched synthetic sample ----------------------------------------


def test_matched_sample_table_one():
    patients, measurements = load_sample()
    ind = derive_indicators(patients, measurements).table
    matched = match_controls(patients).matched[["patient_id", "pair_id"]]
    data = matched.merge(ind, on="patient_id")
    variables = ["age", "sex", "bmi", "hypertension", "diabetes", "hyperlipidemia",
                 "t_score", "hu", "vbq", "rcsa", "fi"]  # fmt: skip
    res = compare_groups(data, variables)
    t = res.table.set_index("variable")
    for name, p in {"hypertension": 0.262, "diabetes": 0.149, "hyperlipidemia": 0.259}.items():
        assert t.loc[name, "test"] == "Pearson chi2"
        assert round(t.loc[name, "p"], 3) == p
    assert t.loc["age", "test"] == "paired t" and (t["n_pairs"] == 78).all()
    formatted = res.formatted()
    assert formatted.columns[1:3].tolist() == ["case (n = 78)", "control (n = 78)"]
    assert "sex = F" in formatted["variable"].tolist()
    assert formatted.loc[formatted["variable"] == "vbq", "p"].item() == "< 0.001"
    assert any("over the analysed patients" in line for line in res.notes())
    assert any("without continuity correction" in line for line in res.notes())
    assert "formatted" in res.tables() and "Table 1" in res.summary()


# -- missing values and pairs ------------------------------------------------------------------


def test_pair_missing_a_value_is_dropped_for_that_variable_only():
    df = pd.DataFrame(
        {
            "patient_id": list("ABCDEF"),
            "case": [1, 0, 1, 0, 1, 0],
            "pair_id": [1, 1, 2, 2, 3, 3],
            "age": [70, 71, 80, 78, 66, 66],
            "hu": [60.0, 90, np.nan, 85, 70, 95],
        }
    )
    res = compare_groups(df, ["age", "hu"])
    t = res.table.set_index("variable")
    assert (t.loc["age", "n_pairs"], t.loc["age", "n_excluded"]) == (3, 0)
    assert (t.loc["hu", "n_pairs"], t.loc["hu", "n_excluded"]) == (2, 2)
    assert t.loc["hu", "mean_0"] == pytest.approx((90 + 95) / 2)  # D's 85 left out with C
    assert res.excluded.to_dict("list") == {
        "id": ["C", "D"],
        "variable": ["hu", "hu"],
        "reason": ["missing hu", "pair partner C missing hu"],
    }


def test_unpaired_missing_rows_are_dropped_per_variable():
    df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "bmi": [20, np.nan, 22, 24, 25, 23.5]})
    res = compare_groups(df, ["bmi"], pair=None)
    row = res.table.iloc[0]
    assert (row["n_1"], row["n_0"], row["n_excluded"]) == (2, 3, 1)
    assert res.excluded["id"].tolist() == [1]  # no patient_id column: the index


def test_median_and_quartiles_are_type_7():
    df = sleep_data()
    row = compare_groups(df, ["extra"], median=True).table.iloc[0]
    x = df.loc[df["case"] == 1, "extra"]
    assert (row["median_1"], row["q1_1"], row["q3_1"]) == pytest.approx(
        (x.median(), x.quantile(0.25), x.quantile(0.75))
    )
    assert "[" in compare_groups(df, ["extra"], median=True).formatted().iloc[0, 1]


def test_constant_variable_warns_and_gives_nan_p():
    df = sleep_data().assign(flag=0, same=1.5)
    with pytest.warns(DegenerateDataWarning, match="single value"):
        res = compare_groups(df, ["flag"])
    assert np.isnan(res.table.loc[0, "p"]) and res.warnings
    with pytest.warns(DegenerateDataWarning, match="paired differences are equal"):
        assert np.isnan(compare_groups(df, ["same"]).table.loc[0, "p"])
    shifted = df.assign(v=df["pair_id"] + 2.0 * df["case"])  # every difference is +2
    with pytest.warns(DegenerateDataWarning, match="paired differences are equal"):
        compare_groups(shifted, ["v"])
    row = compare_groups(shifted, ["v"], tests={"v": "wilcoxon"}).table.iloc[0]
    assert row["statistic"] == 55 and 0 < row["p"] < 0.01  # V = 1 + ... + 10
    with pytest.warns(DegenerateDataWarning, match="all paired differences are zero"):
        compare_groups(df, ["same"], tests={"same": "wilcoxon"})


def test_bool_and_text_variables_are_categorical():
    df = sleep_data().assign(
        smoker=[True, False] * 10, sex=["F", "M", "M", "F"] * 5, grade=pd.Categorical(["a"] * 20)
    )
    res = compare_groups(df, ["smoker", "sex"])
    assert res.table["level"].tolist() == [True, "F", "M"]
    assert set(res.table["kind"]) == {"categorical"}


# -- invariants --------------------------------------------------------------------------------


@settings(deadline=None)
@given(
    x1=st.lists(st.floats(-50, 50, allow_nan=False), min_size=3, max_size=12),
    shift=st.floats(-5, 5),
    noise=st.lists(st.floats(-3, 3), min_size=12, max_size=12),
)
def test_swapping_groups_negates_diff_and_keeps_p(x1, shift, noise):
    n = len(x1)
    x0 = [a + shift + e for a, e in zip(x1, noise[:n], strict=False)]
    if np.ptp(np.subtract(x1, x0)) < 1e-6 or min(np.ptp(x1), np.ptp(x0)) < 1e-6:
        return
    df = pd.DataFrame(
        {"case": [1] * n + [0] * n, "pair_id": list(range(n)) * 2, "v": list(x1) + x0}
    )
    swapped = df.assign(case=1 - df["case"])
    for kw in ({}, {"pair": None}):
        a = compare_groups(df, ["v"], **kw).table.iloc[0]
        b = compare_groups(swapped, ["v"], **kw).table.iloc[0]
        assert b["diff"] == pytest.approx(-a["diff"], abs=1e-9)
        assert b["statistic"] == pytest.approx(-a["statistic"], abs=1e-6)
        assert b["p"] == pytest.approx(a["p"], abs=1e-12)
        assert b["smd"] == pytest.approx(-a["smd"], abs=1e-9)
        assert a["ci_low"] <= a["diff"] <= a["ci_high"]


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=4, max_size=40))
def test_counts_add_up_and_p_is_a_probability(pairs):
    table = np.zeros((2, 2))
    np.add.at(table, tuple(np.array(pairs).T), 1)
    df = pairs_from_table(table)
    for test in ("chi2", "fisher", "mcnemar"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OvcfWarning)  # degenerate tables: p = NaN + warning
            row = compare_groups(df, ["x"], tests={"x": test}).table.iloc[0]
        assert row["count_1"] == df.loc[df["case"] == 1, "x"].sum()
        assert row["count_0"] == df.loc[df["case"] == 0, "x"].sum()
        assert row["n_1"] == row["n_0"] == len(pairs)
        assert np.isnan(row["p"]) or 0 <= row["p"] <= 1 + 1e-12
        assert np.isnan(row["ci_low"]) or row["ci_low"] <= row["diff"] <= row["ci_high"]


# -- bad input ---------------------------------------------------------------------------------


def test_variable_not_in_data():
    with pytest.raises(DataError, match=r"column\(s\) 'weight' not found"):
        compare_groups(sleep_data(), ["weight"])


def test_non_numeric_variable_asked_as_continuous():
    df = sleep_data().assign(sex=["F", "M"] * 10)
    with pytest.raises(DataError, match=r"non-numeric values \('F', 'M'\) in column 'sex'"):
        compare_groups(df, ["sex"], tests={"sex": "welch"})
    typo = sleep_data().assign(bmi=["22.1", "23", "n/a"] + ["24.5"] * 17)
    with pytest.raises(DataError, match=r"'n/a'.*patient_id: g1-3"):
        compare_groups(typo, ["bmi"])


def test_group_with_other_than_two_levels():
    df = sleep_data()
    df.loc[0, "case"] = 2
    with pytest.raises(DataError, match=r"exactly two levels.*found 3"):
        compare_groups(df, ["extra"])
    with pytest.raises(DataError, match="found 1"):
        compare_groups(df.assign(case=1), ["extra"])


def test_pairs_with_more_than_two_members():
    df = sleep_data()
    df.loc[df["pair_id"] == 2, "pair_id"] = 1
    with pytest.raises(DataError, match=r"more than one case.*pair ids: 1;.*g1-1"):
        compare_groups(df, ["extra"])


def test_pair_id_present_in_one_group_only():
    df = sleep_data()
    df.loc[df["patient_id"] == "g2-3", "pair_id"] = 99
    with pytest.raises(DataError, match=r"one group only.*pair ids: 3, 99"):
        compare_groups(df, ["extra"])


def test_missing_pair_id_and_duplicate_ids():
    df = sleep_data()
    df.loc[4, "pair_id"] = np.nan
    with pytest.raises(DataError, match=r"missing values in pair column 'pair_id'.*g1-5"):
        compare_groups(df, ["extra"])
    dup = sleep_data()
    dup.loc[1, "patient_id"] = "g1-1"
    with pytest.raises(DataError, match="duplicate IDs"):
        compare_groups(dup, ["extra"])


def test_bad_test_choices():
    df = sleep_data().assign(x=[0, 1] * 10, k=["a", "b", "c", "d"] * 5)
    with pytest.raises(ValueError, match=r"`tests\['extra'\]` of compare_groups\(\) must be"):
        compare_groups(df, ["extra"], tests={"extra": "ttest"})
    with pytest.raises(DataError, match="needs matched pairs"):
        compare_groups(df, ["extra"], pair=None, tests={"extra": "paired_t"})
    with pytest.raises(DataError, match="two levels only"):
        compare_groups(df, ["k"], tests={"k": "fisher"})
    with pytest.raises(DataError, match="not in `variables`"):
        compare_groups(df, ["extra"], tests={"x": "chi2"})
    with pytest.raises(DataError, match="listed in `categorical`"):
        compare_groups(df, ["x"], tests={"x": "welch"}, categorical=["x"])
