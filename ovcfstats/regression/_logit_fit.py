"""Fitting one logistic model of :func:`ovcfstats.logistic_or`: estimates, SE, CIs, p-values.

Separation is checked by linear programming only when the maximum-likelihood fit signals
divergence (no convergence, or a fitted probability saturated at 0 or 1): the LP over every
row costs far more than the fit on large data, and a fit that converges with no saturated
probability has a finite maximum, so the data are not separated. Newton and profile loops run
with one BLAS thread: the small matrix products of each step are slower, and erratic, when the
threads of a 2-core machine compete.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .._results import ConvergenceWarning, SeparationWarning
from .._validate import power_scale
from ._clogit import _ConditionalLogit, _FirthConditional
from ._likelihood import _FirthLogit, _Logit, _newton
from ._profile import _penalised_lr_p, _profile_ci
from ._separation import _contrasts, _separation

FUNC = "logistic_or"


_CONTROLLER: list[Any] = []  # one threadpoolctl controller: finding the libraries costs ~4 ms


def _one_blas_thread() -> Any:
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def _engines(design: Any, method: str) -> tuple[Any, Any]:
    """The likelihood to maximise and the ML likelihood whose fit signals separation."""
    y, X, groups = design.y, design.X, design.groups
    if groups is None:
        ml = _Logit(y, X)
        return (_FirthLogit(y, X) if method == "firth" else ml), ml
    ml = _ConditionalLogit(y, X, groups)
    return (_FirthConditional(y, X, groups) if method == "firth" else ml), ml


def _check_separation(design: Any, ml: Any, b_ml: np.ndarray, ok: bool) -> tuple[str, np.ndarray]:
    """Separation kind and diverging terms; the LP runs only if the ML fit signals divergence."""
    p = design.X.shape[1]
    if ok and not ml.saturated(b_ml):
        return "none", np.zeros(p, bool)
    y, X = design.y, design.X
    A = X * (2 * y - 1)[:, None] if design.groups is None else _contrasts(y, X, design.groups)
    return _separation(A)


def _fit(
    design: Any, method: str, ci: str, alpha: float, pending: list
) -> tuple[dict[str, Any], str, bool]:
    """Fit one model; return its coefficient columns, separation kind and convergence.

    Under separation with ``method="ml"`` the diverging coefficients are reported as their
    limit (β = ±inf, OR = inf or 0) with SE, p and Wald limits NaN; a profile CI keeps its
    finite bound. The other coefficients are those of the last Newton iterate. With
    ``method="firth"`` the table also has ``p_lr``, the penalised-likelihood-ratio p.
    """
    from scipy.special import ndtr, ndtri

    # Fit on columns of root-mean-square 1, then scale back: every estimate, SE and bound is
    # equivariant under this (Firth's penalty changes by a constant), while the Newton solves
    # stay well conditioned when an indicator is per HU and another per mm² of muscle.
    unit = power_scale(design.X)  # columns near 1e300: their RMS without overflow
    scale = unit * np.sqrt(np.mean((design.X / unit) ** 2, axis=0))
    scale[~(scale > 0)] = 1.0
    design = replace(design, X=design.X / scale)
    lik, ml = _engines(design, method)
    with _one_blas_thread(), np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        b_ml, ok_ml = _newton(ml, np.zeros(design.X.shape[1]), maxiter=60)
        kind, diverging = _check_separation(design, ml, b_ml, ok_ml)
        b, converged = (b_ml, ok_ml) if lik is ml else _newton(lik, np.zeros(b_ml.size))
        terms = [t for t, d in zip(design.terms, diverging, strict=True) if d]
        if method == "firth":
            diverging = np.zeros_like(diverging)
        se = _standard_errors(-lik.hessian(b), ~diverging)
        _warn_fit(design.name, kind, converged, method, terms, pending)
        if method == "ml" and kind != "none":
            converged = False  # the MLE does not exist, whatever the iteration's step size did
        z = ndtri(1 - alpha / 2)
        zval = b / se
        p = 2 * ndtr(-np.abs(zval))
        low, high = b - z * se, b + z * se
        if ci == "profile":
            low, high = _profile_ci(lik, b, se, diverging, alpha, design, method, kind, pending)
        p_lr = _penalised_lr_p(lik, b) if method == "firth" else None
        b, se, low, high = b / scale, se / scale, low / scale, high / scale
        b = np.where(diverging, np.sign(b) * np.inf, b)
        columns = {"term": design.terms, "beta": b, "se": se, "z": zval, "p": p}
        if p_lr is not None:
            columns["p_lr"] = p_lr
        columns |= {
            "or": np.exp(b),
            "ci_low": np.exp(low),
            "ci_high": np.exp(high),
            "per": [design.per_text.get(t, "1 unit") for t in design.terms],
            "diverging": diverging,
        }
    return columns, kind, converged


def _standard_errors(info: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """√diag of the inverse information over the ``keep`` terms; NaN for the others."""
    cov = np.full(info.shape, np.nan)
    if keep.any():
        sub = info[np.ix_(keep, keep)]
        try:
            cov[np.ix_(keep, keep)] = np.linalg.inv(sub)
        except np.linalg.LinAlgError:
            cov[np.ix_(keep, keep)] = np.linalg.pinv(sub)
    return np.sqrt(np.clip(np.diag(cov), 0, None))


def _warn_fit(
    name: str, kind: str, converged: bool, method: str, terms: list[str], pending: list
) -> None:
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
            (f"{FUNC}(): {kind} separation in model '{name}'. {remedy}", SeparationWarning)
        )
    elif not converged:
        pending.append(
            (
                f"{FUNC}(): the fit of model '{name}' did not converge in 60 Newton "
                "steps; its estimates are unreliable.",
                ConvergenceWarning,
            )
        )


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
            + " p_lr: penalised likelihood ratio test (logistf's default p)."
        )
    return lines
