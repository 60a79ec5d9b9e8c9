"""Score test of the conditional logistic regression on 1:k matched sets (Table 1's p).

For sets of one case and k_s controls, the conditional log-likelihood of case status on a
variable x (a vector of dummies for a categorical one) is Σ_s [β·x_case − log Σ_{j∈s} exp(β·x_j)].
At β = 0 its score and information have a closed form:

    U = Σ_s (x_case − x̄_s),    I = Σ_s (1/n_s) Σ_{j∈s} (x_j − x̄_s)(x_j − x̄_s)ᵀ,

and the score test is U' I⁻¹ U on rank(I) df — what ``summary(survival::clogit(...))`` prints
as "Score (logrank) test" (with one case per set every tie method of clogit gives the same
likelihood). Written out rather than fitted: no iteration is needed at β = 0, so the test exists
even where the fit diverges (a variable that separates the sets), and it is O(N) for millions of
patients. Sets left without their case or without any control carry no information (they add 0
to U and I), as in clogit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._results import DegenerateDataWarning, SmallSampleWarning, make_excluded, warn
from .._validate import DataError, describe_ids, row_ids
from ._tests import FUNC, LABELS, PAIRED_ONLY


def informative(codes: np.ndarray, is_case: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Rows of ``keep`` whose set still has its case and at least one control."""
    n_sets = int(codes.max()) + 1 if codes.size else 0
    cases = np.bincount(codes[keep], weights=is_case[keep], minlength=n_sets)
    size = np.bincount(codes[keep], minlength=n_sets)
    good = (cases == 1) & (size >= 2)
    return keep & good[codes]


