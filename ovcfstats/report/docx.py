"""The report as a Word document that fits the page.

- A4, 2.54 cm margins; a result whose table is wider than the portrait text width goes in a
  landscape section;
- column widths from the content: no column narrower than its longest unbreakable token (a
  number cell is one token: its spaces are non-breaking, its hyphens non-breaking hyphens), the
  rest of the text width shared in proportion to what each column would need on one line; the
  widths add up to the text width;
- three-line tables, Word "Caption" paragraphs above tables and below figures, figures as
  300 dpi PNG;
- the appendix (listings, all ICC forms, coefficients) is left to the Excel workbook.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from .._plotting import figure_bytes
from ._layout import Layout

PAGE = (8.27, 11.69)  # A4, inches
MARGIN = 1.0
FONT_PT = 8.0
#: per-cell left + right padding Word adds (0.08 in each side by default)
PADDING_IN = 0.16
NBSP, NB_HYPHEN = "\u00a0", "\u2011"
#: a column whose longest cell exceeds this many characters is prose and may wrap
PROSE = 28


def text_width(portrait: bool) -> float:
    """The text width in inches of a portrait or landscape A4 page."""
    return (PAGE[0] if portrait else PAGE[1]) - 2 * MARGIN


def _char_em(ch: str) -> float:
    # a conservative width per character in em (Calibri/Arial-like): too wide rather than narrow
    if ch in " .,:;'|!il()[]\u00a0":
        return 0.32
    if ch in "MWmw%@—":
        return 0.9
    if ch.isupper() or ch in "±×≥≤−–\u2011∞χρΔβ²":
        return 0.7
    return 0.56


def string_width(text: str, font_pt: float = FONT_PT) -> float:
    """Estimated printed width of ``text`` in inches at ``font_pt``."""
    return sum(_char_em(c) for c in text) * font_pt / 72.0


def unbreakable(text: str, prose: bool) -> str:
    """The cell text as written to Word: number cells cannot break inside."""
    if prose:
        return text
    return text.replace(" ", NBSP).replace("-", NB_HYPHEN)


def _tokens(text: str) -> list[str]:
    return [t for t in text.replace("-", "- ").split(" ") if t] or [""]


def column_widths(frame: pd.DataFrame, width: float, font_pt: float = FONT_PT) -> list[float]:
    """Widths (inches) of the columns of ``frame`` that add up to ``width``.

    Each column gets at least its longest unbreakable token (plus padding); what remains is
    shared in proportion to how much wider each column would be on one line. When even the
    minima do not fit, they are returned as they are (the caller chooses a wider page).
    """
    cells = [[str(c), *frame[c].astype(str).tolist()] for c in frame.columns]
    prose = [_is_prose(col[1:]) for col in cells]
    minimum, natural = [], []
    for col, is_prose in zip(cells, prose, strict=True):
        texts = [unbreakable(t, is_prose) for t in col]
        header_tokens = max(string_width(t, font_pt) for t in _tokens(col[0]))
        body = [max(string_width(t, font_pt) for t in _tokens(x)) for x in texts[1:]] or [0.0]
        minimum.append(max(header_tokens, *body) + PADDING_IN)
        natural.append(max(string_width(t, font_pt) for t in texts) + PADDING_IN)
    spare = width - sum(minimum)
    if spare <= 0:
        return minimum
    extra = [n - m for n, m in zip(natural, minimum, strict=True)]
    if sum(extra) <= spare:  # everything fits on one line: share the rest by natural width
        total = sum(natural)
        return [n + (width - total) * n / total for n in natural]
    return [m + spare * e / sum(extra) for m, e in zip(minimum, extra, strict=True)]


def _is_prose(texts: list[str]) -> bool:
    return bool(texts) and max(len(t) for t in texts) > PROSE


def needs_landscape(frame: pd.DataFrame) -> bool:
    """Whether ``frame``'s minimum widths exceed the portrait text width."""
    widths = column_widths(frame, text_width(portrait=True))
    return sum(widths) > text_width(portrait=True) + 1e-9 or _one_line(frame) > text_width(True)


def _one_line(frame: pd.DataFrame) -> float:
    # a table of numbers that fits on one line in landscape but would wrap its headers badly in
    # portrait also goes landscape
    cells = [[str(c), *frame[c].astype(str).tolist()] for c in frame.columns]
    return sum(
        max(string_width(t) for t in col) + PADDING_IN
        for col in cells
        if not _is_prose(col[1:])
    )


