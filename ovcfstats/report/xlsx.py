"""The raw numbers as an Excel workbook: a README sheet, one sheet per table, settings.

Numbers stay numbers, unrounded, and text stays text (an ID ``007`` is not the number 7; a
label starting with ``=`` is not a formula); a p-value gets a number format (``0.000``, or
``0.00E+00`` below 0.001) rather than being rounded to 0. Each sheet has a styled, frozen
header row, filters and column widths from its content.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..present._format import format_setting
from ..present._safe import csv_safe
from ._ooxml import MAX_ROWS, Sheet, write_book

HEADER_FILL = "DDE3EA"


def render(report: Any, path: Any) -> list[Path]:
    """Write ``report``'s tables (raw numbers) to ``path``; returns the CSV files written too.

    A table longer than Excel's 1,048,576 rows keeps its first rows in its sheet and is
    written whole to ``<workbook>_<sheet>.csv`` beside the workbook; the README sheet says so.
    """
    path = Path(path)
    used = {"README"}
    sheets: list[Sheet] = []
    index: list[tuple[str, str, str, int]] = []
    overflow: list[Path] = []
    excluded = []
    settings_rows = []

    def add(name: str, frame: pd.DataFrame, section: str, contents: str) -> None:
        name = _sheet_name(name, used)
        fits, total = MAX_ROWS - 1, len(frame)
        if total > fits:
            csv = path.with_name(f"{path.stem}_{_file_name(name)}.csv")
            csv_safe(frame).to_csv(csv, index=False)
            overflow.append(csv)
            contents += (
                f" More rows than Excel holds: the first {fits:,} of {len(frame):,} here, "
                f"every row in {csv.name} beside this workbook."
            )
            frame = frame.iloc[:fits]
        sheets.append(Sheet(name, frame, [_is_p(str(c)) for c in frame.columns]))
        index.append((name, section, contents, total))

    for item in report.items:
        result = item.result
        for name, table in result.tables().items():
            frame = _choices_values(table) if name == "table" and _is_choices(result) else table
            sheet = item.key if name == "table" else f"{item.key} {name}"
            add(sheet, frame, item.title, f"{name}: {_describe(result)}")
        if len(result.excluded):
            excluded.append(result.excluded.assign(step=item.title))
        for key, value in dict(result.settings).items():
            settings_rows.append((item.title, key, _setting_value(value)))
    if excluded:
        frame = pd.concat(excluded, ignore_index=True)
        add("excluded", frame, "all steps", "rows left out of an analysis, with the reason")
    if settings_rows:
        frame = pd.DataFrame(settings_rows, columns=["step", "setting", "value"])
        add("settings", frame, "all steps", "the settings that produced each result")
    from ._strobe import applies, strobe_checklist

    if applies(report):
        checklist = strobe_checklist(report)
        add("STROBE", checklist, "all steps", "the STROBE case–control checklist")
    from ._checklists import CHECKLISTS

    for _, title, name, applies_to, build_checklist in CHECKLISTS:
        if applies_to(report):
            add(name, build_checklist(report), "all steps", title)
    readme = Sheet(
        "README",
        pd.DataFrame(index, columns=["sheet", "report section", "contents", "rows"]),
        [False] * 4,
        preamble=(
            report.title,
            "Raw, unrounded numbers of every table of the report; p-values are numbers "
            "with a display format. One row per sheet below.",
            "",
        ),
    )
    write_book(path, [readme, *sheets], _cell, HEADER_FILL)
    return overflow


def _describe(result: Any) -> str:
    """The first sentence of the result's docstring, without reST markup."""
    doc = " ".join((result.__doc__ or result.title).split()).replace("``", "")
    return doc.split(". ")[0].rstrip(".:") + "."


def _is_choices(result: Any) -> bool:
    return type(result).__name__ == "ChoicesResult"


def _choices_values(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    if "value" in out:
        out["value"] = [_setting_value(v) for v in out["value"]]
    return out


def _setting_value(value: Any) -> Any:
    import ast

    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    if isinstance(value, bool | np.bool_):
        return format_setting(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value) if isinstance(value, float | np.floating) else int(value)
    return format_setting(value)


def _is_p(column: str) -> bool:
    parts = column.lower().split("_")
    return column.lower() == "p" or parts[0] == "p" or parts[-1] == "p"


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        return None if math.isnan(x) else x if math.isfinite(x) else str(x)
    if isinstance(value, str):  # text stays text: IDs such as 007 are not numbers
        return value
    if isinstance(value, tuple | list | dict | set):
        return format_setting(value)
    return str(value)


def _sheet_name(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", text)[:31]
    name, i = base, 1
    while name in used:
        i += 1
        name = f"{base[: 31 - len(str(i)) - 1]}~{i}"
    used.add(name)
    return name


def _file_name(sheet: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", sheet)
