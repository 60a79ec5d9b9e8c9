"""Adjusted odds ratios (Table 2): logistic, conditional logistic and Firth regression; forest plot.

Every choice the paper left open is an argument and is printed with the result:

- ``model="separate"``: one model per indicator plus the ``adjust`` covariates;
  ``model="joint"``: all indicators and covariates in one model.
- ``conditional=True``: conditional logistic regression on the matched sets in ``strata``
  (R's ``survival::clogit``), which accounts for the matching variables by design.
- ``per``: the OR per ``"unit"``, per ``"sd"`` (the indicator's SD in the analysed sample) or per a
  stated increment (e.g. ``10`` HU); the indicator is divided by that amount before fitting.
- ``ci``: ``"wald"`` (β ± z·SE, R's ``confint.default``) or ``"profile"`` (profile likelihood:
  the β where 2·(ℓmax − ℓ) = χ²₁(1 − α) with the other coefficients refitted, solved with
  ``brentq``; R ≥ 4.4's ``confint(glm)`` and logistf's profile-penalised interval; R 4.2 / MASS
  interpolates a spline on a grid and differs in the 5th decimal).
- ``method="firth"``: Firth's penalised likelihood ℓ(β) + ½·log|I(β)| (Heinze & Schemper 2002;
  Heinze & Puhr 2010 for the conditional model), finite under separation. SE from I(β̂)⁻¹.

p-values are Wald z tests (as R's ``summary``, SPSS and Stata print), whatever ``ci`` is.

Fitting. statsmodels supplies the likelihoods (``Logit``; ``ConditionalLogit`` for the
conditional model). They are maximised by one small damped Newton iteration (below) to
max |step| < 1e-10, because (a) statsmodels' ``ConditionalLogit.fit`` defaults to BFGS and stops
early (β off by ~4e-5 on a matched data set) and its covariance is a forward-difference Hessian,
(b) the profile likelihood needs constrained refits with one coefficient held fixed, and (c)
Firth's modified score is not in statsmodels. sklearn's ``LogisticRegression`` is never used: it
is penalised by default.

Separation is detected before fitting by linear programming (``scipy.optimize.linprog``): the
ML estimate does not exist iff some direction d ≠ 0 has (2y − 1)·xᵢd ≥ 0 for every row
(for the conditional model: (x_case − x_control)·d ≥ 0 within every set); "complete" if some d
makes all of them > 0, else "quasi-complete"; a coefficient diverges iff some such d has dⱼ ≠ 0.
With ``method="ml"`` a diverging coefficient is reported as its limit (β = ±inf, OR = inf or 0)
with SE, p and Wald limits NaN (a profile CI keeps its finite bound, as R's profile does); the
other coefficients are those of the last Newton iterate; ``separation`` names the kind,
``converged`` is False, and a :class:`SeparationWarning` says which terms diverge — never the huge
OR of a non-converged fit, never silently. ``method="firth"`` gives finite estimates (the
warning is still issued, as the data are separated).

Events per variable (the rarer outcome class ÷ the number of coefficients, intercept excluded)
below 10 gives a :class:`SmallSampleWarning`.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._plotting import figure_and_axes
from ._results import (
    ConvergenceWarning,
    DegenerateDataWarning,
    Result,
    SeparationWarning,
    SmallSampleWarning,
    concat_excluded,
    make_excluded,
    warn,
)
from ._validate import (
    DataError,
    check_binary_outcome,
    check_columns,
    check_frame,
    check_numeric,
    check_option,
    row_ids,
    split_missing,
)

FUNC = "logistic_or"
MODELS = ("separate", "joint")
CIS = ("wald", "profile")
METHODS = ("ml", "firth")
INTERCEPT = "(Intercept)"
#: Events per variable below which a :class:`SmallSampleWarning` is issued (Peduzzi et al. 1996).
MIN_EPV = 10
TABLE_COLUMNS = (
    "indicator",
    "or",
    "ci_low",
    "ci_high",
    "p",
    "beta",
    "se",
    "n",
    "events",
    "per",
    "model",
    "conditional",
    "adjusted_for",
    "method",
    "ci",
    "separation",
    "converged",
)


@dataclass(frozen=True, eq=False)
class LogisticResult(Result):
    """Odds ratios of the indicators, one row each, and every model's full coefficient table.

    ``.table``: ``indicator``, ``or``, ``ci_low``, ``ci_high``, ``p``, ``beta``, ``se`` (β and SE
    on the ``per`` scale), ``n``, ``events``, ``per``, ``model``, ``conditional``,
    ``adjusted_for`` (covariates, and the other indicators of a joint model), ``method``,
    ``ci``, ``separation`` (``"none"``, ``"quasi-complete"``, ``"complete"``), ``converged``
    (False when the ML estimate does not exist). ``.coefficients``: every term of every model
    (covariate ORs included), with the model's name in ``model``; ``.models`` splits it by model.
    """

    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)
    conventions: tuple[str, ...] = ()

    title: ClassVar[str] = "Adjusted odds ratios (logistic regression)"
    has_plot: ClassVar[bool] = True

    @property
    def models(self) -> dict[str, pd.DataFrame]:
        """Coefficient table of each fitted model, by model name."""
        return {
            str(name): frame.drop(columns="model").reset_index(drop=True)
            for name, frame in self.coefficients.groupby("model", sort=False)
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"table": self.table.copy(), "coefficients": self.coefficients.copy()}

    def notes(self) -> list[str]:
        return list(self.conventions) + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        return plot_forest(self, ax=ax, **kwargs)


# -- likelihoods: loglike, score, hessian (for Firth: −I, the Fisher information) ----------------


class _Logit:
    """Binary logistic likelihood of statsmodels' ``Logit`` (analytic score and Hessian)."""

    def __init__(self, y: np.ndarray, X: np.ndarray) -> None:
        from statsmodels.discrete.discrete_model import Logit

        self.model = Logit(y, X)

    def loglike(self, b: np.ndarray) -> float:
        return float(self.model.loglike(b))

    def score(self, b: np.ndarray) -> np.ndarray:
        return self.model.score(b)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        return self.model.hessian(b)