def render(layout: Layout, figures: dict[str, Any], path: Any, excel_name: str) -> None:
    """Write ``layout`` as a .docx file to ``path``."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Inches, Pt

    doc = Document()
    _page(doc.sections[0], portrait=True, orient=WD_ORIENT, inches=Inches)
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10)
    doc.add_heading(layout.title, level=0)
    if layout.intro:
        doc.add_paragraph(layout.intro)
    doc.add_heading("Contents", level=1)
    for _, title in layout.toc():
        doc.add_paragraph(title, style="List Number")
    doc.add_heading("Statistical analysis", level=1)
    for paragraph in layout.methods:
        doc.add_paragraph(paragraph)
    if layout.references:
        doc.add_paragraph("References").runs[0].bold = True
        for i, ref in enumerate(layout.references, 1):
            _small(doc.add_paragraph(f"{i}. {ref}"), Pt)
    portrait = True
    for section in layout.sections:
        if section.appendix_only:
            continue
        wide = any(needs_landscape(t.frame) for t in section.shown.main if len(t.frame))
        if wide == portrait:  # orientation changes: a new section
            portrait = not wide
            from docx.enum.section import WD_SECTION

            _page(doc.add_section(WD_SECTION.NEW_PAGE), portrait, WD_ORIENT, Inches)
        doc.add_heading(section.title, level=1)
        width = text_width(portrait)
        for table in section.shown.main:
            if not len(table.frame):
                continue
            caption = table.caption or (
                table.name.capitalize() if len(section.shown.main) > 1 else section.title
            )
            doc.add_paragraph(caption, style="Caption")
            _table(doc, table.frame, width, Pt, Inches)
        if section.key in figures:
            fig = figures[section.key]
            fig_width = min(float(fig.get_figwidth()), width)
            doc.add_picture(io.BytesIO(figure_bytes(fig, "png")), width=Inches(fig_width))
            doc.add_paragraph(section.figure_caption, style="Caption")
        for note in section.shown.notes:
            _small(doc.add_paragraph(note), Pt)
        if section.settings:
            _small(doc.add_paragraph(f"Settings: {section.settings}"), Pt)
    if layout.appendix:
        if not portrait:
            from docx.enum.section import WD_SECTION

            _page(doc.add_section(WD_SECTION.NEW_PAGE), True, WD_ORIENT, Inches)
        doc.add_heading("Appendix", level=1)
        names = "; ".join(entry.title for entry in layout.appendix)
        doc.add_paragraph(
            f"Not printed here: {names}. They are in the HTML report (Appendix) and, with the "
            f"raw unrounded numbers, in {excel_name} (see its README sheet)."
        )
    doc.save(path)


def _page(section: Any, portrait: bool, orient: Any, inches: Any) -> None:
    width, height = PAGE if portrait else PAGE[::-1]
    section.orientation = orient.PORTRAIT if portrait else orient.LANDSCAPE
    section.page_width, section.page_height = inches(width), inches(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, inches(MARGIN))


def _small(paragraph: Any, pt: Any) -> None:
    for run in paragraph.runs:
        run.font.size = pt(8)


def _table(doc: Any, frame: pd.DataFrame, width: float, pt: Any, inches: Any) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    widths = column_widths(frame, width)
    grid = doc.add_table(rows=len(frame) + 1, cols=len(frame.columns))
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    _fixed_layout(grid)
    columns = [[str(c), *frame[c].astype(str).tolist()] for c in frame.columns]
    prose = [_is_prose(col[1:]) for col in columns]
    for j, w in enumerate(widths):
        grid.columns[j].width = inches(w)
    for i, row in enumerate(grid.rows):
        cells = row.cells  # once per row: it is slow
        for j, cell in enumerate(cells):
            cell.width = inches(widths[j])
            text = unbreakable(columns[j][i], prose=i == 0 or prose[j])
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.font.size = pt(FONT_PT)
            run.bold = i == 0
            paragraph.paragraph_format.space_after = pt(0)
            if j > 0 and not prose[j]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if i == 0:
                _border(cell, "bottom", 6)
    _table_borders(grid)


def _fixed_layout(grid: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    grid._tbl.tblPr.append(layout)


def _table_borders(grid: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for side in ("top", "bottom"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "12")
        element.set(qn("w:color"), "000000")
        borders.append(element)
    grid._tbl.tblPr.append(borders)


def _border(cell: Any, side: str, size: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    element = OxmlElement(f"w:{side}")
    element.set(qn("w:val"), "single")
    element.set(qn("w:sz"), str(size))
    element.set(qn("w:color"), "000000")
    borders.append(element)
    tc_pr.append(borders)
