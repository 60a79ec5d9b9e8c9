"""Separation of a logistic model's data, decided by linear programming.

The ML estimate does not exist iff some direction d ≠ 0 has (2y − 1)·xᵢd ≥ 0 for every row (for
the conditional model: (x_case − x_control)·d ≥ 0 within every set).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _separation(A: np.ndarray) -> tuple[str, np.ndarray]:
    """Kind of separation of the rows ``A`` (a_i·d ≥ 0 for all i) and the diverging coefficients.

    ``A`` holds (2y − 1)·x_i for the logistic model, x_case − x_control for the conditional one.
    Columns are rescaled to max |a| = 1 (the cone is unchanged); d is boxed in [−1, 1].
    "complete" if some d makes all a_i·d > 0, else "quasi-complete"; a coefficient diverges iff
    some such d has d_j ≠ 0.
    """
    from scipy.optimize import linprog

    n, p = A.shape
    scale = np.max(np.abs(A), axis=0)
    A = A / np.where(scale > 0, scale, 1.0)
    box = [(-1.0, 1.0)] * p
    tol = 1e-7
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(n), bounds=box, method="highs")
    if res.status != 0 or -res.fun <= tol:
        return "none", np.zeros(p, bool)
    # complete: max t with A d ≥ t, t ≤ 1
    res_c = linprog(
        np.r_[np.zeros(p), -1.0],
        A_ub=np.c_[-A, np.ones(n)],
        b_ub=np.zeros(n),
        bounds=[*box, (None, 1.0)],
        method="highs",
    )
    kind = "complete" if res_c.status == 0 and -res_c.fun > tol else "quasi-complete"
    diverging = np.zeros(p, bool)
    for j in range(p):
        for sign in (-1.0, 1.0):
            c = np.zeros(p)
            c[j] = sign
            r = linprog(c, A_ub=-A, b_ub=np.zeros(n), bounds=box, method="highs")
            if r.status == 0 and -r.fun > tol:
                diverging[j] = True
                break
    return kind, diverging


def _contrasts(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Rows x_case − x_control for every case–control pair within each matched set."""
    codes = pd.factorize(np.asarray(groups), sort=False)[0]
    rows = np.arange(len(codes))
    cases = pd.DataFrame({"g": codes[y == 1], "i": rows[y == 1]})
    ctrls = pd.DataFrame({"g": codes[y == 0], "j": rows[y == 0]})
    pairs = cases.merge(ctrls, on="g")
    return X[pairs["i"].to_numpy()] - X[pairs["j"].to_numpy()]
