"""Matching algorithms on one exact stratum: optimal assignment, greedy nearest, random.

Each takes the caliper variables of the stratum's cases and controls (rows × variables) and
returns ``(case_positions, control_positions)`` into those arrays; :func:`~ovcfstats.match_controls`
validates the input, splits it into exact strata and assembles the result.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ._nearest import nearest_grouped


def distance_matrix(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Normalised distance Σ|Δ|/caliper, +inf where any |Δ| exceeds its caliper."""
    diff = np.abs(case_x[:, None, :] - ctrl_x[None, :, :]) / widths
    dist = diff.sum(axis=2)
    dist[(diff > 1 + 1e-12).any(axis=2)] = np.inf
    return dist


# Strata up to this many case-slot × candidate cells are solved densely, as they always were:
# among equally good matchings the solvers may pick different pairs, and the dense choice is
# kept wherever it is cheap (every published and sample result). Larger strata go sparse.
DENSE_CELLS = 1_000_000


def optimal(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray, ratio: int):
    """The most pairs, then the smallest total distance (dense or sparse solver by size)."""
    near = _near_first_variable(case_x, ctrl_x, widths)
    if len(case_x) * ratio * near.sum() <= DENSE_CELLS:
        return dense_optimal(case_x, ctrl_x, widths, ratio)
    grouped = grouped_optimal(case_x, ctrl_x, widths, ratio)
    return grouped if grouped is not None else sparse_optimal(case_x, ctrl_x, widths, ratio)


def grouped_optimal(case_x, ctrl_x, widths, ratio, max_edges=200_000):
    """Optimal matching of heavily tied values (whole-year ages) as a transportation problem.

    Cases with equal values are interchangeable, and so are controls: the pairs between value
    groups are found by two linear programs (HiGHS simplex; the network matrix makes its basic
    solutions whole numbers): the most pairs, then the least distance with that many pairs.
    They are then dealt to the group members in data order, one control per case per round.
    None when values are too varied for this to pay (the sparse solver then takes over).
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    case_val, case_grp, case_n = _groups(case_x)
    ctrl_val, ctrl_grp, ctrl_n = _groups(ctrl_x)
    if 4 * len(case_val) > len(case_x):
        return None
    # every caliper edge between groups: a "ratio" of len(ctrl_val) keeps them all
    order, eg, pos, dist = _caliper_edges(case_val, ctrl_val, widths, len(ctrl_val))
    eh = order[pos]
    if eg.size == 0 or eg.size > max_edges:
        return None if eg.size else (np.empty(0, int), np.empty(0, int))
    edge = np.arange(eg.size)
    ones = np.ones(eg.size)
    a_ub = vstack(
        [
            coo_matrix((ones, (eg, edge)), shape=(len(case_val), eg.size)),
            coo_matrix((ones, (eh, edge)), shape=(len(ctrl_val), eg.size)),
        ]
    ).tocsr()
    b_ub = np.r_[ratio * case_n, ctrl_n].astype(float)
    most = linprog(-ones, A_ub=a_ub, b_ub=b_ub, method="highs-ds")
    if most.status != 0:
        return None
    n_pairs = round(-most.fun)
    least = linprog(
        dist, A_ub=a_ub, b_ub=b_ub, A_eq=ones[None, :], b_eq=[n_pairs], method="highs-ds"
    )
    flow = np.rint(least.x) if least.status == 0 else None
    if flow is None or np.abs(flow - least.x).max() > 1e-6 or flow.sum() != n_pairs:
        return None
    return _deal(flow.astype(int), eg, eh, case_grp, ctrl_grp, case_n, ctrl_n)


def _groups(x):
    """Distinct rows, each row's group and the group sizes (1-D unique: far faster)."""
    if x.shape[1] == 1:
        val, grp, n = np.unique(x[:, 0], return_inverse=True, return_counts=True)
        return val[:, None], grp, n
    val, grp, n = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    return val, grp.ravel(), n


def _deal(flow, eg, eh, case_grp, ctrl_grp, case_n, ctrl_n):
    """Case and control positions for group-to-group pair counts ``flow`` (edges eg -> eh)."""
    cases = np.argsort(case_grp, kind="stable")  # members of each group, in data order
    ctrls = np.argsort(ctrl_grp, kind="stable")
    case_first, ctrl_first = np.cumsum(case_n) - case_n, np.cumsum(ctrl_n) - ctrl_n

    def offsets(by):  # where each edge's pairs start among its group's pairs
        order = np.lexsort((np.arange(by.size), by))
        start = np.empty(by.size, int)
        cum = np.cumsum(flow[order])
        start[order] = (
            cum - flow[order] - (cum - flow[order])[np.searchsorted(by[order], by[order])]
        )
        return start

    case_off, ctrl_off = offsets(eg), offsets(eh)
    unit = np.repeat(np.arange(flow.size), flow)
    k = np.arange(unit.size) - np.repeat(np.cumsum(flow) - flow, flow)
    slot = case_off[unit] + k  # round slot // size, case slot % size of the group
    ci = cases[case_first[eg[unit]] + slot % case_n[eg[unit]]]
    ki = ctrls[ctrl_first[eh[unit]] + ctrl_off[unit] + k]
    return ci, ki


