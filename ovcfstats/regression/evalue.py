"""E-values (VanderWeele & Ding, Ann Intern Med 2017): how strong an unmeasured confounder would
have to be to explain away an observed association.

The E-value of a risk ratio RR ≥ 1 is RR + √(RR·(RR − 1)); a protective RR < 1 is inverted
first. The E-value of the CI is that of the limit nearer to 1, and 1 when the CI includes 1.
Odds and hazard ratios are first put on the risk-ratio scale:

- **rare outcome** (``rare=True``, the default): OR ≈ RR and HR ≈ RR, used directly. This is the
  case–control default: controls sampled from the population at risk make the OR estimate the
  risk (or rate) ratio when the outcome is rare in that population, as a fracture is.
- **common outcome** (``rare=False``): RR ≈ √OR, and RR ≈ (1 − 0.5^√HR) / (1 − 0.5^√(1/HR))
  (VanderWeele 2017's approximations, as the R package EValue).

Hand-written: the formula is one line and no Python package offers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from .._validate import check_option

MEASURES = ("OR", "RR", "HR")


@dataclass(frozen=True, eq=False)
class EValueResult(Result):
    """The E-value of an estimate and of its CI (``.table``: one row)."""

    title: ClassVar[str] = "E-value"

    @property
    def point(self) -> float:
        """E-value of the point estimate."""
        return float(self.table["evalue"].iloc[0])

    @property
    def ci(self) -> float:
        """E-value of the CI limit nearer to 1 (1 when the CI includes 1; NaN without a CI)."""
        return float(self.table["evalue_ci"].iloc[0])

    def notes(self) -> list[str]:
        s = self.settings
        return [_convention(s["measure"], s["rare"]), *super().notes()]


def _convention(measure: str, rare: bool) -> str:
    how = {
        ("OR", True): "OR used as RR (rare outcome: the case–control default)",
        ("OR", False): "OR converted to RR ≈ √OR (common outcome)",
        ("HR", True): "HR used as RR (rare outcome)",
        ("HR", False): "HR converted to RR ≈ (1 − 0.5^√HR)/(1 − 0.5^√(1/HR)) (common outcome)",
        ("RR", True): "risk ratio used as it is",
        ("RR", False): "risk ratio used as it is",
    }[(measure, rare)]
    return (
        f"E-value (VanderWeele & Ding 2017) = RR + √(RR·(RR − 1)), RR < 1 inverted; {how}; "
        "the CI's E-value is that of the limit nearer to 1 (1 if the CI includes 1)."
    )


def to_rr(value: Any, measure: str, rare: bool) -> np.ndarray:
    """The estimate(s) on the risk-ratio scale."""
    v = np.asarray(value, dtype=float)
    if rare or measure == "RR":
        return v
    if measure == "OR":
        return np.sqrt(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (1 - 0.5 ** np.sqrt(v)) / (1 - 0.5 ** np.sqrt(1 / v))


def _e(rr: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(rr < 1, 1 / rr, rr)
        return r + np.sqrt(r * (r - 1))


def evalues(
    estimate: Any, ci_low: Any, ci_high: Any, measure: str = "OR", rare: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """E-values of the estimates and of their CIs, elementwise (NaN where not defined)."""
    est = to_rr(estimate, measure, rare)
    low, high = to_rr(ci_low, measure, rare), to_rr(ci_high, measure, rare)
    point = np.where(np.isfinite(est) & (est > 0), _e(est), np.nan)
    nearer = np.where(est >= 1, low, high)
    spans = (low <= 1) & (high >= 1)
    ci = np.where(spans, 1.0, _e(nearer))
    ci = np.where(np.isnan(nearer) | ~np.isfinite(est) | (nearer <= 0), np.nan, ci)
    return point, ci


def evalue(
    estimate: float,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    measure: str = "OR",
    rare: bool = True,
) -> EValueResult:
    """E-value of an odds, risk or hazard ratio and of its confidence interval.

    Parameters
    ----------
    estimate : float
        The ratio (> 0).
    ci_low, ci_high : float, optional
        Its confidence limits; without them ``evalue_ci`` is NaN.
    measure : {"OR", "RR", "HR"}
        What the ratio is.
    rare : bool, default True
        Whether the outcome is rare (< 15 %) in the population: the ratio is then used as a
        risk ratio. The default suits a case–control study; pass ``False`` for a common outcome
        (a cohort with a frequent outcome).

    Returns
    -------
    EValueResult
        ``.table``: ``estimate``, ``ci_low``, ``ci_high``, ``rr``, ``rr_low``, ``rr_high``,
        ``evalue``, ``evalue_ci``; ``.point`` and ``.ci`` give the two E-values.

    Examples
    --------
    VanderWeele & Ding's example (RR 3.9, 95 % CI 1.8–8.7):

    >>> from ovcfstats import evalue
    >>> e = evalue(3.9, 1.8, 8.7, measure="RR")
    >>> round(e.point, 2), round(e.ci, 2)
    (7.26, 3.0)
    """
    check_option(measure, MEASURES, "evalue", "measure")
    if not np.isfinite(estimate) or estimate <= 0:
        raise ValueError(f"`estimate` of evalue() must be a positive ratio; got {estimate!r}.")
    low = np.nan if ci_low is None else float(ci_low)
    high = np.nan if ci_high is None else float(ci_high)
    if not (np.isnan(low) or np.isnan(high)) and not low <= estimate <= high:
        raise ValueError(
            f"evalue(): the CI ({low!r}, {high!r}) must contain the estimate {estimate!r}."
        )
    point, ci = evalues(estimate, low, high, measure, rare)
    table = pd.DataFrame(
        {
            "estimate": [float(estimate)],
            "ci_low": [low],
            "ci_high": [high],
            "rr": [float(to_rr(estimate, measure, rare))],
            "rr_low": [float(to_rr(low, measure, rare))],
            "rr_high": [float(to_rr(high, measure, rare))],
            "evalue": [float(point)],
            "evalue_ci": [float(ci)],
        }
    )
    return EValueResult(table=table, settings={"measure": measure, "rare": rare})
