"""The report's files as a reader gets them: Word pages, Excel sheets, HTML at 1280 px."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Emu
from openpyxl import load_workbook

from ovcfstats import Report, reproduce
from ovcfstats.present._format import is_numeric_cell
from ovcfstats.report.docx import NBSP, PADDING_IN, PAGE, unbreakable

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LIBERATION = Path("/usr/share/fonts/truetype/liberation")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report() -> Report:
    return reproduce()


@pytest.fixture(scope="module")
def saved(report, tmp_path_factory) -> dict[str, Path]:
    return report.save(tmp_path_factory.mktemp("output"))


# -- Word ---------------------------------------------------------------------------------------
def _tables_with_sections(doc):
    """(table element, section) in document order: a sectPr in a paragraph ends a section."""
    out, pending, index = [], [], 0
    sections = list(doc.sections)
    for child in doc.element.body.iterchildren():
        if child.tag == f"{W}tbl":
            pending.append(child)
        elif child.tag == f"{W}p" and child.find(f"{W}pPr/{W}sectPr") is not None:
            out += [(t, sections[index]) for t in pending]
            pending, index = [], index + 1
    out += [(t, sections[index]) for t in pending]
    return out


def _text_width_twips(section) -> int:
    return round(Emu(section.page_width - section.left_margin - section.right_margin).twips)


def test_docx_pages_are_a4_with_landscape_for_wide_tables(saved):
    doc = Document(str(saved["docx"]))
    sizes = {(round(s.page_width.inches, 2), round(s.page_height.inches, 2)) for s in doc.sections}
    assert sizes == {PAGE, PAGE[::-1]}
    first = doc.sections[0]
    assert first.page_width < first.page_height and first.orientation == 0
    landscape = [s for s in doc.sections if s.orientation == 1]
    assert landscape and all(s.page_width > s.page_height for s in landscape)
    wide = [
        t for t, s in _tables_with_sections(doc) if s.orientation == 1
    ]  # the audit and replication tables, with their long notes
    assert len(wide) >= 2


def test_docx_column_widths_fill_the_text_width(saved):
    doc = Document(str(saved["docx"]))
    for tbl, section in _tables_with_sections(doc):
        grid = [int(c.get(f"{W}w")) for c in tbl.iter(f"{W}gridCol")]
        assert abs(sum(grid) - _text_width_twips(section)) <= len(grid), grid
        first = tbl.find(f"{W}tr")
        cells = [int(tc.find(f"{W}tcPr/{W}tcW").get(f"{W}w")) for tc in first.iter(f"{W}tc")]
        assert [abs(a - b) <= 1 for a, b in zip(cells, grid, strict=True)]


@pytest.mark.skipif(
    not (LIBERATION / "LiberationSans-Regular.ttf").exists(),
    reason="Liberation Sans (Arial's metrics) is not installed to measure the text",
)
def test_docx_no_cell_narrower_than_its_longest_unbreakable_token(saved):
    """Measured with the real glyph widths of Arial's metric twin, not the writer's estimate."""
    from PIL import ImageFont

    regular = ImageFont.truetype(str(LIBERATION / "LiberationSans-Regular.ttf"), 1000)
    bold = ImageFont.truetype(str(LIBERATION / "LiberationSans-Bold.ttf"), 1000)
    doc = Document(str(saved["docx"]))
    checked = 0
    for table in doc.tables:
        grid = [int(c.get(f"{W}w")) / 1440 for c in table._tbl.iter(f"{W}gridCol")]
        for i, row in enumerate(table.rows):
            font = bold if i == 0 else regular
            for width, cell in zip(grid, row.cells, strict=True):
                text = cell.text
                size = cell.paragraphs[0].runs[0].font.size.pt if text else 8
                # Word breaks lines at spaces and after hyphens only
                tokens = re.split(r"(?<=-) | ", text.replace("-", "- ")) if text else [""]
                longest = max(font.getlength(t) for t in tokens) / 1000 * size / 72
                assert longest + PADDING_IN <= width + 1e-6, (text, width)
                checked += 1
    assert checked > 300


def test_docx_numbers_never_break(saved):
    doc = Document(str(saved["docx"]))
    numbers = 0
    for table in doc.tables:
        for row in table.rows[1:]:
            for cell in row.cells:
                text = cell.text.replace(NBSP, " ").replace("\u2011", "-")
                if is_numeric_cell(text):
                    numbers += 1
                    assert " " not in cell.text and "-" not in cell.text, cell.text
                    assert cell._tc.find(f"{W}tcPr/{W}noWrap") is not None
    assert numbers > 200
    assert unbreakable("0.34 (0.22–0.52)") == f"0.34{NBSP}(0.22–0.52)"


def test_docx_leaves_the_appendix_to_excel(saved):
    doc = Document(str(saved["docx"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "tables.xlsx" in text and "all ICC forms" in text
    assert all(len(t.rows) < 60 for t in doc.tables)  # no per-patient listing
    first_row_texts = [t.rows[1].cells[0].text for t in doc.tables]
    assert not any(t.startswith("OVCF0") for t in first_row_texts)


def test_docx_figures_at_300_dpi(saved):
    from io import BytesIO

    from PIL import Image

    doc = Document(str(saved["docx"]))
    images = [r for r in doc.part.rels.values() if "image" in r.reltype]
    assert len(images) == 7  # Bland–Altman (inter, intra), Love, forest, heatmap, ROC, AROC
    for rel in images:
        with Image.open(BytesIO(rel.target_part.blob)) as image:
            assert round(image.info["dpi"][0]) == 300


def test_docx_dense_rows_and_figures_at_most_three_quarters_drawn(saved):
    """What keeps the sample report on 12 pages: single-spaced table rows and pictures (the
    default 1.15 lines make each 15% taller) and figures printed at most at 3/4 of their size
    (their 10-pt labels at 7.5 pt)."""
    from io import BytesIO

    from PIL import Image

    doc = Document(str(saved["docx"]))
    cells = [p for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    pictures = [p for p in doc.paragraphs if p._p.find(f".//{W}drawing") is not None]
    assert len(cells) > 300 and len(pictures) == 7
    assert all(p.paragraph_format.line_spacing == 1.0 for p in cells + pictures)
    for shape in doc.inline_shapes:
        blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed]
        with Image.open(BytesIO(blob.blob)) as image:
            drawn = image.size[0] / image.info["dpi"][0]
        assert 0.3 * drawn < shape.width.inches <= 0.75 * drawn + 1e-3, drawn


def test_docx_figure_fits_a_page_with_its_legend_after_the_notes(saved):
    from ovcfstats.report.docx import LEGEND_IN, MARGIN

    doc = Document(str(saved["docx"]))
    body = list(doc.element.body.iterchildren())
    sections, at = list(doc.sections), 0
    pictures = 0
    for i, child in enumerate(body):
        if child.tag == f"{W}p" and child.find(f"{W}pPr/{W}sectPr") is not None:
            at += 1
        drawing = child.find(f".//{W}drawing")
        if drawing is None:
            continue
        pictures += 1
        section = sections[at]
        extent = drawing.find(
            ".//{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
        )
        height = Emu(int(extent.get("cy"))).inches
        assert height <= section.page_height.inches - 2 * MARGIN - LEGEND_IN + 1e-6
        before = "".join(body[i - 1].itertext())  # the notes precede the figure
        legend = "".join(body[i + 1].itertext())
        assert not before.startswith(("Figure", "Settings:"))
        assert legend.startswith("Figure")
    assert pictures == 7


# -- Excel --------------------------------------------------------------------------------------
def test_excel_sheets_styled_frozen_filtered(saved):
    book = load_workbook(saved["excel"])
    readme = book["README"]
    listed = [readme.cell(row=r, column=1).value for r in range(5, readme.max_row + 1)]
    assert sorted(listed) == sorted(n for n in book.sheetnames if n != "README")
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
        assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("DDE3EA")
        assert sheet.column_dimensions["A"].width >= len(str(sheet["A1"].value))


def test_excel_numbers_are_numbers(saved, report):
    book = load_workbook(saved["excel"])
    rho = book["table2_rho"]
    header = [c.value for c in rho[1]]
    p_col = header.index("p") + 1
    raw = report["table2_rho"].table["p"].tolist()
    cells = [rho.cell(row=r, column=p_col) for r in range(2, rho.max_row + 1)]
    # unrounded (4.6e-09 is not 0), to the 15 significant digits a spreadsheet keeps
    assert [c.value for c in cells] == pytest.approx(raw, rel=1e-14, abs=0)
    assert all(c.number_format == "0.00E+00" for c in cells if c.value < 0.001)
    icc = book["reliability_inter"]
    header = [c.value for c in icc[1]]
    p = [icc.cell(row=r, column=header.index("p") + 1) for r in range(2, icc.max_row + 1)]
    # p below the smallest double is 0 in any software; it shows as 0.00E+00, not as "0"
    assert all(isinstance(c.value, int | float) and c.number_format != "General" for c in p)
    choices = {r[0].value: r[1].value for r in book["choices"].iter_rows(min_row=2)}
    assert choices["caliper"] == 2.0 and choices["method"] == "optimal"
    assert choices["seed"] == "none" and choices["adjust"] == "age, sex, bmi"
    published = [c.value for c in book["replication"]["E"][1:]]
    assert published[0] == "72.21"  # text as printed: text is never turned into a number
    assert "<0.001" in published  # what is not a number stays as printed
    settings = book["settings"]
    values = [r[2].value for r in settings.iter_rows(min_row=2)]
    assert not any(isinstance(v, str) and v.startswith(("'", "(", "{")) for v in values)


# -- HTML ---------------------------------------------------------------------------------------
def test_html_toc_anchors_resolve(saved):
    html = saved["html"].read_text(encoding="utf-8")
    nav = re.search(r"<nav.*?</nav>", html, re.S).group(0)
    anchors = re.findall(r'href="#([^"]+)"', nav)
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert len(anchors) >= 12 and set(anchors) <= ids
    assert anchors[0] == "methods" and anchors[-1] == "appendix"


def test_html_appendix_collapsed_after_the_paper_items(saved):
    html = saved["html"].read_text(encoding="utf-8")
    appendix = html.index('id="appendix"')
    assert html.index('id="table1"') < html.index('id="fig5"') < appendix
    listing = html.index("Indicators per patient: indicators per patient")
    assert listing > appendix
    assert html.rfind("<details", 0, listing) > appendix  # inside a collapsed <details>
    assert html.count("All ICC forms") == 0 and html.count("all ICC forms (36 rows)") == 2
    text = re.sub(r'"data:image/[^"]*"', "", html)  # base64 of a raster layer can hold "None"
    for repr_ in ("'optimal'", "None", "('age', 'sex', 'bmi')", "tests_used={"):
        assert repr_ not in text


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_html_no_table_wider_than_the_page_at_1280px(saved):
    script = """<script>
    document.querySelectorAll('details').forEach(d => d.open = true);
    const page = document.documentElement.clientWidth;
    const wide = [];
    document.querySelectorAll('table, svg').forEach(t => {
      const r = t.getBoundingClientRect();
      if (r.left < 0 || r.right > page) wide.push(t.tagName + ' ' + Math.round(r.right));
    });
    document.body.setAttribute('data-check', JSON.stringify({page: page,
      scroll: document.documentElement.scrollWidth, wide: wide,
      n: document.querySelectorAll('table').length}));
    </script>"""
    page = saved["html"].parent / "measure.html"
    page.write_text(
        saved["html"].read_text(encoding="utf-8").replace("</body>", script + "</body>"),
        encoding="utf-8",
    )
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
             "--window-size=1280,900", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
    found = re.search(r'data-check="([^"]*)"', out.stdout)
    assert found, out.stderr[-500:]
    check = json.loads(htmllib.unescape(found.group(1)))
    assert check["n"] > 20
    assert check["wide"] == [] and check["scroll"] <= check["page"], check


# -- console, Jupyter, styles, methods ------------------------------------------------------------
def test_console_and_jupyter_show_the_report_tables(report):
    md = report.to_markdown()
    t1 = report["table1"]
    for cell in ("72.3 ± 10.5", "−2.47 ± 0.83", "42 (53.8)", "< 0.001", "paired t"):
        assert cell in md and cell in t1.summary() and cell in t1._repr_html_().replace("&lt;", "<")
    for item in report.items:
        assert "\n" not in repr(item.result) and len(repr(item.result)) < 120
        if item.key == "audit":  # its cells are the audit's own text ("p = 1.67e-04")
            continue
        html = item.result._repr_html_()
        assert not re.search(r"\de[-+]\d", re.sub(r"<[^>]+>", " ", html))  # no 1.1e-155
    matching = str(report["matching"])
    assert "Matched pairs" in matching and "SMD after" in matching
    assert "CTRL0" not in matching and "Appendix: matched pairs (78 rows)" in matching


def test_report_variables_and_p_style(report):
    styled = Report(report.title, variables={"hu": {"decimals": 0}}, p_style="apa")
    for item in report.items:
        styled.add(item.result, item.title, item.key, appendix=item.appendix)
    md = styled.to_markdown()
    assert "| HU | 67 ± 10 | 89 ± 16 |" in md
    assert "| < .001 |" in md and "| < 0.001 |" not in md
    assert styled.variable_info()["hu"]["decimals"] == 0
    with pytest.raises(ValueError, match="p_style"):
        Report("x", p_style="journal")


def test_methods_paragraph_says_what_was_done(report):
    import numpy

    text = report.methods()
    for phrase in (
        "ICC(A,1)", "1:1 without replacement", "same sex", "age within ±2 years",
        "optimal matching", "the paired t test", "Pearson's χ² test without continuity",
        "Spearman's rank correlation", "per standard deviation", "adjusted for age, sex and BMI",
        "95% Wald CIs", "DeLong CIs", "Holm's method", "p < 0.05", f"numpy {numpy.__version__}",
        "Bland–Altman bias", "exact CIs of the limits", "Lin's concordance correlation",
        "covariate-adjusted AUC", "is the primary measure of discrimination", "E-values",
        "minimal detectable change", "population prevalence of 10%",
    ):  # fmt: skip
        assert phrase in text, phrase
    assert "[21]" in text and len(report.layout().references) == 21
    from ovcfstats import __version__

    cited = report.layout().references[-1]  # the software itself, with its version
    assert f"ovcfstats {__version__}" in text and f"version {__version__}" in cited


# -- figures --------------------------------------------------------------------------------------
def test_figures_print_quality(saved):
    from PIL import Image

    for png in saved["figures"].glob("*.png"):
        with Image.open(png) as image:
            assert [round(d) for d in image.info["dpi"]] == [300, 300], png.name
    svg = (saved["figures"] / "table2_or.svg").read_text(encoding="utf-8")
    assert "<text" in svg and "Adjusted odds ratio" in svg  # editable text, not glyph paths
    assert 'id="DejaVuSans-' not in svg


def test_figures_labels_units_and_colours(report):
    from matplotlib.colors import to_hex

    from ovcfstats.present._format import format_estimate_ci
    from ovcfstats.present._plotting import INDICATOR_COLORS

    forest = report["table2_or"].plot()
    texts = [t.get_text() for t in forest.axes[0].texts]
    vbq = report["table2_or"].table.set_index("indicator").loc["vbq"]
    assert texts[0] == "OR (95% CI)"
    assert format_estimate_ci(vbq["or"], vbq["ci_low"], vbq["ci_high"], 2) in texts
    labels = [t.get_text() for t in forest.axes[0].get_yticklabels()]
    assert "FI, % (per 1 SD = 1.16)" in labels
    heatmap = report["table3"].plot()
    assert "α = 0.05" in heatmap.axes[1].get_ylabel()
    love = report["matching"].plot()
    assert "BMI, kg/m²" in [t.get_text() for t in love.axes[0].get_yticklabels()]
    roc = report["fig5"].plot()
    roc_colour = {
        line.get_label().split(":")[0]: to_hex(line.get_color()) for line in roc.axes[0].lines
    }
    forest_colour = to_hex(forest.axes[0].lines[0].get_color())  # the T-score marker
    assert roc_colour["VBQ"] == INDICATOR_COLORS["vbq"].lower()
    assert forest_colour == roc_colour["T-score"] == INDICATOR_COLORS["t_score"].lower()
    assert roc.axes[0].get_xlabel().startswith("1 − specificity")


def test_matrix_stars_exactly_below_alpha():
    import numpy as np
    import pandas as pd

    from ovcfstats import spearman_matrix
    from ovcfstats.present._present import present

    rng = np.random.default_rng(15)
    a = rng.normal(size=30)
    data = pd.DataFrame({"a": a, "b": 0.35 * a + rng.normal(size=30)})
    data["c"] = 0.5 * a + rng.normal(size=30)
    res = spearman_matrix(data, ["a", "b", "c"])
    t = res.table
    p = {(r.indicator_1, r.indicator_2): r.p for r in t.itertuples()}
    assert sorted(round(v, 3) for v in p.values()) == [0.035, 0.066, 0.093]  # both sides of α
    shown = present(res).main[0].frame.set_index("")
    for (x, y), value in p.items():
        assert shown.loc[x, y].endswith("*") == (value < 0.05) == shown.loc[y, x].endswith("*")


def test_strobe_checklist(report, saved):
    from ovcfstats.report._strobe import UNKNOWN

    table = report.strobe().set_index("item")
    assert len(table) == 29 and table.loc["22", "in this report"] == UNKNOWN
    assert table.loc["6b", "in this report"].startswith("1:1 matching, exact on Sex, caliper age")
    assert "78 matched pairs, 0 unmatched" in table.loc["13", "in this report"]
    assert "unconditional" in table.loc["12d", "in this report"]
    book = load_workbook(saved["excel"], read_only=True)
    assert "STROBE" in book.sheetnames
    assert "STROBE checklist" in saved["html"].read_text(encoding="utf-8")


def test_stard_and_grras_checklists(report, saved):
    from ovcfstats.report._checklists import UNKNOWN

    stard = report.stard().set_index("item")
    assert len(stard) == 34 and stard.loc["28", "in this report"] == UNKNOWN  # 30 items, 4 in a+b
    assert "covariate-adjusted AUC as the primary summary" in stard.loc["14", "in this report"]
    assert "AUC adjusted for age, sex" in stard.loc["17", "in this report"]
    assert "PPV, NPV" in stard.loc["24", "in this report"]
    grras = report.grras().set_index("item")
    assert len(grras) == 15 and grras.loc["12", "in this report"] == UNKNOWN
    assert "hu (inter): 1248 targets, 2 raters" in grras.loc["11", "in this report"]
    assert "SEM and MDC95" in grras.loc["13", "in this report"]
    book = load_workbook(saved["excel"], read_only=True)
    assert {"STARD", "GRRAS"} <= set(book.sheetnames)
    html = saved["html"].read_text(encoding="utf-8")
    assert "STARD 2015 checklist" in html and "GRRAS checklist" in html


def test_excel_readme_counts_are_numbers(saved):
    book = load_workbook(saved["excel"])
    rows = list(book["README"].iter_rows(min_row=5, values_only=True))
    assert all(isinstance(r[3], int) for r in rows)
    assert not any("``" in r[2] for r in rows)
    assert {r[0]: r[3] for r in rows}["indicators"] == 312
    n = [r[1] for r in book["table2_rho"].iter_rows(min_row=2, values_only=True)]
    assert n == [156] * 5 and all(isinstance(v, int) for v in n)  # counts are numbers too