class _FirthLogit:
    """Firth's penalised logistic likelihood ℓ(β) + ½ log|X'WX| (Heinze & Schemper 2002).

    The modified score is X'(y − π + h(½ − π)) with h the diagonal of the hat matrix
    W^½ X (X'WX)⁻¹ X' W^½; the Newton step uses the Fisher information X'WX (as logistf does).
    """

    def __init__(self, y: np.ndarray, X: np.ndarray) -> None:
        self.y, self.X = y, X
        self.base = _Logit(y, X)

    def _parts(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pi = 1.0 / (1.0 + np.exp(-(self.X @ b)))
        w = pi * (1.0 - pi)
        info = (self.X * w[:, None]).T @ self.X
        return pi, w, info

    def loglike(self, b: np.ndarray) -> float:
        _, _, info = self._parts(b)
        sign, logdet = np.linalg.slogdet(info)
        return self.base.loglike(b) + (0.5 * logdet if sign > 0 else -np.inf)

    def score(self, b: np.ndarray) -> np.ndarray:
        pi, w, info = self._parts(b)
        h = w * np.einsum("ij,ij->i", self.X @ np.linalg.pinv(info), self.X)
        return self.X.T @ (self.y - pi + h * (0.5 - pi))

    def hessian(self, b: np.ndarray) -> np.ndarray:
        return -self._parts(b)[2]

    def newton_hessian(self, b: np.ndarray) -> np.ndarray:
        return _penalised_hessian(self, b)


def _penalised_hessian(lik: Any, b: np.ndarray) -> np.ndarray:
    """Hessian for Newton steps on a Firth likelihood: the central-difference Jacobian of the
    modified score, with any non-negative eigenvalue λ replaced by −max(|λ|, 1e-8·scale) so that
    the step is an ascent direction (saddle-free Newton; the step halving keeps ℓ* increasing).

    Fisher scoring (logistf's step) converges only linearly under separation, where the
    penalty's own curvature dominates (ratio ~0.98 per step on a separated matched data set).
    """
    from statsmodels.tools.numdiff import approx_fprime

    h = np.atleast_2d(approx_fprime(b, lik.score, centered=True))
    values, vectors = np.linalg.eigh((h + h.T) / 2)
    floor = 1e-8 * max(np.max(np.abs(values)), 1e-300)
    values = -np.maximum(np.abs(values), floor)
    return (vectors * values) @ vectors.T


class _Sets:
    """Matched sets with exactly one case each, sorted by set, for vectorised conditional terms.

    With one case per set the conditional likelihood is a multinomial logit within the set:
    ℓ = Σ_sets [x_case·β − log Σ_members exp(x·β)], and −∂²ℓ = Σ_sets Cov_p(x) with p the
    within-set softmax. statsmodels' ``ConditionalLogit`` has no analytic Hessian (it
    differentiates the score numerically, forward differences), so it is written out here.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> None:
        order = np.argsort(groups, kind="stable")
        self.X, self.y, g = X[order], y[order], groups[order]
        self.starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        self.index = np.cumsum(np.r_[False, g[1:] != g[:-1]])
        self.case_x = np.add.reduceat(self.X * self.y[:, None], self.starts, axis=0)

    def moments(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Log-likelihood, within-set probabilities p, centred rows d, information Σ p·d·d'."""
        eta = self.X @ b
        top = np.maximum.reduceat(eta, self.starts)
        e = np.exp(eta - top[self.index])
        total = np.add.reduceat(e, self.starts)
        p = e / total[self.index]
        mean = np.add.reduceat(self.X * p[:, None], self.starts, axis=0)
        d = self.X - mean[self.index]
        ll = float(np.sum(self.case_x @ b) - np.sum(top + np.log(total)))
        return ll, p, d, (d * p[:, None]).T @ d


class _ConditionalLogit:
    """Conditional logistic likelihood of statsmodels' ``ConditionalLogit`` (exact, any set).

    The Hessian is analytic when every set has one case (:class:`_Sets`), else a central
    difference of statsmodels' analytic score (error ~1e-10, vs ~1e-6 for forward differences).
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> None:
        from statsmodels.discrete.conditional_models import ConditionalLogit

        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            self.model = ConditionalLogit(y, X, groups=groups)
        one_case = pd.Series(y).groupby(groups).sum().eq(1).all()
        self.sets = _Sets(y, X, groups) if one_case else None

    def loglike(self, b: np.ndarray) -> float:
        return float(self.model.loglike(b))

    def score(self, b: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.score(b), dtype=float)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        if self.sets is not None:
            return -self.sets.moments(b)[3]
        from statsmodels.tools.numdiff import approx_fprime

        h = np.atleast_2d(approx_fprime(b, self.score, centered=True))
        return (h + h.T) / 2


class _FirthConditional:
    """Penalised conditional likelihood ℓ_c(β) + ½ log|I_c(β)| (Heinze & Puhr 2010).

    One case per set. ∂I/∂β_k = Σ p·d_k·d·d' (third central moment within the set), so the
    penalty's gradient is ½ tr(I⁻¹ ∂I/∂β_k); Newton steps use I_c.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> None:
        self.sets = _Sets(y, X, groups)

    def loglike(self, b: np.ndarray) -> float:
        ll, _, _, info = self.sets.moments(b)
        sign, logdet = np.linalg.slogdet(info)
        return ll + (0.5 * logdet if sign > 0 else -np.inf)

    def score(self, b: np.ndarray) -> np.ndarray:
        _, p, d, info = self.sets.moments(b)
        inv = np.linalg.pinv(info)
        grad = self.sets.case_x.sum(axis=0) - np.add.reduceat(
            self.sets.X * p[:, None], self.sets.starts, axis=0
        ).sum(axis=0)
        # ½ tr(I⁻¹ Σ p d_k d d') = ½ Σ_rows p·d_k·(d' I⁻¹ d)
        quad = np.einsum("ij,jk,ik->i", d, inv, d)
        return grad + 0.5 * (d * (p * quad)[:, None]).sum(axis=0)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        return -self.sets.moments(b)[3]

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
        scale = max(float(np.trace(h)) / h.shape[0], 1e-12)
        try:
            newton = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            newton = np.linalg.lstsq(h, g, rcond=None)[0]
        candidates = [newton / 2**k for k in range(7)]
        candidates += (
            np.linalg.solve(h + scale * 10.0**k * np.eye(h.shape[0]), g) for k in range(-3, 13)
        )
        for step in candidates:
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


def _cold_start(lik: Any, size: int, j: int, value: float) -> np.ndarray:
    """Zeros with β_j = ``value``; an intercept (column 0 of a logistic design) is set so that
    the mean linear predictor is logit(ȳ), keeping the fitted probabilities off 0 and 1."""
    start = np.zeros(size)
    start[j] = value
    model = getattr(getattr(lik, "base", lik), "model", None)
    X = getattr(model, "exog", None)
    if j != 0 and X is not None and isinstance(lik, _Logit | _FirthLogit) and np.all(X[:, 0] == 1):
        ybar = float(np.mean(model.endog))
        start[0] = np.log(ybar / (1 - ybar)) - value * float(np.mean(X[:, j]))
    return start


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

    The bound solves 2(ℓmax − ℓ_profile(β_j)) = ``crit`` (brentq); one that is not reached
    within β̂ ± 2¹¹·SE (the profile flattens out, e.g. under separation) is returned as ∓inf.
    ``j`` is appended to ``failed`` if a constrained refit did not converge. The log-likelihood
    is concave; Firth's penalised one need not be (it can have several local maxima under
    heavy separation), so its constrained refits start twice (at β̂ and cold), keep the higher,
    and append ``j`` to ``multimodal`` when the cold start found the higher one.
    """
    from scipy.optimize import brentq

    penalised = isinstance(lik, _FirthLogit | _FirthConditional)

    def excess(value: float) -> float:
        start = b.copy()
        start[j] = value
        fitted, ok = _newton(lik, start, fixed=j, maxiter=100)
        if not ok or penalised:  # a warm start far out can stall (separation): restart cold
            cold, ok_cold = _newton(lik, _cold_start(lik, b.size, j, value), fixed=j, maxiter=100)
            gap = lik.loglike(cold) - lik.loglike(fitted)
            # (a cold start that ends lower may sit on a numerically flat plateau: ignored)
            if penalised and ok and ok_cold and gap > 1e-6 and multimodal is not None:
                multimodal.append(j)
            if gap > 0 or not ok:
                fitted, ok = (cold, ok_cold) if gap > 0 else (fitted, ok)
        if not ok and failed is not None:
            failed.append(j)
        return 2.0 * (ll_max - lik.loglike(fitted)) - crit

    inner, width = b[j], se if np.isfinite(se) and se > 0 else 1.0
    for _ in range(12):
        outer = b[j] + sign * width
        if excess(outer) > 0:
            return float(brentq(excess, inner, outer, xtol=1e-10, rtol=1e-12))
        inner, width = outer, width * 2
    return sign * np.inf


# -- separation ------------------------------------------------------------------------------


def _separation(A: np.ndarray) -> tuple[str, np.ndarray]:
    """Kind of separation of the rows ``A`` (a_i·d ≥ 0 for all i) and the diverging coefficients.

    ``A`` holds (2y − 1)·x_i for the logistic model, x_case − x_control for the conditional one.
    Columns are rescaled to max |a| = 1 (the cone is unchanged); d is boxed in [−1, 1].
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


