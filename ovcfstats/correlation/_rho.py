"""Spearman's ρ of two columns, or of every pair of complete columns at once, with its p
(t approximation, or AS 89 without ties) and its Fisher-z / Bonett–Wright CI; the input checks
shared by :func:`ovcfstats.spearman_outcome` and :func:`ovcfstats.spearman_matrix`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._results import DegenerateDataWarning, warn
from .._validate import DataError, check_columns, check_frame, check_numeric
from ..data._ranges import check_ranges
from ._exact import SPEARMAN_EXACT_MAX_N, spearman_exact_p


def _spearman(x: np.ndarray, y: np.ndarray, alpha: float, exact: bool) -> dict[str, Any]:
    """ρ, its p (t approximation, or AS 89 when ``exact``) and the Fisher-z / Bonett–Wright CI."""
    from scipy import stats

    rho = float(stats.spearmanr(x, y).statistic)
    return _rho_stats(rho, len(x), alpha, exact and not _has_ties(x, y))


def _rho_stats(rho: float, n: int, alpha: float, exact_possible: bool) -> dict[str, Any]:
    """p (t approximation as scipy's spearmanr, or AS 89) and the CI of a given ρ."""
    from scipy import stats

    use_exact = exact_possible and n <= SPEARMAN_EXACT_MAX_N
    if use_exact:
        p = spearman_exact_p(rho, n)
    else:
        denom = (rho + 1.0) * (1.0 - rho)
        t = np.inf if denom <= 0 else abs(rho) * np.sqrt((n - 2) / denom)  # |ρ| = 1: p = 0
        p = float(2 * stats.t.sf(t, n - 2))
    if n > 3:
        z = stats.norm.ppf(1 - alpha / 2)
        se = np.sqrt((1 + rho**2 / 2) / (n - 3))
        with np.errstate(divide="ignore"):  # |ρ| = 1: atanh = ±inf, CI collapses to ±1
            centre = np.arctanh(np.clip(rho, -1.0, 1.0))
        lo, hi = float(np.tanh(centre - z * se)), float(np.tanh(centre + z * se))
    else:
        lo = hi = np.nan
    return {"n": n, "rho": rho, "p": p, "ci_low": lo, "ci_high": hi, "_exact": use_exact}


def _has_ties(x: np.ndarray, y: np.ndarray) -> bool:
    return bool(min(np.unique(x).size, np.unique(y).size) < x.size)


def _all_at_once(
    columns: dict[str, np.ndarray], alpha: float, exact: bool
) -> dict[tuple[str, str], dict[str, Any]]:
    """ρ of every pair of the columns without missing values from one ranking per column and
    one correlation matrix (as one ``scipy.stats.spearmanr`` call on the matrix); the other
    pairs (missing values: pairwise-complete rows) are left to :func:`_pairwise`."""
    from scipy.stats import rankdata

    full = [k for k, x in columns.items() if not np.isnan(x).any()]
    n = len(next(iter(columns.values())))
    if len(full) < 2 or n < 3:
        return {}
    ranks = np.vstack([rankdata(columns[k]) for k in full])
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.corrcoef(ranks)
    tied = {k: exact and bool(np.unique(r).size < n) for k, r in zip(full, ranks, strict=True)}
    out = {}
    for i, a in enumerate(full):
        for j in range(i + 1, len(full)):
            b = full[j]
            if np.isfinite(rho[i, j]):
                out[(a, b)] = out[(b, a)] = _rho_stats(
                    float(np.clip(rho[i, j], -1, 1)), n, alpha, exact and not (tied[a] or tied[b])
                )
    return out


def _numeric_columns(
    data: pd.DataFrame, columns: Sequence[str], func: str, id_col: str | None
) -> dict[str, np.ndarray]:
    """Float arrays of ``columns``; a constant column (on its non-missing values) is an error."""
    out = {}
    for col in columns:
        x = check_numeric(data, col, func, id_col)
        present = x[~np.isnan(x)]
        if len(present) and np.ptp(present) == 0:
            raise DataError(
                f"{func}(): column '{col}' is constant ({present[0]:g} for all "
                f"{len(present)} non-missing rows); its rank correlation is undefined. "
                "Drop it from the indicators."
            )
        out[col] = x
    return out


def _pairwise(
    x: np.ndarray,
    y: np.ndarray,
    names: tuple[str, str],
    alpha: float,
    func: str,
    notes: list[str],
    exact: bool = False,
) -> dict[str, Any]:
    keep = ~(np.isnan(x) | np.isnan(y))
    n = int(keep.sum())
    if n < 3:
        raise DataError(
            f"{func}(): only {n} rows have both '{names[0]}' and '{names[1]}'; a Spearman "
            "correlation needs at least 3. Check the missing values of these columns."
        )
    xs, ys = x[keep], y[keep]
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        warn(
            notes,
            f"{func}(): '{names[0]}' or '{names[1]}' is constant on the {n} rows complete in "
            "both; ρ is undefined (NaN).",
            DegenerateDataWarning,
        )
        return {
            "n": n,
            "rho": np.nan,
            "p": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "_exact": False,
        }
    return _spearman(xs, ys, alpha, exact)


def _check_common(
    data: pd.DataFrame, indicators: Sequence[str], alpha: float, func: str
) -> list[str]:
    check_frame(data, func)
    if isinstance(indicators, str):
        indicators = [indicators]
    indicators = list(indicators)
    if not indicators:
        raise DataError(f"{func}(): give at least one indicator column.")
    dup = sorted({c for c in indicators if indicators.count(c) > 1})
    if dup:
        raise DataError(f"{func}(): indicators listed twice: {dup}. List each once.")
    check_columns(data, indicators, func)
    check_ranges(data, indicators, func)
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` of {func}() must be between 0 and 1; got {alpha!r}.")
    return indicators
