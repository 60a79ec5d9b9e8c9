"""The columns of Table 1 (:func:`ovcfstats.compare_groups`): the values of cases and controls
taken as views where the rows are evenly spaced, the finiteness check, and the table of rows
with its columns in order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _as_slice(pos: np.ndarray) -> slice | None:
    """``pos`` as a slice when the rows are evenly spaced (e.g. every case of data sorted by
    pair with the case first): its values are then a view, not a copy."""
    if pos.size < 2 or pos[1] <= pos[0]:
        return None
    step = int(pos[1] - pos[0])
    if int(pos[-1] - pos[0]) != step * (pos.size - 1) or not (np.diff(pos) == step).all():
        return None
    return slice(int(pos[0]), int(pos[-1]) + 1, step)


def _take(
    values: np.ndarray,
    pos1: np.ndarray,
    pos0: np.ndarray,
    strides: tuple[slice | None, slice | None] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The values of the rows ``pos1`` and ``pos0``: views where ``strides`` gives them as
    slices (the sums over a view are the sums over its copy, bit for bit), else copies."""
    s1, s0 = strides or (None, None)
    return (
        values[s1] if s1 is not None else values[pos1],
        values[s0] if s0 is not None else values[pos0],
    )


def _all_finite(x: np.ndarray) -> bool:
    """No NaN and no infinity in ``x``: its sum is finite (one reduction instead of a NaN and
    an infinity pass; a sum that overflows only sends the column to those passes)."""
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.add.reduce(x)))


def _order_columns(rows: list[dict[str, Any]], median: bool) -> pd.DataFrame:
    """The table of ``rows`` with its columns in order (absent values NaN)."""
    cols = [
        "variable",
        "level",
        "kind",
        "n_1",
        "n_0",
        "n_pairs",
        "n_excluded",
        "mean_1",
        "sd_1",
        "mean_0",
        "sd_0",
    ]
    if median:
        cols += ["median_1", "q1_1", "q3_1", "median_0", "q1_0", "q3_0"]
    cols += [
        "count_1",
        "pct_1",
        "count_0",
        "pct_0",
        "diff",
        "ci_low",
        "ci_high",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "test",
        "statistic",
        "df",
        "p",
        "smd",
    ]
    text = ("variable", "kind", "test")
    integer = ("n_1", "n_0", "n_excluded")
    columns: dict[str, Any] = {}
    for c in cols:  # column by column from the row dicts: one conversion each
        values = [r.get(c, np.nan) for r in rows]
        if c in text:
            columns[c] = pd.Series(values)
        elif c == "level":  # pandas' inference, then object (0/1 levels read 1.0)
            columns[c] = pd.Series(values).astype(object)
        elif c in integer:
            columns[c] = np.array(values, dtype=np.int64)
        else:
            columns[c] = np.array(values, dtype=float)
    return pd.DataFrame(columns)


#: continuous-row columns in the variable's units (the others are scale-free)
UNIT_COLUMNS = frozenset(
    ["mean_1", "sd_1", "mean_0", "sd_0", "diff", "ci_low", "ci_high"]
    + [f"{q}_{g}" for q in ("median", "q1", "q3") for g in "10"]
)


def _in_units(row: dict[str, Any], unit: float) -> dict[str, Any]:
    """``row`` computed on values / ``unit`` back in the variable's units.

    Examples
    --------
    >>> _in_units({"mean_1": 1.5, "sd_1": 0.5, "p": 0.01}, 2.0**900)["sd_1"] == 2.0**899
    True
    """
    if unit == 1.0:
        return row
    return {k: v * unit if k in UNIT_COLUMNS and v is not None else v for k, v in row.items()}
