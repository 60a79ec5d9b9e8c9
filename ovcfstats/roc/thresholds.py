"""Threshold tables: sensitivity, specificity, predictive values at a stated prevalence,
likelihood ratios and Youden's J per cut-off; the Youden cut-off with a bootstrap CI and its
optimism-corrected sensitivity and specificity.

Conventions (each printed in the result's notes):

- **Call.** A patient is called positive when ``value >= cutoff`` ("higher") or
  ``value <= cutoff`` ("lower"), as :func:`roc_auc`'s ``cutoff_observed``. Default cut-offs are
  the midpoints between adjacent observed values (pROC's ``coords(..., "all")``).
- **Sensitivity, specificity**: Wilson score CIs (statsmodels ``proportion_confint``).
- **PPV, NPV at prevalence π** (Bayes): PPV = Se·π / (Se·π + (1 − Sp)(1 − π)), NPV likewise.
  CIs by the delta method on the logit scale (Mercaldo, Lau & Zhou, Stat Med 2007), from the
  binomial variances of Se and Sp; π is taken as known. Case–control sampling fixes the sample's
  share of cases (50 % in 1:1 matching), so without a stated π the columns are left out for
  matched data; for unmatched data the sample's share of cases is used and the notes say so.
- **Likelihood ratios** LR+ = Se / (1 − Sp), LR− = (1 − Se) / Sp with Simel, Samsa & Matchar's
  (J Clin Epidemiol 1991) CIs on the log scale.
- **Youden cut-off**: the cut-off maximising Se + Sp − 1 (the one with the highest sensitivity
  among ties, as :func:`roc_auc`), with a percentile bootstrap CI, and Se and Sp corrected for
  optimism (Harrell's bootstrap: apparent minus the mean of resample-apparent − original-data
  performance of each resample's own optimum). Resampled are matched sets when the data have a
  set column, else cases and controls separately.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._results import Result, concat_excluded, make_excluded
from .._validate import DataError, check_alpha, check_numeric, row_ids
from ._indicator import _check_counts
from .adjusted import _codes
from .auc import _direction_for, _prepare


@dataclass(frozen=True, eq=False)
class ThresholdResult(Result):
    """Accuracy per cut-off (``.table``) and the Youden cut-off with its bootstrap CI and
    optimism-corrected sensitivity and specificity (``.youden``)."""

    youden: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Diagnostic accuracy by cut-off"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"thresholds": self.table.copy(), "youden": self.youden.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        lines = [
            "Positive: value ≥ cut-off ('higher') or ≤ cut-off ('lower'). Se and Sp: Wilson "
            "CIs; LR+ and LR−: log-scale CIs (Simel et al. 1991).",
        ]
        if s["prevalence"] is None:
            lines.append(
                "PPV and NPV not shown: in a matched case–control sample the share of cases is "
                "fixed by the design, not the population's prevalence; pass `prevalence` "
                "(study file [design] prevalence) to compute them."
            )
        else:
            source = "the sample's share of cases" if s["prevalence_from_sample"] else "stated"
            lines.append(
                f"PPV and NPV at a prevalence of {s['prevalence']:.3g} ({source}; Bayes), CIs by "
                "the delta method on the logit scale (Mercaldo et al. 2007), prevalence taken "
                "as known."
            )
        unit = "matched sets" if s["resampled"] == "sets" else "cases and controls separately"
        lines.append(
            f"Youden cut-off: {1 - s['alpha']:.0%} percentile bootstrap CI ({s['n_boot']} "
            f"resamples of {unit}, seed {s['seed']}); Se and Sp corrected for optimism by the "
            "same resamples (Harrell)."
        )
        return lines + super().notes()


# -- formulas -----------------------------------------------------------------------------------
def wilson(k: np.ndarray, n: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of k successes out of n."""
    from statsmodels.stats.proportion import proportion_confint

    return proportion_confint(k, n, alpha=alpha, method="wilson")


