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
``clogit``       matched pairs or 1:k sets: score test of the conditional logistic regression
                 ``case ~ variable + strata(set)`` at β = 0, dummies of the levels for a
                 categorical variable (``survival::clogit``'s score test; see
                 ``ovcfstats.table1._matched_sets``)
===============  =======================================================================

Defaults: ``paired_t`` for continuous variables when pairs are given (``welch`` otherwise) and
``chi2`` for categorical ones (the paper's choice even on matched pairs); ``clogit`` for both
kinds when the pair column holds 1:k matched sets (any set with more than one control).

Rows analysed: with pairs (a ``pair`` column whose every id holds one case and one control), a
pair missing a variable is dropped for that variable only, so each row of the table compares
the same patients; with 1:k sets, a patient missing a variable is dropped for it and so is a
set left without its case or without any control; without pairs, each patient missing a
variable is dropped for it. Every dropped patient is listed in ``.excluded`` (with the reason)
and counted in ``n_excluded``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._pool import Imputed
from .._results import (
    Result,
    concat_excluded,
)
from .._validate import (
    DataError,
    check_columns,
    check_frame,
    check_numeric,
    check_option,
    describe_ids,
    id_column,
    ids_unique,
    power_scale,
    row_ids,
)
from ..data._ranges import check_ranges
from ..present._format import format_p
from ._matched_sets import (
    _analysed_sets,
    _check_design_tests,
    _pair_positions,
    _score_row,
    _set_codes,
    rows_of,
    set_difference,
    set_layout,
)
from ._rows import (
    CATEGORICAL_TESTS,
    CONTINUOUS_TESTS,
    _analysed,
    _check_group,
    _is_continuous,
    _numbers,
)
from ._table import _all_finite, _as_slice, _in_units, _order_columns, _take
from ._tests import (
    CONVENTIONS,
    FUNC,
    _categorical,
    _continuous,
    _describe,
    _level_codes,
    _level_row,
    _quartiles,
)

TESTS = (*CONTINUOUS_TESTS, *CATEGORICAL_TESTS, "clogit")


@dataclass(frozen=True, eq=False)
class GroupComparison(Result):
    """Table 1: cases (``group == 1``) against controls (``group == 0``).

    ``.table`` has one row per continuous variable and one per shown level of a categorical
    one (level ``1`` only for 0/1 variables), with the columns

    - ``variable``, ``level`` (empty for continuous rows), ``kind`` (continuous/categorical);
    - ``n_1``, ``n_0``: patients analysed per group; ``n_pairs``: pairs (1:1) or matched sets
      (1:k) analysed;
      ``n_excluded``: patients dropped for missing values in this variable;
    - continuous: ``mean_1``, ``sd_1``, ``mean_0``, ``sd_0`` (and ``median_*``, ``q1_*``,
      ``q3_*`` with ``median=True``); categorical: ``count_*`` and ``pct_*`` (percent of the
      group's analysed patients);
    - ``diff`` (case − control: mean difference, or difference of proportions on the 0–1
      scale) with ``ci_low``, ``ci_high`` where the test has one; under the conditional test
      (1:k sets) the mean over the sets of case − mean of its controls, with its t CI;
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
            elif r["level"] is None:  # a categorical variable without any value
                name, cells = r["variable"], ["0", "0"]
            else:
                name = f"{r['variable']} = {r['level']}"
                cells = [f"{_count(r[f'count_{g}'])} ({r[f'pct_{g}']:.1f}%)" for g in ("1", "0")]
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
        if s.get("pooled_m"):
            from ._pooled import pooled_notes

            lines.insert(0, pooled_notes(s["pooled_m"]))
        return lines + super().notes()


def _count(value: float) -> str:
    """A count; averaged over imputations it may be fractional (one decimal)."""
    return f"{int(value)}" if float(value).is_integer() else f"{value:.1f}"


def _mean_sd(r: pd.Series, g: str, digits: int, median: bool) -> str:
    text = f"{r[f'mean_{g}']:.{digits}f} ± {r[f'sd_{g}']:.{digits}f}"
    if median:
        text += (
            f"; {r[f'median_{g}']:.{digits}f} "
            f"[{r[f'q1_{g}']:.{digits}f}, {r[f'q3_{g}']:.{digits}f}]"
        )
    return text


# -- public ----------------------------------------------------------------------------------


def compare_groups(
    data: pd.DataFrame | Imputed,
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
    data : pandas.DataFrame or Imputed
        One row per patient, e.g. ``match_controls(...).matched`` joined with the indicators.
        An :class:`~ovcfstats.Imputed` gives the Table 1 of each completed table pooled
        (means and counts averaged, t tests by Rubin's rules, other tests by D2; the notes
        say how).
    variables : sequence of str
        Columns to compare, in table order.
    group : str, default "case"
        0/1 column, 1 = case, 0 = control.
    pair : str or None, default "pair_id"
        Column of matched-pair or matched-set ids: one case and one control each (1:1
        pairs), or one case and one or more controls (1:k sets, analysed by conditional
        logistic score tests). ``None``, or a name that is not a column, gives an unpaired
        analysis.
    tests : mapping, optional
        Variable -> ``"paired_t"``, ``"welch"``, ``"student"``, ``"wilcoxon"`` (signed-rank if
        paired, Mann–Whitney otherwise), ``"chi2"``, ``"fisher"``, ``"mcnemar"`` or
        ``"clogit"`` (matched pairs or sets).
        Defaults: ``paired_t`` (pairs) or ``welch`` for continuous, ``chi2`` for categorical;
        ``clogit`` for both with 1:k sets.
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

    Matched sets of one case and two controls: a conditional-logistic score test per variable

    >>> sets = pd.DataFrame({"case": [1, 0, 0, 1, 0, 0], "set": [1, 1, 1, 2, 2, 2],
    ...                      "x": [3.0, 1.0, 2.0, 5.0, 4.0, 4.5]})
    >>> compare_groups(sets, ["x"], pair="set").table[["test", "statistic", "df", "p"]].round(4)
                             test  statistic   df       p
    0  conditional logistic score        2.7  1.0  0.1003
    """
    if isinstance(data, Imputed):
        from ._pooled import pooled_groups

        kwargs = {k: v for k, v in locals().items() if k not in ("data", "pooled_groups")}
        return pooled_groups(data, compare_groups, kwargs)
    check_frame(data, FUNC)
    if isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    if not variables:
        raise DataError(f"{FUNC}(): give at least one variable to compare.")
    tests = dict(tests or {})
    categorical_set = set(categorical or ())
    check_columns(data, [group, *variables], FUNC)
    check_ranges(data, variables, FUNC, id_col)
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
    if idc is not None and not ids_unique(frame[idc]):
        dup = frame[idc].duplicated(keep=False)
        raise DataError(
            f"{FUNC}(): duplicate IDs in column '{idc}' "
            f"({describe_ids(row_ids(frame, dup, idc), idc)}). Each patient must appear once."
        )
    grp = _check_group(frame, group, idc)
    matched = pair is not None and pair in frame.columns
    reason = "pair=None" if pair is None else f"no column '{pair}'"
    design = _set_codes(frame, pair, grp, idc) if matched else None
    sets = design is not None and bool(design.size.max() > 2)
    paired = design is not None and not sets
    pairs = _pair_positions(design, grp) if paired and design is not None else None
    # rows of each group (with pairs: the case and control of each pair)
    everyone = pairs if pairs is not None else (np.flatnonzero(grp == 1), np.flatnonzero(grp == 0))
    strides = _as_slice(everyone[0]), _as_slice(everyone[1])
    _check_design_tests(tests, matched, sets, reason)

    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    excluded = []
    tests_used: dict[str, str] = {}
    for var in variables:
        test = tests.get(var)
        x = _numbers(frame[var])
        continuous = _is_continuous(frame, var, test, categorical_set, x)
        integers = x is not None and x.dtype.kind in "iu"
        if continuous:
            complete = integers or (x is not None and _all_finite(x))
            if x is None or (not complete and np.isinf(x).any()):  # text, or infinite values
                x = check_numeric(frame, var, FUNC, idc)
            values = x.astype(float, copy=False)
            missing = np.zeros(len(x), dtype=bool) if complete else np.isnan(values)
        elif x is not None:
            missing = np.zeros(len(x), dtype=bool) if integers else np.isnan(x)
        else:
            missing = frame[var].isna().to_numpy()
        if sets:
            rows_used, exc = _analysed_sets(frame, var, missing, grp, design.codes, pair, idc)
            pos1, pos0 = (np.flatnonzero(rows_used & (grp == g)) for g in (1, 0))
        else:
            pos1, pos0, exc = _analysed(frame, var, missing, everyone, paired, idc)
        if exc is not None:
            excluded.append(exc)
        base = {
            "variable": var,
            "level": None,
            "kind": "continuous" if continuous else "categorical",
            "n_1": len(pos1),
            "n_0": len(pos0),
            "n_pairs": len(pos1) if matched else np.nan,
            "n_excluded": 0 if exc is None else len(exc),
        }
        if continuous:
            test = test or ("clogit" if sets else "paired_t" if paired else "welch")
            unit = power_scale(values)  # values near 1e300: squared as values / unit, exactly
            if unit != 1.0:
                values = values / unit
            x1, x0 = _take(values, pos1, pos0, strides if exc is None else None)
            if test == "clogit":
                used = rows_of(pos1, pos0)
                score = _score_row(values[:, None], used, design, grp, notes, var)
                layout = set_layout(used, design.codes, grp)
                diff = set_difference(values[used], layout, alpha)
                row = {**base, **_describe(x1, x0), **score, **diff}
            else:
                row = {**base, **_continuous(x1, x0, test, paired, alpha, notes, var, exact)}
            if median:
                for g, x in (("1", x1), ("0", x0)):
                    row[f"median_{g}"], row[f"q1_{g}"], row[f"q3_{g}"] = _quartiles(x)
            row = _in_units(row, unit)
            tests_used[var] = row.pop("_key")
            rows.append(row)
        else:
            test = test or ("clogit" if sets else "chi2")
            col = frame[var]
            # a numeric column found categorical by its values holds only 0/1
            by_values = x is not None and var not in tests and var not in categorical_set
            values_c, levels, shown = _level_codes(col, missing, x, zero_one=by_values)
            shown = shown or [(-1, None)]  # no value at all: one empty row, p = NaN
            v1, v0 = _take(values_c, pos1, pos0, strides if exc is None else None)
            if test == "clogit":
                dummies = np.column_stack(
                    [values_c == lv for lv in levels[1:]] or [np.zeros(len(values_c))]
                ).astype(float)  # one level only: a constant column, the test is undefined
                used = rows_of(pos1, pos0)
                score = _score_row(dummies, used, design, grp, notes, var)
                layout, level = set_layout(used, design.codes, grp), values_c[used]
                found = [
                    {
                        **_level_row(v1, v0, lv, label),
                        **score,
                        **set_difference((level == lv).astype(float), layout, alpha),
                    }
                    for lv, label in shown
                ]
            else:
                found = _categorical(
                    v1, v0, levels, shown, test, paired, alpha, notes, var, correct
                )
            for r in found:
                tests_used[var] = r.pop("_key")
                rows.append({**base, **r})
    table = _order_columns(rows, median)
    settings = {
        "group": group,
        "pair": pair if matched else None,
        "paired": paired,
        "design": "1:k sets" if sets else "1:1 pairs" if paired else "unpaired",
        "n_sets": len(design.size) if design is not None else None,
        "unpaired_reason": None if paired else reason,
        "tests_used": tests_used,
        "median": median,
        "alpha": alpha,
        "correct": correct,
        "exact": exact,
        "n_1": len(everyone[0]),
        "n_0": len(everyone[1]),
    }
    return GroupComparison(
        table=table,
        excluded=concat_excluded(excluded),
        warnings=tuple(notes),
        settings=settings,
    )
