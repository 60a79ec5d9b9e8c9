"""Outputs that never lose or leak data: text stays text, nothing runs, files written whole."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import Report
from ovcfstats._results import Result
from ovcfstats.present._format import markdown_text
from ovcfstats.present._safe import inside

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "=HYPERLINK(\"http://evil\")",
    "a\n# forged heading",
    "\\<b>bold</b>",
    "&lt;i&gt;",
]


def _listing() -> Result:
    return Result(table=pd.DataFrame({"patient_id": HOSTILE, "x": range(len(HOSTILE))}))


def test_markdown_carries_no_raw_html_and_titles_forge_no_headings():
    report = Report("Study\n# Forged title\n<script>x</script>", intro="intro\n## forged")
    report.add(_listing(), title="Listing <b>\n## forged section")
    md = report.to_markdown("figures")
    ours = re.sub(r'<a id="[a-z0-9_]+"></a>', "", md)  # the anchors the writer makes
    assert not re.search(r"<[A-Za-z/!?]", ours)
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == [
        "# Study # Forged title &lt;script>x&lt;/script>",
        "## Contents",
        "## Statistical analysis",
        "## Listing &lt;b> ## forged section",
    ]
    assert "[x\\](javascript:" in md and "&amp;lt;i&amp;gt;" in md


def test_markdown_text_undoes_nothing():
    for text in HOSTILE:
        out = markdown_text(text)
        assert "\n" not in out and not re.search(r"<[A-Za-z/!?]", out)
        assert not re.search(r"(?<!\\)(\\\\)*\]\(", out)  # no unescaped ](


def test_html_escapes_the_same_text():
    report = Report("Study <script>x</script>").add(_listing(), title="Listing")
    html = report.to_html()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("key", ["../x", "/abs", "a b", ".hidden", "x" * 61, '"><script>'])
def test_report_keys_cannot_name_paths_or_markup(key):
    with pytest.raises(ValueError, match="letters, digits"):
        Report().add(_listing(), key=key)


# -- report sets written whole, never silently overwritten, the same bytes on every run --------
def _small_report(title: str = "Small") -> Report:
    from ovcfstats import roc_auc

    df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, 2.9, 2.5, 3.0, 2.2]})
    return Report(title).add(roc_auc(df, "vbq"), key="roc")


def _files(folder) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_two_saves_give_the_same_bytes(tmp_path):
    _small_report().save(tmp_path / "a")
    _small_report().save(tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(a) == {"report.html", "report.md", "report.docx", "tables.xlsx",
                      "figures/roc.png", "figures/roc.svg"}  # fmt: skip
    assert a == b


def test_a_failure_mid_save_leaves_the_earlier_report_whole(tmp_path, monkeypatch):
    out = tmp_path / "report"
    _small_report("First").save(out)
    before = _files(out)

    def fail(self, path, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Report, "to_docx", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        _small_report("Second").save(out, force=True)
    assert _files(out) == before  # the earlier report, whole
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no partial folder left
    with pytest.raises(RuntimeError):
        _small_report("Second").save(tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_an_existing_folder_is_refused_or_replaced_whole(tmp_path):
    from ovcfstats import DataError

    out = tmp_path / "report"
    _small_report().save(out)
    (out / "figures" / "stale.png").write_bytes(b"old")
    with pytest.raises(DataError, match=r"is not empty .*force=True"):
        _small_report().save(out)
    _small_report("Again").save(out, force=True)
    assert not (out / "figures" / "stale.png").exists()
    assert "# Again" in (out / "report.md").read_text()
    (out / "data.csv").write_text("patient_id\n1\n")
    with pytest.raises(DataError, match=r"holds files that are not a report \(data.csv\)"):
        _small_report().save(out, force=True)
    assert (out / "data.csv").exists()


def test_cli_refuses_a_full_out_without_force(tmp_path, capsys):
    from ovcfstats.cli import main

    out = tmp_path / "out"
    out.mkdir()
    (out / "report.docx").write_bytes(b"earlier")
    assert main(["reproduce", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(out) in err[0] and "--force" in err[0]
    assert (out / "report.docx").read_bytes() == b"earlier"  # refused before any analysis
    data = tmp_path / "out2"
    data.mkdir()
    (data / "report.md").write_text("x")
    (data / "table.csv").write_text("patient_id,case\n1,1\n")
    assert main(["analyze", str(data / "table.csv"), "--out", str(data), "--force"]) == 2
    assert "not a report (table.csv)" in capsys.readouterr().err
    assert (data / "table.csv").exists()


# -- --deidentify: no original ID, date or free text in any output file ------------------------
def _all_text(folder) -> str:
    """Every output file's text, the parts of a zip package (docx, xlsx) unpacked."""
    import zipfile

    parts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as package:
                parts += [package.read(n).decode("utf-8", "replace") for n in package.namelist()]
        else:
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_deidentify_leaves_no_id_date_or_free_text_in_any_file(tmp_path, capsys):
    from openpyxl import load_workbook

    from ovcfstats import load_sample
    from ovcfstats.cli import main

    patients, measurements = load_sample()
    ids = {old: f"MRN{7_300_000 + 37 * i}X" for i, old in enumerate(patients["patient_id"])}
    patients = patients.assign(
        patient_id=patients["patient_id"].map(ids),
        dob=pd.Timestamp("1931-07-19") + pd.to_timedelta(range(len(patients)), unit="D"),
        notes=[f"Mrs Quux{i} lives at Zebra Lane" for i in range(len(patients))],
    )
    measurements = measurements.assign(patient_id=measurements["patient_id"].map(ids))
    p, m = tmp_path / "patients.csv", tmp_path / "measurements.csv"
    patients.to_csv(p, index=False)
    measurements.to_csv(m, index=False)
    out = tmp_path / "out"
    assert main(["analyze", str(p), str(m), "--deidentify", "--out", str(out)]) == 0
    text = _all_text(out)
    leaked = [i for i in ids.values() if i in text]
    assert not leaked, leaked[:5]
    assert "Quux" not in text and "Zebra Lane" not in text  # the free text
    assert "1931-07" not in text and ">dob<" not in text  # the dates
    assert "De-identified" in (out / "report.md").read_text()
    listing = load_workbook(out / "tables.xlsx")["indicators"]
    codes = [c.value for c in listing["A"][1:]]
    assert codes[:3] == ["P0001", "P0002", "P0003"] and len(set(codes)) == len(ids)
    capsys.readouterr()


