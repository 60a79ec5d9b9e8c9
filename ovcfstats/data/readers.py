"""Read a study table as researchers have it: CSV, Excel, SPSS, Stata or Parquet.

:func:`read_table` picks the reader from the file's extension and checks the file's first bytes,
so that a workbook saved under a ``.csv`` name, a UTF-16 text file or a directory gets a message
saying what it is and what to do instead of a parser traceback. Identifier columns (``id``,
``*_id``, ``set``) are read as text everywhere: ``007`` stays ``007`` and is another patient
than ``7``.

SPSS ``.sav`` needs ``pyreadstat`` and Parquet needs ``pyarrow`` (``pip install
ovcfstats[files]``); Excel needs ``openpyxl`` (``ovcfstats[export]``). They are imported only
when such a file is read.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validate import DataError

FUNC = "read_table"
#: extension -> format name
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
    ".parquet": "parquet",
    ".pq": "parquet",
}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
#: codes kept as numbers although the file labels them (e.g. SPSS ``1 = "OVCF"``)
KEEP_CODES = ("case",)
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+\s*$|^\s*[+-]?\d+\s*$")


def is_id_column(name: Any) -> bool:
    """Whether a column holds identifiers (read as text): ``id``, ``*_id``, ``set``, ``pair``.

    Examples
    --------
    >>> from ovcfstats.data.readers import is_id_column
    >>> [is_id_column(c) for c in ("patient_id", "ID", "set_id", "age")]
    [True, True, True, False]
    """
    name = str(name).strip().lower()
    return name in ("id", "set", "pair") or name.endswith(("_id", " id"))


def _sniff_kind(path: Path) -> str | None:
    """What the first bytes say the file is, whatever its name."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) >= 4 and head[1:4:2] == b"\0\0"):
        return "utf16"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"$FL2", b"$FL3")):
        return "spss"
    if head.startswith(b"<stata_dta>") or head[:1] in (b"\x72", b"\x73", b"\x71"):
        return "stata" if head[1:2] in (b"\x01", b"\x02") or head.startswith(b"<") else None
    return None


_WHAT = {
    "utf16": "a UTF-16 text file (Excel's 'Unicode Text')",
    "excel": "an Excel workbook (.xlsx)",
    "xls": "an old Excel 97–2003 workbook (.xls)",
    "parquet": "a Parquet file",
    "spss": "an SPSS data file (.sav)",
    "stata": "a Stata data file (.dta)",
}


def _check_path(path: Path, fmt: str | None) -> str:
    if path.is_dir():
        raise DataError(
            f"{FUNC}(): {path} is a directory, not a table. Give the file itself, e.g. "
            f"{path / 'patients.csv'}."
        )
    if not path.is_file():
        raise DataError(f"{FUNC}(): file not found: {path}. Check the path and the spelling.")
    kind = _sniff_kind(path)
    if kind == "utf16":
        raise DataError(
            f"{FUNC}(): {path} is {_WHAT[kind]}. Save it as 'CSV UTF-8 (comma delimited)' or as "
            ".xlsx and read that file."
        )
    if kind == "xls":
        raise DataError(
            f"{FUNC}(): {path} is {_WHAT[kind]}, which is not supported. Open it in Excel or "
            "LibreOffice and save it as .xlsx (or CSV)."
        )
    if fmt is None:
        if kind is not None and kind != "utf16":
            return kind
        raise DataError(
            f"{FUNC}(): {path} has the unknown extension {path.suffix!r}. Supported: "
            f"{', '.join(sorted(FORMATS))}; rename the file or save it in one of these formats."
        )
    if kind is not None and kind != fmt:
        right = {"excel": ".xlsx", "parquet": ".parquet", "spss": ".sav", "stata": ".dta"}[kind]
        raise DataError(
            f"{FUNC}(): {path} is named {path.suffix!r} but is {_WHAT[kind]}. Rename it to "
            f"{path.with_suffix(right).name}, or save it again as {path.suffix}."
        )
    return fmt


