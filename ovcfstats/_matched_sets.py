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

import numpy as np


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
