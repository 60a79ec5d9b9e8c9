"""The analysed rows and design matrices of :func:`ovcfstats.logistic_or`'s models.

Checks of the column arguments, encoding of non-numeric covariates (one-hot, first sorted level
as reference), per-model rows (complete on the model's variables; for the conditional model,
matched sets that keep a case and a control), scaling of the indicators to ``per``, and the
checks that stop a model that cannot be fitted (one outcome class, too few rows, collinearity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._results import DegenerateDataWarning, make_excluded
from .._validate import DataError, check_binary_outcome, check_numeric, power_scale, row_ids

FUNC = "logistic_or"
INTERCEPT = "(Intercept)"


def _as_names(value: str | Sequence[str] | None, param: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in names):
        raise TypeError(f"`{param}` of {FUNC}() must be a column name or a list of names.")
    if len(set(names)) != len(names):
        raise DataError(f"{FUNC}(): `{param}` lists a column twice: {names}.")
    return names


def _check_per(per: Any, indicators: list[str]) -> dict[str, Any]:
    """``per`` for each indicator: "unit", "sd" or a positive number."""
    mapping = dict(per) if isinstance(per, Mapping) else dict.fromkeys(indicators, per)
    unknown = [k for k in mapping if k not in indicators]
    if unknown:
        raise ValueError(f"`per` of {FUNC}() names columns that are not indicators: {unknown}.")
    for name in indicators:
        value = mapping.setdefault(name, "unit")
        ok = value in ("unit", "sd") or (
            isinstance(value, int | float | np.number)
            and not isinstance(value, bool)
            and np.isfinite(value)
            and value > 0
        )
        if not ok:
            raise ValueError(
                f'`per` of {FUNC}() must be "unit", "sd" or a positive number (e.g. 10 for '
                f"an OR per 10 HU), or a mapping indicator -> one of these; got {value!r}."
            )
    return mapping


def _encode(
    data: pd.DataFrame, adjust: list[str]
) -> tuple[dict[str, list[str]], dict[str, np.ndarray], list]:
    """Numeric design columns of the covariates; non-numeric ones one-hot, first level reference.

    Returns ``{covariate: [design columns]}``, the columns (NaN where the covariate is missing)
    and notes stating each encoding. Levels are the values' text (so 1 and "1" are one level).
    """
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, list[str]] = {}
    notes = []
    for var in adjust:
        col = data[var]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            columns[var] = col.to_numpy(dtype=float, na_value=np.nan)
            terms[var] = [var]
            continue
        codes, uniques = pd.factorize(col)
        text = np.array([str(u) for u in uniques], dtype=object)
        levels = sorted(set(text))
        if isinstance(col.dtype, pd.CategoricalDtype):  # the categories' order: first = reference
            levels = [str(c) for c in col.cat.categories if str(c) in set(text)]
        terms[var] = []
        for level in levels[1:]:
            name = f"{var}={level}"
            hit = np.r_[text == level, False].astype(float)  # code -1 (missing) -> last
            columns[name] = np.where(codes < 0, np.nan, hit[codes])
            terms[var].append(name)
        if levels:
            shown = ", ".join(repr(v) for v in levels[1:]) or "none"
            notes.append(
                f"{var} encoded as indicator(s) of {shown} (reference {levels[0]!r}); "
                "non-numeric covariates take their first sorted level (a categorical column: "
                "its first category) as reference."
            )
    return terms, columns, notes


@dataclass
class _Design:
    """One model's analysed rows, design matrix and bookkeeping."""

    name: str
    indicators: list[str]
    terms: list[str]
    y: np.ndarray
    X: np.ndarray
    groups: np.ndarray | None
    per_text: dict[str, str]
    covariates: list[str]
    dropped_within: list[str]


