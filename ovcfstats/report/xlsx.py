"""The raw numbers as an Excel workbook: a README sheet, one sheet per table, settings.

Numbers stay numbers, unrounded; a p-value gets a number format (``0.000``, or ``0.00E+00``
below 0.001) rather than being rounded to 0. Each sheet has a styled, frozen header row,
filters and column widths from its content.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .._format import format_setting

HEADER_FILL = "DDE3EA"


def render(report: Any, path: Any) -> None:
    """Write ``report``'s tables (raw numbers) to ``path``."""
    from openpyxl import Workbook

    book = Workbook()
    readme = book.active
    readme.title = "README"
    used = {"README"}
    index: list[tuple[str, str, str, int]] = []
    excluded = []
    settings_rows = []
    for item in report.items:
        result = item.result
        for name, table in result.tables().items():
            sheet_name = _sheet_name(item.key if name == "table" else f"{item.key} {name}", used)
            sheet = book.create_sheet(sheet_name)
            _write(
                sheet, _choices_values(table) if name == "table" and _is_choices(result) else table
            )
            what = _describe(result)
            index.append((sheet_name, item.title, f"{name}: {what}", len(table)))
        if len(result.excluded):
            excluded.append(result.excluded.assign(step=item.title))
        for key, value in dict(result.settings).items():
            settings_rows.append((item.title, key, _setting_value(value)))
    if excluded:
        name = _sheet_name("excluded", used)
        _write(book.create_sheet(name), pd.concat(excluded, ignore_index=True))
        index.append(
            (
                name,
                "all steps",
                "rows left out of an analysis, with the reason",
                sum(map(len, excluded)),
            )
        )
    if settings_rows:
        name = _sheet_name("settings", used)
        _write(
            book.create_sheet(name),
            pd.DataFrame(settings_rows, columns=["step", "setting", "value"]),
        )
        index.append(
            (name, "all steps", "the settings that produced each result", len(settings_rows))
        )
    from ._strobe import applies, strobe_checklist

    if applies(report):
        name = _sheet_name("STROBE", used)
        checklist = strobe_checklist(report)
        _write(book.create_sheet(name), checklist)
        index.append((name, "all steps", "the STROBE case–control checklist", len(checklist)))
    readme_frame = pd.DataFrame(index, columns=["sheet", "report section", "contents", "rows"])
    readme.append([report.title])
    readme.append(
        [
            "Raw, unrounded numbers of every table of the report; p-values are numbers "
            "with a display format. One row per sheet below."
        ]
    )
    readme.append([])
    _write(readme, readme_frame, start_row=4)
    book.save(path)


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
    if isinstance(value, str):
        try:
            return float(value) if re.fullmatch(r"-?\d+(\.\d+)?([eE]-?\d+)?", value) else value
        except ValueError:  # pragma: no cover - the pattern is a float
            return value
    if isinstance(value, tuple | list | dict | set):
        return format_setting(value)
    return str(value)


def _write(sheet: Any, frame: pd.DataFrame, start_row: int = 1) -> None:
    from openpyxl.styles import Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    columns = [str(c) for c in frame.columns]
    for j, name in enumerate(columns, 1):
        cell = sheet.cell(row=start_row, column=j, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.border = Border(bottom=Side(style="thin"))
    widths = [len(c) for c in columns]
    p_columns = [_is_p(c) for c in columns]
    for i, row in enumerate(frame.itertuples(index=False), start_row + 1):
        for j, value in enumerate(row):
            v = _cell(value)
            cell = sheet.cell(row=i, column=j + 1, value=v)
            if isinstance(v, float):
                if p_columns[j]:
                    cell.number_format = "0.00E+00" if v < 0.001 else "0.000"
                widths[j] = max(widths[j], 12)
            elif v is not None:
                widths[j] = max(widths[j], len(str(v)))
    for j, w in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(j)].width = min(60, w + 2)
    sheet.freeze_panes = sheet.cell(row=start_row + 1, column=1)
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A{start_row}:{last}{start_row + max(len(frame), 1)}"


def _sheet_name(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", text)[:31]
    name, i = base, 1
    while name in used:
        i += 1
        name = f"{base[: 31 - len(str(i)) - 1]}~{i}"
    used.add(name)
    return name
