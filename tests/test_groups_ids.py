"""Table 1's fast paths at registry scale give pandas' and scipy's answers: the duplicate-ID check
(64-bit keys of the Arrow string bytes, integer and categorical codes, one sort) against
``Series.is_unique`` on text with blanks, unequal lengths, NUL bytes and non-ASCII characters in
every string dtype; the t-tests from the table's means and variances against ``ttest_rel`` /
``ttest_ind`` with their CIs; the shortcut "SD well above zero, so the values differ" against
``np.ptp``; and the pair rows taken straight from sorted data against shuffled data."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ovcfstats import DataError, _validate, compare_groups
from ovcfstats._validate import ids_unique
from ovcfstats.table1._tests import (
    HEAD,
    _all_equal,
    _moments,
    _t_test,
    _two_sample_se,
    _zero_one,
)

pa = pytest.importorskip("pyarrow")

# IDs that share prefixes, differ only after 8 or 16 bytes, end in NUL bytes, are blank or are
# not ASCII: the cases where a key built from the bytes could go wrong.
PIECES = ["", "P", "P0", "a", "a\x00", "\x00", "é", "日本", "0123456", "01234567", "012345678"]
TEXT = st.lists(st.sampled_from(PIECES), min_size=0, max_size=4).map("".join)


def _text_dtypes() -> list:
    dtypes = [object, "string[python]", "string[pyarrow]", pd.ArrowDtype(pa.string())]
    dtypes += [pd.ArrowDtype(pa.large_string()), "category"]
    return dtypes


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(TEXT, st.none()), min_size=0, max_size=40),
    st.sampled_from(range(len(_text_dtypes()))),
    st.integers(0, 3),
)
def test_text_id_check_equals_a_python_set(ids, dtype, skip):
    """Missing IDs count as one value (pandas' rule). The reference is a Python set: pandas 2's
    object hash table stops reading at a NUL byte ("a" and "a\\x00P" reported as duplicates)."""
    series = pd.Series(ids, dtype=_text_dtypes()[dtype])
    series = series.iloc[skip:] if skip % 2 else series.iloc[: len(ids) - skip]  # Arrow slices
    values = ["<missing>" if pd.isna(v) else v for v in series]  # as stored (pandas 2
    # categoricals also merge "" and "\\x00")
    assert ids_unique(series) == (len(set(values)) == len(values))


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, min_size=2, max_size=30, unique=True), st.data())
def test_distinct_text_ids_are_unique_and_one_repeat_is_found(ids, data):
    for dtype in _text_dtypes():
        series = pd.Series(ids, dtype=dtype)
        if len(set(series)) < len(ids):  # pandas 2 categoricals merge "" and "\x00"
            continue
        assert ids_unique(series)
        i, j = data.draw(st.integers(0, len(ids) - 1)), data.draw(st.integers(0, len(ids) - 1))
        if i != j:
            repeated = pd.Series([*ids, ids[i]], dtype=dtype)
            assert not ids_unique(repeated)


@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40), st.sampled_from(["int64", "Int64"]))
def test_integer_id_check_equals_is_unique(ids, dtype):
    series = pd.Series(ids, dtype=dtype)
    assert ids_unique(series) == series.is_unique


@given(st.lists(st.integers(0, 300), max_size=40), st.sampled_from(["uint8", "int16", "uint64"]))
def test_small_integer_id_check_equals_is_unique(ids, dtype):
    series = pd.Series(np.array(ids) % 256 if dtype == "uint8" else ids, dtype=dtype)
    assert ids_unique(series) == series.is_unique


@given(st.lists(st.one_of(st.integers(0, 5), TEXT, st.floats(allow_nan=True)), max_size=20))
def test_mixed_and_float_ids_are_left_to_pandas(ids):
    series = pd.Series(ids, dtype=object)
    assert ids_unique(series) == series.is_unique


@pytest.mark.parametrize("dtype", ["int64", "category", "string[pyarrow]", object])
def test_the_id_check_leaves_the_column_as_it_was(dtype):
    ids = pd.Series([9, 3, 7, 1] if dtype == "int64" else ["P9", "P3", "P7", "P1"], dtype=dtype)
    before = ids.copy()
    assert ids_unique(ids)
    pd.testing.assert_series_equal(ids, before)
    if dtype == "category":
        np.testing.assert_array_equal(ids.cat.codes, before.cat.codes)


def test_chunked_arrow_ids_are_all_read():
    first = pd.Series(["P1", "P2"], dtype=pd.ArrowDtype(pa.string()))
    both = pd.concat([first, pd.Series(["P3", "P1"], dtype=first.dtype)], ignore_index=True)
    assert len(pa.chunked_array(pa.array(both.array)).chunks) >= 1
    assert not ids_unique(both)
    assert ids_unique(both.iloc[1:])


def test_missing_ids_are_one_value_whatever_their_arrow_slots_hold():
    """Arrow lets a missing entry span bytes ("ab" and "cd" here): two of them are still two
    missing IDs, i.e. a duplicate for pandas; one of them next to distinct IDs is not."""
    offsets = pa.py_buffer(np.array([0, 2, 4, 5], dtype=np.int32).tobytes())
    data = pa.py_buffer(b"abcdx")
    for valid, unique in ((0b100, False), (0b110, True)):
        arr = pa.Array.from_buffers(pa.string(), 3, [pa.py_buffer(bytes([valid])), offsets, data])
        series = pd.Series(pd.arrays.ArrowExtensionArray(arr))
        assert ids_unique(series) is unique is series.is_unique


def test_equal_keys_of_different_ids_go_to_the_exact_check(monkeypatch):
    """Keys only prove IDs distinct; colliding keys (all forced equal here) leave the verdict
    to pandas, so a collision can never report a duplicate that is not there."""
    monkeypatch.setattr(_validate, "_text_keys", lambda chunk: np.zeros(len(chunk), np.uint64))
    assert ids_unique(pd.Series(["a", "b", "c"], dtype="string[pyarrow]"))
    assert not ids_unique(pd.Series(["a", "b", "a"], dtype="string[pyarrow]"))


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=30))
def test_equal_text_gives_equal_keys(ids):
    keys = _validate._text_keys(pa.array(ids, type=pa.large_string()))
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if a == b:
                assert keys[i] == keys[j]


def test_duplicate_ids_named_whatever_the_id_dtype():
    df = pd.DataFrame({"case": [1, 0, 1, 0], "x": [1.0, 2.0, 4.0, 3.0]})
    for ids in (["A", "B", "C", "A"], [5, 6, 7, 5]):
        for dtype in (None, "category", "string[pyarrow]"):
            if dtype == "string[pyarrow]" and isinstance(ids[0], int):
                continue
            df["patient_id"] = pd.Series(ids, dtype=dtype)
            with pytest.raises(DataError, match=f"duplicate IDs in column 'patient_id' .*{ids[0]}"):
                compare_groups(df, ["x"], pair=None)


# -- the numbers ---------------------------------------------------------------------------------


@given(
    st.lists(
        st.sampled_from([0.0, 1.0, np.nan, 0.5, -1.0, 2.0, 1e-300, 1 - 1e-16]),
        min_size=HEAD - 2,
        max_size=HEAD + 40,
    ),
    st.sampled_from(["f", "i"]),
)
def test_zero_one_beyond_the_first_values_matches_the_elementwise_check(values, kind):
    x = np.array(values, dtype=float)
    if kind == "i":
        x = np.nan_to_num(x).astype(np.int64)
    want = bool(((x == 0) | (x == 1) | np.isnan(x.astype(float))).all())
    assert _zero_one(x, integral=kind == "i") == want


@given(
    st.floats(-1e300, 1e300),
    st.integers(2, 3000),
    st.sampled_from([0.0, 1e-300, 1e-15, 1e-9, 1.0]),
    st.integers(0, 10),
)
def test_all_equal_is_ptp_zero(value, n, step, where):
    x = np.full(n, value)
    x[min(where, n - 1)] += step * max(abs(value), 1e-300)
    with np.errstate(all="ignore"):
        m = _moments(x)
    assert _all_equal(x, m) == (np.ptp(x) == 0)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 60),
    st.integers(2, 60),
    st.sampled_from([0.0, 1e3, 1e7]),
    st.sampled_from([0.05, 0.1, 0.01]),
)
def test_t_tests_from_moments_equal_scipy(seed, n1, n0, offset, alpha):
    rng = np.random.default_rng(seed)
    x1 = offset + rng.normal(0.3, 1.0, n1).round(2)
    x0 = offset + rng.normal(0.0, 2.0, n0).round(2)
    m1, m0 = _moments(x1), _moments(x0)
    np.testing.assert_array_equal([m1[1], m1[2] ** 0.5], [np.mean(x1), np.std(x1, ddof=1)])
    for welch in (True, False):
        got = _t_test(m1[1] - m0[1], *_two_sample_se(m1, m0, welch), alpha)
        res = stats.ttest_ind(x1, x0, equal_var=not welch)
        _same(got, res, alpha)
    n = min(n1, n0)
    d = x1[:n] - x0[:n]
    if np.ptp(d) > 0:
        md = _moments(d)
        got = _t_test(md[1], np.sqrt(md[2] / md[0]), md[0] - 1, alpha)
        _same(got, stats.ttest_rel(x1[:n], x0[:n]), alpha)


def _same(got: dict, res, alpha: float) -> None:
    ci = res.confidence_interval(1 - alpha)
    want = [res.statistic, res.df, res.pvalue, ci.low, ci.high]
    have = [got[k] for k in ("statistic", "df", "p", "ci_low", "ci_high")]
    np.testing.assert_allclose(have, want, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 40), st.sampled_from([0.0, 0.2]))
def test_sorted_pairs_give_the_table_of_shuffled_pairs(seed, n_pairs, blanks):
    """Rows sorted by pair take the pair rows from the group rows directly; shuffled rows go
    through the set codes. Same table, same exclusions."""
    rng = np.random.default_rng(seed)
    n = 2 * n_pairs
    case = rng.permuted(np.tile([1, 0], (n_pairs, 1)), axis=1).ravel()
    x = rng.normal(5 - case, 2).round(1)
    x[rng.random(n) < blanks] = np.nan
    df = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(n)],
            "pair_id": np.repeat(rng.permutation(n_pairs) * 3 + 1, 2),
            "case": case,
            "x": x,
            "k": rng.integers(0, 2, n),
        }
    )
    shuffled = df.iloc[rng.permutation(n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ordered = compare_groups(df.sort_values("pair_id", kind="stable"), ["x", "k"])
        runs = compare_groups(df, ["x", "k"])  # pairs contiguous, ids not sorted
        other = compare_groups(shuffled, ["x", "k"])
    for res in (runs, other):
        pd.testing.assert_frame_equal(res.table, ordered.table, rtol=1e-12)
        assert sorted(map(tuple, res.excluded.values)) == sorted(
            map(tuple, ordered.excluded.values)
        )


def test_a_pair_id_shared_by_two_adjacent_pairs_is_one_set_with_two_cases():
    df = pd.DataFrame(
        {
            "case": [1, 0, 1, 0, 1, 0],
            "pair_id": [1, 1, 1, 1, 2, 2],
            "x": [1.0, 2.0, 3.0, 4.5, 5.0, 6.5],
        }
    )
    with pytest.raises(DataError, match=r"more than one case.*pair ids: 1;"):
        compare_groups(df, ["x"])


def test_text_variable_without_any_value_gives_one_empty_row():
    df = pd.DataFrame(
        {
            "patient_id": list("ABCD"),
            "case": [1, 0, 1, 0],
            "pair_id": [1, 1, 2, 2],
            "smoker": [None] * 4,
            "x": [1.0, 2.5, 3.0, 4.0],
        }
    )
    with pytest.warns(UserWarning, match="'smoker' has no analysed patients"):
        res = compare_groups(df, ["smoker", "x"])
    row = res.table.iloc[0]
    assert (row["variable"], row["level"], row["n_1"], row["n_0"]) == ("smoker", None, 0, 0)
    assert np.isnan(row["p"]) and row["n_excluded"] == 4
    assert res.formatted().iloc[0, :3].tolist() == ["smoker", "0", "0"]
    assert res.table.iloc[1]["variable"] == "x"