def _near_first_variable(case_x, ctrl_x, widths):
    """Controls within the caliper of some case in the first variable."""
    cases, tol = np.sort(case_x[:, 0]), widths[0] * (1 + 1e-12)
    y = ctrl_x[:, 0]
    return np.searchsorted(cases, y + tol, "right") > np.searchsorted(cases, y - tol, "left")


def dense_optimal(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray, ratio: int):
    """Dense case-slot × candidate costs; an infeasible pair costs more than all feasible ones."""
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


def sparse_optimal(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray, ratio: int):
    """Most pairs, then the smallest total distance, on a sparse graph of caliper edges.

    Each case is repeated ``ratio`` times (slots) and every slot has its own "unmatched" column
    costing more than any set of real pairs: "most pairs, then least distance" becomes one full
    minimum-weight bipartite matching (real edges weigh 1 + distance, never a zero entry).

    Only caliper edges that some optimum needs are built. A slot matched further away than a
    free control could move to it without losing a pair or adding distance, so the nearer
    controls are all taken by rival slots and their number bounds how far a slot must look:

    - several variables: rivals are slots of cases within two calipers (in the first
      variable); each case keeps that many of its nearest feasible controls.
    - one variable: some optimum is also non-crossing (a lower case never has a higher control
      than a higher case: swapping such pairs keeps both within the caliper and never adds
      distance) and, among equal control values, gives the lowest indices to cases below the
      value and the highest to cases above it. Then the controls between a case and its control
      above it are held by slots of cases up to one caliper below the case, and vice versa; the
      kept edges are a run of sorted controls of that many on each side.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    order, rows, pos, dist = _caliper_edges(case_x, ctrl_x, widths, ratio)
    if rows.size == 0:
        return np.empty(0, int), np.empty(0, int)
    n_slot = len(case_x) * ratio
    graph = csr_matrix(
        _slot_rows(rows, pos, dist, len(case_x), ratio, widths.size),
        shape=(n_slot, n_slot + len(ctrl_x)),
    )
    match = min_weight_full_bipartite_matching(graph)[1]
    got = np.flatnonzero(match >= n_slot)
    return got // ratio, order[match[got] - n_slot]


def _slot_rows(rows, pos, dist, n_case, ratio, n_var):
    """CSR ``(data, indices, indptr)``, one row per slot: its unmatched column (0..n_slot-1)
    first, then its case's edges (column n_slot + sorted control position, ascending)."""
    n_slot = n_case * ratio
    per_case = np.bincount(rows, minlength=n_case)
    indptr = np.zeros(n_slot + 1, np.int64)
    np.cumsum(np.repeat(per_case, ratio) + 1, out=indptr[1:])
    own = np.zeros(indptr[-1], bool)
    own[indptr[:-1]] = True
    if ratio > 1:  # each slot repeats its case's edges
        start = np.repeat(np.cumsum(per_case) - per_case, ratio)
        size = np.repeat(per_case, ratio)
        take = np.arange(size.sum()) + np.repeat(start - (np.cumsum(size) - size), size)
        pos, dist = pos[take], dist[take]
    indices = np.empty(indptr[-1], np.int32)
    indices[own] = np.arange(n_slot)
    indices[~own] = pos + n_slot
    data = np.empty(indptr[-1])
    data[own] = n_slot * (2.0 + n_var) + 1.0  # more than any set of real pairs weighs
    data[~own] = 1.0 + dist
    return data, indices, indptr.astype(np.int32)


def _caliper_edges(case_x, ctrl_x, widths, ratio, chunk=2_000_000):
    """Controls' sort order and the kept caliper edges (case, sorted position, distance).

    Edges come by case, and by position within a case; see :func:`optimal`.
    """
    order = np.argsort(ctrl_x[:, 0], kind="stable")
    values = ctrl_x[order, 0]
    x = case_x[:, 0]
    tol = widths[0] * (1 + 1e-12)
    lows = np.searchsorted(values, x - tol, "left")
    highs = np.searchsorted(values, x + tol, "right")
    sorted_x, reach = np.sort(x), tol * (1 + 1e-9)  # counting a rival too many is harmless

    def cases_within(lo, hi):
        return np.searchsorted(sorted_x, hi, "right") - np.searchsorted(sorted_x, lo, "left")

    if case_x.shape[1] == 1:
        inserts = np.searchsorted(values, x, "left")
        left = ratio * cases_within(x, x + reach)  # rival slots of controls below the case
        right = ratio * cases_within(x - reach, x)
        keep = left + right
        lows, highs = np.maximum(lows, inserts - left), np.minimum(highs, inserts + right)
    else:
        keep = ratio * cases_within(x - 2 * reach, x + 2 * reach)
    sizes = np.maximum(highs - lows, 0)
    ends = np.cumsum(sizes)  # cases in pieces of about `chunk` window entries: bounded memory
    cuts = np.unique(np.r_[0, np.searchsorted(ends, np.arange(chunk, ends[-1], chunk)), len(x)])
    parts = [
        _window_edges(case_x, ctrl_x, order, widths, lows, sizes, keep, a, b)
        for a, b in pairwise(cuts)
    ]
    return order, *(np.concatenate(p) for p in zip(*parts, strict=True))


