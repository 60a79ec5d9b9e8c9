"""The journal layout of each step's result (see :mod:`ovcfstats.present._present`).

One function per result class, ``(result, style) -> Presentation``, registered in
:data:`LAYOUTS` by class name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ._format import (
    MINUS,
    Style,
    format_count_pct,
    format_estimate_ci,
    format_mean_sd,
    format_number,
    format_setting,
    format_table,
)
from ._layouts_audit import LAYOUTS as AUDIT_LAYOUTS
from ._layouts_design import LAYOUTS as DESIGN_LAYOUTS
from ._layouts_missing import LAYOUTS as MISSING_LAYOUTS
from ._layouts_roc import LAYOUTS as ROC_LAYOUTS
from ._table import Presentation, Table, _ci_head, _text


# -- layouts ------------------------------------------------------------------------------------
def _choices(result: Any, style: Style) -> Presentation:
    t = result.table
    frame = pd.DataFrame(
        {
            "Setting": t["setting"].astype(str),
            "Value": [format_setting(v, style) for v in t["value"]],
            "Meaning": t["meaning"].astype(str) if "meaning" in t else "",
        }
    )
    return Presentation(
        main=[Table("choices", frame, caption="Analysis choices and their meaning")]
    )


def _icc_frame(t: pd.DataFrame, style: Style, form_column: str | None) -> pd.DataFrame:
    rows = []
    for r in t.itertuples(index=False):
        row = {"Measure": style.heading(r.measure)} if hasattr(r, "measure") else {}
        if form_column is not None:
            row["Form"] = f"{getattr(r, form_column)} = {r.mcgraw_wong}"
        row["ICC (95% CI)"] = format_estimate_ci(r.icc, r.ci_low, r.ci_high, 3)
        row["F"] = format_number(r.F, 1)
        row["df"] = f"{int(r.df1)}, {int(r.df2)}"
        row["p"] = style.p(r.p)
        rows.append(row)
    return pd.DataFrame(rows)


def _reliability(result: Any, style: Style) -> Presentation:
    t = result.table
    if not len(t):  # every measure skipped: the notes say why
        return Presentation()
    frame = _icc_frame(t, style, None)
    frame.insert(1, "Targets", t["n_targets"].astype(int).astype(str).to_numpy())
    frame = frame.rename(columns={"ICC (95% CI)": f"ICC ({_ci_head(result)})"})
    if "sem" in t.columns:
        frame["SEM"] = [format_number(v, 2) for v in t["sem"]]
        frame["MDC95"] = [format_number(v, 2) for v in t["mdc95"]]
    form = t["description"].iloc[0] if len(t) else ""
    allforms = result.tables().get("all forms")
    appendix = []
    if allforms is not None and len(allforms):
        full = _icc_frame(allforms, style, "type")
        appendix.append(Table("all ICC forms", full))
    return Presentation(
        main=[Table("ICC", frame, caption=form)],
        appendix=appendix,
    )


def _icc(result: Any, style: Style) -> Presentation:
    return Presentation(main=[Table("ICC", _icc_frame(result.table, style, "type"))])


#: rows of a per-patient listing printed in the report; every row stays in the Excel workbook
LISTING_ROWS = 1000


def _listing(name: str, frame: pd.DataFrame, style: Style) -> Table:
    """A per-patient listing, cut to :data:`LISTING_ROWS` rows (a registry has 10⁵–10⁶)."""
    shown = frame if len(frame) <= LISTING_ROWS else frame.head(LISTING_ROWS)
    table = Table(name, format_table(shown, style.p_style))
    if len(shown) < len(frame):
        table.caption = (
            f"The first {LISTING_ROWS:,} of {len(frame):,} rows; every row is in tables.xlsx."
        )
    return table


def _indicators(result: Any, style: Style) -> Presentation:
    t = result.table
    if len(t) > LISTING_ROWS:
        t = t.head(LISTING_ROWS)
    listing = format_table(t, style.p_style)
    for name in t.columns:
        if style.known(name) and pd.api.types.is_float_dtype(t[name]):
            listing[name] = [format_number(v, style.decimals(name)) for v in t[name]]
    listing.columns = [style.label(c) if style.known(c) else c.replace("_", " ") for c in t.columns]
    table = Table("indicators per patient", listing)
    if len(result.table) > LISTING_ROWS:
        table.caption = (
            f"The first {LISTING_ROWS:,} of {len(result.table):,} patients; every patient is in "
            "tables.xlsx."
        )
    return Presentation(appendix=[table])


def _balance_label(covariate: str, style: Style) -> str:
    if "=" in covariate:
        var, level = covariate.split("=", 1)
        return f"{style.label(var)}: {style.level(var, level)} (proportion)"
    return style.heading(covariate)


def _matching(result: Any, style: Style) -> Presentation:
    s = result.settings
    pairs, unmatched, balance = result.table, result.unmatched, result.balance
    caliper = s.get("caliper") or {}
    counts = pd.DataFrame(
        [
            ("Cases", str(s.get("n_cases", ""))),
            ("Candidate controls", str(s.get("n_controls", ""))),
            *(
                [("Matched pairs", str(len(pairs)))]
                if int(s.get("ratio", 1) or 1) == 1
                else [
                    ("Matched sets", str(pairs["pair_id"].nunique())),
                    ("Matched controls", str(len(pairs))),
                ]
            ),
            ("Unmatched cases", str(len(unmatched))),
            ("Method", format_setting(s.get("method"))),
            ("Exact on", format_setting(s.get("exact"), style)),
            (
                "Caliper",
                "; ".join(
                    f"{style.label(k)} ±{format_setting(v)} {style.info(k)['unit']}".strip()
                    for k, v in caliper.items()
                )
                or "none",
            ),
        ],
        columns=["Matching", "Value"],
    )
    main = [Table("matching", counts, caption="Matching: counts and settings")]
    if len(balance):
        rows = []
        for cov, g in balance.groupby("covariate", sort=False):
            by = g.set_index("stage")
            binary = bool(g["binary"].iloc[0])
            d = 3 if binary else style.decimals(cov)

            def mean(stage: str, col: str, by: pd.DataFrame = by, d: int = d) -> str:
                return format_number(by.at[stage, col], d) if stage in by.index else ""

            def smd(stage: str, by: pd.DataFrame = by) -> str:
                return format_number(by.at[stage, "smd_treated_sd"], 3) if stage in by.index else ""

            rows.append(
                {
                    "Covariate": _balance_label(str(cov), style),
                    "Cases, mean": mean("before", "mean_case"),
                    "Controls before, mean": mean("before", "mean_control"),
                    "Controls after, mean": mean("after", "mean_control"),
                    "SMD before": smd("before"),
                    "SMD after": smd("after"),
                }
            )
        main.append(
            Table(
                "balance",
                pd.DataFrame(rows),
                caption="Covariate balance before and after matching (SMD: cases' SD)",
            )
        )
    appendix = [_listing("matched pairs", pairs, style)]
    if len(unmatched):
        appendix.append(_listing("unmatched cases", unmatched, style))
    return Presentation(main=main, appendix=appendix)


def _test_name(name: Any) -> str:
    text = _text(name)
    return text.replace("chi2", "χ²").replace("Pearson χ²", "χ²").replace("-", "–")


def _group_cells(r: pd.Series, g: str, decimals: int, median: bool) -> str:
    if r["kind"] == "continuous":
        if median and f"median_{g}" in r:
            q = f"{format_number(r[f'q1_{g}'], decimals)}–{format_number(r[f'q3_{g}'], decimals)}"
            return f"{format_number(r[f'median_{g}'], decimals)} ({q})"
        return format_mean_sd(r[f"mean_{g}"], r[f"sd_{g}"], decimals)
    return format_count_pct(r[f"count_{g}"], r[f"pct_{g}"])


#: each Table 1 test in words, for the table's footnote
TEST_WORDS = {
    "paired t": "paired t test",
    "Welch t": "Welch's t test",
    "Student t": "Student's t test",
    "Wilcoxon signed-rank": "Wilcoxon signed-rank test",
    "Mann-Whitney U": "Mann–Whitney U test",
    "Pearson chi2": "χ² test without continuity correction",
    "Pearson chi2 (Yates)": "χ² test with Yates' continuity correction",
    "Fisher exact": "Fisher's exact test",
    "McNemar": "McNemar's test with continuity correction",
    "Bowker symmetry": "Bowker's test of symmetry",
    "conditional logistic score": "conditional logistic score test on the matched sets",
}


def _test_words(tests: Any) -> str:
    """``paired t test; McNemar's test``: the tests used, in words, in order of first use."""
    used = dict.fromkeys(str(t).replace(" (exact)", "") for t in tests if _text(t))
    return "; ".join(TEST_WORDS.get(t, t) for t in used)