def test_deidentified_errors_name_the_original_ids():
    from ovcfstats import DataError, analyze

    data = pd.DataFrame({"patient_id": ["MRN-A", "MRN-B", "MRN-B"], "case": [1, 0, 0],
                         "age": [70, 71, 72], "sex": "F"})  # fmt: skip
    with pytest.raises(DataError, match="MRN-B"):
        analyze(data, deidentify=True)


@settings(max_examples=40, deadline=None)
@given(key=st.text(max_size=70), title=st.text(max_size=40))
def test_property_no_report_file_outside_its_folder(tmp_path_factory, key, title):
    out = tmp_path_factory.mktemp("prop") / "report"
    report = Report(title)
    try:
        report.add(_listing(), title=title or None, key=key or None)
    except ValueError:
        return
    report.add(_listing(), title=title or None)  # a second, de-duplicated key
    paths = report.save(out)
    assert all(inside(p, out) for p in paths.values())
    assert all(inside(p, out) for p in out.parent.rglob("*"))
    assert [p.name for p in out.parent.iterdir()] == ["report"]


# -- bounds and clear errors -------------------------------------------------------------------
@pytest.mark.parametrize("where", [5, -3])
def test_a_ragged_measurements_csv_is_one_line_naming_the_line(tmp_path, capsys, where):
    pytest.importorskip("duckdb")
    from ovcfstats import load_sample
    from ovcfstats.cli import main

    patients, measurements = load_sample()
    lines = measurements.to_csv(index=False).splitlines()
    lines[where] += ",stray"
    p, m = tmp_path / "p.csv", tmp_path / "m.csv"
    patients.to_csv(p, index=False)
    m.write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(p), str(m), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    line = len(lines) + where + 1 if where < 0 else where + 1
    assert err[-1] == (
        f"ovcfstats: error: {m}: line {line} has 9 fields where the header has 8. Remove the "
        "stray comma or quote the text in that line, or export the table again."
    )
    assert not (tmp_path / "o").exists() and "Traceback" not in "\n".join(err)
