"""Agreement of two readings of the same quantity: Bland–Altman limits and Lin's concordance.

:func:`bland_altman` gives the bias (mean difference ``x − y``), the limits of agreement
``bias ± z·SD`` and three kinds of confidence interval:

- the approximate intervals of Bland & Altman (1986): the bias ± t·s/√n and each limit
  ± t·√(3s²/n), t on n − 1 df;
- the exact intervals of Carkeet (2015): a limit is the quantile ``μ ± zσ`` of the differences,
  and its exact interval uses quantiles of the non-central t with n − 1 df and non-centrality
  z√n (the one-sided tolerance factors);
- with several pairs per patient (``subject=``), the MOVER intervals of Zou (2013) on the
  one-way random-effects decomposition of the differences (Bland & Altman 2007).

Proportional bias is the OLS regression of the difference on the pair mean (statsmodels).
:func:`concordance` is Lin's (1989) concordance correlation coefficient with its z-transform
interval, numerically equal to R's ``epiR::epi.ccc``. The comparisons from the long
``measurements`` table are in :mod:`.readings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, SmallSampleWarning, warn
from .._validate import (
    DataError,
    check_columns,
    check_frame,
    check_numeric,
    split_missing,
)
from ._agreement_plot import plot_bland_altman

# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BlandAltmanResult(Result):
    """Bias and limits of agreement (``.table``), proportional bias, and the pairs plotted.

    ``.table`` has one row per statistic (``bias``, ``loa_lower``, ``loa_upper``) with the
    ``estimate`` and its ``ci_low``/``ci_high`` (approximate: Bland–Altman 1986, or Zou 2013
    with several pairs per subject) and ``ci_low_exact``/``ci_high_exact`` (Carkeet 2015; the
    bias interval is exact t in both). ``.proportional`` holds the regression of the difference
    on the mean; ``.pairs`` the mean and difference of every pair used.
    """

    proportional: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Bland–Altman agreement"
    has_plot: ClassVar[bool] = True

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"limits": self.table.copy(), "proportional_bias": self.proportional.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        lines = [
            f"Difference = {s['x']} − {s['y']}; limits of agreement = bias ± {s['multiplier']:.4g} "
            f"SD; {1 - s['alpha']:.0%} confidence intervals."
        ]
        if s["subject"] is None:
            lines.append(
                "ci_low/ci_high: Bland & Altman (1986), SE of a limit √(3s²/n), t on n − 1 df; "
                "ci_low_exact/ci_high_exact: exact, non-central t (Carkeet 2015)."
            )
        else:
            lines.append(
                f"Several pairs per {s['subject']}: SD of the differences from the one-way "
                "random-effects decomposition, bias = mean of the subject means, MOVER "
                "intervals of the limits (Zou 2013), t interval of the bias over the subject "
                "means (SimplyAgree's agree_nest uses the normal quantile); no exact interval "
                "exists for this design."
            )
        lines.append("Proportional bias: OLS of the difference on the mean of the pair.")
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The Bland–Altman plot (see :func:`plot_bland_altman`)."""
        return plot_bland_altman(self, ax=ax, **kwargs)


@dataclass(frozen=True, eq=False)
class ConcordanceResult(Result):
    """Lin's concordance correlation coefficient with its confidence intervals (one row)."""

    title: ClassVar[str] = "Lin's concordance correlation coefficient"

    def notes(self) -> list[str]:
        return [
            "ccc with its z-transform interval (Lin 1989; epiR::epi.ccc ci = 'z-transform'); "
            "ci_low_asymptotic/ci_high_asymptotic untransformed. c_b = ccc / r (accuracy), "
            "scale_shift = SD(y)/SD(x), location_shift = (mean y − mean x)/√(SD x · SD y) "
            "with n-divisor variances, as epiR.",
            *super().notes(),
        ]


# -- core computations -----------------------------------------------------------------------


def _z(coverage: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(0.5 + coverage / 2))


