"""The result protocol shared by every step of the study.

Every public analysis returns a subclass of :class:`Result`: a frozen dataclass holding a tidy
``table`` of raw (unrounded) numbers, the rows ``excluded`` with their reasons, the ``warnings``
raised while computing, and the ``settings`` that produced it. Rendering (``summary()``,
``_repr_html_``, the :class:`~ovcfstats.Report`) only formats what is stored; nothing recomputes.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

EXCLUDED_COLUMNS = ("id", "variable", "reason")


class OvcfWarning(UserWarning):
    """Base class of the warnings ovcfstats issues for valid input with a shaky result.

    Examples
    --------
    >>> import warnings
    >>> from ovcfstats import OvcfWarning, SeparationWarning
    >>> issubclass(SeparationWarning, OvcfWarning)  # every warning of ovcfstats is one
    True
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", OvcfWarning)  # e.g. stop a script on any of them
    ...     warnings.warn("a shaky estimate", SeparationWarning)
    Traceback (most recent call last):
    ...
    ovcfstats._results.SeparationWarning: a shaky estimate
    """


class SeparationWarning(OvcfWarning):
    """Complete or quasi-complete separation in a logistic model.

    Examples
    --------
    >>> from ovcfstats import OvcfWarning, SeparationWarning
    >>> issubclass(SeparationWarning, OvcfWarning)
    True
    """


class ConvergenceWarning(OvcfWarning):
    """An iterative fit did not converge.

    Examples
    --------
    >>> from ovcfstats import ConvergenceWarning, OvcfWarning
    >>> issubclass(ConvergenceWarning, OvcfWarning)
    True
    """


class SmallSampleWarning(OvcfWarning):
    """Too few observations or events for the requested analysis.

    Examples
    --------
    >>> from ovcfstats import OvcfWarning, SmallSampleWarning
    >>> issubclass(SmallSampleWarning, OvcfWarning)
    True
    """


class DegenerateDataWarning(OvcfWarning):
    """A constant variable, all-tied scores, or a similar degenerate input.

    Examples
    --------
    >>> from ovcfstats import DegenerateDataWarning, OvcfWarning
    >>> issubclass(DegenerateDataWarning, OvcfWarning)
    True
    """


def empty_excluded() -> pd.DataFrame:
    """An empty ``excluded`` table with the standard columns ``id``, ``variable``, ``reason``."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in EXCLUDED_COLUMNS})


def make_excluded(ids: Any, variable: str | Any, reason: str | Any) -> pd.DataFrame:
    """Build an ``excluded`` table; ``variable`` and ``reason`` may be scalars or sequences."""
    ids = list(ids)
    frame = pd.DataFrame({"id": pd.Series(ids, dtype=object)})
    frame["variable"] = pd.Series(
        variable if not isinstance(variable, str) else [variable] * len(ids), dtype=object
    )
    frame["reason"] = pd.Series(
        reason if not isinstance(reason, str) else [reason] * len(ids), dtype=object
    )
    return frame if len(ids) else empty_excluded()


