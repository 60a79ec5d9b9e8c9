"""Table 1 options R users expect, each against R (tests/reference/stats_options.R): Yates'
chi-square, exact Wilcoxon / Mann–Whitney (R's exact = NULL rule and both forced), Fisher's
conditional-MLE odds ratio with its exact CI, and the Bowker test without discordant level pairs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ovcfstats import SmallSampleWarning, compare_groups
from ovcfstats.table1._exact import fisher_conditional_or, zeroin

REF = Path(__file__).parent / "reference"
R = pd.read_csv(REF / "stats_options_results.csv").set_index(["set", "test"])
DATA = pd.read_csv(REF / "stats_options_data.csv")
TABLES = pd.concat(
    [pd.read_csv(REF / "stats_tables.csv"), pd.read_csv(REF / "stats_options_tables.csv")]
).set_index("name")
TOL = 1e-8
TABLE_NAMES = list(TABLES.index)


def table_data(name: str) -> pd.DataFrame:
    """Unpaired patients from a 2x2 table: rows = yes/no, columns = case/control."""
    a, b, c, d = (int(v) for v in TABLES.loc[name, ["a", "b", "c", "d"]])
    case = [1] * a + [0] * b + [1] * c + [0] * d
    yes = [1] * (a + b) + [0] * (c + d)
    return pd.DataFrame({"case": case, "x": yes})


def paired_data(name: str) -> pd.DataFrame:
    d = DATA[DATA["set"] == name]
    n = len(d)
    return pd.DataFrame(
        {
            "patient_id": [f"c{i}" for i in range(n)] + [f"k{i}" for i in range(n)],
            "case": [1] * n + [0] * n,
            "pair_id": list(range(n)) * 2,
            "v": np.r_[d["x"], d["y"]],
        }
    )


def unpaired_data(name: str) -> pd.DataFrame:
    d = DATA[DATA["set"] == name]
    return pd.DataFrame({"case": d["y"].astype(int).to_numpy(), "v": d["x"].to_numpy()})


def pairs_from_table(table: np.ndarray) -> pd.DataFrame:
    """Matched pairs whose (case value, control value) cross-table is ``table``."""
    rows, pid = [], 0
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            for _ in range(int(table[i, j])):
                pid += 1
                rows += [(f"C{pid}", 1, pid, i), (f"K{pid}", 0, pid, j)]
    return pd.DataFrame(rows, columns=["patient_id", "case", "pair_id", "x"])


def ref(name: str, test: str) -> pd.Series:
    return R.loc[(name, test)]


# -- Yates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_yates_chi2_matches_r_chisq_test_default(name):
    with (
        pytest.warns(SmallSampleWarning)
        if name in ("tea_tasting", "zero_cell", "zero_cell_b", "small_yates")
        else _nothing()
    ):
        row = compare_groups(table_data(name), ["x"], correct=True).table.iloc[0]
    r = ref(name, "chi2_yates")
    assert row["statistic"] == pytest.approx(r["statistic"], rel=TOL)
    assert row["p"] == pytest.approx(r["p"], rel=TOL, abs=1e-300)
    assert row["test"] == "Pearson chi2 (Yates)"


def test_default_chi2_stays_uncorrected_and_both_are_named():
    plain = compare_groups(table_data("paper_hypertension"), ["x"])
    yates = compare_groups(table_data("paper_hypertension"), ["x"], correct=True)
    assert plain.table.loc[0, "p"] == pytest.approx(ref("paper_hypertension", "chi2")["p"], rel=TOL)
    assert round(plain.table.loc[0, "p"], 3) == 0.262  # the paper's
    assert plain.table.loc[0, "test"] == "Pearson chi2"
    assert any("without continuity correction" in n for n in plain.notes())
    assert any("Yates" in n for n in yates.notes())
    assert (plain.settings["correct"], yates.settings["correct"]) == (False, True)


def test_yates_does_not_apply_beyond_two_by_two():
    df = pd.DataFrame({"case": [1] * 30 + [0] * 30, "x": list("abc" * 10 + "aab" * 10)})
    plain = compare_groups(df, ["x"], categorical=["x"])
    yates = compare_groups(df, ["x"], categorical=["x"], correct=True)
    assert yates.table.loc[0, "p"] == plain.table.loc[0, "p"]
    assert yates.table.loc[0, "test"] == "Pearson chi2"


# -- Fisher's conditional MLE odds ratio ----------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
@pytest.mark.parametrize(("level", "test"), [(0.95, "fisher"), (0.90, "fisher_90")])
def test_fisher_conditional_or_and_ci_match_r(name, level, test):
    res = compare_groups(table_data(name), ["x"], tests={"x": "fisher"}, alpha=1 - level)
    row, r = res.table.iloc[0], ref(name, test)
    assert row["p"] == pytest.approx(r["p"], rel=TOL, abs=1e-300)
    for ours, theirs in (
        ("odds_ratio", "estimate"),
        ("or_ci_low", "conf_low"),
        ("or_ci_high", "conf_high"),
    ):
        assert row[ours] == pytest.approx(r[theirs], rel=TOL, abs=1e-300), ours


def test_fisher_or_is_not_the_sample_odds_ratio():
    """R's estimate is the conditional MLE: 1.42998 on the hypertension table, not ad/bc."""
    row = compare_groups(table_data("paper_hypertension"), ["x"], tests={"x": "fisher"}).table
    assert row.loc[0, "odds_ratio"] == pytest.approx(1.4299800474387181, rel=1e-12)
    assert row.loc[0, "odds_ratio"] != pytest.approx(42 * 43 / (36 * 35), rel=1e-4)


