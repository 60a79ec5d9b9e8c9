"""Constrained refits of a logistic likelihood: profile-likelihood bounds, the penalised
likelihood-ratio p, and the starts that keep the refits on the right maximum.

The log-likelihood is concave; Firth's penalised one need not be (it can have several local
maxima under heavy separation), so its constrained refits start twice (warm and cold) and keep
the higher.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._results import ConvergenceWarning
from ._clogit import _FirthConditional
from ._likelihood import _FirthLogit, _Logit, _newton

FUNC = "logistic_or"


def _cold_start(lik: Any, size: int, j: int, value: float) -> np.ndarray:
    """Zeros with β_j = ``value``; an intercept (column 0 of a logistic design) is set so that
    the mean linear predictor is logit(ȳ), keeping the fitted probabilities off 0 and 1."""
    start = np.zeros(size)
    start[j] = value
    if j != 0 and isinstance(lik, _Logit | _FirthLogit) and np.all(lik.X[:, 0] == 1):
        ybar = float(np.mean(lik.y))
        start[0] = np.log(ybar / (1 - ybar)) - value * float(np.mean(lik.X[:, j]))
    return start


def _constrained_max(
    lik: Any,
    b: np.ndarray,
    j: int,
    value: float,
    penalised: bool,
    tangent: np.ndarray | None = None,
) -> tuple[np.ndarray, bool, bool]:
    """Maximum of ``lik`` with β_j held at ``value``: the refit, whether it converged, and
    whether a cold start found a clearly higher maximum than the warm one (several local
    maxima, possible for Firth's penalised likelihood under heavy separation).

    The warm start is β̂ moved along ``tangent`` (the direction in which the other
    coefficients follow β_j at β̂, see :func:`_tangent`) when given, else β̂ with β_j replaced.
    """
    start = b.copy() if tangent is None else b + (value - b[j]) * tangent
    start[j] = value
    fitted, ok = _newton(lik, start, fixed=j, maxiter=100)
    multimodal = False
    if not ok or penalised:  # a warm start far out can stall (separation): restart cold
        cold, ok_cold = _newton(lik, _cold_start(lik, b.size, j, value), fixed=j, maxiter=100)
        gap = lik.loglike(cold) - lik.loglike(fitted)
        # (a cold start that ends lower may sit on a numerically flat plateau: ignored)
        multimodal = penalised and ok and ok_cold and gap > 1e-6
        if gap > 0 or not ok:
            fitted, ok = (cold, ok_cold) if gap > 0 else (fitted, ok)
    return fitted, ok, multimodal


def _profile_bound(
    lik: Any,
    b: np.ndarray,
    se: float,
    j: int,
    ll_max: float,
    crit: float,
    sign: float,
    failed: list[int] | None = None,
    multimodal: list[int] | None = None,
) -> float:
    """Lower (``sign=-1``) or upper profile-likelihood bound of coefficient ``j``.

    The bound solves 2(ℓmax − ℓ_profile(β_j)) = ``crit`` (brentq on its square root, nearly
    linear in β_j); the search starts 1.5 Wald half-widths out and doubles; a bound not reached
    within 2¹¹ such steps (the profile flattens out, e.g. under separation) is returned as ∓inf.
    ``j`` is appended to ``failed`` if a constrained refit did not converge. The log-likelihood
    is concave; Firth's penalised one need not be (it can have several local maxima under
    heavy separation), so its constrained refits start twice (at β̂ and cold), keep the higher,
    and append ``j`` to ``multimodal`` when the cold start found the higher one.
    """
    from scipy.optimize import brentq

    penalised = isinstance(lik, _FirthLogit | _FirthConditional)
    tangent = _tangent(lik, b, j)

    def excess(value: float) -> float:
        fitted, ok, several = _constrained_max(lik, b, j, value, penalised, tangent)
        if several and multimodal is not None:
            multimodal.append(j)
        if not ok and failed is not None:
            failed.append(j)
        return 2.0 * (ll_max - lik.loglike(fitted)) - crit

    def signed_root(value: float) -> float:  # same root, nearly linear in β_j: few brentq steps
        return float(np.sqrt(max(excess(value) + crit, 0.0)) - np.sqrt(crit))

    inner = b[j]
    width = 1.5 * np.sqrt(crit) * se if np.isfinite(se) and se > 0 else 1.0
    for _ in range(12):
        outer = b[j] + sign * width
        if signed_root(outer) > 0:
            return float(brentq(signed_root, inner, outer, xtol=1e-10, rtol=1e-12))
        inner, width = outer, width * 2
    return sign * np.inf


def _tangent(lik: Any, b: np.ndarray, j: int) -> np.ndarray | None:
    """d with d_j = 1 and d_k = ∂β̂_k(β_j)/∂β_j at β̂ (−H_kk⁻¹ H_kj): the constrained maximum
    moves along it to first order, so a refit started there needs a Newton step or two fewer.
    None where the Hessian is singular or not finite (separation)."""
    h = lik.hessian(b)
    free = np.arange(b.size) != j
    d = np.zeros(b.size)
    d[j] = 1.0
    if free.any():
        try:
            d[free] = -np.linalg.solve(h[np.ix_(free, free)], h[free, j])
        except np.linalg.LinAlgError:
            return None
    return d if np.all(np.isfinite(d)) and np.all(np.isfinite(b)) else None


def _penalised_lr_p(lik: Any, b: np.ndarray) -> np.ndarray:
    """Penalised-likelihood-ratio p of each coefficient (logistf's default test).

    2·(ℓ*(β̂) − ℓ*(β̂ with β_j = 0, the others refitted)) against χ²₁, the penalty of the
    restricted fit being that of the full model (Heinze & Schemper 2002).
    """
    from scipy.stats import chi2

    ll_max = lik.loglike(b)
    out = np.full(b.size, np.nan)
    for j in range(b.size):
        fitted, ok, _ = _constrained_max(lik, b, j, 0.0, penalised=True)
        if ok:
            out[j] = chi2.sf(max(2.0 * (ll_max - lik.loglike(fitted)), 0.0), 1)
    return out


def _profile_ci(
    lik: Any,
    b: np.ndarray,
    se: np.ndarray,
    diverging: np.ndarray,
    alpha: float,
    design: Any,
    method: str,
    kind: str,
    pending: list,
) -> tuple[np.ndarray, np.ndarray]:
    """Profile-likelihood limits of every coefficient (on the β scale)."""
    from scipy.stats import chi2

    ll_max = lik.loglike(b)
    crit = float(chi2.ppf(1 - alpha, 1))
    failed: list[int] = []
    multimodal: list[int] = []
    low, high = np.empty(b.size), np.empty(b.size)
    for j in range(b.size):
        if diverging[j]:
            side = 1.0 if b[j] > 0 else -1.0
            bound = _profile_bound(lik, b, 1.0, j, ll_max, crit, -side, failed, multimodal)
            low[j], high[j] = (bound, np.inf) if side > 0 else (-np.inf, bound)
        else:
            low[j], high[j] = (
                _profile_bound(lik, b, se[j], j, ll_max, crit, sign, failed, multimodal)
                for sign in (-1, 1)
            )
    if failed and method == "ml" and kind != "none":
        # Under separation a constrained refit that does not converge is itself separated:
        # the profile is flat there and its finite bound an artefact.
        for j in set(failed):
            low[j] = low[j] if np.isinf(low[j]) else np.nan
            high[j] = high[j] if np.isinf(high[j]) else np.nan
    elif failed:
        names = ", ".join(design.terms[j] for j in sorted(set(failed)))
        pending.append(
            (
                f"{FUNC}(): in model '{design.name}', a constrained refit of the profile "
                f"likelihood did not converge; the profile CI of {names} may be inaccurate.",
                ConvergenceWarning,
            )
        )
    if multimodal:
        names = ", ".join(design.terms[j] for j in sorted(set(multimodal)))
        pending.append(
            (
                f"{FUNC}(): in model '{design.name}', the penalised likelihood has several "
                f"local maxima along the profile of {names} (heavy separation); the higher "
                "of two starts was used, but the profile CI may be inaccurate. The Wald CI "
                "does not depend on it.",
                ConvergenceWarning,
            )
        )
    return low, high
