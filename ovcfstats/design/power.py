"""Power and sample size for an AUC against a fixed value and for two correlated AUCs.

All calculations use the normal test of the AUC (or of a difference of two AUCs) with a
variance under the null hypothesis ``V0`` and one under the alternative ``VA``::

    power = Φ((|δ|·√n − z₁₋α·√V0) / √VA)        n = (z₁₋α·√V0 + z₁₋β·√VA)² / δ²

where n is the number of cases, ``kappa`` the number of controls per case, and the variances
are per case (n·Var(AUC)). A two-sided test uses z₁₋α/₂ and ignores the far tail, as pROC's
``power.roc.test``.

Variance methods for one AUC:

- ``"obuchowski"``: Obuchowski's binormal approximation
  ``V(θ) = 0.0099·e^(−A²/2)·((5A² + 8) + (A² + 8)/κ)`` with ``A = 1.414·Φ⁻¹(θ)``
  (Obuchowski, Lieber & Wians 2004), as pROC — equal to pROC at ``auc0 = 0.5``. pROC
  tests against 0.5 only (its issue #71); here ``V0 = V(auc0)`` for any ``auc0``.
- ``"hanley-mcneil"``: Hanley & McNeil's (1982) variance with their exponential
  approximations ``Q1 = θ/(2 − θ)``, ``Q2 = 2θ²/(1 + θ)``; at θ = ½ it is the exact null
  variance of the Mann–Whitney statistic, ``(m + n + 1)/(12mn)``.

Two correlated AUCs (the same patients read by both indicators) follow Obuchowski & McClish
(1997) for binormal curves with parameters A, B per indicator and the correlations of the two
indicators in controls (``r_controls``) and cases (``r_cases``). See :func:`power_auc_paired`
for the null variance and pROC's issue #122.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from .._validate import DataError, check_option

ALTERNATIVES = ("two-sided", "one-sided")
VARIANCES = ("obuchowski", "hanley-mcneil")
NULL_VARIANCES = ("proc", "alternative")


@dataclass(frozen=True, eq=False)
class PowerResult(Result):
    """A power / sample-size calculation: one row in ``.table``, the power curve in ``.curve``."""

    curve: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Power and sample size for the AUC"
    has_plot: ClassVar[bool] = True

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"table": self.table.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        per_case = f", kappa = {s['kappa']:g} controls per case"
        lines = [
            f"Solved for {s['solve']}; {s['alternative']} test at α = {s['alpha']:g}{per_case}."
        ]
        if s.get("design") == "paired":
            lines.append(
                "Two correlated AUCs, binormal variances of Obuchowski & McClish (1997); null "
                + (
                    "variance with both indicators at indicator 1's curve, as pROC."
                    if s["null_variance"] == "proc"
                    else "variance taken equal to the alternative one (symmetric in the two "
                    "indicators)."
                )
            )
        else:
            lines.append(f"Variance of the AUC: {s['variance']}.")
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Power against the number of cases, the solution marked."""
        from ..present._plotting import figure_and_axes

        fig, ax = figure_and_axes(ax, figsize=(5.5, 4.0))
        for label, part in self.curve.groupby("label", sort=False):
            ax.plot(part["n_cases"], part["power"], lw=1.4, label=str(label))
        ax.axhline(0.8, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("Number of cases")
        ax.set_ylabel("Power")
        ax.set_ylim(0, 1)
        if self.curve["label"].nunique() > 1:
            ax.legend(fontsize=8, frameon=False)
        ax.set_title(self.title, fontsize=10)
        return fig


# -- variances (per case: n_cases × Var(AUC)) --------------------------------------------------


def _var_obuchowski(theta: float, kappa: float) -> float:
    from scipy import stats

    a = float(stats.norm.ppf(theta)) * 1.414  # 1.414 as in the paper and pROC, not √2
    return 0.0099 * np.exp(-(a**2) / 2) * ((5 * a**2 + 8) + (a**2 + 8) / kappa)


def _var_hanley_mcneil(theta: float, n_cases: float, kappa: float) -> float:
    m, n = n_cases, kappa * n_cases
    q1, q2 = theta / (2 - theta), 2 * theta**2 / (1 + theta)
    var = (theta * (1 - theta) + (m - 1) * (q1 - theta**2) + (n - 1) * (q2 - theta**2)) / (m * n)
    return var * n_cases


def _per_case_var(theta: float, n_cases: float, kappa: float, variance: str) -> float:
    if variance == "obuchowski":
        return _var_obuchowski(theta, kappa)
    return _var_hanley_mcneil(theta, n_cases, kappa)


def _z_alpha(alpha: float, alternative: str) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - (alpha / 2 if alternative == "two-sided" else alpha)))


