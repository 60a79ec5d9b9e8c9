"""Readings → one cell per patient and region of interest (ROI): the engines of derive_indicators.

The indicator rules need, per patient and ROI, the mean of the raters' session-1 readings and a
few counts (session-1 readings, blanks, zeros, later-session readings). Two engines compute
these :class:`Cells`; the rules themselves (:mod:`ovcfstats.indicators`) run once on the result:

- ``pandas``: the validated table in memory, integer codes and ``numpy.bincount`` (one pass, no
  group-by on text columns);
- ``duckdb``: SQL over a DataFrame or straight over Parquet/CSV files, out of core, under a
  memory limit (:mod:`ovcfstats.data._duckdb`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import DataError, renumbered
from .schema import (
    DISCS,
    MEASUREMENT_COLUMNS,
    MUSCLES,
    SIDES,
    VERTEBRAE,
    _text,
    validate_measurements,
)

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
    """Aggregate readings given as integer codes (``slot`` −1 for an ROI no rule uses).

    Cell numbers are 32-bit where they fit and readings of unused ROIs go to one extra bin,
    dropped at the end: no 64-bit copies of the inputs (a few GB at 10⁸ readings).
    """
    k = len(SLOTS)
    size = n_patients * k
    kind = np.int32 if size < 2**31 - 1 else np.int64
    slot = slot.astype(kind, copy=False)
    cell = patient.astype(kind) * kind(k) + slot
    cell[slot < 0] = size
    del slot
    first = session == 1
    has = ~np.isnan(value)

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(cell[mask], weights=w, minlength=size + 1)[:size].reshape(n_patients, k)

    read = first & has
    n, total = count(read), count(read, value)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
    return Cells(
        mean=mean,
        n=n,
        blank=count(first & ~has),
        zero=count(first & (value == 0)),
        later=count(~first & has),
    )


def cells_from_readings(readings: Any, patients: pd.DataFrame) -> Cells:
    """Aggregate a :class:`~ovcfstats.Readings` (validated, coded) for ``patients``: per-reading
    slots and sessions gathered from per-combination tables in small integers."""
    combos = readings.combos
    keys = zip(combos["measure"], combos["level"], combos["muscle"], combos["side"], strict=True)
    slot = np.asarray([SLOT.get(key, -1) for key in keys], dtype=np.int16)
    session = combos["session"].to_numpy(dtype=np.int32)
    return from_codes(
        len(patients),
        readings.on(patients),
        slot[readings.combo],
        session[readings.combo],
        readings.value,
    )


def groups_from_witness(
    witness: pd.DataFrame,
    patients: pd.DataFrame,
    keys: list[str],
    validate: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Validate the witness rows; per distinct ``keys`` its slot, session and rater code.

    The validator raises (naming the rows) when a witness row is invalid; otherwise its cleaned
    copy says how each raw combination of text and session is read. ``validate(rows)`` (default
    ``validate_measurements``) is how: the engines pass one whose error names the rows of the
    whole table.
    """
    rows = witness.drop_duplicates().reset_index(drop=True)
    if validate is None:
        clean = validate_measurements(rows[list(MEASUREMENT_COLUMNS)], patients)
    else:
        clean = validate(rows)
    combos = zip(clean["measure"], clean["level"], clean["muscle"], clean["side"], strict=True)
    groups = rows[keys].copy()
    groups["slot"] = np.asarray([SLOT.get(c, -1) for c in combos], dtype=np.int16)
    groups["session"] = clean["session"].to_numpy(dtype=np.int32)
    groups["rater_code"] = pd.factorize(clean["rater"])[0].astype(np.int32)
    return groups.drop_duplicates(keys)


def _codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of a raw column (missing as one more code) and the number of codes."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    codes[codes < 0] = len(uniques)
    return codes, len(uniques) + 1


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A raw column as float, and where it holds something that is not a number."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(column), bool)
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values, np.isnan(values) & column.notna().to_numpy()


