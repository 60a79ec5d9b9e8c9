"""Likelihoods of the binary logistic model (ML and Firth) and the Newton maximiser that fits
every logistic likelihood of :func:`ovcfstats.logistic_or`.

Each engine has ``loglike(b)``, ``score(b)`` and ``hessian(b)`` (for Firth: −I, the Fisher
information; the Newton step then uses ``newton_hessian``). They are written out in numpy
rather than taken from statsmodels because (a) the profile likelihood needs constrained refits
with one coefficient held fixed; (b) Firth's modified score is not in statsmodels; (c) at 10⁶
rows one Newton step must cost about what one of statsmodels' ``Logit`` steps costs.
sklearn's ``LogisticRegression`` is never used: it is penalised by default. The conditional
likelihoods are in :mod:`ovcfstats.regression._clogit`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: A fitted probability this close to 0 or 1 signals a diverging fit (possible separation).
SATURATED = 1e-10


class _Logit:
    """Binary logistic likelihood ℓ(β) = Σ yᵢηᵢ − log(1 + e^ηᵢ), η = Xβ; analytic derivatives.

    One evaluation at β (one product Xβ, one exp, one log1p) gives ℓ and the fitted
    probabilities; the last one is kept, so that the score, information and ℓ at one β cost one
    evaluation.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray) -> None:
        self.y = np.asarray(y, dtype=float)
        self.X = np.asarray(X, dtype=float)
        self._key: bytes | None = None

    def _eval(self, b: np.ndarray) -> tuple[float, np.ndarray]:
        key = np.asarray(b, dtype=float).tobytes()
        if key != self._key:
            eta = self.X @ b
            e = np.exp(-np.abs(eta))  # in (0, 1]: no overflow
            pi = np.where(eta >= 0, 1.0, e) / (1.0 + e)
            ll = float(self.y @ eta - np.maximum(eta, 0.0).sum() - np.log1p(e).sum())
            self._key, self._last = key, (ll, pi)
        return self._last

    def fitted(self, b: np.ndarray) -> np.ndarray:
        """Fitted probabilities π = 1 / (1 + e^−η)."""
        return self._eval(b)[1]

    def loglike(self, b: np.ndarray) -> float:
        return self._eval(b)[0]

    def score(self, b: np.ndarray) -> np.ndarray:
        return self.X.T @ (self.y - self.fitted(b))

    def information(self, b: np.ndarray) -> np.ndarray:
        """X'WX with W = diag(π(1 − π)), summed over blocks of rows that stay in cache."""
        pi = self.fitted(b)
        w = pi * (1.0 - pi)
        return _weighted_gram(self.X, w)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        return -self.information(b)

    def saturated(self, b: np.ndarray) -> bool:
        """Whether some fitted probability is within ``SATURATED`` of 0 or 1."""
        pi = self.fitted(b)
        return bool(np.min(np.minimum(pi, 1.0 - pi)) < SATURATED)


def _weighted_gram(X: np.ndarray, w: np.ndarray, block: int = 1 << 15) -> np.ndarray:
    """X' diag(w) X, by blocks of rows (the weighted copy of a block stays in cache)."""
    if len(X) <= block:
        return X.T @ (X * w[:, None])
    out = np.zeros((X.shape[1], X.shape[1]))
    for i in range(0, len(X), block):
        part = X[i : i + block]
        out += part.T @ (part * w[i : i + block, None])
    return out