def _table1(result: Any, style: Style) -> Presentation:
    s, t = result.settings, result.table
    median = bool(s.get("median", False))
    matched = set(s.get("matched_on") or ())
    n1, n0 = s.get("n_1", ""), s.get("n_0", "")
    col1, col0 = f"Cases (n = {n1})", f"Controls (n = {n0})"
    diff_head = f"Difference ({_ci_head(result)})"
    rows = []
    levels = t.groupby("variable", sort=False)["level"].nunique()
    fewer = (t["n_1"] != n1) | (t["n_0"] != n0)
    for i, r in t.iterrows():
        var = str(r["variable"])
        first = i == 0 or t.at[i - 1, "variable"] != var
        d = style.decimals(var)
        if r["kind"] == "continuous":
            name = style.heading(var)
            diff = format_estimate_ci(r["diff"], r["ci_low"], r["ci_high"], d)
        else:
            level = str(r["level"])
            if level == "1" and levels.get(var, 1) == 1:
                name = style.label(var)
            else:
                name = f"{style.label(var)}: {style.level(var, level)}"
            diff = format_estimate_ci(
                *(100 * r[c] if pd.notna(r[c]) else r[c] for c in ("diff", "ci_low", "ci_high")),
                1,
            )
        p = ("matched" if var in matched else style.p(r["p"])) if first else ""
        row = {
            "Characteristic": name,
            col1: _group_cells(r, "1", d, median),
            col0: _group_cells(r, "0", d, median),
            diff_head: diff,
            "p": p,
            "Test": _test_name(r["test"]) if first and var not in matched else "",
            "SMD": format_number(r["smd"], 2),
        }
        if fewer.any():
            row["n analysed"] = f"{int(r['n_1'])} / {int(r['n_0'])}" if fewer[i] else ""
        rows.append(row)
    summary = "median (Q1–Q3)" if median else "mean ± SD"
    notes = [
        f"Continuous variables: {summary}; categorical: n (%). Difference: case − control "
        "(mean difference in the variable's unit; percentage points for categorical rows)."
    ]
    if (t["test"].astype(str).str.startswith("conditional logistic score")).any():
        notes.append(
            "Difference in matched sets: the mean over the sets of case − mean of its "
            "controls (of the 0/1 indicator for categorical rows), with a t CI on the number "
            "of sets − 1 df."
        )
    tested = t.loc[~t["variable"].astype(str).isin(matched), "test"]
    if len(tested):
        notes.append(f"p: {_test_words(tested)}.")
    if matched:
        names = ", ".join(style.label(v) for v in t["variable"].drop_duplicates() if v in matched)
        notes.append(f"matched: {names} made alike by the matching, so not tested.")
    if fewer.any():
        notes.append(
            "n analysed: cases / controls in the rows with fewer patients than the column "
            "heading (missing values; a matched partner without the value leaves too)."
        )
    return Presentation(main=[Table("Table 1", pd.DataFrame(rows))], notes=notes)


