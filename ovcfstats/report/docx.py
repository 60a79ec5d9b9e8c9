"""The report as a Word document that fits the page.

- A4, 1.9 cm margins; a result whose table is wider than the portrait text width goes in a
  landscape section;
- dense, so that the sample report prints on 12 pages: 8-pt single-spaced table rows, 12-pt
  headings with little space around them, figures at most at 3/4 of their drawn size;
- column widths from the content: no column narrower than its longest unbreakable token (a
  number cell is one token: its spaces are non-breaking, its hyphens non-breaking hyphens), the
  rest of the text width shared in proportion to what each column would need on one line; the
  widths add up to the text width;
- three-line tables, Word "Caption" paragraphs above tables and below figures, figures as
  300 dpi PNG;
- the appendix (listings, all ICC forms, coefficients) is left to the Excel workbook: one
  paragraph names its tables, on the last page.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..present._format import is_numeric_cell, is_numeric_column
from ..present._plotting import figure_bytes
from ._layout import Layout
from ._ooxml import fixed_zip

PAGE = (8.27, 11.69)  # A4, inches
MARGIN = 0.75
FONT = "Arial"  # metric-compatible Liberation Sans where Arial is missing (LibreOffice)
FONT_PT = 8.0
#: per-cell left + right padding Word adds (0.08 in each side by default)
PADDING_IN = 0.16
#: safety factor on the estimated widths (bold headers, kerning, a substituted font)
SLACK = 1.08
NBSP, NB_HYPHEN = "\u00a0", "\u2011"

# Arial advance widths in em (Helvetica metrics); anything else counts as a wide glyph
_WIDTHS = {
    **dict.fromkeys("0123456789", 0.556),
    **dict.fromkeys(" .,:;!|'\u00a0ijlIft[]()/", 0.333),
    **dict.fromkeys("abcdeghknopqsuvxyz", 0.556),
    "r": 0.333,
    **dict.fromkeys("ABEKPSVXY", 0.667),
    **dict.fromkeys("CDHNRUw", 0.722),
    **dict.fromkeys("FTZLJ", 0.611),
    **dict.fromkeys("GOQ", 0.778),
    **dict.fromkeys("Mm", 0.833),
    "W": 0.944,
    **dict.fromkeys("−±<>=≤≥×+", 0.584),
    **dict.fromkeys("–\u2011-", 0.556),
    "%": 0.889,
    "*": 0.389,
}


def text_width(portrait: bool) -> float:
    """The text width in inches of a portrait or landscape A4 page."""
    return (PAGE[0] if portrait else PAGE[1]) - 2 * MARGIN


def text_height(portrait: bool) -> float:
    """The text height in inches of a portrait or landscape A4 page."""
    return (PAGE[1] if portrait else PAGE[0]) - 2 * MARGIN


#: room kept below a figure for its legend (two lines of the Caption style)
LEGEND_IN = 0.7
#: figures are printed at most this share of their drawn size: their 10-pt labels at 7.5 pt,
#: the size journals print a figure's labels at
FIGURE_SCALE = 0.75
#: the share of the text height a figure taller than wide may take (the rest: its table)
FIGURE_SHARE = 0.6


def string_width(text: str, font_pt: float = FONT_PT) -> float:
    """Estimated printed width of ``text`` in inches at ``font_pt`` (Arial, with slack)."""
    return SLACK * sum(_WIDTHS.get(c, 0.75) for c in text) * font_pt / 72.0


def unbreakable(text: str) -> str:
    """The cell text as written to Word: a number cell cannot break inside.

    In text, a hyphen before a digit is a minus sign: written as one (U+2212), which no line
    breaks after (Word and LibreOffice break after a hyphen).

    >>> unbreakable("min eigenvalue -0.0691")
    'min eigenvalue −0.0691'
    """
    if not is_numeric_cell(text):
        return re.sub(r"(?<![\w.])-(?=\.?\d)", "\u2212", text)
    return text.replace(" ", NBSP).replace("-", NB_HYPHEN)


def tokens(text: str) -> list[str]:
    """The pieces a line may break between (after :func:`unbreakable`)."""
    return [t for t in unbreakable(text).split(" ") if t] or [""]


def column_widths(frame: pd.DataFrame, width: float, font_pt: float = FONT_PT) -> list[float]:
    """Widths (inches) of the columns of ``frame`` that add up to ``width``.

    Each column gets at least its longest unbreakable token (plus padding); what remains is
    shared in proportion to how much wider each column would be on one line. When even the
    minima do not fit, they are returned as they are (the caller chooses a wider page).
    """
    minimum, natural = [], []
    for column in frame.columns:
        texts = [str(column), *frame[column].astype(str).tolist()]
        minimum.append(max(string_width(t, font_pt) for x in texts for t in tokens(x)) + PADDING_IN)
        natural.append(max(string_width(x, font_pt) for x in texts) + PADDING_IN)
    spare = width - sum(minimum)
    if spare <= 0:
        return minimum
    extra = [n - m for n, m in zip(natural, minimum, strict=True)]
    if sum(extra) <= spare:  # everything fits on one line: share the rest by natural width
        total = sum(natural)
        return [n + (width - total) * n / total for n in natural]
    return [m + spare * e / sum(extra) for m, e in zip(minimum, extra, strict=True)]


def needs_landscape(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` goes on a landscape page.

    When it cannot fit the portrait text width without breaking a number or a word, or when it
    has many columns and much text (a portrait page would make a narrow, very tall table).
    """
    portrait = text_width(portrait=True)
    if sum(column_widths(frame, portrait)) > portrait + 1e-9:
        return True
    natural = sum(
        max(string_width(x) for x in [str(c), *frame[c].astype(str)]) + PADDING_IN
        for c in frame.columns
    )
    return len(frame.columns) >= 7 and natural > 2.2 * portrait