def predictive_values(
    se: np.ndarray, sp: np.ndarray, m: float, n: float, prevalence: float, alpha: float
) -> dict[str, np.ndarray]:
    """PPV and NPV at ``prevalence`` with logit-scale delta-method CIs (Mercaldo et al. 2007)."""
    from scipy.stats import norm

    z = norm.ppf(1 - alpha / 2)
    pi = prevalence
    with np.errstate(divide="ignore", invalid="ignore"):
        ppv = se * pi / (se * pi + (1 - sp) * (1 - pi))
        npv = sp * (1 - pi) / (sp * (1 - pi) + (1 - se) * pi)
        lp = np.log(se * pi / ((1 - sp) * (1 - pi)))
        vp = (1 - se) / (se * m) + sp / ((1 - sp) * n)
        ln = np.log(sp * (1 - pi) / ((1 - se) * pi))
        vn = se / ((1 - se) * m) + (1 - sp) / (sp * n)
    out = {"ppv": ppv}
    out["ppv_ci_low"], out["ppv_ci_high"] = _expit_ci(lp, vp, z)
    out["npv"] = npv
    out["npv_ci_low"], out["npv_ci_high"] = _expit_ci(ln, vn, z)
    return out


def _expit_ci(logit: np.ndarray, var: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(logit) & np.isfinite(var)
    half = z * np.sqrt(np.where(ok, var, np.nan))
    return 1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half)))


def likelihood_ratios(
    tp: np.ndarray, fn: np.ndarray, fp: np.ndarray, tn: np.ndarray, alpha: float
) -> dict[str, np.ndarray]:
    """LR+ and LR− with Simel, Samsa & Matchar's log-scale CIs."""
    from scipy.stats import norm

    z = norm.ppf(1 - alpha / 2)
    m, n = tp + fn, fp + tn
    se, sp = tp / m, tn / n
    with np.errstate(divide="ignore", invalid="ignore"):
        pos, neg = se / (1 - sp), (1 - se) / sp
        s_pos = np.sqrt(1 / tp - 1 / m + 1 / fp - 1 / n)
        s_neg = np.sqrt(1 / fn - 1 / m + 1 / tn - 1 / n)
        out = {"lr_pos": pos}
        out["lr_pos_ci_low"], out["lr_pos_ci_high"] = _log_ci(pos, s_pos, z)
        out["lr_neg"] = neg
        out["lr_neg_ci_low"], out["lr_neg_ci_high"] = _log_ci(neg, s_neg, z)
    return out