def score_test(x: np.ndarray, codes: np.ndarray, is_case: np.ndarray) -> tuple[float, int, float]:
    """Score χ², df and p of ``case ~ x + strata(set)`` at β = 0 (rows already informative).

    ``x`` is (n,) or (n, p); ``codes`` the set of each row (0..S−1); one case per set.

    Examples
    --------
    >>> x = np.array([3.0, 1.0, 2.0, 5.0, 4.0, 4.5])
    >>> codes = np.array([0, 0, 0, 1, 1, 1])
    >>> case = np.array([1.0, 0, 0, 1, 0, 0])
    >>> [round(v, 6) for v in score_test(x, codes, case)]  # U = 1 + 0.5, I = 2/3 + 1/6
    [2.7, 1, 0.100348]
    """
    from scipy.stats import chi2

    x = np.asarray(x, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    n_sets = int(codes.max()) + 1
    size = np.bincount(codes, minlength=n_sets).astype(float)
    means = (
        np.column_stack([np.bincount(codes, weights=col, minlength=n_sets) for col in x.T])
        / size[:, None]
    )
    centred = x - means[codes]
    u = centred[is_case == 1].sum(axis=0)
    info = (centred / size[codes][:, None]).T @ centred
    scale = np.abs(np.diag(info)).max(initial=0.0)
    rank = int(np.linalg.matrix_rank(info, tol=scale * 1e-10)) if scale > 0 else 0
    if rank == 0:
        return np.nan, 0, np.nan
    stat = float(u @ np.linalg.pinv(info, rcond=1e-10, hermitian=True) @ u)
    return stat, rank, float(chi2.sf(stat, rank))


# -- Table 1 on matched pairs and sets ----------------------------------------------------------


class MatchedSets:
    """The validated pair or set of every row: ``size`` (patients per set, sets numbered
    0..S−1 in order of first appearance), ``ordered`` (each set is a run of consecutive rows,
    as in data sorted by pair), ``codes`` (the set of each row, built when first used) and
    ``pair_rows`` (rows of the case and of the control of each pair when the data are sorted
    1:1 pairs, else None)."""

    def __init__(
        self,
        size: np.ndarray,
        ordered: bool,
        codes: np.ndarray | None = None,
        pair_rows: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.size, self.ordered, self._codes = size, ordered, codes
        self.pair_rows = pair_rows

    @property
    def codes(self) -> np.ndarray:
        if self._codes is None:  # only ordered sets are built without their codes
            self._codes = np.repeat(np.arange(self.size.size), self.size)
        return self._codes


def _sorted_pairs(x: np.ndarray) -> bool:
    """Rows 2i and 2i + 1 share an id and the ids increase from pair to pair (integer ids of
    1:1 pairs sorted by pair): the sets are known without looking for where the id changes."""
    if x.dtype.kind not in "iu" or x.size < 2 or x.size % 2:
        return False
    first, second = x[0::2], x[1::2]
    return bool((first == second).all() and (first[1:] > second[:-1]).all())


def _runs(x: np.ndarray) -> np.ndarray | None:
    """First row of each run of equal ids when ``x`` holds integers in ascending order (data
    sorted by pair: the runs are the sets, numbered as ``pd.factorize`` would), else None."""
    if x.dtype.kind not in "iu" or x.size < 2 or not bool((x[1:] >= x[:-1]).all()):
        return None
    return np.r_[0, np.flatnonzero(x[1:] != x[:-1]) + 1]


def _set_codes(data: pd.DataFrame, pair: str, grp: np.ndarray, id_col: str | None) -> MatchedSets:
    """Each row's pair or set; validated: one case and ≥ 1 control per set."""
    ids = data[pair]
    if ids.dtype.kind not in "iub" and ids.isna().any():
        raise DataError(
            f"{FUNC}(): missing values in pair column '{pair}' "
            f"({describe_ids(row_ids(data, ids.isna(), id_col), id_col)}). Every patient of a "
            "matched analysis needs its pair or set id; drop unmatched patients or pass "
            "pair=None."
        )
    x = ids.to_numpy()
    if _sorted_pairs(x):  # each pair's case is its first or second row
        half = np.arange(0, x.size, 2)
        first = grp[0::2]
        if first.all() or not first.any():  # the case always first (or always second)
            rows = (half, half + 1) if first[0] else (half + 1, half)
        else:
            rows = (half + grp[1::2], half + first)
        design = MatchedSets(np.full(half.size, 2), True, pair_rows=rows)
        uniques, cases = x[0::2], first + grp[1::2]
    else:
        starts = _runs(x)
        if starts is not None:
            design, uniques = MatchedSets(np.diff(np.r_[starts, x.size]), True), x[starts]
        else:
            codes, uniques = pd.factorize(ids)
            ordered = bool((codes[1:] >= codes[:-1]).all())
            design = MatchedSets(np.bincount(codes), ordered, codes)
            if ordered:
                starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
        # cases per set: sums over the runs when the sets are runs (no scatter)
        cases = (
            np.add.reduceat(grp, starts)
            if starts is not None
            else np.bincount(design.codes, weights=grp)
        )
    size = design.size

    def fail(bad: np.ndarray, what: str, fix: str) -> None:
        rows = bad[design.codes]
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
    return design


def _pair_positions(sets: MatchedSets, grp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (case, control) of each 1:1 pair, in order of first appearance (no sort:
    each pair code holds exactly one case and one control; when each pair is a run of rows,
    the rows of each group are already in the pairs' order)."""
    if sets.pair_rows is not None:
        return sets.pair_rows
    rows = np.flatnonzero(grp == 1), np.flatnonzero(grp == 0)
    if sets.ordered:
        return rows
    out = []
    for group_rows in rows:
        pos = np.empty(group_rows.size, dtype=np.int64)
        pos[sets.codes[group_rows]] = group_rows
        out.append(pos)
    return out[0], out[1]


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
    dropped = np.flatnonzero(missing | lost)
    if not dropped.size:
        return used, make_excluded([], var, [])
    # IDs and set ids of the dropped rows only (not a conversion of the whole columns)
    source = data[id_col] if id_col is not None and id_col in data.columns else data.index
    ids = list(pd.Series(source).iloc[dropped])
    set_ids = data[pair].iloc[dropped].to_numpy(dtype=object)
    case_missing = np.bincount(codes, weights=missing & (grp == 1), minlength=codes.max() + 1)
    reasons = [
        f"missing {var}"
        if missing[i]
        else f"set {set_id}: its case missing {var}"
        if case_missing[codes[i]]
        else f"set {set_id}: no control with {var}"
        for i, set_id in zip(dropped, set_ids, strict=True)
    ]
    return used, make_excluded(ids, var, reasons)


def _score_row(
    x: np.ndarray,
    rows: np.ndarray,
    design: MatchedSets,
    grp: np.ndarray,
    notes: list[str],
    var: str,
) -> dict[str, Any]:
    """Conditional-logistic score test of ``case ~ x + strata(set)`` on the analysed rows."""
    out: dict[str, Any] = {"test": LABELS["clogit"], "_key": "clogit"}
    if not rows.size:
        warn(notes, f"{FUNC}(): '{var}': no complete set; no test.", SmallSampleWarning)
        return out
    codes = design.codes
    # sets renumbered 0..S'−1 in order (np.unique's inverse, without its sort)
    present = np.bincount(codes[rows]) > 0
    recoded = (np.cumsum(present) - 1)[codes[rows]]
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


def set_layout(
    rows: np.ndarray, codes: np.ndarray, grp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The set of each analysed row, its case indicator and the controls per set: computed once
    per variable for :func:`set_difference` (of the variable or of each of its levels)."""
    c, w = codes[rows], grp[rows].astype(float)
    return c, w, np.bincount(c, weights=1.0 - w)


def set_difference(
    v: np.ndarray, layout: tuple[np.ndarray, np.ndarray, np.ndarray], alpha: float
) -> dict[str, float]:
    """Mean over the analysed sets of (case − mean of its controls), with its t CI.

    ``v`` holds the values of the analysed rows (sets with their case and ≥ 1 control, as the
    score test uses; a level's 0/1 indicator for a categorical variable), ``layout`` their
    :func:`set_layout`. The sets are independent, the patients within a set are not, so the
    set is the unit: the S within-set differences d_s give the estimate d̄ and the standard t
    interval d̄ ± t_{S−1} · sd(d) / √S (R's ``t.test`` on the d_s). A set that lost controls to
    missing values compares its case with the mean of the controls left. With 1:1 pairs this is
    the paired t; with k controls in every set, d̄ equals the case mean minus the control mean.
    No CI when fewer than two sets or when every set has the same difference.

    Examples
    --------
    >>> codes = np.array([0, 0, 0, 1, 1, 1])
    >>> case = np.array([1, 0, 0, 1, 0, 0])
    >>> layout = set_layout(np.arange(6), codes, case)
    >>> r = set_difference(np.array([3.0, 1.0, 2.0, 5.0, 4.0, 4.5]), layout, 0.05)
    >>> [round(r[k], 4) for k in ("diff", "ci_low", "ci_high")]  # d = 1.5 and 0.75
    [1.125, -3.6398, 5.8898]
    """
    # Binary rows: the same within-set difference of the 0/1 indicator, not a Mantel–Haenszel
    # risk difference. MH weights set s by k_s/(k_s + 1), which is equal weights whenever every
    # set has k controls (the usual 1:k design), and its sparse-strata variance (Sato's) needs
    # a large number of sets as this t interval does; one definition for every row keeps the
    # column a single kind of estimate, centred on the number printed. The interval is the
    # closed form (scipy's ``ttest_1samp`` would recompute a test that is not printed); the
    # set sums are weighted bincounts (no masks: a tenth of Table 1's time at 10⁵ sets).
    from scipy import special

    c, w, k = layout
    vw = v * w
    cases = np.bincount(c, weights=vw, minlength=k.size)
    controls = np.bincount(c, weights=v - vw, minlength=k.size)
    used = k > 0
    d = cases[used] - controls[used] / k[used]
    out = {"diff": float(d.mean()) if d.size else np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if d.size < 2:
        return out
    se = float(d.std(ddof=1)) / np.sqrt(d.size)
    if not se > 10 * np.finfo(float).eps * abs(out["diff"]):  # constant d (t.test's rule)
        return out
    half = float(special.stdtrit(d.size - 1, 1 - alpha / 2) * se)
    return {**out, "ci_low": out["diff"] - half, "ci_high": out["diff"] + half}
