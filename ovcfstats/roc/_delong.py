"""DeLong placements by midranks (Sun & Xu 2014), one sort per indicator, and the ROC steps;
the DeLong covariance of several AUCs and the tests built on it (paired, unpaired, omnibus).

Hand-written because no well-kept library offers it: sklearn has no DeLong variance, scipy no
placements; a naive DeLong is O(m·n). From one stable argsort of the pooled scores we get the
pooled midranks, the within-case and within-control midranks (the sorted order restricted to
each group is already sorted), the tie blocks, and the ROC curve's vertices for the trapezoid
check and the Youden cut-off. Counts are float64 throughout (pROC issue #19 came from overflow).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _midranks_sorted(values: np.ndarray) -> np.ndarray:
    """1-based midranks of an already sorted array (ties share the mean of their ranks)."""
    n = values.size
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    ends = np.r_[starts[1:], n]
    return np.repeat((starts + ends + 1) / 2.0, ends - starts)


@dataclass(frozen=True)
class Placements:
    """Structural components of one indicator's AUC (higher score = case)."""

    v10: np.ndarray  # per case: share of controls below it (ties ½)
    v01: np.ndarray  # per control: share of cases above it (ties ½)
    thresholds: np.ndarray  # distinct sorted score values
    cases_at: np.ndarray  # cases at each distinct value
    controls_at: np.ndarray  # controls at each distinct value

    @property
    def auc(self) -> float:
        return float(self.v10.mean())

    def flipped(self) -> Placements:
        """The placements of the negated score (lower = case), without sorting again."""
        return Placements(
            1.0 - self.v10,
            1.0 - self.v01,
            -self.thresholds[::-1],
            self.cases_at[::-1],
            self.controls_at[::-1],
        )

    def trapezoid_auc(self) -> float:
        """AUC by the trapezoid rule on the ROC vertices (pROC's cross-check of the placements)."""
        m, n = self.cases_at.sum(), self.controls_at.sum()
        tpr = np.r_[m, m - np.cumsum(self.cases_at)] / m
        fpr = np.r_[n, n - np.cumsum(self.controls_at)] / n
        return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


def placements(score: np.ndarray, is_case: np.ndarray) -> Placements:
    """Placements of cases and controls for ``score`` (higher = case), O(N log N)."""
    order = np.argsort(score, kind="stable")
    s = score[order]
    c = is_case[order]
    m, n = float(c.sum()), float((~c).sum())
    pooled = _midranks_sorted(s)
    within_cases = _midranks_sorted(s[c])
    within_controls = _midranks_sorted(s[~c])
    # back to the data's own order, so that placements of several indicators line up per patient
    own = np.empty(s.size)
    own[order[c]] = (pooled[c] - within_cases) / n
    own[order[~c]] = 1.0 - (pooled[~c] - within_controls) / m
    v10, v01 = own[is_case], own[~is_case]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    cases_at = np.add.reduceat(c.astype(float), starts)
    return Placements(v10, v01, s[starts], cases_at, np.diff(np.r_[starts, s.size]) - cases_at)


def delong_covariance(
    components: list[Placements], contrast: np.ndarray | None = None
) -> np.ndarray:
    """DeLong covariance matrix of k AUCs on the same cases and controls (of L·AUC with L).

    The one covariance path of the package: an AUC's variance (k = 1), a paired difference
    (L = [1, −1]) and the omnibus contrasts all come from here. With ``contrast`` the
    covariance of the contrasts is computed from the contrasted placements (L·V), which equals
    L S Lᵀ but keeps an exact zero for identical curves (no cancellation).
    """
    v10 = np.vstack([p.v10 for p in components])
    v01 = np.vstack([p.v01 for p in components])
    if contrast is not None:
        v10, v01 = contrast @ v10, contrast @ v01
    m, n = v10.shape[1], v01.shape[1]
    return np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n


