"""A streaming .xlsx writer: sheets of whole columns, in bounded memory, at registry scale.

Written by hand because the libraries are too slow for a 10⁶-row listing: openpyxl and
xlsxwriter both handle each cell as a Python object (cpu per cell of a 10⁵ × 19 listing: 8.6 µs
with openpyxl, 4.9 µs with xlsxwriter in its ``constant_memory`` mode, 0.75 µs here;
``benchmarks/bench_report.py``), whereas a column can be converted once by its dtype. A sheet is
written in blocks of :data:`BLOCK` rows straight into the zip member, so memory does not grow
with the rows.

The file is a minimal SpreadsheetML package (ECMA-376 part 1): content types, the workbook with
its sheets and the hidden ``_FilterDatabase`` names Excel keeps for filters, one style sheet,
and per sheet a frozen header row, column widths, inline strings and an autofilter.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape
from typing import IO, Any

import numpy as np
import pandas as pd

from ..present._safe import formula_like

#: Excel's rows per sheet
MAX_ROWS = 1_048_576
#: rows converted and written at a time
BLOCK = 16_384
#: style ids (the order of cellXfs in :func:`styles`); TEXT_QUOTED keeps a formula-like text
#: cell text when it is edited in Excel (the cell's "quote prefix")
HEADER, P_FIXED, P_SCIENTIFIC, TEXT_QUOTED = 1, 2, 3, 4

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def styles(header_fill: str) -> str:
    """The style sheet: default, header (bold, filled, thin bottom border), two p formats."""
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
    xf = '<xf numFmtId="{}" fontId="{}" fillId="{}" borderId="{}" xfId="0"{}/>'
    return (
        f"{_DECL}<styleSheet {_NS}>"
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.000"/>'
        '<numFmt numFmtId="165" formatCode="0.00E+00"/></numFmts>'
        f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        f'<fill><patternFill patternType="solid"><fgColor rgb="00{header_fill}"/>'
        '<bgColor indexed="64"/></patternFill></fill></fills>'
        '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom>'
        "<diagonal/></border></borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="5">'
        + xf.format(0, 0, 0, 0, "")
        + xf.format(0, 1, 2, 1, ' applyFont="1" applyFill="1" applyBorder="1"')
        + xf.format(164, 0, 0, 0, ' applyNumberFormat="1"')
        + xf.format(165, 0, 0, 0, ' applyNumberFormat="1"')
        + xf.format(0, 0, 0, 0, ' quotePrefix="1"')
        + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        "</cellStyles></styleSheet>"
    )


@dataclass
class Sheet:
    """One sheet: ``frame`` with its header on row ``start_row``, after ``preamble`` lines."""

    name: str
    frame: pd.DataFrame
    p_columns: list[bool]
    preamble: tuple[str, ...] = ()

    @property
    def start_row(self) -> int:
        return len(self.preamble) + 1 if self.preamble else 1


def column_letter(j: int) -> str:
    """Excel's name of the 0-based column ``j``.

    >>> [column_letter(j) for j in (0, 25, 26, 701, 702)]
    ['A', 'Z', 'AA', 'ZZ', 'AAA']
    """
    name = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        name = chr(65 + r) + name
    return name


def text(value: str) -> str:
    """``value`` as XML text: escaped, without the control characters XML cannot hold."""
    return escape(_ILLEGAL.sub("", value), quote=False)


# -- one column as cells ----------------------------------------------------------------------
# A column is converted once by its dtype; the cell XML of each row is then one f-string. The
# conversions give the cells ovcfstats.report.xlsx._cell gives value by value (tested).


def _string_xml(value: str) -> str:
    """A text cell (an inline string: never a number, never a formula)."""
    style = f' s="{TEXT_QUOTED}"' if formula_like(value) else ""
    return f'{style} t="inlineStr"><is><t xml:space="preserve">{text(value)}</t></is></c>'


def _float_xml(values: np.ndarray, p: bool) -> list[str]:
    """Floats: NaN blank, ±inf as text, p-values with their format."""
    digits = [repr(v) for v in values.tolist()]
    if p:
        style = np.where(values < 0.001, P_SCIENTIFIC, P_FIXED).tolist()
        xml = [f' s="{s}"><v>{t}</v></c>' for s, t in zip(style, digits, strict=True)]
    else:
        xml = [f"><v>{t}</v></c>" for t in digits]
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        xml[i] = "" if np.isnan(values[i]) else _string_xml(digits[i])
    return xml


def _value_xml(v: Any, p: bool) -> str:
    """One converted value (None, bool, int, float or str)."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return f' t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int):
        return f"><v>{v}</v></c>"
    if isinstance(v, float):
        return _float_xml(np.array([v]), p)[0]
    return _string_xml(str(v))


