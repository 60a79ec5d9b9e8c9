"""Reference for equality tests: the validators as they were before the code-based fast path.

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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ovcfstats._validate import (
    DataError,
    ImplausibleValueWarning,
    as_ids,
    check_columns,
    check_frame,
    check_numeric,
    describe_ids,
    describe_rows,
)

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
COMORBIDITIES = ("hypertension", "diabetes", "hyperlipidemia")
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


class Range(NamedTuple):
    """The values a column or measure can plausibly take: ``low`` ≤ x ≤ ``high``.

    ``low_open=True`` excludes ``low`` itself (``low`` < x), e.g. a muscle area of 0.
    """

    low: float
    high: float
    unit: str
    why: str
    low_open: bool = False

    def outside(self, values: np.ndarray) -> np.ndarray:
        """True where a (non-missing) value lies outside the range."""
        with np.errstate(invalid="ignore"):
            below = values <= self.low if self.low_open else values < self.low
            return ~np.isnan(values) & (below | (values > self.high))

    def text(self) -> str:
        """``"0 < x ≤ 100 %"``: the range as a message shows it."""
        low = f"{self.low:g} {'<' if self.low_open else '≤'} x"
        high = f" ≤ {self.high:g}" if np.isfinite(self.high) else ""
        return f"{low}{high}{' ' + self.unit if self.unit else ''}"


#: Plausible ranges, in one place: patients' columns (``age``, ``bmi``) and measures (the
#: ``value`` of each ``measure``). Values outside are refused by :func:`validate_patients` and
#: :func:`validate_measurements` naming the patients and rows; pass ``ranges={"hu": (-1024,
#: 4000)}`` (or a :class:`Range`; ``None`` switches a check off) to override one per call. A zero
#: CSF signal or disc area passes here: :func:`~ovcfstats.derive_indicators` reports the zero
#: denominator itself.
RANGES: dict[str, Range] = {
    "age": Range(0, 120, "years", "no patient is older than 120 years"),
    "bmi": Range(
        8, 100, "kg/m²", "adult BMI below 8 or above 100 has not been recorded (unit slip?)"
    ),
    "t_score": Range(-10, 10, "SD", "DXA T-scores lie within ±10 SD (a BMD in g/cm² or mg?)"),
    "hu": Range(-1024, 3071, "HU", "the 12-bit Hounsfield scale of clinical CT"),
    "si_vertebra": Range(0, np.inf, "a.u.", "MRI signal intensity cannot be negative"),
    "si_csf": Range(0, np.inf, "a.u.", "MRI signal intensity cannot be negative"),
    "csa_muscle": Range(0, np.inf, "mm²", "a delineated muscle has a positive area", low_open=True),
    "csa_disc": Range(0, np.inf, "mm²", "an area cannot be negative"),
    "fat_fraction": Range(0, 100, "%", "a fat fraction is a percentage of the muscle area"),
    # indicators of a tidy table (one row per patient), checked by check_plausible()
    "vbq": Range(0, np.inf, "", "a ratio of signal intensities cannot be negative"),
    "rcsa": Range(0, np.inf, "", "a ratio of areas is positive", low_open=True),
    "fi": Range(0, 100, "%", "fat infiltration is a percentage of the muscle area"),
}


def resolve_ranges(ranges: Mapping[str, Any] | None, func: str) -> dict[str, Range]:
    """:data:`RANGES` with per-call overrides: a :class:`Range`, a (low, high) pair, or None."""
    out = dict(RANGES)
    for name, value in (ranges or {}).items():
        if value is None:
            out.pop(name, None)
            continue
        if isinstance(value, Range):
            out[name] = value
            continue
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"`ranges` of {func}(): '{name}' must be (low, high), a Range or None; "
                f"got {value!r}."
            ) from None
        if not low <= high:
            raise ValueError(f"`ranges` of {func}(): '{name}' needs low ≤ high; got {value!r}.")
        old = RANGES.get(name)
        out[name] = Range(low, high, old.unit if old else "", "given by the caller")
    return out


@contextmanager
def ranges_in_force(ranges: Mapping[str, Any] | None) -> Iterator[None]:
    """Within the block, every check uses :data:`RANGES` overridden by ``ranges``.

    The study pipeline uses this for the study file's ``[ranges]``, so that validation and the
    indicator engines (which validate too) apply the same limits. Restored on exit.

    Examples
    --------
    >>> from ovcfstats.data._ranges import RANGES, ranges_in_force
    >>> with ranges_in_force({"hu": (-1024, 4000)}):
    ...     RANGES["hu"].high
    4000.0
    >>> RANGES["hu"].high
    3071
    """
    if not ranges:
        yield
        return
    resolved = resolve_ranges(ranges, "ranges_in_force")
    saved = dict(RANGES)
    RANGES.clear()
    RANGES.update(resolved)
    try:
        yield
    finally:
        RANGES.clear()
        RANGES.update(saved)


def _check_range(
    func: str,
    frame: pd.DataFrame,
    values: np.ndarray,
    name: str,
    column: str,
    rule: Range,
    id_col: str = "patient_id",
) -> None:
    """Refuse values outside ``rule``, naming IDs, rows, values and how to override."""
    bad = rule.outside(values)
    if bad.any():
        who = (
            f"{describe_ids(list(frame.loc[bad, id_col]), id_col)}; "
            if id_col in frame.columns
            else ""
        )
        shown = ", ".join(f"{v:g}" for v in list(dict.fromkeys(values[bad].tolist()))[:5])
        what = f"'{name}' values" if name != column else "values"
        raise DataError(
            f"{func}(): {what} outside the plausible range {rule.text()} ({rule.why}) in column "
            f"'{column}': {shown} ({who}{describe_rows(bad)}). Correct these entries (check the "
            "unit) or blank them; if they are right, pass "
            f"ranges={{'{name}': (low, high)}} to {func}()."
        )


def check_plausible(
    data: pd.DataFrame,
    func: str = "check_plausible",
    *,
    ranges: Mapping[str, Any] | None = None,
    id_col: str = "patient_id",
) -> None:
    """Refuse infinite or implausible values in every column of ``data`` named in :data:`RANGES`.

    For tables other than the two raw tables, e.g. a tidy indicator table (one row per
    patient with ``age``, ``bmi``, ``t_score``, ``hu``, ``vbq``, ``rcsa``, ``fi``): a column named
    like a range is checked against it (``t_score`` and ``hu`` as averages of readings).

    Parameters
    ----------
    data : pandas.DataFrame
    func : str
        The public function named in the message.
    ranges : mapping, optional
        Overrides of :data:`RANGES` (``(low, high)``, a :class:`Range`, or ``None`` to skip).
    id_col : str, default "patient_id"
        The column naming the patients in the message.

    Raises
    ------
    DataError
        Naming the column, the IDs, the 1-based rows, the values and how to override the range.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats.data import check_plausible
    >>> df = pd.DataFrame({"patient_id": ["A", "B"], "fi": [12.5, 0.2], "hu": [95.0, 120.0]})
    >>> check_plausible(df)  # nothing to say
    >>> check_plausible(df.assign(fi=[12.5, 130.0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ovcfstats._validate.DataError: check_plausible(): values outside ... in column 'fi': 130 (...
    """
    check_frame(data, func)
    rules = resolve_ranges(ranges, func)
    for col in data.columns:
        if col in rules:
            values = check_numeric(data, col, func, id_col)
            _check_range(func, data.reset_index(drop=True), values, col, col, rules[col], id_col)
    _check_infinite(func, data.reset_index(drop=True), skip=(id_col,))


def _check_infinite(func: str, frame: pd.DataFrame, skip: tuple = ()) -> None:
    """No infinite number in any column (extra columns included, numbers stored as text too).

    ``skip``: text columns of the contract (IDs and codes), where "inf" would be a label.
    """
    for col in frame.columns:
        if col in skip or pd.api.types.is_bool_dtype(frame[col]):
            continue
        try:
            values = pd.to_numeric(frame[col], errors="coerce").to_numpy(float, na_value=np.nan)
        except (TypeError, ValueError):  # categorical, dates: not numbers
            continue
        if np.isinf(values).any():
            check_numeric(frame.assign(**{col: values}), col, func)


def _check_spellings(func: str, frame: pd.DataFrame, column: str) -> None:
    """Refuse (normalised) codes that differ only in spacing or punctuation."""
    codes = frame[column]
    spellings: dict[str, list[str]] = {}
    for code in codes.unique():  # a handful of distinct codes, whatever the table's length
        if code:
            spellings.setdefault(re.sub(r"[\s_.\-]+", "", code), []).append(code)
    for forms in spellings.values():
        forms = sorted(forms)
        if len(forms) > 1:
            bad = codes.isin(forms).to_numpy()
            raise DataError(
                f"{func}(): ambiguous codes {forms} in column '{column}' "
                f"({describe_ids(list(frame.loc[bad, 'patient_id']))}; {describe_rows(bad)}): "
                "they differ only in spacing or punctuation. Use one spelling per "
                f"{column} (letter case and surrounding blanks are ignored)."
            )


def _text(series: pd.Series, upper: bool = False) -> pd.Series:
    """Text stripped (upper-cased if asked), blanks and NaN as ``""`` (the contract's 'empty').

    Cleaned once per distinct value: code columns have a handful, so 10⁶ rows cost little.
    """
    codes, uniques = pd.factorize(series)
    clean = as_ids(pd.Series(uniques, dtype=series.dtype if len(uniques) else object))
    clean = (clean.str.upper() if upper else clean).to_numpy(dtype=object)
    return pd.Series(
        np.append(clean, "")[np.where(codes < 0, len(clean), codes)], index=series.index
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
        One row per patient: ``patient_id``, ``case``, ``age``, ``sex``, ``bmi``,
        ``hypertension``, ``diabetes``, ``hyperlipidemia``, ``fracture_level`` (extra columns
        are kept).
    min_age : float, default 50
        The inclusion limit (the paper enrolled patients aged ≥ 50).
    ranges : mapping, optional
        Overrides of :data:`RANGES` for ``age`` and ``bmi``: ``{"bmi": (5, 120)}``, a
        :class:`Range`, or ``None`` to switch the check off.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` as str, ``case`` and comorbidities as int 0/1 (nullable where blank),
        ``sex`` as ``"F"``/``"M"``, ``fracture_level`` as ``"L1"``…``"L4"`` or ``""``.

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
    check_columns(patients, PATIENT_COLUMNS, func, "patients")
    rules = resolve_ranges(ranges, func)
    out = patients.reset_index(drop=True)
    out["patient_id"] = _text(out["patient_id"])
    if (out["patient_id"] == "").any():
        rows = describe_rows(out["patient_id"] == "")
        raise DataError(f"{func}(): blank patient_id in {rows}. Give every patient an ID.")
    dup = out["patient_id"].duplicated(keep=False)
    _fail(func, out, dup, "patient_id", "duplicate IDs", "Each patient must appear once.")
    for col in ("case", *COMORBIDITIES):
        values = check_numeric(out, col, func)
        bad = ~np.isnan(values) & ~np.isin(values, (0.0, 1.0))
        _fail(func, out, bad, col, "values other than 0/1", "Code it as 1 = yes, 0 = no.")
        if col == "case":
            _fail(func, out, np.isnan(values), col, "missing values", "Every patient needs 0 or 1.")
        out[col] = pd.array(np.where(np.isnan(values), pd.NA, values), dtype="Int64")
    for col in ("age", "bmi"):
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
    out["sex"] = _text(out["sex"], upper=True)
    bad_sex = ~out["sex"].isin(["F", "M", ""])
    _fail(func, out, bad_sex, "sex", "values other than F/M", "Code sex as 'F' or 'M'.")
    out["sex"] = out["sex"].replace("", np.nan)
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
    out = measurements.reset_index(drop=True)
    for col in ("patient_id", "measure", "level", "muscle", "side", "rater"):
        out[col] = _text(out[col], upper=col in ("level", "muscle", "side", "rater"))
    _check_spellings(func, out, "rater")
    out["value"] = check_numeric(out, "value", func)
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
    unknown = ~out["measure"].isin(list(MEASURES))
    _fail(
        func,
        out,
        unknown,
        "measure",
        f"unknown measures {sorted(set(out['measure'][unknown]))}",
        f"Use one of {list(MEASURES)}.",
    )
    # each column compared once (object comparisons dominate the time on 10⁶ rows)
    codes, names = pd.factorize(out["measure"])
    rows_of = {m: codes == (names.get_loc(m) if m in names else -2) for m in MEASURES}
    muscle_named, side_named = out["muscle"].isin(MUSCLES), out["side"].isin(SIDES)
    muscle_empty, side_empty = out["muscle"] == "", out["side"] == ""
    for measure, (levels, needs_roi) in MEASURES.items():
        rows = rows_of[measure]
        if not rows.any():
            continue
        _fail(
            func,
            out,
            rows & ~out["level"].isin(levels).to_numpy(),
            "level",
            f"levels not valid for '{measure}'",
            f"Use one of {list(levels)}.",
        )
        muscle_ok = muscle_named if needs_roi else muscle_empty
        side_ok = side_named if needs_roi else side_empty
        what = "one of PM/MF/ES and L/R" if needs_roi else "empty"
        _fail(
            func,
            out,
            rows & ~muscle_ok.to_numpy(),
            "muscle",
            f"invalid muscle for '{measure}'",
            f"muscle must be {what} for this measure.",
        )
        _fail(
            func,
            out,
            rows & ~side_ok.to_numpy(),
            "side",
            f"invalid side for '{measure}'",
            f"side must be {what} for this measure.",
        )
    values = out["value"].to_numpy()
    for measure in MEASURES:
        rows = rows_of[measure]
        if measure in rules and rows.any():
            masked = np.where(rows, values, np.nan)
            _check_range(func, out, masked, measure, "value", rules[measure])
    _check_infinite(func, out, skip=MEASUREMENT_COLUMNS)  # extra columns; value was checked
    _warn_proportions(out)
    if patients is not None:
        known = set(_text(patients["patient_id"]))
        _fail(
            func,
            out,
            ~out["patient_id"].isin(known),
            "patient_id",
            "readings for patients not in the patients table",
            "Add the patients or remove their readings.",
        )
    dup = out.duplicated(list(READING_KEY), keep=False)
    _fail(
        func,
        out,
        dup,
        "value",
        "duplicate readings (same patient, measure, level, muscle, side, rater and session)",
        "Keep one reading per ROI, rater and session.",
    )
    return out.reset_index(drop=True)


def _warn_proportions(m: pd.DataFrame) -> None:
    """Fat fractions all within 0–1 are almost surely proportions, not percentages."""
    ff = m.loc[m["measure"] == "fat_fraction", "value"].dropna()
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