def youden_cutoffs(p: Placements) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All cut-offs maximising sensitivity + specificity − 1 (exact integer comparison).

    Returns the thresholds (midpoints between adjacent distinct values, pROC's convention; ±inf
    at the ends), the observed value at which the call changes (sklearn's), and the numbers of
    true positives and true negatives at each optimum.
    """
    m, n = int(p.cases_at.sum()), int(p.controls_at.sum())
    below_cases = np.r_[0, np.cumsum(p.cases_at)].astype(np.int64)
    below_controls = np.r_[0, np.cumsum(p.controls_at)].astype(np.int64)
    tp = m - below_cases
    tn = below_controls
    score = tp * n + tn * m  # (J + 1)·m·n, an exact integer
    best = np.flatnonzero(score == score.max())
    t = p.thresholds
    mid = np.r_[-np.inf, t[:-1] / 2 + t[1:] / 2, np.inf]  # the same bits, no overflow at 1e308
    observed = np.r_[t, np.inf]
    return mid[best], observed[best], tp[best], tn[best]


def stratified_bootstrap_auc(
    score: np.ndarray, is_case: np.ndarray, n_boot: int, rng: np.random.Generator, chunk: int = 256
) -> np.ndarray:
    """AUCs of ``n_boot`` stratified resamples, vectorised (no loop over resamples within a chunk).

    Scores are coded by their distinct values; each resample's controls become a count histogram,
    whose cumulative sums give each resampled case's placement.
    """
    codes, inverse = np.unique(score, return_inverse=True)
    case_codes, control_codes = inverse[is_case], inverse[~is_case]
    m, n, d = case_codes.size, control_codes.size, codes.size
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        ctrl = control_codes[rng.integers(0, n, (b, n))]
        counts = np.zeros((b, d))
        np.add.at(counts, (np.arange(b)[:, None], ctrl), 1.0)
        below = np.cumsum(counts, axis=1) - counts
        cases = case_codes[rng.integers(0, m, (b, m))]
        rows = np.arange(b)[:, None]
        out[start : start + b] = (below[rows, cases] + counts[rows, cases] / 2).mean(axis=1) / n
    return out


def delong_test(
    pa: Placements, pb: Placements, paired: bool
) -> tuple[float, float, float, float, float]:
    """diff, its SE, z (or t), p and — unpaired — Welch df of two AUCs (DeLong).

    The unpaired df follow pROC: N is the number of observations behind each curve.
    """
    from scipy.stats import norm, t

    diff = pa.auc - pb.auc
    if paired:
        var = float(delong_covariance([pa, pb], np.array([[1.0, -1.0]]))[0, 0])
        df = np.inf
    else:
        va = float(delong_covariance([pa])[0, 0])
        vb = float(delong_covariance([pb])[0, 0])
        var = va + vb
        na, nb = pa.v10.size + pa.v01.size, pb.v10.size + pb.v01.size
        df = var**2 / (va**2 / (na - 1) + vb**2 / (nb - 1)) if var > 0 else np.inf
    se = float(np.sqrt(var))
    # identical curves: 0/0 is read as no difference; a difference without variance as infinite
    degenerate = 0.0 if diff == 0.0 else float(np.copysign(np.inf, diff))
    stat = diff / se if se > 0.0 else degenerate
    p = float(2 * (norm.sf(abs(stat)) if np.isinf(df) else t.sf(abs(stat), df)))
    return diff, se, stat, p, float(df) if not paired else np.nan


def delong_omnibus(comps: list[Placements]) -> tuple[float, int, float]:
    """χ² that all k AUCs are equal, on k − 1 successive contrasts (Stata roccomp)."""
    from scipy.stats import chi2

    aucs = np.array([c.auc for c in comps])
    contrast = np.eye(len(comps))[:-1] - np.eye(len(comps), k=1)[:-1]
    lcov = delong_covariance(comps, contrast)
    rank = int(np.linalg.matrix_rank(lcov))
    stat = float(contrast @ aucs @ np.linalg.pinv(lcov) @ (contrast @ aucs))
    return stat, rank, float(chi2.sf(stat, rank)) if rank else np.nan
