"""Greedy nearest matching on one variable, found mostly by array operations.

The same pairs, in the same order, as the case-by-case loop
(:func:`~ovcfstats.matching._algorithms.nearest_1d` with ``ties="lower"``). Controls of one value
are always taken in data order, from the first (the loop takes the first unused control of the
value it picks), so the loop's state is the number of controls used per distinct value.

Each case has a *preferred* value: the one it would pick if no control were used yet (its own
value when a control has it, else the nearest value below or above within the caliper, the lower
on equal distance). While a control of that value is unused the case takes the first one: the
nearest unused values on either side can only be further away than when nothing was used. So a
case needs a search only when its preferred value is used up at its turn; these case rounds are
replayed one by one in the loop's order (a heap of their times), and all other picks are placed
by counting. Tied values (ages in whole or tenth years) and plentiful controls leave almost
nothing to replay; a case with no control within its caliper never matches and costs nothing.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left

import numpy as np

#: The replayed share of case rounds (estimated from the overbooked values) above which the
#: case-by-case loop is used instead: a replayed round costs a few loop iterations.
MAX_REPLAYED = 0.25


def _groups(vals: np.ndarray):
    """Distinct values of sorted ``vals``, where each starts and how many there are."""
    start = np.flatnonzero(np.r_[True, vals[1:] != vals[:-1]]) if len(vals) else np.zeros(0, int)
    return vals[start], start, np.diff(np.r_[start, len(vals)])


def nearest_grouped(x: np.ndarray, vals: np.ndarray, lows, highs, ratio: int, share=None):
    """Case positions and sorted-control positions of greedy nearest matching (ties "lower").

    ``x``: the cases' values (data order); ``vals``: the controls' values, sorted (stable);
    ``lows``/``highs`` (arrays): each case's caliper window ``[lo, hi)`` in ``vals``. Rounds of
    all cases (``ratio``), cases in data order: round ``r`` of case ``i`` happens at ``r·n + i``.
    None when more than ``share`` (default :data:`MAX_REPLAYED`) of the rounds would be
    replayed at the start: the loop is then faster.
    """
    n = len(x)
    u, gs, c = _groups(vals)
    pref, gi = _preferred(x, u, gs, c, lows, highs)
    has = pref >= 0
    n_pref = np.bincount(pref[has], minlength=len(u))
    over = int(np.maximum(n_pref * ratio - c, 0).sum())
    if over > (MAX_REPLAYED if share is None else share) * ratio * n:
        return None
    # the cases preferring each value, in data order; a case's rank among them
    members = np.flatnonzero(has)
    members = members[np.argsort(pref[members], kind="stable")]
    offset = np.r_[0, np.cumsum(n_pref)]
    rank0 = np.zeros(n, np.int64)
    rank0[members] = np.arange(len(members)) - offset[pref[members]]
    state = _State(n, ratio, u, gs, c, n_pref, offset, members, pref, gi)
    times, picks, groups = state.run(x, lows, highs)
    # the other rounds take the first unused control of their preferred value at that time
    t_pref = (np.arange(ratio)[:, None] * n + members[None, :]).ravel()
    t_pref = t_pref[~state.searched[t_pref]]
    i_pref = t_pref % n
    g_pref = pref[i_pref]
    rank = (t_pref // n) * n_pref[g_pref] + rank0[i_pref]
    # ... after those taken by replayed rounds before then
    span = ratio * n
    key = np.sort(np.asarray(groups, np.int64) * span + np.asarray(times, np.int64))
    before = np.searchsorted(key, g_pref * span + t_pref) - np.searchsorted(key, g_pref * span)
    t_all = np.r_[np.asarray(times, np.int64), t_pref]
    j_all = np.r_[np.asarray(picks, np.int64), gs[g_pref] + rank + before]
    by_time = np.argsort(t_all, kind="stable")
    return t_all[by_time] % n, j_all[by_time]


def _preferred(x, u, gs, c, lows, highs):
    """Each case's preferred value (-1: no control within the caliper) and the first value ≥ it.

    The loop's choice with nothing used: below, the highest value (its last control); above or
    equal, the lowest (its first control); the lower side on equal distance.
    """
    n_groups = len(u)
    gi = np.searchsorted(u, x)
    a, b = np.minimum(gi, n_groups - 1), np.maximum(gi - 1, 0)
    ok_a = (gi < n_groups) & (gs[a] < highs)
    ok_b = (gi > 0) & (lows <= gs[b] + c[b] - 1)
    below = ok_b & (~ok_a | (x - u[b] <= u[a] - x))
    return np.where(below, gi - 1, np.where(ok_a, gi, -1)), gi


class _State:
    """Used controls per value while the replayed case rounds are taken in time order."""

    def __init__(self, n, ratio, u, gs, c, n_pref, offset, members, pref, gi):
        # per value: lists when there are few values, else arrays (few of them are read)
        self.n, self.ratio, self.over = n, ratio, np.flatnonzero(n_pref * ratio > c).tolist()
        per_value = (u, gs, c, n_pref, offset)
        if len(u) <= 4 * n:
            per_value = [v.tolist() for v in per_value]
        self.u, self.gs, self.c, self.n_pref, self.offset = per_value
        self.members, self.pref, self.gi = members.tolist(), pref.tolist(), gi.tolist()
        self.taken = {}  # controls of each value taken by replayed rounds
        self.searched = np.zeros(n * ratio, bool)

    def pref_before(self, g: int, t: int) -> int:
        """Rounds of the cases preferring value g before time t."""
        k = int(self.n_pref[g])
        if not k:
            return 0
        r, i = divmod(t, self.n)
        lo = int(self.offset[g])
        return r * k + bisect_left(self.members, i, lo, lo + k) - lo

    def used(self, g: int, t: int) -> int:
        """Controls of value g used before time t (every preferring round took one until none
        was left)."""
        return min(int(self.c[g]), self.pref_before(g, t) + self.taken.get(g, 0))

    def time_of(self, g: int, k: int) -> int:
        """Time of the k-th round (over all rounds) of the cases preferring value g."""
        r, q = divmod(k, int(self.n_pref[g]))
        return r * self.n + self.members[int(self.offset[g]) + q]

    def run(self, x, lows, highs):
        n, ratio, c, u, gs = self.n, self.ratio, self.c, self.u, self.gs
        n_groups = len(u)
        # the first round of each overbooked value to find it used up
        heap = [self.time_of(g, int(c[g])) for g in self.over]
        heapq.heapify(heap)
        nxt, prv = {}, {}  # skip pointers over used-up values (absent: points to itself)
        searched, taken = self.searched, self.taken
        times, picks, groups = [], [], []
        while heap:
            t = heapq.heappop(heap)
            if searched[t]:
                continue
            searched[t] = True
            i = t % n
            p, g0 = self.pref[i], self.gi[i]
            k = self.pref_before(p, t) + 1  # its value stays used up: the next round is replayed
            if k < ratio * self.n_pref[p]:
                heapq.heappush(heap, self.time_of(p, k))
            a = _find(nxt, g0)  # the nearest value at or above with a control left
            while a < n_groups and self.used(a, t) >= c[a]:
                nxt[a] = a + 1
                a = _find(nxt, a)
            b = _find(prv, g0)  # 1 + the nearest value below with a control left
            while b > 0 and self.used(b - 1, t) >= c[b - 1]:
                prv[b] = b - 1
                b = _find(prv, b)
            b -= 1
            xi, lo, hi = float(x[i]), int(lows[i]), int(highs[i])
            ok_after = a < n_groups and gs[a] + self.used(a, t) < hi
            ok_before = b >= 0 and lo <= gs[b] + c[b] - 1
            if not (ok_before or ok_after):
                continue
            g = b if ok_before and (not ok_after or xi - u[b] <= u[a] - xi) else a
            times.append(t)
            picks.append(int(gs[g]) + self.used(g, t))
            groups.append(g)
            taken[g] = taken.get(g, 0) + 1
            if self.n_pref[g]:  # its preferring rounds from the (c - taken)-th on are replayed
                k = max(int(c[g]) - taken[g], self.pref_before(g, t))
                if k < ratio * self.n_pref[g]:
                    heapq.heappush(heap, self.time_of(g, k))
        return times, picks, groups


def _find(pointers: dict, a: int) -> int:
    """Follow skip pointers from ``a`` to the first value not known to be used up (halving)."""
    while a in pointers:
        b = pointers[a]
        if b in pointers:
            pointers[a] = pointers[b]
        a = b
    return a