def render(
    layout: Layout,
    figures: dict[str, Any],
    path: Any,
    excel_name: str,
    figure_file: Callable[[str, str], bytes] | None = None,
) -> None:
    """Write ``layout`` as a .docx file; ``figure_file(key, "png")`` gives a figure's PNG."""
    if figure_file is None:
        figure_file = lambda key, fmt: figure_bytes(figures[key], fmt)  # noqa: E731
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Inches, Pt

    doc = Document()
    _page(doc.sections[0], portrait=True, orient=WD_ORIENT, inches=Inches)
    _styles(doc, Pt)
    doc.add_heading(layout.title, level=0)
    if layout.intro:
        doc.add_paragraph(layout.intro)
    doc.add_heading(layout.heading("contents"), level=1)
    for _, title in layout.toc():
        doc.add_paragraph(title, style="List Number")
    doc.add_heading(layout.heading("methods"), level=1)
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
        # a section of tables only stays on the landscape page it follows (a page of its own
        # for a short table would be mostly empty)
        figure = figures.get(section.key)
        broad = figure is not None and _broad(figure)
        wide = wide or broad or (not portrait and figure is None)
        new_page = wide == portrait
        if new_page:  # orientation changes: a new section
            portrait = not wide
            from docx.enum.section import WD_SECTION

            _page(doc.add_section(WD_SECTION.NEW_PAGE), portrait, WD_ORIENT, Inches)
        tables = [t for t in section.shown.main if len(t.frame)]
        doc.add_heading(section.title, level=1).paragraph_format.keep_with_next = True
        width = text_width(portrait)
        for table in tables:
            caption = table.caption or section.title
            doc.add_paragraph(caption, style="Caption").paragraph_format.keep_with_next = True
            _table(doc, table.frame, width, Pt, Inches)
        # the notes belong to the tables above them; the figure and its legend follow, scaled
        # to fit one page with its legend (a tall figure then starts a page of its own instead
        # of pushing the notes onto a page of their own)
        for note in section.shown.notes:
            _small(doc.add_paragraph(note), Pt)
        if section.key in figures:
            fig = figures[section.key]
            fig_w, fig_h = (float(v) for v in fig.get_size_inches())
            # a figure taller than wide takes at most FIGURE_SHARE of the page: it shares the
            # page with its table instead of leaving a page with a table alone
            height = text_height(portrait)
            room = FIGURE_SHARE * height
            if new_page:  # what the tables above leave on their page, when it is enough
                left = height - _height(tables, section.shown.notes)
                room = left if left >= FIGURE_SHARE * height * 0.75 else room
            scale = min(FIGURE_SCALE, width / fig_w, (room - LEGEND_IN) / fig_h)
            png = io.BytesIO(figure_file(section.key, "png"))
            doc.add_picture(png, width=Inches(fig_w * scale))
            _single(doc.paragraphs[-1]).keep_with_next = True
            doc.add_paragraph(section.figure_caption, style="Caption")
    if layout.appendix:  # one paragraph, on the page of the last section (no page of its own)
        doc.add_heading(layout.heading("appendix"), level=1)
        listed = "; ".join(entry.title for entry in layout.appendix)
        doc.add_paragraph(
            "Not printed here; in the HTML report (Appendix) and, with the raw unrounded "
            f"numbers, in {excel_name} (see its README sheet): {listed}."
        )
    buffer = io.BytesIO()
    doc.save(buffer)
    Path(path).write_bytes(fixed_zip(buffer.getvalue()))  # the same bytes on every run


#: printed height of a table row and of a note line (8 pt with padding), inches
ROW_IN, NOTE_IN = 0.19, 0.16


#: panels side by side this much wider than tall go on a landscape page with their table
BROAD = 1.8


def _broad(figure: Any) -> bool:
    """Several panels side by side, much wider than tall (a landscape figure)."""
    width, height = (float(v) for v in figure.get_size_inches())
    return len(figure.axes) >= 2 and width >= BROAD * height