def _limits_simple(d: np.ndarray, k: float, alpha: float) -> pd.DataFrame:
    """Bias and limits with approximate (Bland–Altman 1986) and exact (Carkeet 2015) CIs."""
    from scipy import stats

    n = d.size
    bias, sd = float(d.mean()), float(d.std(ddof=1))
    t = float(stats.t.ppf(1 - alpha / 2, n - 1))
    se_bias, se_limit = sd / np.sqrt(n), np.sqrt(3 * sd**2 / n)
    # exact: P(d̄ + c·s ≥ μ + kσ) = q with c = t'_q(n − 1, k√n)/√n (non-central t quantiles)
    c_low, c_high = stats.nct.ppf([alpha / 2, 1 - alpha / 2], n - 1, k * np.sqrt(n)) / np.sqrt(n)
    lower, upper = bias - k * sd, bias + k * sd
    rows = [
        ("bias", bias, se_bias, bias - t * se_bias, bias + t * se_bias,
         bias - t * se_bias, bias + t * se_bias),
        ("loa_lower", lower, se_limit, lower - t * se_limit, lower + t * se_limit,
         bias - c_high * sd, bias - c_low * sd),
        ("loa_upper", upper, se_limit, upper - t * se_limit, upper + t * se_limit,
         bias + c_low * sd, bias + c_high * sd),
    ]  # fmt: skip
    columns = ["statistic", "estimate", "se", "ci_low", "ci_high", "ci_low_exact", "ci_high_exact"]
    table = pd.DataFrame(rows, columns=columns)
    table.insert(2, "sd_diff", sd)
    table.insert(3, "n_pairs", n)
    table.insert(4, "n_subjects", n)
    return table


def _limits_repeated(d: np.ndarray, subject: np.ndarray, k: float, alpha: float) -> pd.DataFrame:
    """Zou (2013): limits for several pairs per subject, MOVER confidence intervals."""
    from scipy import stats

    codes = pd.factorize(subject)[0]  # by hashing: no sort of 10⁶ text IDs
    counts = np.bincount(codes)
    n, total = counts.size, d.size
    means = np.bincount(codes, weights=d) / counts
    s2_means = float(means.var(ddof=1))
    s2_within = float(np.sum((d - means[codes]) ** 2) / (total - n))
    m_h = n / float(np.sum(1.0 / counts))  # harmonic mean of the pairs per subject
    w = 1 - 1 / m_h
    var = s2_means + w * s2_within
    bias, sd = float(means.mean()), float(np.sqrt(var))
    lo_b, hi_b = stats.chi2.ppf([1 - alpha / 2, alpha / 2], n - 1)
    lo_w, hi_w = stats.chi2.ppf([1 - alpha / 2, alpha / 2], total - n)
    var_low = var - np.hypot(
        s2_means * (1 - (n - 1) / lo_b), w * s2_within * (1 - (total - n) / lo_w)
    )
    var_high = var + np.hypot(
        s2_means * ((n - 1) / hi_b - 1), w * s2_within * ((total - n) / hi_w - 1)
    )
    zq = float(stats.norm.ppf(1 - alpha / 2))
    t = float(stats.t.ppf(1 - alpha / 2, n - 1))
    se_bias = np.sqrt(s2_means / n)
    # MOVER: the limit bias + k·sd combines the interval of the bias and of the SD
    down = np.sqrt(zq**2 * s2_means / n + k**2 * (sd - np.sqrt(max(var_low, 0.0))) ** 2)
    up = np.sqrt(zq**2 * s2_means / n + k**2 * (np.sqrt(var_high) - sd) ** 2)
    lower, upper = bias - k * sd, bias + k * sd
    rows = [
        ("bias", bias, se_bias, bias - t * se_bias, bias + t * se_bias),
        ("loa_lower", lower, np.nan, lower - up, lower + down),
        ("loa_upper", upper, np.nan, upper - down, upper + up),
    ]
    table = pd.DataFrame(rows, columns=["statistic", "estimate", "se", "ci_low", "ci_high"])
    table.insert(2, "sd_diff", sd)
    table.insert(3, "n_pairs", total)
    table.insert(4, "n_subjects", n)
    table["ci_low_exact"] = np.nan
    table["ci_high_exact"] = np.nan
    return table


