"""Power and sample size for a 1:M matched case–control study.

- :func:`power_matched_binary`: a binary exposure (e.g. osteoporosis by T-score ≤ −2.5) with
  prevalence ``p0`` among controls and correlation ``phi`` of the exposure between a case and
  its matched controls — Dupont (1988, Biometrics 44:1157), equal to R's
  ``epiR::epi.sscc(method = "matched")`` (and the method of Stata's ``power mcc``).
- :func:`power_matched_continuous`: a continuous indicator with odds ratio per SD, the
  conditional-logistic score test at a local alternative (Lachin 2008, Stat Med 27:2509):
  the information per matched set is ``β²·(1 − ρ)·M/(M + 1)`` with ρ the correlation of the
  indicator within matched sets. With ρ = 0 it equals Hsieh, Bloch & Larsen's (1998) formula
  for an unmatched study with the same total and share of cases.

Dupont's formula is hand-written: statsmodels' power classes cover t, F, χ² and proportions,
not matched sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from .._validate import DataError, check_option
from .power import ALTERNATIVES, PowerResult, _check_common, _unknown, _z_alpha


@dataclass(frozen=True, eq=False)
class MatchedPowerResult(PowerResult):
    """Power for a matched case–control design: one row in ``.table``, the curve in ``.curve``."""

    title: ClassVar[str] = "Power and sample size for the matched case–control design"

    def notes(self) -> list[str]:
        s = self.settings
        return [
            f"Solved for {s['solve']}; {s['alternative']} test at α = {s['alpha']:g}; "
            f"{s['kappa']:g} control(s) per case; {s['method']}. n_cases = matched sets.",
            *Result.notes(self),
        ]


def _dupont_terms(
    odds_ratio: float, p0: float, m_controls: int, phi: float
) -> tuple[float, float, float, float]:
    """E and V of the number of exposed cases per informative set at ψ and at 1 (Dupont)."""
    odds1 = p0 / (1 - p0) * odds_ratio
    p1 = odds1 / (1 + odds1)  # exposure prevalence among cases
    root = np.sqrt(p1 * (1 - p1) * p0 * (1 - p0))
    p_plus = (p1 * p0 + phi * root) / p1  # P(control exposed | case exposed)
    p_minus = (p0 * (1 - p1) - phi * root) / (1 - p1)  # P(control exposed | case unexposed)
    if not (0 <= p_plus <= 1 and 0 <= p_minus <= 1):
        raise DataError(
            f"power_matched_binary(): phi = {phi} is impossible with p0 = {p0} and odds ratio "
            f"{odds_ratio:g} (a conditional exposure probability falls outside [0, 1]). "
            "Use a smaller phi."
        )
    big_m, psi = m_controls, odds_ratio
    e_psi = e_one = v_psi = v_one = 0.0
    for m in range(1, big_m + 1):
        t_m = p1 * comb(big_m, m - 1) * p_plus ** (m - 1) * (1 - p_plus) ** (big_m - m + 1) + (
            1 - p1
        ) * comb(big_m, m) * p_minus**m * (1 - p_minus) ** (big_m - m)
        denom = m * psi + big_m - m + 1
        e_psi += m * t_m * psi / denom
        e_one += m * t_m / (big_m + 1)
        v_psi += m * t_m * psi * (big_m - m + 1) / denom**2
        v_one += m * t_m * (big_m - m + 1) / (big_m + 1) ** 2
    return e_psi, e_one, v_psi, v_one


def _power_z(effect: float, n: float, v_null: float, v_alt: float, za: float) -> float:
    from scipy import stats

    return float(stats.norm.cdf((np.sqrt(n) * abs(effect) - za * np.sqrt(v_null)) / np.sqrt(v_alt)))


def _n_z(effect: float, v_null: float, v_alt: float, za: float, power: float) -> float:
    from scipy import stats

    zb = float(stats.norm.ppf(power))
    return (za * np.sqrt(v_null) + zb * np.sqrt(v_alt)) ** 2 / effect**2


def _solve_or(power_at: Any, target: float, upper: bool) -> float:
    """The odds ratio above (or below) 1 detected with ``target`` power."""
    from scipy import optimize

    grid = np.geomspace(1 + 1e-6, 1e4, 400) if upper else np.geomspace(1 - 1e-6, 1e-4, 400)
    prev = grid[0]
    for value in grid[1:]:
        try:
            p = power_at(value)
        except DataError:
            break
        if p >= target:
            return float(optimize.brentq(lambda o: power_at(o) - target, prev, value, xtol=1e-12))
        prev = value
    return float("nan")


def _grid(n: float) -> np.ndarray:
    return np.unique(np.geomspace(max(2.0, n / 4), n * 3, 60))


def power_matched_binary(
    odds_ratio: float | None = None,
    *,
    p0: float,
    n_cases: float | None = None,
    power: float | None = None,
    controls_per_case: int = 1,
    phi: float = 0.0,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> PowerResult:
    """Power, number of matched sets or detectable OR for a binary exposure (Dupont 1988).

    Leave exactly one of ``odds_ratio``, ``n_cases`` and ``power`` as None. Equal to
    ``epiR::epi.sscc(OR, p0, n, power, r = controls_per_case, phi.coef = phi, method =
    "matched", nfractional = TRUE)`` (whose ``n`` is the total, cases + controls).

    Parameters
    ----------
    odds_ratio : float, optional
        The exposure odds ratio to detect. Solved: both the OR above 1 (``or_upper``) and
        below 1 (``or_lower``) detected with ``power``.
    p0 : float
        Prevalence of the exposure among controls.
    n_cases : float, optional
        Number of matched sets (one case each).
    power : float, optional
    controls_per_case : int, default 1
    phi : float, default 0
        Correlation coefficient of the exposure between a case and its matched control
        (Dupont's φ; matching on a confounder of the exposure makes it positive).
    alpha : float, default 0.05
    alternative : {"two-sided", "one-sided"}

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> from ovcfstats import power_matched_binary
    >>> res = power_matched_binary(2.5, p0=0.3, power=0.8, phi=0.2)
    >>> round(float(res.table.loc[0, "n_cases"]), 2)
    97.02
    """
    func = "power_matched_binary"
    check_option(alternative, ALTERNATIVES, func, "alternative")
    _check_common(alpha, power, 1.0, func)
    if not 0 < p0 < 1:
        raise ValueError(f"`p0` of {func}() must be in (0, 1); got {p0!r}.")
    if int(controls_per_case) != controls_per_case or controls_per_case < 1:
        raise ValueError(f"`controls_per_case` of {func}() must be a positive integer.")
    if not -1 < phi < 1:
        raise ValueError(f"`phi` of {func}() must be in (−1, 1); got {phi!r}.")
    m = int(controls_per_case)
    solve = _unknown(func, odds_ratio=odds_ratio, n_cases=n_cases, power=power)
    za = _z_alpha(alpha, alternative)

    def power_at(psi: float, n: float) -> float:
        e_psi, e_one, v_psi, v_one = _dupont_terms(psi, p0, m, phi)
        return _power_z(e_one - e_psi, n, v_one, v_psi, za)

    row: dict[str, Any] = {}
    if solve in ("power", "n_cases") and (odds_ratio is None or odds_ratio <= 0 or odds_ratio == 1):
        raise ValueError(f"`odds_ratio` of {func}() must be positive and ≠ 1; got {odds_ratio!r}.")
    if solve == "power":
        power = power_at(odds_ratio, n_cases)
    elif solve == "n_cases":
        e_psi, e_one, v_psi, v_one = _dupont_terms(odds_ratio, p0, m, phi)
        n_cases = _n_z(e_one - e_psi, v_one, v_psi, za, power)
    else:
        row["or_lower"] = _solve_or(lambda o: power_at(o, n_cases), power, upper=False)
        row["or_upper"] = _solve_or(lambda o: power_at(o, n_cases), power, upper=True)
        odds_ratio = row["or_upper"]
    table = pd.DataFrame(
        [
            {
                "exposure": "binary",
                "odds_ratio": odds_ratio,
                **row,
                "p0": p0,
                "phi": phi,
                "controls_per_case": m,
                "n_cases": n_cases,
                "n_controls": m * n_cases,
                "alpha": alpha,
                "alternative": alternative,
                "power": power,
                "solved_for": solve,
            }
        ]
    )
    grid = _grid(n_cases)
    curve = pd.DataFrame(
        {"label": f"OR {odds_ratio:.3g}", "n_cases": grid,
         "power": [power_at(odds_ratio, n) for n in grid]}
    )  # fmt: skip
    settings = {"solve": solve, "alpha": alpha, "alternative": alternative, "kappa": float(m),
                "design": "matched", "method": "Dupont (1988)"}  # fmt: skip
    return MatchedPowerResult(table=table, curve=curve, settings=settings)


def power_matched_continuous(
    odds_ratio: float | None = None,
    *,
    n_cases: float | None = None,
    power: float | None = None,
    controls_per_case: int = 1,
    rho: float = 0.0,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> PowerResult:
    """Power, number of matched sets or detectable OR per SD for a continuous indicator.

    The conditional logistic score test with information ``log(OR)²·(1 − ρ)·M/(M + 1)`` per
    matched set of one case and M controls (Lachin 2008), with the OR per (population) SD of
    the indicator and ρ its correlation within matched sets (e.g. HU between age- and
    sex-matched patients).

    Parameters
    ----------
    odds_ratio : float, optional
        Odds ratio per SD; solved as the OR above 1 (the OR below 1 is its reciprocal).
    n_cases, power : float, optional
    controls_per_case : int, default 1
    rho : float, default 0
    alpha : float, default 0.05
    alternative : {"two-sided", "one-sided"}

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> from ovcfstats import power_matched_continuous
    >>> res = power_matched_continuous(1.5, power=0.8)
    >>> round(float(res.table.loc[0, "n_cases"]), 2)
    95.49
    """
    func = "power_matched_continuous"
    check_option(alternative, ALTERNATIVES, func, "alternative")
    _check_common(alpha, power, 1.0, func)
    if int(controls_per_case) != controls_per_case or controls_per_case < 1:
        raise ValueError(f"`controls_per_case` of {func}() must be a positive integer.")
    if not -1 < rho < 1:
        raise ValueError(f"`rho` of {func}() must be in (−1, 1); got {rho!r}.")
    m = int(controls_per_case)
    solve = _unknown(func, odds_ratio=odds_ratio, n_cases=n_cases, power=power)
    za = _z_alpha(alpha, alternative)
    info = (1 - rho) * m / (m + 1)  # per set, per unit log-OR²
    from scipy import stats

    if solve in ("power", "n_cases") and (odds_ratio is None or odds_ratio <= 0 or odds_ratio == 1):
        raise ValueError(f"`odds_ratio` of {func}() must be positive and ≠ 1; got {odds_ratio!r}.")
    if solve == "power":
        power = float(stats.norm.cdf(abs(np.log(odds_ratio)) * np.sqrt(n_cases * info) - za))
    elif solve == "n_cases":
        n_cases = (za + float(stats.norm.ppf(power))) ** 2 / (np.log(odds_ratio) ** 2 * info)
    else:
        odds_ratio = float(np.exp((za + stats.norm.ppf(power)) / np.sqrt(n_cases * info)))
    table = pd.DataFrame(
        [
            {
                "exposure": "continuous (per SD)",
                "odds_ratio": odds_ratio,
                "rho": rho,
                "controls_per_case": m,
                "n_cases": n_cases,
                "n_controls": m * n_cases,
                "alpha": alpha,
                "alternative": alternative,
                "power": power,
                "solved_for": solve,
            }
        ]
    )
    grid = _grid(n_cases)
    beta = abs(np.log(odds_ratio))
    curve = pd.DataFrame(
        {"label": f"OR/SD {odds_ratio:.3g}", "n_cases": grid,
         "power": stats.norm.cdf(beta * np.sqrt(grid * info) - za)}
    )  # fmt: skip
    settings = {"solve": solve, "alpha": alpha, "alternative": alternative, "kappa": float(m),
                "design": "matched",
                "method": "conditional logistic score test (Lachin 2008)"}  # fmt: skip
    return MatchedPowerResult(table=table, curve=curve, settings=settings)