def test_fisher_or_inverts_when_the_table_is_transposed():
    t = np.array([[2, 3], [4, 1]])
    est, low, high = fisher_conditional_or(t)
    est2, low2, high2 = fisher_conditional_or(t[::-1])
    assert est * est2 == pytest.approx(1, rel=1e-3)  # R's tolerance: ~1e-4 in the root
    assert low * high2 == pytest.approx(1, rel=1e-3) and high * low2 == pytest.approx(1, rel=1e-3)


def test_or_columns_only_on_fisher_rows():
    res = compare_groups(table_data("paper_hypertension"), ["x"])
    assert res.table[["odds_ratio", "or_ci_low", "or_ci_high"]].isna().all().all()


def test_zeroin_follows_r_uniroot_not_a_tighter_solver():
    """R's uniroot stops at tol = eps^0.25: the root of x^3 - 2 it returns is R's, not 2^(1/3)."""
    root = zeroin(lambda x: x**3 - 2, 0, 2)
    assert root == pytest.approx(1.2599210498948732, abs=1e-3)
    assert zeroin(lambda x: x - 0.5, 0, 1) == 0.5


# -- exact Wilcoxon -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "test", "exact", "label"),
    [
        ("depression", "signed_rank_default", None, "Wilcoxon signed-rank (exact)"),
        ("depression", "signed_rank_normal", False, "Wilcoxon signed-rank"),
        ("paired_49", "signed_rank_default", None, "Wilcoxon signed-rank (exact)"),
        ("paired_50", "signed_rank_default", None, "Wilcoxon signed-rank"),
        ("paired_50", "signed_rank_exact", True, "Wilcoxon signed-rank (exact)"),
    ],
)
def test_signed_rank_follows_r_exact_rule(name, test, exact, label):
    res = compare_groups(paired_data(name), ["v"], tests={"v": "wilcoxon"}, exact=exact)
    row, r = res.table.iloc[0], ref(name, test)
    assert row["statistic"] == pytest.approx(r["statistic"], rel=TOL)
    assert row["p"] == pytest.approx(r["p"], rel=TOL)
    assert row["test"] == label


