"""Table 1's shortcuts (one conversion per column, min/max 0/1 check, one-pass counts, no-missing
paths, integer group column, sorted pair ids, keyed ID check) give the numbers of the plain
computation: scipy's tests on the rows selected by hand, on random data with blanks, text IDs,
shuffled rows, 0/1 columns stored as int, float (with blanks) or nullable integers, and text
levels."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ovcfstats import DataError, compare_groups
from ovcfstats.table1._matched_sets import MatchedSets, _runs
from ovcfstats.table1._tests import _counter, _zero_one

REL = 1e-10  # same rows, possibly summed in another order


def _cohort(seed: int, n_pairs: int, shuffle: bool, ids: str, blanks: float, group: str):
    rng = np.random.default_rng(seed)
    n = 2 * n_pairs
    case = np.tile([1, 0], n_pairs)
    blank = rng.random((4, n)) < blanks
    x = np.round(rng.normal(5 - case, 2), 1)  # ties on purpose
    f = rng.integers(0, 2, n).astype(float)
    m = pd.array(rng.integers(0, 2, n), dtype="Int64")
    t = rng.choice(np.array(["b", "a", "c"], dtype=object), n)
    x[blank[0]] = np.nan
    f[blank[1]] = np.nan
    m[blank[2]] = pd.NA
    t[blank[3]] = None
    df = pd.DataFrame(
        {
            "pair_id": np.repeat(np.arange(100, 100 + n_pairs), 2),
            "case": case.astype(float) if group == "float" else case,
            "x": x,
            "k": rng.integers(0, 2, n),
            "f": f,
            "m": m,
            "t": t,
        }
    )
    if ids == "text":
        df.insert(0, "patient_id", [f"P-{i:04d}" for i in rng.permutation(n)])
    elif ids == "int":
        df.insert(0, "patient_id", rng.permutation(n) + 7)
    if shuffle:
        df = df.iloc[rng.permutation(n)].reset_index(drop=True)
    return df


def _selected(df: pd.DataFrame, var: str, paired: bool):
    """Analysed case and control values of ``var`` (pairs complete in it when paired)."""
    ok = df[var].notna()
    if paired:
        complete = ok.groupby(df["pair_id"]).transform("all")
        ok = ok & complete
    sel = df[ok].sort_values(["pair_id", "case"], ascending=[True, False])
    return sel[sel["case"] == 1][var], sel[sel["case"] == 0][var], int((~ok).sum())


def _check_continuous(row: pd.Series, x1: pd.Series, x0: pd.Series, paired: bool) -> None:
    a, b = x1.to_numpy(float), x0.to_numpy(float)
    assert (row["n_1"], row["n_0"]) == (len(a), len(b))
    res = stats.ttest_rel(a, b) if paired else stats.ttest_ind(a, b, equal_var=False)
    want = [a.mean(), a.std(ddof=1), b.mean(), b.std(ddof=1), res.statistic, res.df, res.pvalue]
    got = row[["mean_1", "sd_1", "mean_0", "sd_0", "statistic", "df", "p"]].to_numpy(float)
    np.testing.assert_allclose(got, want, rtol=REL, atol=1e-13)


def _check_categorical(rows: pd.DataFrame, x1: pd.Series, x0: pd.Series, shown) -> None:
    levels = sorted(set(x1) | set(x0), key=str)
    assert list(rows["level"]) == shown
    for _, row in rows.iterrows():
        lv = row["level"]
        assert (row["count_1"], row["count_0"]) == ((x1 == lv).sum(), (x0 == lv).sum())
        assert (row["n_1"], row["n_0"]) == (len(x1), len(x0))
    table = np.array([[(x1 == lv).sum(), (x0 == lv).sum()] for lv in levels])
    if len(levels) < 2 or not (len(x1) and len(x0)):
        assert rows["p"].isna().all()
        return
    res = stats.chi2_contingency(table, correction=False)
    np.testing.assert_allclose(
        rows[["statistic", "df", "p"]].to_numpy(float),
        np.tile([res.statistic, res.dof, res.pvalue], (len(rows), 1)),
        rtol=REL,
    )


@settings(deadline=None, max_examples=60)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_pairs=st.integers(2, 25),
    shuffle=st.booleans(),
    ids=st.sampled_from(["text", "int", "none"]),
    blanks=st.sampled_from([0.0, 0.1, 0.4]),
    group=st.sampled_from(["int", "float"]),
    paired=st.booleans(),
)
def test_table_equals_plain_scipy_on_the_selected_rows(
    seed, n_pairs, shuffle, ids, blanks, group, paired
):
    df = _cohort(seed, n_pairs, shuffle, ids, blanks, group)
    variables = ["x", "k", "f", "m", "t"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-sample and degenerate-table warnings
        res = compare_groups(df, variables, pair="pair_id" if paired else None)
    table = res.table
    for var in variables:
        x1, x0, n_missing = _selected(df, var, paired)
        rows = table[table["variable"] == var]
        assert (rows["n_excluded"] == n_missing).all()
        assert int((res.excluded["variable"] == var).sum()) == n_missing
        if var == "x":
            assert rows["kind"].tolist() == ["continuous"]
            a, b = x1.to_numpy(float), x0.to_numpy(float)
            if min(len(a), len(b)) < 2:
                assert np.isnan(rows.iloc[0]["p"])
                continue
            spread = np.ptp(a - b) if paired else max(np.ptp(a), np.ptp(b))
            if spread > 0:
                _check_continuous(rows.iloc[0], x1, x0, paired)
            else:
                assert np.isnan(rows.iloc[0]["p"])
        else:
            shown = ["a", "b", "c"] if var == "t" else [1]
            shown = [lv for lv in shown if var != "t" or lv in set(x1) | set(x0)]
            _check_categorical(rows, x1, x0, shown)


@settings(deadline=None, max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1), n_pairs=st.integers(2, 20), blanks=st.sampled_from([0.0, 0.3])
)
def test_id_kind_and_row_order_do_not_change_the_numbers(seed, n_pairs, blanks):
    """Text, integer or no IDs, sorted or shuffled rows: the same table (up to rounding)."""
    variables = ["x", "k", "f", "m", "t"]
    tables = []
    for ids, shuffle in (("text", False), ("int", True), ("none", True), ("text", True)):
        df = _cohort(seed, n_pairs, shuffle, ids, blanks, "int")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables.append(compare_groups(df, variables).table)
    for other in tables[1:]:
        pd.testing.assert_frame_equal(other, tables[0], rtol=REL)


@given(
    st.lists(
        st.sampled_from([0.0, 1.0, np.nan, 0.5, -1.0, 2.0, 1e-300, 1 - 1e-16]),
        max_size=12,
    )
)
def test_zero_one_matches_the_elementwise_check(values):
    x = np.array(values, dtype=float)
    assert _zero_one(x) == bool(((x == 0) | (x == 1) | np.isnan(x)).all())


@given(
    st.lists(st.integers(-5, 40), min_size=1, max_size=30),
    st.booleans(),
    st.sampled_from(["int64", "int32", "uint16"]),
)
def test_pair_runs_equal_pandas_factorize(ids, ascending, dtype):
    """Integer ids in ascending order are coded by their runs; the same codes and uniques as
    pandas' hash table. Anything else is not taken for runs."""
    x = np.sort(np.abs(ids)) if ascending else np.abs(np.array(ids, dtype=np.int64))
    x = np.asarray(x, dtype=np.int64).astype(dtype)
    starts = _runs(x)
    want_codes, want_uniques = pd.factorize(pd.Series(x))
    if len(x) < 2 or not (np.diff(x.astype(np.int64)) >= 0).all():
        assert starts is None
        return
    assert starts is not None
    design = MatchedSets(np.diff(np.r_[starts, x.size]), True)
    np.testing.assert_array_equal(design.codes, want_codes)
    np.testing.assert_array_equal(x[starts], want_uniques)


