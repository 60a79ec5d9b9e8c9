"""Fisher's exact odds ratio and its CI computed as R computes them.

Hand-written because scipy's versions differ from R's in the digits users compare:

- :func:`fisher_conditional_or`: R's ``fisher.test`` odds ratio is the conditional maximum
  likelihood estimate and its CI inverts the two one-sided exact tests. scipy's
  ``odds_ratio(kind="conditional")`` solves the same equations with another root finder and a
  tighter tolerance, so it differs from R's printed value in the fifth digit (1.43001 against R's
  1.42998 on the paper's hypertension table). R solves with ``uniroot`` (Brent's zeroin,
  tolerance ``.Machine$double.eps^0.25``); :func:`zeroin` is that algorithm, step for step, so the
  digits equal R's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EPS = float(np.finfo(float).eps)
R_UNIROOT_TOL = EPS**0.25


def zeroin(f: Callable[[float], float], ax: float, bx: float, tol: float = R_UNIROOT_TOL) -> float:
    """Root of ``f`` in [ax, bx] by Brent's method, as R's ``uniroot`` (``R_zeroin2``) finds it.

    Examples
    --------
    >>> round(zeroin(lambda x: x * x - 2, 0, 2, tol=1e-12), 10)
    1.4142135624
    """
    a, b = float(ax), float(bx)
    fa, fb = f(a), f(b)
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(1001):  # uniroot's maxiter = 1000
        prev_step = b - a
        if abs(fc) < abs(fb):  # b must be the best approximation
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # linear interpolation
                t1 = fb / fa
                p, q = cb * t1, 1.0 - t1
            else:  # inverse quadratic interpolation
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < 0.75 * cb * q - abs(tol_act * q) / 2 and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise RuntimeError("zeroin did not converge in 1000 iterations")


def fisher_conditional_or(table: np.ndarray, alpha: float = 0.05) -> tuple[float, float, float]:
    """Conditional MLE odds ratio of a 2 × 2 table and its exact CI, as R's ``fisher.test``.

    ``table`` is [[a, b], [c, d]]; the odds ratio estimates (a d) / (b c).

    Examples
    --------
    >>> est, low, high = fisher_conditional_or(np.array([[3, 1], [1, 3]]))
    >>> round(est, 4), round(low, 4), round(high, 2)  # R: 6.408309 0.2117329 621.9338
    (6.4083, 0.2117, 621.93)
    """
    from scipy import stats

    (a, b), (c, d) = np.asarray(table, dtype=np.int64)
    m, n, k, x = int(a + c), int(b + d), int(a + b), int(a)
    lo, hi = max(0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)

    def density(ncp: float) -> np.ndarray:
        dens = logdc + np.log(ncp) * support
        dens = np.exp(dens - dens.max())
        return dens / dens.sum()

    def mean(ncp: float) -> float:
        if ncp == 0:
            return lo
        if ncp == np.inf:
            return hi
        if ncp == 1:  # the hypergeometric mean, exactly (R's sum gives it to the last bit)
            return k * m / (m + n)
        return float(np.sum(support * density(ncp)))

    def prob(ncp: float, upper: bool) -> float:
        """P(X ≥ x) (upper) or P(X ≤ x) under the noncentral hypergeometric with ``ncp``."""
        if ncp == 0:
            return float(x <= lo if upper else x >= lo)
        if ncp == 1:
            dist = stats.hypergeom(m + n, m, k)
            return float(dist.sf(x - 1) if upper else dist.cdf(x))
        return float(np.sum(density(ncp)[support >= x if upper else support <= x]))

    def solve(g: Callable[[float], float], target: float, in_unit: bool) -> float:
        """R's pattern: the root in (0, 1] when ``in_unit``, else 1/t with t in [eps, 1]."""
        if in_unit:
            return zeroin(lambda t: g(t) - target, 0.0, 1.0)
        return 1.0 / zeroin(lambda t: g(1.0 / t) - target, EPS, 1.0)

    def upper(t: float) -> float:
        return prob(t, True)

    def lower(t: float) -> float:
        return prob(t, False)

    half = alpha / 2
    est = low = 1.0
    high = 1.0
    if x == lo:
        est = low = 0.0
    elif x == hi:
        est = high = np.inf
    if lo < x < hi and (mu := mean(1.0)) != x:
        est = solve(mean, x, mu > x)
    if x != lo and (p := upper(1.0)) != half:
        low = solve(upper, half, p > half)
    if x != hi and (p := lower(1.0)) != half:
        high = solve(lower, half, p < half)
    return float(est), float(low), float(high)
