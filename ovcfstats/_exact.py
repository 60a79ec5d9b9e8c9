"""Exact small-sample p-values and estimates computed as R computes them.

Hand-written because scipy's versions differ from R's in the digits users compare:

- :func:`fisher_conditional_or`: R's ``fisher.test`` odds ratio is the conditional maximum
  likelihood estimate and its CI inverts the two one-sided exact tests. scipy's
  ``odds_ratio(kind="conditional")`` solves the same equations with another root finder and a
  tighter tolerance, so it differs from R's printed value in the fifth digit (1.43001 against R's
  1.42998 on the paper's hypertension table). R solves with ``uniroot`` (Brent's zeroin,
  tolerance ``.Machine$double.eps^0.25``); :func:`zeroin` is that algorithm, step for step, so the
  digits equal R's.
- :func:`spearman_exact_p`: R's ``cor.test(method = "spearman")`` p-value by algorithm AS 89
  (Best & Roberts 1975): exact enumeration of all n! rankings for n ≤ 9, an Edgeworth series
  above. scipy has no exact Spearman p.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import permutations

import numpy as np

EPS = float(np.finfo(float).eps)
R_UNIROOT_TOL = EPS**0.25
#: Largest n for which R's cor.test uses AS 89 (n (n² − 1) must not overflow in R's C code).
SPEARMAN_EXACT_MAX_N = 1290
#: AS 89 enumerates every ranking up to this n (R's ``n_small``).
SPEARMAN_ENUMERATE_MAX_N = 9


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


@lru_cache(maxsize=SPEARMAN_ENUMERATE_MAX_N)
def _rank_distances(n: int) -> np.ndarray:
    """Sorted S = Σ (i − π(i))² over all n! permutations π."""
    perms = np.array(list(permutations(range(n))), dtype=np.int16)
    return np.sort(((perms - np.arange(n)) ** 2).sum(axis=1))


def _prho(s: float, n: int, lower: bool) -> float:
    """AS 89: P(S ≥ s) (``lower=False``) or P(S < s), S the sum of squared rank differences."""
    from scipy.stats import norm

    pv = 0.0 if lower else 1.0
    if s <= 0:
        return pv
    n3 = n * (n * n - 1) / 3
    if s > n3:
        return 1 - pv
    if n <= SPEARMAN_ENUMERATE_MAX_N:
        dist = _rank_distances(n)
        at_least = dist.size - np.searchsorted(dist, s, side="left")
        return float((dist.size - at_least if lower else at_least) / dist.size)
    # Edgeworth series expansion (AS 89's coefficients)
    c = (0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932, 0.0879, 0.0151, 0.0072, 0.0831, 0.0131,
         4.6e-4)  # fmt: skip
    b = 1 / n
    x = (6 * (s - 1) * b / (n * n - 1) - 1) * np.sqrt(1 / b - 1)
    y = x * x
    u = (
        x
        * b
        * (
            c[0]
            + b * (c[1] + c[2] * b)
            + y
            * (
                -c[3]
                + b * (c[4] + c[5] * b)
                - y * b * (c[6] + c[7] * b - y * (c[8] - c[9] * b + y * b * (c[10] - c[11] * y)))
            )
        )
    )
    tail = u / np.exp(y / 2)  # the series corrects P(S ≥ s); P(S < s) is its complement
    pv = norm.cdf(x) - tail if lower else tail + norm.sf(x)
    return float(min(max(pv, 0.0), 1.0))


def spearman_exact_p(rho: float, n: int) -> float:
    """Two-sided p of Spearman's ρ without ties, as R's ``cor.test`` (AS 89), n ≤ 1290.

    Examples
    --------
    >>> rho = 1 - 6 * 6 / (6 * 35)  # 1:6 against (2, 1, 4, 3, 6, 5): S = 6
    >>> round(spearman_exact_p(rho, 6), 10)  # 2 · 21/720; R: cor.test(...)$p.value
    0.0583333333
    """
    q = (n**3 - n) * (1 - rho) / 6
    if q > (n**3 - n) / 6:
        p = _prho(round(q), n, lower=False)
    else:
        p = _prho(round(q) + 2, n, lower=True)
    return min(2 * p, 1.0)
