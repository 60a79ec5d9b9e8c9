"""One formatted table and a result's presentation: what every layout returns.

A :class:`Presentation` holds the *main* tables of a result, its *appendix* tables and its notes;
:func:`ovcfstats.present._present.present` builds one through the layout of the result's class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Table:
    """One formatted table: a short ``name`` (also the Excel sheet's), text cells, a caption."""

    name: str
    frame: pd.DataFrame
    caption: str = ""


@dataclass
class Presentation:
    """The main tables, the appendix tables and the notes of one result."""

    main: list[Table] = field(default_factory=list)
    appendix: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _level_pct(alpha: float) -> str:
    return f"{100 * (1 - float(alpha)):g}%"


def _ci_head(result: Any) -> str:
    return f"{_level_pct(result.settings.get('alpha', 0.05))} CI"


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
