"""Intraclass correlations: all six forms of a targets × raters design, as ``psych::ICC``.

:func:`icc` takes long data (one row per target × rater) and returns all six forms with their
F test and confidence interval, numerically identical to R's ``psych::ICC(x, lmer = FALSE)``
(and to SPSS RELIABILITY's ICC, which uses the same ANOVA mean squares and intervals). The
study's reliability table (:func:`~ovcfstats.reliability`) is built on the same core.

The mean squares are closed-form sums over the n × k matrix of ratings, O(n·k): no ANOVA model
is fitted (``statsmodels``' ``anova_lm`` builds a design matrix with n + k columns — quadratic in
memory for 10⁵ targets — and ``pingouin`` fits a general two-way ANOVA; both are far slower).

Conventions (as ``psych::ICC``):

- ``MSR`` between targets on n − 1 df, ``MSC`` between raters on k − 1, ``MSE`` residual on
  (n − 1)(k − 1), ``MSW = (SSC + SSE) / (n(k − 1))`` within targets (the one-way error).
- F tests of H0: ICC = 0. ICC1/ICC1k: ``F = MSR/MSW`` on (n − 1, n(k − 1)). ICC2, ICC3 and their
  averages: ``F = MSR/MSE`` on (n − 1, (n − 1)(k − 1)). ``irr::icc(type = "agreement")`` reports
  the same F for ICC(A,1) but with the Satterthwaite df ``v`` of the interval as df2 (hence a
  different p); we follow psych and SPSS.
- Intervals: F-based (Shrout & Fleiss 1979) for ICC1, ICC3 and their averages; for ICC2/ICC2k
  McGraw & Wong's (1996) interval with Satterthwaite's df ``v`` (as psych, SPSS and irr).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._results import DegenerateDataWarning, Result, make_excluded, warn
from .._validate import (
    DataError,
    check_alpha,
    check_columns,
    check_frame,
    check_numeric,
    check_option,
    describe_ids,
    describe_rows,
)

#: psych's names, McGraw & Wong's names, and the design each form assumes.
FORMS: tuple[tuple[str, str, str], ...] = (
    ("ICC1", "ICC(1)", "one-way random, absolute agreement, single rater"),
    ("ICC2", "ICC(A,1)", "two-way random, absolute agreement, single rater"),
    ("ICC3", "ICC(C,1)", "two-way mixed, consistency, single rater"),
    ("ICC1k", "ICC(k)", "one-way random, absolute agreement, average of k raters"),
    ("ICC2k", "ICC(A,k)", "two-way random, absolute agreement, average of k raters"),
    ("ICC3k", "ICC(C,k)", "two-way mixed, consistency, average of k raters"),
)
FORM_NAMES = tuple(f[0] for f in FORMS)
NAN_POLICIES = ("raise", "omit")

CONVENTIONS = (
    "ANOVA mean squares as psych::ICC(lmer = FALSE) and SPSS RELIABILITY. F tests of ICC = 0: "
    "ICC1/ICC1k F = MSR/MSW on (n−1, n(k−1)); ICC2, ICC3 and averages F = MSR/MSE on "
    "(n−1, (n−1)(k−1)) as psych and SPSS (irr::icc uses the Satterthwaite df v as df2 for "
    "ICC(A,1)). CIs: F-based for ICC1/ICC3 forms; McGraw–Wong with Satterthwaite df v for "
    "ICC2/ICC2k."
)


# -- result ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class IccResult(Result):
    """All six ICC forms from one n × k table of ratings.

    ``.table``: one row per form — ``type`` (psych's name), ``mcgraw_wong`` (McGraw & Wong's
    name), ``description``, ``icc``, ``F``, ``df1``, ``df2``, ``p``, ``ci_low``, ``ci_high``.
    ``.anova``: the mean-squares table (``source``, ``df``, ``ss``, ``ms``).
    """

    anova: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Intraclass correlation (ICC)"
    has_plot: ClassVar[bool] = False

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"table": self.table.copy(), "anova": self.anova.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        lines = [
            f"{s['n_targets']} targets × {s['n_raters']} raters; {int(100 * (1 - s['alpha']))}% "
            "confidence intervals.",
            CONVENTIONS,
            f"Satterthwaite df for the ICC2/ICC2k interval: v = {s['satterthwaite_df']:.4g}.",
        ]
        return lines + super().notes()

    def form(self, name: str) -> pd.Series:
        """The row of one form, e.g. ``result.form("ICC2")["icc"]``."""
        check_option(name, FORM_NAMES, "IccResult.form", "name")
        return self.table.set_index("type").loc[name]


# -- core: long data -> n × k matrix -> mean squares -> six forms --------------------------


def _to_matrix(
    t_codes: np.ndarray,
    r_codes: np.ndarray,
    values: np.ndarray,
    n: int,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Scatter long ratings into an n × k matrix (NaN = no rating); also the per-cell counts."""
    cell = t_codes * k + r_codes
    counts = np.bincount(cell, minlength=n * k).reshape(n, k)
    y = np.full(n * k, np.nan)
    y[cell] = values
    return y.reshape(n, k), counts