def concat_excluded(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack ``excluded`` tables, keeping the standard columns even when all are empty."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_excluded()
    return pd.concat(parts, ignore_index=True)


def warn(notes: list[str], message: str, category: type[Warning] = OvcfWarning) -> None:
    """Issue ``message`` as a warning of ``category`` and record it in ``notes``.

    The note list becomes the result's ``warnings`` so that a report shows what a console showed.
    """
    notes.append(message)
    _warnings.warn(message, category, stacklevel=3)


@dataclass(frozen=True, eq=False)
class Result:
    """Base of every result object.

    Attributes
    ----------
    table : pandas.DataFrame
        The main tidy table, raw numbers, never rounded.
    excluded : pandas.DataFrame
        Rows left out, one per (id, variable), with columns ``id``, ``variable``, ``reason``.
    warnings : tuple of str
        Warnings issued while computing, in order.
    settings : mapping
        The arguments and conventions that produced the result.

    Examples
    --------
    >>> import ovcfstats as ov
    >>> result = ov.power_auc(0.75, power=0.8)
    >>> isinstance(result, ov.Result)
    True
    >>> [hasattr(result, a) for a in ("table", "excluded", "warnings", "settings", "summary")]
    [True, True, True, True, True]
    """

    table: pd.DataFrame
    excluded: pd.DataFrame = field(default_factory=empty_excluded)
    warnings: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    #: Short human title used by ``summary()`` and the report.
    title: ClassVar[str] = "Result"
    #: Whether :meth:`plot` draws a figure for this result.
    has_plot: ClassVar[bool] = False

    # -- tables ---------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the result by name, main table first (the report exports each)."""
        return {"table": self.table.copy()}

    def report_tables(self, style: Any = None) -> dict[str, pd.DataFrame]:
        """The main tables as a journal prints them (text cells), by name.

        ``style`` is an :class:`ovcfstats.present._format.Style` (labels, units, decimals, p style).
        """
        from .present._present import present

        return {t.name: t.frame for t in present(self, style).main}

    def notes(self) -> list[str]:
        """Lines printed under the tables: conventions, then warnings, then exclusions."""
        lines = [f"Warning: {w}" for w in self.warnings]
        if len(self.excluded):
            counts = self.excluded.groupby("reason", sort=False).size()
            lines += [f"Excluded: {n} ({reason})" for reason, n in counts.items()]
        return lines

    # -- rendering ------------------------------------------------------------------------
    def summary(self, style: Any = None) -> str:
        """The result as plain text, laid out as the report prints it.

        Title, settings in words, the main tables, the notes, and one line per appendix table
        (listings, all forms, coefficients: in ``tables()`` and the report's appendix).
        """
        from .present._present import present, settings_in_words

        shown = present(self, style)
        parts = [self.title, "=" * len(self.title)]
        if self.settings:
            parts.append("Settings: " + settings_in_words(self.settings, style))
        for t in shown.main:
            if len(shown.main) > 1 or t.caption:
                parts.append(f"\n{t.caption or t.name}:")
            parts.append(t.frame.to_string(index=False) if len(t.frame) else "(none)")
        parts += [f"- {n}" for n in shown.notes]
        parts += [f"Appendix: {t.name} ({len(t.frame)} rows)" for t in shown.appendix]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        rows = f"{len(self.table)} row" + ("s" if len(self.table) != 1 else "")
        extra = [f"{len(self.excluded)} excluded"] if len(self.excluded) else []
        extra += [f"{len(self.warnings)} warning(s)"] if self.warnings else []
        return f"<{type(self).__name__}: {self.title}; {', '.join([rows, *extra])}>"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # @dataclass adds a field-by-field __repr__ (nested DataFrames, pages long) unless the
        # class defines one itself: give every subclass the one-line repr before it runs.
        super().__init_subclass__(**kwargs)
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = Result.__repr__  # type: ignore[method-assign]

    def _repr_html_(self) -> str:
        """The result as the report prints it: its tables and footnotes in words.

        The conventions of the computation and the settings are in :meth:`summary`.
        """
        from html import escape

        from .present._present import report_parts

        shown, _ = report_parts(self)
        html = [f"<h4>{escape(self.title)}</h4>"]
        for t in shown.main:
            if len(shown.main) > 1 or t.caption:
                html.append(f"<p><b>{escape(t.caption or t.name)}</b></p>")
            html.append(html_table(t.frame))
        html += [f"<p><small>{escape(line)}</small></p>" for line in shown.notes]
        html += [
            f"<p><small>Appendix: {escape(t.name)} ({len(t.frame)} rows) in "
            "<code>.tables()</code></small></p>"
            for t in shown.appendix
        ]
        return "\n".join(html)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result's figure; returns a matplotlib ``Figure``."""
        raise NotImplementedError(f"{type(self).__name__} has no figure.")


#: three-line table: rules above and below the header and under the last row only
THREE_LINE_CSS = "border-collapse:collapse;border-top:2px solid #222;border-bottom:2px solid #222"


def html_table(frame: pd.DataFrame, css_class: str = "three-line") -> str:
    """A text-celled table as HTML: numbers right-aligned and unbroken, rules as a journal's.

    Styled inline so that it looks the same in Jupyter and in the report.
    """
    from html import escape

    from .present._format import is_numeric_cell

    text = frame.astype(str)
    right = [
        j > 0 and sum(map(is_numeric_cell, text[c])) >= len(text) / 2
        for j, c in enumerate(text.columns)
    ]

    def cell(tag: str, value: str, j: int) -> str:
        align = "right" if right[j] else "left"
        rule = "border-bottom:1px solid #222;" if tag == "th" else ""
        wrap = "white-space:nowrap;" if is_numeric_cell(value) else ""
        style = f"text-align:{align};padding:2px 8px;{rule}{wrap}"
        return f'<{tag} style="{style}">{escape(value)}</{tag}>'

    head = "".join(cell("th", str(c), j) for j, c in enumerate(text.columns))
    body = "".join(
        "<tr>" + "".join(cell("td", v, j) for j, v in enumerate(row)) + "</tr>"
        for row in text.to_numpy().tolist()
    )
    return (
        f'<table class="{css_class}" style="{THREE_LINE_CSS}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