def _proportional(d: np.ndarray, mean: np.ndarray, alpha: float) -> pd.DataFrame:
    """OLS of the difference on the pair mean: slope with CI and p, and the intercept.

    The closed form of a simple regression (as R ``lm``), O(n): a registry's 10⁷ pairs cost no
    n × 2 pseudo-inverse. No spread in the means: slope undefined (NaN).
    """
    from scipy import stats

    n = d.size
    x_bar, y_bar = float(mean.mean()), float(d.mean())
    dx = mean - x_bar
    sxx = float(dx @ dx)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = float(dx @ (d - y_bar)) / sxx
        intercept = y_bar - slope * x_bar
        resid = d - intercept - slope * mean
        s2 = float(resid @ resid) / (n - 2)
        se = np.sqrt(np.array([s2 * (1 / n + x_bar**2 / sxx), s2 / sxx]))
        estimate = np.array([intercept, slope])
        t = estimate / se
    q = float(stats.t.ppf(1 - alpha / 2, n - 2))
    return pd.DataFrame(
        {
            "term": ["intercept", "slope"],
            "estimate": estimate,
            "se": se,
            "ci_low": estimate - q * se,
            "ci_high": estimate + q * se,
            "t": t,
            "p": 2 * stats.t.sf(np.abs(t), n - 2),
        }
    )


def _ccc(x: np.ndarray, y: np.ndarray, alpha: float) -> dict[str, float]:
    """Lin's (1989) ccc with the SE of its z-transform (n-divisor moments, as epiR)."""
    from scipy import stats

    n = x.size
    sx2, sy2 = x.var(), y.var()
    r = float(np.corrcoef(x, y)[0, 1])
    sxy = r * np.sqrt(sx2 * sy2)
    p = float(2 * sxy / (sx2 + sy2 + (y.mean() - x.mean()) ** 2))
    u = (y.mean() - x.mean()) / (sx2 * sy2) ** 0.25
    var_p = (
        (1 - r**2) * p**2 * (1 - p**2) / r**2
        + 2 * p**3 * (1 - p) * u**2 / r
        - 0.5 * p**4 * u**4 / r**2
    ) / (n - 2)
    se_p = np.sqrt(var_p)
    zq = float(stats.norm.ppf(1 - alpha / 2))
    zt, se_t = np.arctanh(p), se_p / (1 - p**2)
    return {
        "ccc": p,
        "ci_low": float(np.tanh(zt - zq * se_t)),
        "ci_high": float(np.tanh(zt + zq * se_t)),
        "ci_low_asymptotic": p - zq * se_p,
        "ci_high_asymptotic": p + zq * se_p,
        "r": r,
        "c_b": p / r,
        "scale_shift": float(y.std(ddof=1) / x.std(ddof=1)),
        "location_shift": float(u),
        "n": n,
    }


# -- public functions --------------------------------------------------------------------------


