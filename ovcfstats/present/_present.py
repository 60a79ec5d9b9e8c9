"""Each result as the tables a journal prints: the layout shared by every renderer.

:func:`present` turns a result into a :class:`Presentation`: the *main* tables (what a paper
prints: labels with units, fixed decimals, ``OR (95% CI)`` in one cell, p in the chosen style)
and the *appendix* tables (per-patient listings, all ICC forms, model coefficients, …). Every
cell is text; the raw numbers stay in the result's ``.table`` and in Excel. The report,
``summary()`` and ``_repr_html_`` all call this one function, so they always agree.

Layouts (:mod:`ovcfstats.present._layouts`) are chosen by the result's class name so that
neither module imports a step module; a result without a dedicated layout gets every table
formatted column by column.
"""

from __future__ import annotations

from typing import Any

from ._format import (
    Style,
    format_setting,
    format_table,
)
from ._layouts import LAYOUTS
from ._table import Presentation, Table


def present(result: Any, style: Style | None = None) -> Presentation:
    """The journal layout of ``result`` (see the module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import roc_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, 2.9, 2.5, 3.0, 2.2]})
    >>> present(roc_auc(df, "vbq")).main[0].frame.iloc[0, :2].tolist()
    ['VBQ', '0.889 (0.581–1.000)']
    """
    style = style or Style()
    layout = LAYOUTS.get(type(result).__name__, _generic)
    out = layout(result, style)
    out.notes = out.notes + list(result.notes())
    return out


def settings_in_words(settings: Any, style: Style | None = None) -> str:
    """``name: value; …`` with values in words (no Python reprs).

    Examples
    --------
    >>> settings_in_words({"method": "optimal", "seed": None, "adjust": ("age", "bmi")}, Style())
    'method: optimal; seed: none; adjust: Age, BMI'
    """
    return "; ".join(f"{k}: {format_setting(v, style)}" for k, v in dict(settings).items())


def _generic(result: Any, style: Style) -> Presentation:
    tables = result.tables()
    main = [Table(name, format_table(frame, style.p_style)) for name, frame in tables.items()]
    return Presentation(main=main)