@given(st.lists(st.integers(0, 6), max_size=30), st.integers(-3, 9))
def test_counter_matches_a_comparison_count(codes, level):
    x = np.array(codes, dtype=np.int64)
    assert _counter(x)(level) == int(np.sum(x == level))


@pytest.mark.parametrize("dtype", ["int64", "float64", "Int64", "bool"])
def test_group_column_dtypes_give_the_same_table(dtype):
    df = _cohort(5, 12, True, "text", 0.1, "int")
    base = compare_groups(df, ["x", "k"]).table
    df["case"] = df["case"].astype(dtype)
    pd.testing.assert_frame_equal(compare_groups(df, ["x", "k"]).table, base)


@pytest.mark.parametrize("values", [(0, 2), (1, 2), (3, 4), (1, -1)])
def test_integer_group_column_outside_0_1_still_refused(values):
    df = _cohort(1, 6, False, "text", 0.0, "int")
    df["case"] = np.where(df["case"] == 1, values[0], values[1])
    with pytest.raises(DataError, match="compare_groups"):
        compare_groups(df, ["x"], pair=None)


def test_duplicate_text_ids_named_with_the_fast_check():
    df = _cohort(2, 5, False, "text", 0.0, "int")
    df.loc[3, "patient_id"] = df.loc[0, "patient_id"]
    dup = df.loc[0, "patient_id"]
    with pytest.raises(DataError, match=f"duplicate IDs in column 'patient_id' .*{dup}"):
        compare_groups(df, ["x"])


def test_infinite_value_in_a_numeric_column_still_named():
    df = _cohort(3, 5, False, "text", 0.0, "int")
    df.loc[4, "x"] = np.inf
    with pytest.raises(DataError, match=r"infinite values \(inf\) in column 'x'.*row 5"):
        compare_groups(df, ["x"])