def mean_squares(y: np.ndarray) -> dict[str, float]:
    """Two-way ANOVA (one rating per cell) sums of squares in closed form, O(n·k)."""
    n, k = y.shape
    grand = y.mean()
    row = y.mean(axis=1)
    col = y.mean(axis=0)
    ssr = k * float(np.sum((row - grand) ** 2))
    ssc = n * float(np.sum((col - grand) ** 2))
    # The residual directly (not SST − SSR − SSC) to avoid cancellation when agreement is high.
    resid = y - row[:, None]
    resid -= col - grand
    sse = float(np.einsum("ij,ij->", resid, resid))
    df_r, df_c, df_e = n - 1, k - 1, (n - 1) * (k - 1)
    return {
        "n": n,
        "k": k,
        "scale": float(np.max(y * y)),
        # numpy scalars: a zero mean square then gives inf/NaN ratios, not ZeroDivisionError
        "ssr": np.float64(ssr),
        "ssc": np.float64(ssc),
        "sse": np.float64(sse),
        "msr": np.float64(ssr / df_r),
        "msc": np.float64(ssc / df_c),
        "mse": np.float64(sse / df_e),
        "msw": np.float64((ssc + sse) / (n * df_c)),
    }


def _snap_round_off(ms: dict[str, float]) -> dict[str, float]:
    """A residual mean square at round-off level (residual SD ≤ 1e-12 × the largest rating, or
    of the spread between targets or raters) is set to exactly 0, so that perfect agreement gives
    the same ICCs, limits and warning whether float arithmetic left 0 or 1e-36."""
    scale = max(ms["scale"], ms["msr"], ms["msc"])
    if not 0 < ms["mse"] <= 1e-24 * scale:
        return ms
    n, k = ms["n"], ms["k"]
    return {
        **ms,
        "sse": np.float64(0.0),
        "mse": np.float64(0.0),
        "msw": np.float64(ms["ssc"] / (n * (k - 1))),
    }