def _spearman_outcome(result: Any, style: Style) -> Presentation:
    t = result.table
    frame = pd.DataFrame(
        {
            "Indicator": [style.heading(v) for v in t["indicator"]],
            "n": t["n"].astype(int).astype(str),
            f"ρ ({_ci_head(result)})": [
                format_estimate_ci(r.rho, r.ci_low, r.ci_high, 3) for r in t.itertuples()
            ],
            "p": [style.p(p) for p in t["p"]],
        }
    )
    return Presentation(main=[Table("Spearman ρ", frame)])


def _per(text: Any) -> str:
    return _text(text).replace("-", MINUS)


def _logistic(result: Any, style: Style) -> Presentation:
    t = result.table
    ci = _ci_head(result)
    frame = pd.DataFrame(
        {
            "Indicator": [style.heading(v) for v in t["indicator"]],
            "OR per": [_per(v) for v in t["per"]],
            f"OR ({ci})": [
                format_estimate_ci(r.or_, r.ci_low, r.ci_high, 2)
                for r in t.rename(columns={"or": "or_"}).itertuples()
            ],
            "p": [style.p(p) for p in t["p"]],
            "n (events)": [
                f"{int(n)} ({int(e)})" for n, e in zip(t["n"], t["events"], strict=True)
            ],
        }
    )
    if "fmi" in t.columns:  # pooled over imputations
        frame["FMI"] = [format_number(v, 2) for v in t["fmi"]]
    if "evalue" in t.columns:
        frame["E-value (CI)"] = [
            f"{format_number(e, 2)} ({format_number(c, 2)})" if pd.notna(e) and pd.notna(c)
            else format_number(e, 2) if pd.notna(e) else ""
            for e, c in zip(t["evalue"], t["evalue_ci"], strict=True)
        ]  # fmt: skip
    appendix = []
    coefs = getattr(result, "coefficients", None)
    if coefs is not None and len(coefs):
        c = coefs.rename(columns={"or": "or_"})
        appendix.append(
            Table(
                "model coefficients",
                pd.DataFrame(
                    {
                        "Model": [style.label(str(m)) for m in c["model"]],
                        "Term": [style.label(str(v)) for v in c["term"]],
                        "β": [format_number(v, 3) for v in c["beta"]],
                        "SE": [format_number(v, 3) for v in c["se"]],
                        **_test_columns(c),
                        "p": [style.p(p) for p in c["p"]],
                        f"OR ({ci})": [
                            format_estimate_ci(r.or_, r.ci_low, r.ci_high, 2)
                            for r in c.itertuples()
                        ],
                        "OR per": [_per(v) for v in c["per"]],
                    }
                ),
            )
        )
    adjust = result.settings.get("adjust") or ()
    notes = []
    if adjust:
        notes.append(
            f"Adjusted for {_in_text(adjust, style)}; the covariates' and the "
            "intercepts' coefficients are in the appendix and the Excel workbook."
        )
    references = result.settings.get("references") or {}
    if references:
        levels = [
            f"{style.label(v)}: {style.level(v, level)}"
            + (" (the most frequent)" if how != "chosen" else "")
            for v, (level, how) in references.items()
        ]
        notes.append(
            f"Reference level{'s' if len(levels) > 1 else ''} of the categorical covariates: "
            f"{'; '.join(levels)}."
        )
    caption = _pooled_caption(result)
    return Presentation(
        main=[Table("odds ratios", frame, caption)], appendix=appendix, notes=notes
    )