# -- input -----------------------------------------------------------------------------------


def _as_names(value: str | Sequence[str] | None, param: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in names):
        raise TypeError(f"`{param}` of {FUNC}() must be a column name or a list of names.")
    if len(set(names)) != len(names):
        raise DataError(f"{FUNC}(): `{param}` lists a column twice: {names}.")
    return names


def _check_per(per: Any, indicators: list[str]) -> dict[str, Any]:
    """``per`` for each indicator: "unit", "sd" or a positive number."""
    mapping = dict(per) if isinstance(per, Mapping) else dict.fromkeys(indicators, per)
    unknown = [k for k in mapping if k not in indicators]
    if unknown:
        raise ValueError(f"`per` of {FUNC}() names columns that are not indicators: {unknown}.")
    for name in indicators:
        value = mapping.setdefault(name, "unit")
        ok = value in ("unit", "sd") or (
            isinstance(value, int | float | np.number)
            and not isinstance(value, bool)
            and np.isfinite(value)
            and value > 0
        )
        if not ok:
            raise ValueError(
                f'`per` of {FUNC}() must be "unit", "sd" or a positive number (e.g. 10 for '
                f"an OR per 10 HU), or a mapping indicator -> one of these; got {value!r}."
            )
    return mapping


def _encode(
    data: pd.DataFrame, adjust: list[str]
) -> tuple[dict[str, list[str]], pd.DataFrame, list]:
    """Numeric design columns of the covariates; non-numeric ones one-hot, first level reference.

    Returns ``{covariate: [design columns]}``, the columns (NaN where the covariate is missing)
    and notes stating each encoding.
    """
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, list[str]] = {}
    notes = []
    for var in adjust:
        col = data[var]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            columns[var] = col.to_numpy(dtype=float, na_value=np.nan)
            terms[var] = [var]
            continue
        levels = sorted(col.dropna().astype(str).unique())
        terms[var] = []
        for level in levels[1:]:
            name = f"{var}={level}"
            columns[name] = np.where(col.isna(), np.nan, (col.astype(str) == level).astype(float))
            terms[var].append(name)
        if levels:
            shown = ", ".join(repr(v) for v in levels[1:]) or "none"
            notes.append(
                f"{var} encoded as indicator(s) of {shown} (reference {levels[0]!r}); "
                "non-numeric covariates take their first sorted level as reference."
            )
    return terms, pd.DataFrame(columns, index=data.index), notes


