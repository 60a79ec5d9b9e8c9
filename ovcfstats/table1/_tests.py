"""The per-variable tests of Table 1 (:func:`ovcfstats.compare_groups`): continuous and
categorical, their labels and the conventions printed in the notes. The test functions are
scipy's and statsmodels'; the exact Fisher odds ratio is :mod:`ovcfstats.table1._exact`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._results import DegenerateDataWarning, SmallSampleWarning, warn
from .._validate import DataError
from ._exact import fisher_conditional_or

FUNC = "compare_groups"
PAIRED_ONLY = ("paired_t", "mcnemar")

#: R's ``wilcox.test(exact = NULL)``: exact p below this many non-zero differences (per group).
EXACT_MAX_N = 50

#: Values looked at first when deciding whether a column holds only 0/1.
HEAD = 64

LABELS = {
    "paired_t": "paired t",
    "welch": "Welch t",
    "student": "Student t",
    "wilcoxon_paired": "Wilcoxon signed-rank",
    "wilcoxon_unpaired": "Mann-Whitney U",
    "wilcoxon_paired_exact": "Wilcoxon signed-rank (exact)",
    "wilcoxon_unpaired_exact": "Mann-Whitney U (exact)",
    "chi2": "Pearson chi2",
    "chi2_yates": "Pearson chi2 (Yates)",
    "fisher": "Fisher exact",
    "mcnemar": "McNemar",
    "bowker": "Bowker symmetry",
    "clogit": "conditional logistic score",
}

CONVENTIONS = {
    "paired_t": "paired t: on the case − control differences of the pairs; CI of the mean "
    "difference from the same t distribution.",
    "welch": "Welch t: unequal variances, Welch–Satterthwaite df; CI likewise.",
    "student": "Student t: pooled variance (tableone's oneway.test(var.equal = TRUE)).",
    "wilcoxon_paired": "Wilcoxon signed-rank: normal approximation with continuity correction "
    "and tie correction, zero differences dropped (R wilcox.test(exact = FALSE, correct = "
    "TRUE)); statistic V = sum of the ranks of positive case − control differences; no CI.",
    "wilcoxon_unpaired": "Mann–Whitney U: normal approximation with continuity and tie "
    "correction (R wilcox.test(exact = FALSE, correct = TRUE)); statistic U of the cases "
    "(R's W); no CI.",
    "wilcoxon_paired_exact": "Wilcoxon signed-rank (exact): exact null distribution of V "
    "(no ties, no zero differences, < 50 pairs: R wilcox.test's default); no CI.",
    "wilcoxon_unpaired_exact": "Mann–Whitney U (exact): exact null distribution of U (no "
    "ties, each group < 50: R wilcox.test's default); statistic U of the cases (R's W); no CI.",
    "chi2": "Pearson chi2 without continuity correction (R chisq.test(correct = FALSE)); "
    "difference of proportions with Newcombe's hybrid score CI.",
    "chi2_yates": "Pearson chi2 with Yates' continuity correction on 2 x 2 tables (R "
    "chisq.test default); difference of proportions with Newcombe's hybrid score CI.",
    "fisher": "Fisher exact (2 x 2), two-sided by summing tables no more likely than the "
    "observed one (as R); odds ratio: conditional maximum-likelihood estimate with its exact "
    "CI (R fisher.test); difference of proportions with Newcombe's hybrid score CI.",
    "mcnemar": "McNemar chi2 with continuity correction (R mcnemar.test default) on the "
    "case × control table of the pairs; paired difference of proportions with Wald CI.",
    "clogit": "conditional logistic score test: score chi2 at beta = 0 of case ~ variable + "
    "strata(set) (survival::clogit's 'Score (logrank) test'; level dummies, df = levels − 1); "
    "sets left without their case or any control for a variable are dropped for it. Difference: "
    "mean over sets of case − mean of its controls (a level's 0/1), t CI on sets − 1 df.",
    "bowker": "Bowker's symmetry test (McNemar for > 2 levels), no continuity correction; "
    "level pairs without discordant pairs are left out of the sum and the df.",
}


def _zero_one(x: np.ndarray, integral: bool = False) -> bool:
    """Only 0, 1 and missing values (``integral``: ``x`` came from an integer column).

    The first values settle most continuous columns (one value other than 0, 1 or NaN);
    otherwise two reductions (NaN-ignoring ``fmin``/``fmax``) settle most of the rest, and only
    values within [0, 1] of a non-integer column are compared element by element.
    """
    if not x.size:
        return True
    head = x[:HEAD]
    other = (head != 0) & (head != 1)
    if head.dtype.kind == "f":
        other &= ~np.isnan(head)
    if other.any():
        return False
    lo, hi = np.fmin.reduce(x), np.fmax.reduce(x)
    if np.isnan(lo):  # all missing
        return True
    if lo < 0 or hi > 1:
        return False
    return integral or bool(((x == 0) | (x == 1) | np.isnan(x)).all())


def _continuous(
    x1: np.ndarray,
    x0: np.ndarray,
    test: str,
    paired: bool,
    alpha: float,
    notes: list[str],
    var: str,
    exact: bool | None = None,
) -> dict[str, Any]:
    from scipy import stats

    m1, m0 = _moments(x1), _moments(x0)
    out = _describe_moments(m1, m0)
    key = test if test != "wilcoxon" else ("wilcoxon_paired" if paired else "wilcoxon_unpaired")
    out["test"] = LABELS[key]
    out["_key"] = key
    if min(len(x1), len(x0)) < 2:
        warn(
            notes,
            f"{FUNC}(): '{var}' has fewer than 2 analysed patients in a group; no test.",
            SmallSampleWarning,
        )
        return out
    if key in ("paired_t", "welch", "student"):
        if paired:
            d = x1 - x0
            md = _moments(d)
            flat = _all_equal(d, md)
        else:
            md = m1
            flat = _all_equal(x1, m1) and _all_equal(x0, m0)
        if flat:
            what = "paired differences" if paired else "values within each group"
            warn(
                notes,
                f"{FUNC}(): '{var}': all {what} are equal; the test is undefined (p = NaN).",
                DegenerateDataWarning,
            )
            return out
        if key == "paired_t":
            out.update(_t_test(md[1], float(np.sqrt(md[2] / md[0])), md[0] - 1, alpha))
        else:
            out.update(_t_test(m1[1] - m0[1], *_two_sample_se(m1, m0, key == "welch"), alpha))
    elif key == "wilcoxon_paired":
        d = x1 - x0
        if not (d != 0).any():
            warn(
                notes,
                f"{FUNC}(): '{var}': all paired differences are zero (p = NaN).",
                DegenerateDataWarning,
            )
            return out
        nz = d[d != 0]
        ranks = stats.rankdata(np.abs(nz))
        why = _no_exact(len(np.unique(ranks)) < len(nz), nz.size < len(d), "differences")
        if _use_exact(exact, nz.size < EXACT_MAX_N, why, notes, var):
            res = stats.wilcoxon(nz, method="exact")
            key = "wilcoxon_paired_exact"
        else:
            res = stats.wilcoxon(d, zero_method="wilcox", correction=True, method="approx")
        out.update(statistic=float(ranks[nz > 0].sum()), p=res.pvalue)  # R's V
    else:
        ties = len(np.unique(np.r_[x1, x0])) < len(x1) + len(x0)
        small = max(len(x1), len(x0)) < EXACT_MAX_N
        if _use_exact(exact, small, _no_exact(ties, False, "values"), notes, var):
            res = stats.mannwhitneyu(x1, x0, alternative="two-sided", method="exact")
            key = "wilcoxon_unpaired_exact"
        else:
            res = stats.mannwhitneyu(
                x1, x0, use_continuity=True, alternative="two-sided", method="asymptotic"
            )
        out.update(statistic=res.statistic, p=res.pvalue)
    out["test"], out["_key"] = LABELS[key], key
    return out


Moments = tuple[int, float, float]


def _moments(x: np.ndarray) -> Moments:
    """Count, mean and variance (ddof = 1) of ``x``, each value as ``np.mean`` / ``np.var``
    compute it (the same pairwise sums, so the same bits), shared by the table's mean and SD
    and the t-test."""
    n = len(x)
    if not n:
        return 0, np.nan, np.nan
    mean = float(x.sum() / n)
    if n < 2:
        return n, mean, np.nan
    dev = x - mean
    dev *= dev
    return n, mean, float(dev.sum() / (n - 1))


def _all_equal(x: np.ndarray, m: Moments) -> bool:
    """All values of ``x`` equal (``np.ptp(x) == 0``). Equal values have a computed SD within
    rounding of the mean's sum (< 10⁻¹³ of the mean for 10⁶ values), so an SD above 10⁻⁹ of the
    mean proves a spread without the extra pass over ``x``."""
    if m[2] ** 0.5 > 1e-9 * abs(m[1]):
        return False
    return bool(np.ptp(x) == 0)


def _two_sample_se(m1: Moments, m0: Moments, welch: bool) -> tuple[float, float]:
    """Standard error of the mean difference and its df: Welch–Satterthwaite or pooled."""
    (n1, _, v1), (n0, _, v0) = m1, m0
    if welch:
        vn1, vn0 = v1 / n1, v0 / n0
        df = (vn1 + vn0) ** 2 / (vn1**2 / (n1 - 1) + vn0**2 / (n0 - 1))
        return float(np.sqrt(vn1 + vn0)), float(df)
    df = n1 + n0 - 2.0
    pooled = ((n1 - 1) * v1 + (n0 - 1) * v0) / df
    return float(np.sqrt(pooled * (1.0 / n1 + 1.0 / n0))), df


def _t_test(estimate: float, se: float, df: float, alpha: float) -> dict[str, float]:
    """t statistic, two-sided p and CI of ``estimate`` with standard error ``se`` on ``df``.

    scipy's ``ttest_rel`` / ``ttest_ind`` recompute the differences, means and variances that
    the table already holds (a third of Table 1's time at 10⁶ rows); from those, the test is
    these closed forms with scipy's t distribution (``special.stdtr`` / ``stdtrit``, as scipy's
    tests use), checked against ``ttest_rel`` / ``ttest_ind`` and R's ``t.test``.
    """
    from scipy import special

    t = estimate / se
    tail = (1 - (1 - alpha)) / 2
    low, high = special.stdtrit(df, np.array([tail, 1 - tail]))
    return {
        "statistic": float(t),
        "df": float(df),
        "p": float(2 * special.stdtr(df, -abs(t))),
        "ci_low": float(low * se + estimate),
        "ci_high": float(high * se + estimate),
    }


def _describe(x1: np.ndarray, x0: np.ndarray) -> dict[str, Any]:
    """Means, SDs, their difference and the SMD of a continuous variable."""
    return _describe_moments(_moments(x1), _moments(x0))


def _describe_moments(m1: Moments, m0: Moments) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mean_1": m1[1],
        "sd_1": float(np.sqrt(m1[2])),
        "mean_0": m0[1],
        "sd_0": float(np.sqrt(m0[2])),
    }
    out["diff"] = out["mean_1"] - out["mean_0"]
    pooled = np.sqrt((out["sd_1"] ** 2 + out["sd_0"] ** 2) / 2)
    out["smd"] = out["diff"] / pooled if pooled > 0 else np.nan
    return out


def _no_exact(ties: bool, zeros: bool, what: str) -> str:
    """Why no exact p exists ('' when it does)."""
    return " and ".join(
        text for flag, text in ((ties, f"tied {what}"), (zeros, "zero differences")) if flag
    )


def _use_exact(exact: bool | None, small: bool, why_not: str, notes: list[str], var: str) -> bool:
    """R's ``wilcox.test`` rule: exact if asked (or, by default, if small) and possible."""
    wanted = small if exact is None else exact
    if wanted and why_not and exact:
        warn(
            notes,
            f"{FUNC}(): '{var}': no exact Wilcoxon p with {why_not}; normal approximation "
            "with continuity correction used (as R).",
            SmallSampleWarning,
        )
    return bool(wanted) and not why_not