def _is_text(column: pd.Series) -> bool:
    """Strings only (NA allowed), in an object or a string column."""
    dtype = column.dtype
    return (
        pd.api.types.is_string_dtype(dtype)
        and not isinstance(dtype, pd.CategoricalDtype)
        and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")
    )


def _text_cells(column: pd.Series, p: bool) -> tuple[list[str], int]:
    """Strings as text cells (NA blank): an ID ``007`` or ``123456789012345678`` stays text.

    Each distinct string is converted once (a listing repeats a few codes many times).
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    xml, width = [], 0
    for v in uniques.tolist():
        if v == "":
            xml.append("")
        else:
            xml.append(_string_xml(v))
            width = max(width, len(v))
    xml.append("")  # NA (code -1)
    return np.asarray(xml, dtype=object)[codes].tolist(), width


def _value_width(v: Any) -> int:
    if v is None:
        return 0
    return 12 if isinstance(v, float) else len(str(v))


def _fixed_width(column: pd.Series) -> int | None:
    """The width of a bool, float or integer column from its extremes; None for others."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) and not column.hasnans:
        return 5 if (~column).any() else 4 if len(column) else 0
    if pd.api.types.is_float_dtype(dtype):
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return max(12 * bool(np.isfinite(x).any()), 3 * bool((x == np.inf).any()),
                   4 * bool((x == -np.inf).any()))  # fmt: skip
    if pd.api.types.is_integer_dtype(dtype):
        x = column.dropna()
        return max(len(str(int(x.max()))), len(str(int(x.min())))) if len(x) else 0
    return None


def column_cells(
    column: pd.Series, p: bool, convert: Callable[[Any], Any]
) -> tuple[list[str], int]:
    """The cells of one column (a block of rows) and the width its values need.

    Per row, the XML that follows ``<c r="A2"`` ('' for a blank cell). The width is 12 for a
    number with decimals and the text's length otherwise (a float column from its extremes).
    """
    dtype = column.dtype
    width = _fixed_width(column)
    if pd.api.types.is_bool_dtype(dtype) and not column.hasnans:
        return [f' t="b"><v>{int(v)}</v></c>' for v in column.tolist()], width or 0
    if pd.api.types.is_float_dtype(dtype):
        return _float_xml(column.to_numpy(dtype=np.float64, na_value=np.nan), p), width or 0
    if pd.api.types.is_integer_dtype(dtype):
        values = column.astype(object).where(column.notna(), None).tolist()
        return ["" if v is None else f"><v>{v}</v></c>" for v in values], width or 0
    if _is_text(column):
        return _text_cells(column, p)
    values = [convert(v) for v in column.tolist()]
    return [_value_xml(v, p) for v in values], max(map(_value_width, values), default=0)


def column_width(column: pd.Series, convert: Callable[[Any], Any]) -> int:
    """The width :func:`column_cells` gives, without making the cells where it can."""
    width = _fixed_width(column)
    if width is not None:
        return width
    if _is_text(column):
        return max((len(v) for v in column.dropna().unique()), default=0)
    return max((_value_width(convert(v)) for v in column.tolist()), default=0)


# -- the sheet XML ----------------------------------------------------------------------------


def _block_rows(letters: list[str], first: int, columns: list[list[str]]) -> str:
    """``<row>`` elements from the cells of each column, the first on row ``first``."""
    numbers = [str(r) for r in range(first, first + len(columns[0]))]
    cells = [
        [f'<c r="{letter}{r}"{x}' if x else "" for r, x in zip(numbers, xml, strict=True)]
        for letter, xml in zip(letters, columns, strict=True)
    ]
    return "".join(
        f'<row r="{r}">{"".join(row)}</row>'
        for r, row in zip(numbers, zip(*cells, strict=True), strict=True)
    )


