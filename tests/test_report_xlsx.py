"""The streaming Excel writer: the same cells as the value-by-value conversion, read back by
openpyxl; long sheets in blocks; tables past Excel's row limit; escaping."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ovcfstats import Report
from ovcfstats._results import Result
from ovcfstats.report import _ooxml, xlsx
from ovcfstats.report._ooxml import Sheet, column_cells, column_width, write_book
from ovcfstats.report.xlsx import HEADER_FILL, _cell


def _reference(column: pd.Series, p: bool) -> tuple[list[str], int]:
    """Value by value through ``_cell``: what the writer did before, cell by cell."""
    values = [_cell(v) for v in column.tolist()]
    xml = [_ooxml._value_xml(v, p) for v in values]
    return xml, max(map(_ooxml._value_width, values), default=0)


TEXT = st.one_of(
    st.none(),
    st.sampled_from(["", "L3", "-0.5", "1e5", "007", "1e400", "<0.001", "a & b", " x", "nan"]),
    st.text(max_size=6),
)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 1e-300]))


def _columns() -> st.SearchStrategy[pd.Series]:
    n = st.integers(0, 12)
    return n.flatmap(
        lambda k: st.one_of(
            st.lists(FLOATS, min_size=k, max_size=k).map(lambda v: pd.Series(v, dtype=float)),
            st.lists(st.integers(-(10**12), 10**12), min_size=k, max_size=k).map(pd.Series),
            st.lists(st.one_of(st.none(), st.integers(-99, 99)), min_size=k, max_size=k).map(
                lambda v: pd.Series(v, dtype="Int64")
            ),
            st.lists(st.booleans(), min_size=k, max_size=k).map(pd.Series),
            st.lists(TEXT, min_size=k, max_size=k).map(lambda v: pd.Series(v, dtype=object)),
            st.lists(TEXT, min_size=k, max_size=k).map(lambda v: pd.Series(v, dtype="string")),
            st.lists(
                st.one_of(TEXT, FLOATS, st.integers(-5, 5), st.booleans()), min_size=k, max_size=k
            ).map(lambda v: pd.Series(v, dtype=object)),
        )
    )


@settings(max_examples=300, deadline=None)
@given(column=_columns(), p=st.booleans())
@example(column=pd.Series([-np.inf, np.nan]), p=True)  # a width from "-inf" alone
@example(column=pd.Series([np.inf]), p=False)
@example(column=pd.Series([True, None], dtype="boolean"), p=False)
def test_a_column_converted_at_once_equals_value_by_value(column, p):
    xml, width = column_cells(column, p, _cell)
    assert (xml, width) == _reference(column, p)
    assert column_width(column, _cell) == width


def _book(tmp_path, frame: pd.DataFrame, p_columns=None, **sheet):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "t.xlsx"
    p_columns = p_columns or [xlsx._is_p(str(c)) for c in frame.columns]
    write_book(path, [Sheet("data", frame, p_columns, **sheet)], _cell, HEADER_FILL)
    return load_workbook(path)["data"]


FRAME = pd.DataFrame(
    {
        "id": ["P1", "P2", "P3", None],
        "x": [1 / 3, np.nan, np.inf, -np.inf],
        "p": [0.04, 1e-12, 0.0, 0.001],
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
        "flag": [True, False, True, False],
        "printed": ["72.21", "<0.001", "", "a < b & c"],
        "when": pd.to_datetime(["2024-01-02", None, "2024-03-04", "2024-05-06"]),
    }
)


def test_cells_read_back_with_their_types_and_formats(tmp_path):
    sheet = _book(tmp_path, FRAME)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(FRAME.columns)
    assert rows[1][:6] == ("P1", 1 / 3, 0.04, 1, True, "72.21")  # exact: repr round-trips
    assert rows[2][:6] == ("P2", None, 1e-12, None, False, "<0.001")
    assert rows[3][1:6] == ("inf", 0.0, 3, True, None)
    assert rows[4][:2] == (None, "-inf") and rows[4][5] == "a < b & c"
    assert rows[1][6] == "2024-01-02 00:00:00" and rows[2][6] == "NaT"
    assert isinstance(rows[3][2], float) and isinstance(rows[1][3], int)
    formats = [sheet.cell(row=r, column=3).number_format for r in (2, 3, 4, 5)]
    assert formats == ["0.000", "0.00E+00", "0.00E+00", "0.000"]  # scientific below 0.001
    assert sheet.cell(row=2, column=2).number_format == "General"
    header = sheet["A1"]
    assert header.font.b and header.fill.fgColor.rgb.endswith(HEADER_FILL)
    assert header.border.bottom.style == "thin" and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G5"
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDEFG"}
    # the longest shown value (12 for a number) or the header, plus 2
    assert widths == {"A": 4, "B": 14, "C": 14, "D": 3, "E": 7, "F": 11, "G": 21}


def test_a_long_sheet_in_blocks_is_the_sheet_in_one_block(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "patient_id": [f"R{i:05d}" for i in range(50)],
            "sex": rng.choice(["F", "M", None], 50),
            "hu": np.where(rng.random(50) < 0.2, np.nan, rng.normal(100, 30, 50)),
            "n": rng.integers(0, 10 ** rng.integers(1, 6), 50),
            "p_value": rng.random(50) ** 8,
        }
    )
    one = _book(tmp_path / "a", frame)  # one block: the widths from its cells
    monkeypatch.setattr(_ooxml, "BLOCK", 7)
    blocks = _book(tmp_path / "b", frame)  # 8 blocks: the widths from the whole columns first
    rows = list(blocks.iter_rows(values_only=True))
    assert rows == list(one.iter_rows(values_only=True))
    assert len(rows) == 51 and rows[-1][0] == "R00049"
    widths = [blocks.column_dimensions[c].width for c in "ABCDE"]
    assert widths == [one.column_dimensions[c].width for c in "ABCDE"]
    assert widths[:3] == [12, 5, 14]


def test_preamble_rows_and_escaped_names(tmp_path):
    frame = pd.DataFrame({"a&b": ["x\x07y", "  z"]})
    sheet = _book(tmp_path, frame, preamble=("Title <1>", "", ""))
    assert sheet["A1"].value == "Title <1>" and sheet["A2"].value is None
    assert sheet["A4"].value == "a&b" and sheet["A5"].value == "xy" and sheet["A6"].value == "  z"
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == "A4:A6"


def test_sheet_names_with_quotes_and_empty_tables(tmp_path):
    path = tmp_path / "t.xlsx"
    sheets = [
        Sheet("it's", pd.DataFrame({"a": [1]}), [False]),
        Sheet("empty", pd.DataFrame({"a": [], "p": []}), [False, True]),
        Sheet("no columns", pd.DataFrame(index=range(3)), []),
    ]
    write_book(path, sheets, _cell, HEADER_FILL)
    book = load_workbook(path)
    assert book.sheetnames == ["it's", "empty", "no columns"]
    assert book["it's"]["A2"].value == 1 and book["empty"].max_row == 1
    assert book["empty"].auto_filter.ref == "A1:B2"


def test_past_excels_row_limit_the_table_goes_to_a_csv_too(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 10)
    frame = pd.DataFrame({"patient_id": [f"P{i}" for i in range(25)], "x": np.arange(25.0)})
    report = Report("Registry").add(Result(table=frame), key="listing")
    path = report.to_excel(tmp_path / "tables.xlsx")
    book = load_workbook(path)
    assert book["listing"].max_row == 10  # the header and the first 9 rows
    readme = {r[0]: r for r in book["README"].iter_rows(min_row=5, values_only=True)}
    _, _, contents, rows = readme["listing"]
    assert rows == 25 and "the first 9 of 25 here" in contents
    assert "every row in tables_listing.csv beside this workbook" in contents
    csv = pd.read_csv(tmp_path / "tables_listing.csv")
    pd.testing.assert_frame_equal(csv, frame)


def test_the_report_workbook_at_the_row_limit_has_no_csv(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 26)
    frame = pd.DataFrame({"x": np.arange(25.0)})
    Report().add(Result(table=frame), key="listing").to_excel(tmp_path / "tables.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["tables.xlsx"]
    assert load_workbook(tmp_path / "tables.xlsx")["listing"].max_row == 26


@pytest.mark.parametrize("value", [0.1, 1e-310, 2.0**60, -123.456e200, math.pi])
def test_floats_round_trip_exactly(tmp_path, value):
    sheet = _book(tmp_path, pd.DataFrame({"x": [value]}))
    assert sheet["A2"].value == value


def test_text_ids_stay_text_and_formula_like_text_is_never_a_formula(tmp_path):
    ids = ["123456789012345678", "0012", "12", "007", "=HYPERLINK(\"http://x\")", "+1", "@a"]
    frame = pd.DataFrame({"patient_id": ids, "x": [-1.0, 2, 3, 4, 5, 6, 7], "label": "-0.5"})
    Report().add(Result(table=frame), key="listing").to_excel(tmp_path / "tables.xlsx")
    sheet = load_workbook(tmp_path / "tables.xlsx")["listing"]
    cells = [sheet.cell(row=r, column=1) for r in range(2, 9)]
    assert [c.value for c in cells] == ids and all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [False] * 4 + [True] * 3  # typed-in text in Excel
    assert sheet["B2"].value == -1.0  # a negative number stays a number
    assert sheet["C2"].value == "-0.5" and not sheet["C2"].quotePrefix  # text, not a formula
    import zipfile

    with zipfile.ZipFile(tmp_path / "tables.xlsx") as book:
        assert "<f>" not in book.read("xl/worksheets/sheet2.xml").decode()


def test_the_overflow_csv_writes_formula_like_text_quoted(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    frame = pd.DataFrame({"patient_id": ["=1+1", "007", "-3"], "x": [-1.0, 2.0, 3.0]})
    Report().add(Result(table=frame), key="listing").to_excel(tmp_path / "tables.xlsx")
    csv = pd.read_csv(tmp_path / "tables_listing.csv", dtype={"patient_id": str})
    assert csv["patient_id"].tolist() == ["'=1+1", "007", "-3"]
    assert csv["x"].tolist() == [-1.0, 2.0, 3.0]
