"""The long readings as integer codes for reliability, agreement and the indicators.

Patient, level, muscle, side, measure and rater are factorized once per call (codes numbered
in the sorted order of the labels) and a region of interest is one int64 key, so that no step
works on text per measure. A :class:`~ovcfstats.Readings` (validated and coded once per study)
gives the same codes without touching text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

#: one region of interest (a reliability target): the reading key without rater and session
ROI_KEY = ("patient_id", "measure", "level", "muscle", "side")


@dataclass(frozen=True)
class _Codes:
    """The validated readings as integer codes, built once for every measure of a call.

    Each text column is factorized with sorted labels, so that comparing codes orders
    targets exactly as sorting the labels would (the order of the old groupby on strings).
    """

    measure: np.ndarray
    measures: pd.Index
    rater: np.ndarray
    raters: pd.Index
    session: np.ndarray
    value: np.ndarray
    patient: np.ndarray
    roi: np.ndarray  # (patient, level, muscle, side): one region of interest
    sizes: dict[str, int]  # number of distinct patients and ROI codes
    #: row positions -> the long table's cleaned labels of those rows (for reasons and IDs)
    labels: Callable[[np.ndarray], pd.DataFrame]
    patient_ids: pd.Index  # the label of each patient code

    @classmethod
    def of(cls, m: pd.DataFrame) -> _Codes:
        measure, measures = _factorize(m["measure"])
        rater, raters = _factorize(m["rater"])
        parts = [_factorize(m[c]) for c in ROI_KEY if c != "measure"]
        roi, roi_size = _combine([c for c, _ in parts], [len(u) for _, u in parts])
        return cls(
            measure=measure.astype(np.int32),
            measures=pd.Index(measures),
            rater=rater.astype(np.int32),
            raters=pd.Index(raters),
            session=m["session"].to_numpy(),
            value=m["value"].to_numpy(dtype=float),
            patient=parts[0][0].astype(np.int32),
            roi=roi,
            sizes={"patient": len(parts[0][1]), "roi": roi_size},
            labels=lambda rows: m.iloc[rows],
            patient_ids=pd.Index(parts[0][1]),
        )

    @classmethod
    def of_readings(cls, r: Any) -> _Codes:
        """The codes of a :class:`~ovcfstats.Readings`, numbered as :meth:`of` numbers them.

        Per-reading arrays are gathered from per-combination tables: no text is touched.
        """
        combos = r.combos
        measure, measures = _factorize(combos["measure"])
        rater, raters = _factorize(combos["rater"])
        patient, ids = _factorize(r.patients["patient_id"])
        parts = [_factorize(combos[c]) for c in ("level", "muscle", "side")]
        place, size = _combine([c for c, _ in parts], [len(u) for _, u in parts])
        roi = patient[r.patient].astype(np.int64) * size + place[r.combo]
        return cls(
            measure=measure.astype(np.int16)[r.combo],
            measures=pd.Index(measures),
            rater=rater.astype(np.int16)[r.combo],
            raters=pd.Index(raters),
            session=combos["session"].to_numpy(dtype=np.int32)[r.combo],
            value=r.value,
            patient=patient.astype(np.int32)[r.patient],
            roi=roi,
            sizes={"patient": len(ids), "roi": len(ids) * size},
            labels=r.to_frame,
            patient_ids=pd.Index(ids),
        )

    @cached_property
    def _by_measure(self) -> tuple[np.ndarray, np.ndarray]:
        """Row positions grouped by measure (a stable radix sort of small codes) and bounds."""
        order = np.argsort(self.measure, kind="stable")
        bounds = np.concatenate(
            [[0], np.cumsum(np.bincount(self.measure, minlength=len(self.measures)))]
        )
        return order, bounds

    def rows_of(self, measure: str) -> np.ndarray:
        """Row positions (ascending) of one measure's readings."""
        if measure not in self.measures:
            return np.empty(0, dtype=np.intp)
        order, bounds = self._by_measure
        i = self.measures.get_loc(measure)
        return order[bounds[i] : bounds[i + 1]]

    def rated(self, measure: str) -> np.ndarray:
        """Row positions of one measure's readings by a named rater."""
        rows = self.rows_of(measure)
        if "" in self.raters:
            rows = rows[self.rater[rows] != self.raters.get_loc("")]
        return rows


def _factorize(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes numbered in the sorted order of the labels (``sort=True``, without its cost).

    Hashing the column, then sorting only its distinct labels and renumbering, is 2–3× faster
    than ``pd.factorize(sort=True)`` on Arrow strings, with the same codes.
    """
    codes, labels = pd.factorize(column)
    order = labels.argsort()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], labels[order]


def _combine(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, int]:
    """One int64 code per row for several code columns (``sizes``: their numbers of codes),
    in their lexicographic order; also the number of possible combined codes."""
    key, bound = np.asarray(codes[0], dtype=np.int64), sizes[0]
    for c, size in zip(codes[1:], sizes[1:], strict=True):
        if bound * size >= 2**62:  # compact first: no overflow
            key = np.unique(key, return_inverse=True)[1].astype(np.int64).ravel()
            bound = int(key.max(initial=0)) + 1
        key, bound = key * size + c, bound * size
    return key, bound


def _sorted_groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True, return_index=True)`` without sorting the keys: the
    codes (in sorted key order) and each group's first position.

    Keys spanning a range at most ~32 times their number (ROI codes of a registry) are ranked by
    marking the range (O(n + range), no hashing); others by hashing and sorting only the distinct
    keys.
    """
    if not len(key):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    low = int(key.min())
    span = int(key.max()) - low + 1
    if span <= 32 * len(key) + 1024 and span < 2**31:  # 5 bytes a code: a few per key
        at = key - low
        seen = np.zeros(span, bool)
        seen[at] = True
        present = np.flatnonzero(seen)
        rank = np.empty(span, np.int32 if len(present) < 2**31 else np.int64)
        rank[present] = np.arange(len(present))
        codes, size = rank[at].astype(np.int64), len(present)
    else:
        codes, uniques = pd.factorize(key)
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[np.argsort(uniques, kind="stable")] = np.arange(len(uniques))
        codes, size = rank[codes], len(uniques)
    first = np.empty(size, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(key) - 1, -1, -1)  # the last write is the first row
    return codes, first
