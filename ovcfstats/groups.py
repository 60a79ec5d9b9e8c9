"""Table 1: cases against controls, one row per variable (per level for categorical ones).

Tests (the test functions are scipy's / statsmodels'; this module chooses the test and the rows):

===============  =======================================================================
key              test
===============  =======================================================================
``paired_t``     paired t on the case − control differences (``scipy.stats.ttest_rel``)
``welch``        Welch's unequal-variance t (``ttest_ind(equal_var=False)``)
``student``      Student's pooled-variance t (``ttest_ind``; tableone's ``oneway.test``)
``wilcoxon``     paired: Wilcoxon signed-rank; unpaired: Mann–Whitney U. With ``exact=None``
                 (default) R's ``wilcox.test`` rule: the exact distribution when fewer than
                 50 non-zero differences (each group < 50 unpaired) and no ties or zero
                 differences, else the normal approximation with continuity correction and
                 tie-corrected variance, zero differences dropped (R's ``exact = FALSE``,
                 SPSS's asymptotic p). ``exact=True`` / ``False`` force either (with ties
                 or zeros the exact p does not exist: normal approximation and a warning,
                 as R)
``chi2``         Pearson χ² on the level × group table, **without** continuity correction
                 (reproduces the paper's comorbidity p-values 0.262 / 0.149 / 0.259);
                 ``correct=True``: Yates' correction on 2 × 2 tables, R's ``chisq.test``
                 default (``scipy.stats.chi2_contingency(correction=True)``)
``fisher``       Fisher's exact test (2 × 2 only; scipy's r × c version is Monte Carlo), with
                 R's conditional maximum-likelihood odds ratio and exact CI
                 (``fisher.test``), columns ``odds_ratio``, ``or_ci_low``, ``or_ci_high``
``mcnemar``      McNemar's χ² with continuity correction (R's ``mcnemar.test`` default) on
                 the case-level × control-level table of the pairs. For more than two levels,
                 Bowker's symmetry test Σ (n_ij − n_ji)² / (n_ij + n_ji) over the level pairs
                 i < j, computed here: level pairs with no discordant pairs (n_ij + n_ji = 0)
                 are left out of the sum and of the df. With every level pair discordant this
                 equals R's ``mcnemar.test`` and statsmodels' ``SquareTable.symmetry()``;
                 otherwise both of those return NaN (0/0), and this test is the one on the
                 informative level pairs
===============  =======================================================================

Defaults: ``paired_t`` for continuous variables when pairs are given (``welch`` otherwise) and
``chi2`` for categorical ones (the paper's choice even on matched pairs).

Rows analysed: with pairs (a ``pair`` column whose every id holds one case and one control), a
pair missing a variable is dropped for that variable only, so each row of the table compares
the same patients; without pairs, each patient missing a variable is dropped for it. Every
dropped patient is listed in ``.excluded`` and counted in ``n_excluded``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._exact import fisher_conditional_or
from ._format import format_p
from ._matched_sets import informative, score_test
from ._results import (
    DegenerateDataWarning,
    Result,
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
    describe_ids,
    id_column,
    row_ids,
)

FUNC = "compare_groups"
CONTINUOUS_TESTS = ("paired_t", "welch", "student", "wilcoxon")
CATEGORICAL_TESTS = ("chi2", "fisher", "mcnemar")
TESTS = (*CONTINUOUS_TESTS, *CATEGORICAL_TESTS, "clogit")
PAIRED_ONLY = ("paired_t", "mcnemar")

#: Share of numbers among an object column's values above which it is taken as a numeric
#: column with a few typos (and rejected naming them) rather than as a categorical one.
NUMERIC_LIKE = 0.8

#: R's ``wilcox.test(exact = NULL)``: exact p below this many non-zero differences (per group).
EXACT_MAX_N = 50

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
    "strata(set) (survival::clogit's 'Score (logrank) test'; dummies of the levels for a "
    "categorical variable, df = levels − 1); sets left without their case or without any "
    "control for a variable are dropped for it; no CI.",
    "bowker": "Bowker's symmetry test (McNemar for > 2 levels), no continuity correction; "
    "level pairs without discordant pairs are left out of the sum and the df.",
}


@dataclass(frozen=True, eq=False)
class GroupComparison(Result):
    """Table 1: cases (``group == 1``) against controls (``group == 0``).

    ``.table`` has one row per continuous variable and one per shown level of a categorical
    one (level ``1`` only for 0/1 variables), with the columns

    - ``variable``, ``level`` (empty for continuous rows), ``kind`` (continuous/categorical);
    - ``n_1``, ``n_0``: patients analysed per group; ``n_pairs`` (paired analyses);
      ``n_excluded``: patients dropped for missing values in this variable;
    - continuous: ``mean_1``, ``sd_1``, ``mean_0``, ``sd_0`` (and ``median_*``, ``q1_*``,
      ``q3_*`` with ``median=True``); categorical: ``count_*`` and ``pct_*`` (percent of the
      group's analysed patients);
    - ``diff`` (case − control: mean difference, or difference of proportions on the 0–1
      scale) with ``ci_low``, ``ci_high`` where the test has one;
    - ``odds_ratio``, ``or_ci_low``, ``or_ci_high``: Fisher rows only, the odds of the level
      in cases over controls (R's conditional MLE and exact CI);
    - ``test``, ``statistic``, ``df``, ``p`` (one test per variable, repeated on its levels);
    - ``smd``: standardised mean difference with the pooled SD sqrt((s1² + s0²)/2).
    """

    title: ClassVar[str] = "Table 1: cases compared with controls"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"table": self.table.copy(), "formatted": self.formatted()}

    def report_tables(self) -> dict[str, pd.DataFrame]:
        """The report prints the publication layout only (raw numbers stay in ``.table``)."""
        return {"table": self.formatted()}

    def formatted(self, digits: int = 2) -> pd.DataFrame:
        """The publication layout: mean ± SD or n (%), p (``< 0.001``) and SMD per row."""
        s = self.settings
        t = self.table
        col1, col0 = f"case (n = {s['n_1']})", f"control (n = {s['n_0']})"
        rows = []
        for i, r in t.iterrows():
            first = i == 0 or t.at[i - 1, "variable"] != r["variable"]
            if r["kind"] == "continuous":
                name = r["variable"]
                cells = [_mean_sd(r, g, digits, s.get("median", False)) for g in ("1", "0")]
            else:
                name = f"{r['variable']} = {r['level']}"
                cells = [f"{int(r[f'count_{g}'])} ({r[f'pct_{g}']:.1f}%)" for g in ("1", "0")]
            rows.append(
                {
                    "variable": name,
                    col1: cells[0],
                    col0: cells[1],
                    "p": format_p(r["p"]) if first else "",
                    "test": r["test"] if first else "",
                    "SMD": "" if pd.isna(r["smd"]) else f"{r['smd']:.{digits}f}",
                }
            )
        return pd.DataFrame(rows)

    def notes(self) -> list[str]:
        s = self.settings
        if s.get("design") == "1:k sets":
            lines = [
                f"Matched sets ('{s['pair']}', one case and 1 or more controls each): a "
                "patient missing a variable is dropped for it, and so is a set left without "
                "its case or without any control; means, SDs and counts are over the analysed "
                "patients of each row."
            ]
        elif s["paired"]:
            lines = [
                f"Matched pairs ('{s['pair']}'): a pair missing a variable is dropped for that "
                "variable only; means, SDs and counts are over the analysed patients of each "
                "row, so n can differ between rows."
            ]
        else:
            lines = [
                f"Unpaired analysis ({s['unpaired_reason']}): a patient missing a variable is "
                "dropped for that variable only; means, SDs and counts are over the analysed "
                "patients of each row."
            ]
        used = list(dict.fromkeys(s["tests_used"].values()))
        lines += [CONVENTIONS[k] for k in used]
        lines.append(
            "SMD: (case − control) / sqrt((s1² + s0²) / 2) (tableone); categorical levels use "
            "p(1 − p) as the variance."
        )
        return lines + super().notes()


def _mean_sd(r: pd.Series, g: str, digits: int, median: bool) -> str:
    text = f"{r[f'mean_{g}']:.{digits}f} ± {r[f'sd_{g}']:.{digits}f}"
    if median:
        text += (
            f"; {r[f'median_{g}']:.{digits}f} "
            f"[{r[f'q1_{g}']:.{digits}f}, {r[f'q3_{g}']:.{digits}f}]"
        )
    return text


# -- input -----------------------------------------------------------------------------------


def _check_group(data: pd.DataFrame, group: str, id_col: str | None) -> np.ndarray:
    """0/1 group array; exactly two levels, 1 = case."""
    levels = pd.unique(data[group].dropna())
    if len(levels) != 2:
        shown = ", ".join(repr(v) for v in sorted(levels, key=str)[:6])
        raise DataError(
            f"{FUNC}(): group column '{group}' must have exactly two levels (1 = case, "
            f"0 = control); found {len(levels)}: {shown}. Keep only the two groups to compare "
            "and code them 0/1."
        )
    return check_binary_outcome(data, group, FUNC, id_col)


def _set_codes(data: pd.DataFrame, pair: str, grp: np.ndarray, id_col: str | None) -> np.ndarray:
    """Code 0..S−1 of each row's pair or set; validated: one case and ≥ 1 control per set."""
    ids = data[pair]
    if ids.isna().any():
        raise DataError(
            f"{FUNC}(): missing values in pair column '{pair}' "
            f"({describe_ids(row_ids(data, ids.isna(), id_col), id_col)}). Every patient of a "
            "matched analysis needs its pair or set id; drop unmatched patients or pass "
            "pair=None."
        )
    codes, uniques = pd.factorize(ids)  # in order of appearance: no sort of 10⁶ ids
    size = np.bincount(codes)
    cases = np.bincount(codes, weights=grp)

    def fail(bad: np.ndarray, what: str, fix: str) -> None:
        rows = bad[codes]
        shown = ", ".join(str(v) for v in uniques[np.flatnonzero(bad)[:5]])
        raise DataError(
            f"{FUNC}(): {what} in column '{pair}' (pair ids: {shown}; "
            f"{describe_ids(row_ids(data, rows, id_col), id_col)}). {fix}"
        )

    if (cases > 1).any():
        fail(
            cases > 1,
            "pairs or sets with more than one case",
            "Each pair (1:1) or matched set (1:k) needs exactly one case; give each case its "
            "own set id or pass pair=None for an unpaired analysis.",
        )
    if ((size < 2) | (cases != 1)).any():
        fail(
            (size < 2) | (cases != 1),
            "pair ids present in one group only",
            "Each pair needs one case and at least one control; drop the incomplete pairs or "
            "pass pair=None.",
        )
    return codes


def _pair_positions(codes: np.ndarray, grp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (case, control) of each 1:1 pair, in order of first appearance (no sort:
    each pair code holds exactly one case and one control)."""
    out = []
    for g in (1, 0):
        rows = np.flatnonzero(grp == g)
        pos = np.empty(rows.size, dtype=np.int64)
        pos[codes[rows]] = rows
        out.append(pos)
    return out[0], out[1]


def _zero_one(x: np.ndarray) -> bool:
    """Only 0, 1 and missing values."""
    return bool(((x == 0) | (x == 1) | np.isnan(x)).all())


def _is_continuous(data: pd.DataFrame, var: str, test: str | None, categorical: set[str]) -> bool:
    """Decide the kind of ``var`` from its test, ``categorical=``, then its values."""
    if test in CONTINUOUS_TESTS:
        if var in categorical:
            raise DataError(
                f"{FUNC}(): '{var}' is listed in `categorical` but its test {test!r} is for "
                "continuous variables. Remove it from one of the two."
            )
        return True
    if test in CATEGORICAL_TESTS or var in categorical:
        return False
    col = data[var]
    if pd.api.types.is_bool_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return not _zero_one(col.to_numpy(dtype=float, na_value=np.nan))
    present = col.dropna()
    numbers = pd.to_numeric(present, errors="coerce")
    # A mostly numeric text column (e.g. BMI with a stray "n/a") is a typo'd number, not a
    # category; check_numeric then names the offending rows.
    return bool(len(present)) and bool(
        numbers.notna().mean() >= NUMERIC_LIKE
        and not np.isin(numbers.dropna().to_numpy(dtype=float), (0.0, 1.0)).all()
    )


# -- per-variable analyses ---------------------------------------------------------------------


def _analysed(
    data: pd.DataFrame,
    var: str,
    missing: np.ndarray,
    grp: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray] | None,
    id_col: str | None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Row positions of analysed cases and controls (aligned by pair) and the excluded rows."""
    if pairs is None:
        keep = ~missing
        excluded = make_excluded(
            _ids_at(data, np.flatnonzero(missing), id_col), var, f"missing {var}"
        )
        return np.flatnonzero(keep & (grp == 1)), np.flatnonzero(keep & (grp == 0)), excluded
    case, ctrl = pairs
    bad = missing[case] | missing[ctrl]
    rows, reasons = [], []
    if bad.any():
        who = np.column_stack([case[bad], ctrl[bad]])
        ids = np.asarray(_ids_at(data, who.ravel(), id_col), dtype=object).reshape(-1, 2)
        for (c, k), (id_c, id_k) in zip(who, ids, strict=True):
            for me, mine, theirs in ((c, id_c, id_k), (k, id_k, id_c)):
                rows.append(mine)
                reasons.append(
                    f"missing {var}" if missing[me] else f"pair partner {theirs} missing {var}"
                )
    return case[~bad], ctrl[~bad], make_excluded(rows, var, reasons)


def _ids_at(data: pd.DataFrame, positions: np.ndarray, id_col: str | None) -> list:
    """IDs of the rows at ``positions`` (without converting the whole ID column)."""
    source = data[id_col] if id_col is not None and id_col in data.columns else data.index
    return list(pd.Series(source).iloc[positions]) if len(positions) else []


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

    out = _describe(x1, x0)
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
    spread = np.ptp(x1 - x0) if paired else max(np.ptp(x1), np.ptp(x0))
    if spread == 0 and key in ("paired_t", "welch", "student"):
        what = "paired differences" if paired else "values within each group"
        warn(
            notes,
            f"{FUNC}(): '{var}': all {what} are equal; the test is undefined (p = NaN).",
            DegenerateDataWarning,
        )
        return out
    level = 1 - alpha
    if key in ("paired_t", "welch", "student"):
        res = (
            stats.ttest_rel(x1, x0)
            if key == "paired_t"
            else stats.ttest_ind(x1, x0, equal_var=key == "student")
        )
        ci = res.confidence_interval(level)
        out.update(statistic=res.statistic, df=res.df, p=res.pvalue, ci_low=ci.low, ci_high=ci.high)
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


def _describe(x1: np.ndarray, x0: np.ndarray) -> dict[str, Any]:
    """Means, SDs, their difference and the SMD of a continuous variable."""
    out: dict[str, Any] = {
        "mean_1": _mean(x1),
        "sd_1": _sd(x1),
        "mean_0": _mean(x0),
        "sd_0": _sd(x0),
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


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else np.nan


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) > 1 else np.nan


def _quartiles(x: np.ndarray) -> tuple[float, float, float]:
    """Median and quartiles, R's default quantile type 7 (numpy's "linear")."""
    if not len(x):
        return (np.nan,) * 3
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return float(med), float(q1), float(q3)


def _levels(col: pd.Series, values: pd.Series) -> tuple[list[Any], list[Any]]:
    """All levels of the analysed values (for the test) and the levels shown as rows."""
    present = list(pd.unique(values.dropna()))
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
    table = np.array([[np.sum(v1 == lv), np.sum(v0 == lv)] for lv in levels], dtype=float)
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
        row = {**_level_row(v1, v0, lv, label), "_key": key, **common}
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


def _level_codes(
    col: pd.Series, missing: np.ndarray
) -> tuple[np.ndarray, list[int], list[tuple[int, Any]]]:
    """Integer codes of a categorical column (−1 missing), the codes of its levels, and the
    (code, label) of the levels shown as rows. Codes make the counting O(n) integer work."""
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if numeric and _zero_one(x := col.to_numpy(dtype=float, na_value=np.nan)):
        # 0/1 fast path: the value is its own code (level 1 shown)
        return np.where(np.isnan(x), -1, x).astype(np.int64), [0, 1], [(1, 1)]
    values, uniques = pd.factorize(col)
    lookup = {v: i for i, v in enumerate(uniques)}
    levels, shown = _levels(col, col[~missing])
    # a level absent from the data (a 0/1 variable that is all 0) gets its own unused code
    code = {lv: lookup.get(lv, -2 - i) for i, lv in enumerate(dict.fromkeys([*levels, *shown]))}
    return values, [code[lv] for lv in levels], [(code[lv], lv) for lv in shown]


def _level_row(v1: np.ndarray, v0: np.ndarray, lv: Any, label: Any) -> dict[str, Any]:
    """Counts, percentages, difference of proportions and SMD of level ``lv`` (shown as
    ``label``)."""
    n1, n0 = len(v1), len(v0)
    c1, c0 = float(np.sum(v1 == lv)), float(np.sum(v0 == lv))
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


def rows_of(pos1: np.ndarray, pos0: np.ndarray) -> np.ndarray:
    return np.sort(np.r_[pos1, pos0])


def _check_design_tests(tests: Mapping[str, str], matched: bool, sets: bool, reason: str) -> None:
    """Refuse tests that the design (unpaired, 1:1 pairs, 1:k sets) cannot run."""
    for var, test in tests.items():
        if test in (*PAIRED_ONLY, "clogit") and not matched:
            raise DataError(
                f"{FUNC}(): test {test!r} for '{var}' needs matched pairs or sets, but the "
                f"analysis is unpaired ({reason}). Pass pair= with the pair-id column, or "
                "choose 'welch'/'wilcoxon' (continuous) or 'chi2'/'fisher' (categorical)."
            )
        if test in PAIRED_ONLY and sets:
            raise DataError(
                f"{FUNC}(): test {test!r} for '{var}' needs 1:1 pairs, but the pair column "
                "holds 1:k matched sets. Use 'clogit' (the default for sets), or an unpaired "
                "test ('welch', 'wilcoxon', 'chi2', 'fisher') that ignores the matching."
            )


def _analysed_sets(
    data: pd.DataFrame,
    var: str,
    missing: np.ndarray,
    grp: np.ndarray,
    codes: np.ndarray,
    pair: str,
    id_col: str | None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows analysed for ``var`` in 1:k sets (sets keeping their case and ≥ 1 control)."""
    used = informative(codes, grp.astype(float), ~missing)
    lost = ~missing & ~used
    ids = np.asarray(row_ids(data, None, id_col), dtype=object)
    set_ids = data[pair].to_numpy(dtype=object)
    case_missing = np.bincount(codes, weights=missing & (grp == 1), minlength=codes.max() + 1)
    reasons = [
        f"missing {var}"
        if missing[i]
        else f"set {set_ids[i]}: its case missing {var}"
        if case_missing[codes[i]]
        else f"set {set_ids[i]}: no control with {var}"
        for i in np.flatnonzero(missing | lost)
    ]
    return used, make_excluded(list(ids[missing | lost]), var, reasons)


def _score_row(
    x: np.ndarray,
    rows: np.ndarray,
    codes: np.ndarray,
    grp: np.ndarray,
    notes: list[str],
    var: str,
) -> dict[str, Any]:
    """Conditional-logistic score test of ``case ~ x + strata(set)`` on the analysed rows."""
    out: dict[str, Any] = {"test": LABELS["clogit"], "_key": "clogit"}
    if not rows.size:
        warn(notes, f"{FUNC}(): '{var}': no complete set; no test.", SmallSampleWarning)
        return out
    recoded = np.unique(codes[rows], return_inverse=True)[1]
    stat, df, p = score_test(x[rows], recoded, grp[rows].astype(float))
    if df == 0:
        warn(
            notes,
            f"{FUNC}(): '{var}' does not vary within any matched set (e.g. a matching "
            "variable); the conditional test is undefined (p = NaN).",
            DegenerateDataWarning,
        )
        return out
    return {**out, "statistic": stat, "df": df, "p": p}


# -- public ----------------------------------------------------------------------------------


def compare_groups(
    data: pd.DataFrame,
    variables: Sequence[str],
    *,
    group: str = "case",
    pair: str | None = "pair_id",
    tests: Mapping[str, str] | None = None,
    categorical: Sequence[str] | None = None,
    median: bool = False,
    alpha: float = 0.05,
    id_col: str = "patient_id",
    correct: bool = False,
    exact: bool | None = None,
) -> GroupComparison:
    """Compare cases with controls on each variable: Table 1 with tests, CIs and SMDs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient, e.g. ``match_controls(...).matched`` joined with the indicators.
    variables : sequence of str
        Columns to compare, in table order.
    group : str, default "case"
        0/1 column, 1 = case, 0 = control.
    pair : str or None, default "pair_id"
        Column of matched-pair ids (one case and one control each). ``None``, or a name that
        is not a column, gives an unpaired analysis.
    tests : mapping, optional
        Variable -> ``"paired_t"``, ``"welch"``, ``"student"``, ``"wilcoxon"`` (signed-rank if
        paired, Mann–Whitney otherwise), ``"chi2"``, ``"fisher"`` or ``"mcnemar"``.
        Defaults: ``paired_t`` (paired) or ``welch`` for continuous, ``chi2`` for categorical.
    categorical : sequence of str, optional
        Variables to treat as categorical. Otherwise bool, category and text columns and
        numeric columns holding only 0/1 are categorical; 0/1 variables show level 1 only.
    median : bool, default False
        Add median and quartiles (R's default type 7) of continuous variables.
    alpha : float, default 0.05
        1 − confidence level of the CIs.
    id_col : str, default "patient_id"
        Patient id column, used in ``.excluded`` and messages (the index if absent).
    correct : bool, default False
        Yates' continuity correction for ``chi2`` on 2 × 2 tables (R's ``chisq.test``
        default). The default, uncorrected, is SPSS's "Pearson Chi-Square" and the paper's.
    exact : bool or None, default None
        Wilcoxon / Mann–Whitney p: ``None`` follows R's ``wilcox.test`` (exact below 50
        non-zero differences or per group when there are no ties or zeros, else the normal
        approximation with continuity correction); ``True`` exact whenever possible; ``False``
        always the normal approximation (R's ``exact = FALSE``, SPSS's asymptotic p).

    Returns
    -------
    GroupComparison
        ``.table`` (columns documented on :class:`GroupComparison`), ``.formatted()``,
        ``.excluded``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import compare_groups
    >>> df = pd.DataFrame({"patient_id": list("ABCDEF"), "case": [1, 0, 1, 0, 1, 0],
    ...                    "pair_id": [1, 1, 2, 2, 3, 3], "age": [70, 71, 80, 78, 66, 66],
    ...                    "bmi": [21.0, 24.5, 20.1, 23.0, None, 22.2]})
    >>> res = compare_groups(df, ["age", "bmi"])
    >>> res.table[["variable", "n_1", "n_0", "diff", "test", "df"]].round(2)
      variable  n_1  n_0  diff      test   df
    0      age    3    3  0.33  paired t  2.0
    1      bmi    2    2 -3.20  paired t  1.0
    >>> res.excluded.values.tolist()
    [['E', 'bmi', 'missing bmi'], ['F', 'bmi', 'pair partner E missing bmi']]
    """
    check_frame(data, FUNC)
    if isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    if not variables:
        raise DataError(f"{FUNC}(): give at least one variable to compare.")
    tests = dict(tests or {})
    categorical_set = set(categorical or ())
    check_columns(data, [group, *variables], FUNC)
    for name, where in ((tests, "tests"), (categorical_set, "categorical")):
        stray = [v for v in name if v not in variables]
        if stray:
            raise DataError(
                f"{FUNC}(): {where} names {stray}, which are not in `variables`. Add them to "
                "`variables` or remove them."
            )
    for var, test in tests.items():
        check_option(test, TESTS, FUNC, f"tests[{var!r}]")
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` of {FUNC}() must be between 0 and 1; got {alpha!r}.")
    if group in variables:
        raise DataError(f"{FUNC}(): the group column '{group}' cannot also be a variable.")

    frame = data
    idc = id_column(frame, id_col)
    if idc is not None and frame[idc].duplicated().any():
        dup = frame[idc].duplicated(keep=False)
        raise DataError(
            f"{FUNC}(): duplicate IDs in column '{idc}' "
            f"({describe_ids(row_ids(frame, dup, idc), idc)}). Each patient must appear once."
        )
    grp = _check_group(frame, group, idc)
    matched = pair is not None and pair in frame.columns
    reason = "pair=None" if pair is None else f"no column '{pair}'"
    codes = _set_codes(frame, pair, grp, idc) if matched else None
    sets = codes is not None and bool(np.bincount(codes).max() > 2)
    paired = matched and not sets
    pairs = _pair_positions(codes, grp) if paired else None
    _check_design_tests(tests, matched, sets, reason)

    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    excluded = []
    tests_used: dict[str, str] = {}
    for var in variables:
        test = tests.get(var)
        continuous = _is_continuous(frame, var, test, categorical_set)
        if continuous:
            values = check_numeric(frame, var, FUNC, idc)
            missing = np.isnan(values)
        else:
            missing = frame[var].isna().to_numpy()
        if sets:
            rows_used, exc = _analysed_sets(frame, var, missing, grp, codes, pair, idc)
            pos1, pos0 = (np.flatnonzero(rows_used & (grp == g)) for g in (1, 0))
        else:
            pos1, pos0, exc = _analysed(frame, var, missing, grp, pairs, idc)
        excluded.append(exc)
        base = {
            "variable": var,
            "level": None,
            "kind": "continuous" if continuous else "categorical",
            "n_1": len(pos1),
            "n_0": len(pos0),
            "n_pairs": len(pos1) if matched else np.nan,
            "n_excluded": len(exc),
        }
        if continuous:
            test = test or ("clogit" if sets else "paired_t" if paired else "welch")
            x1, x0 = values[pos1], values[pos0]
            if test == "clogit":
                score = _score_row(values[:, None], rows_of(pos1, pos0), codes, grp, notes, var)
                row = {**base, **_describe(x1, x0), **score}
            else:
                row = {**base, **_continuous(x1, x0, test, paired, alpha, notes, var, exact)}
            if median:
                for g, x in (("1", x1), ("0", x0)):
                    row[f"median_{g}"], row[f"q1_{g}"], row[f"q3_{g}"] = _quartiles(x)
            tests_used[var] = row.pop("_key")
            rows.append(row)
        else:
            test = test or ("clogit" if sets else "chi2")
            col = frame[var]
            values_c, levels, shown = _level_codes(col, missing)
            v1, v0 = values_c[pos1], values_c[pos0]
            if test == "clogit":
                dummies = np.column_stack([values_c == lv for lv in levels[1:]]).astype(float)
                score = _score_row(dummies, rows_of(pos1, pos0), codes, grp, notes, var)
                found = [{**_level_row(v1, v0, lv, label), **score} for lv, label in shown]
            else:
                found = _categorical(
                    v1, v0, levels, shown, test, paired, alpha, notes, var, correct
                )
            for r in found:
                tests_used[var] = r.pop("_key")
                rows.append({**base, **r})
    table = _order_columns(pd.DataFrame(rows), median)
    settings = {
        "group": group,
        "pair": pair if matched else None,
        "paired": paired,
        "design": "1:k sets" if sets else "1:1 pairs" if paired else "unpaired",
        "n_sets": int(codes.max()) + 1 if matched else None,
        "unpaired_reason": None if paired else reason,
        "tests_used": tests_used,
        "median": median,
        "alpha": alpha,
        "correct": correct,
        "exact": exact,
        "n_1": int((grp == 1).sum()),
        "n_0": int((grp == 0).sum()),
    }
    return GroupComparison(
        table=table,
        excluded=concat_excluded(excluded),
        warnings=tuple(notes),
        settings=settings,
    )


def _order_columns(table: pd.DataFrame, median: bool) -> pd.DataFrame:
    cols = [
        "variable",
        "level",
        "kind",
        "n_1",
        "n_0",
        "n_pairs",
        "n_excluded",
        "mean_1",
        "sd_1",
        "mean_0",
        "sd_0",
    ]
    if median:
        cols += ["median_1", "q1_1", "q3_1", "median_0", "q1_0", "q3_0"]
    cols += [
        "count_1",
        "pct_1",
        "count_0",
        "pct_0",
        "diff",
        "ci_low",
        "ci_high",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "test",
        "statistic",
        "df",
        "p",
        "smd",
    ]
    table = table.reindex(columns=cols)
    table["level"] = table["level"].astype(object)
    float_cols = [
        c
        for c in cols
        if c not in ("variable", "level", "kind", "test", "n_1", "n_0", "n_excluded")
    ]
    table[float_cols] = table[float_cols].astype(float)
    return table
