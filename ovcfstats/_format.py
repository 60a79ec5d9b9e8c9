"""Numbers as journals print them; used by the report only (result tables keep raw values).

Rules by column name: p-values as ``< 0.001`` or three decimals; odds ratios and their CIs two
decimals; correlations, AUCs, ICCs, sensitivities and specificities three decimals; counts as
integers; anything else with up to four significant digits.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

THREE_DECIMALS = ("rho", "auc", "icc", "sensitivity", "specificity", "se", "smd", "youden", "diff")
TWO_DECIMALS = ("or", "mean", "sd", "median", "q1", "q3", "statistic", "chi2", "z", "F", "t")
INTEGER = ("n", "count", "events", "pair_id")


def format_p(p: Any) -> str:
    """``< 0.001`` below a thousandth, else three decimals; blanks stay blank."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _number(x: float, decimals: int | None) -> str:
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if decimals is None:
        return f"{x:.4g}"
    return f"{x:.{decimals}f}"


def _rule(column: str) -> str:
    name = column.lower()
    parts = name.split("_")
    if name == "p" or parts[0] == "p" or parts[-1] == "p":
        return "p"
    if name in ("df", "df1", "df2"):
        return "df"
    if name in INTEGER or name.startswith(("n_", "count_")):
        return "int"
    if "pct" in parts or "percent" in parts:
        return "1"
    if parts[0] == "or":
        return "2"
    if any(p in THREE_DECIMALS for p in parts) or name.startswith(("sens_", "spec_")):
        return "3"
    if any(p in TWO_DECIMALS for p in parts):
        return "2"
    return "g"


def format_value(value: Any, rule: str) -> str:
    """One cell by rule ("p", "int", "df", "1", "2", "3", "g")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    x = float(value)
    if rule == "p":
        return format_p(x)
    if rule == "int" or (rule == "df" and x.is_integer()):
        return _number(x, 0)
    if rule == "df":
        return _number(x, 1)
    return _number(x, {"1": 1, "2": 2, "3": 3}.get(rule))


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with every cell as journal-formatted text.

    ``ci_low``/``ci_high`` follow the statistic they belong to: two decimals beside an ``or``
    column, three beside ``rho``/``auc``/``icc``, else up to four significant digits.
    """
    out = pd.DataFrame(index=table.index)
    ci_rule = "2" if "or" in table.columns else "3" if {"rho", "auc", "icc"} & set(table) else "g"
    for column in table.columns:
        rule = ci_rule if column in ("ci_low", "ci_high") else _rule(str(column))
        out[column] = [format_value(v, rule) for v in table[column].tolist()]
    return out


def markdown_table(table: pd.DataFrame) -> str:
    """A GitHub-flavoured pipe table (no extra dependency)."""
    cells = table.astype(str).map(lambda s: s.replace("|", "\\|").replace("\n", " "))
    header = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(row) + " |" for row in cells.to_numpy().tolist()]
    return "\n".join([header, rule, *rows])
