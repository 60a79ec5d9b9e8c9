"""Matching algorithms on one exact stratum: optimal assignment, greedy nearest, random.

Each takes the caliper variables of the stratum's cases and controls (rows × variables) and
returns ``(case_positions, control_positions)`` into those arrays; :func:`~ovcfstats.match_controls`
validates the input, splits it into exact strata and assembles the result.
"""

from __future__ import annotations

import numpy as np


def distance_matrix(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Normalised distance Σ|Δ|/caliper, +inf where any |Δ| exceeds its caliper."""
    diff = np.abs(case_x[:, None, :] - ctrl_x[None, :, :]) / widths
    dist = diff.sum(axis=2)
    dist[(diff > 1 + 1e-12).any(axis=2)] = np.inf
    return dist


def optimal(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray, ratio: int):
    from scipy.optimize import linear_sum_assignment

    near = (np.abs(case_x[:, None, 0] - ctrl_x[None, :, 0]) <= widths[0] * (1 + 1e-12)).any(axis=0)
    cand = np.flatnonzero(near)
    if cand.size == 0:
        return np.empty(0, int), np.empty(0, int)
    dist = distance_matrix(case_x, ctrl_x[cand], widths)
    dist = np.repeat(dist, ratio, axis=0)
    feasible = np.isfinite(dist)
    # An infeasible edge costs more than any set of feasible ones: pairs are maximised first.
    big = (np.nanmax(np.where(feasible, dist, 0.0)) + 1.0) * (dist.shape[0] + 1)
    rows, cols = linear_sum_assignment(np.where(feasible, dist, big))
    keep = feasible[rows, cols]
    return rows[keep] // ratio, cand[cols[keep]]


def greedy(
    case_x: np.ndarray,
    ctrl_x: np.ndarray,
    widths: np.ndarray,
    ratio: int,
    rng=None,
    ties: str = "lower",
    case_pos: np.ndarray | None = None,
    ctrl_pos: np.ndarray | None = None,
):
    """Nearest (rng None) or random-within-caliper matching on sorted controls.

    ``case_pos``/``ctrl_pos`` (data positions) are needed by ``ties="matchit"`` only.
    """
    order = np.argsort(ctrl_x[:, 0], kind="stable")
    values = ctrl_x[order, 0]
    # Each case's caliper window [lo, hi) and insertion point, found for all cases at once.
    tol = widths[0] * (1 + 1e-12)
    lows = np.searchsorted(values, case_x[:, 0] - tol, "left").tolist()
    highs = np.searchsorted(values, case_x[:, 0] + tol, "right").tolist()
    if rng is None and case_x.shape[1] == 1:
        inserts = np.searchsorted(values, case_x[:, 0], "left")
        if ties == "matchit":
            # MatchIt's position of the case among equal values: after those earlier in the data
            same_end = np.searchsorted(values, case_x[:, 0], "right")
            pos = np.asarray(ctrl_pos)[order]
            inserts = inserts + np.array(
                [
                    np.searchsorted(pos[a:b], p)
                    for a, b, p in zip(inserts, same_end, case_pos, strict=True)
                ],
                dtype=int,
            )
        first_equal = np.searchsorted(values, values, "left").tolist() if ties == "lower" else None
        xs, vals = case_x[:, 0].tolist(), values.tolist()
        cases, picks = nearest_1d(xs, vals, lows, highs, inserts.tolist(), ratio, first_equal)
    else:
        cases, picks = windowed(case_x, ctrl_x, order, widths, lows, highs, ratio, rng)
    return np.asarray(cases, int), order[np.asarray(picks, int)]


def nearest_1d(
    xs: list,
    vals: list,
    lows: list,
    highs: list,
    inserts: list,
    ratio: int,
    first_equal: list | None = None,
):
    """Greedy nearest on one sorted variable; returns case positions and sorted-control positions.

    Skip pointers with path compression: ``right[i]`` leads to the first unused index ≥ i (n:
    none); ``left[i + 1]`` to 1 + the last unused index ≤ i (0: none), so each lookup is near
    O(1). Plain lists and inlined lookups: this loop runs once per case and dominates the time.
    ``first_equal[j]`` (the first index holding ``vals[j]``) makes a pick below the case take the
    first unused of equal values in data order; without it, the one nearest in sorted order.
    """
    n = len(vals)
    right, left = list(range(n + 1)), list(range(n + 1))
    cases, picks = [], []
    for _ in range(ratio):
        for i, x in enumerate(xs):
            pos = inserts[i]
            after = pos
            while right[after] != after:
                after = right[after]
            while right[pos] != after:
                right[pos], pos = after, right[pos]
            pos = inserts[i]
            before = pos
            while left[before] != before:
                before = left[before]
            while left[pos] != before:
                left[pos], pos = before, left[pos]
            before -= 1
            lo, hi = lows[i], highs[i]
            ok_before, ok_after = lo <= before < hi, lo <= after < hi
            if not (ok_before or ok_after):
                continue
            # equally close: the lower value (a stable sort keeps data order within a value)
            take_before = ok_before and (not ok_after or x - vals[before] <= vals[after] - x)
            j = before if take_before else after
            if take_before and first_equal is not None and first_equal[j] != j:
                j = first_equal[j]  # the first unused control of this value: lies in [j, before]
                while right[j] != j:
                    j = right[j]
            right[j] = j + 1
            left[j + 1] = j
            cases.append(i)
            picks.append(j)
    return cases, picks


def windowed(case_x, ctrl_x, order, widths, lows, highs, ratio, rng):
    """Greedy over each case's caliper window: random (SPSS) or nearest on several variables."""
    used = np.zeros(len(order), bool)
    cases, picks = [], []
    for _ in range(ratio):
        for i in range(len(case_x)):
            lo, hi = lows[i], highs[i]
            window = np.arange(lo, hi)[~used[lo:hi]]
            if case_x.shape[1] > 1 and window.size:
                d = distance_matrix(case_x[i][None, :], ctrl_x[order[window]], widths)[0]
                window, d = window[np.isfinite(d)], d[np.isfinite(d)]
                if rng is None and window.size:
                    window = window[[int(np.argmin(d))]]
            if window.size == 0:
                continue
            j = int(window[0] if rng is None else rng.choice(window))
            used[j] = True
            cases.append(i)
            picks.append(j)
    return cases, picks