def _pooled_caption(result: Any) -> str:
    """"Pooled over m imputations" for a result pooled by Rubin's rules, else no caption."""
    m = result.settings.get("pooled_m")
    return f"Odds ratios pooled over m = {m} imputations (Rubin's rules)" if m else ""


def _test_columns(c: pd.DataFrame) -> dict[str, list[str]]:
    """``z`` of a single fit; ``t`` and its Barnard–Rubin ``df`` when pooled."""
    if "df" not in c.columns:
        return {"z": [format_number(v, 2) for v in c["z"]]}
    return {
        "t": [format_number(v, 2) for v in c["statistic"]],
        "df": [format_number(v, 1) for v in c["df"]],
    }


def _in_text(names: Any, style: Style) -> str:
    """``age, sex and BMI``: labels in running text (acronyms keep their capitals)."""
    words = [style.label(n) for n in names]
    words = [w if w[1:2].isupper() else w[:1].lower() + w[1:] for w in words]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _spearman_matrix(result: Any, style: Style) -> Presentation:
    rho = result.rho
    p = result.p_adjusted if getattr(result, "p_adjusted", None) is not None else result.p
    alpha = float(result.settings.get("alpha", 0.05))
    names = list(rho.index)
    cells = {}
    for j, b in enumerate(names):
        column = []
        for i, a in enumerate(names):
            if i == j:
                column.append("1")
            else:
                star = "*" if float(p.loc[a, b]) < alpha else ""
                column.append(format_number(rho.loc[a, b], 3) + star)
        cells[style.label(b)] = column
    frame = pd.DataFrame({"": [style.label(a) for a in names], **cells})
    t = result.table
    ci = _ci_head(result)
    pairs = pd.DataFrame(
        {
            "Indicators": [
                f"{style.label(a)} – {style.label(b)}"
                for a, b in zip(t["indicator_1"], t["indicator_2"], strict=True)
            ],
            "n": t["n"].astype(int).astype(str),
            f"ρ ({ci})": [
                format_estimate_ci(r.rho, r.ci_low, r.ci_high, 3) for r in t.itertuples()
            ],
            "p": [style.p(v) for v in t["p"]],
        }
    )
    if "p_adjusted" in t:
        pairs["p adjusted"] = [style.p(v) for v in t["p_adjusted"]]
    which = "adjusted p" if getattr(result, "p_adjusted", None) is not None else "p"
    notes = [f"Spearman ρ; * {which} < {alpha:g}. CIs and p-values per pair in the appendix."]
    return Presentation(
        main=[Table("Spearman matrix", frame)],
        appendix=[Table("correlations per pair", pairs)],
        notes=notes,
    )


LAYOUTS: dict[str, Callable[[Any, Style], Presentation]] = {
    "ChoicesResult": _choices,
    "ReliabilityResult": _reliability,
    "IccResult": _icc,
    "IndicatorResult": _indicators,
    "MatchResult": _matching,
    "GroupComparison": _table1,
    "SpearmanOutcome": _spearman_outcome,
    "LogisticResult": _logistic,
    "SpearmanMatrix": _spearman_matrix,
    **ROC_LAYOUTS,
    **AUDIT_LAYOUTS,
    **DESIGN_LAYOUTS,
    **MISSING_LAYOUTS,
}