@dataclass
class _Design:
    """One model's analysed rows, design matrix and bookkeeping."""

    name: str
    indicators: list[str]
    terms: list[str]
    y: np.ndarray
    X: np.ndarray
    groups: np.ndarray | None
    per_text: dict[str, str]
    covariates: list[str]
    dropped_within: list[str]


def _design(
    name: str,
    inds: list[str],
    frame: pd.DataFrame,
    cov_terms: dict[str, list[str]],
    per: dict[str, Any],
    conditional: bool,
    strata: str,
    pending: list,
) -> _Design:
    """Design of one model on the rows in ``frame`` (complete and informative already)."""
    y = frame["_y"].to_numpy(int)
    cols, terms, per_text = [], [], {}
    for ind in inds:
        x = frame[ind].to_numpy(float)
        if np.ptp(x) == 0:
            raise DataError(
                f"{FUNC}(): indicator '{ind}' is constant (all {x[0]:g}) in the {len(x)} rows "
                f"analysed in model '{name}'; it cannot be related to the outcome. Remove it "
                "or check its values."
            )
        scale = per[ind]
        if scale == "unit":
            div, per_text[ind] = 1.0, "1 unit"
        elif scale == "sd":
            div = float(np.std(x, ddof=1))
            per_text[ind] = f"1 SD = {div:.4g}"
        else:
            div, per_text[ind] = float(scale), f"{float(scale):g}"
        cols.append(x / div)
        terms.append(ind)
    covariates, dropped = [], []
    groups = frame[strata].to_numpy() if conditional else None
    for var, var_terms in cov_terms.items():
        kept = []
        if not var_terms:
            pending.append(
                (
                    f"{FUNC}(): covariate '{var}' has one level only; it was left out of model "
                    f"'{name}'.",
                    DegenerateDataWarning,
                )
            )
        for t in var_terms:
            x = frame[t].to_numpy(float)
            if conditional:
                spread = pd.Series(x).groupby(groups).agg(np.ptp).to_numpy()
                if np.all(spread == 0):
                    dropped.append(t)
                    continue
            elif np.ptp(x) == 0:
                pending.append(
                    (
                        f"{FUNC}(): covariate '{t}' is constant ({x[0]:g}) in the rows of "
                        f"model '{name}' and was left out of it.",
                        DegenerateDataWarning,
                    )
                )
                continue
            kept.append(t)
            cols.append(x)
            terms.append(t)
        if kept:
            covariates.append(var)
    X = np.column_stack(cols)
    if not conditional:
        X = np.c_[np.ones(len(y)), X]
        terms = [INTERCEPT, *terms]
    return _Design(name, inds, terms, y, X, groups, per_text, covariates, dropped)