def _forms(ms: dict[str, float], alpha: float) -> tuple[pd.DataFrame, float]:
    """The six forms with F tests and intervals, exactly as psych::ICC; also Satterthwaite's v."""
    from scipy.stats import f as fdist

    n, k = ms["n"], ms["k"]
    msr, msc, mse, msw = ms["msr"], ms["msc"], ms["mse"], ms["msw"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        icc1 = (msr - msw) / (msr + (k - 1) * msw)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = (msr - mse) / (msr + (k - 1) * mse)
        icc1k = (msr - msw) / msr
        icc2k = (msr - mse) / (msr + (msc - mse) / n)
        icc3k = (msr - mse) / msr
        f1 = np.float64(msr) / msw
        f3 = np.float64(msr) / mse
        df1, df1d, df3d = n - 1, n * (k - 1), (n - 1) * (k - 1)
        p1 = fdist.sf(f1, df1, df1d)
        p3 = fdist.sf(f3, df1, df3d)
        q = 1 - alpha / 2
        f1l = f1 / fdist.ppf(q, df1, df1d)
        f1u = f1 * fdist.ppf(q, df1d, df1)
        f3l = f3 / fdist.ppf(q, df1, df3d)
        f3u = f3 * fdist.ppf(q, df3d, df1)
        # ICC2: McGraw & Wong (1996) with Satterthwaite's df, in psych's algebra.
        fj = np.float64(msc) / mse
        if mse == 0:  # the limits as MSE -> 0: a rater shift makes Fj infinite, none 0
            fj = np.inf if msc > 0 else np.float64(0.0)
        base = n * (1 + (k - 1) * icc2) - k * icc2
        if np.isinf(fj):
            v = np.float64(k - 1)  # the limit of the expression below as Fj -> inf
        else:
            v = (k - 1) * (n - 1) * (k * icc2 * fj + base) ** 2
            v /= (n - 1) * k**2 * icc2**2 * fj**2 + base**2
        f2u = fdist.ppf(q, n - 1, v)
        f2l = fdist.ppf(q, v, n - 1)
        c = k * msc + (k * n - k - n) * mse
        l2 = n * (msr - f2u * mse) / (f2u * c + n * msr)
        u2 = n * (f2l * msr - mse) / (c + n * f2l * msr)
        # (F − 1)/(F + k − 1) written as 1 − k/(F + k − 1): the same number, and 1 (not NaN)
        # when F is infinite (no residual variation).
        low = [
            1 - k / (f1l + k - 1),
            l2,
            1 - k / (f3l + k - 1),
            1 - 1 / f1l,
            _spearman_brown(l2, k),
            1 - 1 / f3l,
        ]
        high = [
            1 - k / (f1u + k - 1),
            u2,
            1 - k / (f3u + k - 1),
            1 - 1 / f1u,
            _spearman_brown(u2, k),
            1 - 1 / f3u,
        ]
    table = pd.DataFrame(
        {
            "type": list(FORM_NAMES),
            "mcgraw_wong": [f[1] for f in FORMS],
            "description": [f[2] for f in FORMS],
            "icc": np.array([icc1, icc2, icc3, icc1k, icc2k, icc3k], dtype=float),
            "F": np.array([f1, f3, f3, f1, f3, f3], dtype=float),
            "df1": np.full(6, df1, dtype=int),
            "df2": np.array([df1d, df3d, df3d, df1d, df3d, df3d], dtype=int),
            "p": np.array([p1, p3, p3, p1, p3, p3], dtype=float),
            "ci_low": np.array(low, dtype=float),
            "ci_high": np.array(high, dtype=float),
        }
    )
    return table, float(v)


def _spearman_brown(rho: float, k: int) -> float:
    """Single-rater limit -> average-of-k limit, as psych, but −inf below −1/(k − 1).

    ``kρ / (1 + (k − 1)ρ)`` maps (−1/(k − 1), 1] onto (−∞, 1]; psych applies it beyond that
    range too and can print an ICC2k lower limit above 1. There the limit is unbounded.
    """
    if np.isnan(rho):
        return float("nan")
    return float(rho * k / (1 + rho * (k - 1))) if rho > -1 / (k - 1) else -np.inf


def _anova_table(ms: dict[str, float]) -> pd.DataFrame:
    n, k = ms["n"], ms["k"]
    return pd.DataFrame(
        {
            "source": ["targets", "raters", "residual", "within targets"],
            "df": [n - 1, k - 1, (n - 1) * (k - 1), n * (k - 1)],
            "ss": [ms["ssr"], ms["ssc"], ms["sse"], ms["ssc"] + ms["sse"]],
            "ms": [ms["msr"], ms["msc"], ms["mse"], ms["msw"]],
        }
    )


def _degenerate_notes(ms: dict[str, float], notes: list[str], where: str = "") -> None:
    """Warn (do not fail) when a mean square is 0 and the F ratios are infinite or undefined."""
    prefix = f"{where}: " if where else ""
    if ms["msr"] == 0 and ms["mse"] == 0 and ms["msc"] == 0:
        warn(
            notes,
            f"{prefix}all ratings are identical; the ICCs are undefined (NaN).",
            DegenerateDataWarning,
        )
    elif ms["mse"] == 0 or ms["msw"] == 0:
        warn(
            notes,
            f"{prefix}the residual mean square is 0 (ratings differ by at most a constant per "
            "rater); F is infinite and some ICCs or limits are 1 or undefined.",
            DegenerateDataWarning,
        )
    elif ms["msr"] == 0:
        warn(
            notes,
            f"{prefix}all targets have the same mean rating (between-target mean square 0); "
            "the ICCs are ≤ 0 or undefined.",
            DegenerateDataWarning,
        )


@dataclass
class Wide:
    """Complete n × k ratings plus the labels and what was left out."""

    y: np.ndarray
    targets: np.ndarray  # labels of the kept rows
    raters: np.ndarray  # labels of the columns
    incomplete: np.ndarray  # labels of the dropped targets
    reasons: list[str]  # one per dropped target


def widen(
    t_codes: np.ndarray,
    t_labels: np.ndarray,
    r_codes: np.ndarray,
    r_labels: np.ndarray,
    values: np.ndarray,
    *,
    func: str,
    target_name: str,
    rater_name: str,
    ratings_name: str,
    nan_policy: str,
) -> Wide:
    """Checks shared by :func:`icc` and :func:`reliability`, then the complete n × k matrix."""
    n, k = len(t_labels), len(r_labels)
    if k < 2:
        raise DataError(
            f"{func}(): only one rater in column '{rater_name}' ({', '.join(map(str, r_labels))}); "
            "an ICC needs ratings of the same targets by at least 2 raters (or sessions)."
        )
    y, counts = _to_matrix(t_codes, r_codes, values, n, k)
    dup = (counts > 1).any(axis=1)
    if dup.any():
        raise DataError(
            f"{func}(): duplicate ({target_name}, {rater_name}) cells "
            f"({describe_ids(list(t_labels[dup]), target_name)}). "
            "Keep one rating per target and rater (average repeated readings first, or use the "
            "repeats as separate raters/sessions)."
        )
    missing = np.isnan(y)
    bad = missing.any(axis=1)
    reasons: list[str] = []
    if bad.any():
        if nan_policy == "raise":
            raise DataError(
                f"{func}(): targets not rated by every rater (no row, or a blank in column "
                f"'{ratings_name}') "
                f"({describe_ids(list(t_labels[bad]), target_name)}). Supply the missing ratings "
                "or pass nan_policy='omit' to drop these targets (they are then listed in "
                "`.excluded`)."
            )
        reasons = _missing_reasons(missing[bad], r_labels)
    kept = ~bad
    if kept.sum() < 2:
        raise DataError(
            f"{func}(): {int(kept.sum())} target(s) with a complete set of {k} ratings; an ICC "
            f"needs at least 2 targets in column '{target_name}'"
            + (f" ({int(bad.sum())} incomplete target(s) were dropped)." if bad.any() else ".")
        )
    return Wide(y[kept], t_labels[kept], r_labels, t_labels[bad], reasons)


def _missing_reasons(missing: np.ndarray, r_labels: np.ndarray) -> list[str]:
    """Why each incomplete target is dropped; one string per pattern of missing raters."""
    k = missing.shape[1]
    patterns, which = np.unique(missing, axis=0, return_inverse=True)
    texts = []
    for row in patterns:
        have = k - int(row.sum())
        absent = ", ".join(str(r) for r in r_labels[row])
        if have == 1:
            texts.append(f"one rating only, {k - 1} of {k} missing ({absent})")
        else:
            texts.append(f"incomplete ratings: {have} of {k} (missing {absent})")
    return [texts[i] for i in which.ravel()]


def compute(y: np.ndarray, alpha: float, notes: list[str], where: str = ""):
    return compute_ms(mean_squares(y), alpha, notes, where)


def compute_ms(ms: dict[str, float], alpha: float, notes: list[str], where: str = ""):
    """Forms, warnings and Satterthwaite's v from the mean squares."""
    ms = _snap_round_off(ms)
    _degenerate_notes(ms, notes, where)
    table, v = _forms(ms, alpha)
    if np.isneginf(table["ci_low"]).any() or np.isneginf(table["ci_high"]).any():
        prefix = f"{where}: " if where else ""
        warn(
            notes,
            f"{prefix}the ICC2 confidence limit falls below −1/(k − 1); the matching ICC2k limit "
            "is unbounded and reported as −inf (psych::ICC prints a meaningless number there).",
            DegenerateDataWarning,
        )
    return ms, table, v


# -- public ----------------------------------------------------------------------------------


def icc(
    data: pd.DataFrame,
    *,
    targets: str,
    raters: str,
    ratings: str,
    nan_policy: str = "raise",
    alpha: float = 0.05,
) -> IccResult:
    """All six intraclass correlations of a targets × raters design, with F tests and CIs.

    Parameters
    ----------
    data : pandas.DataFrame
        Long format: one row per (target, rater) with a numeric rating.
    targets, raters, ratings : str
        Column names: what is measured (e.g. a patient's ROI), who measured it (or the session),
        and the value.
    nan_policy : {"raise", "omit"}, default "raise"
        What to do with targets that lack a rating by some rater (no row, or a blank value):
        raise a :class:`~ovcfstats.DataError` naming them, or drop them listwise and list them
        in ``.excluded`` with the raters they miss (a target with one rating only included).
    alpha : float, default 0.05
        Two-sided level of the confidence intervals.

    Returns
    -------
    IccResult
        ``.table`` with one row per form: ``type`` (psych's ICC1, ICC2, ICC3, ICC1k, ICC2k,
        ICC3k), ``mcgraw_wong`` (ICC(1), ICC(A,1), ICC(C,1), ICC(k), ICC(A,k), ICC(C,k)),
        ``description``, ``icc``, ``F``, ``df1``, ``df2``, ``p``, ``ci_low``, ``ci_high``;
        ``.anova`` with the mean squares.

    Notes
    -----
    Identical to ``psych::ICC(x, lmer = FALSE)``: F tests of ICC = 0 use ``MSR/MSW`` on
    (n − 1, n(k − 1)) for ICC1/ICC1k and ``MSR/MSE`` on (n − 1, (n − 1)(k − 1)) for the two-way
    forms — including ICC2, for which ``irr::icc`` takes the Satterthwaite df of the interval as
    df2 instead. The ICC2/ICC2k interval is McGraw & Wong's with Satterthwaite's df.

    Examples
    --------
    Shrout & Fleiss (1979), 6 targets rated by 4 judges:

    >>> import pandas as pd
    >>> from ovcfstats import icc
    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> long = pd.DataFrame([(t, j, x) for t, row in enumerate(sf) for j, x in enumerate(row)],
    ...                     columns=["target", "judge", "rating"])
    >>> res = icc(long, targets="target", raters="judge", ratings="rating")
    >>> res.table[["type", "icc", "ci_low", "ci_high"]].round(3)
        type    icc  ci_low  ci_high
    0   ICC1  0.166  -0.133    0.723
    1   ICC2  0.290   0.019    0.761
    2   ICC3  0.715   0.342    0.946
    3  ICC1k  0.443  -0.884    0.912
    4  ICC2k  0.620   0.071    0.927
    5  ICC3k  0.909   0.676    0.986
    """
    func = "icc"
    check_frame(data, func)
    names = {"targets": targets, "raters": raters, "ratings": ratings}
    for param, name in names.items():
        if not isinstance(name, str):
            raise TypeError(f"`{param}` of {func}() must be a column name; got {name!r}.")
    check_columns(data, [targets, raters, ratings], func)
    check_option(nan_policy, NAN_POLICIES, func, "nan_policy")
    alpha = check_alpha(alpha, func)
    values = check_numeric(data, ratings, func, id_col=targets)
    t_codes, t_labels = pd.factorize(data[targets], sort=True)
    r_codes, r_labels = pd.factorize(data[raters], sort=True)
    for codes, col in ((t_codes, targets), (r_codes, raters)):
        if (codes < 0).any():
            raise DataError(
                f"{func}(): missing labels in column '{col}' ({describe_rows(codes < 0)}). "
                "Every rating needs its target and rater."
            )
    wide = widen(
        t_codes,
        np.asarray(t_labels, dtype=object),
        r_codes,
        np.asarray(r_labels, dtype=object),
        values,
        func=func,
        target_name=targets,
        rater_name=raters,
        ratings_name=ratings,
        nan_policy=nan_policy,
    )
    notes: list[str] = []
    ms, table, v = compute(wide.y, alpha, notes)
    excluded = make_excluded(list(wide.incomplete), ratings, wide.reasons)
    settings = {
        "targets": targets,
        "raters": raters,
        "ratings": ratings,
        "nan_policy": nan_policy,
        "alpha": alpha,
        "n_targets": ms["n"],
        "n_raters": ms["k"],
        "rater_labels": tuple(wide.raters.tolist()),
        "satterthwaite_df": v,
    }
    return IccResult(
        table=table,
        excluded=excluded,
        warnings=tuple(notes),
        settings=settings,
        anova=_anova_table(ms),
    )