def _window_edges(case_x, ctrl_x, order, widths, lows, sizes, keep, first, last):
    """Edges of cases first..last-1: feasible window controls, the nearest ``keep`` of each."""
    n = sizes[first:last]
    rows = np.repeat(np.arange(first, last), n)
    pos = np.arange(n.sum()) + np.repeat(lows[first:last] - (np.cumsum(n) - n), n)
    if case_x.shape[1] == 1:
        dist = np.abs(case_x[rows, 0] - ctrl_x[order[pos], 0]) / widths[0]
        ok = dist <= 1 + 1e-12
    else:
        diff = np.abs(case_x[rows] - ctrl_x[order[pos]]) / widths
        ok, dist = (diff <= 1 + 1e-12).all(axis=1), diff.sum(axis=1)
    if not ok.all():
        rows, pos, dist = rows[ok], pos[ok], dist[ok]
    if case_x.shape[1] > 1:  # several variables: rank each case's feasible controls by distance
        by = np.lexsort((dist, rows))
        start = np.searchsorted(rows[by], rows[by], "left")
        near = np.sort(by[np.arange(rows.size) - start < keep[rows[by]]])
        rows, pos, dist = rows[near], pos[near], dist[near]
    return rows, pos, dist


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

    ``case_pos``/``ctrl_pos`` (data positions, increasing) are needed by ``ties="matchit"`` only.
    """
    order = stable_order(ctrl_x[:, 0])
    values = ctrl_x[order, 0]
    # Each case's caliper window [lo, hi) and insertion point, found for all cases at once.
    tol = widths[0] * (1 + 1e-12)
    lows = np.searchsorted(values, case_x[:, 0] - tol, "left")
    highs = np.searchsorted(values, case_x[:, 0] + tol, "right")
    if rng is None and case_x.shape[1] == 1:
        found = None
        if ties == "lower":  # picks by counting, only contended rounds one by one (or None)
            found = nearest_grouped(case_x[:, 0], values, lows, highs, ratio)
        if found is not None:
            return found[0], order[found[1]]
        inserts = np.searchsorted(values, case_x[:, 0], "left")
        if ties == "matchit":
            inserts = _matchit_inserts(case_x[:, 0], values, inserts, case_pos, ctrl_pos[order])
        first_equal = np.searchsorted(values, values, "left").tolist() if ties == "lower" else None
        xs, vals = case_x[:, 0].tolist(), values.tolist()
        cases, picks = nearest_1d(
            xs, vals, lows.tolist(), highs.tolist(), inserts.tolist(), ratio, first_equal
        )
    else:
        cases, picks = windowed(
            case_x, ctrl_x, order, widths, lows.tolist(), highs.tolist(), ratio, rng
        )
    return np.asarray(cases, int), order[np.asarray(picks, int)]


def stable_order(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, kind="stable")``, faster for tied values: numpy radix-sorts 16-bit codes."""
    if len(x) < 1000:
        return np.argsort(x, kind="stable")
    uniq, codes = np.unique(x, return_inverse=True)
    if len(uniq) > 2**16:
        return np.argsort(x, kind="stable")
    return np.argsort(codes.astype(np.uint16), kind="stable")


def _matchit_inserts(x, values, inserts, case_pos, pos):
    """MatchIt's place of each case among the sorted controls: after the controls of its value
    that come before it in the data (``pos``: sorted controls' data positions)."""
    same_end = np.searchsorted(values, x, "right")
    tied = same_end > inserts
    if not tied.any():
        return inserts
    # runs of equal values hold increasing positions: one search on (run, position) keys
    run = np.cumsum(np.r_[True, values[1:] != values[:-1]]) - 1
    span = int(max(pos.max(), np.max(case_pos))) + 1
    key = run.astype(np.int64) * span + pos
    case_key = run[np.minimum(inserts, len(values) - 1)].astype(np.int64) * span + case_pos
    return np.where(tied, np.searchsorted(key, case_key), inserts)


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
