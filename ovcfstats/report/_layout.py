"""The report as a document: sections in order, captions, the appendix; shared by every writer.

:func:`build` lays out a :class:`~ovcfstats.Report` once — section numbers, table and figure
captions, the main tables of each result and the appendix tables — and the writers (HTML,
Markdown, Word) only turn that layout into their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..present._present import report_parts, settings_in_words
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
    #: the conventions of the computation (formulas, R and SPSS equivalents): appendix only
    details: list[str] = field(default_factory=list)


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

    #: headings of the report's own parts: ``methods``, ``appendix``, ``contents``
    headings: dict[str, str] = field(default_factory=dict)

    def heading(self, key: str) -> str:
        """The heading of the report's own part ``key`` (the study file may rename it)."""
        return self.headings.get(key, HEADINGS[key])

    def toc(self) -> list[tuple[str, str]]:
        """``(anchor, heading)`` of every entry of the table of contents, in order."""
        entries = [("methods", self.heading("methods"))]
        entries += [(s.key, s.title) for s in self.sections if not s.appendix_only]
        if self.appendix:
            entries.append(("appendix", self.heading("appendix")))
        return entries


#: sections about the report itself, not the study's tables: not numbered
UNNUMBERED = ("choices", "variables", "skipped", "recoding")

#: the headings of the report's own parts (``Report(titles=...)`` renames them)
HEADINGS = {"methods": "Statistical analysis", "appendix": "Appendix", "contents": "Contents"}


def build(report: Report) -> Layout:
    """Lay out ``report`` (see the module docstring).

    Tables and figures of the main body are numbered in their order of appearance; a
    warning printed under one section is not repeated under the next.
    """
    style = report.style()
    titles = dict(getattr(report, "titles", {}) or {})
    sections: list[Section] = []
    appendix: list[AppendixTable] = []
    numbers = {"table": 0, "figure": 0}
    seen: set[str] = set()
    drawn = report.figures()  # figures that cannot be drawn are notes instead
    for item in report.items:
        shown, details = report_parts(item.result, style)
        title = titles.get(item.key, item.title)
        shown.notes = [n for n in shown.notes if not (n.startswith("Warning: ") and n in seen)]
        seen.update(shown.notes)
        caption = ""
        if item.result.has_plot and item.key not in drawn:
            shown.notes.append(f"Figure not drawn: {getattr(item, 'figure_note', '')}")
        elif item.result.has_plot and not item.appendix:
            numbers["figure"] += 1
            caption = f"Figure {numbers['figure']}. " + (
                item.figure_caption or _figure_caption(item.result)
            )
        if not item.appendix and item.key not in UNNUMBERED:
            _number_tables(shown.main, title, numbers)
        section = Section(
            key=item.key,
            title=title,
            result=item.result,
            shown=shown,
            settings=settings_in_words(item.result.settings, style),
            figure_caption=caption,
            appendix_only=item.appendix,
            details=details,
        )
        sections.append(section)
        tables = shown.main + shown.appendix if item.appendix else shown.appendix
        for table in tables:
            appendix.append(
                AppendixTable(
                    key=f"{item.key}-{_slug(table.name)}",
                    title=f"{title}: {table.name}",
                    table=table,
                    section=item.key,
                )
            )
    appendix += _details(sections, style)
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
            headings={k: v for k, v in titles.items() if k in HEADINGS},
        )
    )


def _number_tables(tables: list[Table], title: str, numbers: dict[str, int]) -> None:
    """Caption each main table ``Table N. ...`` in the order of appearance."""
    for table in tables:
        if not len(table.frame):
            continue
        numbers["table"] += 1
        text = table.caption or (
            f"{title}: {table.name}" if len([t for t in tables if len(t.frame)]) > 1 else title
        )
        table.caption = f"Table {numbers['table']}. {text}"


def _details(sections: list[Section], style: Any) -> list[AppendixTable]:
    """The appendix's notes on the methods, settings and excluded rows of every section."""
    notes = [
        (s.title, line)
        for s in sections
        for line in [*s.details, *([f"Settings: {s.settings}"] if s.settings else [])]
    ]
    out = []
    if notes:
        frame = pd.DataFrame(notes, columns=["Section", "Note"])
        out.append(AppendixTable("notes", "Notes on the methods and settings",
                                 Table("notes", frame), ""))  # fmt: skip
    rows = [
        (s.title, str(r.id), style.label(str(r.variable)), str(r.reason))
        for s in sections
        for r in s.result.excluded.itertuples(index=False)
    ]
    if rows:
        from ..present._layouts import LISTING_ROWS

        frame = pd.DataFrame(
            rows[:LISTING_ROWS], columns=["Section", "Patient", "Variable", "Reason"]
        )
        table = Table("excluded", frame)
        if len(rows) > LISTING_ROWS:
            table.caption = (
                f"The first {LISTING_ROWS:,} of {len(rows):,} rows; every row is in tables.xlsx."
            )
        out.append(AppendixTable("excluded", "Excluded rows", table, ""))
    return out


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
        section.details = [printable(d) for d in section.details]
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
