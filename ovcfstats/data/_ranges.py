"""Plausible ranges of the data contract: :data:`RANGES`, their overrides and the checks.

Values outside a column's or a measure's range are refused naming the patients, the rows, the
values and how to override the range (``ranges={"hu": (-1024, 4000)}``); the study file's
``[ranges]`` hold for a whole run through :func:`ranges_in_force`. Public through
:mod:`ovcfstats.data.schema`.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._validate import DataError, check_frame, check_numeric, describe_ids, describe_rows


class Range(NamedTuple):
    """The values a column or measure can plausibly take: ``low`` ≤ x ≤ ``high``.

    ``low_open=True`` excludes ``low`` itself (``low`` < x), e.g. a muscle area of 0.

    Examples
    --------
    >>> from ovcfstats import Range, validate_measurements
    >>> Range(0, 100, "%", "a percentage").text()
    '0 ≤ x ≤ 100 %'
    """

    low: float
    high: float
    unit: str
    why: str
    low_open: bool = False

    def outside(self, values: np.ndarray) -> np.ndarray:
        """True where a (non-missing) value lies outside the range."""
        with np.errstate(invalid="ignore"):  # NaN compares False on both sides: not outside
            below = values <= self.low if self.low_open else values < self.low
            return below | (values > self.high)

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
#:
#: Examples
#: --------
#: >>> from ovcfstats import RANGES
#: >>> RANGES["hu"].text()
#: '-1024 ≤ x ≤ 3071 HU'
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
                f"got {reprlib.repr(value)}."
            ) from None
        if not low <= high:
            raise ValueError(
                f"`ranges` of {func}(): '{name}' needs low ≤ high; got {reprlib.repr(value)}."
            )
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
    override: str | None = None,
) -> None:
    """Refuse values outside ``rule``, naming IDs, rows, values and how to override.

    ``override``: how the caller widens a range (default: ``ranges=`` of ``func``).
    """
    bad = rule.outside(values)
    if bad.any():
        who = (
            f"{describe_ids(list(frame.loc[bad, id_col]), id_col)}; "
            if id_col in frame.columns
            else ""
        )
        shown = ", ".join(f"{v:g}" for v in list(dict.fromkeys(values[bad].tolist()))[:5])
        what = f"'{name}' values" if name != column else "values"
        how = (
            override.format(name=name)
            if override
            else f"pass ranges={{'{name}': (low, high)}} to {func}()"
        )
        raise DataError(
            f"{func}(): {what} outside the plausible range {rule.text()} ({rule.why}) in column "
            f"'{column}': {shown} ({who}{describe_rows(bad)}). Correct these entries (check the "
            f"unit) or blank them; if they are right, {how}."
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


#: how a step called from Python widens a range (the steps take no ``ranges=`` of their own)
STEP_OVERRIDE = (
    "widen it for the call: with ovcfstats.data.ranges_in_force({{'{name}': (low, high)}}): ... "
    "(in a study file: ranges = {{ {name} = [low, high] }})"
)


#: how a study widens a range (the study file's ``ranges``)
STUDY_OVERRIDE = "widen it in the study file: ranges = {{ {name} = [low, high] }}"


def check_ranges(
    data: pd.DataFrame,
    columns: Iterable[str],
    func: str,
    id_col: str | None = "patient_id",
    *,
    override: str = STEP_OVERRIDE,
) -> None:
    """Refuse values outside :data:`RANGES` (as in force) in the ``columns`` named like a range.

    Every study step checks the columns it reads, with the message of the raw-readings path, so
    that an age of 999 or an FI of 150 % is refused whichever way the data arrive. Columns not
    named in :data:`RANGES` (a custom indicator, a covariate) are not checked unless a range is
    added for them with :func:`ranges_in_force`. ``override``: how the message says to widen a
    range (a study's message names the study file).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"patient_id": ["A", "B"], "fi": [12.0, 150.0], "x": [1.0, 900.0]})
    >>> check_ranges(df, ["x"], "f")  # not a range: nothing to say
    >>> check_ranges(df, ["fi"], "f")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ovcfstats._validate.DataError: f(): values outside the plausible range 0 ≤ x ≤ 100 % ...
    >>> with ranges_in_force({"fi": (0, 200)}):
    ...     check_ranges(df, ["fi"], "f")
    """
    idc = id_col if id_col is not None and id_col in data.columns else "patient_id"
    for col in dict.fromkeys(columns):
        rule = RANGES.get(col)
        if rule is not None and col in data.columns:
            values = check_numeric(data, col, func, idc if idc in data.columns else None)
            if rule.outside(values).any():  # the message's rows: positions in the table
                frame = data[[c for c in (idc, col) if c in data.columns]].reset_index(drop=True)
                _check_range(func, frame, values, col, col, rule, idc, override)


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