def _check_rank(design: _Design) -> None:
    X = design.X
    if design.groups is not None:
        means = pd.DataFrame(X).groupby(design.groups).transform("mean").to_numpy()
        X = X - means
    if np.linalg.matrix_rank(X) == X.shape[1]:
        return
    redundant = []
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(X[:, :j]) < j:
            redundant.append(design.terms[j - 1])
            X = np.delete(X, j - 1, axis=1)
            break
    what = "within the matched sets " if design.groups is not None else ""
    raise DataError(
        f"{FUNC}(): the variables of model '{design.name}' are collinear {what}('{redundant[0]}' "
        f"is a linear combination of the others: {', '.join(design.terms)}). Remove one of them."
    )


# -- fitting ---------------------------------------------------------------------------------


def _fit(
    design: _Design, method: str, ci: str, alpha: float, pending: list
) -> tuple[pd.DataFrame, str, bool]:
    """Fit one model; return its coefficient table, separation kind and convergence.

    Under separation with ``method="ml"`` the diverging coefficients are reported as their
    limit (β = ±inf, OR = inf or 0) with SE, p and Wald limits NaN; a profile CI keeps its
    finite bound. The other coefficients are those of the last Newton iterate.
    """
    from scipy.stats import chi2, norm

    y, X, groups = design.y, design.X, design.groups
    if groups is None:
        lik = _FirthLogit(y, X) if method == "firth" else _Logit(y, X)
        A = X * (2 * y - 1)[:, None]
    else:
        if method == "firth":
            lik = _FirthConditional(y, X, groups)
        else:
            lik = _ConditionalLogit(y, X, groups)
        A = _contrasts(y, X, groups)
    kind, diverging = _separation(A)
    terms = [t for t, d in zip(design.terms, diverging, strict=True) if d]
    if method == "firth":
        diverging = np.zeros_like(diverging)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        b, converged = _newton(lik, np.zeros(X.shape[1]), maxiter=60)
        info = -lik.hessian(b)
        keep = ~diverging
        cov = np.full((b.size, b.size), np.nan)
        if keep.any():
            sub = info[np.ix_(keep, keep)]
            try:
                cov[np.ix_(keep, keep)] = np.linalg.inv(sub)
            except np.linalg.LinAlgError:
                cov[np.ix_(keep, keep)] = np.linalg.pinv(sub)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    if kind != "none":
        remedy = (
            f"Firth's penalised estimates (of {', '.join(terms) or 'all terms'} too) are finite "
            "and reported."
            if method == "firth"
            else f"The ML estimate of {', '.join(terms) or 'some terms'} does not exist "
            "(β → ±∞): reported as OR = inf or 0 without SE/p; the other estimates are "
            "unreliable. Use method='firth' (penalised likelihood) or simplify the model."
        )
        pending.append(
            (f"{FUNC}(): {kind} separation in model '{design.name}'. {remedy}", SeparationWarning)
        )
    elif not converged:
        pending.append(
            (
                f"{FUNC}(): the fit of model '{design.name}' did not converge in 60 Newton "
                "steps; its estimates are unreliable.",
                ConvergenceWarning,
            )
        )
    if method == "ml" and kind != "none":
        converged = False  # the MLE does not exist, whatever the iteration's step size did
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = b / se
        p = 2 * norm.sf(np.abs(zval))
        low, high = b - z * se, b + z * se
    if ci == "profile":
        ll_max = lik.loglike(b)
        crit = float(chi2.ppf(1 - alpha, 1))
        failed: list[int] = []
        multimodal: list[int] = []
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
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
    b = np.where(diverging, np.sign(b) * np.inf, b)
    with np.errstate(over="ignore"):
        table = pd.DataFrame(
            {
                "term": design.terms,
                "beta": b,
                "se": se,
                "z": zval,
                "p": p,
                "or": np.exp(b),
                "ci_low": np.exp(low),
                "ci_high": np.exp(high),
                "per": [design.per_text.get(t, "1 unit") for t in design.terms],
                "diverging": diverging,
            }
        )
    return table, kind, converged


