"""Likelihood engines of the logistic models and the Newton maximiser that fits them.

Each engine has ``loglike(b)``, ``score(b)`` and ``hessian(b)`` (for Firth: −I, the Fisher
information; the Newton step then uses ``newton_hessian``). They are written out in numpy
rather than taken from statsmodels because (a) statsmodels' ``ConditionalLogit`` loops over the
matched sets in Python, has no analytic Hessian (a forward-difference one, error ~1e-6) and its
``fit`` defaults to BFGS, which stops early (β off by ~4e-5 on a matched data set); (b) the
profile likelihood needs constrained refits with one coefficient held fixed; (c) Firth's
modified score is not in statsmodels; (d) at 10⁶ rows one Newton step must cost about what one
of statsmodels' ``Logit`` steps costs. statsmodels' ``ConditionalLogit`` is still used for
matched sets with several cases (its recursion over the set is the exact likelihood).
sklearn's ``LogisticRegression`` is never used: it is penalised by default.

Separation is decided by linear programming (``scipy.optimize.linprog``): the ML estimate does
not exist iff some direction d ≠ 0 has (2y − 1)·xᵢd ≥ 0 for every row (for the conditional
model: (x_case − x_control)·d ≥ 0 within every set).
"""

from __future__ import annotations

import warnings as _warnings
from typing import Any

import numpy as np
import pandas as pd

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


# -- separation ------------------------------------------------------------------------------


def _separation(A: np.ndarray) -> tuple[str, np.ndarray]:
    """Kind of separation of the rows ``A`` (a_i·d ≥ 0 for all i) and the diverging coefficients.

    ``A`` holds (2y − 1)·x_i for the logistic model, x_case − x_control for the conditional one.
    Columns are rescaled to max |a| = 1 (the cone is unchanged); d is boxed in [−1, 1].
    "complete" if some d makes all a_i·d > 0, else "quasi-complete"; a coefficient diverges iff
    some such d has d_j ≠ 0.
    """
    from scipy.optimize import linprog

    n, p = A.shape
    scale = np.max(np.abs(A), axis=0)
    A = A / np.where(scale > 0, scale, 1.0)
    box = [(-1.0, 1.0)] * p
    tol = 1e-7
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(n), bounds=box, method="highs")
    if res.status != 0 or -res.fun <= tol:
        return "none", np.zeros(p, bool)
    # complete: max t with A d ≥ t, t ≤ 1
    res_c = linprog(
        np.r_[np.zeros(p), -1.0],
        A_ub=np.c_[-A, np.ones(n)],
        b_ub=np.zeros(n),
        bounds=[*box, (None, 1.0)],
        method="highs",
    )
    kind = "complete" if res_c.status == 0 and -res_c.fun > tol else "quasi-complete"
    diverging = np.zeros(p, bool)
    for j in range(p):
        for sign in (-1.0, 1.0):
            c = np.zeros(p)
            c[j] = sign
            r = linprog(c, A_ub=-A, b_ub=np.zeros(n), bounds=box, method="highs")
            if r.status == 0 and -r.fun > tol:
                diverging[j] = True
                break
    return kind, diverging


def _contrasts(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Rows x_case − x_control for every case–control pair within each matched set."""
    codes = pd.factorize(np.asarray(groups), sort=False)[0]
    rows = np.arange(len(codes))
    cases = pd.DataFrame({"g": codes[y == 1], "i": rows[y == 1]})
    ctrls = pd.DataFrame({"g": codes[y == 0], "j": rows[y == 0]})
    pairs = cases.merge(ctrls, on="g")
    return X[pairs["i"].to_numpy()] - X[pairs["j"].to_numpy()]
