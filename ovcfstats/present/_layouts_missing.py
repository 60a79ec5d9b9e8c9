"""Journal layout of the missing-data section (:class:`ovcfstats.MissingData`).

The body gets what a journal prints: the variables with missing values by group, the most
frequent patterns and the n of each analysis; the full list of patterns goes to the appendix
when it is long. With nothing missing, one sentence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._format import Style, format_count_pct, format_mean_sd, format_number
from ._table import Presentation, Table

#: patterns printed in the body; the others are summed in one row (all are in the appendix)
MAX_PATTERNS = 5
#: variables with holes beyond which the pattern table is too wide for a page: appendix only
MAX_PATTERN_COLUMNS = 8
OBSERVED, MISSING = "✓", "·"


def _missing_data(result: Any, style: Style) -> Presentation:
    t, n = result.table, result.n_patients
    holed = t[t["missing"] > 0]
    if not len(holed):
        return Presentation(notes=[_none_missing(n, len(t))])
    main = [_per_variable(holed, result, style)]
    complete = [style.label(v) for v in t.loc[t["missing"] == 0, "variable"]]
    notes = [f"No missing values in: {', '.join(complete)}."] if complete else []
    names = list(holed["variable"])
    patterns = _patterns(result.patterns, names, style)
    appendix = []
    if len(names) > MAX_PATTERN_COLUMNS:
        appendix.append(Table("missingness patterns", patterns))
        notes.append(
            f"{len(result.patterns)} missingness patterns over {len(names)} variables: "
            "listed in the appendix."
        )
    else:
        main.append(_top_patterns(result.patterns, patterns))
        if len(patterns) > MAX_PATTERNS:
            appendix.append(Table("missingness patterns", patterns))
    if len(result.analyses):
        main.append(_analyses(result.analyses, n, style))
        notes += _fewer(result)
    return Presentation(main=main, appendix=appendix, notes=notes)


def _none_missing(n: int, k: int) -> str:
    variables = "the variable" if k == 1 else f"all {k} variables"
    return f"No missing values: all {n:,} patients have {variables} described."


def _per_variable(rows: pd.DataFrame, result: Any, style: Style) -> Table:
    out = pd.DataFrame({"Variable": [style.label(v) for v in rows["variable"]]})
    groups = [("_1", "Cases", "n_cases"), ("_0", "Controls", "n_controls")]
    for suffix, head, size in [*groups, ("", "All", "n_patients")]:
        if f"missing{suffix}" not in rows or not getattr(result, size):  # no group, or empty
            continue
        column = f"{head} (n = {getattr(result, size):,})"
        out[column] = [
            format_count_pct(c, p)
            for c, p in zip(rows[f"missing{suffix}"], rows[f"pct{suffix}"], strict=True)
        ]
    return Table("missing values", out, caption="Missing values per variable, n (%)")


def _patterns(patterns: pd.DataFrame, names: list[str], style: Style) -> pd.DataFrame:
    """Every pattern over the variables with holes (the others are observed in everyone)."""
    out = pd.DataFrame({"Pattern": patterns["pattern"].astype(str)})
    for name in names:
        out[style.label(name)] = [OBSERVED if v else MISSING for v in patterns[name]]
    out["Patients"] = patterns["n"].map(lambda v: f"{int(v):,}")
    out["%"] = [format_number(p, 1) for p in patterns["pct"]]
    return out


def _top_patterns(patterns: pd.DataFrame, shown: pd.DataFrame) -> Table:
    top = shown.head(MAX_PATTERNS).copy()
    rest = patterns.iloc[MAX_PATTERNS:]
    if len(rest):
        k, n = len(rest), int(rest["n"].sum())
        other = dict.fromkeys(top.columns, "")
        other["Pattern"] = f"{k} other pattern{'s' if k > 1 else ''}"
        other["Patients"] = f"{n:,}"
        other["%"] = format_number(rest["pct"].sum(), 1)
        top = pd.concat([top, pd.DataFrame([other])], ignore_index=True)
    caption = (
        f"Missingness patterns, the most frequent first ({OBSERVED} observed, {MISSING} missing)"
    )
    return Table("missingness patterns", top, caption=caption)


def _analyses(analyses: pd.DataFrame, n: int, style: Style) -> Table:
    """Rows: the variables or indicators; columns: the analyses; cells: the patients analysed.

    Analyses given as whole models (no item) are one row each: analysis, patients, cases and
    controls.
    """
    caption = f"Patients analysed (complete cases) in each analysis, of {n:,}"
    if not analyses["item"].astype(bool).any():
        frame = pd.DataFrame(
            {
                "Analysis": analyses["analysis"].astype(str),
                "Patients": [f"{int(v):,}" for v in analyses["n"]],
                "Cases": [_count(v) for v in analyses["n_cases"]],
                "Controls": [_count(v) for v in analyses["n_controls"]],
            }
        )
        return Table("patients analysed", frame, caption=caption)
    rows: dict[str, dict[str, str]] = {}
    for r in analyses.itertuples(index=False):
        label = style.label(r.item) if r.item else r.analysis
        rows.setdefault(label, {})[r.analysis] = f"{int(r.n):,}"
    heads = list(dict.fromkeys(analyses["analysis"]))
    frame = pd.DataFrame(
        [
            {"Variable": label, **{h: cells.get(h, "") for h in heads}}
            for label, cells in rows.items()
        ]
    )
    return Table("patients analysed", frame, caption=caption)


def _fewer(result: Any) -> list[str]:
    """A footnote when an analysis keeps fewer patients than have its variable."""
    observed = dict(zip(result.table["variable"], result.table["missing"], strict=True))
    n, a = result.n_patients, result.analyses
    with_value = [n - int(observed.get(item, 0)) for item in a["item"]]
    if not any(
        int(k) < v for k, v, item in zip(a["n"], with_value, a["item"], strict=True) if item
    ):
        return []
    return [
        "An analysis can keep fewer patients than have the value: a model also needs its "
        "covariates, and a matched analysis leaves out the set of an incomplete patient."
    ]


def _count(value: Any) -> str:
    return "" if pd.isna(value) else f"{int(value):,}"


#: the imputation model of each kind of variable, as the Methods name it
MODELS = {"pmm": "predictive mean matching", "logistic": "logistic regression"}


def _imputed(result: Any, style: Style) -> Presentation:
    """The imputed variables: model, holes, observed against imputed mean ± SD."""
    t = result.table
    decimals = [style.decimals(v) for v in t["variable"]]
    frame = pd.DataFrame(
        {
            "Variable": [style.label(v) for v in t["variable"]],
            "Imputation model": [MODELS.get(k, k) for k in t["kind"]],
            "Imputed values, n": [_count(v) for v in t["n_missing"]],
            "Observed, mean ± SD": [
                format_mean_sd(m, s, d)
                for m, s, d in zip(t["observed_mean"], t["observed_sd"], decimals, strict=True)
            ],
            "Imputed, mean ± SD": [
                format_mean_sd(m, s, d)
                for m, s, d in zip(t["imputed_mean"], t["imputed_sd"], decimals, strict=True)
            ],
        }
    )
    caption = f"Imputed variables (m = {result.m} imputations by chained equations)"
    notes = [
        "Imputed values: over all imputations; they should look like plausible observed "
        "values (the figure), not necessarily like the observed mean when the holes depend on "
        "what was observed."
    ]
    return Presentation(main=[Table("imputed variables", frame, caption)], notes=notes)


LAYOUTS = {"MissingData": _missing_data, "Imputed": _imputed}
