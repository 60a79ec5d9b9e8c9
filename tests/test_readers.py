"""read_table(): every file format researchers export, IDs as text, clear refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import DataError
from ovcfstats.data.readers import read_table

FRAME = pd.DataFrame(
    {
        "patient_id": ["007", "7", "A12"],
        "case": [1, 0, 0],
        "age": [71, 68, 80],
        "sex": ["F", "M", "F"],
        "bmi": [21.5, np.nan, 24.25],
    }
)


def _same(frame: pd.DataFrame) -> None:
    assert frame["patient_id"].tolist() == ["007", "7", "A12"]
    assert frame["case"].tolist() == [1, 0, 0]
    assert frame["sex"].tolist() == ["F", "M", "F"]
    np.testing.assert_allclose(frame["age"].astype(float), [71, 68, 80])
    np.testing.assert_allclose(frame["bmi"].astype(float), [21.5, np.nan, 24.25])


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_csv_delimiters_sniffed(tmp_path, sep):
    path = tmp_path / "p.csv"
    FRAME.to_csv(path, sep=sep, index=False)
    _same(read_table(path))


def test_semicolon_decimal_comma_and_na_codes(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "patient_id;case;age;sex;bmi\n007;1;71;F;21,5\n7;0;68;M;#N/A\nA12;0;80;F;24,25\n",
        encoding="cp1252",
    )
    _same(read_table(path))


def test_utf8_bom_and_windows_text(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeffpatient_id,case,age,sex,bmi,site\n007,1,71,F,21.5,Zürich\n".encode())
    assert read_table(path).columns[0] == "patient_id"
    path.write_bytes("patient_id,case,site\n007,1,Zürich\n".encode("cp1252"))
    assert read_table(path).loc[0, "site"] == "Zürich"


def test_excel_sheets(tmp_path):
    path = tmp_path / "p.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"note": ["cover"]}).to_excel(xl, sheet_name="About", index=False)
        FRAME.to_excel(xl, sheet_name="Indicators", index=False)
    _same(read_table(path, sheet="Indicators"))
    _same(read_table(path, sheet=1))
    assert read_table(path).columns.tolist() == ["note"]
    with pytest.raises(DataError, match="no sheet 'Data'; its sheets are 'About', 'Indicators'"):
        read_table(path, sheet="Data")
    with pytest.raises(DataError, match="no sheet number 5"):
        read_table(path, sheet=5)


def test_excel_numeric_ids_become_text(tmp_path):
    path = tmp_path / "p.xlsx"
    FRAME.assign(patient_id=[1, 2, 3]).to_excel(path, index=False)
    assert read_table(path)["patient_id"].tolist() == ["1", "2", "3"]


def test_spss_value_labels(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat", reason="the [files] extra is not installed")
    path = tmp_path / "p.sav"
    coded = FRAME.assign(sex=[1.0, 2.0, 1.0], case=[1.0, 0.0, 0.0])
    pyreadstat.write_sav(
        coded,
        str(path),
        variable_value_labels={"sex": {1.0: "F", 2.0: "M"}, "case": {1.0: "OVCF", 0.0: "control"}},
    )
    frame = read_table(path)
    _same(frame)


def test_spss_numeric_ids(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat", reason="the [files] extra is not installed")
    path = tmp_path / "p.sav"
    pyreadstat.write_sav(pd.DataFrame({"patient_id": [7.0, 12.0], "case": [1.0, 0.0]}), str(path))
    assert read_table(path)["patient_id"].tolist() == ["7", "12"]


def test_stata_value_labels(tmp_path):
    # `case` is a reserved word in Stata: the outcome column needs another name there
    path = tmp_path / "p.dta"
    coded = FRAME.rename(columns={"case": "ovcf"}).assign(sex=[1, 2, 1])
    coded.to_stata(path, write_index=False, value_labels={"sex": {1: "F", 2: "M"}})
    frame = read_table(path).rename(columns={"ovcf": "case"})
    _same(frame)


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow", reason="the [files] extra is not installed")
    path = tmp_path / "p.parquet"
    FRAME.to_parquet(path)
    _same(read_table(path))


def test_directory_missing_unknown(tmp_path):
    with pytest.raises(DataError, match="is a directory, not a table"):
        read_table(tmp_path)
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    odd = tmp_path / "p.numbers"
    odd.write_text("x")
    with pytest.raises(DataError, match=r"unknown extension '\.numbers'. Supported: .csv"):
        read_table(odd)


def test_utf16_is_named(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(FRAME.to_csv(sep="\t", index=False).encode("utf-16"))
    with pytest.raises(DataError, match=r"UTF-16 text file.*Save it as 'CSV UTF-8"):
        read_table(path)


def test_xlsx_named_csv(tmp_path):
    path = tmp_path / "p.csv"
    FRAME.to_excel(path.with_suffix(".xlsx"), index=False)
    path.write_bytes(path.with_suffix(".xlsx").read_bytes())
    with pytest.raises(DataError, match=r"named '\.csv' but is an Excel workbook.*p\.xlsx"):
        read_table(path)


def test_old_xls_and_sheet_on_csv(tmp_path):
    path = tmp_path / "p.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(DataError, match=r"Excel 97–2003 workbook.*save it as \.xlsx"):
        read_table(path)
    csv = tmp_path / "p.csv"
    FRAME.to_csv(csv, index=False)
    with pytest.raises(DataError, match="sheet can be chosen only"):
        read_table(csv, sheet="x")


def test_empty_and_ragged(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_table(path)
    path.write_text("patient_id,case\n")
    with pytest.raises(DataError, match="header but no rows"):
        read_table(path)
    path.write_text("patient_id,case\n1,0\n2,1,5,6\n")
    with pytest.raises(DataError, match="not a regular comma-delimited table"):
        read_table(path)


@settings(max_examples=25, deadline=None)
@given(
    ids=st.lists(
        st.text(alphabet="0123456789AB", min_size=1, max_size=5), min_size=1, max_size=6,
        unique=True,
    ),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_ids_round_trip_as_text(tmp_path_factory, ids, sep):
    path = tmp_path_factory.mktemp("ids") / "p.csv"
    pd.DataFrame({"patient_id": ids, "case": [i % 2 for i in range(len(ids))]}).to_csv(
        path, sep=sep, index=False
    )
    assert read_table(path)["patient_id"].tolist() == ids
