"""The chained-equations engine: numpy arrays in, ``m`` completed arrays out.

Hand-written rather than ``statsmodels.imputation.mice.MICEData``, which imputes every variable by
predictive mean matching on an OLS fit (no logistic model for a binary column), draws from numpy's
global random state (no seed of its own, so two runs differ unless the caller seeds the whole
process) and refits through formulas and pandas per variable and cycle (about ten times slower
here, see benchmarks/bench_impute.py). The draws follow ``mice``'s methods:

- ``pmm`` (mice.impute.pmm, type-1 matching): β̂ and σ̂ of the OLS fit on the observed rows (ridge
  1e-5·diag(X'X), as mice's ``.norm.draw``), σ* = σ̂·√(ν/χ²_ν), β* = β̂ + σ*·L·z with L the
  Cholesky factor of (X'X)⁻¹; the observed rows are predicted with β̂, the missing ones with β*,
  and each missing value takes the observed value of one of its 5 nearest donors at random.
- ``logistic`` (mice.impute.logreg): β* drawn from N(β̂, I(β̂)⁻¹) of the logistic fit, each missing
  value is 1 with probability expit(x·β*).

Each chain starts from random draws of the observed values and cycles ``iterations`` times over the
variables in the order given; chain i uses its own generator spawned from the seed.
"""

from __future__ import annotations

import numpy as np

RIDGE = 1e-5
DONORS = 5
NEWTON_STEPS = 25


def impute_chains(
    values: np.ndarray,
    targets: list[int],
    kinds: list[str],
    predictors: dict[int, list[int]],
    m: int,
    iterations: int,
    seed: int,
) -> list[np.ndarray]:
    """``m`` completed copies of ``values`` (float, NaN = missing; only ``targets`` are filled).

    ``predictors[j]`` are the column indices predicting target ``j``; ``kinds[k]`` is
    ``"pmm"`` or ``"logistic"`` for ``targets[k]``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 1.0], [np.nan, 1.0], [5.0, 1.0]])
    >>> out = impute_chains(x, [0], ["pmm"], {0: [1]}, m=2, iterations=2, seed=1)
    >>> len(out), bool(np.isin(out[0][3, 0], [1.0, 2.0, 3.0, 5.0]))
    (2, True)
    """
    miss = np.isnan(values)
    # row indices once (np.take beats a boolean mask per cycle); column 0 is the intercept
    seen_rows = {j: np.flatnonzero(~miss[:, j]) for j in targets}
    gap_rows = {j: np.flatnonzero(miss[:, j]) for j in targets}
    cols = {j: np.r_[0, np.asarray(predictors[j], dtype=int) + 1] for j in targets}
    chains = []
    for rng in (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(m)):
        x = np.column_stack([np.ones(len(values)), values])
        for j in targets:  # start: random draws of the observed values (mice's default)
            x[gap_rows[j], j + 1] = rng.choice(x[seen_rows[j], j + 1], gap_rows[j].size)
        start: dict[int, np.ndarray] = {}  # each logistic fit starts from the previous cycle's
        for _ in range(iterations):
            for j, kind in zip(targets, kinds, strict=True):
                x_obs = x[seen_rows[j]][:, cols[j]]
                x_mis = x[gap_rows[j]][:, cols[j]]
                y_obs = x[seen_rows[j], j + 1]
                if kind == "pmm":
                    x[gap_rows[j], j + 1] = _pmm(x_obs, y_obs, x_mis, rng)
                else:
                    x[gap_rows[j], j + 1], start[j] = _logistic(x_obs, y_obs, x_mis, rng,
                                                                start.get(j))
        chains.append(x[:, 1:])
    return chains


def _pmm(
    x_obs: np.ndarray, y_obs: np.ndarray, x_mis: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    xtx = x_obs.T @ x_obs
    xtx[np.diag_indices_from(xtx)] += RIDGE * np.diag(xtx)
    inv = np.linalg.inv(xtx)
    beta = inv @ (x_obs.T @ y_obs)
    resid = y_obs - x_obs @ beta
    df = max(len(y_obs) - x_obs.shape[1], 1)
    sigma = np.sqrt(resid @ resid / rng.chisquare(df))
    beta_star = beta + sigma * np.linalg.cholesky(inv) @ rng.standard_normal(len(beta))
    return y_obs[_donors(x_obs @ beta, x_mis @ beta_star, rng)]


def _donors(pred_obs: np.ndarray, pred_mis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Index of a random one of the ``DONORS`` observed predictions nearest each missing one.

    Vectorised: the nearest lie within ``DONORS`` places either side of the insertion point in the
    sorted observed predictions, so only that window of 2·DONORS candidates is compared.
    """
    order = np.argsort(pred_obs)
    ranked = pred_obs[order]
    k = min(DONORS, len(ranked))
    at = np.searchsorted(ranked, pred_mis)  # (needles unsorted: sorting them costs more)
    window = at[:, None] + np.arange(-k, k)[None, :]
    window = np.clip(window, 0, len(ranked) - 1)
    dist = np.abs(ranked[window] - pred_mis[:, None])
    dist[:, 1:][window[:, 1:] == window[:, :-1]] = np.inf  # clipped duplicates
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    pick = nearest[np.arange(len(pred_mis)), rng.integers(0, k, len(pred_mis))]
    return order[window[np.arange(len(pred_mis)), pick]]


def _logistic(
    x_obs: np.ndarray,
    y_obs: np.ndarray,
    x_mis: np.ndarray,
    rng: np.random.Generator,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The drawn 0/1 values and β̂ (the next cycle's starting point)."""
    beta, info = _logit_fit(x_obs, y_obs, start)
    cov = np.linalg.inv(info)
    beta_star = beta + np.linalg.cholesky(cov) @ rng.standard_normal(len(beta))
    prob = 1 / (1 + np.exp(-(x_mis @ beta_star)))
    return (rng.random(len(prob)) < prob).astype(float), beta


def _logit_fit(
    x: np.ndarray, y: np.ndarray, start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method with mice's ridge on the information (finite under separation)."""
    beta = np.zeros(x.shape[1]) if start is None else start.copy()
    for _ in range(NEWTON_STEPS):
        p = 1 / (1 + np.exp(-(x @ beta)))
        w = p * (1 - p)
        info = (x * w[:, None]).T @ x
        info[np.diag_indices_from(info)] += RIDGE * np.maximum(np.diag(info), 1.0)
        step = np.linalg.solve(info, x.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta, info
