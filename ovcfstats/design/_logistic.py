"""Shared numerics of the combined-model step: input preparation, design matrix, a Newton
logistic fit and the midrank AUC.

The refits use a small Newton–Raphson solver instead of statsmodels or scikit-learn: each refit
of a handful of coefficients takes a few dozen microseconds this way against milliseconds through
the libraries' general machinery, which matters at 1,000 bootstrap refits (see
``benchmarks/bench_combined.py``). Reported coefficients and CIs come from statsmodels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validate import (
    DataError,
    check_binary_outcome,
    check_columns,
    check_frame,
    check_numeric,
    split_missing,
)
from ..data._ranges import check_ranges


def _prepare(
    data: Any, columns: Sequence[str], outcome: str, func: str, id_col: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    data = check_frame(data, func)
    check_columns(data, [outcome, *columns], func)
    check_ranges(data, columns, func, id_col)
    kept, excluded = split_missing(data, list(columns), id_col)
    if len(kept) == 0:
        raise DataError(f"{func}(): no row is complete in {list(columns)}.")
    y = check_binary_outcome(kept, outcome, func, id_col)
    return kept, y.astype(float), excluded


def _design(
    data: pd.DataFrame, predictors: Sequence[str], func: str, id_col: str
) -> tuple[np.ndarray, list[str]]:
    """Numeric predictors as they are; text ones one-hot with the first sorted level dropped."""
    columns, names = [], []
    for name in predictors:
        raw = data[name]
        if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
            columns.append(check_numeric(data, name, func, id_col))
            names.append(name)
            continue
        levels = sorted(raw.astype(str).unique())
        for level in levels[1:]:
            columns.append((raw.astype(str) == level).to_numpy(float))
            names.append(f"{name}[{level}]")
    return np.column_stack([np.ones(len(data)), *columns]), ["Intercept", *names]


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, max_iter: int = 60, tol: float = 1e-11
) -> tuple[np.ndarray, bool]:
    """Maximum-likelihood logistic coefficients by Newton–Raphson (``x`` includes the intercept).

    Returns the coefficients and whether the fit converged to finite values (a separated
    sample diverges and is reported as not converged).
    """
    from scipy.special import expit

    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        eta = x @ beta
        p = expit(eta)
        w = p * (1 - p)
        hess = (x * w[:, None]).T @ x
        grad = x.T @ (y - p)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return beta, False
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 1e6:
            return beta, False
        if np.abs(step).max() < tol * (1 + np.abs(beta).max()):
            return beta, True
    return beta, False


def _expit(eta: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(eta)


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    """AUC as the Mann–Whitney statistic from midranks (ties count ½)."""
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    midranks = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = midranks[inverse]
    m = y.sum()
    return float((ranks[y == 1].sum() - m * (m + 1) / 2) / (m * (y.size - m)))
