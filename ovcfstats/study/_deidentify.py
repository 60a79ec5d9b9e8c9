"""De-identified analyses: patient IDs replaced by study codes, dates and free text left out.

The inputs are coded before any step runs, so every output made from them (tables, notes,
warnings, figures, the Excel listings) knows only the codes: ``P0001``, ``P0002``, ... in the
order in which the patients first appear in the tables given. Columns of dates (a date type,
or a name with "date", "dob" or "birth") and text columns (names, addresses, comments) that
the analysis does not use are dropped. An error message is given back with the original IDs, so that
the rows can be found in the file; errors go to the person running the analysis, not to a file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .._validate import DataError
from ..data.schema import MEASUREMENT_COLUMNS, PATIENT_COLUMNS
from .config import StudyConfig

#: what a column of dates is called
_DATE_NAME = re.compile(r"date|dob|birth", re.IGNORECASE)

#: the note the report's introduction carries
NOTE = (
    "De-identified: patient identifiers are replaced by study codes (P0001, …, in the order of "
    "the input table); dates and free-text columns are left out."
)


@dataclasses.dataclass
class Codes:
    """Original ID -> study code, and back."""

    forward: dict[str, str] = dataclasses.field(default_factory=dict)

    def add(self, ids: Iterable[Any]) -> None:
        for value in ids:
            key = _key(value)
            if key is not None and key not in self.forward:
                self.forward[key] = ""
        width = max(4, len(str(len(self.forward))))
        self.forward = {k: f"P{i:0{width}d}" for i, k in enumerate(self.forward, 1)}

    def code(self, column: pd.Series) -> pd.Series:
        """``column`` of IDs as codes (a blank ID stays blank)."""
        return column.map(lambda v: self.forward.get(_key(v) or "", pd.NA)).astype(object)

    def restore(self, message: str) -> str:
        """``message`` with the codes it names as the original IDs.

        >>> codes = Codes()
        >>> codes.add(["OVCF001", "OVCF002"])
        >>> codes.restore("duplicate ids (P0002)")
        'duplicate ids (OVCF002)'
        """
        back = {code: original for original, code in self.forward.items()}
        return re.sub(r"\bP\d{4,}\b", lambda m: back.get(m.group(0), m.group(0)), message)


def _key(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _named(cfg: StudyConfig, matched_by: str | None) -> set[str]:
    """Every name the study file and the options use (a column they may refer to)."""
    names: set[str] = {"patient_id", "case", *PATIENT_COLUMNS}
    if matched_by:
        names.add(matched_by)

    def collect(value: Any) -> None:
        if isinstance(value, str):
            names.add(value)
        elif isinstance(value, dict | dataclasses.Field) or hasattr(value, "items"):
            for k, v in value.items():
                collect(k)
                collect(v)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                collect(v)

    for f in dataclasses.fields(cfg):
        collect(getattr(cfg, f.name))
    return names


def _is_text(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    if isinstance(column.dtype, pd.CategoricalDtype):
        return True
    values = column.dropna()
    return bool(len(values)) and pd.to_numeric(values, errors="coerce").isna().any()


def _is_date(name: Any) -> bool:
    return bool(_DATE_NAME.search(str(name)))


def strip(table: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    """``table`` without its date columns and the text columns not in ``keep``.

    >>> df = pd.DataFrame({"patient_id": ["a"], "sex": ["F"], "dob": ["1950-01-01"],
    ...                    "note": ["lives alone"], "age": [71], "ct_date": [3]})
    >>> list(strip(df, {"patient_id", "sex", "age"}).columns)
    ['patient_id', 'sex', 'age']
    """
    drop = [
        c
        for c in table.columns
        if c != "patient_id"
        and (
            pd.api.types.is_datetime64_any_dtype(table[c])
            or (c not in keep and (_is_date(c) or _is_text(table[c])))
        )
    ]
    return table.drop(columns=drop)


def deidentify(
    data: pd.DataFrame,
    measurements: Any,
    cfg: StudyConfig,
    matched_by: str | None = None,
) -> tuple[pd.DataFrame, Any, Codes]:
    """The inputs with study codes for IDs, without dates and free text; and the codes."""
    if measurements is not None and not isinstance(measurements, pd.DataFrame):
        raise DataError(
            "deidentify: give the measurements as a table or a file read into memory (a "
            "Readings object already holds the original IDs)."
        )
    codes = Codes()
    for table in (data, measurements):
        if table is not None and "patient_id" in table.columns:
            codes.add(table["patient_id"])
    keep = _named(cfg, matched_by)
    out = strip(data, keep)
    if "patient_id" in out.columns:
        out = out.assign(patient_id=codes.code(out["patient_id"]))
    if measurements is not None:
        measurements = strip(measurements, keep | set(MEASUREMENT_COLUMNS))
        if "patient_id" in measurements.columns:
            measurements = measurements.assign(patient_id=codes.code(measurements["patient_id"]))
    return out, measurements, codes


__all__ = ["NOTE", "Codes", "deidentify", "strip"]
