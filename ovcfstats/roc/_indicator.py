"""What :func:`ovcfstats.roc_auc` computes for one indicator: its oriented placements, the AUC
(checked against the trapezoid rule), the DeLong or bootstrap CI, every Youden cut-off with
exact (Clopper–Pearson) CIs of sensitivity and specificity, and the ROC curve's points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._results import DegenerateDataWarning, warn
from .._validate import DataError
from ._delong import (
    Placements,
    delong_covariance,
    placements,
    stratified_bootstrap_auc,
    youden_cutoffs,
)


def _check_counts(is_case: np.ndarray, name: str, func: str) -> None:
    m, n = int(is_case.sum()), int((~is_case).sum())
    if m < 2 or n < 2:
        raise DataError(
            f"{func}(): indicator '{name}' has {m} case(s) and {n} control(s) with a value; "
            "at least 2 of each are needed for an AUC and its variance. Check the outcome and "
            "the missing values of this column."
        )


def _oriented(x: np.ndarray, is_case: np.ndarray, direction: str) -> tuple[str, Placements]:
    """Placements with the score oriented so that higher means case; resolves "auto"."""
    p = placements(x, is_case)
    if direction == "lower" or (direction == "auto" and p.auc < 0.5):
        return "lower", p.flipped()
    return "higher", p


def _checked_auc(p: Placements, name: str) -> float:
    auc, trapezoid = p.auc, p.trapezoid_auc()
    if not abs(auc - trapezoid) <= 1e-9:
        raise ArithmeticError(
            f"AUC of '{name}' from placements ({auc!r}) differs from the trapezoid rule "
            f"({trapezoid!r}); please report this with the data."
        )
    return auc


def _clopper_pearson(k: np.ndarray, n: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy.stats import beta

    k = np.asarray(k, dtype=float)
    low = np.where(k > 0, beta.ppf(alpha / 2, k, n - k + 1), 0.0)
    high = np.where(k < n, beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return low, high


def _cutoffs(name: str, p: Placements, direction: str, alpha: float) -> pd.DataFrame:
    mid, observed, tp, tn = youden_cutoffs(p)
    m, n = int(p.cases_at.sum()), int(p.controls_at.sum())
    sign = 1.0 if direction == "higher" else -1.0
    sens_low, sens_high = _clopper_pearson(tp, m, alpha)
    spec_low, spec_high = _clopper_pearson(tn, n, alpha)
    frame = pd.DataFrame(
        {
            "indicator": name,
            "cutoff": sign * mid,
            "cutoff_observed": sign * observed,
            "sensitivity": tp / m,
            "sens_ci_low": sens_low,
            "sens_ci_high": sens_high,
            "specificity": tn / n,
            "spec_ci_low": spec_low,
            "spec_ci_high": spec_high,
            "youden": tp / m + tn / n - 1,
        }
    )
    return frame.sort_values("sensitivity", ascending=False, kind="stable", ignore_index=True)


def _curve(name: str, p: Placements, direction: str) -> pd.DataFrame:
    m, n = p.cases_at.sum(), p.controls_at.sum()
    sign = 1.0 if direction == "higher" else -1.0
    return pd.DataFrame(
        {
            "indicator": name,
            "threshold": np.r_[-np.inf, sign * p.thresholds[::-1]],
            "fpr": np.r_[0.0, np.cumsum(p.controls_at[::-1])] / n,
            "tpr": np.r_[0.0, np.cumsum(p.cases_at[::-1])] / m,
        }
    )


def _one_roc(
    name: str,
    x: np.ndarray,
    is_case: np.ndarray,
    direction: str,
    settings: dict[str, Any],
    rng: np.random.Generator | None,
    notes: list[str],
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    from scipy.stats import norm

    alpha = settings["alpha"]
    _check_counts(is_case, name, "roc_auc")
    direction, p = _oriented(x, is_case, direction)
    auc = _checked_auc(p, name)
    m, n = p.v10.size, p.v01.size
    if p.thresholds.size == 1:
        warn(notes, f"'{name}' has one value only: AUC 0.5, no cut-off.", DegenerateDataWarning)
    if settings["ci"] == "delong":
        se = float(np.sqrt(delong_covariance([p])[0, 0]))
        z = norm.ppf(1 - alpha / 2)
        low, high = max(auc - z * se, 0.0), min(auc + z * se, 1.0)
    else:
        boot = stratified_bootstrap_auc(
            np.where(direction == "higher", x, -x), is_case, settings["n_boot"], rng
        )
        se = float(np.std(boot, ddof=1))
        low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    cutoffs = _cutoffs(name, p, direction, alpha)
    best = cutoffs.iloc[0].drop("indicator").to_dict()
    row = {
        "indicator": name,
        "direction": direction,
        "auc": auc,
        "se": se,
        "ci_low": float(low),
        "ci_high": float(high),
        "n_cases": m,
        "n_controls": n,
        **best,
        "n_optimal_cutoffs": len(cutoffs),
    }
    return row, cutoffs, _curve(name, p, direction)
