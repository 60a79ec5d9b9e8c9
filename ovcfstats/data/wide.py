"""A clinic's spreadsheet as it is: one row per patient, headers in any form, codes of its own.

:func:`guess_mapping` reads the headers (:mod:`._vocabulary`, :mod:`._understand`) and the
cell codes of a wide table and returns a :class:`ColumnMapping` to review: one row per source
column with what it was understood as, the value codes found and how they map, and every
column it could not place. :func:`read_wide` applies a (reviewed) mapping and returns the two
tables of the data contract, ``patients`` and the long ``measurements``, which then take the
same path as any long table (:func:`~ovcfstats.validate_measurements`,
:func:`~ovcfstats.derive_indicators`). The mapping lives in the study file's ``[mapping]``
section (``ovcfstats map TABLE --study study.toml`` writes it).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validate import DataError, did_you_mean
from ._patient_codes import COMORBIDITIES
from ._ranges import RANGES, Range
from ._understand import READING_KEYS, Understood, describe, understand
from ._vocabulary import (
    CASE_CODES,
    MISSING_NUMBERS,
    MISSING_WORDS,
    NO_LEVEL,
    SEX_CODES,
    YES_NO,
    normalise,
    tokens,
    vocabulary_with,
)
from ._wide_cells import Sheets, apply_mapping, empty_as_na, read_sheets
from .schema import MEASURES, VERTEBRAE

__all__ = ["ColumnMapping", "guess_mapping", "read_wide"]

FUNC = "read_wide"
STATUSES = ("recognised", "reviewed", "ambiguous", "invalid", "extra", "unplaced")
#: statuses that analyze refuses until the entry is reviewed
REFUSED = ("ambiguous", "invalid")
MAPPING_KEYS = ("columns", "codes", "missing", "vocabulary", "raters", "sheets")
ENTRY_KEYS = ("field", "indicator", *READING_KEYS, "status", "candidates", "note", "missing")
CODED = {"sex": SEX_CODES, "case": CASE_CODES, **dict.fromkeys(COMORBIDITIES, YES_NO)}


def _unknown_key(where: str, key: str, valid: tuple[str, ...]) -> str:
    hint = did_you_mean(key, valid)
    return f"study file: unknown key {key!r} in {where}.{hint} Valid keys: {', '.join(valid)}."


@dataclass
class ColumnMapping:
    """How the columns of a wide table map to the data contract (study file ``[mapping]``).

    Attributes
    ----------
    columns : dict
        Source column (``"Sheet!Header"`` for a workbook of several sheets) -> entry:
        ``field`` (a patients column), ``indicator``, or the reading (``measure``, ``level``,
        ``muscle``, ``side``, ``rater``, ``session``); ``status`` (recognised, reviewed,
        ambiguous, invalid, extra, unplaced), ``candidates``, ``note``, ``missing``.
    codes : dict
        Field or source column -> {code as written: value}, e.g. ``{"sex": {"Female": "F"}}``.
    missing : list
        Missing-value codes blanked in every column, e.g. ``[999, -99, "n/a", "."]``.
    vocabulary : dict
        More header words, ``{"phrase": "kind:value"}`` (e.g. ``{"wirbel": "ignore"}``).
    raters : dict
        Rater initials in headers -> rater code, e.g. ``{"ZM": "R1"}``.
    sheets : list
        The sheets of a workbook that were mapped (empty: one table).

    Examples
    --------
    >>> import pandas as pd
    >>> import ovcfstats as ov
    >>> sheet = pd.DataFrame({"ID": ["007"], "Age": [70], "Sex": ["Female"], "Fracture": ["yes"],
    ...                       "L1 HU R1": [120.0]})
    >>> mapping = ov.guess_mapping(sheet)
    >>> mapping.table[["column", "status", "understood_as"]]
         column      status                   understood_as
    0        ID  recognised        patient field patient_id
    1       Age  recognised               patient field age
    2       Sex  recognised               patient field sex
    3  Fracture  recognised              patient field case
    4  L1 HU R1  recognised  hu × L1 × rater R1 × session 1
    """

    columns: dict[str, dict[str, Any]]
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: list[Any] = field(default_factory=list)
    vocabulary: dict[str, str] = field(default_factory=dict)
    raters: dict[str, str] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)
    found: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    # -- the review -------------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """One row per source column: ``column``, ``status``, ``understood_as`` and its
        fields, ``candidates``, ``codes`` (found -> mapped) and ``note``."""
        rows = []
        for column, entry in self.columns.items():
            codes = self.found.get(column, {})
            shown = [f"{k} → {_shown(v)}" for k, v in codes.items()]
            shown += [f"{m} → blank" for m in entry.get("missing", [])]
            row = {
                "column": column,
                "status": entry.get("status", "reviewed"),
                "understood_as": describe(entry),
                **{k: entry.get(k, "") for k in ("field", "indicator", *READING_KEYS)},
                "candidates": "; ".join(describe(c) for c in entry.get("candidates", [])),
                "codes": ", ".join(shown),
                "note": entry.get("note", ""),
            }
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def refused(self) -> dict[str, dict[str, Any]]:
        """Entries analyze refuses until reviewed (ambiguous or invalid)."""
        return {c: e for c, e in self.columns.items() if e.get("status") in REFUSED}

    def check(self, func: str = FUNC) -> None:
        """Raise one DataError listing every ambiguous or invalid entry and the fix."""
        refused = self.refused
        if not refused:
            return
        parts = []
        for column, entry in list(refused.items())[:5]:
            what = entry.get("note") or entry["status"]
            if entry.get("candidates"):
                what += " (" + " or ".join(describe(c) for c in entry["candidates"]) + ")"
            parts.append(f"'{column}': {what}")
        more = f" … ({len(refused)} columns)" if len(refused) > 5 else ""
        raise DataError(
            f"{func}(): the mapping has {len(refused)} unreviewed column(s): "
            f"{'; '.join(parts)}{more}. In the study file's [mapping.columns], give each "
            'column its meaning (e.g. measure = "hu", level = "L1") and status = "reviewed", '
            'or status = "unplaced" to keep it aside as an extra column; then run again.'
        )

    # -- the study file ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``[mapping]`` section as a nested dict (``from_dict`` reads it back)."""
        out: dict[str, Any] = {"missing": list(self.missing)}
        if self.sheets:
            out["sheets"] = list(self.sheets)
        out |= {"raters": dict(self.raters), "vocabulary": dict(self.vocabulary)}
        out |= {"codes": {k: dict(v) for k, v in self.codes.items()}}
        out["columns"] = {k: dict(v) for k, v in self.columns.items()}
        return out

    def to_toml(self) -> str:
        """The ``[mapping]`` section of the study file, commented."""
        from ._wide_cells import toml_value as v

        lines = [
            "# Mapping of a wide table (written by 'ovcfstats map'). Review every column:",
            '# status = "recognised" (as read), "reviewed" (checked or edited by you),',
            '# "ambiguous" or "invalid" (analyze refuses these until you set the meaning and',
            '# status = "reviewed"), "extra" or "unplaced" (kept aside as extra columns).',
            "[mapping]",
            f"missing = {v(list(self.missing))}  # blanked in every column",
        ]
        if self.sheets:
            lines.append(f"sheets = {v(list(self.sheets))}")
        lines += [
            f"raters = {v(self.raters)}  # initials in headers -> rater, e.g. {{ ZM = \"R1\" }}",
            f"vocabulary = {v(self.vocabulary)}  # more words: {{ \"wirbel\" = \"ignore\" }}",
            "",
            "# value codes per field (or per source column): code as written -> value",
            "[mapping.codes]",
            *(f"{v(k, key=True)} = {v(c)}" for k, c in self.codes.items()),
            "",
            "# source column -> its meaning",
            "[mapping.columns]",
            *(f"{v(k, key=True)} = {v(e)}" for k, e in self.columns.items()),
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """From the ``[mapping]`` section; unknown keys are errors naming the closest one."""
        if not isinstance(data, Mapping):
            raise DataError("study file: [mapping] must be a table of settings.")
        for key in data:
            if key not in MAPPING_KEYS:
                raise DataError(_unknown_key("[mapping]", str(key), MAPPING_KEYS))
        columns = {}
        for column, entry in dict(data.get("columns", {})).items():
            if not isinstance(entry, Mapping):
                raise DataError(
                    f"study file: [mapping.columns] {column!r} must be a table, e.g. "
                    '{ field = "age" } or { measure = "hu", level = "L1", rater = "R1" }.'
                )
            for key in entry:
                if key not in ENTRY_KEYS:
                    raise DataError(_unknown_key(f"[mapping.columns] {column!r}", key, ENTRY_KEYS))
            status = entry.get("status", "reviewed")
            if status not in STATUSES:
                raise DataError(
                    f"study file: [mapping.columns] {column!r}: status must be one of "
                    f"{', '.join(STATUSES)}; got {status!r}."
                )
            columns[str(column)] = {**dict(entry), "status": status}
        try:
            vocabulary_with(data.get("vocabulary", {}))
        except ValueError as err:
            raise DataError(f"study file: [mapping] {err}") from None
        return cls(
            columns=columns,
            codes={str(k): dict(v) for k, v in dict(data.get("codes", {})).items()},
            missing=list(data.get("missing", [])),
            vocabulary={str(k): str(v) for k, v in dict(data.get("vocabulary", {})).items()},
            raters={str(k): str(v) for k, v in dict(data.get("raters", {})).items()},
            sheets=[str(s) for s in data.get("sheets", [])],
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> ColumnMapping:
        """The ``[mapping]`` section of a study file."""
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        if "mapping" not in data:
            raise DataError(f"{path}: no [mapping] section; write one with 'ovcfstats map'.")
        return cls.from_dict(data["mapping"])


def _text(value: Any) -> str:
    """A cell as text: whole floats without ``.0`` (``1.0`` is ``"1"``)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _shown(value: Any) -> str:
    return "blank" if value == "" else str(value)


# -- guessing ----------------------------------------------------------------------------------
def _context(sheet: str, vocab: Mapping[str, Any], raters: Mapping[str, str]) -> list:
    """The rater and session a sheet's name gives, when the name says nothing else."""
    found = tokens(sheet, vocab, raters)
    if any(kind not in ("rater", "session", "ignore") for kind, _ in found):
        return []
    return [t for t in found if t[0] in ("rater", "session")]


def _mark_duplicates(columns: dict[str, dict[str, Any]]) -> None:
    """Two columns for one reading (or one patient field in one sheet) are both ambiguous."""
    seen: dict[tuple, str] = {}
    for column, entry in columns.items():
        if entry.get("status") not in ("recognised", "reviewed", "extra"):
            continue
        sheet = column.split("!", 1)[0] if "field" in entry and "!" in column else ""
        key = (sheet, *(entry.get(k, "") for k in ("field", "indicator", *READING_KEYS)))
        if key in seen:
            for name in (seen[key], column):
                other = column if name == seen[key] else seen[key]
                columns[name].update(
                    status="ambiguous",
                    candidates=[{k: v for k, v in entry.items() if k not in ("status", "note")}],
                    note=f"the same {describe(entry)} as column '{other}'",
                )
        else:
            seen[key] = column


def _propose_codes(
    frames: Sheets, columns: dict[str, dict[str, Any]], given: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(codes to write per field, found value -> mapped value per column) of coded fields."""
    codes: dict[str, dict[str, Any]] = {k: dict(v) for k, v in given.items()}
    found: dict[str, dict[str, Any]] = {}
    for column, (frame, name) in frames.columns.items():
        entry = columns.get(column, {})
        fld = entry.get("field")
        if fld not in (*CODED, "fracture_level"):
            continue
        own = {normalise(k): v for k, v in {**codes.get(fld, {}), **codes.get(column, {})}.items()}
        seen: dict[str, Any] = {}
        for value in pd.unique(empty_as_na(frame[name]).dropna()):
            text = _text(value)
            key = normalise(text)
            if key in own:
                seen[text] = own[key]
            elif fld == "fracture_level":
                level = key.replace(" ", "").upper()
                seen[text] = level if level in VERTEBRAE else ("" if key in NO_LEVEL else "?")
            else:
                seen[text] = CODED[fld].get(key, "?")
            written = {normalise(k) for k in codes.get(fld, {})}
            if seen[text] != "?" and str(seen[text]) != text and key not in written:
                codes.setdefault(fld, {})[text] = seen[text]  # codes match in any letter case
        found[column] = seen
        unknown = [k for k, v in seen.items() if v == "?"]
        if unknown:
            entry["note"] = (
                f"value(s) {', '.join(map(repr, unknown))} have no code: add them to "
                f"[mapping.codes] {fld}"
            )
    return codes, found


def _sentinel(code: float, others: np.ndarray, plausible: Range | None) -> bool:
    """Whether ``code`` stands apart as a missing-value code: implausible for the column, or
    more than three spans of the column's other values (1st–99th percentile) beyond them."""
    if plausible is not None and plausible.outside(np.array([code]))[0]:
        return True
    if len(others) == 0:
        return False
    low, high = np.percentile(others, [1, 99])
    span = max(high - low, 1e-9 + abs(high) * 0.01)
    return bool(code > high + 3 * span or code < low - 3 * span)


def _propose_missing(frames: Sheets, columns: dict[str, dict[str, Any]], given: list) -> list:
    """Missing-value codes found in numeric columns (readings, age, BMI, indicators).

    Text codes (``n/a``, ``.``) go to the list for every column; a number (999, −99) only to
    its own column's entry, and only where it stands apart from the column's values: a muscle
    area of 999 mm² is a reading, an HU of 999 among values near 100 is a code.
    """
    out = list(given)
    for column, (frame, name) in frames.columns.items():
        entry = columns.get(column, {})
        kind = entry.get("measure") or entry.get("indicator") or entry.get("field")
        if kind not in (*MEASURES, "t_score", "hu", "vbq", "rcsa", "fi", "age", "bmi"):
            continue
        values = empty_as_na(frame[name]).dropna()
        as_numbers = pd.to_numeric(values, errors="coerce")
        numbers = as_numbers.dropna().to_numpy(dtype=float)
        found = [c for c in MISSING_NUMBERS if c not in out and bool((numbers == c).any())]
        rest = numbers[~np.isin(numbers, found)]
        own = [c for c in found if _sentinel(c, rest, RANGES.get(kind))]
        if own:
            entry["missing"] = [*entry.get("missing", []), *own]
        text = {normalise(v) for v in values[as_numbers.isna()].astype(str)}
        out += [w for w in MISSING_WORDS if w in text and w not in out]
    return out


def guess_mapping(
    table: Any,
    *,
    sheet: str | int | None = None,
    vocabulary: Mapping[str, str] | None = None,
    raters: Mapping[str, str] | None = None,
    codes: Mapping[str, Mapping[str, Any]] | None = None,
    missing: list[Any] | None = None,
) -> ColumnMapping:
    """Recognise the columns of a wide table; return the mapping to review.

    Parameters
    ----------
    table : DataFrame, dict of DataFrames or path
        One row per patient. A dict (sheet name -> DataFrame), or a workbook read without
        ``sheet``, is one sheet per rater or session: the sheet's name (``R1``, ``rater 2``,
        ``repeat``) gives the rater or session of its columns that name none.
    sheet : str or int, optional
        One sheet of a workbook (default: every sheet).
    vocabulary, raters, codes, missing : optional
        As in the study file's ``[mapping]``: more header words, rater initials, value codes
        per field and missing-value codes.

    Returns
    -------
    ColumnMapping
        ``.table`` is the review; ``.to_toml()`` the study file section.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import guess_mapping
    >>> wide = pd.DataFrame({"ID": ["P1", "P2"], "Sex": ["Female", "Male"],
    ...                      "L1 HU R1": [120.0, 999], "L1 HU T": [1.0, 2.0]})
    >>> m = guess_mapping(wide)
    >>> m.table[["column", "status", "understood_as"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['ID', 'recognised', 'patient field patient_id'],
     ['Sex', 'recognised', 'patient field sex'],
     ['L1 HU R1', 'recognised', 'hu × L1 × rater R1 × session 1'],
     ['L1 HU T', 'ambiguous', '']]
    >>> m.table.loc[1, "codes"], m.table.loc[3, "candidates"]
    ('Female → F, Male → M', 't_score × L1 × session 1; hu × L1 × session 1')
    >>> m.columns["L1 HU R1"]["missing"], m.codes  # 999 stands apart from the HU readings
    ([999], {'sex': {'Female': 'F', 'Male': 'M'}})
    """
    frames = read_sheets(table, sheet, "guess_mapping")
    vocab = vocabulary_with(vocabulary)
    raters = dict(raters or {})
    columns: dict[str, dict[str, Any]] = {}
    for column, (_, name) in frames.columns.items():
        context = _context(frames.sheet_of[column], vocab, raters) if frames.multi else []
        seen: Understood = understand(name, vocab, raters, context)
        entry = dict(seen.entry)
        entry["status"] = seen.status
        if seen.candidates:
            entry["candidates"] = seen.candidates
        if seen.note:
            entry["note"] = seen.note
        columns[column] = entry
    _mark_duplicates(columns)
    found_codes, found = _propose_codes(frames, columns, codes or {})
    return ColumnMapping(
        columns=columns,
        codes=found_codes,
        missing=_propose_missing(frames, columns, list(missing or [])),
        vocabulary=dict(vocabulary or {}),
        raters=raters,
        sheets=list(frames.names) if frames.multi else [],
        found=found,
    )


def read_wide(
    table: Any,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    *,
    sheet: str | int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A wide table -> ``(patients, measurements)``, the two tables of the data contract.

    Parameters
    ----------
    table : DataFrame, dict of DataFrames or path
        As in :func:`guess_mapping`.
    mapping : ColumnMapping, dict, path, optional
        The reviewed mapping, its ``[mapping]`` dict, or a study file holding it. Default: the
        :func:`guess_mapping` of ``table``, refused if any column is ambiguous or invalid.
    sheet : str or int, optional
        One sheet of a workbook (default: the sheets the mapping names, or every sheet).

    Returns
    -------
    patients : DataFrame
        The patient fields (value codes applied), indicator columns under their names, and
        extra or unplaced columns under their own headers (nothing is dropped).
    measurements : DataFrame
        The long table of raw readings, one row per non-empty reading cell (cells blanked by
        a missing code are kept as blank readings); empty for an indicator table.

    Raises
    ------
    DataError
        Naming the column, the cells (Excel-style, e.g. ``C17``) and the fix: an ambiguous or
        invalid mapping entry, a column missing from the table or from the mapping, a value
        code not in the mapping, text in a numeric column, two columns for one reading.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import read_wide
    >>> wide = pd.DataFrame({"ID": ["P1", "P2"], "Sex": ["Female", "Male"],
    ...                      "L1 HU R1": [120.0, 999], "L2 HU R1": [110.0, 95.0]})
    >>> patients, readings = read_wide(wide)
    >>> patients["sex"].tolist(), readings["value"].tolist()
    (['F', 'M'], [120.0, 110.0, nan, 95.0])
    >>> read_wide(wide.assign(Sex=["Female", "x"]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ovcfstats._validate.DataError: read_wide(): value 'x' in column 'Sex' (cell B3) has no code...
    """
    patients, measurements, _ = read_wide_counted(table, mapping, sheet=sheet)
    return patients, measurements


def resolve_mapping(mapping: Any, frames: Sheets | None = None) -> ColumnMapping:
    """A ColumnMapping from any accepted form (None: guessed from ``frames``)."""
    if isinstance(mapping, ColumnMapping):
        return mapping
    if mapping is None:
        if frames is None:
            raise DataError(f"{FUNC}(): no mapping and no table to guess one from.")
        return guess_mapping(frames)
    if isinstance(mapping, str | Path):
        return ColumnMapping.from_toml(mapping)
    return ColumnMapping.from_dict(mapping)


def read_wide_counted(
    table: Any, mapping: Any = None, *, sheet: str | int | None = None, func: str = FUNC
) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """:func:`read_wide` and the :class:`~ovcfstats.data._wide_cells.RecodingResult`."""
    given = None if mapping is None else resolve_mapping(mapping)
    wanted = given.sheets if given is not None and given.sheets and sheet is None else None
    frames = read_sheets(table, sheet, func, wanted)
    resolved = given if given is not None else guess_mapping(frames)
    resolved.check(func)
    return apply_mapping(frames, resolved, func)