def _height(tables: list[Any], notes: list[str]) -> float:
    """The estimated height of a section's heading, tables and notes, in inches."""
    rows = sum(len(t.frame) + 2 for t in tables)  # header and caption
    lines = sum(1 + len(n) // 150 for n in notes)
    return 0.5 + ROW_IN * rows + NOTE_IN * lines


def _styles(doc: Any, pt: Any) -> None:
    from docx.shared import RGBColor

    for name in ("Normal", "Title", "Heading 1", "Caption", "List Number"):
        style = doc.styles[name]
        style.font.name = FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
        if fonts is not None:  # drop the theme fonts so that the name above is used
            for attr in list(fonts.attrib):
                if "Theme" in attr:
                    del fonts.attrib[attr]
    doc.styles["Normal"].font.size = pt(10)
    heading = doc.styles["Heading 1"]
    heading.font.size = pt(12)
    heading.paragraph_format.space_before, heading.paragraph_format.space_after = pt(8), pt(2)
    heading.paragraph_format.line_spacing = 1.0
    caption = doc.styles["Caption"]
    caption.paragraph_format.space_before, caption.paragraph_format.space_after = pt(4), pt(4)
    caption.font.size = pt(10)
    caption.font.bold = True
    caption.font.italic = False
    caption.font.color.rgb = RGBColor(0, 0, 0)
    doc.styles["Title"].font.size = pt(22)


def _page(section: Any, portrait: bool, orient: Any, inches: Any) -> None:
    width, height = PAGE if portrait else PAGE[::-1]
    section.orientation = orient.PORTRAIT if portrait else orient.LANDSCAPE
    section.page_width, section.page_height = inches(width), inches(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, inches(MARGIN))


def _single(paragraph: Any) -> Any:
    """Single line spacing, no space after (the default 1.15 lines would make a table row,
    and a picture, 15% taller): the paragraph's format."""
    paragraph_format = paragraph.paragraph_format
    paragraph_format.line_spacing, paragraph_format.space_after = 1.0, 0
    return paragraph_format


def _small(paragraph: Any, pt: Any) -> None:
    paragraph.paragraph_format.space_before = pt(3)
    paragraph.paragraph_format.space_after = pt(3)
    for run in paragraph.runs:
        run.font.size = pt(8)


def _table(doc: Any, frame: pd.DataFrame, width: float, pt: Any, inches: Any) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    widths = column_widths(frame, width)
    grid = doc.add_table(rows=len(frame) + 1, cols=len(frame.columns))
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False  # w:tblLayout fixed: the widths below are kept
    columns = [[str(c), *frame[c].astype(str).tolist()] for c in frame.columns]
    right = [j > 0 and is_numeric_column(col[1:]) for j, col in enumerate(columns)]
    # a short table stays on one page; a long one (in printed lines: a row of long notes
    # takes several) keeps its caption, header and first row
    lines = sum(
        max(math.ceil(string_width(col[i + 1]) / max(w - PADDING_IN, 0.1)) for col, w in
            zip(columns, widths, strict=True))
        for i in range(len(frame))
    )  # fmt: skip
    together = len(frame) if len(frame) <= 15 and lines <= 20 else 1
    for j, w in enumerate(widths):
        grid.columns[j].width = inches(w)
    for i, row in enumerate(grid.rows):
        cells = row.cells  # once per row: it is slow
        _row_flag(row, "w:cantSplit", ("w:trHeight", "w:tblHeader", "w:tblCellSpacing"))
        if i == 0:
            _row_flag(row, "w:tblHeader", ("w:tblCellSpacing", "w:jc", "w:hidden"))
        for j, cell in enumerate(cells):
            cell.width = inches(widths[j])
            text = columns[j][i]
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(unbreakable(text))
            run.font.size = pt(FONT_PT)
            run.font.name = FONT
            run.bold = i == 0
            _single(paragraph).keep_with_next = i < together
            if right[j]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if i == 0:
                _border(cell, "bottom", 6)
            if is_numeric_cell(text):
                _cell_flag(cell, "w:noWrap")
    _table_borders(grid)


# WordprocessingML fixes the order of the children of trPr, tcPr and tblPr: insert each before
# the elements that must follow it (Word rejects a file with them out of order)
_TC_AFTER_NOWRAP = ("w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def _row_flag(row: Any, tag: str, before: tuple[str, ...]) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().insert_element_before(OxmlElement(tag), *before)


def _cell_flag(cell: Any, tag: str) -> None:
    from docx.oxml import OxmlElement

    cell._tc.get_or_add_tcPr().insert_element_before(OxmlElement(tag), *_TC_AFTER_NOWRAP)


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
    grid._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )


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
    tc_pr.insert_element_before(borders, "w:shd", "w:noWrap", *_TC_AFTER_NOWRAP)
