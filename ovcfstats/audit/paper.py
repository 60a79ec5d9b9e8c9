"""The paper's published numbers, typed exactly as printed, with their table/row references.

``PUBLISHED`` is one tidy table: ``source`` (table or text passage), ``item`` (variable or pair),
``statistic``, ``group`` ("cases", "controls" or ""), ``printed`` (the text as printed, typos
kept: Table 3 prints HU–FI as "-818"), ``relation`` ("=" or "<" for "<0.001") and ``value`` (the
printed number as a float, nothing corrected). :func:`~ovcfstats.audit_reported` checks these
numbers against each other; the replication in the report sets them beside the reproduced ones.

Examples
--------
>>> from ovcfstats import PUBLISHED
>>> row = PUBLISHED.query("source == 'Table 3' and item == 'hu~fi'").iloc[0]
>>> print(row.printed, row.value)
-818 -818.0
"""

from __future__ import annotations

import pandas as pd

N_CASES = N_CONTROLS = 78
TABLE1_GROUPS = {  # item: (cases, controls, p) as printed ("mean + SD" in the paper)
    "age": ("72.21 + 10.53", "71.57 + 9.42", "0.666"),
    "bmi": ("22.79 + 3.08", "22.91 + 2.86", "0.806"),
    "t_score": ("(-2.47 + 0.83)", "(-1.34 + 1.44)", "<0.001"),
    "hu": ("66.96 + 10.3", "88.74 + 16.32", "<0.001"),
    "vbq": ("4.13 + 0.34", "3.06 + 0.39", "<0.001"),
    "rcsa": ("2.48 + 0.29", "2.69 + 0.44", "0.001"),
    "fi": ("16.18 + 1.14", "17.18 + 0.95", "<0.001"),
}
TABLE1_COUNTS = {  # item: (cases, controls, p) as printed
    "female": ("50 (64.1%)", "50 (64.1%)", "1"),
    "hypertension": ("42", "35", "0.262"),
    "diabetes": ("46", "37", "0.149"),
    "hyperlipidemia": ("31", "38", "0.259"),
}
FRACTURE_LEVELS = {"L1": "23 (29.5%)", "L2": "18 (23.1%)", "L3": "26 (33.3%)", "L4": "11 (14.1%)"}
TABLE2 = {  # item: (rho, p, OR, 95% CI, p) as printed
    "t_score": ("-0.399", "<0.001", "0.533", "0.37–1.13", "0.08"),
    "hu": ("-0.665", "<0.001", "0.39", "0.29–0.77", "0.02"),
    "vbq": ("0.84", "<0.001", "2.98", "1.78–8.25", "0.007"),
    "rcsa": ("-0.297", "0.007", "0.69", "0.52–1.05", "0.91"),
    "fi": ("0.568", "<0.001", "1.47", "0.85–2.3", "0.18"),
}
TABLE3_ORDER = ("t_score", "hu", "vbq", "rcsa", "fi")
TABLE3_ROWS = (  # as printed, row by row, "" on the diagonal
    ("", "0.926", "-0.82", "0.679", "-0.759"),
    ("0.926", "", "-0.823", "0.625", "-818"),
    ("-0.82", "-0.823", "", "-0.634", "0.919"),
    ("0.679", "0.625", "-0.634", "", "-0.74"),
    ("-0.759", "-818", "0.919", "-0.74", ""),
)
#: Results text: which group has the higher values ("The average T-score, VBQ score and average FI
#: in the OVCF group were significantly higher than those in the control group, and HU value and
#: average total rCSA were significantly lower")
TEXT_DIRECTIONS = {
    "t_score": "higher",
    "vbq": "higher",
    "fi": "higher",
    "hu": "lower",
    "rcsa": "lower",
}


def _number(text: str) -> tuple[str, float]:
    text = text.strip().strip("()%")
    if text.startswith("<"):
        return "<", float(text[1:])
    return "=", float(text)


def _records() -> list[tuple[str, str, str, str, str]]:
    rec: list[tuple[str, str, str, str, str]] = [
        ("Table 1", "n", "n", "cases", str(N_CASES)),
        ("Table 1", "n", "n", "controls", str(N_CONTROLS)),
    ]
    for item, (cases, controls, p) in TABLE1_GROUPS.items():
        for group, cell in (("cases", cases), ("controls", controls)):
            mean, sd = cell.strip("()").split(" + ")
            rec += [("Table 1", item, "mean", group, mean), ("Table 1", item, "sd", group, sd)]
        rec.append(("Table 1", item, "p", "", p))
    for item, (cases, controls, p) in TABLE1_COUNTS.items():
        for group, cell in (("cases", cases), ("controls", controls)):
            parts = cell.split(" ")
            rec.append(("Table 1", item, "count", group, parts[0]))
            if len(parts) > 1:
                rec.append(("Table 1", item, "percent", group, parts[1]))
        rec.append(("Table 1", item, "p", "", p))
    for level, cell in FRACTURE_LEVELS.items():
        count, pct = cell.split(" ")
        rec += [
            ("Table 1", f"fracture {level}", "count", "cases", count),
            ("Table 1", f"fracture {level}", "percent", "cases", pct),
        ]
    for item, (rho, p_rho, odds, ci, p_or) in TABLE2.items():
        low, high = ci.split("–")
        rec += [
            ("Table 2", item, "rho", "", rho),
            ("Table 2", item, "p_rho", "", p_rho),
            ("Table 2", item, "or", "", odds),
            ("Table 2", item, "or_ci_low", "", low),
            ("Table 2", item, "or_ci_high", "", high),
            ("Table 2", item, "p_or", "", p_or),
        ]
    for i, row in enumerate(TABLE3_ROWS):
        for j, cell in enumerate(row):
            if cell:
                item = f"{TABLE3_ORDER[i]}~{TABLE3_ORDER[j]}"
                rec.append(("Table 3", item, "rho", "", cell))
    rec += [
        ("Results text", "vbq", "auc", "", "0.895"),
        ("Abstract", "vbq", "auc", "", "0.89"),
        ("Results text", "icc", "min", "", "0.8"),
    ]
    rec += [
        ("Results text", item, "direction", "cases", text) for item, text in TEXT_DIRECTIONS.items()
    ]
    return rec


def _published() -> pd.DataFrame:
    rows = []
    for source, item, statistic, group, printed in _records():
        if statistic == "direction":
            relation, value = "=", 1.0 if printed == "higher" else -1.0
        else:
            relation, value = _number(printed)
        rows.append((source, item, statistic, group, printed, relation, value))
    return pd.DataFrame(
        rows, columns=["source", "item", "statistic", "group", "printed", "relation", "value"]
    )


#: The paper's numbers as printed (see the module docstring).
#:
#: Examples
#: --------
#: >>> from ovcfstats import PUBLISHED
#: >>> PUBLISHED.columns.tolist()
#: ['source', 'item', 'statistic', 'group', 'printed', 'relation', 'value']
PUBLISHED: pd.DataFrame = _published()
