"""Applying a column mapping to the cells of a wide table: codes, missing codes, the long table.

Every cell a value code changes (``Female`` -> ``F``) or a missing code blanks (``999``) is
counted per column in a :class:`RecodingResult`; a cell no code explains is an error naming the
column, the cells in Excel's notation (``C17``, ``R1!C17`` on a sheet ``R1``) and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from .._validate import DataError, as_ids
from ._patient_codes import COMORBIDITIES
from ._understand import READING_KEYS, check_reading, describe
from ._vocabulary import CASE_CODES, SEX_CODES, YES_NO, normalise
from .schema import MEASUREMENT_COLUMNS, PATIENT_COLUMNS, VERTEBRAE

if TYPE_CHECKING:
    from .wide import ColumnMapping

MAX_CELLS = 5
NUMERIC_FIELDS = ("age", "bmi")


@dataclass(frozen=True, eq=False)
class RecodingResult(Result):
    """Cells changed by the mapping: ``column``, ``understood_as``, ``recoded``, ``blanked``
    (one row per column with a recoded or blanked cell; the totals are in the notes)."""

    title: ClassVar[str] = "Value codes and missing codes applied"

    def notes(self) -> list[str]:
        return [
            "Columns without a recoded or blanked cell are not listed; cells the file itself "
            "left blank are not counted.",
            *super().notes(),
        ]


@dataclass
class Sheets:
    """The sheets of a wide table: name -> frame, and every source column by its key."""

    frames: dict[str, pd.DataFrame]
    multi: bool
    columns: dict[str, tuple[pd.DataFrame, str]] = field(default_factory=dict)
    sheet_of: dict[str, str] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, frame in self.frames.items():
            for i, header in enumerate(frame.columns):
                key = f"{name}!{header}" if self.multi else str(header)
                self.columns[key] = (frame, str(header))
                self.sheet_of[key] = name
                self.position[key] = i

    @property
    def names(self) -> list[str]:
        return list(self.frames)

    def cells(self, key: str, mask: Any) -> str:
        """``"cells C17, C18"``: Excel's names of the masked cells of one column."""
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        letters, i = "", self.position[key] + 1
        while i:
            i, r = divmod(i - 1, 26)
            letters = chr(65 + r) + letters
        prefix = f"{self.sheet_of[key]}!" if self.multi else ""
        shown = ", ".join(f"{prefix}{letters}{r + 2}" for r in rows[:MAX_CELLS])
        more = f", … ({len(rows)} cells)" if len(rows) > MAX_CELLS else ""
        return f"{'cell' if len(rows) == 1 else 'cells'} {shown}{more}"


def read_sheets(
    table: Any, sheet: str | int | None, func: str, wanted: list[str] | None = None
) -> Sheets:
    """The sheets of a DataFrame, a dict of DataFrames or a file (every sheet of a workbook)."""
    if isinstance(table, Sheets):
        return table
    if isinstance(table, pd.DataFrame):
        return Sheets({"": table}, multi=False)
    if isinstance(table, Mapping):
        frames = {str(k): v for k, v in table.items()}
        return Sheets(frames, multi=len(frames) > 1)
    if not isinstance(table, str | Path):
        raise TypeError(f"{func}(): `table` must be a DataFrame, a dict of them or a file path.")
    from .readers import read_table

    path = Path(table)
    if sheet is not None or path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return Sheets({"": read_table(path, sheet=sheet)}, multi=False)
    with pd.ExcelFile(path, engine="openpyxl") as book:
        names = [str(n) for n in book.sheet_names]
    if wanted:
        lacking = [w for w in wanted if w not in names]
        if lacking:
            raise DataError(
                f"{func}(): {path} has no sheet(s) {', '.join(map(repr, lacking))} that the "
                f"mapping names; its sheets are {', '.join(map(repr, names))}. Run "
                "'ovcfstats map' again on this file."
            )
        names = list(wanted)
    if len(names) == 1:
        return Sheets({"": read_table(path, sheet=names[0])}, multi=False)
    return Sheets({n: read_table(path, sheet=n) for n in names}, multi=True)