def _quartiles(x: np.ndarray) -> tuple[float, float, float]:
    """Median and quartiles, R's default quantile type 7 (numpy's "linear")."""
    if not len(x):
        return (np.nan,) * 3
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return float(med), float(q1), float(q3)


def _levels(col: pd.Series, present: list[Any]) -> tuple[list[Any], list[Any]]:
    """All levels of the column's values ``present`` (for the test) and the levels shown as
    rows."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [v for v in col.cat.categories if v in present]
    else:
        levels = sorted(present, key=lambda v: (str(type(v)), v))
    numeric = pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
    if numeric and np.isin(np.asarray(present, dtype=float), (0.0, 1.0)).all():
        positive = True if pd.api.types.is_bool_dtype(col) else 1
        return [0, 1] if not pd.api.types.is_bool_dtype(col) else [False, True], [positive]
    return levels, levels


def _categorical(
    v1: np.ndarray,
    v0: np.ndarray,
    levels: list[Any],
    shown: list[Any],
    test: str,
    paired: bool,
    alpha: float,
    notes: list[str],
    var: str,
    correct: bool = False,
) -> list[dict[str, Any]]:
    from scipy import stats
    from statsmodels.stats.proportion import confint_proportions_2indep

    n1, n0 = len(v1), len(v0)
    count1, count0 = _counter(v1), _counter(v0)
    table = np.array([[count1(lv), count0(lv)] for lv in levels], dtype=float).reshape(-1, 2)
    # v1, v0, levels: integer codes of the levels; shown: (code, label) of the rows to show
    key = test
    common: dict[str, Any] = {"test": LABELS[key]}
    occupied = table[table.sum(axis=1) > 0]
    fisher_or = False
    if min(n1, n0) == 0:
        warn(
            notes,
            f"{FUNC}(): '{var}' has no analysed patients in one group; no test (p = NaN).",
            SmallSampleWarning,
        )
    elif len(occupied) < 2:
        warn(
            notes,
            f"{FUNC}(): '{var}' takes a single value among the analysed patients; "
            "no test (p = NaN).",
            DegenerateDataWarning,
        )
    elif key == "chi2":
        res = stats.chi2_contingency(occupied, correction=correct)
        if correct and res.dof == 1:  # Yates applies to 2 x 2 tables only (as R)
            key = "chi2_yates"
            common["test"] = LABELS[key]
        if (res.expected_freq < 5).any():
            warn(
                notes,
                f"{FUNC}(): '{var}': expected counts below 5 in the chi2 table; "
                "consider tests={'" + var + "': 'fisher'}.",
                SmallSampleWarning,
            )
        common.update(statistic=res.statistic, df=res.dof, p=res.pvalue)
    elif key == "fisher":
        if len(occupied) != 2:
            raise DataError(
                f"{FUNC}(): Fisher's exact test is available for two levels only; '{var}' has "
                f"{len(occupied)}. Use tests={{'{var}': 'chi2'}} or merge levels."
            )
        common.update(p=stats.fisher_exact(occupied).pvalue)
        fisher_or = True
    else:
        common.update(_mcnemar(v1, v0, levels, notes, var))
        key = common.pop("_key")
    rows = []
    for lv, label in shown:
        row = {**_level_row(v1, v0, lv, label, (count1, count0)), "_key": key, **common}
        c1, c0 = row["count_1"], row["count_0"]
        if fisher_or:
            row["odds_ratio"], row["or_ci_low"], row["or_ci_high"] = fisher_conditional_or(
                np.array([[c1, c0], [n1 - c1, n0 - c0]]), alpha
            )
        if key in ("mcnemar", "bowker") and paired:
            row["ci_low"], row["ci_high"] = _paired_prop_ci(v1 == lv, v0 == lv, alpha)
        elif n1 and n0:
            # statsmodels' Newcombe hybrid score interval (well behaved at 0 % and 100 %).
            row["ci_low"], row["ci_high"] = confint_proportions_2indep(
                c1, n1, c0, n0, method="newcomb", compare="diff", alpha=alpha
            )
        rows.append(row)
    return rows


def _counter(codes: np.ndarray) -> Any:
    """Count of each level code in ``codes`` (all >= 0) from one pass: ``count_nonzero`` for
    0/1 codes, else ``bincount``."""
    if not codes.size:
        return lambda lv: 0
    lo, hi = codes.min(), codes.max()
    if lo < 0:  # not expected (analysed rows have a level)
        return lambda lv: int(np.sum(codes == lv))
    if hi <= 1:
        ones = np.count_nonzero(codes)
        counts = np.array([codes.size - ones, ones])
    else:
        counts = np.bincount(codes)
    return lambda lv: int(counts[lv]) if 0 <= lv < counts.size else 0


def _level_codes(
    col: pd.Series, missing: np.ndarray, x: np.ndarray | None = None, zero_one: bool = False
) -> tuple[np.ndarray, list[int], list[tuple[int, Any]]]:
    """Integer codes of a categorical column (−1 missing), the codes of its levels, and the
    (code, label) of the levels shown as rows. Codes make the counting O(n) integer work.
    ``x``: the column's numbers when already converted (float, or a numpy integer column's
    own array); ``zero_one``: ``x`` is already known to hold only 0, 1 and missing values."""
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if numeric:
        if x is None:
            x = col.to_numpy(dtype=float, na_value=np.nan)
        if zero_one or _zero_one(x, integral=x.dtype.kind in "iu"):
            # 0/1 fast path: the value is its own code (level 1 shown)
            if not missing.any():
                return x.astype(np.int64, copy=False), [0, 1], [(1, 1)]
            return np.where(missing, -1, x).astype(np.int64), [0, 1], [(1, 1)]
    values, uniques = pd.factorize(col)
    lookup = {v: i for i, v in enumerate(uniques)}
    # factorize's uniques: the non-missing values in order of first appearance
    levels, shown = _levels(col, list(uniques))
    # a level absent from the data (a 0/1 variable that is all 0) gets its own unused code
    code = {lv: lookup.get(lv, -2 - i) for i, lv in enumerate(dict.fromkeys([*levels, *shown]))}
    return values, [code[lv] for lv in levels], [(code[lv], lv) for lv in shown]


def _level_row(
    v1: np.ndarray, v0: np.ndarray, lv: Any, label: Any, counters: Any = None
) -> dict[str, Any]:
    """Counts, percentages, difference of proportions and SMD of level ``lv`` (shown as
    ``label``); ``counters``: the ``_counter`` of ``v1`` and ``v0`` when already built."""
    n1, n0 = len(v1), len(v0)
    count1, count0 = counters or (_counter(v1), _counter(v0))
    c1, c0 = float(count1(lv)), float(count0(lv))
    p1 = c1 / n1 if n1 else np.nan
    p0 = c0 / n0 if n0 else np.nan
    var_pool = (p1 * (1 - p1) + p0 * (1 - p0)) / 2
    return {
        "level": label,
        "count_1": c1,
        "pct_1": 100 * p1,
        "count_0": c0,
        "pct_0": 100 * p0,
        "diff": p1 - p0,
        "smd": (p1 - p0) / np.sqrt(var_pool) if var_pool > 0 else np.nan,
    }


def _mcnemar(
    v1: np.ndarray, v0: np.ndarray, levels: list[Any], notes: list[str], var: str
) -> dict[str, Any]:
    from statsmodels.stats.contingency_tables import mcnemar

    k = len(levels)
    lut = np.zeros(max(max(levels), 0) + 1, dtype=np.int64)  # level code -> row of the table
    for i, lv in enumerate(levels):
        if lv >= 0:
            lut[lv] = i
    table = np.zeros((k, k))
    np.add.at(table, (lut[v1], lut[v0]), 1)
    discordant = table.sum() - np.trace(table)
    if k == 2:
        if discordant == 0:
            warn(
                notes,
                f"{FUNC}(): '{var}': no discordant pairs; McNemar's test is undefined (p = NaN).",
                DegenerateDataWarning,
            )
            return {"_key": "mcnemar"}
        res = mcnemar(table, exact=False, correction=True)
        return {"_key": "mcnemar", "statistic": res.statistic, "df": 1, "p": res.pvalue}
    # Bowker's test by hand: statsmodels' SquareTable.symmetry() divides by zero when a pair
    # of levels has no discordant pairs (R's mcnemar.test returns NaN); such level pairs carry
    # no information and are left out of the sum and of the df.
    from scipy import stats

    upper = np.triu_indices(k, 1)
    off = (table + table.T)[upper]
    used = off > 0
    if not used.any():
        warn(
            notes,
            f"{FUNC}(): '{var}': no discordant pairs; Bowker's test is undefined (p = NaN).",
            DegenerateDataWarning,
        )
        return {"_key": "bowker", "test": LABELS["bowker"]}
    diff = (table[upper] - table.T[upper])[used]
    stat = float(np.sum(diff**2 / off[used]))
    df = int(used.sum())
    return {
        "_key": "bowker",
        "test": LABELS["bowker"],
        "statistic": stat,
        "df": df,
        "p": float(stats.chi2.sf(stat, df)),
    }


def _paired_prop_ci(a1: np.ndarray, a0: np.ndarray, alpha: float) -> tuple[float, float]:
    """Wald CI of the difference of two paired proportions, (b − c)/n ± z·se."""
    from scipy import stats

    n = len(a1)
    if n == 0:
        return np.nan, np.nan
    b, c = float(np.sum(a1 & ~a0)), float(np.sum(~a1 & a0))
    diff = (b - c) / n
    se = np.sqrt(max(b + c - (b - c) ** 2 / n, 0.0)) / n
    z = stats.norm.ppf(1 - alpha / 2)
    return diff - z * se, diff + z * se