class _FirthLogit:
    """Firth's penalised logistic likelihood ℓ(β) + ½ log|X'WX| (Heinze & Schemper 2002).

    The modified score is X'(y − π + h(½ − π)) with h the diagonal of the hat matrix
    W^½ X (X'WX)⁻¹ X' W^½.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray) -> None:
        self.base = _Logit(y, X)
        self.y, self.X = self.base.y, self.base.X

    def loglike(self, b: np.ndarray) -> float:
        sign, logdet = np.linalg.slogdet(self.base.information(b))
        return self.base.loglike(b) + (0.5 * logdet if sign > 0 else -np.inf)

    def score(self, b: np.ndarray) -> np.ndarray:
        pi = self.base.fitted(b)
        w = pi * (1.0 - pi)
        info = _weighted_gram(self.X, w)
        h = w * np.einsum("ij,ij->i", self.X @ np.linalg.pinv(info), self.X)
        return self.X.T @ (self.y - pi + h * (0.5 - pi))

    def hessian(self, b: np.ndarray) -> np.ndarray:
        return self.base.hessian(b)

    def newton_hessian(self, b: np.ndarray) -> np.ndarray:
        return _penalised_hessian(self, b)


def _penalised_hessian(lik: Any, b: np.ndarray) -> np.ndarray:
    """Hessian for Newton steps on a Firth likelihood: the central-difference Jacobian of the
    modified score, with each non-negative eigenvalue λ (where the penalised likelihood is not
    concave) replaced by −max(λ, 1e-8·scale), so that the step is an ascent direction
    (saddle-free Newton; the step halving keeps ℓ* increasing). Negative eigenvalues are kept
    whatever their size: on a design with unscaled columns (HU per unit beside an area in mm²)
    they span 10 or more orders of magnitude, and raising the small ones to a floor shortens the
    step along them so much that the iteration never meets its tolerance.

    Fisher scoring (logistf's step) converges only linearly under separation, where the
    penalty's own curvature dominates (ratio ~0.98 per step on a separated matched data set).
    """
    from statsmodels.tools.numdiff import approx_fprime

    h = np.atleast_2d(approx_fprime(b, lik.score, centered=True))
    values, vectors = np.linalg.eigh((h + h.T) / 2)
    floor = 1e-8 * max(np.max(np.abs(values)), 1e-300)
    values = np.where(values < 0, values, -np.maximum(values, floor))
    return (vectors * values) @ vectors.T


def _newton(
    lik: Any,
    start: np.ndarray,
    fixed: int | None = None,
    tol: float = 1e-10,
    maxiter: int = 60,
) -> tuple[np.ndarray, bool]:
    """Maximise ``lik`` by Newton steps; ``fixed`` holds one coefficient at its start value.

    A step that does not increase the log-likelihood is halved (down to 1/64), then damped
    Levenberg–Marquardt style (H − λI, λ growing tenfold), which still moves where the
    information is nearly singular (fitted probabilities saturated at 0/1). Returns the estimate
    and whether max |step| fell below ``tol`` within ``maxiter`` steps.
    """
    b = np.array(start, dtype=float)
    free = np.ones(b.size, bool)
    if fixed is not None:
        free[fixed] = False
    if not free.any():
        return b, True
    ll = lik.loglike(b)
    hessian = getattr(lik, "newton_hessian", lik.hessian)
    for _ in range(maxiter):
        g = lik.score(b)[free]
        h = -hessian(b)[np.ix_(free, free)]
        for step in _steps(h, g):
            trial = b.copy()
            trial[free] += step
            ll_new = lik.loglike(trial)
            if ll_new >= ll - 1e-10 * (1 + abs(ll)):
                break
        else:  # no ascent in any direction tried: stuck
            return b, False
        b, ll = trial, ll_new
        if np.max(np.abs(step)) < tol:
            return b, True
    return b, False


def _steps(h: np.ndarray, g: np.ndarray):
    """Candidate steps: Newton, halved six times, then Levenberg–Marquardt damped."""
    try:
        newton = np.linalg.solve(h, g)
    except np.linalg.LinAlgError:
        newton = np.linalg.lstsq(h, g, rcond=None)[0]
    for k in range(7):
        yield newton / 2**k
    scale = max(float(np.trace(h)) / h.shape[0], 1e-12)
    for k in range(-3, 13):
        yield np.linalg.solve(h + scale * 10.0**k * np.eye(h.shape[0]), g)