def _check_alpha(alpha: float, func: str) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` of {func}() must be between 0 and 1; got {alpha!r}.")
    return float(alpha)


def _clean_pairs(
    data: Any, x: str, y: str, func: str, id_col: str, extra: Sequence[str] = ()
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame]:
    data = check_frame(data, func)
    check_columns(data, [x, y, *extra], func)
    for column in (x, y):
        data = data.assign(**{column: check_numeric(data, column, func, id_col)})
    kept, excluded = split_missing(data, [x, y, *extra], id_col)
    return kept, kept[x].to_numpy(float), kept[y].to_numpy(float), excluded


def bland_altman(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    subject: str | None = None,
    id_col: str = "patient_id",
    alpha: float = 0.05,
    coverage: float = 0.95,
    multiplier: float | None = None,
) -> BlandAltmanResult:
    """Bland–Altman bias and limits of agreement of two readings, with confidence intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per pair of readings.
    x, y : str
        The two readings; the difference is ``x − y``.
    subject : str, optional
        A column identifying the subject when a subject contributes several pairs (e.g. several
        vertebral levels per patient). The limits then follow Zou (2013).
    id_col : str, default "patient_id"
        Column naming rows in ``.excluded`` and in error messages (the index if absent).
    alpha : float, default 0.05
        One minus the confidence level of the intervals.
    coverage : float, default 0.95
        Share of differences the limits should contain: ``multiplier = Φ⁻¹(½ + coverage/2)``
        (1.959964 for 95 %, as epiR).
    multiplier : float, optional
        Overrides ``coverage`` (Bland & Altman 1986 used 2).

    Returns
    -------
    BlandAltmanResult
        ``.table``: ``statistic`` (bias, loa_lower, loa_upper), ``estimate``, ``sd_diff``,
        ``n_pairs``, ``n_subjects``, ``se``, ``ci_low``, ``ci_high``, ``ci_low_exact``,
        ``ci_high_exact``. Pairs with a missing reading are in ``.excluded``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import bland_altman
    >>> d = pd.DataFrame({"a": [10.0, 12.0, 9.5, 11.0, 13.0], "b": [9.6, 12.5, 9.0, 10.2, 12.1]})
    >>> res = bland_altman(d, "a", "b")
    >>> res.table[["statistic", "estimate", "ci_low_exact", "ci_high_exact"]].round(3)
       statistic  estimate  ci_low_exact  ci_high_exact
    0       bias     0.420        -0.268          1.108
    1  loa_lower    -0.666        -2.891         -0.092
    2  loa_upper     1.506          0.932          3.731
    """
    func = "bland_altman"
    alpha = _check_alpha(alpha, func)
    if not 0 < coverage < 1:
        raise ValueError(f"`coverage` of {func}() must be between 0 and 1; got {coverage!r}.")
    k = _z(coverage) if multiplier is None else float(multiplier)
    extra = [subject] if subject is not None else []
    kept, xv, yv, excluded = _clean_pairs(data, x, y, func, id_col, extra)
    d, mean = xv - yv, (xv + yv) / 2
    notes: list[str] = []
    if subject is None:
        if d.size < 3:
            raise DataError(f"{func}(): {d.size} complete pair(s) of '{x}' and '{y}'; need ≥ 3.")
        table = _limits_simple(d, k, alpha)
    else:
        groups = kept[subject].to_numpy()
        n_sub = pd.unique(groups).size
        if n_sub < 3 or d.size <= n_sub:
            raise DataError(
                f"{func}(): {d.size} pair(s) from {n_sub} subject(s) in '{subject}'; the "
                "repeated-measures limits need ≥ 3 subjects and at least one subject with two "
                "pairs. Drop `subject=` for one pair per subject."
            )
        table = _limits_repeated(d, groups, k, alpha)
    if d.size < 5:
        warn(notes, f"{func}(): only {d.size} pairs; the limits are imprecise.", SmallSampleWarning)
    pairs = pd.DataFrame({"mean": mean, "difference": d})
    id_source = id_col if id_col in kept.columns else None
    pairs.insert(0, "id", kept[id_source].to_numpy() if id_source else kept.index.to_numpy())
    return BlandAltmanResult(
        table=table,
        proportional=_proportional(d, mean, alpha),
        pairs=pairs,
        excluded=excluded,
        warnings=tuple(notes),
        settings={"x": x, "y": y, "subject": subject, "alpha": alpha, "multiplier": k},
    )


def concordance(
    data: pd.DataFrame, x: str, y: str, *, id_col: str = "patient_id", alpha: float = 0.05
) -> ConcordanceResult:
    """Lin's concordance correlation coefficient of two readings, equal to ``epiR::epi.ccc``.

    ``ccc = 2·s_xy / (s_x² + s_y² + (x̄ − ȳ)²)`` with n-divisor moments; the interval is built
    on Fisher's z with Lin's (1989) delta-method variance on n − 2.

    Parameters
    ----------
    data : pandas.DataFrame
    x, y : str
        The two readings.
    id_col : str, default "patient_id"
    alpha : float, default 0.05

    Returns
    -------
    ConcordanceResult
        One row: ``ccc``, ``ci_low``, ``ci_high`` (z-transform), ``ci_low_asymptotic``,
        ``ci_high_asymptotic``, ``r`` (Pearson), ``c_b``, ``scale_shift``, ``location_shift``,
        ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import concordance
    >>> d = pd.DataFrame({"a": [10.0, 12.0, 9.5, 11.0, 13.0], "b": [9.6, 12.5, 9.0, 10.2, 12.1]})
    >>> concordance(d, "a", "b").table[["ccc", "ci_low", "ci_high"]].round(3)
         ccc  ci_low  ci_high
    0  0.887   0.356    0.985
    """
    func = "concordance"
    alpha = _check_alpha(alpha, func)
    _, xv, yv, excluded = _clean_pairs(data, x, y, func, id_col)
    if xv.size < 3:
        raise DataError(f"{func}(): {xv.size} complete pair(s) of '{x}' and '{y}'; need ≥ 3.")
    if xv.std() == 0 or yv.std() == 0:
        raise DataError(f"{func}(): '{x}' or '{y}' is constant; the ccc is undefined.")
    return ConcordanceResult(
        table=pd.DataFrame([_ccc(xv, yv, alpha)]),
        excluded=excluded,
        settings={"x": x, "y": y, "alpha": alpha},
    )
