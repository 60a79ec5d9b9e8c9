"""One measure's targets × raters layout for :func:`~ovcfstats.reliability`, from the codes.

Each measure's targets × raters layout is a set of code arrays
(:mod:`ovcfstats.data._reading_codes`) that one scatter turns into the n × k matrix — no
per-measure work on text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data._reading_codes import _Codes, _combine, _sorted_groups
from ._icc import Wide


@dataclass(frozen=True)
class _Design:
    """One measure's n × k layout: rows used, target and column codes and labels."""

    rows: np.ndarray  # row positions (into the validated table) used
    t_codes: np.ndarray
    first: np.ndarray  # one row position per target, in target order (for IDs and ROIs)
    r_codes: np.ndarray
    r_labels: np.ndarray
    column: str


def _design(c: _Codes, measure: str, kind: str) -> _Design | str:
    """The layout of one measure — or why there is none."""
    rows = c.rated(measure)
    if not len(rows):
        return "no readings by a named rater"
    session = c.session[rows]
    if kind == "inter":
        part = rows[session == 1]
        present = np.unique(c.rater[part])
        if len(present) < 2:
            who = ", ".join(map(str, c.raters[present])) or "none"
            return (
                f"first-session readings by one rater only ({who}); inter-rater reliability "
                "needs at least 2 raters"
            )
        key = c.roi[part]
        r_codes = np.searchsorted(present, c.rater[part])
        r_labels = np.asarray(c.raters[present], dtype=object)
        column = "rater"
    else:
        # intra: ROIs re-read (session 2) by a rater, paired with that rater's session 1
        keyed = _combine([c.roi[rows], c.rater[rows]], [c.sizes["roi"], len(c.raters)])[0]
        repeat = np.unique(keyed[session == 2])
        if not len(repeat):
            return (
                "no repeat readings (session 2); intra-rater reliability needs a second session "
                "by the same rater"
            )
        pos = np.minimum(np.searchsorted(repeat, keyed), len(repeat) - 1)
        use = ((session == 1) | (session == 2)) & (repeat[pos] == keyed)
        part, key = rows[use], keyed[use]
        present = np.unique(c.session[part])
        r_codes = np.searchsorted(present, c.session[part])
        r_labels = np.asarray([f"session {s}" for s in present], dtype=object)
        column = "session"
    t_codes, first = _sorted_groups(key)
    return _Design(part, t_codes, part[first], r_codes, r_labels, column)


def _per_patient(
    wide: Wide, c: _Codes, design: _Design, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """Complete ROI rows averaged per patient (× rater for intra); also the ROIs per target."""
    kept = design.first[wide.targets.astype(int)]
    keys = [c.patient[kept]] + ([c.rater[kept]] if kind == "intra" else [])
    group = _combine(keys, [c.sizes["patient"], len(c.raters)][: len(keys)])[0]
    codes = np.unique(group, return_inverse=True)[1].ravel()
    counts = np.bincount(codes)
    sums = np.column_stack([np.bincount(codes, weights=col) for col in wide.y.T])
    return sums / counts[:, None], counts
