"""The report as Markdown: headings, pipe tables, figure links, the appendix at the end.

Every text is escaped as the HTML escapes it (:func:`~ovcfstats.present._format.markdown_text`):
an ID or a label with HTML shows as written and runs nothing, and a title with line breaks
cannot start a heading of its own.
"""

from __future__ import annotations

from ..present._format import markdown_table
from ..present._format import markdown_text as md
from ._layout import Layout


def render(layout: Layout, figure_dir: str | None = None) -> str:
    """Markdown of ``layout``; figures are linked as ``figure_dir/<key>.png`` when given."""
    lines = [f"# {md(layout.title)}", ""]
    if layout.intro:
        lines += [md(layout.intro), ""]
    lines += [f"## {md(layout.heading('contents'))}", ""]
    lines += [f"- [{md(title, link=True)}](#{key})" for key, title in layout.toc()]
    lines += ["", '<a id="methods"></a>', "", f"## {md(layout.heading('methods'))}", ""]
    for paragraph in layout.methods:
        lines += [md(paragraph), ""]
    if layout.references:
        lines += ["**References**", ""]
        lines += [f"{i}. {md(ref)}" for i, ref in enumerate(layout.references, 1)]
        lines.append("")
    for section in layout.sections:
        if section.appendix_only:
            continue
        lines += [f'<a id="{section.key}"></a>', "", f"## {md(section.title)}", ""]
        for table in section.shown.main:
            if table.caption:
                lines += [f"**{md(table.caption)}**", ""]
            lines += [markdown_table(table.frame) if len(table.frame) else "(none)", ""]
        if section.figure_caption and figure_dir is not None:
            caption = section.figure_caption
            lines += [f"![{md(caption, link=True)}]({figure_dir}/{section.key}.png)", ""]
            lines += [f"*{md(caption)}*", ""]
        lines += [f"- {md(note)}" for note in section.shown.notes]
        lines.append("")
    if layout.appendix:
        lines += ['<a id="appendix"></a>', "", f"## {md(layout.heading('appendix'))}", ""]
        for entry in layout.appendix:
            lines += [f"### {md(entry.title)}", ""]
            frame = entry.table.frame
            if entry.table.caption:
                lines += [md(entry.table.caption), ""]
            lines += [markdown_table(frame) if len(frame) else "(none)", ""]
    return "\n".join(lines).rstrip() + "\n"