@pytest.mark.parametrize(
    ("name", "test", "exact", "label"),
    [
        ("permeability", "mann_whitney_default", None, "Mann-Whitney U (exact)"),
        ("permeability", "mann_whitney_normal", False, "Mann-Whitney U"),
        ("unpaired_49", "mann_whitney_default", None, "Mann-Whitney U (exact)"),
        ("unpaired_50", "mann_whitney_default", None, "Mann-Whitney U"),
        ("unpaired_50", "mann_whitney_exact", True, "Mann-Whitney U (exact)"),
    ],
)
def test_mann_whitney_follows_r_exact_rule(name, test, exact, label):
    res = compare_groups(unpaired_data(name), ["v"], tests={"v": "wilcoxon"}, exact=exact)
    row, r = res.table.iloc[0], ref(name, test)
    assert row["statistic"] == pytest.approx(r["statistic"], rel=TOL)
    assert row["p"] == pytest.approx(r["p"], rel=TOL)
    assert row["test"] == label


def test_exact_with_ties_falls_back_to_normal_with_a_warning():
    df = unpaired_data("permeability")
    df.loc[df.index[0], "v"] = df["v"].iloc[1]  # one tie
    quiet = compare_groups(df, ["v"], tests={"v": "wilcoxon"})  # default: silent fallback
    with pytest.warns(SmallSampleWarning, match="tied values"):
        forced = compare_groups(df, ["v"], tests={"v": "wilcoxon"}, exact=True)
    normal = compare_groups(df, ["v"], tests={"v": "wilcoxon"}, exact=False)
    assert quiet.table.loc[0, "p"] == forced.table.loc[0, "p"] == normal.table.loc[0, "p"]
    assert forced.table.loc[0, "test"] == "Mann-Whitney U"


def test_exact_signed_rank_with_zero_difference_falls_back():
    df = paired_data("depression")
    df.loc[df["patient_id"] == "k0", "v"] = df.loc[df["patient_id"] == "c0", "v"].to_numpy()
    with pytest.warns(SmallSampleWarning, match="zero differences"):
        res = compare_groups(df, ["v"], tests={"v": "wilcoxon"}, exact=True)
    assert res.table.loc[0, "test"] == "Wilcoxon signed-rank"
    assert res.table.loc[0, "statistic"] == 31.0  # positive ranks 8+7+6+5+4+1


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# -- McNemar / Bowker details ---------------------------------------------------------------------


def test_bowker_leaves_out_level_pairs_without_discordant_pairs():
    """Levels 0 and 2 are never discordant: R's mcnemar.test and statsmodels give NaN (0/0);
    the test here sums the two informative level pairs, on 2 df."""
    from scipy import stats

    table = np.array([[20, 5, 0], [9, 15, 4], [0, 2, 10]])
    res = compare_groups(pairs_from_table(table), ["x"], tests={"x": "mcnemar"}, categorical=["x"])
    stat = (5 - 9) ** 2 / 14 + (4 - 2) ** 2 / 6
    assert res.table.loc[0, "statistic"] == pytest.approx(stat, rel=1e-12)
    assert res.table.loc[0, "df"] == 2
    assert res.table.loc[0, "p"] == pytest.approx(stats.chi2.sf(stat, 2), rel=1e-12)


def test_paired_difference_of_proportions_wald_ci():
    from scipy import stats

    table = np.array([[794, 86], [150, 570]])  # case 0/1 by control 0/1
    res = compare_groups(pairs_from_table(table), ["x"], tests={"x": "mcnemar"}, alpha=0.1)
    b, c, n = 150, 86, 1600  # case 1 & control 0, case 0 & control 1
    se = np.sqrt(b + c - (b - c) ** 2 / n) / n
    z = stats.norm.ppf(0.95)
    row = res.table.iloc[0]
    assert row["diff"] == pytest.approx((b - c) / n, rel=1e-12)
    assert row["ci_low"] == pytest.approx((b - c) / n - z * se, rel=1e-12)
    assert row["ci_high"] == pytest.approx((b - c) / n + z * se, rel=1e-12)
