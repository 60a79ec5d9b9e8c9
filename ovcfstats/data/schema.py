"""The data contract: the ``patients`` and ``measurements`` tables and their validation.

Both validators return a cleaned copy (types normalised) or raise :class:`~ovcfstats.DataError`
naming the column, the offending patient IDs, the 1-based row numbers and the fix. Missing
*values* (a blank BMI, a blank reading) are not errors: the analyses exclude them with a reason.
Structural faults are errors: unknown or missing columns, duplicate IDs, non-numeric or infinite
values, codes outside the contract, a case without a fracture level, ages below the inclusion
limit, values outside their plausible range (:data:`RANGES`), readings for unknown patients,
duplicate readings.

IDs are text: ``patient_id`` is kept exactly as given (surrounding blanks stripped), so ``007``
and ``7`` are two patients. Codes are normalised where the meaning is unambiguous: ``sex``,
``level``, ``muscle``, ``side`` and ``rater`` are upper-cased and stripped (``" r2 "`` -> ``R2``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._validate import (
    DataError,
    ImplausibleValueWarning,
    check_columns,
    check_frame,
    check_numeric,
    describe_ids,
    describe_rows,
)
from ._codes import Coded, duplicated, encode
from ._patient_codes import clean_codes
from ._ranges import Range, _check_infinite, _check_range, resolve_ranges

PATIENT_COLUMNS = (
    "patient_id",
    "case",
    "age",
    "sex",
    "bmi",
    "hypertension",
    "diabetes",
    "hyperlipidemia",
    "fracture_level",
)
#: the columns validate_patients requires; BMI and the comorbidities are checked when present
REQUIRED_PATIENT_COLUMNS = ("patient_id", "case", "age", "sex", "fracture_level")
MEASUREMENT_COLUMNS = (
    "patient_id",
    "measure",
    "level",
    "muscle",
    "side",
    "rater",
    "session",
    "value",
)
VERTEBRAE = ("L1", "L2", "L3", "L4")
DISCS = ("L1-2", "L2-3", "L3-4", "L4-5")
MUSCLES = ("PM", "MF", "ES")
SIDES = ("L", "R")
#: measure -> (allowed levels, whether muscle and side are required)
MEASURES: dict[str, tuple[tuple[str, ...], bool]] = {
    "t_score": (VERTEBRAE, False),
    "hu": (VERTEBRAE, False),
    "si_vertebra": (VERTEBRAE, False),
    "si_csf": (VERTEBRAE, False),
    "csa_muscle": (DISCS, True),
    "csa_disc": (DISCS, False),
    "fat_fraction": (DISCS, True),
}
#: identifies one reading: a region of interest read by a rater in a session
READING_KEY = ("patient_id", "measure", "level", "muscle", "side", "rater", "session")


def _text(series: pd.Series, upper: bool = False) -> pd.Series:
    """Text stripped (upper-cased if asked), blanks and NaN as ``""`` (the contract's 'empty')."""
    return encode(series, upper).series(series.index)


def _check_spellings(func: str, frame: pd.DataFrame, column: str, coded: Coded) -> None:
    """Refuse (normalised) codes that differ only in spacing or punctuation."""
    spellings: dict[str, list[str]] = {}
    for code in coded.values:  # a handful of distinct codes, whatever the table's length
        if code:
            spellings.setdefault(re.sub(r"[\s_.\-]+", "", code), []).append(code)
    for forms in spellings.values():
        forms = sorted(forms)
        if len(forms) > 1:
            bad = coded.rows_in(forms)
            raise DataError(
                f"{func}(): ambiguous codes {forms} in column '{column}' "
                f"({describe_ids(list(frame.loc[bad, 'patient_id']))}; {describe_rows(bad)}): "
                "they differ only in spacing or punctuation. Use one spelling per "
                f"{column} (letter case and surrounding blanks are ignored)."
            )


def _fail(func: str, frame: pd.DataFrame, bad: Any, column: str, problem: str, fix: str) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        ids = list(frame.loc[bad, "patient_id"])
        raise DataError(
            f"{func}(): {problem} in column '{column}' ({describe_ids(ids)}; "
            f"{describe_rows(bad)}). {fix}"
        )


def validate_patients(
    patients: pd.DataFrame, *, min_age: float = 50, ranges: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Check the ``patients`` table against the data contract; return a cleaned copy.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per patient: ``patient_id``, ``case``, ``age``, ``sex``, ``fracture_level``;
        ``bmi`` and the comorbidities ``hypertension``, ``diabetes``, ``hyperlipidemia`` are
        optional and checked when present (extra columns are kept).
    min_age : float, default 50
        The inclusion limit (the paper enrolled patients aged ≥ 50).
    ranges : mapping, optional
        Overrides of :data:`RANGES` for ``age`` and ``bmi``: ``{"bmi": (5, 120)}``, a
        :class:`Range`, or ``None`` to switch the check off.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` as str, ``case`` and comorbidities as int 0/1 (nullable where blank),
        ``sex`` as ``"F"``/``"M"`` (``female``/``male`` and any letter case accepted),
        ``fracture_level`` as ``"L1"``…``"L4"`` or ``""``.

    Raises
    ------
    DataError
        Naming the column, the patient IDs, the 1-based row numbers and the fix: duplicate or
        blank IDs, codes outside the contract, infinite numbers in any column, ages or BMIs
        outside their plausible range.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import validate_patients
    >>> df = pd.DataFrame({"patient_id": ["P1", "P2"], "case": [1, 0], "age": [70, 71],
    ...     "sex": ["f", "F"], "bmi": [22.0, None], "hypertension": [1, 0], "diabetes": [0, 0],
    ...     "hyperlipidemia": [0, 1], "fracture_level": ["L2", None]})
    >>> validate_patients(df)["sex"].tolist()
    ['F', 'F']
    >>> validate_patients(df.assign(age=[70, 999]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ovcfstats._validate.DataError: validate_patients(): values outside ... in column 'age': 999 (...
    """
    func = "validate_patients"
    check_frame(patients, func, "patients")
    check_columns(patients, REQUIRED_PATIENT_COLUMNS, func, "patients")
    rules = resolve_ranges(ranges, func)
    out = patients.reset_index(drop=True)
    out["patient_id"] = _text(out["patient_id"])
    if (out["patient_id"] == "").any():
        rows = describe_rows(out["patient_id"] == "")
        raise DataError(f"{func}(): blank patient_id in {rows}. Give every patient an ID.")
    dup = out["patient_id"].duplicated(keep=False)
    _fail(func, out, dup, "patient_id", "duplicate IDs", "Each patient must appear once.")
    out = clean_codes(out, func)
    for col in ("age", "bmi") if "bmi" in out.columns else ("age",):
        out[col] = check_numeric(out, col, func)
        if col in rules:
            _check_range(func, out, out[col].to_numpy(), col, col, rules[col])
    _check_infinite(func, out, skip=("patient_id", "sex", "fracture_level"))
    young = out["age"].to_numpy() < min_age
    _fail(
        func,
        out,
        young,
        "age",
        f"ages below {min_age:g}",
        "The study includes ages ≥ 50; remove these patients or pass min_age= to change the rule.",
    )
    level = _text(out["fracture_level"], upper=True)
    is_case = (out["case"] == 1).to_numpy(dtype=bool)
    _fail(
        func,
        out,
        is_case & (level == "").to_numpy(),
        "fracture_level",
        "cases without a fracture level",
        "Give each case its fractured vertebra (L1–L4).",
    )
    _fail(
        func,
        out,
        ~is_case & (level != "").to_numpy(),
        "fracture_level",
        "controls with a fracture level",
        "Controls are fracture-free: leave fracture_level empty.",
    )
    bad_level = (level != "") & ~level.isin(VERTEBRAE)
    _fail(
        func,
        out,
        bad_level,
        "fracture_level",
        f"levels outside {'/'.join(VERTEBRAE)}",
        "The study covers fractures of L1–L4 only; exclude other levels.",
    )
    out["fracture_level"] = level
    return out.reset_index(drop=True)


def validate_measurements(
    measurements: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    *,
    ranges: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Check the long ``measurements`` table against the data contract; return a cleaned copy.

    Parameters
    ----------
    measurements : pandas.DataFrame
        One row per reading: ``patient_id``, ``measure``, ``level``, ``muscle``, ``side``,
        ``rater``, ``session``, ``value``.
    patients : pandas.DataFrame, optional
        When given, every ``patient_id`` must exist in it.
    ranges : mapping, optional
        Overrides of :data:`RANGES` per measure, e.g. ``{"hu": (-1024, 4000)}``, a
        :class:`Range`, or ``None`` to switch a check off.

    Returns
    -------
    pandas.DataFrame
        Text columns stripped (empty as ``""``), ``level``, ``muscle``, ``side`` and ``rater``
        upper-cased, ``session`` as int, ``value`` as float (blank values stay NaN and are
        excluded, with a reason, by the steps that use them).

    Raises
    ------
    DataError
        Naming the column, the patient IDs, the 1-based row numbers and the fix; among others
        for a ``value`` outside the plausible range of its measure (:data:`RANGES`: a negative
        area or signal, a zero muscle area, a fat fraction outside 0–100 %, a T-score beyond
        ±10, HU outside the CT scale), an infinite value, or rater codes that differ only in
        spacing (``R 2`` and ``R2``).

    Warns
    -----
    ImplausibleValueWarning
        When every fat fraction lies within 0–1: they look like proportions, not percentages.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import validate_measurements
    >>> m = pd.DataFrame({"patient_id": ["P1"], "measure": ["hu"], "level": ["L1"],
    ...     "muscle": [None], "side": [None], "rater": ["R1"], "session": [1], "value": [80.0]})
    >>> validate_measurements(m)["value"].tolist()
    [80.0]
    >>> validate_measurements(m.assign(rater=" r1 "))["rater"].tolist()
    ['R1']
    """
    func = "validate_measurements"
    check_frame(measurements, func, "measurements")
    check_columns(measurements, MEASUREMENT_COLUMNS, func, "measurements")
    rules = resolve_ranges(ranges, func)
    out = _own_copy(measurements, MEASUREMENT_COLUMNS)
    coded = {
        col: encode(out[col], upper=col in ("level", "muscle", "side", "rater"))
        for col in ("patient_id", "measure", "level", "muscle", "side", "rater")
    }
    for col, c in coded.items():  # the array, not a Series: pandas 2 would copy it again
        out[col] = c.series(out.index).array
    _check_spellings(func, out, "rater", coded["rater"])
    out["value"] = np.array(check_numeric(out, "value", func))  # never a view of the input
    session = out["session"]
    if isinstance(session.dtype, np.dtype) and session.dtype.kind in "iu":  # whole already
        session = session.to_numpy()
        bad = session < 1
    else:
        session = check_numeric(out, "session", func)
        bad = np.isnan(session) | (session < 1) | (session != np.round(session))
    _fail(
        func,
        out,
        bad,
        "session",
        "sessions that are not whole numbers ≥ 1",
        "Use 1 for the first reading and 2, 3, … for repeats.",
    )
    out["session"] = session.astype(int)
    measure = coded["measure"]
    unknown = ~measure.rows_in(MEASURES)
    _fail(
        func,
        out,
        unknown,
        "measure",
        f"unknown measures {sorted(set(out['measure'][unknown]))}",
        f"Use one of {list(MEASURES)}.",
    )
    _check_rois(func, out, coded)
    _check_value_ranges(func, out, measure, rules)
    _check_infinite(func, out, skip=MEASUREMENT_COLUMNS)  # extra columns; value was checked
    _warn_proportions(out, measure)
    if patients is not None:
        known = set(_text(patients["patient_id"]))
        _fail(
            func,
            out,
            ~coded["patient_id"].rows_in(known),
            "patient_id",
            "readings for patients not in the patients table",
            "Add the patients or remove their readings.",
        )
    _fail(
        func,
        out,
        duplicated([*coded.values(), out["session"].to_numpy()]),
        "value",
        "duplicate readings (same patient, measure, level, muscle, side, rater and session)",
        "Keep one reading per ROI, rater and session.",
    )
    return out


def _own_copy(data: pd.DataFrame, replaced: tuple[str, ...]) -> pd.DataFrame:
    """A copy with a fresh 0..n-1 index that copies only the columns not ``replaced`` later.

    The contract's columns are rebuilt by the validator anyway; copying them first (as
    ``reset_index`` does) would double the memory of a 10⁷-row table for nothing.
    """
    out = data.copy(deep=False)
    out.index = pd.RangeIndex(len(out))
    for col in out.columns:
        if col not in replaced:
            out[col] = out[col].copy()
    return out


def _roi_tables(measure: Coded, coded: Mapping[str, Coded]) -> dict[str, np.ndarray]:
    """Per column, a (measure code × code) table: is this level/muscle/side valid here?"""
    tables = {}
    for col in ("level", "muscle", "side"):
        table = np.zeros((len(measure.values), len(coded[col].values)), dtype=bool)
        for i, name in enumerate(measure.values):
            if name in MEASURES:
                levels, needs_roi = MEASURES[name]
                allowed = {"level": levels, "muscle": MUSCLES, "side": SIDES}[col]
                if col != "level" and not needs_roi:
                    allowed = ("",)
                table[i] = [v in allowed for v in coded[col].values]
        tables[col] = table
    return tables


def _check_rois(func: str, out: pd.DataFrame, coded: Mapping[str, Coded]) -> None:
    """Levels valid for each measure; muscle and side given exactly where the measure needs them.

    One lookup per row in small (measure × code) tables; the messages, in the order of
    :data:`MEASURES` (level, muscle, side), are built only when a row fails.
    """
    measure = coded["measure"]
    tables = _roi_tables(measure, coded)
    ok = {col: tables[col][measure.codes, coded[col].codes] for col in tables}
    if ok["level"].all() and ok["muscle"].all() and ok["side"].all():
        return
    names = list(measure.values)
    for name, (levels, needs_roi) in MEASURES.items():  # contract order, as the messages go
        if name not in names:
            continue
        rows = measure.codes == names.index(name)
        what = "one of PM/MF/ES and L/R" if needs_roi else "empty"
        for col, problem, fix in (
            ("level", f"levels not valid for '{name}'", f"Use one of {list(levels)}."),
            ("muscle", f"invalid muscle for '{name}'", f"muscle must be {what} for this measure."),
            ("side", f"invalid side for '{name}'", f"side must be {what} for this measure."),
        ):
            _fail(func, out, rows & ~ok[col], col, problem, fix)


def _check_value_ranges(
    func: str, out: pd.DataFrame, measure: Coded, rules: Mapping[str, Range]
) -> None:
    """Each reading within the plausible range of its measure: one vectorised pass."""
    names = list(measure.values)
    rule_of = [rules.get(n) if n in MEASURES else None for n in names]
    low = np.array([r.low if r else -np.inf for r in rule_of])[measure.codes]
    high = np.array([r.high if r else np.inf for r in rule_of])[measure.codes]
    low_open = np.array([bool(r and r.low_open) for r in rule_of])[measure.codes]
    values = out["value"].to_numpy()
    with np.errstate(invalid="ignore"):
        outside = (values < low) | (low_open & (values == low)) | (values > high)
    if not outside.any():
        return
    for name in MEASURES:  # the message of the first measure (in contract order) that fails
        if name in rules and name in names:
            masked = np.where(measure.codes == names.index(name), values, np.nan)
            _check_range(func, out, masked, name, "value", rules[name])


def _warn_proportions(m: pd.DataFrame, measure: Coded) -> None:
    """Fat fractions all within 0–1 are almost surely proportions, not percentages."""
    ff = m.loc[measure.rows_in(["fat_fraction"]), "value"].dropna()
    if len(ff) and (ff <= 1).all() and (ff > 0).any():
        warnings.warn(
            f"validate_measurements(): all {len(ff)} fat_fraction values lie within 0–1; they "
            "look like proportions, but the contract expects percentages (0–100). Multiply "
            "them by 100 if so; FI would otherwise be 100 times too small.",
            ImplausibleValueWarning,
            stacklevel=2,
        )


#: the five indicators derived per patient, in the paper's order
INDICATORS = ("t_score", "hu", "vbq", "rcsa", "fi")
#: how the paper names them in tables and figures
LABELS = {
    "t_score": "T-score",
    "hu": "HU",
    "vbq": "VBQ",
    "rcsa": "rCSA",
    "fi": "FI",
    "age": "Age",
    "sex": "Sex",
    "bmi": "BMI",
    "hypertension": "Hypertension",
    "diabetes": "Diabetes",
    "hyperlipidemia": "Hyperlipidemia",
}


def label(name: str) -> str:
    """The paper's label of a variable, or the name itself."""
    return LABELS.get(name, name)
