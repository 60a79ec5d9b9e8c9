"""The descriptive missing-data section: holes per variable and group, patterns, analysed n.

:func:`describe_missing` counts what is missing before any model is fitted, so that a reader
sees how much each complete-case analysis lost (STROBE 12c and 14b, STARD 16). It fits nothing
and imputes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from .._validate import (
    DataError,
    check_columns,
    check_frame,
    check_numeric,
    describe_ids,
    row_ids,
)

FUNC = "describe_missing"
#: columns left out by default: they identify rows and sets, they are never analysed
ID_COLUMNS = ("patient_id", "pair_id")
#: the columns of ``patterns`` before one column per variable
PATTERN_COLUMNS = ("pattern", "n", "pct", "n_variables_missing")
#: the columns of ``analyses``
ANALYSIS_COLUMNS = ("analysis", "item", "n", "n_cases", "n_controls", "n_excluded")
#: where a step's table keeps, per row, its item, its n and its cases (first match wins)
_ITEM_COLUMNS = ("indicator", "variable", "measure")
_N_COLUMNS = (("n_cases", "n_controls"), ("n_1", "n_0"), ("n",))
_CASE_COLUMNS = ("n_cases", "n_1", "events")


def _empty_analyses() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ANALYSIS_COLUMNS})


@dataclass(frozen=True, eq=False)
class MissingData(Result):
    """Missing values per variable by group, the missingness patterns and each analysis's n.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per variable, in the order given: ``variable``; ``n_1``, ``missing_1``,
        ``pct_1`` (the cases, those without a value and their percentage, 0–100); ``n_0``,
        ``missing_0``, ``pct_0`` (the controls); ``n``, ``missing``, ``pct`` (all patients).
        Without a group, ``n``, ``missing`` and ``pct``.
    patterns : pandas.DataFrame
        One row per pattern of observed (``True``) and missing (``False``) values, the most
        frequent first: ``pattern`` (1, 2, …), ``n``, ``pct``, ``n_variables_missing``, then
        one boolean column per variable. Ties go to the pattern with fewer holes, then to the
        one observed in the earlier variable, so the order never depends on the row order.
    analyses : pandas.DataFrame
        The complete-case n of each analysis given: ``analysis``, ``item`` (the variable or
        indicator of that row of the analysis, ``""`` for a whole model), ``n``, ``n_cases``,
        ``n_controls``, ``n_excluded`` (patients of ``data`` not in it).
    n_patients, n_cases, n_controls : int
        The patients described and, with a group, the cases and controls among them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ovcfstats import describe_missing
    >>> df = pd.DataFrame({"case": [1, 1, 0, 0], "bmi": [22.1, np.nan, 23.5, 24.0]})
    >>> res = describe_missing(df)
    >>> res.n_patients, res.n_cases, res.n_controls, res.n_complete
    (4, 2, 2, 3)
    """

    patterns: pd.DataFrame = field(default_factory=pd.DataFrame)
    analyses: pd.DataFrame = field(default_factory=_empty_analyses)
    n_patients: int = 0
    n_cases: int | None = None
    n_controls: int | None = None

    title: ClassVar[str] = "Missing data"

    @property
    def n_missing(self) -> int:
        """Missing cells in all (patient, variable) pairs described."""
        return int(self.table["missing"].sum())

    @property
    def n_complete(self) -> int:
        """Patients with every variable observed."""
        full = self.patterns[self.patterns["n_variables_missing"] == 0]
        return int(full["n"].sum())

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"table": self.table.copy(), "patterns": self.patterns.copy()}
        if len(self.analyses):
            out["analyses"] = self.analyses.copy()
        return out


def describe_missing(
    data: pd.DataFrame,
    columns: Sequence[str] | str | None = None,
    *,
    group: str | None = "case",
    models: Mapping[str, Result | Sequence[str]] | None = None,
) -> MissingData:
    """How many values are missing, per variable and group, in which patterns, and per analysis.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    columns : str or sequence of str, optional
        The variables to describe, in the order to print them. Default: every column except
        ``group``, ``patient_id`` and ``pair_id``.
    group : str or None
        The 0/1 group column (1 = case, 0 = control); ``None`` counts all patients only.
    models : mapping, optional
        ``{analysis name: result or columns}``: for a step's result (Table 1, ORs, ROC, ρ, …)
        the n of each of its rows as the result reports it (a matched analysis also loses the
        partners of an incomplete patient); for a list of columns, the patients complete in
        all of them.

    Returns
    -------
    MissingData
        ``.table`` per variable, ``.patterns`` and ``.analyses`` (see :class:`MissingData`).

    Raises
    ------
    DataError
        A column not in ``data`` (the closest name suggested), a group column with missing
        values or codes other than 0/1, or an analysis with more patients than ``data``.

    Notes
    -----
    A value is missing when pandas says so (``NaN``, ``None``, ``pd.NA``, ``NaT``): the same
    test every step uses before it excludes a row, so the counts here and the n of each
    analysis agree. The patterns are those of R ``mice::md.pattern`` (rows ordered by count
    here, most frequent first).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ovcfstats import describe_missing
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "age": [70, 72, 68, 71, 69, 73],
    ...                    "bmi": [22.1, np.nan, 24.0, 23.5, np.nan, 21.9],
    ...                    "hu": [80.0, 95.0, np.nan, 120.0, 131.0, 110.0]})
    >>> res = describe_missing(df)
    >>> res.table[["variable", "missing_1", "missing_0", "missing"]]
      variable  missing_1  missing_0  missing
    0      age          0          0        0
    1      bmi          1          1        2
    2       hu          1          0        1
    >>> res.patterns[["pattern", "n", "n_variables_missing", "bmi", "hu"]]
       pattern  n  n_variables_missing    bmi     hu
    0        1  3                    0   True   True
    1        2  2                    1  False   True
    2        3  1                    1   True  False
    >>> res.n_complete
    3
    >>> describe_missing(df, models={"OR of HU, adjusted for BMI": ["hu", "bmi"]}).analyses
                         analysis item  n  n_cases  n_controls  n_excluded
    0  OR of HU, adjusted for BMI       3        1           2           3
    """
    data = check_frame(data, FUNC)
    names = _columns(data, columns, group)
    groups = None
    if group is not None:
        check_columns(data, [group], FUNC)
        groups = _groups(data, group)
    missing = data[names].isna().to_numpy()
    names = [str(c) for c in names]
    table = _per_variable(names, missing, groups)
    patterns = _patterns(names, missing)
    analyses = _analyses(data, models or {}, groups)
    n_cases = None if groups is None else int(groups.sum())
    return MissingData(
        table=table,
        patterns=patterns,
        analyses=analyses,
        settings={"group": group or "none"},
        n_patients=len(data),
        n_cases=n_cases,
        n_controls=None if groups is None else len(groups) - n_cases,
    )


def _columns(data: pd.DataFrame, columns: Any, group: str | None) -> list[Any]:
    if columns is None:
        skip = {group, *ID_COLUMNS}
        names = [c for c in data.columns if c not in skip]
    else:
        names = [columns] if isinstance(columns, str) else list(columns)
        check_columns(data, names, FUNC)
    taken = sorted(set(map(str, names)) & set(PATTERN_COLUMNS))
    if taken:
        raise DataError(
            f"{FUNC}(): a variable named {', '.join(map(repr, taken))} would share its name with "
            "a column of the pattern table. Rename it in the data."
        )
    if group is not None and group in names:
        raise DataError(
            f"{FUNC}(): the group column '{group}' is among `columns`; it splits the patients "
            "and is never described. Leave it out of `columns`."
        )
    if len(set(names)) < len(names):
        twice = sorted({str(c) for c in names if names.count(c) > 1})
        raise DataError(f"{FUNC}(): column(s) {', '.join(twice)} given twice in `columns`.")
    return names


def _groups(data: pd.DataFrame, group: str) -> np.ndarray:
    """The 0/1 codes of ``group``; one group alone is allowed (the report leaves out the other)."""
    values = check_numeric(data, group, FUNC)
    for bad, what in ((np.isnan(values), "missing values"), (~np.isin(values, (0, 1)), "codes")):
        if bad.any():
            found = "" if what == "missing values" else f" {sorted(set(values[bad].tolist()))[:3]}"
            raise DataError(
                f"{FUNC}(): {what}{found} in the group column '{group}' "
                f"({describe_ids(row_ids(data, bad))}). Code every patient 1 = case, "
                "0 = control, or pass group=None to count all patients together."
            )
    return values.astype(int)


def _per_variable(names: list[str], missing: np.ndarray, groups: Any) -> pd.DataFrame:
    out = pd.DataFrame({"variable": pd.Series(names, dtype=object)})
    parts = [] if groups is None else [("_1", groups == 1), ("_0", groups == 0)]
    for suffix, rows in [*parts, ("", np.ones(len(missing), dtype=bool))]:
        counts = missing[rows].sum(axis=0).astype(int)
        out[f"n{suffix}"] = int(rows.sum())
        out[f"missing{suffix}"] = counts
        out[f"pct{suffix}"] = 100.0 * counts / rows.sum() if rows.any() else np.nan
    return out


def _patterns(names: list[str], missing: np.ndarray) -> pd.DataFrame:
    """The distinct rows of ``missing`` with their counts, most frequent first (see
    :class:`MissingData` for the tie rule)."""
    unique, counts = _distinct_rows(missing)
    holes = unique.sum(axis=1)
    # lexsort's last key sorts first: count (descending), holes, then the flags in column order
    keys = [unique[:, j] for j in reversed(range(unique.shape[1]))]
    order = np.lexsort([*keys, holes, -counts])
    out = pd.DataFrame(
        {
            "pattern": np.arange(1, len(order) + 1),
            "n": counts[order].astype(int),
            "pct": 100.0 * counts[order] / len(missing),
            "n_variables_missing": holes[order].astype(int),
        }
    )
    observed = pd.DataFrame(~unique[order], columns=names)
    return pd.concat([out, observed], axis=1)


def _distinct_rows(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix and their counts.

    Up to 64 columns each row is one 64-bit code: ``np.unique(axis=0)`` compares rows as
    records and is about 30 times slower at 10⁶ rows. pandas' ``isna().value_counts()`` counts
    the patterns as fast but returns them as a MultiIndex in an order of its own; the codes
    give the boolean rows that the tie rule sorts on.
    """
    n, k = missing.shape
    if k == 0:  # no variable: everyone in the one empty pattern
        return np.zeros((1, 0), dtype=bool), np.array([n])
    if k > 64:
        return np.unique(missing, axis=0, return_counts=True)
    packed = np.packbits(missing, axis=1, bitorder="little")
    wide = np.zeros((n, 8), dtype=np.uint8)
    wide[:, : packed.shape[1]] = packed
    codes = wide.view(np.uint64).ravel()
    _, first, counts = np.unique(codes, return_index=True, return_counts=True)
    return missing[first], counts


