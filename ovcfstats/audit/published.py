"""A paper's printed numbers as a table: the layout :func:`~ovcfstats.audit_reported` reads.

One row per printed number, with the columns

==============  ==================================================================================
``source``      where it is printed ("Table 1", "Results text", ...)
``item``        the variable, or two variables joined by ``~`` for a correlation between them
``statistic``   what it is: one of :data:`STATISTICS`
``group``       ``cases``, ``controls`` or empty
``printed``     the text exactly as printed (``<0.001``, ``64.1%``, ``(-2.47``; typos kept)
``relation``    ``=`` or ``<`` (filled from ``printed`` when absent)
``value``       the printed number (filled from ``printed`` when absent; ``higher`` → 1 and
                ``lower`` → −1 for ``direction``)
==============  ==================================================================================

Group sizes are given per source: rows with statistic ``n``, item ``n`` and group ``cases`` and
``controls`` (or an empty group for a total, e.g. under a correlation table). A source without its
own sizes uses those of the first source that has them (papers often print n once, in Table 1).

:data:`TEMPLATE` is a small filled-in example of every statistic;
:func:`write_published_template` saves it as a CSV to edit, and :func:`read_published` reads
such a file back (CSV, any delimiter; ``.xlsx`` with the ``export`` extra).

Examples
--------
>>> from ovcfstats.audit.published import TEMPLATE, parse_printed
>>> sorted(set(TEMPLATE["statistic"]))[:4]
['auc', 'count', 'direction', 'mean']
>>> parse_printed("<0.001"), parse_printed("64.1%"), parse_printed("(−2.47")
(('<', 0.001), ('=', 64.1), ('=', -2.47))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._validate import DataError, check_columns, check_frame

COLUMNS = ("source", "item", "statistic", "group", "printed", "relation", "value")

#: Statistics the audit understands, and what each is.
STATISTICS = {
    "n": "group size of the source (group 'cases'/'controls', or '' for a total)",
    "mean": "group mean (group 'cases'/'controls')",
    "sd": "group standard deviation (group 'cases'/'controls')",
    "count": "number of patients with the item (group 'cases'/'controls')",
    "percent": "percentage of the group with the item (group 'cases'/'controls')",
    "p": "p-value of the group comparison of the item (Table 1)",
    "rho": "Spearman correlation with the outcome, or between two items 'a~b'",
    "p_rho": "p-value of the correlation with the outcome",
    "or": "odds ratio of the item",
    "or_ci_low": "lower bound of the odds ratio's 95% CI",
    "or_ci_high": "upper bound of the odds ratio's 95% CI",
    "p_or": "p-value of the odds ratio",
    "auc": "area under the ROC curve of the item",
    "direction": "text saying the item is 'higher' or 'lower' in cases (group 'cases')",
    "min": "a minimum stated in the text (not checked)",
}

_EXAMPLE = [
    ("Table 1", "n", "n", "cases", "40"),
    ("Table 1", "n", "n", "controls", "40"),
    ("Table 1", "age", "mean", "cases", "71.2"),
    ("Table 1", "age", "sd", "cases", "8.4"),
    ("Table 1", "age", "mean", "controls", "70.8"),
    ("Table 1", "age", "sd", "controls", "8.9"),
    ("Table 1", "age", "p", "", "0.836"),
    ("Table 1", "diabetes", "count", "cases", "12"),
    ("Table 1", "diabetes", "percent", "cases", "30.0%"),
    ("Table 1", "diabetes", "count", "controls", "9"),
    ("Table 1", "diabetes", "percent", "controls", "22.5%"),
    ("Table 1", "diabetes", "p", "", "0.446"),
    ("Table 2", "hu", "rho", "", "-0.512"),
    ("Table 2", "hu", "p_rho", "", "<0.001"),
    ("Table 2", "hu", "or", "", "0.94"),
    ("Table 2", "hu", "or_ci_low", "", "0.91"),
    ("Table 2", "hu", "or_ci_high", "", "0.97"),
    ("Table 2", "hu", "p_or", "", "<0.001"),
    ("Table 3", "n", "n", "", "80"),
    ("Table 3", "hu~vbq", "rho", "", "-0.61"),
    ("Table 3", "vbq~hu", "rho", "", "-0.61"),
    ("Results text", "hu", "auc", "", "0.795"),
    ("Results text", "hu", "direction", "cases", "lower"),
]


def parse_printed(text: str) -> tuple[str, float]:
    """(relation, value) of a printed number: ``<0.001``, ``64.1%``, ``(−2.47``, ``higher``."""
    clean = str(text).strip().strip("()%").replace("−", "-").replace("–", "-").strip()
    if clean in ("higher", "lower"):
        return "=", 1.0 if clean == "higher" else -1.0
    relation = "="
    if clean.startswith(("<", "≤")):
        relation, clean = "<", clean[1:].strip()
    try:
        return relation, float(clean)
    except ValueError:
        raise DataError(
            f"read_published(): cannot read the printed number {text!r}; write it as printed "
            "with digits (e.g. 0.034, <0.001, 64.1%, -2.47) or 'higher'/'lower' for a direction."
        ) from None


def complete(table: pd.DataFrame, func: str = "audit_reported") -> pd.DataFrame:
    """Check the layout and fill ``relation`` and ``value`` from ``printed`` where missing."""
    check_frame(table, func, "published")
    check_columns(table, COLUMNS[:5], func, "published")
    out = table.copy()
    out["group"] = out["group"].fillna("").astype(str).str.strip().str.lower()
    for col in ("source", "item", "statistic"):
        out[col] = out[col].astype(str).str.strip()
    out["printed"] = out["printed"].astype(str).str.strip()
    unknown = sorted(set(out["statistic"]) - set(STATISTICS))
    if unknown:
        raise DataError(
            f"{func}(): unknown statistic(s) {unknown} in the published table. Use one of "
            f"{sorted(STATISTICS)} (see ovcfstats.audit.published.STATISTICS)."
        )
    bad_group = sorted(set(out["group"]) - {"", "cases", "controls"})
    if bad_group:
        raise DataError(f"{func}(): group must be 'cases', 'controls' or empty; found {bad_group}.")
    parsed = [parse_printed(t) for t in out["printed"]]
    for col, i in (("relation", 0), ("value", 1)):
        given = out[col] if col in out.columns else pd.Series(np.nan, index=out.index)
        filled = pd.Series([p[i] for p in parsed], index=out.index)
        out[col] = given.where(given.notna(), filled)
    out["value"] = out["value"].astype(float)
    out["relation"] = out["relation"].astype(str)  # the same text dtype as the other columns
    return out[list(COLUMNS)].reset_index(drop=True)


def _template() -> pd.DataFrame:
    rows = [(*r, *parse_printed(r[4])) for r in _EXAMPLE]
    return pd.DataFrame(rows, columns=list(COLUMNS))


#: A filled-in example of the layout (one row per printed number); see the module docstring.
TEMPLATE: pd.DataFrame = _template()


def write_published_template(path: str | Path) -> Path:
    """Write :data:`TEMPLATE` as a CSV to edit (``relation``/``value`` may be left empty).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_published_template(pathlib.Path(tempfile.mkdtemp()) / "published.csv")
    >>> read_published(out).equals(TEMPLATE)
    True
    """
    path = Path(path)
    TEMPLATE.to_csv(path, index=False)
    return path


def read_published(path: str | Path) -> pd.DataFrame:
    """Read a paper's printed numbers (CSV or ``.xlsx``) in the layout above, checked and filled.

    Every cell is read as text so that what was printed (``0.80``, ``007``) stays as printed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import ovcfstats as ov
    >>> path = Path(tempfile.mkdtemp()) / "published.csv"
    >>> ov.write_published_template(path).name  # a filled-in example to edit
    'published.csv'
    >>> ov.read_published(path).columns.tolist()
    ['source', 'item', 'statistic', 'group', 'printed', 'relation', 'value']
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"read_published(): no file {str(path)!r}. Write a template with "
            "ovcfstats.write_published_template(path) and fill it in."
        )
    if path.suffix.lower() in (".xlsx", ".xls"):
        table = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    for col in ("relation", "value"):
        if col in table.columns:
            table[col] = table[col].replace("", np.nan)
    if "value" in table.columns:
        table["value"] = pd.to_numeric(table["value"], errors="coerce")
    return complete(table, "read_published")
