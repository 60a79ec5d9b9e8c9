"""Greedy nearest matching on one variable with many tied values (ages in whole or tenth years).

The same pairs, in the same order, as the case-by-case loop
(:func:`~ovcfstats._match_algorithms.nearest_1d` with ``ties="lower"``), found mostly by array
operations. Controls of one value are always taken in data order, from the first: a case takes
the first unused control of its own value when one is left (distance 0 beats any other), and a
case taking a control of another value takes that value's first unused one. So the state of the
greedy loop is the number of controls used per distinct value, and a case whose own value still
has an unused control needs no search. Only the other cases — values that no control has, or
whose controls have all been used — are searched one by one, in the loop's order (a heap of
their times); the own-value picks are then placed by counting.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left

import numpy as np


def worth_it(x: np.ndarray, vals: np.ndarray, ratio: int) -> bool:
    """True when few case rounds would need a search (values tied, controls plentiful)."""
    u, c = _groups(vals)[::2]
    g = np.searchsorted(u, x)
    own = (g < len(u)) & (u[np.minimum(g, len(u) - 1)] == x)
    demand = np.bincount(g[own], minlength=len(u)) * ratio
    searched = ratio * int((~own).sum()) + int(np.maximum(demand - c, 0).sum())
    return 4 * searched <= ratio * len(x)


def _groups(vals: np.ndarray):
    """Distinct values of sorted ``vals``, where each starts and how many there are."""
    start = np.flatnonzero(np.r_[True, vals[1:] != vals[:-1]]) if len(vals) else np.zeros(0, int)
    return vals[start], start, np.diff(np.r_[start, len(vals)])


def nearest_tied(x: np.ndarray, vals: np.ndarray, lows, highs, ratio: int):
    """Case positions and sorted-control positions of greedy nearest matching (ties "lower").

    ``x``: the cases' values (data order); ``vals``: the controls' values, sorted (stable);
    ``lows``/``highs``: each case's caliper window ``[lo, hi)`` in ``vals``. Rounds of all cases
    (``ratio``), cases in data order: round ``r`` of case ``i`` happens at time ``r·n + i``.
    """
    n = len(x)
    u, gs, c = _groups(vals)
    n_groups = len(u)
    gi = np.searchsorted(u, x)  # the first value ≥ the case's
    own = (gi < n_groups) & (u[np.minimum(gi, n_groups - 1)] == x)
    # the cases of each value, in data order; a case's rank among them
    members = np.flatnonzero(own)
    members = members[np.argsort(gi[members], kind="stable")]
    n_own = np.bincount(gi[own], minlength=n_groups)
    offset = np.r_[0, np.cumsum(n_own)]
    rank0 = np.zeros(n, np.int64)
    rank0[members] = np.arange(len(members)) - offset[gi[members]]
    state = _State(n, ratio, u, gs, c, n_own, offset, members, gi, own, rank0)
    times, picks, groups = state.run(x, lows, highs)
    # the rounds that took a control of their own value: its first unused one at that time
    t_own = (np.arange(ratio)[:, None] * n + members[None, :]).ravel()
    t_own = t_own[~state.searched[t_own]]
    i_own = t_own % n
    g_own = gi[i_own]
    rank = (t_own // n) * n_own[g_own] + rank0[i_own]
    # takes of that value by searched rounds before then
    key = np.asarray(groups, np.int64) * (ratio * n) + np.asarray(times, np.int64)
    key.sort()
    before = np.searchsorted(key, g_own * (ratio * n) + t_own) - np.searchsorted(
        key, g_own * (ratio * n)
    )
    t_all = np.r_[np.asarray(times, np.int64), t_own]
    j_all = np.r_[np.asarray(picks, np.int64), gs[g_own] + rank + before]
    by_time = np.argsort(t_all, kind="stable")
    return t_all[by_time] % n, j_all[by_time]


class _State:
    """Used controls per value while the searched case rounds are replayed in time order."""

    def __init__(self, n, ratio, u, gs, c, n_own, offset, members, gi, own, rank0):
        self.n, self.ratio = n, ratio
        self.u, self.gs, self.c = u.tolist(), gs.tolist(), c.tolist()
        self.n_own, self.offset = n_own.tolist(), offset.tolist()
        self.members, self.gi, self.own = members.tolist(), gi.tolist(), own.tolist()
        self.rank0 = rank0.tolist()
        self.taken = [0] * len(self.u)  # controls of each value taken by searched rounds
        self.searched = np.zeros(n * ratio, bool)

    def own_before(self, g: int, t: int) -> int:
        """Rounds of cases of value g before time t."""
        k = self.n_own[g]
        if not k:
            return 0
        r, i = divmod(t, self.n)
        lo = self.offset[g]
        return r * k + bisect_left(self.members, i, lo, lo + k) - lo

    def used(self, g: int, t: int) -> int:
        return min(self.c[g], self.own_before(g, t) + self.taken[g])

    def time_of(self, g: int, k: int) -> int:
        """Time of the k-th round (over all rounds) of the cases of value g."""
        r, q = divmod(k, self.n_own[g])
        return r * self.n + self.members[self.offset[g] + q]

    def run(self, x, lows, highs):
        n, ratio, c, u, gs = self.n, self.ratio, self.c, self.u, self.gs
        n_groups = len(u)
        alone = np.flatnonzero(~np.asarray(self.own, bool)).tolist()  # no control of their value
        heap = [r * n + i for r in range(ratio) for i in alone]
        for g in np.flatnonzero(np.asarray(self.n_own) * ratio > np.asarray(c)).tolist():
            heap.append(self.time_of(g, c[g]))  # the first round to find its value used up
        heapq.heapify(heap)
        nxt, prv = list(range(n_groups + 1)), list(range(n_groups + 1))
        xs, lows, highs = x.tolist(), list(lows), list(highs)
        searched = self.searched
        times, picks, groups = [], [], []
        while heap:
            t = heapq.heappop(heap)
            if searched[t]:
                continue
            searched[t] = True
            i = t % n
            g0 = self.gi[i]
            if self.own[i]:  # its value is used up: so is it for its later rounds
                k = self.own_before(g0, t) + 1
                if k < ratio * self.n_own[g0]:
                    heapq.heappush(heap, self.time_of(g0, k))
            # the nearest value at or above with a control left (skip pointers over used-up ones)
            a = g0
            while True:
                while nxt[a] != a:
                    nxt[a], a = nxt[nxt[a]], nxt[a]
                if a == n_groups or self.used(a, t) < c[a]:
                    break
                nxt[a] = a + 1
            b = g0  # 1 + the nearest value below with a control left
            while True:
                while prv[b] != b:
                    prv[b], b = prv[prv[b]], prv[b]
                if b == 0 or self.used(b - 1, t) < c[b - 1]:
                    break
                prv[b] = b - 1
            b -= 1
            xi, lo, hi = xs[i], lows[i], highs[i]
            ok_after = a < n_groups and gs[a] + self.used(a, t) < hi
            ok_before = b >= 0 and lo <= gs[b] + c[b] - 1
            if not (ok_before or ok_after):
                continue
            g = b if ok_before and (not ok_after or xi - u[b] <= u[a] - xi) else a
            j = gs[g] + self.used(g, t)
            self.taken[g] += 1
            times.append(t)
            picks.append(j)
            groups.append(g)
            if self.n_own[g]:  # its own cases from the (c - taken)-th round on are searched
                k = max(c[g] - self.taken[g], self.own_before(g, t))
                if k < ratio * self.n_own[g]:
                    heapq.heappush(heap, self.time_of(g, k))
        return times, picks, groups
