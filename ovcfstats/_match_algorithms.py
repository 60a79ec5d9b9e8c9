"""Matching algorithms on one exact stratum: optimal assignment, greedy nearest, random.

Each takes the caliper variables of the stratum's cases and controls (rows × variables) and
returns ``(case_positions, control_positions)`` into those arrays; :func:`~ovcfstats.match_controls`
validates the input, splits it into exact strata and assembles the result.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np


def distance_matrix(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Normalised distance Σ|Δ|/caliper, +inf where any |Δ| exceeds its caliper."""
    diff = np.abs(case_x[:, None, :] - ctrl_x[None, :, :]) / widths
    dist = diff.sum(axis=2)
    dist[(diff > 1 + 1e-12).any(axis=2)] = np.inf
    return dist


def optimal(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray, ratio: int):
    """Most pairs, then the smallest total distance, on a sparse graph of caliper edges.

    Each case is repeated ``ratio`` times (slots). Only controls within the caliper are edges, and
    of those only each case's ``ratio × (cases within two calipers)`` nearest: a slot matched
    further away leaves one of its nearer controls free (fewer rival slots than nearer
    controls), and moving to it keeps the pairs and does not add distance, so some optimum
    uses kept edges only. Every slot also has its own "unmatched" column costing more than any
    set of real pairs, which turns "most pairs, then least distance" into one full minimum-
    weight matching (real edges weigh 1 + distance: explicit, never a zero entry).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    rows, cols, dist = _caliper_edges(case_x, ctrl_x, widths, ratio)
    if rows.size == 0:
        return np.empty(0, int), np.empty(0, int)
    used, cols = np.unique(cols, return_inverse=True)
    n_slot = len(case_x) * ratio
    big = n_slot * (2.0 + widths.size) + 1.0
    slot = (rows[None, :] * ratio + np.arange(ratio)[:, None]).ravel()
    graph = csr_matrix(
        (
            np.r_[np.tile(1.0 + dist, ratio), np.full(n_slot, big)],
            (
                np.r_[slot, np.arange(n_slot)],
                np.r_[np.tile(cols, ratio), used.size + np.arange(n_slot)],
            ),
        ),
        shape=(n_slot, used.size + n_slot),
    )
    match = min_weight_full_bipartite_matching(graph)[1]
    real = np.flatnonzero(match < used.size)
    return real // ratio, used[match[real]]


def _caliper_edges(case_x, ctrl_x, widths, ratio, chunk=2_000_000):
    """(case, control, distance) of the kept caliper edges; see :func:`optimal`."""
    order = np.argsort(ctrl_x[:, 0], kind="stable")
    values = ctrl_x[order, 0]
    x = case_x[:, 0]
    tol = widths[0] * (1 + 1e-12)
    lows = np.searchsorted(values, x - tol, "left")
    highs = np.searchsorted(values, x + tol, "right")
    sorted_x, reach = np.sort(x), 2 * tol * (1 + 1e-9)
    keep = ratio * (
        np.searchsorted(sorted_x, x + reach, "right") - np.searchsorted(sorted_x, x - reach, "left")
    )
    if case_x.shape[1] == 1:  # the nearest controls are a run of sorted values around the case
        inserts = np.searchsorted(values, x, "left")
        lows, highs = np.maximum(lows, inserts - keep), np.minimum(highs, inserts + keep)
    sizes = np.maximum(highs - lows, 0)
    ends = np.cumsum(sizes)  # cases in pieces of about `chunk` window entries: bounded memory
    cuts = np.unique(np.r_[0, np.searchsorted(ends, np.arange(chunk, ends[-1], chunk)), len(x)])
    parts = [
        _window_edges(case_x, ctrl_x, order, widths, lows, sizes, keep, a, b)
        for a, b in pairwise(cuts)
    ]
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))


def _window_edges(case_x, ctrl_x, order, widths, lows, sizes, keep, first, last):
    """Edges of cases first..last-1: feasible window controls, the nearest ``keep`` of each."""
    n = sizes[first:last]
    rows = np.repeat(np.arange(first, last), n)
    pos = np.arange(n.sum()) + np.repeat(lows[first:last] - (np.cumsum(n) - n), n)
    cols = order[pos]
    diff = np.abs(case_x[rows] - ctrl_x[cols]) / widths
    ok = (diff <= 1 + 1e-12).all(axis=1)
    rows, cols, dist = rows[ok], cols[ok], diff[ok].sum(axis=1)
    if case_x.shape[1] > 1:  # several variables: rank each case's feasible controls by distance
        by = np.lexsort((dist, rows))
        rows, cols, dist = rows[by], cols[by], dist[by]
        start = np.searchsorted(rows, rows, "left")
        near = np.arange(rows.size) - start < keep[rows]
        rows, cols, dist = rows[near], cols[near], dist[near]
    return rows, cols, dist


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
