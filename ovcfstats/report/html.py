"""The report as one self-contained HTML page: TOC, three-line tables, inline SVG figures."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from ..present._format import is_numeric_cell, is_numeric_column
from ..present._plotting import figure_bytes
from ..present._table import Table
from ._layout import Layout

#: the page (the standalone file only: a notebook keeps its own page style)
PAGE_CSS = """
body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.4}
h1{font-size:1.7em}h2{font-size:1.3em;margin-top:2em}
nav ol{font-size:14px}
@media print{
@page{margin:14mm 12mm}
body{max-width:none;margin:0;padding:0;font-size:10pt;line-height:1.3}
h2{margin-top:1.2em;break-after:avoid}
nav{break-after:page}
}
"""
#: tables, figures and notes (scoped to the report's own classes: safe inside a notebook)
TABLE_CSS = """
table.three-line{border-collapse:collapse;margin:.4em 0 .8em;font-size:13px;
border-top:2px solid #222;border-bottom:2px solid #222}
table.three-line th{border-bottom:1px solid #222;font-weight:600;vertical-align:bottom}
table.three-line th,table.three-line td{padding:3px 9px;text-align:left;vertical-align:top}
table.three-line .r{text-align:right}
table.three-line .num{white-space:nowrap}
table.three-line caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:.3em}
figure.ovcf{margin:1em 0}figure.ovcf svg{max-width:100%;height:auto}
figure.ovcf figcaption{font-size:13px;font-style:italic}
.notes{font-size:12px;color:#444}
details.ovcf{margin:.4em 0}details.ovcf summary{cursor:pointer;font-weight:600}
details.ovcf table.three-line{font-size:12px}
details.ovcf table.three-line th,details.ovcf table.three-line td{padding:2px 6px}
.wrap{max-width:100%;overflow-x:auto}
@media print{
.wrap{overflow:visible;max-width:none}
table.three-line{font-size:8pt;margin:.2em 0 .5em}
table.three-line th,table.three-line td{padding:1px 4px}
table.three-line .num{white-space:normal}
table.three-line tr,figure.ovcf{break-inside:avoid}
table.three-line caption{break-after:avoid}
figure.ovcf svg{max-height:22cm;width:auto}
details.ovcf summary{list-style:none}
}
"""


def table_html(table: Table, caption: str = "") -> str:
    """One formatted table: text columns left, number columns right; a number never wraps."""
    frame = table.frame.astype(str)
    right = [j > 0 and is_numeric_column(frame[c].tolist()) for j, c in enumerate(frame.columns)]

    def cell(tag: str, text: str, j: int) -> str:
        kind = ("num" if is_numeric_cell(text) else "") + (" r" if right[j] else "")
        attr = f' class="{kind.strip()}"' if kind.strip() else ""
        return f"<{tag}{attr}>{escape(text)}</{tag}>"

    head = "".join(cell("th", str(c), j) for j, c in enumerate(frame.columns))
    rows = "".join(
        "<tr>" + "".join(cell("td", v, j) for j, v in enumerate(row)) + "</tr>"
        for row in frame.to_numpy().tolist()
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="wrap"><table class="three-line">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def render(
    layout: Layout,
    figures: dict[str, Any],
    *,
    standalone: bool = True,
    figure_file: Callable[[str, str], bytes] | None = None,
) -> str:
    """HTML of ``layout`` with ``figures`` (key -> matplotlib Figure) inlined as SVG.

    ``figure_file(key, "svg")`` gives a figure's SVG (default: rendered here).
    """
    if figure_file is None:
        figure_file = lambda key, fmt: figure_bytes(figures[key], fmt)  # noqa: E731
    parts = [f"<h1>{escape(layout.title)}</h1>"]
    if layout.intro:
        parts.append(f"<p>{escape(layout.intro)}</p>")
    toc = "".join(f'<li><a href="#{k}">{escape(t)}</a></li>' for k, t in layout.toc())
    parts.append(
        f'<nav id="contents"><h2>{escape(layout.heading("contents"))}</h2><ol>{toc}</ol></nav>'
    )
    parts.append(f'<h2 id="methods">{escape(layout.heading("methods"))}</h2>')
    parts += [f"<p>{escape(p)}</p>" for p in layout.methods]
    if layout.references:
        refs = "".join(f"<li>{escape(r)}</li>" for r in layout.references)
        parts.append(f'<ol class="notes">{refs}</ol>')
    for section in layout.sections:
        if section.appendix_only:
            continue
        parts.append(f'<h2 id="{section.key}">{escape(section.title)}</h2>')
        for table in section.shown.main:
            parts.append(table_html(table, table.caption) if len(table.frame) else "<p>(none)</p>")
        if section.key in figures:
            svg = figure_file(section.key, "svg").decode()
            svg = svg[svg.index("<svg") :]
            parts.append(
                f'<figure class="ovcf">{svg}<figcaption>{escape(section.figure_caption)}'
                "</figcaption></figure>"
            )
        notes = "".join(f"<li>{escape(n)}</li>" for n in section.shown.notes)
        if notes:
            parts.append(f'<ul class="notes">{notes}</ul>')
    if layout.appendix:
        parts.append(f'<h2 id="appendix">{escape(layout.heading("appendix"))}</h2>')
        parts.append(
            '<p class="notes">Per-patient listings, all ICC forms, model coefficients and the '
            "full audit; the raw numbers are in tables.xlsx.</p>"
        )
        for entry in layout.appendix:
            parts.append(
                f'<details class="ovcf" id="{entry.key}"><summary>{escape(entry.title)} '
                f"({len(entry.table.frame)} rows)</summary>"
            )
            parts.append(table_html(entry.table, entry.table.caption))
            parts.append("</details>")
    body = "\n".join(parts)
    if not standalone:
        return f"<style>{TABLE_CSS}</style>\n{body}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(layout.title)}</title><style>{PAGE_CSS}{TABLE_CSS}</style></head><body>\n"
        f"{body}\n</body></html>\n"
    )
