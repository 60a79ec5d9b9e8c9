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

import re
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


def report_parts(result: Any, style: Style | None = None) -> tuple[Presentation, list[str]]:
    """``result`` as a report's body prints it, and its technical notes for the appendix.

    The body keeps the layout's footnotes (in words), the warnings and one summary of the
    excluded rows; the conventions of the computation (formulas, the R and SPSS equivalents)
    are returned apart, for the appendix.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import roc_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, None, 2.5, 3.0, 2.2]})
    >>> shown, details = report_parts(roc_auc(df, "vbq"))
    >>> shown.notes[-1]
    '1 patient without a value of VBQ was left out (listed in the appendix).'
    >>> any("DeLong" in line for line in details)
    True
    """
    style = style or Style()
    out = LAYOUTS.get(type(result).__name__, _generic)(result, style)
    warned = [f"Warning: {w}" for w in _merged([_in_words(w, style) for w in result.warnings])]
    details = [n for n in result.notes() if not n.startswith(("Warning: ", "Excluded: "))]
    summary = exclusion_summary(result.excluded, style)
    out.notes = out.notes + warned + ([summary] if summary else [])
    return out, details


def exclusion_summary(excluded: Any, style: Style) -> str:
    """One sentence counting the patients left out per variable (the list is elsewhere).

    Examples
    --------
    >>> import pandas as pd
    >>> ex = pd.DataFrame({"id": ["a", "b", "c"], "variable": ["bmi", "bmi", "hu"],
    ...                    "reason": ["missing bmi", "pair partner a missing bmi", "missing hu"]})
    >>> exclusion_summary(ex, Style())
    '3 patients were left out ...: 2 for BMI (1 of them for a matched partner without it), ...'
    """
    if excluded is None or not len(excluded):
        return ""
    parts = []
    for var, g in excluded.groupby("variable", sort=False):
        name = _variable_words(str(var), style)
        partner = int(g["reason"].astype(str).str.startswith(("pair partner", "set ")).sum())
        n = g["id"].nunique()
        parts.append(f"{n} for {name}" + (f" ({partner} of them for a matched partner "
                                            "without it)" if partner else ""))  # fmt: skip
    total = excluded["id"].nunique()
    if len(parts) == 1 and "(" not in parts[0]:
        name = parts[0].split(" for ", 1)[1]
        who = "1 patient" if total == 1 else f"{total} patients"
        verb = "was" if total == 1 else "were"
        return f"{who} without a value of {name} {verb} left out (listed in the appendix)."
    who = "1 patient was" if total == 1 else f"{total} patients were"
    return (
        f"{who} left out where a value was missing, each only from the rows and models "
        f"needing it: {', '.join(parts)}; the list is in the appendix."
    )


def _in_words(message: str, style: Style) -> str:
    """A warning as the body prints it: no function name, variables by their labels.

    Examples
    --------
    >>> _in_words("logistic_or(): model 'hu' has 40 events", Style())
    'model HU has 40 events'
    """
    text = re.sub(r"^[a-z_]+\(\): ", "", message)
    return re.sub(r"'([^'\s]+)'", lambda m: style.label(m.group(1)), text)


def _merged(messages: list[str]) -> list[str]:
    """The same warning for several models said once: ``models HU, FI have 28 events ...``.

    Examples
    --------
    >>> _merged(["model HU has 9 events", "model FI has 9 events", "other"])
    ['models HU and FI have 9 events', 'other']
    """
    groups: dict[str, list[str]] = {}
    out: list[str] = []
    for text in dict.fromkeys(messages):
        hit = re.match(r"model (\S+) has (.*)$", text, re.S)
        if hit is None:
            out.append(text)
            continue
        if hit.group(2) not in groups:
            groups[hit.group(2)] = []
            out.append(hit.group(2))  # a placeholder, replaced below
        groups[hit.group(2)].append(hit.group(1))
    for rest, models in groups.items():
        one = f"model {models[0]} has {rest}"
        many = f"models {', '.join(models[:-1])} and {models[-1]} have {rest}"
        out[out.index(rest)] = one if len(models) == 1 else many
    return out


def _variable_words(var: str, style: Style) -> str:
    """A variable of an exclusion in words: ``T-score vs HU``, ``its matched set``."""
    if not var:
        return "the analysis"
    if var in ("pair_id", "set_id", "strata"):
        return "an incomplete matched set"
    return " vs ".join(style.label(v) for v in var.split(" vs "))


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
