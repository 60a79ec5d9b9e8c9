"""The report: result objects in order, rendered as HTML, Markdown, Excel and Word.

A :class:`Report` only formats what its results hold; nothing is recomputed. Tables are shown as
journals print them (:meth:`~ovcfstats.Result.report_tables`); Excel receives the raw numbers.
Figures are drawn once per result and embedded (SVG in HTML, PNG in Word), so every file stands
alone with no network access.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from ._format import markdown_table
from ._results import Result

CSS = """
body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:13px}
th,td{border-top:1px solid #bbb;border-bottom:1px solid #bbb;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
.notes{font-size:12px;color:#555}.settings{font-size:12px;color:#777}
"""


@dataclass
class _Item:
    title: str
    result: Result
    key: str
    figure: Any = None


@dataclass
class Report:
    """An ordered collection of results with renderers.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import Report, roc_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, 2.9, 2.5, 3.0, 2.2]})
    >>> report = Report("Example").add(roc_auc(df, "vbq"), title="Fig. 5. ROC")
    >>> report.to_markdown().splitlines()[0]
    '# Example'
    """

    title: str = "ovcfstats report"
    intro: str = ""
    items: list[_Item] = field(default_factory=list)

    def add(self, result: Result, title: str | None = None, key: str | None = None) -> Report:
        """Append ``result`` under ``title`` (default: the result's own); returns the report."""
        if not isinstance(result, Result):
            raise TypeError(f"Report.add() takes a result object; got {type(result).__name__}.")
        key = key or _slug(title or result.title)
        if any(item.key == key for item in self.items):
            key = f"{key}_{len(self.items) + 1}"
        self.items.append(_Item(title or result.title, result, key))
        return self

    def __getitem__(self, key: str) -> Result:
        for item in self.items:
            if key in (item.key, item.title):
                return item.result
        raise KeyError(f"No result {key!r} in the report; keys: {[i.key for i in self.items]}.")

    def keys(self) -> list[str]:
        """The keys of the results, in order."""
        return [item.key for item in self.items]

    # -- figures --------------------------------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        """key -> matplotlib Figure, for every result that has one (drawn once)."""
        out = {}
        for item in self.items:
            if item.result.has_plot:
                if item.figure is None:
                    item.figure = item.result.plot()
                out[item.key] = item.figure
        return out

    def save_figures(
        self, directory: str | Path, formats: tuple[str, ...] = ("png", "svg")
    ) -> list[Path]:
        """Write each figure as ``<key>.<format>``; returns the paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for key, fig in self.figures().items():
            for fmt in formats:
                path = directory / f"{key}.{fmt}"
                path.write_bytes(_figure_bytes(fig, fmt))
                paths.append(path)
        return paths

    # -- renderers ------------------------------------------------------------------------------
    def to_markdown(self, figure_dir: str | None = None) -> str:
        """The report as Markdown; figures are linked as ``figure_dir/<key>.png`` when given."""
        lines = [f"# {self.title}", ""]
        if self.intro:
            lines += [self.intro, ""]
        for item in self.items:
            lines += [f"## {item.title}", ""]
            if item.result.settings:
                lines += [f"*{_settings(item.result)}*", ""]
            tables = item.result.report_tables()
            for name, table in tables.items():
                if len(tables) > 1:
                    lines += [f"**{name}**", ""]
                lines += [markdown_table(table) if len(table) else "(empty)", ""]
            if item.result.has_plot and figure_dir is not None:
                lines += [f"![{item.title}]({figure_dir}/{item.key}.png)", ""]
            lines += [f"- {note}" for note in item.result.notes()]
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def _html_body(self) -> str:
        parts = [f"<h1>{escape(self.title)}</h1>"]
        if self.intro:
            parts.append(f"<p>{escape(self.intro)}</p>")
        figures = self.figures()
        for item in self.items:
            r = item.result
            parts.append(f'<h2 id="{item.key}">{escape(item.title)}</h2>')
            if r.settings:
                parts.append(f'<p class="settings">{escape(_settings(r))}</p>')
            tables = r.report_tables()
            for name, table in tables.items():
                if len(tables) > 1:
                    parts.append(f"<h4>{escape(name)}</h4>")
                parts.append(table.to_html(index=False, na_rep="", border=0))
            if item.key in figures:
                svg = _figure_bytes(figures[item.key], "svg").decode()
                parts.append(svg[svg.index("<svg") :])
            notes = "".join(f"<li>{escape(n)}</li>" for n in r.notes())
            parts.append(f'<ul class="notes">{notes}</ul>')
            if len(r.excluded):
                parts.append("<details><summary>Excluded rows</summary>")
                parts.append(r.excluded.to_html(index=False, na_rep="", border=0))
                parts.append("</details>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self._html_body()

    def to_html(self, path: str | Path | None = None) -> str:
        """One self-contained HTML page (inline CSS, SVG figures), written to ``path`` if given."""
        html = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(self.title)}</title><style>{CSS}</style></head><body>\n"
            f"{self._html_body()}\n</body></html>\n"
        )
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html

    def to_excel(self, path: str | Path) -> Path:
        """One sheet per table with the raw numbers, plus one sheet of all excluded rows."""
        names: set[str] = set()
        excluded = []
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for item in self.items:
                for name, table in item.result.tables().items():
                    sheet = _sheet_name(
                        f"{item.key} {name}" if name != "table" else item.key, names
                    )
                    table.to_excel(writer, sheet_name=sheet, index=False)
                if len(item.result.excluded):
                    excluded.append(item.result.excluded.assign(step=item.title))
            if excluded:
                all_excluded = pd.concat(excluded, ignore_index=True)
                all_excluded.to_excel(
                    writer, sheet_name=_sheet_name("excluded", names), index=False
                )
        return Path(path)

    def to_docx(self, path: str | Path) -> Path:
        """A Word document: headings, tables as Word tables, figures as pictures, notes."""
        from docx import Document
        from docx.shared import Inches, Pt

        doc = Document()
        doc.add_heading(self.title, level=0)
        if self.intro:
            doc.add_paragraph(self.intro)
        figures = self.figures()
        for item in self.items:
            doc.add_heading(item.title, level=1)
            tables = item.result.report_tables()
            for name, table in tables.items():
                if len(tables) > 1:
                    doc.add_paragraph(name).runs[0].bold = True
                _docx_table(doc, table, Pt(8))
            if item.key in figures:
                doc.add_picture(
                    io.BytesIO(_figure_bytes(figures[item.key], "png")), width=Inches(5.5)
                )
            for note in item.result.notes():
                doc.add_paragraph(note, style="List Bullet")
        doc.save(path)
        return Path(path)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write report.html, report.md, tables.xlsx, report.docx and figures/ to ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.save_figures(directory / "figures")
        (directory / "report.md").write_text(self.to_markdown("figures"), encoding="utf-8")
        self.to_html(directory / "report.html")
        out = {
            "html": directory / "report.html",
            "markdown": directory / "report.md",
            "figures": directory / "figures",
        }
        try:
            out["excel"] = self.to_excel(directory / "tables.xlsx")
            out["docx"] = self.to_docx(directory / "report.docx")
        except ImportError as err:  # the export extra is optional
            raise ImportError(
                f"{err}. Install the export extra: pip install 'ovcfstats[export]'."
            ) from err
        return out


#: longer tables go to Excel only: Word tables of hundreds of rows help no manuscript
DOCX_MAX_ROWS = 40


def _docx_table(doc: Any, table: pd.DataFrame, size: Any) -> None:
    if len(table) > DOCX_MAX_ROWS:
        doc.add_paragraph(f"({len(table)} rows: see tables.xlsx or the HTML report.)")
        return
    grid = doc.add_table(rows=len(table) + 1, cols=len(table.columns))
    grid.style = "Table Grid"
    values = [list(map(str, table.columns))]
    values += [["" if v is None else str(v) for v in row] for row in table.itertuples(index=False)]
    for row, texts in zip(grid.rows, values, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):  # .cells once per row: it is slow
            run = cell.paragraphs[0].add_run(text)
            run.font.size = size


def _settings(result: Result) -> str:
    return "Settings: " + ", ".join(f"{k}={v!r}" for k, v in result.settings.items())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "result"


def _sheet_name(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", text)[:31]
    name, i = base, 1
    while name in used:
        i += 1
        name = f"{base[: 31 - len(str(i)) - 1]}~{i}"
    used.add(name)
    return name


def _figure_bytes(fig: Any, fmt: str) -> bytes:
    """PNG or SVG bytes; SVG without a date and with fixed ids so that files are reproducible."""
    import matplotlib

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None} if fmt == "png" else None
    with matplotlib.rc_context({"svg.hashsalt": "ovcfstats"}):
        fig.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    return buffer.getvalue()
