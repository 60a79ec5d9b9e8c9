"""Bounds on what an input file may declare, checked before it is read into memory.

A table of patients or readings has tens of columns and at most millions of rows. A file that
declares far more (a CSV header of 10⁶ columns; an Excel sheet whose cells reach XFD1048576, a
few kB that would unpack to 10¹⁰ cells) is refused with a message saying what was found and
how to fix it, instead of exhausting the memory. A text file that is UTF-8 except for a few
bytes (one cell typed in another encoding) is refused naming the line, rather than read as
Windows-1252 with every non-ASCII character garbled.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from .._validate import DataError

#: the most columns an input table may have
MAX_COLUMNS = 10_000
#: the most cells (rows × columns of the used range) an Excel sheet may have
MAX_CELLS = 30_000_000
#: the most bytes a sheet may unpack to
MAX_SHEET_BYTES = 4 << 30
#: the longest header line of a CSV file, in bytes
MAX_HEADER_BYTES = 4 << 20

_CELL_REF = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,4})([0-9]{1,8})"')
_CELL = re.compile(rb"<c[\s>/]")


def check_header(path: Path, header: str, sep: str, func: str, cut: bool = False) -> None:
    """Refuse a CSV header of more than :data:`MAX_COLUMNS` columns (``cut``: ``header`` is
    the start of a longer line).

    Examples
    --------
    >>> check_header(Path("t.csv"), "a,b,c", ",", "read_table")
    >>> check_header(Path("t.csv"), "," * 10_000, ",", "read_table")
    Traceback (most recent call last):
    ovcfstats._validate.DataError: read_table(): t.csv has 10,001 columns in its header; ...
    """
    n = header.count(sep) + 1
    if n > MAX_COLUMNS:
        raise DataError(
            f"{func}(): {path} has {n:,}{' or more' if cut else ''} columns in its header; a "
            f"table of patients or readings has at most {MAX_COLUMNS:,}. Check the delimiter, "
            "or save the table with one column per variable."
        )


def first_line(path: Path) -> tuple[bytes, bool]:
    """The first line of ``path`` (without its line break), at most :data:`MAX_HEADER_BYTES`,
    and whether it was cut there."""
    with path.open("rb") as handle:
        head = handle.read(MAX_HEADER_BYTES)
    end = min((i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0), default=-1)
    return (head, len(head) == MAX_HEADER_BYTES) if end < 0 else (head[:end], False)


def check_encoding(raw: bytes, path: Path, func: str) -> None:
    """Refuse text that is UTF-8 but for a few bytes, naming the line of the first.

    Pure Windows-1252 text (no valid UTF-8 multi-byte character) passes: it is read as such.

    Examples
    --------
    >>> check_encoding("id\\nJosé\\n".encode("cp1252"), Path("t.csv"), "read_table")
    >>> check_encoding("id\\nJosé\\nRenée\\n".encode() + b"Zo\\xeb\\n", Path("t.csv"), "read_table")
    Traceback (most recent call last):
    ovcfstats._validate.DataError: read_table(): t.csv is UTF-8 text except line 4 ...
    """
    try:
        raw.decode("utf-8")
        return
    except UnicodeDecodeError as err:
        start = err.start
    text = raw.decode("utf-8", errors="replace")
    if not any(ord(c) > 127 and c != "\ufffd" for c in text):
        return  # no UTF-8 character at all: another encoding throughout
    line = raw[:start].count(b"\n") + 1
    raise DataError(
        f"{func}(): {path} is UTF-8 text except line {line} (byte 0x{raw[start]:02X} there "
        "is in another encoding, e.g. Latin-1), so its characters would be garbled. Retype "
        "that line's accented characters, or save the whole file as 'CSV UTF-8'."
    )


def _sheet_part(book: zipfile.ZipFile, sheet: str | int | None) -> str | None:
    """The zip member of ``sheet`` (a name, a 0-based number or None: the first)."""
    import xml.etree.ElementTree as ET

    def small(name: str) -> bytes:
        if book.getinfo(name).file_size > 64 << 20:
            raise DataError(f"{name} of the workbook is larger than any workbook index.")
        return book.read(name)

    try:
        workbook = ET.fromstring(small("xl/workbook.xml"))
        rels = ET.fromstring(small("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return None  # not the usual layout: openpyxl's own error will say so
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    sheets = [(s.get("name"), s.get(rid)) for s in workbook.iter(f"{ns}sheet")]
    chosen = None
    if sheet is None and sheets:
        chosen = sheets[0]
    elif isinstance(sheet, int) and 0 <= sheet < len(sheets):
        chosen = sheets[sheet]
    else:
        chosen = next((s for s in sheets if s[0] == sheet), None)
    if chosen is None:
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    target = targets.get(chosen[1], "").lstrip("/")
    return target if target.startswith("xl/") else f"xl/{target}"


def _column_number(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + c - 64
    return n


def check_excel(path: Path, sheet: str | int | None, func: str) -> None:
    """Refuse a sheet whose used range or unpacked size is beyond the bounds, before reading.

    The cells' references are scanned as the sheet unpacks (in blocks, in bounded memory): the
    used range is the last row and column that hold a cell, whatever the sheet declares.
    """
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # openpyxl's own error will say what the file is
    with book:
        part = _sheet_part(book, sheet)
        if part is None or part not in book.namelist():
            return
        rows = columns = cells = 0
        size, tail = 0, b""
        with book.open(part) as stream:
            while block := stream.read(1 << 22):
                size += len(block)
                if size > MAX_SHEET_BYTES:
                    raise DataError(
                        f"{func}(): {path}: the sheet unpacks to more than "
                        f"{MAX_SHEET_BYTES >> 30} GB. Save the table as CSV or Parquet."
                    )
                data = tail + block
                cut = data.rfind(b"<")  # a cell cut by the block end is read with the next
                data, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
                cells += len(_CELL.findall(data))
                for letters, number in _CELL_REF.findall(data):
                    columns = max(columns, _column_number(letters))
                    rows = max(rows, int(number))
                _check_extent(path, func, rows, columns, cells)


def _check_extent(path: Path, func: str, rows: int, columns: int, cells: int) -> Any:
    if columns > MAX_COLUMNS:
        raise DataError(
            f"{func}(): {path}: the sheet has a cell in column {columns:,}; a table of "
            f"patients or readings has at most {MAX_COLUMNS:,} columns. Delete the cells "
            "right of the table (or copy the table to a new sheet), or save it as CSV."
        )
    if rows * max(columns, 1) > MAX_CELLS or cells > MAX_CELLS:
        raise DataError(
            f"{func}(): {path}: the sheet's cells reach row {rows:,} and column {columns:,}, "
            f"more than the {MAX_CELLS:,} cells read from Excel. Delete the cells beyond the "
            "table, or save a large table as CSV or Parquet (read in bounded memory)."
        )