def _informative(y: np.ndarray, groups: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Rows whose matched set keeps both a case and a control among the ``keep`` rows."""
    g = np.where(keep, groups, -1) + 1  # missing rows in a set of their own
    cases = np.bincount(g, weights=y * keep)
    size = np.bincount(g, weights=keep.astype(float))
    return (g > 0) & (cases[g] > 0) & (cases[g] < size[g])


def _design(
    name: str,
    inds: list[str],
    y: np.ndarray,
    columns: dict[str, np.ndarray],
    groups: np.ndarray | None,
    cov_terms: dict[str, list[str]],
    per: dict[str, Any],
    pending: list,
) -> _Design:
    """Design of one model on its analysed rows (complete, and informative sets already);
    ``groups`` holds the matched-set codes of a conditional model, else None."""
    cols, terms, per_text = [], [], {}
    for ind in inds:
        x = columns[ind]
        if np.ptp(x) == 0:
            raise DataError(
                f"{FUNC}(): indicator '{ind}' is constant (all {x[0]:g}) in the {len(x)} rows "
                f"analysed in model '{name}'; it cannot be related to the outcome. Remove it "
                "or check its values."
            )
        scale = per[ind]
        if scale == "unit":
            div, per_text[ind] = 1.0, "1 unit"
        elif scale == "sd":
            unit = power_scale(x)  # values near 1e300: their SD without squaring them
            div = float(unit * np.std(x / unit, ddof=1))
            per_text[ind] = f"1 SD = {div:.4g}"
        else:
            div, per_text[ind] = float(scale), f"{float(scale):g}"
        cols.append(x / div)
        terms.append(ind)
    covariates, dropped = [], []
    for var, var_terms in cov_terms.items():
        kept = []
        if not var_terms:
            pending.append(
                (
                    f"{FUNC}(): covariate '{var}' has one level only; it was left out of model "
                    f"'{name}'.",
                    DegenerateDataWarning,
                )
            )
        for t in var_terms:
            x = columns[t]
            if groups is not None:
                by_set = pd.Series(x).groupby(groups)
                if np.all(by_set.max().to_numpy() == by_set.min().to_numpy()):
                    dropped.append(t)
                    continue
            elif np.ptp(x) == 0:
                pending.append(
                    (
                        f"{FUNC}(): covariate '{t}' is constant ({x[0]:g}) in the rows of "
                        f"model '{name}' and was left out of it.",
                        DegenerateDataWarning,
                    )
                )
                continue
            kept.append(t)
            cols.append(x)
            terms.append(t)
        if kept:
            covariates.append(var)
    if groups is None:
        cols.insert(0, np.ones(len(y)))
        terms = [INTERCEPT, *terms]
    X = np.empty((len(y), len(cols)), order="F")  # columns contiguous: fast X @ b
    for j, col in enumerate(cols):
        X[:, j] = col
    return _Design(name, inds, terms, y, X, groups, per_text, covariates, dropped)


def _surely_full_rank(X: np.ndarray) -> bool:
    """Whether ``np.linalg.matrix_rank(X)`` is certainly full, from the p × p Gram matrix.

    With D the column norms and Xs = X·D⁻¹, cond(X) ≤ cond(Xs)·max D / min D; matrix_rank is full
    when cond(X) < 1 / (n·eps). cond(Xs) from the eigenvalues of Xs'Xs is accurate while
    cond(Xs)² ≪ 1/eps, so the bound is used only there, with a factor 100 to spare; otherwise the
    SVD decides (one Gram product instead of an SVD of n × p on large data).
    """
    norms = np.sqrt(np.einsum("ij,ij->j", X, X))
    if not np.all(norms > 0):
        return False
    gram = X.T @ X / np.outer(norms, norms)
    values = np.linalg.eigvalsh(gram)
    if not values[0] > 1e-8 * values[-1]:
        return False
    cond = np.sqrt(values[-1] / values[0]) * norms.max() / norms.min()
    return bool(cond < 0.01 / (max(X.shape) * np.finfo(float).eps))


def _check_rank(design: _Design) -> None:
    X = design.X / power_scale(design.X)  # the rank of columns near 1e300 without overflow
    if design.groups is not None:
        means = pd.DataFrame(X).groupby(design.groups).transform("mean").to_numpy()
        X = X - means
    if _surely_full_rank(X) or np.linalg.matrix_rank(X) == X.shape[1]:
        return
    first = (j for j in range(1, X.shape[1] + 1) if np.linalg.matrix_rank(X[:, :j]) < j)
    redundant = design.terms[next(first) - 1]  # the first column dependent on those before it
    what = "within the matched sets " if design.groups is not None else ""
    raise DataError(
        f"{FUNC}(): the variables of model '{design.name}' are collinear {what}('{redundant}' "
        f"is a linear combination of the others: {', '.join(design.terms)}). Remove one of them."
    )


@dataclass
class _Inputs:
    """The checked columns of one call, shared by its models."""

    frame: pd.DataFrame
    idc: str | None
    y: np.ndarray
    columns: dict[str, np.ndarray]  # indicators and covariates' design columns, NaN if missing
    missing: dict[str, np.ndarray]  # by variable: rows missing it
    groups: np.ndarray | None  # matched-set codes of a conditional model
    strata: str
    adjust: list[str]
    cov_terms: dict[str, list[str]]  # covariate -> its design columns


def _inputs(
    data: pd.DataFrame,
    inds: list[str],
    adj: list[str],
    outcome: str,
    conditional: bool,
    strata: str,
    id_col: str,
) -> tuple[_Inputs, list[str]]:
    """The checked columns, and notes stating how non-numeric covariates were encoded."""
    idc = id_col if id_col in data.columns else None
    positional = data.index.equals(pd.RangeIndex(len(data)))
    frame = data if positional else data.reset_index(drop=True)
    y = check_binary_outcome(frame, outcome, FUNC, idc)
    columns = {ind: check_numeric(frame, ind, FUNC, idc) for ind in inds}
    cov_terms, cov_cols, conventions = _encode(frame, adj)
    columns.update(cov_cols)
    variables = [*inds, *adj] + ([strata] if conditional else [])
    missing = {v: frame[v].isna().to_numpy() for v in variables}
    groups = pd.factorize(frame[strata])[0] if conditional else None
    inputs = _Inputs(frame, idc, y, columns, missing, groups, strata, adj, cov_terms)
    return inputs, conventions


def _model_design(
    inp: _Inputs,
    name: str,
    model_inds: list[str],
    method: str,
    per: dict[str, Any],
    excluded: list[pd.DataFrame],
    pending: list,
) -> _Design:
    """Design of model ``name`` on its analysed rows; the rows it leaves out go to ``excluded``.

    Raises a :class:`DataError` when the model cannot be fitted: one outcome class, no more rows
    than parameters, collinear variables, or Firth's conditional model with several cases in a
    matched set.
    """
    frame, idc, y, groups, strata = inp.frame, inp.idc, inp.y, inp.groups, inp.strata
    conditional = groups is not None
    model_cols = [*model_inds, *inp.adjust] + ([strata] if conditional else [])
    for col in model_cols:
        if inp.missing[col].any():
            excluded.append(
                make_excluded(row_ids(frame, inp.missing[col], idc), col, f"missing {col}")
            )
    design_cols = [*model_inds, *(t for v in inp.adjust for t in inp.cov_terms[v])]
    keep = ~np.logical_or.reduce([inp.missing[c] for c in model_cols])
    if conditional:
        keep &= _informative(y, groups, keep)
        lost = ~keep & ~np.logical_or.reduce([inp.missing[c] for c in model_cols])
        excluded.append(
            make_excluded(
                row_ids(frame, lost, idc),
                strata,
                "no case–control contrast left in its matched set",
            )
        )
        cases_per_set = np.bincount(groups[keep], weights=y[keep])
        if method == "firth" and (cases_per_set > 1).any():
            raise DataError(
                f"{FUNC}(): method='firth' with conditional=True needs one case per matched "
                f"set; some sets in '{strata}' have several. Use method='ml', or recode the "
                "sets."
            )
    n_rows = int(keep.sum())
    events = int(y[keep].sum())
    if events == 0 or events == n_rows:
        raise DataError(
            f"{FUNC}(): model '{name}' has "
            + ("no rows" if n_rows == 0 else f"one outcome class only (all {y[keep][0]})")
            + f" after dropping rows with missing {', '.join(model_cols)}"
            + (" and matched sets without a case and a control" if conditional else "")
            + ". Both cases and controls are needed."
        )
    design = _design(
        name,
        model_inds,
        y[keep],
        {c: inp.columns[c] if n_rows == len(y) else inp.columns[c][keep] for c in design_cols},
        groups[keep] if conditional else None,
        inp.cov_terms,
        per,
        pending,
    )
    if n_rows <= design.X.shape[1]:
        raise DataError(
            f"{FUNC}(): model '{name}' has {n_rows} analysed rows for {design.X.shape[1]} "
            "parameters; more rows are needed (or fewer covariates)."
        )
    _check_rank(design)
    return design