def _contrasts(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Rows x_case − x_control for every case–control pair within each matched set."""
    rows = []
    for g in pd.unique(groups):
        in_g = groups == g
        cases, ctrls = X[in_g & (y == 1)], X[in_g & (y == 0)]
        rows.append((cases[:, None, :] - ctrls[None, :, :]).reshape(-1, X.shape[1]))
    return np.vstack(rows)


# -- public ----------------------------------------------------------------------------------


def logistic_or(
    data: pd.DataFrame,
    indicators: str | Sequence[str],
    *,
    outcome: str = "case",
    adjust: Sequence[str] | None = ("age", "sex", "bmi"),
    model: str = "separate",
    conditional: bool = False,
    strata: str = "pair_id",
    per: str | float | Mapping[str, str | float] = "unit",
    ci: str = "wald",
    method: str = "ml",
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> LogisticResult:
    """Odds ratio of each indicator for the outcome, adjusted for ``adjust`` (Table 2).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient: ``outcome`` (0/1), the indicators and covariates (and ``strata``
        for ``conditional=True``, e.g. ``match_controls(...).matched``).
    indicators : str or sequence of str
        Numeric columns whose ORs are reported.
    outcome : str, default "case"
    adjust : sequence of str, default ("age", "sex", "bmi")
        Covariates in every model. Non-numeric ones are one-hot encoded with their first sorted
        level as reference (``sex``: indicator of "M", reference "F"). ``()`` for crude ORs.
    model : {"separate", "joint"}
        One model per indicator, or all indicators in one model.
    conditional : bool, default False
        Conditional logistic regression on the matched sets in ``strata``.
    strata : str, default "pair_id"
    per : "unit", "sd", positive number, or mapping indicator -> one of these
        The increment the OR refers to; ``"sd"`` is the SD in the model's analysed rows.
    ci : {"wald", "profile"}
    method : {"ml", "firth"}
        Maximum likelihood or Firth's penalised likelihood.
    alpha : float, default 0.05
        1 − confidence level.
    id_col : str, default "patient_id"

    Returns
    -------
    LogisticResult

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import logistic_or
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0], "hu": [80, 95, 70, 120, 90, 130, 110,
    ...                    100]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 4 events: events per variable < 10
    ...     res = logistic_or(df, "hu", adjust=(), per=10)
    >>> round(float(res.table.loc[0, "or"]), 4), res.table.loc[0, "per"]
    (0.4489, '10')
    """
    check_frame(data, FUNC)
    inds = _as_names(indicators, "indicators")
    if not inds:
        raise DataError(f"{FUNC}(): give at least one indicator column.")
    adj = _as_names(adjust, "adjust")
    check_option(model, MODELS, FUNC, "model")
    check_option(ci, CIS, FUNC, "ci")
    check_option(method, METHODS, FUNC, "method")
    if not isinstance(conditional, bool | np.bool_):
        raise TypeError(f"`conditional` of {FUNC}() must be True or False; got {conditional!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` of {FUNC}() must be in (0, 1); got {alpha!r}.")
    per_map = _check_per(per, inds)
    both = [c for c in inds if c in adj]
    if both:
        raise DataError(
            f"{FUNC}(): {both} appear both as indicator and in `adjust`. Keep each column in "
            "one place."
        )
    needed = [outcome, *inds, *adj] + ([strata] if conditional else [])
    check_columns(data, needed, FUNC)
    idc = id_col if id_col in data.columns else None
    frame = data.reset_index(drop=True)
    y = check_binary_outcome(frame, outcome, FUNC, idc)
    work = pd.DataFrame({"_y": y}, index=frame.index)
    for ind in inds:
        work[ind] = check_numeric(frame, ind, FUNC, idc)
    cov_terms, cov_cols, conventions = _encode(frame, adj)
    work = pd.concat([work, cov_cols], axis=1)
    if conditional:
        work[strata] = frame[strata]
    work["_id"] = row_ids(frame, None, idc)

    notes: list[str] = []
    pending: list[tuple[str, type[Warning]]] = []  # issued from here: the user's line is shown
    groups_of_models = [(i, [i]) for i in inds] if model == "separate" else [("joint", inds)]
    excluded_parts, rows, coef_tables = [], [], []
    for name, model_inds in groups_of_models:
        model_cols = [*model_inds, *adj] + ([strata] if conditional else [])
        check_view = frame[model_cols].copy()
        if idc:
            check_view[idc] = frame[idc]
        _, missing = split_missing(check_view, model_cols, idc)
        excluded_parts.append(missing)
        design_cols = [*model_inds, *(t for v in adj for t in cov_terms[v])]
        keep = ~check_view[model_cols].isna().any(axis=1).to_numpy()
        sub = work[keep]
        if conditional:
            informative = sub.groupby(strata)["_y"].transform("nunique") == 2
            lost = sub[~informative.to_numpy(bool)]
            excluded_parts.append(
                make_excluded(
                    list(lost["_id"]),
                    strata,
                    "no case–control contrast left in its matched set",
                )
            )
            sub = sub[informative.to_numpy(bool)]
            if method == "firth" and (sub.groupby(strata)["_y"].sum() > 1).any():
                raise DataError(
                    f"{FUNC}(): method='firth' with conditional=True needs one case per matched "
                    f"set; some sets in '{strata}' have several. Use method='ml', or recode the "
                    "sets."
                )
        events = int(sub["_y"].sum()) if len(sub) else 0
        if events == 0 or events == len(sub):
            raise DataError(
                f"{FUNC}(): model '{name}' has "
                + (
                    "no rows"
                    if len(sub) == 0
                    else f"one outcome class only (all {sub['_y'].iloc[0]})"
                )
                + f" after dropping rows with missing {', '.join(model_cols)}"
                + (" and matched sets without a case and a control" if conditional else "")
                + ". Both cases and controls are needed."
            )
        design = _design(
            name,
            model_inds,
            sub[["_y", *design_cols, *([strata] if conditional else [])]],
            cov_terms,
            per_map,
            conditional,
            strata,
            pending,
        )
        n_params = design.X.shape[1] - (0 if conditional else 1)
        if len(sub) <= design.X.shape[1]:
            raise DataError(
                f"{FUNC}(): model '{name}' has {len(sub)} analysed rows for {design.X.shape[1]} "
                "parameters; more rows are needed (or fewer covariates)."
            )
        _check_rank(design)
        minority = min(events, len(sub) - events)
        epv = minority / n_params
        if epv < MIN_EPV:
            pending.append(
                (
                    f"{FUNC}(): model '{name}' has {minority} events (the rarer outcome class) "
                    f"for {n_params} coefficient(s): {epv:.1f} events per variable, below "
                    f"{MIN_EPV}; the estimates may be biased and the CIs too narrow. Consider "
                    "fewer covariates or method='firth'.",
                    SmallSampleWarning,
                )
            )
        table, kind, converged = _fit(design, method, ci, alpha, pending)
        table.insert(0, "model", name)
        table["n"] = len(sub)
        table["events"] = events
        coef_tables.append(table)
        adjusted = [v for v in adj if v in design.covariates]
        for ind in model_inds:
            others = [i for i in model_inds if i != ind]
            text = ", ".join([*adjusted, *others]) or "none"
            if conditional:
                text = f"matched sets ({strata})" + ("; " + text if text != "none" else "")
            r = table.loc[table["term"] == ind].iloc[0]
            rows.append(
                {
                    "indicator": ind,
                    "or": r["or"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p": r["p"],
                    "beta": r["beta"],
                    "se": r["se"],
                    "n": len(sub),
                    "events": events,
                    "per": design.per_text[ind],
                    "model": model,
                    "conditional": bool(conditional),
                    "adjusted_for": text,
                    "method": method,
                    "ci": ci,
                    "separation": kind,
                    "converged": bool(converged),
                }
            )
        if design.dropped_within:
            conventions.append(
                f"Model '{name}': {', '.join(design.dropped_within)} constant within every "
                "matched set, so it drops out of the conditional likelihood (already matched on)."
            )
    for message, category in pending:
        warn(notes, message, category)
    conventions[:0] = _conventions(model, conditional, strata, per_map, ci, method, alpha)
    coefficients = pd.concat(coef_tables, ignore_index=True)
    excluded = _dedupe(concat_excluded(excluded_parts))
    settings = {
        "indicators": tuple(inds),
        "outcome": outcome,
        "adjust": tuple(adj),
        "model": model,
        "conditional": bool(conditional),
        "strata": strata if conditional else None,
        "per": per if not isinstance(per, Mapping) else dict(per),
        "ci": ci,
        "method": method,
        "alpha": alpha,
    }
    return LogisticResult(
        table=pd.DataFrame(rows, columns=list(TABLE_COLUMNS)),
        excluded=excluded,
        warnings=tuple(notes),
        settings=settings,
        coefficients=coefficients,
        conventions=tuple(dict.fromkeys(conventions)),
    )


def _dedupe(excluded: pd.DataFrame) -> pd.DataFrame:
    """One excluded row per (id, variable) across models."""
    if excluded.empty:
        return excluded
    key = excluded["id"].astype(str) + "\x00" + excluded["variable"].astype(str)
    return excluded[~key.duplicated()].reset_index(drop=True)


def _conventions(
    model: str,
    conditional: bool,
    strata: str,
    per: dict[str, Any],
    ci: str,
    method: str,
    alpha: float,
) -> list[str]:
    level = f"{100 * (1 - alpha):g}%"
    lines = [
        (
            "One model per indicator, each with the adjustment covariates."
            if model == "separate"
            else "One joint model with all indicators and covariates: each OR is also adjusted "
            "for the other indicators."
        ),
        "Rows with a missing value in a model's variables are dropped from that model only "
        "(listed under excluded); n and events are per model.",
    ]
    if conditional:
        lines.append(
            f"Conditional logistic regression on the matched sets in '{strata}' (as R's clogit): "
            "the matching variables are accounted for by design, so adjusting for them again is "
            "unnecessary. Sets without both a case and a control, and sets whose members share "
            "all model values, contribute nothing."
        )
    scales = sorted(
        {"SD" if v == "sd" else "unit" if v == "unit" else f"{v:g}" for v in per.values()}
    )
    lines.append(
        f"OR per {' / '.join(scales)} of the indicator (column 'per'; SD in the analysed rows)."
    )
    lines.append(
        f"{level} CI: "
        + (
            "Wald, exp(β ± z·SE)."
            if ci == "wald"
            else "profile likelihood (2·Δloglik = χ²₁ quantile, other coefficients refitted)."
        )
        + " p: Wald z test."
    )
    if method == "firth":
        lines.append(
            "Firth's penalised likelihood (loglik + ½·log det of the information): finite "
            "estimates under separation, less small-sample bias; SE from the inverse "
            "information at the penalised estimate"
            + ("; profile CI of the penalised likelihood (as logistf)." if ci == "profile" else ".")
        )
    return lines


def plot_forest(
    result: LogisticResult,
    ax: Any = None,
    *,
    covariates: bool = False,
) -> Any:
    """Forest plot: OR and CI of each indicator on a log axis, reference line at OR = 1.

    Parameters
    ----------
    result : LogisticResult
    ax : matplotlib Axes, optional
    covariates : bool, default False
        Also draw the covariates' ORs (from ``result.coefficients``).

    Examples
    --------
    >>> import pandas as pd, warnings
    >>> from ovcfstats import logistic_or, plot_forest
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0], "hu": [80, 95, 70, 120, 90, 130,
    ...                    110, 100], "vbq": [3.1, 2.9, 3.5, 2.5, 3.0, 2.2, 2.4, 2.8]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fig = plot_forest(logistic_or(df, ["hu", "vbq"], adjust=(), per="sd"))
    >>> fig.axes[0].get_xscale()
    'log'
    """
    if not isinstance(result, LogisticResult):
        raise TypeError(f"plot_forest() needs the result of logistic_or(); got {type(result)}.")
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    from ._format import Style, format_estimate_ci
    from ._plotting import indicator_color

    style = Style()
    table = result.table
    frame = pd.DataFrame(
        {
            "label": [
                f"{style.heading(v)} (per {str(p).replace('-', '−')})"
                for v, p in zip(table["indicator"], table["per"], strict=True)
            ],
            "name": table["indicator"].astype(str),
            "or": table["or"],
            "ci_low": table["ci_low"],
            "ci_high": table["ci_high"],
        }
    )
    if covariates:
        coefs = result.coefficients
        inds = set(table["indicator"])
        extra = coefs[~coefs["term"].isin(inds) & (coefs["term"] != INTERCEPT)]
        extra = extra.assign(
            label=[
                f"{style.label(t)} [{style.label(str(m))} model]"
                for t, m in zip(extra["term"], extra["model"], strict=True)
            ],
            name="",
        )
        frame = pd.concat(
            [frame, extra[["label", "name", "or", "ci_low", "ci_high"]]], ignore_index=True
        )
    fig, ax = figure_and_axes(ax, figsize=(7.0, 1.2 + 0.45 * len(frame)))
    y = np.arange(len(frame))[::-1]
    finite = frame[["or", "ci_low", "ci_high"]].replace([np.inf, 0.0], np.nan)
    for i, row in enumerate(finite.itertuples(index=False)):
        colour = indicator_color(frame["name"].iloc[i], 3) if frame["name"].iloc[i] else "black"
        ax.errorbar(
            row[0],
            y[i],
            xerr=[[row[0] - row[1]], [row[2] - row[0]]],
            fmt="s",
            color=colour,
            ecolor=colour,
            capsize=3,
        )
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    values = finite.to_numpy(float)
    values = values[np.isfinite(values)]
    low, high = (values.min(), values.max()) if values.size else (1.0, 1.0)
    steps = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)
    if high / low > 300:  # over two decades: 1–3–10 steps keep the labels apart
        steps = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300)
    ticks = [t for t in steps if low / 1.5 <= t <= high * 1.5] or [1]
    if high / low < 1e5:  # else (separation) matplotlib's powers of ten
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_yticks(y, frame["label"])
    ax.set_ylim(-0.7, len(frame) - 0.3)
    level = 100 * (1 - float(result.settings.get("alpha", 0.05)))
    ci = "profile-likelihood" if table["ci"].iloc[0] == "profile" else "Wald"
    ax.set_xlabel(f"Adjusted odds ratio ({level:g}% {ci} CI, log scale)")
    # the numbers beside the bars, as a journal's forest plot prints them
    transform = ax.get_yaxis_transform()
    ax.text(1.03, len(frame) - 0.4, f"OR ({level:g}% CI)", transform=transform,
            fontweight="bold", va="bottom", fontsize="small")
    for i, row in enumerate(frame.itertuples(index=False)):
        ax.text(1.03, y[i], format_estimate_ci(row[2], row[3], row[4], 2), transform=transform,
                va="center", fontsize="small")
    return fig