def _first_per_group(group: np.ndarray, mask: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(mask)
    return rows[np.unique(group[rows], return_index=True)[1]]


def cells_pandas(measurements: pd.DataFrame, patients: pd.DataFrame) -> Cells:
    """Validate and aggregate the readings in memory (``patients`` already validated).

    Validation runs the schema's validator on witness rows (see :mod:`ovcfstats.data._duckdb`): per
    distinct raw (measure, level, muscle, side, rater, session), the rows with the smallest and
    largest value and the first blank and non-numeric rows; unknown patients and duplicate
    readings are found with integer codes and handed to the validator to be named.
    """
    if (
        not isinstance(measurements, pd.DataFrame)
        or len(measurements) == 0
        or any(c not in measurements.columns for c in MEASUREMENT_COLUMNS)
    ):
        validate_measurements(measurements, patients)  # raises the contract's error
    key = np.zeros(len(measurements), np.int64)
    for col in ("measure", "level", "muscle", "side", "rater", "session"):
        codes, size = _codes(measurements[col])
        key = key * size + codes
    group, _ = pd.factorize(key)
    value, bad = _numbers(measurements["value"])
    has = ~np.isnan(value)
    valued = pd.Series(value[has], index=np.flatnonzero(has))
    by_group = valued.groupby(group[has])
    rows = np.unique(
        np.concatenate(
            [
                by_group.idxmin().to_numpy(dtype=np.int64),
                by_group.idxmax().to_numpy(dtype=np.int64),
                _first_per_group(group, ~has & ~bad),
                _first_per_group(group, bad),
            ]
        )
    )
    witness = measurements.iloc[rows][list(MEASUREMENT_COLUMNS)].assign(group=group[rows], at=rows)

    def validate(found: pd.DataFrame) -> pd.DataFrame:  # errors name rows of the whole table
        try:
            return validate_measurements(found[list(MEASUREMENT_COLUMNS)], patients)
        except DataError as err:
            raise renumbered(err, found["at"].to_numpy()) from None

    groups = groups_from_witness(witness, patients, ["group"], validate).set_index("group")
    groups = groups.reindex(np.arange(group.max() + 1))
    if groups["slot"].isna().any():  # every raw combination must have had a witness
        raise RuntimeError("derive_indicators(): readings left unvalidated (internal error)")
    slot = groups["slot"].to_numpy(dtype=np.int64)[group]
    session = groups["session"].to_numpy(dtype=np.int64)[group]
    patient = _patient_positions(measurements, patients)
    pair = groups.groupby(["rater_code", "session"]).ngroup().to_numpy(dtype=np.int64)[group]
    dup = _duplicated_cells(patient * (len(SLOTS) + 1) + slot + 1, pair)
    if dup.any():  # the validator names the duplicated readings
        _validate_rows(measurements, np.flatnonzero(dup))
    return from_codes(len(patients), patient, slot, session, np.where(bad, np.nan, value))


def _duplicated_cells(cell: np.ndarray, pair: np.ndarray) -> np.ndarray:
    """Rows of the first cells (patient × ROI) holding two readings of one (rater, session)."""
    if pair.max(initial=0) < 52 and hasattr(np, "bitwise_count"):
        # one bit per (rater, session) pair, summed per cell: the bits set equal the readings
        # iff no pair repeats (a repeat carries); exact in float64 below 2**53
        size = cell.max(initial=0) + 1
        rows = np.bincount(cell, minlength=size)
        bits = np.bincount(cell, weights=np.exp2(pair), minlength=size).astype(np.uint64)
        bad = np.flatnonzero(np.bitwise_count(bits) != rows)
    else:
        reading = pd.Series(cell * (pair.max() + 1) + pair)
        bad = np.unique(cell[reading.duplicated(keep=False).to_numpy()])
    return np.isin(cell, bad[:3])


def _patient_positions(measurements: pd.DataFrame, patients: pd.DataFrame) -> np.ndarray:
    """Row of ``patients`` of each reading; readings of unknown patients are refused."""
    codes, uniques = pd.factorize(measurements["patient_id"], use_na_sentinel=False)
    ids = pd.Index(patients["patient_id"])
    where = ids.get_indexer(_text(pd.Series(uniques, dtype=object)))
    position = where[codes]
    if (position < 0).any():
        _validate_rows(measurements, np.flatnonzero(position < 0)[:10], patients)
    return position.astype(np.int64)


def _validate_rows(
    measurements: pd.DataFrame, rows: np.ndarray, patients: pd.DataFrame | None = None
) -> None:
    """The validator on some rows of the table; its error names their rows in the table."""
    try:
        validate_measurements(measurements.iloc[rows], patients)
    except DataError as err:
        raise renumbered(err, rows) from None
