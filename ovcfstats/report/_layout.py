"""The report as a document: sections in order, captions, the appendix; shared by every writer.

:func:`build` lays out a :class:`~ovcfstats.Report` once — section numbers, table and figure
captions, the main tables of each result and the appendix tables — and the writers (HTML,
Markdown, Word) only turn that layout into their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..present._present import present, settings_in_words
from ..present._table import Presentation, Table

if TYPE_CHECKING:
    from .document import Report

#: what each figure shows, by the class of the result that draws it
FIGURE_CAPTIONS = {
    "MatchResult": "Covariate balance before and after matching (Love plot): absolute "
    "standardised mean difference per covariate; dashed line at 0.1.",
    "LogisticResult": "Adjusted odds ratios of OVCF per indicator with {ci} (log scale).",
    "SpearmanMatrix": "Spearman correlations among the indicators; * p < {alpha:g}.",
    "RocResult": "ROC curves of the indicators for OVCF, with the AUC ({ci}) of each and its "
    "Youden cut-off (dot).",
}


@dataclass
class Section:
    """One result in the report: its heading, tables, figure and notes."""

    key: str
    title: str
    result: Any
    shown: Presentation
    settings: str = ""
    figure_caption: str = ""
    appendix_only: bool = False


@dataclass
class AppendixTable:
    """One appendix table, with the section it comes from and its anchor."""

    key: str
    title: str
    table: Table
    section: str


@dataclass
class Layout:
    """The whole report: title, intro, methods, main sections and appendix tables."""

    title: str
    intro: str
    methods: list[str]
    references: list[str]
    sections: list[Section] = field(default_factory=list)
    appendix: list[AppendixTable] = field(default_factory=list)

    def toc(self) -> list[tuple[str, str]]:
        """``(anchor, heading)`` of every entry of the table of contents, in order."""
        entries = [("methods", "Statistical analysis")]
        entries += [(s.key, s.title) for s in self.sections if not s.appendix_only]
        if self.appendix:
            entries.append(("appendix", "Appendix"))
        return entries


def build(report: Report) -> Layout:
    """Lay out ``report`` (see the module docstring)."""
    style = report.style()
    sections: list[Section] = []
    appendix: list[AppendixTable] = []
    figure_number = 0
    drawn = report.figures()  # figures that cannot be drawn are notes instead
    for item in report.items:
        shown = present(item.result, style)
        caption = ""
        if item.result.has_plot and item.key not in drawn:
            shown.notes.append(f"Figure not drawn: {getattr(item, 'figure_note', '')}")
        elif item.result.has_plot:
            figure_number += 1
            caption = f"Figure {figure_number}. " + (
                item.figure_caption or _figure_caption(item.result)
            )
        section = Section(
            key=item.key,
            title=item.title,
            result=item.result,
            shown=shown,
            settings=settings_in_words(item.result.settings, style),
            figure_caption=caption,
            appendix_only=item.appendix,
        )
        sections.append(section)
        tables = shown.main + shown.appendix if item.appendix else shown.appendix
        for table in tables:
            appendix.append(
                AppendixTable(
                    key=f"{item.key}-{_slug(table.name)}",
                    title=f"{item.title}: {table.name}",
                    table=table,
                    section=item.key,
                )
            )
    from ._methods import methods_paragraphs, references
    from ._strobe import applies, strobe_checklist

    if applies(report):
        appendix.append(
            AppendixTable(
                key="strobe",
                title="STROBE checklist (case–control studies)",
                table=Table("STROBE", strobe_checklist(report)),
                section="",
            )
        )
    from ._checklists import CHECKLISTS

    for key, title, name, applies_to, build_checklist in CHECKLISTS:
        if applies_to(report):
            appendix.append(
                AppendixTable(
                    key=key, title=title, table=Table(name, build_checklist(report)), section=""
                )
            )

    return _printable(
        Layout(
            title=report.title,
            intro=report.intro,
            methods=methods_paragraphs(report, style),
            references=references(report),
            sections=sections,
            appendix=appendix,
        )
    )


def _printable(layout: Layout) -> Layout:
    """``layout`` without control characters (an ID or a title with one breaks Word's XML)."""
    from ..present._safe import printable

    def table(t: Table) -> Table:
        frame = t.frame.rename(columns=lambda c: printable(c) if isinstance(c, str) else c)
        frame = frame.copy()
        for j in range(frame.shape[1]):
            column = frame.iloc[:, j]
            if not pd.api.types.is_numeric_dtype(column):
                frame.iloc[:, j] = column.map(lambda v: printable(v) if isinstance(v, str) else v)
        return Table(printable(t.name), frame, printable(t.caption))

    def shown(p: Presentation) -> Presentation:
        return Presentation(
            [table(t) for t in p.main], [table(t) for t in p.appendix],
            [printable(n) for n in p.notes],
        )  # fmt: skip

    for section in layout.sections:
        section.title, section.settings = printable(section.title), printable(section.settings)
        section.figure_caption = printable(section.figure_caption)
        section.shown = shown(section.shown)
    for entry in layout.appendix:
        entry.title, entry.table = printable(entry.title), table(entry.table)
    layout.title, layout.intro = printable(layout.title), printable(layout.intro)
    layout.methods = [printable(m) for m in layout.methods]
    layout.references = [printable(r) for r in layout.references]
    return layout


def _figure_caption(result: Any) -> str:
    text = FIGURE_CAPTIONS.get(type(result).__name__, result.title + ".")
    alpha = float(result.settings.get("alpha", 0.05))
    return text.format(ci=f"{100 * (1 - alpha):g}% CI", alpha=alpha)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"
