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
    """Base class of the warnings ovcfstats issues for valid input with a shaky result."""


class SeparationWarning(OvcfWarning):
    """Complete or quasi-complete separation in a logistic model."""


class ConvergenceWarning(OvcfWarning):
    """An iterative fit did not converge."""


class SmallSampleWarning(OvcfWarning):
    """Too few observations or events for the requested analysis."""


class DegenerateDataWarning(OvcfWarning):
    """A constant variable, all-tied scores, or a similar degenerate input."""


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

    def report_tables(self) -> dict[str, pd.DataFrame]:
        """The tables as a journal prints them (text cells); the report renders these."""
        from ._format import format_table

        return {name: format_table(frame) for name, frame in self.tables().items()}

    def notes(self) -> list[str]:
        """Lines printed under the tables: conventions, then warnings, then exclusions."""
        lines = [f"Warning: {w}" for w in self.warnings]
        if len(self.excluded):
            counts = self.excluded.groupby("reason", sort=False).size()
            lines += [f"Excluded: {n} ({reason})" for reason, n in counts.items()]
        return lines

    # -- rendering ------------------------------------------------------------------------
    def summary(self) -> str:
        """The result as plain text: title, settings, tables, notes."""
        with pd.option_context("display.width", 120, "display.max_columns", 30):
            parts = [self.title, "=" * len(self.title)]
            if self.settings:
                parts.append(_settings_line(self.settings))
            for name, frame in self.tables().items():
                if name != "table":
                    parts.append(f"\n{name}:")
                parts.append(frame.to_string(index=False) if len(frame) else "(empty)")
            parts += self.notes()
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from html import escape

        html = [f"<h4>{escape(self.title)}</h4>"]
        if self.settings:
            html.append(f"<p><small>{escape(_settings_line(self.settings))}</small></p>")
        for name, frame in self.tables().items():
            if name != "table":
                html.append(f"<p><b>{escape(name)}</b></p>")
            html.append(frame.to_html(index=False, na_rep=""))
        html += [f"<p><small>{escape(line)}</small></p>" for line in self.notes()]
        return "\n".join(html)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result's figure; returns a matplotlib ``Figure``."""
        raise NotImplementedError(f"{type(self).__name__} has no figure.")


def _settings_line(settings: Mapping[str, Any]) -> str:
    return "Settings: " + ", ".join(f"{k}={v!r}" for k, v in settings.items())
