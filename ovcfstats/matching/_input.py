"""Input of :func:`~ovcfstats.match_controls`: checks, excluded controls and exact strata as arrays.

Everything after this step works on row positions and plain arrays; the patients' frame is only
read here and taken from once, by position, when the matched table is assembled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._results import concat_excluded, make_excluded
from .._validate import (
    DataError,
    check_columns,
    check_frame,
    check_numeric,
    describe_ids,
    describe_rows,
)

FUNC = "match_controls"


class Prepared(NamedTuple):
    """The checked input: rows kept for matching and their strata (all in data order)."""

    rows: np.ndarray  # positions in `patients` of the rows kept (excluded controls removed)
    is_case: np.ndarray  # per kept row
    x: np.ndarray  # kept rows × caliper variables, float (NaN: missing for a case)
    numeric: dict  # caliper variable -> float values of every row of `patients`
    stratum: np.ndarray  # per kept row: index into `labels`
    labels: list  # exact-variable values joined by "|" ("all" without exact variables), sorted
    excluded: pd.DataFrame


def prepare(
    patients: pd.DataFrame, exact: Sequence[str], caliper: Mapping[str, float], id_col: str
) -> Prepared:
    """Check ``patients`` (0..n-1 index) and split it into exact strata; excluded controls."""
    check_frame(patients, FUNC, "patients")
    check_columns(patients, [id_col, "case", *exact, *caliper], FUNC, "patients")
    _check_ids(patients[id_col], id_col)
    case = check_numeric(patients, "case", FUNC, id_col)
    if np.isnan(case).any() or not np.isin(case, (0, 1)).all():
        raise DataError(f"{FUNC}(): column 'case' must be 0/1 without blanks.")
    numeric = {}
    for var, width in caliper.items():
        if not np.isscalar(width) or not float(width) > 0:
            raise DataError(
                f"{FUNC}(): caliper for '{var}' must be a positive number; got {width!r}."
            )
        numeric[var] = check_numeric(patients, var, FUNC, id_col)
    is_case = case == 1
    if not is_case.any():
        raise DataError(f"{FUNC}(): no cases (case == 1) in `patients`.")
    if is_case.all():
        raise DataError(f"{FUNC}(): no candidate controls (case == 0) in `patients`.")
    missing = {var: patients[var].isna().to_numpy() for var in exact}
    for var in exact:
        if (missing[var] & is_case).any():
            ids = patients[id_col][missing[var] & is_case].tolist()
            raise DataError(
                f"{FUNC}(): missing values in exact-matching column '{var}' for cases "
                f"({describe_ids(ids, id_col)}). Fill them in or remove these cases."
            )
    missing.update({var: np.isnan(values) for var, values in numeric.items()})
    keep, excluded = np.ones(len(patients), bool), []
    for var in (*exact, *caliper):  # a control is excluded once, for its first missing value
        bad = missing[var] & ~is_case & keep
        if bad.any():
            ids = patients[id_col][bad].tolist()
            excluded.append(make_excluded(ids, var, f"control with missing {var}"))
            keep &= ~bad
    rows = np.flatnonzero(keep)
    x = np.column_stack([numeric[var][rows] for var in caliper])
    columns = {v: pd.Series(numeric[v]) if v in numeric else patients[v] for v in exact}
    stratum, labels = _strata(columns, rows, len(patients))
    return Prepared(rows, is_case[rows], x, numeric, stratum, labels, concat_excluded(excluded))


def _check_ids(ids: pd.Series, id_col: str) -> None:
    """No blank and no duplicate IDs (whole-number IDs are checked by one sort)."""
    if not pd.api.types.is_integer_dtype(ids):
        blank = ids == ""
        if blank.any():
            raise DataError(
                f"{FUNC}(): blank IDs in column '{id_col}' ({describe_rows(blank)}). "
                "Give every patient an ID."
            )
    else:  # already increasing (1, 2, 3 ...) needs no sort
        values = ids.to_numpy()
        if (values[1:] > values[:-1]).all() or (np.diff(np.sort(values)) != 0).all():
            return
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"{FUNC}(): duplicate IDs in column '{id_col}' "
            f"({describe_ids(list(ids[dup]), id_col)}). Each patient must appear once."
        )


def _strata(columns: Mapping[str, pd.Series], rows: np.ndarray, n: int):
    """Each kept row's stratum and the sorted stratum labels.

    A label is the exact variables' values as text joined by ``"|"`` (values with the same text
    share a stratum). Each variable is factorised once and only one row per distinct combination
    is turned into text: converting every row costs more than the matching at 10⁶ rows. Values
    that compare equal but print differently (``1`` and ``1.0`` in a text column, ``0.0`` and
    ``-0.0``) are told apart first, as their texts would be.
    """
    if not columns:
        return np.zeros(len(rows), np.intp), ["all"]
    combo, size = np.zeros(len(rows), np.int64), 1
    for col in columns.values():
        col = col if len(rows) == n else col.iloc[rows]
        if pd.api.types.is_float_dtype(col):
            col = col.to_numpy(dtype=float, na_value=np.nan).view(np.int64)
        elif col.dtype == object:
            col = col.astype(str)
        codes, uniques = pd.factorize(col)
        combo, size = combo * len(uniques) + codes, size * len(uniques)
        if size > 4 * len(rows) + 1024:  # renumber the combinations present: codes stay small
            uniq, combo = np.unique(combo, return_inverse=True)
            combo, size = combo.ravel().astype(np.int64), len(uniq)
    first = np.full(size, len(rows), np.int64)
    np.minimum.at(first, combo, np.arange(len(rows)))  # the first row of each combination
    present = np.flatnonzero(first < len(rows))
    text = None
    for col in columns.values():
        part = col.iloc[rows[first[present]]].astype(str).to_numpy(dtype=object)
        text = part if text is None else text + "|" + part
    labels = sorted(set(text))
    rank = np.zeros(size, np.intp)
    rank[present] = np.searchsorted(np.array(labels, dtype=object), text)
    return rank[combo], labels
