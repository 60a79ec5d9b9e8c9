"""The arithmetic of the covariate-adjusted ROC: the control model, the placement values and
the bootstrap by resampling matched sets or patients.

Hand-written because no Python package offers the covariate-adjusted ROC (R ROCnReg and Stata
``rocreg`` do). Every fit is a weighted least-squares fit in the controls, so that a bootstrap
resample is a vector of multiplicities (how often each patient was drawn) and nothing is copied;
the placements come from one sort of the control residuals and two ``searchsorted`` calls.
Fitted values are sums of elementwise products (not a BLAS product) so that two patients with the
same reading and covariates get bitwise the same residual and tie as they should.
"""

from __future__ import annotations

import numpy as np


def fitted(design: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``design @ beta`` column by column: the same operations for every row (exact ties)."""
    out = design[:, 0] * beta[0]
    for j in range(1, design.shape[1]):
        out += design[:, j] * beta[j]
    return out


def wls(design: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares coefficients (minimum-norm when a resample is rank deficient)."""
    root = np.sqrt(w)
    return np.linalg.lstsq(design * root[:, None], y * root, rcond=None)[0]


def scale_fit(design: np.ndarray, control: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """σ(Z) ∝ exp(Zγ) for every patient: a log-link quasi-Poisson fit of |residual| on the
    covariates in the controls (IRLS).

    Only ratios of σ between patients matter (the placements compare standardised residuals
    with each other), so E|ε| need not be 1; the log link keeps σ positive.
    """
    dc, target = design[control], np.abs(r[control])
    gamma = np.zeros(design.shape[1])
    gamma[0] = np.log(max(np.average(target, weights=w), np.finfo(float).tiny))
    for _ in range(100):
        eta = fitted(dc, gamma)
        mu = np.exp(eta)
        new = wls(dc, eta + (target - mu) / mu, w * mu)
        done = bool(np.max(np.abs(new - gamma)) < 1e-12)
        gamma = new
        if done:
            break
    return np.exp(fitted(design, gamma))


def residuals(
    design: np.ndarray, y: np.ndarray, control: np.ndarray, w: np.ndarray, scale: bool
) -> np.ndarray:
    """Residuals of every patient from the model fitted in the controls with weights ``w``
    (standardised by the fitted scale when ``scale``)."""
    wc = w[control]
    beta = wls(design[control], y[control], wc)
    r = y - fitted(design, beta)
    return r / scale_fit(design, control, r, wc) if scale else r


def below_share(ref: np.ndarray, ref_w: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Weighted share of ``ref`` below each of ``values``, ties counted ½."""
    order = np.argsort(ref, kind="stable")
    s, cw = ref[order], np.r_[0.0, np.cumsum(ref_w[order])]
    lo = cw[np.searchsorted(s, values, side="left")]
    hi = cw[np.searchsorted(s, values, side="right")]
    return (lo + (hi - lo) / 2) / cw[-1]


def within_set_share(
    r: np.ndarray, control: np.ndarray, sets: np.ndarray, w: np.ndarray | None = None
) -> np.ndarray:
    """Per case: the (weighted) share of its own set's controls whose residual is below its own,
    ties ½ (all case × control pairs within each set)."""
    cases, ctrls = np.flatnonzero(~control), np.flatnonzero(control)
    order = np.argsort(sets[ctrls], kind="stable")
    ctrls = ctrls[order]
    keys = sets[ctrls]
    start = np.searchsorted(keys, sets[cases], side="left")
    stop = np.searchsorted(keys, sets[cases], side="right")
    size = stop - start
    case_of = np.repeat(np.arange(cases.size), size)
    offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    partner = ctrls[np.repeat(start, size) + offset]
    weight = np.ones(partner.size) if w is None else w[partner]
    d = r[cases][case_of] - r[partner]
    score = np.where(d > 0, 1.0, np.where(d == 0, 0.5, 0.0)) * weight
    num = np.bincount(case_of, score, cases.size)
    den = np.bincount(case_of, weight, cases.size)
    return num / den


def adjusted_auc_of(
    design: np.ndarray,
    y: np.ndarray,
    control: np.ndarray,
    w: np.ndarray,
    scale: bool,
    sets: np.ndarray | None,
) -> tuple[float, np.ndarray]:
    """The adjusted AUC (weighted mean of the cases' complementary placements) and, per case,
    its placement value (share of control residuals at or above its own, ties ½)."""
    r = residuals(design, y, control, w, scale)
    case = ~control
    if sets is None:
        below = below_share(r[control], w[control], r[case])
    else:
        below = within_set_share(r, control, sets, w)
    wk = w[case]
    keep = wk > 0
    return float(np.sum(below[keep] * wk[keep]) / wk.sum()), 1.0 - below


def bootstrap_adjusted(
    design: np.ndarray,
    y: np.ndarray,
    control: np.ndarray,
    scale: bool,
    sets: np.ndarray | None,
    clusters: np.ndarray | None,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Adjusted AUCs of ``n_boot`` resamples, the control model refitted in each.

    ``clusters`` (codes 0..K−1): whole matched sets are drawn with replacement; otherwise
    cases and controls are drawn separately (a stratified bootstrap, as :func:`roc_auc`).
    A resample is a vector of multiplicities; patients drawn zero times drop out of the fit.
    """
    out = np.empty(n_boot)
    nc, nk = int(control.sum()), int((~control).sum())
    fast = not scale and sets is None
    centred = design - np.r_[0.0, design[control, 1:].mean(axis=0)]
    split = (centred[control], y[control], centred[~control], y[~control])
    k = int(clusters.max()) + 1 if clusters is not None else 0
    for b in range(n_boot):
        if clusters is not None:
            counts = np.bincount(rng.integers(0, k, k), minlength=k).astype(float)
            wc, wk = counts[clusters[control]], counts[clusters[~control]]
        else:
            wc = np.bincount(rng.integers(0, nc, nc), minlength=nc).astype(float)
            wk = np.bincount(rng.integers(0, nk, nk), minlength=nk).astype(float)
        if not wc.any() or not wk.any():
            out[b] = np.nan
        elif fast:  # patients drawn zero times weigh nothing: no copies
            out[b] = _fast_auc(split, wc, wk)
        else:
            w = np.empty(y.size)
            w[control], w[~control] = wc, wk
            on = w > 0
            sub_sets = None if sets is None else sets[on]
            out[b] = adjusted_auc_of(design[on], y[on], control[on], w[on], scale, sub_sets)[0]
    return out


def _fast_auc(split: tuple[np.ndarray, ...], wc: np.ndarray, wk: np.ndarray) -> float:
    """:func:`adjusted_auc_of` for a bootstrap resample of the linear model without strata.

    ``split`` holds the controls' and the cases' centred design and readings, split once for
    all resamples; ``wc`` and ``wk`` are their multiplicities. The fit solves the weighted normal
    equations of the covariates centred on the controls (a p × p system, well conditioned after
    centring; least squares when singular) instead of an SVD of the whole design. Patients of
    weight zero stay in (they add nothing), so nothing is copied. Both groups' residuals are
    sorted (the default sort: within a tie block the order does not matter, only the cumulative
    weights at its ends are read), so that the search walks the control residuals in order; the
    upper end of a tie block is searched only for the cases that tie with a control.
    """
    xc, yc, xk, yk = split
    xw = xc * wc[:, None]
    try:
        beta = np.linalg.solve(xw.T @ xc, xw.T @ yc)
    except np.linalg.LinAlgError:
        on = wc > 0
        beta = wls(xc[on], yc[on], wc[on])
    rc, rk = yc - fitted(xc, beta), yk - fitted(xk, beta)
    order = np.argsort(rc)
    s, cw = rc[order], np.r_[0.0, np.cumsum(wc[order])]
    by = np.argsort(rk)
    rk, wk = rk[by], wk[by]
    at = np.searchsorted(s, rk, side="left")
    lo = cw[at]
    tied = np.flatnonzero(s[np.minimum(at, s.size - 1)] == rk)
    hi = lo.copy()
    hi[tied] = cw[np.searchsorted(s, rk[tied], side="right")]
    return float(np.sum((lo + (hi - lo) / 2) * wk) / (cw[-1] * wk.sum()))