def _power(delta: float, n: float, v0: float, va: float, z_alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.cdf((np.sqrt(n * delta**2) - z_alpha * np.sqrt(v0)) / np.sqrt(va)))


def _n_closed(delta: float, v0: float, va: float, z_alpha: float, power: float) -> float:
    from scipy import stats

    z_beta = float(stats.norm.ppf(power))
    return (z_alpha * np.sqrt(v0) + z_beta * np.sqrt(va)) ** 2 / delta**2


def _root(f: Any, lo: float, hi: float, what: str, func: str) -> float:
    from scipy import optimize

    f_lo, f_hi = f(lo), f(hi)
    if np.sign(f_lo) == np.sign(f_hi):
        raise DataError(f"{func}(): no {what} in [{lo:g}, {hi:g}] reaches the requested power.")
    return float(optimize.brentq(f, lo, hi, xtol=1e-13, rtol=1e-13, maxiter=500))


# -- checks -------------------------------------------------------------------------------------


def _check_common(alpha: float, power: float | None, kappa: float, func: str) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` of {func}() must be between 0 and 1; got {alpha!r}.")
    if power is not None and not 0 < power < 1:
        raise ValueError(f"`power` of {func}() must be between 0 and 1; got {power!r}.")
    if not kappa > 0:
        raise ValueError(f"`kappa` of {func}() must be positive; got {kappa!r}.")


def _unknown(func: str, **given: Any) -> str:
    missing = [name for name, value in given.items() if value is None]
    if len(missing) != 1:
        names = ", ".join(f"`{n}`" for n in given)
        raise ValueError(
            f"{func}(): leave exactly one of {names} as None (the quantity to solve for); "
            f"got {len(missing)} unset."
        )
    return missing[0]


# -- one AUC ------------------------------------------------------------------------------------


def power_auc(
    auc: float | None = None,
    *,
    n_cases: float | None = None,
    power: float | None = None,
    kappa: float = 1.0,
    auc0: float = 0.5,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    variance: str = "obuchowski",
) -> PowerResult:
    """Power, sample size or detectable AUC for testing one AUC against ``auc0``.

    Leave exactly one of ``auc``, ``n_cases`` and ``power`` as None: it is solved for.
    With ``auc0 = 0.5`` and ``variance="obuchowski"`` the numbers equal pROC's
    ``power.roc.test(auc, ncases, ncontrols = kappa * ncases, sig.level, power)``.

    Parameters
    ----------
    auc : float, optional
        The AUC expected under the alternative.
    n_cases : float, optional
        Number of cases (controls = ``kappa · n_cases``); fractional, round up for a design.
    power : float, optional
    kappa : float, default 1
        Controls per case (1 for the study's 1:1 matching).
    auc0 : float, default 0.5
        The AUC under the null hypothesis.
    alpha : float, default 0.05
    alternative : {"two-sided", "one-sided"}, default "two-sided"
    variance : {"obuchowski", "hanley-mcneil"}, default "obuchowski"

    Returns
    -------
    PowerResult
        ``.table``: ``auc``, ``auc0``, ``n_cases``, ``n_controls``, ``kappa``, ``alpha``,
        ``alternative``, ``variance``, ``power``, ``solved_for``; ``.curve``: power against n.

    Examples
    --------
    >>> from ovcfstats import power_auc
    >>> res = power_auc(0.7, power=0.9)
    >>> round(float(res.table.loc[0, "n_cases"]), 3)  # pROC: 40.21369
    40.214
    >>> round(float(power_auc(0.7, n_cases=30).table.loc[0, "power"]), 4)
    0.7961
    """
    func = "power_auc"
    check_option(alternative, ALTERNATIVES, func, "alternative")
    check_option(variance, VARIANCES, func, "variance")
    _check_common(alpha, power, kappa, func)
    if not 0 < auc0 < 1:
        raise ValueError(f"`auc0` of {func}() must be between 0 and 1; got {auc0!r}.")
    solve = _unknown(func, auc=auc, n_cases=n_cases, power=power)
    za = _z_alpha(alpha, alternative)

    def power_at(theta: float, n: float) -> float:
        v0 = _per_case_var(auc0, n, kappa, variance)
        va = _per_case_var(theta, n, kappa, variance)
        return _power(theta - auc0, n, v0, va, za)

    if solve == "power":
        _check_auc(auc, auc0, func)
        power = power_at(auc, n_cases)
    elif solve == "n_cases":
        _check_auc(auc, auc0, func)
        if variance == "obuchowski":
            v0, va = _var_obuchowski(auc0, kappa), _var_obuchowski(auc, kappa)
            n_cases = _n_closed(auc - auc0, v0, va, za, power)
        else:
            n_cases = _root(lambda n: power_at(auc, n) - power, 1.0 / kappa, 1e8, "n", func)
    else:
        # the AUC above auc0 detected with the requested power
        auc = _root(lambda t: power_at(t, n_cases) - power, auc0 + 1e-9, 1 - 1e-12, "AUC", func)
    table = pd.DataFrame(
        [
            {
                "auc": auc,
                "auc0": auc0,
                "n_cases": n_cases,
                "n_controls": kappa * n_cases,
                "kappa": kappa,
                "alpha": alpha,
                "alternative": alternative,
                "variance": variance,
                "power": power,
                "solved_for": solve,
            }
        ]
    )
    grid = np.unique(np.geomspace(max(2.0, n_cases / 4), n_cases * 3, 60))
    curve = pd.DataFrame(
        {"label": f"AUC {auc:.3f} vs {auc0:g}", "n_cases": grid,
         "power": [power_at(auc, n) for n in grid]}
    )  # fmt: skip
    settings = {"solve": solve, "alpha": alpha, "alternative": alternative, "kappa": kappa,
                "variance": variance, "design": "one"}  # fmt: skip
    return PowerResult(table=table, curve=curve, settings=settings)


def _check_auc(auc: float | None, auc0: float, func: str) -> None:
    if auc is None or not 0 < auc < 1 or auc == auc0:
        raise ValueError(
            f"`auc` of {func}() must be in (0, 1) and differ from auc0 = {auc0}; got {auc!r}."
        )


# -- two correlated AUCs -----------------------------------------------------------------------


def _binormal_a(auc: float, b: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(auc) * np.sqrt(1 + b**2))


def _fg(a: float, b: float) -> tuple[float, float]:
    """Derivatives of the binormal AUC Φ(A/√(1+B²)) with respect to A (f) and B (g)."""
    e = np.exp(-(a**2) / (2 * (1 + b**2)))
    return e / np.sqrt(2 * np.pi * (1 + b**2)), -e * a * b / np.sqrt(2 * np.pi * (1 + b**2) ** 3)


def _var_binormal(a: float, b: float, kappa: float) -> float:
    f, g = _fg(a, b)
    return f**2 * (1 + b**2 / kappa + a**2 / 2) + g**2 * b**2 * (1 + kappa) / (2 * kappa)


def _cov_binormal(
    a1: float, b1: float, a2: float, b2: float, rn: float, ra: float, kappa: float
) -> float:
    f1, g1 = _fg(a1, b1)
    f2, g2 = _fg(a2, b2)
    return (
        f1 * f2 * (ra + rn * b1 * b2 / kappa + ra**2 * a1 * a2 / 2)
        + g1 * g2 * (b1 * b2 * (rn**2 + kappa * ra**2) / (2 * kappa))
        + f1 * g2 * (ra**2 * a1 * b2 / 2)
        + f2 * g1 * (ra**2 * a2 * b1 / 2)
    )


def power_auc_paired(
    auc1: float,
    auc2: float | None = None,
    *,
    n_cases: float | None = None,
    power: float | None = None,
    r_controls: float = 0.5,
    r_cases: float = 0.5,
    b1: float = 1.0,
    b2: float = 1.0,
    kappa: float = 1.0,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    null_variance: str = "proc",
) -> PowerResult:
    """Power, sample size or detectable difference for two correlated AUCs (paired design).

    Both indicators are measured on the same patients. Each ROC curve is binormal with slope
    ``b`` and intercept ``A = Φ⁻¹(auc)·√(1 + b²)``; ``r_controls`` and ``r_cases`` are the
    correlations of the two indicators within controls and within cases (Obuchowski &
    McClish 1997). Leave exactly one of ``auc2``, ``n_cases`` and ``power`` as None.

    With ``null_variance="proc"`` the numbers equal pROC's ``power.roc.test(list(A1, B1, A2,
    B2, rn, ra, delta), ...)``: the null variance of the difference is ``2·V1 − 2·C``, both
    indicators taken at indicator 1's curve while the covariance keeps both curves. That
    makes the result depend on which indicator is called 1 (pROC issue #122, open).
    ``null_variance="alternative"`` uses ``V0 = VA = V1 + V2 − 2C``, symmetric in the two
    indicators; it gives a different n. ``"proc"`` reproduces pROC's formula; it is not
    re-derived from the 1997 paper, whose null variance is what issue #122 disputes.

    Parameters
    ----------
    auc1, auc2 : float
        Expected AUCs of the two indicators; with ``auc2=None`` the detectable ``auc2`` below
        ``auc1`` is solved for.
    n_cases, power : float, optional
    r_controls, r_cases : float, default 0.5
    b1, b2 : float, default 1
        Binormal slopes (1 = equal variances in cases and controls).
    kappa : float, default 1
    alpha : float, default 0.05
    alternative : {"two-sided", "one-sided"}
    null_variance : {"proc", "alternative"}, default "proc"

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> from ovcfstats import power_auc_paired
    >>> res = power_auc_paired(0.85, 0.75, power=0.8, r_controls=0.4, r_cases=0.5)
    >>> round(float(res.table.loc[0, "n_cases"]), 1)
    106.0
    """
    func = "power_auc_paired"
    check_option(alternative, ALTERNATIVES, func, "alternative")
    check_option(null_variance, NULL_VARIANCES, func, "null_variance")
    _check_common(alpha, power, kappa, func)
    for name, r in (("r_controls", r_controls), ("r_cases", r_cases)):
        if not -1 < r < 1:
            raise ValueError(f"`{name}` of {func}() must be in (−1, 1); got {r!r}.")
    if not 0 < auc1 < 1:
        raise ValueError(f"`auc1` of {func}() must be in (0, 1); got {auc1!r}.")
    solve = _unknown(func, auc2=auc2, n_cases=n_cases, power=power)
    za = _z_alpha(alpha, alternative)
    a1 = _binormal_a(auc1, b1)

    def variances(theta2: float) -> tuple[float, float]:
        a2 = _binormal_a(theta2, b2)
        v1, v2 = _var_binormal(a1, b1, kappa), _var_binormal(a2, b2, kappa)
        c = _cov_binormal(a1, b1, a2, b2, r_controls, r_cases, kappa)
        va = v1 + v2 - 2 * c
        v0 = 2 * v1 - 2 * c if null_variance == "proc" else va
        if v0 <= 0 or va <= 0:
            raise DataError(
                f"{func}(): the variance of the AUC difference is not positive for auc1 = "
                f"{auc1:.4g}, auc2 = {theta2:.4g} and these correlations (pROC's null variance "
                "2·V1 − 2·Cov turns negative when indicator 1's curve is much more precise). "
                "Use null_variance='alternative' or lower correlations."
            )
        return v0, va

    def power_at(theta2: float, n: float) -> float:
        return _power(auc1 - theta2, n, *variances(theta2), za)

    if solve == "power":
        _check_pair(auc1, auc2, func)
        power = power_at(auc2, n_cases)
    elif solve == "n_cases":
        _check_pair(auc1, auc2, func)
        n_cases = _n_closed(auc1 - auc2, *variances(auc2), za, power)
    else:
        # walk down from auc1 to the first AUC detected with the power, then refine
        upper = auc1 - 1e-9
        for lower in auc1 - np.geomspace(1e-4, auc1 - 1e-6, 200):
            if power_at(lower, n_cases) >= power:
                break
            upper = lower
        auc2 = _root(lambda t: power_at(t, n_cases) - power, lower, upper, "AUC", func)
    table = pd.DataFrame(
        [
            {
                "auc1": auc1,
                "auc2": auc2,
                "diff": auc1 - auc2,
                "r_controls": r_controls,
                "r_cases": r_cases,
                "b1": b1,
                "b2": b2,
                "n_cases": n_cases,
                "n_controls": kappa * n_cases,
                "kappa": kappa,
                "alpha": alpha,
                "alternative": alternative,
                "null_variance": null_variance,
                "power": power,
                "solved_for": solve,
            }
        ]
    )
    grid = np.unique(np.geomspace(max(2.0, n_cases / 4), n_cases * 3, 60))
    curve = pd.DataFrame(
        {"label": f"AUC {auc1:.3f} vs {auc2:.3f}", "n_cases": grid,
         "power": [power_at(auc2, n) for n in grid]}
    )  # fmt: skip
    settings = {"solve": solve, "alpha": alpha, "alternative": alternative, "kappa": kappa,
                "null_variance": null_variance, "design": "paired"}  # fmt: skip
    return PowerResult(table=table, curve=curve, settings=settings)


def _check_pair(auc1: float, auc2: float | None, func: str) -> None:
    if auc2 is None or not 0 < auc2 < 1 or auc2 == auc1:
        raise ValueError(
            f"`auc2` of {func}() must be in (0, 1) and differ from auc1 = {auc1}; got {auc2!r}."
        )