def _log_ci(value: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(se) & (value > 0) & np.isfinite(value)
    log = np.log(np.where(ok, value, np.nan))
    return np.exp(log - z * se), np.exp(log + z * se)


# -- Youden and its bootstrap -------------------------------------------------------------------
def _youden_of(values: np.ndarray, cases: np.ndarray, controls: np.ndarray) -> float:
    """The Youden cut-off (midpoint; highest sensitivity among ties) from weighted counts at
    the sorted distinct ``values`` (score oriented: higher = case)."""
    present = (cases + controls) > 0
    u, c, k = values[present], cases[present], controls[present]
    m, n = c.sum(), k.sum()
    tp = m - np.r_[0.0, np.cumsum(c)]
    tn = np.r_[0.0, np.cumsum(k)]
    best = int(np.argmax(tp * n + tn * m))
    return float(np.r_[-np.inf, (u[:-1] + u[1:]) / 2, np.inf][best])


def _rates(score: np.ndarray, case: np.ndarray, cut: float) -> tuple[float, float]:
    return float(np.mean(score[case] >= cut)), float(np.mean(score[~case] < cut))


def _youden_bootstrap(score, case, clusters, n_boot, rng):
    """Each resample's Youden cut-off, its apparent Se/Sp and its Se/Sp on the original data."""
    u, inv = np.unique(score, return_inverse=True)
    d, size = u.size, score.size
    ctrl_idx, case_idx = np.flatnonzero(~case), np.flatnonzero(case)
    out = np.empty((n_boot, 5))
    for b in range(n_boot):
        if clusters is not None:
            k = int(clusters.max()) + 1
            w = np.bincount(rng.integers(0, k, k), minlength=k)[clusters].astype(float)
        else:
            drawn = np.r_[
                ctrl_idx[rng.integers(0, ctrl_idx.size, ctrl_idx.size)],
                case_idx[rng.integers(0, case_idx.size, case_idx.size)],
            ]
            w = np.bincount(drawn, minlength=size).astype(float)
        wc, wk = np.bincount(inv, w * case, d), np.bincount(inv, w * ~case, d)
        if wc.sum() == 0 or wk.sum() == 0:
            out[b] = np.nan
            continue
        cut = _youden_of(u, wc, wk)
        app_se = wc[u >= cut].sum() / wc.sum()
        app_sp = wk[u < cut].sum() / wk.sum()
        out[b] = (cut, app_se, app_sp, *_rates(score, case, cut))
    return out[~np.isnan(out[:, 0])]


# -- the public function ------------------------------------------------------------------------
def roc_thresholds(
    data: pd.DataFrame,
    indicator: str | Sequence[str],
    *,
    prevalence: float | None = None,
    cutoffs: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    outcome: str = "case",
    direction: str | Mapping[str, str] = "auto",
    n_boot: int = 2000,
    seed: int | None = None,
    set_col: str = "pair_id",
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> ThresholdResult:
    """Sensitivity, specificity, PPV/NPV at a prevalence, likelihood ratios and Youden's J per
    cut-off, and the Youden cut-off with its bootstrap CI.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient with the outcome and the indicator(s).
    indicator : str or sequence of str
        The indicator column(s); rows missing it are left out (``excluded``).
    prevalence : float, optional
        The prevalence of the outcome in the population the test is meant for, in (0, 1). Needed
        for PPV and NPV in matched data (the sample's share of cases is fixed by the design).
    cutoffs : sequence of float or dict, optional
        Cut-offs to tabulate (per indicator with a dict); default every midpoint between
        adjacent observed values.
    outcome : str
        The 0/1 outcome column.
    direction : {"auto", "higher", "lower"} or dict
        As in :func:`roc_auc`.
    n_boot, seed : int
        Bootstrap resamples and seed of the Youden cut-off's CI and optimism correction.
    set_col : str
        Matched-set column whose sets the bootstrap resamples (when present).
    alpha : float
        1 − confidence level.
    id_col : str
        Column naming the rows in ``excluded``.

    Returns
    -------
    ThresholdResult
        ``.table``: ``indicator``, ``direction``, ``cutoff``, ``tp``, ``fn``, ``fp``, ``tn``,
        ``sensitivity`` / ``specificity`` with ``sens_ci_*`` / ``spec_ci_*``, ``ppv``, ``npv``
        with their CIs (when a prevalence applies), ``lr_pos``, ``lr_neg`` with CIs,
        ``youden``. ``.youden``: ``indicator``, ``cutoff``, ``ci_low``, ``ci_high``,
        ``sensitivity``, ``specificity``, ``sensitivity_corrected``, ``specificity_corrected``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import roc_thresholds
    >>> df = pd.DataFrame({"case": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "vbq": [3.4, 3.1, 2.9, 2.6, 2.8, 2.5, 2.4, 2.2]})
    >>> res = roc_thresholds(df, "vbq", prevalence=0.1, cutoffs=[2.7], seed=1, n_boot=200)
    >>> row = res.table.iloc[0]
    >>> print(row.sensitivity, row.specificity, round(row.ppv, 4), round(row.lr_pos, 2))
    0.75 0.75 0.25 3.0
    """
    func = "roc_thresholds"
    data, names, y = _prepare(data, indicator, outcome, func, id_col)
    alpha = check_alpha(alpha, func)
    matched = set_col in data.columns
    if prevalence is not None and not (
        isinstance(prevalence, int | float) and 0 < float(prevalence) < 1
    ):
        raise ValueError(
            f"`prevalence` of {func}() must be a number in (0, 1); got {prevalence!r}."
        )
    from_sample = prevalence is None and not matched
    pi = float(y.mean()) if from_sample else prevalence
    clusters = _codes(data[set_col]) if matched else None
    rng = np.random.default_rng(seed)
    tables, youden, excluded = [], [], []
    for name in names:
        x = check_numeric(data, name, func, id_col)
        keep = ~np.isnan(x)
        excluded.append(make_excluded(row_ids(data, ~keep, id_col), name, f"missing {name}"))
        _check_counts(y[keep], name, func)
        cuts = cutoffs.get(name) if isinstance(cutoffs, Mapping) else cutoffs
        ck = None if clusters is None else pd.factorize(clusters[keep])[0]
        tab, best = _one(name, x[keep], y[keep], ck, cuts, direction, pi, alpha, n_boot, rng)
        tables.append(tab)
        youden.append(best)
    settings = {
        "outcome": outcome,
        "prevalence": pi,
        "prevalence_from_sample": from_sample,
        "direction": direction,
        "n_boot": n_boot,
        "seed": seed,
        "resampled": "sets" if matched else "patients",
        "alpha": alpha,
    }
    return ThresholdResult(
        table=pd.concat(tables, ignore_index=True),
        excluded=concat_excluded(excluded),
        settings=settings,
        youden=pd.DataFrame(youden),
    )


def _one(name, x, case, clusters, cuts, direction, pi, alpha, n_boot, rng):
    from ._delong import placements

    side = _direction_for(direction, name, "roc_thresholds")
    if side == "auto":
        side = "lower" if placements(x, case).auc < 0.5 else "higher"
    sign = 1.0 if side == "higher" else -1.0
    score = sign * x
    u = np.unique(score)
    if cuts is None:
        oriented = (u[:-1] + u[1:]) / 2
    else:
        given = np.asarray(cuts, dtype=float)
        if given.ndim != 1 or not np.isfinite(given).all():
            raise DataError(f"roc_thresholds(): `cutoffs` of '{name}' must be finite numbers.")
        oriented = np.sort(sign * given)
    s_case, s_ctrl = np.sort(score[case]), np.sort(score[~case])
    m, n = float(s_case.size), float(s_ctrl.size)
    tp = m - np.searchsorted(s_case, oriented, side="left")
    tn = np.searchsorted(s_ctrl, oriented, side="left").astype(float)
    fn, fp = m - tp, n - tn
    se, sp = tp / m, tn / n
    frame = {"indicator": name, "direction": side, "cutoff": sign * oriented}
    frame |= {"tp": tp, "fn": fn, "fp": fp, "tn": tn, "sensitivity": se}
    frame["sens_ci_low"], frame["sens_ci_high"] = wilson(tp, m, alpha)
    frame["specificity"] = sp
    frame["spec_ci_low"], frame["spec_ci_high"] = wilson(tn, n, alpha)
    if pi is not None:
        frame |= predictive_values(se, sp, m, n, pi, alpha)
    frame |= likelihood_ratios(tp, fn, fp, tn, alpha)
    frame["youden"] = se + sp - 1
    cases_at = np.bincount(np.searchsorted(u, score[case]), minlength=u.size).astype(float)
    ctrls_at = np.bincount(np.searchsorted(u, score[~case]), minlength=u.size).astype(float)
    cut = _youden_of(u, cases_at, ctrls_at)
    app_se, app_sp = _rates(score, case, cut)
    boot = _youden_bootstrap(score, case, clusters, n_boot, rng)
    finite = boot[np.isfinite(boot[:, 0]), 0]
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2]) if finite.size else (np.nan,) * 2
    if sign < 0:
        low, high = -high, -low
    best = {
        "indicator": name,
        "direction": side,
        "cutoff": sign * cut,
        "ci_low": float(low),
        "ci_high": float(high),
        "sensitivity": app_se,
        "specificity": app_sp,
        "sensitivity_corrected": app_se - float(np.mean(boot[:, 1] - boot[:, 3])),
        "specificity_corrected": app_sp - float(np.mean(boot[:, 2] - boot[:, 4])),
        "n_boot": int(boot.shape[0]),
    }
    return pd.DataFrame(frame), best
