"""Input checks and row selection of Table 1 (:func:`ovcfstats.compare_groups`): the group
column, the kind of each variable (continuous or categorical), and the rows analysed per
variable with the excluded ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._results import make_excluded
from .._validate import DataError, check_binary_outcome
from ._tests import FUNC, _zero_one

CONTINUOUS_TESTS = ("paired_t", "welch", "student", "wilcoxon")
CATEGORICAL_TESTS = ("chi2", "fisher", "mcnemar")

#: Share of numbers among an object column's values above which it is taken as a numeric
#: column with a few typos (and rejected naming them) rather than as a categorical one.
NUMERIC_LIKE = 0.8


# -- input -----------------------------------------------------------------------------------


def _check_group(data: pd.DataFrame, group: str, id_col: str | None) -> np.ndarray:
    """0/1 group array; exactly two levels, 1 = case."""
    col = data[group]
    if col.dtype.kind in "iu":  # numpy integers (no missing values): two reductions settle it
        x = col.to_numpy()
        if x.size and x.min() == 0 and x.max() == 1:
            return x.astype(int, copy=False)
    levels = pd.unique(col.dropna())
    if len(levels) != 2:
        shown = ", ".join(repr(v) for v in sorted(levels, key=str)[:6])
        raise DataError(
            f"{FUNC}(): group column '{group}' must have exactly two levels (1 = case, "
            f"0 = control); found {len(levels)}: {shown}. Keep only the two groups to compare "
            "and code them 0/1."
        )
    return check_binary_outcome(data, group, FUNC, id_col)


def _numbers(col: pd.Series) -> np.ndarray | None:
    """A numeric (not bool) column as float64 with NaN for missing (a numpy integer column,
    which cannot hold missing values, as it is), else None; converted once per variable and
    shared by the kind decision, the validation and the level codes."""
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return None
    if col.dtype.kind in "iu":
        return col.to_numpy()
    return col.to_numpy(dtype=float, na_value=np.nan)


def _is_continuous(
    data: pd.DataFrame,
    var: str,
    test: str | None,
    categorical: set[str],
    x: np.ndarray | None = None,
) -> bool:
    """Decide the kind of ``var`` from its test, ``categorical=``, then its values (``x``:
    the column from :func:`_numbers`)."""
    if test in CONTINUOUS_TESTS:
        if var in categorical:
            raise DataError(
                f"{FUNC}(): '{var}' is listed in `categorical` but its test {test!r} is for "
                "continuous variables. Remove it from one of the two."
            )
        return True
    if test in CATEGORICAL_TESTS or var in categorical:
        return False
    col = data[var]
    if pd.api.types.is_bool_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_numeric_dtype(col):
        x = _numbers(col) if x is None else x
        return not _zero_one(x, integral=col.dtype.kind in "iu")
    # A mostly numeric text column (e.g. BMI with a stray "n/a") is a typo'd number, not a
    # category; check_numeric then names the offending rows. Each distinct value is converted
    # once (to_numeric works value by value) and weighted by how often it occurs.
    codes, uniques = pd.factorize(col)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    if not counts.sum():
        return False
    numbers = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    number = ~np.isnan(numbers)
    return bool(
        counts[number].sum() / counts.sum() >= NUMERIC_LIKE
        and not np.isin(numbers[number], (0.0, 1.0)).all()
    )


# -- per-variable analyses ---------------------------------------------------------------------


def _analysed(
    data: pd.DataFrame,
    var: str,
    missing: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray],
    paired: bool,
    id_col: str | None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame | None]:
    """Row positions of analysed cases and controls and the excluded rows (None: none).
    ``rows``: every case and control row (``paired``: the case and control of each pair,
    aligned)."""
    case, ctrl = rows
    if not missing.any():  # nothing to drop: every row (pair) is analysed
        return case, ctrl, None
    if not paired:
        excluded = make_excluded(
            _ids_at(data, np.flatnonzero(missing), id_col), var, f"missing {var}"
        )
        return case[~missing[case]], ctrl[~missing[ctrl]], excluded
    bad = missing[case] | missing[ctrl]
    rows_out, reasons = [], []
    if bad.any():
        who = np.column_stack([case[bad], ctrl[bad]])
        ids = np.asarray(_ids_at(data, who.ravel(), id_col), dtype=object).reshape(-1, 2)
        for (c, k), (id_c, id_k) in zip(who, ids, strict=True):
            for me, mine, theirs in ((c, id_c, id_k), (k, id_k, id_c)):
                rows_out.append(mine)
                reasons.append(
                    f"missing {var}" if missing[me] else f"pair partner {theirs} missing {var}"
                )
    return case[~bad], ctrl[~bad], make_excluded(rows_out, var, reasons)


def _ids_at(data: pd.DataFrame, positions: np.ndarray, id_col: str | None) -> list:
    """IDs of the rows at ``positions`` (without converting the whole ID column)."""
    source = data[id_col] if id_col is not None and id_col in data.columns else data.index
    return list(pd.Series(source).iloc[positions]) if len(positions) else []
