"""The :class:`Report`: result objects in order, with one renderer per format."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._results import Result
from ..present._format import Style, variable_info
from ..present._plotting import NoFigure, figure_bytes


@dataclass
class _Item:
    title: str
    result: Result
    key: str
    figure: Any = None
    figure_caption: str = ""
    appendix: bool = False
    #: format -> the file of ``figure``; emptied when the figure is drawn again or changed
    rendered: dict[str, bytes] = field(default_factory=dict)
    #: why the result's figure is left out ("" while it is drawn, or not yet tried)
    figure_note: str = ""


@dataclass
class Report:
    """An ordered collection of results with renderers.

    Parameters
    ----------
    title, intro : str
        Printed at the top.
    variables : mapping, optional
        ``{column: {"label": ..., "unit": ..., "decimals": ...}}`` overriding the defaults of
        the paper's variables (:func:`ovcfstats.present._format.variable_info`).
    p_style : str
        How p-values print: ``"default"`` (``< 0.001``, 3 decimals), ``"nejm"``, ``"apa"`` or
        ``"exact"``.
    titles : mapping, optional
        ``{key: heading}`` renaming sections (by their key) and the report's own parts
        (``"methods"``, ``"appendix"``, ``"contents"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import Report, roc_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, 2.9, 2.5, 3.0, 2.2]})
    >>> report = Report("Example").add(roc_auc(df, "vbq"), title="ROC of the VBQ score")
    >>> report.to_markdown().splitlines()[0]
    '# Example'
    >>> Report("x", variables={"vbq": {"decimals": 3}}).variable_info()["vbq"]
    {'label': 'VBQ', 'unit': '', 'decimals': 3}
    """

    title: str = "ovcfstats report"
    intro: str = ""
    items: list[_Item] = field(default_factory=list)
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    p_style: str = "default"
    titles: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.style()  # checks p_style and variables now, not when writing

    def style(self) -> Style:
        """The formatting style of this report (variables and p style)."""
        return Style(variables=dict(self.variables), p_style=self.p_style)

    def variable_info(self) -> dict[str, dict[str, Any]]:
        """Label, unit and decimals of every known variable: the defaults merged with ours."""
        return variable_info(self.variables)

    def add(
        self,
        result: Result,
        title: str | None = None,
        key: str | None = None,
        *,
        figure_caption: str = "",
        appendix: bool = False,
    ) -> Report:
        """Append ``result`` under ``title`` (default: the result's own); returns the report.

        ``appendix=True`` puts all its tables in the appendix (e.g. per-patient listings);
        ``figure_caption`` replaces the default caption of its figure.
        """
        if not isinstance(result, Result):
            raise TypeError(f"Report.add() takes a result object; got {type(result).__name__}.")
        if key is not None and not _KEY.fullmatch(key):
            raise ValueError(
                f"Report.add(key={key!r}): a key names files and anchors, so it takes letters, "
                "digits, '_', '-' and '.' only (at most 60, not starting with '.' or '-'), "
                "e.g. key='table1'."
            )
        key = key or _slug(title or result.title)
        if any(item.key == key for item in self.items):
            key = f"{key}_{len(self.items) + 1}"
        self.items.append(_Item(title or result.title, result, key, None, figure_caption, appendix))
        return self

    def __getitem__(self, key: str) -> Result:
        for item in self.items:
            if key in (item.key, item.title):
                return item.result
        raise KeyError(f"No result {key!r} in the report; keys: {[i.key for i in self.items]}.")

    def keys(self) -> list[str]:
        """The keys of the results, in order."""
        return [item.key for item in self.items]

    def layout(self) -> Any:
        """The report laid out once (sections, captions, appendix) for the writers."""
        from ._layout import build

        return build(self)

    def strobe(self) -> Any:
        """The STROBE case–control checklist filled from the results (a DataFrame)."""
        from ._strobe import strobe_checklist

        return strobe_checklist(self)

    def stard(self) -> Any:
        """The STARD 2015 checklist filled from the results (a DataFrame)."""
        from ._checklists import stard_checklist

        return stard_checklist(self)

    def grras(self) -> Any:
        """The GRRAS reliability checklist filled from the results (a DataFrame)."""
        from ._checklists import grras_checklist

        return grras_checklist(self)

    def methods(self) -> str:
        """The generated "Statistical analysis" paragraph(s), as plain text."""
        return "\n\n".join(self.layout().methods)

    # -- figures --------------------------------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        """key -> matplotlib Figure, for every result that has one (drawn once).

        A figure that cannot show its data (too many indicators to be legible, or degenerate
        data: two patients, identical rows) is left out; :meth:`skipped_figures` says why and
        the report prints it as a note where the figure would be.
        """
        out = {}
        for item in self.items:
            if not item.result.has_plot or getattr(item, "figure_note", ""):
                continue
            if item.figure is None:
                self._draw(item)
            if item.figure is not None:
                out[item.key] = item.figure
        return out

    def skipped_figures(self) -> dict[str, str]:
        """key -> why its figure was left out, for the figures that could not be drawn.

        Examples
        --------
        >>> import pandas as pd
        >>> from ovcfstats import Report, match_controls
        >>> same = pd.DataFrame({"patient_id": list("abcd"), "case": [1, 0, 1, 0],
        ...                      "age": 70, "sex": "F"})
        >>> report = Report().add(match_controls(same), key="matching")
        >>> report.skipped_figures()["matching"]
        'no covariate has a standardised mean difference (...); the balance table lists ...'
        """
        self.figures()
        return {i.key: i.figure_note for i in self.items if getattr(i, "figure_note", "")}

    def _draw(self, item: _Item) -> None:
        """Draw and render (PNG) the figure of ``item``, or note why it cannot be drawn."""
        from ..present._format import drawing_with

        item.rendered = {}
        try:
            with drawing_with(self.variables):  # the study's labels in the figure too
                item.figure = item.result.plot()
            self._render(item, "png")  # a figure that fails to render fails here, not later
        except (ValueError, ArithmeticError) as err:  # NoFigure, or matplotlib on degenerate data
            item.figure, item.rendered = None, {}
            reason = str(err) if isinstance(err, NoFigure) else f"nothing to draw ({err})"
            item.figure_note = reason

    def figure_bytes(self, key: str, fmt: str) -> bytes:
        """The figure of ``key`` as a ``"png"`` (300 dpi) or ``"svg"`` file, rendered once.

        The files, the HTML and the Word document share one rendering per format; a figure
        changed since (e.g. ``report.figures()[key].axes[0].set_title(...)``) is rendered again.

        Examples
        --------
        >>> import pandas as pd
        >>> from ovcfstats import Report, roc_auc
        >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, 2.9, 2.5, 3.0, 2.2]})
        >>> report = Report().add(roc_auc(df, "vbq"), key="roc")
        >>> report.figure_bytes("roc", "svg") is report.figure_bytes("roc", "svg")
        True
        """
        figure = self.figures().get(key)
        if figure is None:
            raise KeyError(f"No figure {key!r} in the report; figures: {list(self.figures())}.")
        return self._render(next(i for i in self.items if i.key == key), fmt)

    @staticmethod
    def _render(item: _Item, fmt: str) -> bytes:
        figure = item.figure
        if figure.stale or not hasattr(item, "rendered"):  # changed since (or an old pickle)
            item.rendered = {}
        if fmt not in item.rendered:  # the layout of a first rendering serves the others
            item.rendered[fmt] = figure_bytes(figure, fmt, laid_out=bool(item.rendered))
            figure.stale = False  # rendering marks it stale (it resets the dpi): it is not
        return item.rendered[fmt]

    def save_figures(
        self, directory: str | Path, formats: tuple[str, ...] = ("png", "svg")
    ) -> list[Path]:
        """Write each figure as ``<key>.<format>`` (PNG at 300 dpi, SVG with editable text)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for key in self.figures():
            for fmt in formats:
                path = directory / f"{key}.{fmt}"
                path.write_bytes(self.figure_bytes(key, fmt))
                paths.append(path)
        return paths

    # -- renderers ------------------------------------------------------------------------------
    def to_markdown(self, figure_dir: str | None = None, *, layout: Any = None) -> str:
        """The report as Markdown; figures are linked as ``figure_dir/<key>.png`` when given."""
        from .markdown import render

        return render(layout or self.layout(), figure_dir)

    def _repr_html_(self) -> str:
        from .html import render

        return render(
            self.layout(), self.figures(), standalone=False, figure_file=self.figure_bytes
        )

    def to_html(self, path: str | Path | None = None, *, layout: Any = None) -> str:
        """One self-contained HTML page (inline CSS, SVG figures), written to ``path`` if given."""
        from .html import render

        html = render(layout or self.layout(), self.figures(), figure_file=self.figure_bytes)
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html

    def to_excel(self, path: str | Path) -> Path:
        """A README sheet, one sheet per table (raw numbers), excluded rows and settings."""
        from .xlsx import render

        render(self, path)
        return Path(path)

    def to_docx(
        self, path: str | Path, excel_name: str = "tables.xlsx", *, layout: Any = None
    ) -> Path:
        """A Word document that fits the page; the appendix is left to ``excel_name``."""
        from .docx import render

        render(layout or self.layout(), self.figures(), path, excel_name, self.figure_bytes)
        return Path(path)

    def save(self, directory: str | Path, *, force: bool = False) -> dict[str, Path]:
        """Write report.html, report.md, tables.xlsx, report.docx and figures/ to ``directory``.

        The files are written to a temporary sibling folder that is moved into place whole,
        so a failing or interrupted save leaves ``directory`` as it was. An existing folder
        that is not empty is refused (a :class:`~ovcfstats.DataError`) unless ``force=True``,
        which replaces the whole folder (no file of an earlier report survives); a folder
        holding anything else than a report is never replaced. The same report gives the
        same bytes in every file on every run.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from ovcfstats import Report, roc_auc
        >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, 2.9, 2.5, 3.0, 2.2]})
        >>> report = Report("Example").add(roc_auc(df, "vbq"), key="roc")
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
        >>> sorted(report.save(out))
        ['docx', 'excel', 'figures', 'html', 'markdown']
        >>> report.save(out)
        Traceback (most recent call last):
        ovcfstats._validate.DataError: ... is not empty (...); give a new folder, or force=True ...
        >>> report.save(out, force=True)["html"].name
        'report.html'
        """
        from ._folder import relocate, staged

        directory = Path(directory)
        with staged(directory, force) as tmp:
            paths = self._write(tmp)
        return relocate(paths, tmp, directory)

    def _write(self, directory: Path) -> dict[str, Path]:
        """Write the report's files to the existing folder ``directory``."""
        layout = self.layout()  # laid out once for every writer
        self.save_figures(directory / "figures")
        markdown = self.to_markdown("figures", layout=layout)
        (directory / "report.md").write_text(markdown, encoding="utf-8")
        self.to_html(directory / "report.html", layout=layout)
        out = {
            "html": directory / "report.html",
            "markdown": directory / "report.md",
            "figures": directory / "figures",
        }
        try:
            out["excel"] = self.to_excel(directory / "tables.xlsx")
            out["docx"] = self.to_docx(directory / "report.docx", layout=layout)
        except ImportError as err:  # the export extra is optional
            raise ImportError(
                f"{err}. Install the export extra: pip install 'ovcfstats[export]'."
            ) from err
        return out


#: a key of :meth:`Report.add`: a file name and an HTML id as it is
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,59}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "result"


__all__ = ["Report"]