def _analyses(data: pd.DataFrame, models: Mapping[str, Any], groups: Any) -> pd.DataFrame:
    if not isinstance(models, Mapping):
        raise TypeError(
            f"{FUNC}(): `models` must be a mapping {{analysis name: result or columns}}; got "
            f"{type(models).__name__}."
        )
    rows = []
    for name, model in models.items():
        found = (
            _from_result(name, model)
            if isinstance(model, Result)
            else _from_columns(data, name, model, groups)
        )
        rows += [
            (str(name), item, n, cases, None if cases is None else n - cases)
            for item, n, cases in found
        ]
    if not rows:
        return _empty_analyses()
    out = pd.DataFrame(rows, columns=list(ANALYSIS_COLUMNS[:-1]))
    for c in ("n_cases", "n_controls"):  # unknown without a group: <NA>, not 0
        out[c] = out[c].astype("Int64")
    out["n_excluded"] = len(data) - out["n"]
    over = out[out["n_excluded"] < 0]
    if len(over):
        first = over.iloc[0]
        raise DataError(
            f"{FUNC}(): the analysis '{first['analysis']}' reports {first['n']} patients, more "
            f"than the {len(data)} rows of `data`. Give the results computed on these data."
        )
    return out


def _from_columns(
    data: pd.DataFrame, name: Any, model: Any, groups: Any
) -> list[tuple[str, int, int | None]]:
    cols = [model] if isinstance(model, str) else list(model)
    check_columns(data, cols, f"{FUNC}(models[{name!r}])")
    complete = data[cols].notna().all(axis=1).to_numpy()
    cases = int(groups[complete].sum()) if groups is not None else None
    return [("", int(complete.sum()), cases)]


def _from_result(name: Any, result: Result) -> list[tuple[str, int, int | None]]:
    """(item, n, cases) of each row of a step's table, the first row of an item kept (Table 1
    repeats its n on every level of a categorical variable)."""
    t = result.table
    n_cols = next((c for c in _N_COLUMNS if all(x in t.columns for x in c)), None)
    if n_cols is None:
        raise DataError(
            f"{FUNC}(): models[{name!r}] is a {type(result).__name__}, whose table reports no "
            "n per row. Give the columns its model uses instead, e.g. "
            f"models={{{name!r}: ['hu', 'age']}}."
        )
    item_col = next((c for c in _ITEM_COLUMNS if c in t.columns), None)
    case_col = next((c for c in _CASE_COLUMNS if c in t.columns), None)
    rows = t.drop_duplicates(item_col) if item_col else t
    out = []
    for _, row in rows.iterrows():
        n = int(sum(int(row[c]) for c in n_cols))
        cases = int(row[case_col]) if case_col else None
        out.append((str(row[item_col]) if item_col else "", n, cases))
    return out
