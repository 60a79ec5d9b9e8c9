"""Spearman's exact p-value computed as R computes it.

:func:`spearman_exact_p`: R's ``cor.test(method = "spearman")`` p-value by algorithm AS 89
(Best & Roberts 1975): exact enumeration of all n! rankings for n ≤ 9, an Edgeworth series
above. Hand-written because scipy has no exact Spearman p.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import permutations

import numpy as np

#: Largest n for which R's cor.test uses AS 89 (n (n² − 1) must not overflow in R's C code).
SPEARMAN_EXACT_MAX_N = 1290
#: AS 89 enumerates every ranking up to this n (R's ``n_small``).
SPEARMAN_ENUMERATE_MAX_N = 9


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
