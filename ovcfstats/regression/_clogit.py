"""Conditional logistic likelihoods of matched sets (R's ``survival::clogit``), ML and Firth.

Written out in numpy because statsmodels' ``ConditionalLogit`` loops over the matched sets in
Python, has no analytic Hessian (a forward-difference one, error ~1e-6) and its ``fit``
defaults to BFGS, which stops early (β off by ~4e-5 on a matched data set). It is still used
for matched sets with several cases (its recursion over the set is the exact likelihood).
Same interface as the engines of :mod:`ovcfstats.regression._likelihood`.
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd

from ._likelihood import SATURATED, _penalised_hessian


class _Sets:
    """Matched sets with exactly one case each, sorted by set, for vectorised conditional terms.

    With one case per set the conditional likelihood is a multinomial logit within the set:
    ℓ = Σ_sets [x_case·β − log Σ_members exp(x·β)], and −∂²ℓ = Σ_sets Cov_p(x) with p the
    within-set softmax. Sums over sets are ``np.add.reduceat`` over the sorted rows: one pass
    for any mix of set sizes (1:1, 1:k, variable k), no Python loop over sets.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> None:
        codes = pd.factorize(np.asarray(groups), sort=False)[0]
        order = np.argsort(codes, kind="stable")
        self.X = np.ascontiguousarray(np.asarray(X, dtype=float)[order])
        self.y = np.asarray(y, dtype=float)[order]
        g = codes[order]
        change = g[1:] != g[:-1]
        self.starts = np.flatnonzero(np.r_[True, change])
        self.index = np.cumsum(np.r_[False, change])
        self.case_x = np.add.reduceat(self.X * self.y[:, None], self.starts, axis=0)
        self.case_total = self.case_x.sum(axis=0)
        self._key: bytes | None = None

    def moments(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Log-likelihood, within-set probabilities p, centred rows d, information Σ p·d·d'."""
        key = np.asarray(b, dtype=float).tobytes()
        if key == self._key:
            return self._last
        eta = self.X @ b
        top = np.maximum.reduceat(eta, self.starts)
        e = np.exp(eta - top[self.index])
        total = np.add.reduceat(e, self.starts)
        p = e / total[self.index]
        mean = np.add.reduceat(self.X * p[:, None], self.starts, axis=0)
        d = self.X - mean[self.index]
        ll = float(self.case_total @ b - np.sum(top + np.log(total)))
        self._key, self._last = key, (ll, p, d, d.T @ (d * p[:, None]))
        return self._last

    def loglike(self, b: np.ndarray) -> float:
        return self.moments(b)[0]

    def score(self, b: np.ndarray) -> np.ndarray:
        """Σ_sets (x_case − E_p x) = Σ_rows (y − p)·d (the set means cancel)."""
        _, p, d, _ = self.moments(b)
        return d.T @ (self.y - p)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        return -self.moments(b)[3]

    def saturated(self, b: np.ndarray) -> bool:
        """Whether some case's within-set probability is within ``SATURATED`` of 0 or 1."""
        p_case = self.moments(b)[1][self.y == 1]
        return bool(np.min(np.minimum(p_case, 1.0 - p_case)) < SATURATED)


def _one_case_per_set(y: np.ndarray, groups: np.ndarray) -> bool:
    codes = pd.factorize(np.asarray(groups), sort=False)[0]
    return bool(np.all(np.bincount(codes, weights=np.asarray(y, dtype=float)) == 1))


class _ConditionalLogit:
    """Conditional logistic likelihood (R's ``survival::clogit``, exact), any matched sets.

    Sets with one case each (1:1, 1:k, variable k): :class:`_Sets`, analytic and vectorised.
    Otherwise statsmodels' ``ConditionalLogit`` (its recursion over each set), with the Hessian
    a central difference of its analytic score (error ~1e-10, vs ~1e-6 for forward differences).
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> None:
        self.sets = _Sets(y, X, groups) if _one_case_per_set(y, groups) else None
        if self.sets is None:
            from statsmodels.discrete.conditional_models import ConditionalLogit

            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore")
                self.model = ConditionalLogit(y, X, groups=groups)

    def loglike(self, b: np.ndarray) -> float:
        if self.sets is not None:
            return self.sets.loglike(b)
        return float(self.model.loglike(b))

    def score(self, b: np.ndarray) -> np.ndarray:
        if self.sets is not None:
            return self.sets.score(b)
        return np.asarray(self.model.score(b), dtype=float)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        if self.sets is not None:
            return self.sets.hessian(b)
        from statsmodels.tools.numdiff import approx_fprime

        h = np.atleast_2d(approx_fprime(b, self.score, centered=True))
        return (h + h.T) / 2

    def saturated(self, b: np.ndarray) -> bool:
        return True if self.sets is None else self.sets.saturated(b)


class _FirthConditional:
    """Penalised conditional likelihood ℓ_c(β) + ½ log|I_c(β)| (Heinze & Puhr 2010).

    One case per set. ∂I/∂β_k = Σ p·d_k·d·d' (third central moment within the set), so the
    penalty's gradient is ½ tr(I⁻¹ ∂I/∂β_k); Newton steps use :func:`_penalised_hessian`.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> None:
        self.sets = _Sets(y, X, groups)

    def loglike(self, b: np.ndarray) -> float:
        ll, _, _, info = self.sets.moments(b)
        sign, logdet = np.linalg.slogdet(info)
        return ll + (0.5 * logdet if sign > 0 else -np.inf)

    def score(self, b: np.ndarray) -> np.ndarray:
        _, p, d, info = self.sets.moments(b)
        # ½ tr(I⁻¹ Σ p d_k d d') = ½ Σ_rows p·d_k·(d' I⁻¹ d)
        quad = np.einsum("ij,ij->i", d @ np.linalg.pinv(info), d)
        return self.sets.score(b) + 0.5 * (d * (p * quad)[:, None]).sum(axis=0)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        return self.sets.hessian(b)

    def newton_hessian(self, b: np.ndarray) -> np.ndarray:
        return _penalised_hessian(self, b)
