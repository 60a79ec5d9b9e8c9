"""Readings → one cell per patient and region of interest (ROI): the engines of derive_indicators.

The indicator rules need, per patient and ROI, the mean of the raters' session-1 readings and a
few counts (session-1 readings, blanks, zeros, later-session readings). Two engines compute
these :class:`Cells`; the rules themselves (:mod:`ovcfstats.indicators`) run once on the result:

- ``pandas``: the validated table in memory, integer codes and ``numpy.bincount`` (one pass, no
  group-by on text columns);
- ``duckdb``: SQL over a DataFrame or straight over Parquet/CSV files, out of core, under a
  memory limit (:mod:`ovcfstats._duckdb`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .schema import DISCS, MUSCLES, SIDES, VERTEBRAE

#: the ROIs, one column of :class:`Cells` each: (measure, level, muscle, side)
SLOTS: tuple[tuple[str, str, str, str], ...] = (
    *[(m, v, "", "") for m in ("t_score", "hu", "si_vertebra", "si_csf") for v in VERTEBRAE],
    *[("csa_disc", d, "", "") for d in DISCS],
    *[("csa_muscle", d, mu, s) for d in DISCS for mu in MUSCLES for s in SIDES],
    *[("fat_fraction", d, mu, s) for d in DISCS for mu in MUSCLES for s in SIDES],
)
SLOT = {key: i for i, key in enumerate(SLOTS)}
#: first column of each measure's block in :data:`SLOTS`
BASE = {
    m: next(i for i, key in enumerate(SLOTS) if key[0] == m)
    for m in dict.fromkeys(key[0] for key in SLOTS)
}


@dataclass(frozen=True)
class Cells:
    """Per patient (rows, in the patients' order) and ROI (columns, :data:`SLOTS`).

    ``mean``: mean of the session-1 readings (NaN without one); ``n``: session-1 readings with a
    value; ``blank``: blank session-1 readings; ``zero``: session-1 readings equal to 0;
    ``later``: readings with a value in sessions ≥ 2.
    """

    mean: np.ndarray
    n: np.ndarray
    blank: np.ndarray
    zero: np.ndarray
    later: np.ndarray


def from_codes(
    n_patients: int,
    patient: np.ndarray,
    slot: np.ndarray,
    session: np.ndarray,
    value: np.ndarray,
) -> Cells:
    """Aggregate readings given as integer codes (``slot`` −1 for an ROI no rule uses)."""
    k = len(SLOTS)
    used = slot >= 0
    key = patient[used].astype(np.int64) * k + slot[used]
    session, value = session[used], value[used]
    size = n_patients * k
    first = session == 1
    has = ~np.isnan(value)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(key[mask], minlength=size).reshape(n_patients, k)

    n = count(first & has)
    total = np.bincount(key[first & has], weights=value[first & has], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total.reshape(n_patients, k) / n
    return Cells(
        mean=mean,
        n=n,
        blank=count(first & ~has),
        zero=count(first & (value == 0)),
        later=count(~first & has),
    )


def from_arrays(
    n_patients: int,
    patient: np.ndarray,
    slot: np.ndarray,
    total: np.ndarray,
    n: np.ndarray,
    blank: np.ndarray,
    zero: np.ndarray,
    later: np.ndarray,
) -> Cells:
    """Cells from per-(patient, slot) sums and counts (one row per non-empty cell)."""
    shape = (n_patients, len(SLOTS))

    def grid(values: np.ndarray, dtype: type) -> np.ndarray:
        out = np.zeros(shape, dtype)
        out[patient, slot] = values
        return out

    counts = grid(n, np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = grid(np.nan_to_num(total), float) / counts
    return Cells(
        mean=mean,
        n=counts,
        blank=grid(blank, np.int64),
        zero=grid(zero, np.int64),
        later=grid(later, np.int64),
    )


def slot_codes(measure: pd.Series, level: pd.Series, muscle: pd.Series, side: pd.Series):
    """The :data:`SLOTS` column of each reading (validated text columns), −1 when unused."""
    combo = pd.MultiIndex.from_arrays([measure, level, muscle, side])
    codes = np.asarray(combo.codes, dtype=np.int64)
    table = np.full([len(lev) for lev in combo.levels], -1, dtype=np.int64)
    for key, i in SLOT.items():
        idx = [lev.get_indexer([part])[0] for lev, part in zip(combo.levels, key, strict=True)]
        if min(idx) >= 0:
            table[tuple(idx)] = i
    valid = (codes >= 0).all(axis=0)
    out = np.full(len(measure), -1, dtype=np.int64)
    out[valid] = table[tuple(c[valid] for c in codes)]
    return out


def from_frame(measurements: pd.DataFrame, ids: pd.Index) -> Cells:
    """Cells from a validated ``measurements`` table (the pandas engine)."""
    patient = ids.get_indexer(measurements["patient_id"])
    slot = slot_codes(
        measurements["measure"], measurements["level"], measurements["muscle"], measurements["side"]
    )
    return from_codes(
        len(ids),
        patient,
        slot,
        measurements["session"].to_numpy(),
        measurements["value"].to_numpy(dtype=float),
    )