def write_sheet(out: Any, sheet: Sheet, convert: Callable[[Any], Any], first: bool) -> None:
    """Stream ``sheet`` as a worksheet part to ``out``, :data:`BLOCK` rows at a time."""
    frame, top = sheet.frame, sheet.start_row
    last = f"{column_letter(max(frame.shape[1], 1) - 1)}{top + max(len(frame), 1)}"
    letters = [column_letter(j) for j in range(frame.shape[1])]
    widths = [len(str(name)) for name in frame.columns]
    blocks = [frame.iloc[start : start + BLOCK] for start in range(0, len(frame), BLOCK)]
    done: list[list[str]] | None = None
    if len(blocks) == 1:  # one block: its cells give the widths
        made = [column_cells(blocks[0].iloc[:, j], p, convert)
                for j, p in enumerate(sheet.p_columns)]  # fmt: skip
        done = [xml for xml, _ in made]
        widths = [max(w, width) for w, (_, width) in zip(widths, made, strict=True)]
    else:  # a long sheet: the widths (which precede the rows) from the whole columns first
        widths = [max(w, column_width(frame.iloc[:, j], convert)) for j, w in enumerate(widths)]
    preamble = "".join(
        f'<row r="{i}"><c r="A{i}"{_string_xml(line)}</row>'
        for i, line in enumerate(sheet.preamble, 1)
        if line
    )
    header = "".join(
        f'<c r="{c}{top}" s="{HEADER}"{_string_xml(str(name))}'
        for c, name in zip(letters, frame.columns, strict=True)
    )
    selected = ' tabSelected="1"' if first else ""
    out.write(
        f'{_DECL}<worksheet {_NS} {_NS_R}><dimension ref="A1:{last}"/>'
        f'<sheetViews><sheetView workbookViewId="0"{selected}>'
        f'<pane ySplit="{top}" topLeftCell="A{top + 1}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="A{top + 1}" sqref="A{top + 1}"/>'
        '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f'{_cols(widths)}<sheetData>{preamble}<row r="{top}">{header}</row>'.encode()
    )
    if letters:
        for i, block in enumerate(blocks):
            columns = done or [column_cells(block.iloc[:, j], p, convert)[0]
                               for j, p in enumerate(sheet.p_columns)]  # fmt: skip
            out.write(_block_rows(letters, top + 1 + i * BLOCK, columns).encode())
    out.write(
        f'</sheetData><autoFilter ref="A{top}:{last}"/>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/></worksheet>'.encode()
    )


def _cols(widths: list[int]) -> str:
    if not widths:
        return ""
    cols = "".join(
        f'<col min="{j}" max="{j}" width="{min(60, w + 2)}" customWidth="1"/>'
        for j, w in enumerate(widths, 1)
    )
    return f"<cols>{cols}</cols>"


# -- the package ------------------------------------------------------------------------------


#: the time stamp of every zip entry we write: the same bytes from the same inputs
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def entry(name: str, compresslevel: int = 1) -> zipfile.ZipInfo:
    """A deflated zip entry ``name`` stamped :data:`FIXED_TIME` (not the time of writing)."""
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = compresslevel  # read by ZipFile.open and writestr (3.11-3.13)
    info.external_attr = 0o644 << 16
    return info


def fixed_zip(data: bytes) -> bytes:
    """The zip package ``data`` (e.g. a Word file) again, every entry stamped FIXED_TIME.

    >>> import io
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as z:
    ...     z.writestr("a.xml", "<a/>")
    >>> zipfile.ZipFile(io.BytesIO(fixed_zip(buffer.getvalue()))).infolist()[0].date_time
    (1980, 1, 1, 0, 0, 0)
    """
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(entry(info.filename, 6), source.read(info))
    return out.getvalue()


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def write_book(path: Any, sheets: list[Sheet], convert: Callable[[Any], Any], fill: str) -> None:
    """Write ``sheets`` as one .xlsx workbook at ``path`` (deflated fast: level 1)."""
    n = len(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    types = (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>{overrides}</Types>'
    )
    package_rels = (
        f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    book_rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    book_rels = (
        f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{book_rels}<Relationship Id="rId{n + 1}" Type="{_REL}/styles" '
        'Target="styles.xml"/></Relationships>'
    )
    listed = "".join(
        f'<sheet name="{escape(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, 1)
    )
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quote(s.name))}!$A${s.start_row}:"
        f"${column_letter(max(s.frame.shape[1], 1) - 1)}${s.start_row + max(len(s.frame), 1)}"
        "</definedName>"
        for i, s in enumerate(sheets)
    )
    workbook = (
        f'{_DECL}<workbook {_NS} {_NS_R}><bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{listed}</sheets>"
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + "</workbook>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr(entry("[Content_Types].xml"), types)
        book.writestr(entry("_rels/.rels"), package_rels)
        book.writestr(entry("xl/workbook.xml"), workbook)
        book.writestr(entry("xl/_rels/workbook.xml.rels"), book_rels)
        book.writestr(entry("xl/styles.xml"), styles(fill))
        with ThreadPoolExecutor(max_workers=1) as pool:
            for i, sheet in enumerate(sheets, 1):
                part_name = entry(f"xl/worksheets/sheet{i}.xml")
                with book.open(part_name, "w", force_zip64=True) as part:
                    out = _Behind(part, pool)
                    try:
                        write_sheet(out, sheet, convert, first=i == 1)
                    finally:  # the last block is written before the part is closed
                        out.wait()


class _Behind:
    """Writes to ``part`` in a thread, one block behind: deflating a block (zlib lets go of
    the GIL) overlaps making the next one; at most two blocks are held."""

    def __init__(self, part: IO[bytes], pool: ThreadPoolExecutor) -> None:
        self.part, self.pool, self.pending = part, pool, None

    def write(self, data: bytes) -> None:
        self.wait()
        self.pending = self.pool.submit(self.part.write, data)

    def wait(self) -> None:
        if self.pending is not None:
            self.pending.result()
            self.pending = None
