"""The report as a document: sections in order, captions, the appendix; shared by every writer.

:func:`build` lays out a :class:`~ovcfstats.Report` once — section numbers, table and figure
captions, the main tables of each result and the appendix tables — and the writers (HTML,
Markdown, Word) only turn that layout into their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
    for item in report.items:
        shown = present(item.result, style)
        caption = ""
        if item.result.has_plot:
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

    return Layout(
        title=report.title,
        intro=report.intro,
        methods=methods_paragraphs(report, style),
        references=references(report),
        sections=sections,
        appendix=appendix,
    )


def _figure_caption(result: Any) -> str:
    text = FIGURE_CAPTIONS.get(type(result).__name__, result.title + ".")
    alpha = float(result.settings.get("alpha", 0.05))
    return text.format(ci=f"{100 * (1 - alpha):g}% CI", alpha=alpha)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"