# -- TOML ----------------------------------------------------------------------------------
def toml_value(value: Any, key: bool = False) -> str:
    """A value (or a key) as TOML text: strings quoted, dicts inline, lists bracketed."""
    if key:
        text = str(value)
        return text if text and all(c.isalnum() or c in "_-" for c in text) and text.isascii() \
            else toml_value(text)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(value.item() if isinstance(value, np.generic) else value)
    if isinstance(value, str):
        escaped = "".join(
            "\\" + c if c in '"\\' else (f"\\u{ord(c):04x}" if ord(c) < 0x20 else c) for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, Mapping):
        inner = ", ".join(f"{toml_value(k, key=True)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


# -- cells -------------------------------------------------------------------------------------
def empty_as_na(series: pd.Series) -> pd.Series:
    """Cells of blanks only (``""``, ``"  "``) as missing: the file left them blank."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    text = series.astype(object)
    empty = text.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    return text.mask(empty) if empty.any() else series


def _missing_mask(series: pd.Series, numbers: set[float], words: set[str]) -> np.ndarray:
    """Cells holding a missing-value code (numbers compared as numbers, text casefolded)."""
    if not numbers and not words:
        return np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return np.isin(values, list(numbers)) if numbers else np.zeros(len(series), dtype=bool)
    present = series.notna().to_numpy()
    text = series.astype(object).where(series.notna(), "").map(normalise).to_numpy()
    numeric = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy()
    hit = np.isin(text, list(words)) | (np.isin(numeric, list(numbers)) if numbers else False)
    return present & hit


def _numbers(frames: Sheets, key: str, series: pd.Series, func: str) -> np.ndarray:
    """A numeric column as floats; text cells are an error naming them."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(values) & series.notna().to_numpy()
    if bad.any():
        shown = ", ".join(repr(str(v)) for v in dict.fromkeys(series[bad].astype(str)))
        raise DataError(
            f"{func}(): text {shown} in the numeric column '{key}' ({frames.cells(key, bad)}). "
            "Correct the cells, or, if the text means 'not measured', add it to the study "
            "file's [mapping] missing (e.g. missing = [999, \"n/a\"])."
        )
    return values


def _coded(
    frames: Sheets, key: str, fld: str, series: pd.Series, codes: Mapping[str, Any], func: str
) -> tuple[pd.Series, int]:
    """A coded patient field (sex, case, comorbidities, fracture level) and its recoded count."""
    own = {normalise(k): v for k, v in codes.items()}
    out = np.full(len(series), np.nan, dtype=object)
    bad = np.zeros(len(series), dtype=bool)
    recoded = 0
    values = series.to_numpy(dtype=object)
    for i in np.flatnonzero(series.notna().to_numpy()):
        value = values[i]
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        norm = normalise(text)
        if norm in own:
            out[i] = own[norm]
            recoded += str(own[norm]) != text
        elif fld == "sex" and norm in ("f", "m"):
            out[i] = norm.upper()
        elif fld == "fracture_level" and norm.replace(" ", "").upper() in VERTEBRAE:
            out[i] = norm.replace(" ", "").upper()
        elif fld in ("case", *COMORBIDITIES) and norm in ("0", "1"):
            out[i] = int(norm)
        else:
            bad[i] = True
    if bad.any():
        found = list(dict.fromkeys(str(v) for v in values[bad]))
        known = {"sex": SEX_CODES, "case": CASE_CODES}.get(fld, YES_NO)
        hint = ", ".join(f'"{v}" = {_hint(fld, v, known)}' for v in found[:3])
        raise DataError(
            f"{func}(): value {', '.join(map(repr, found[:5]))} in column '{key}' "
            f"({frames.cells(key, bad)}) has no code for {fld}. Add it to the study file's "
            f"[mapping.codes], e.g. {fld} = {{ {hint} }}, or correct the cells."
        )
    if fld in ("case", *COMORBIDITIES):
        return pd.Series(pd.to_numeric(pd.Series(out), errors="coerce").to_numpy()), recoded
    return pd.Series(out), recoded


def _hint(fld: str, value: str, known: Mapping[str, Any]) -> str:
    guess = known.get(normalise(value))
    if guess is None:
        guess = {"sex": "F", "fracture_level": "L1"}.get(fld, 1)
    return f'"{guess}"' if isinstance(guess, str) else str(guess)


def _merge_patients(parts: list[tuple[str, pd.DataFrame]], func: str) -> pd.DataFrame:
    """The patient columns of every sheet side by side; a field in two sheets must agree."""
    merged = parts[0][1]
    for name, part in parts[1:]:
        common = [c for c in part.columns if c in merged.columns]
        if common:
            both = merged[common].reindex(part.index)
            other = part[common]
            clash = both.notna() & other.notna() & (both.astype(str) != other.astype(str))
            for col in common:
                if clash[col].any():
                    ids = ", ".join(map(str, list(clash.index[clash[col]])[:5]))
                    raise DataError(
                        f"{func}(): sheet {name!r} gives other values of {col} than an earlier "
                        f"sheet (patient_id: {ids}). Keep the patient fields in one sheet, or "
                        "make them agree."
                    )
        merged = merged.combine_first(part)[list(dict.fromkeys([*merged.columns, *part.columns]))]
    order = [c for c in PATIENT_COLUMNS if c in merged.columns]
    merged = merged.reset_index()
    rest = [c for c in merged.columns if c not in order and c != "patient_id"]
    return merged[["patient_id", *order, *rest]]


def apply_mapping(
    frames: Sheets, mapping: ColumnMapping, func: str
) -> tuple[pd.DataFrame, pd.DataFrame, RecodingResult]:
    """(patients, measurements, recoding counts) of the sheets under a reviewed mapping."""
    unmapped = [k for k in frames.columns if k not in mapping.columns]
    absent = [k for k in mapping.columns if k not in frames.columns]
    for what, keys in (("not in the mapping", unmapped), ("of the mapping not in the table",
                                                           absent)):  # fmt: skip
        if keys:
            raise DataError(
                f"{func}(): column(s) {', '.join(map(repr, keys[:8]))} {what}. Run 'ovcfstats "
                "map TABLE --study study.toml' again to update the mapping, then review it."
            )
    numbers = {float(m) for m in mapping.missing if not isinstance(m, str)}
    words = {normalise(m) for m in mapping.missing if isinstance(m, str)}
    counts, parts, readings = [], [], []
    for sheet, frame in frames.frames.items():
        keys = [k for k in frames.columns if frames.sheet_of[k] == sheet]
        id_keys = [k for k in keys if mapping.columns[k].get("field") == "patient_id"]
        if len(id_keys) != 1:
            where = f"sheet {sheet!r}" if frames.multi else "the table"
            raise DataError(
                f"{func}(): {where} has {len(id_keys)} columns mapped to patient_id "
                f"({', '.join(map(repr, id_keys)) or 'none'}). Map exactly one column per sheet "
                'as { field = "patient_id" }.'
            )
        ids = as_ids(frame[frames.columns[id_keys[0]][1]]).to_numpy()
        twice = pd.Series(ids).duplicated(keep=False).to_numpy()
        for bad, problem in ((ids == "", "blank IDs"), (twice, "duplicate IDs")):
            if bad.any():
                raise DataError(
                    f"{func}(): {problem} in column '{id_keys[0]}' "
                    f"({frames.cells(id_keys[0], bad)}). Give every row one ID of its own."
                )
        patient = {}
        for key in keys:
            entry = mapping.columns[key]
            series = empty_as_na(frame[frames.columns[key][1]].reset_index(drop=True))
            if key == id_keys[0]:
                continue
            status, fld = entry.get("status"), entry.get("field")
            if status in ("extra", "unplaced"):
                patient[key] = series.to_numpy()
                continue
            extra = entry.get("missing", [])
            blank = _missing_mask(
                series,
                numbers | {float(m) for m in extra if not isinstance(m, str)},
                words | {normalise(m) for m in extra if isinstance(m, str)},
            )
            present = series.notna().to_numpy()
            series = series.mask(blank)
            recoded = 0
            if fld in ("sex", "case", "fracture_level", *COMORBIDITIES):
                codes = {**mapping.codes.get(fld, {}), **mapping.codes.get(key, {})}
                series, recoded = _coded(frames, key, fld, series, codes, func)
                patient[fld] = series.to_numpy()
            elif fld is not None:
                numeric = fld in NUMERIC_FIELDS
                patient[fld] = _numbers(frames, key, series, func) if numeric else series.to_numpy()
            elif "indicator" in entry:
                patient[entry["indicator"]] = _numbers(frames, key, series, func)
            else:
                check_reading(key, entry, func)
                values = _numbers(frames, key, series, func)
                readings.append((entry, ids[present], values[present]))
            counts.append((key, describe(entry), recoded, int(blank.sum())))
        parts.append((sheet, pd.DataFrame(patient, index=pd.Index(ids, name="patient_id"))))
    patients = _merge_patients(parts, func)
    table = pd.DataFrame(counts, columns=["column", "understood_as", "recoded", "blanked"])
    changed = table[(table["recoded"] > 0) | (table["blanked"] > 0)].reset_index(drop=True)
    result = RecodingResult(
        table=changed,
        settings={
            "cells recoded": int(table["recoded"].sum()),
            "cells blanked": int(table["blanked"].sum()),
            "missing codes": ", ".join(
                repr(m) if isinstance(m, str) else str(m) for m in mapping.missing
            )
            or "none",
            "mapped columns": len(table),
        },
    )
    return patients, _long(readings, patients["patient_id"]), result


def _long(readings: list[tuple[dict, np.ndarray, np.ndarray]], order: pd.Series) -> pd.DataFrame:
    """The long measurements table, patient by patient in the patients' order.

    Text columns are categoricals built from integer codes (one code per source column), so
    10⁶ readings cost no per-cell string work; the validators factorize them as any text.
    """
    if not readings:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MEASUREMENT_COLUMNS})
    sizes = np.array([len(v) for _, _, v in readings])
    ids = pd.Index(order.to_numpy(dtype=object))
    rows = np.concatenate([ids.get_indexer(i) for _, i, _ in readings])
    sort = np.argsort(rows, kind="stable")
    out: dict[str, Any] = {"patient_id": pd.Categorical.from_codes(rows[sort], ids)}
    for k in READING_KEYS:
        default = 1 if k == "session" else ""
        per = [e.get(k, default) for e, _, _ in readings]
        if k == "session":
            out[k] = np.repeat(np.array(per, dtype=np.int64), sizes)[sort]
            continue
        codes, uniques = pd.factorize(pd.Series(per, dtype=object))
        out[k] = pd.Categorical.from_codes(np.repeat(codes, sizes)[sort], uniques.astype(str))
    out["value"] = np.concatenate([v for _, _, v in readings])[sort]
    return pd.DataFrame({c: out[c] for c in MEASUREMENT_COLUMNS})