def _optional(module: str, extra: str, what: str) -> Any:
    from importlib import import_module

    try:
        return import_module(module)
    except ImportError as err:
        raise DataError(
            f"{FUNC}(): reading {what} needs the package '{module}': "
            f"pip install 'ovcfstats[{extra}]'."
        ) from err


# -- readers -----------------------------------------------------------------------------------
def _decode(path: Path) -> tuple[str, str]:
    from ._bounds import check_encoding, check_header, first_line

    head, cut = first_line(path)  # a header of 10⁶ columns is refused before the file is read
    check_header(path, head.decode("utf-8", "replace"), _widest(head), FUNC, cut)
    raw = path.read_bytes()
    check_encoding(raw, path, FUNC)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise DataError(
        f"{FUNC}(): {path} is neither UTF-8 nor Windows-1252 text. Save it as 'CSV UTF-8'."
    )


def _widest(header: bytes) -> str:
    """The delimiter the header holds most of (for its column count)."""
    return max(DELIMITERS, key=lambda d: header.count(d.encode()))


def _delimiter(path: Path, text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if not lines:
        raise DataError(f"{FUNC}(): {path} is empty. Export the table again with its header row.")
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best] == 0:
            raise DataError(
                f"{FUNC}(): {path}: cannot tell the delimiter — the header has no comma, semicolon "
                "or tab. Save the table as CSV with one of these delimiters."
            ) from None
        return best


def _decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """Semicolon files from European Excel write ``1,5`` for 1.5: convert such text columns."""
    for col in frame.columns:
        s = frame[col]
        if is_id_column(col) or not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        values = s.dropna().astype(str)
        commas = values.str.contains(",").any()
        if len(values) and commas and values.str.match(_DECIMAL_COMMA).all():
            frame[col] = pd.to_numeric(s.str.replace(",", ".", regex=False))
    return frame


def _read_csv(path: Path, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    import io

    text, _ = _decode(path)
    sep = _delimiter(path, text)
    header = pd.read_csv(io.StringIO(text), sep=sep, nrows=0).columns
    dtype = {c: str for c in header if is_id_column(c) or c in text_columns}
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=dtype, na_values=["#N/A", "NA", "N/A", "."]
        )
    except pd.errors.ParserError as err:
        raise DataError(
            f"{FUNC}(): {path} is not a regular {DELIMITERS[sep]}-delimited table "
            f"({' '.join(str(err).split())}). Check for stray delimiters or unquoted text."
        ) from err
    if len(frame.columns) == 1 and any(d in str(frame.columns[0]) for d in DELIMITERS):
        raise DataError(
            f"{FUNC}(): {path} was read as one column ({frame.columns[0]!r}); cannot tell the "
            "delimiter. Save it as CSV with comma, semicolon or tab between the columns."
        )
    return _decimal_commas(frame) if sep == ";" else frame


def _read_excel(
    path: Path, sheet: str | int | None, text_columns: tuple[str, ...] = ()
) -> pd.DataFrame:
    _optional("openpyxl", "export", "Excel workbooks")
    from ._bounds import check_excel

    check_excel(path, sheet, FUNC)  # the used range, before a cell is read
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # openpyxl raises many types on a damaged workbook
        raise DataError(
            f"{FUNC}(): {path} cannot be opened as an Excel workbook ({err}). Save it again "
            "from Excel as .xlsx."
        ) from err
    with book:
        names = book.sheet_names
        if sheet is None:
            sheet = names[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raise DataError(
                    f"{FUNC}(): {path} has {len(names)} sheet(s) ({', '.join(names)}); there is "
                    f"no sheet number {sheet} (the first is 0)."
                )
            sheet = names[sheet]
        elif sheet not in names:
            raise DataError(
                f"{FUNC}(): {path} has no sheet {sheet!r}; its sheets are "
                f"{', '.join(repr(n) for n in names)}. Choose one with --sheet / sheet=."
            )
        header = pd.read_excel(book, sheet_name=sheet, nrows=0).columns
        dtype = {c: str for c in header if is_id_column(c) or c in text_columns}
        return pd.read_excel(book, sheet_name=sheet, dtype=dtype, na_values=["#N/A", "NA", "N/A"])


def _read_spss(path: Path) -> pd.DataFrame:
    pyreadstat = _optional("pyreadstat", "files", "SPSS files")
    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as err:  # pyreadstat raises its own ReadstatError
        raise DataError(f"{FUNC}(): {path} is not a readable SPSS file ({err}).") from err
    for col, labels_name in meta.variable_to_label.items():
        if col in KEEP_CODES or is_id_column(col):
            continue
        labels = meta.value_labels.get(labels_name, {})
        frame[col] = frame[col].map(lambda v, lab=labels: lab.get(v, v))
    return frame


def _read_stata(path: Path) -> pd.DataFrame:
    try:
        labelled = pd.read_stata(path, convert_categoricals=True)
        codes = pd.read_stata(path, convert_categoricals=False)
    except (ValueError, OSError) as err:
        raise DataError(f"{FUNC}(): {path} is not a readable Stata file ({err}).") from err
    for col in labelled.columns:
        if col in KEEP_CODES or is_id_column(col):
            labelled[col] = codes[col]
        elif isinstance(labelled[col].dtype, pd.CategoricalDtype):
            labelled[col] = labelled[col].astype(object)
    return labelled


def _read_parquet(path: Path) -> pd.DataFrame:
    _optional("pyarrow", "files", "Parquet files")
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except Exception as err:  # pyarrow raises ArrowInvalid and others
        raise DataError(f"{FUNC}(): {path} is not a readable Parquet file ({err}).") from err


def _id_text(value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _ids_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Identifier columns as text; whole numbers without a trailing ``.0``; blanks missing."""
    for col in frame.columns:
        if is_id_column(col):
            # each distinct id converted once: files repeat an id on many rows
            codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
            texts = np.array([*(_id_text(u) for u in uniques), None], dtype=object)
            frame[col] = texts[codes]
    return frame


def read_table(
    path: str | Path, *, sheet: str | int | None = None, text: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read one table from CSV, Excel ``.xlsx``, SPSS ``.sav``, Stata ``.dta`` or Parquet.

    Parameters
    ----------
    path : str or Path
        The file. The format follows the extension (``.csv``/``.tsv``/``.txt``, ``.xlsx``,
        ``.sav``, ``.dta``, ``.parquet``) and is checked against the file's first bytes.
    sheet : str or int, optional
        Excel only: the sheet's name or 0-based number (default: the first sheet).
    text : tuple of str, optional
        More columns to read as text (CSV and Excel), e.g. printed numbers whose trailing
        zeros matter.

    Returns
    -------
    pandas.DataFrame
        Identifier columns (``id``, ``*_id``, ``set``, ``pair``) as text. CSV: the delimiter
        (comma, semicolon or tab) is detected; ``NA``, ``#N/A`` and blanks are missing; with
        semicolons, decimal commas (``1,5``) are read as numbers. SPSS and Stata: value labels
        are applied (``1 = "F"`` gives ``F``), except on ``case`` and identifier columns, which
        keep their codes.

    Raises
    ------
    DataError
        For a directory, a missing file, an unknown or mislabelled format, a UTF-16 text file or
        a file the reader cannot parse — saying what the file is and what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ovcfstats.data.readers import read_table
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "patients.csv"
    >>> _ = path.write_text("patient_id;case;bmi\\n007;1;21,5\\n7;0;23\\n")
    >>> read_table(path).values.tolist()
    [['007', 1, 21.5], ['7', 0, 23.0]]
    """
    path = Path(path)
    fmt = _check_path(path, FORMATS.get(path.suffix.lower()))
    if sheet is not None and fmt != "excel":
        raise DataError(f"{FUNC}(): {path}: a sheet can be chosen only in an Excel workbook.")
    reader = {
        "csv": lambda p: _read_csv(p, tuple(text)),
        "excel": lambda p: _read_excel(p, sheet, tuple(text)),
        "spss": _read_spss,
        "stata": _read_stata,
        "parquet": _read_parquet,
    }[fmt]
    frame = reader(path)
    if len(frame) == 0:
        raise DataError(f"{FUNC}(): {path} has a header but no rows.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return _ids_as_text(frame)
