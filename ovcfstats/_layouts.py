"""The journal layout of each step's result (see :mod:`ovcfstats._present`).

One function per result class, ``(result, style) -> Presentation``, registered in
:data:`LAYOUTS` by class name.
"""

from __future__ import annotations

import re
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
from ._layouts_design import LAYOUTS as DESIGN_LAYOUTS
from ._present import Presentation, Table, _ci_head, _text


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
            listing[name] = [format_number(v, style.decimals(name) + 1) for v in t[name]]
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
            ("Matched pairs", str(len(pairs))),
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


def _table1(result: Any, style: Style) -> Presentation:
    s, t = result.settings, result.table
    median = bool(s.get("median", False))
    n1, n0 = s.get("n_1", ""), s.get("n_0", "")
    col1, col0 = f"Cases (n = {n1})", f"Controls (n = {n0})"
    diff_head = f"Difference ({_ci_head(result)})"
    rows = []
    levels = t.groupby("variable", sort=False)["level"].nunique()
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
        rows.append(
            {
                "Characteristic": name,
                col1: _group_cells(r, "1", d, median),
                col0: _group_cells(r, "0", d, median),
                diff_head: diff,
                "p": style.p(r["p"]) if first else "",
                "Test": _test_name(r["test"]) if first else "",
                "SMD": format_number(r["smd"], 2),
            }
        )
    summary = "median (Q1–Q3)" if median else "mean ± SD"
    notes = [
        f"Continuous variables: {summary}; categorical: n (%). Difference: case − control "
        "(mean difference in the variable's unit; percentage points for categorical rows)."
    ]
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
                        "z": [format_number(v, 2) for v in c["z"]],
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
    return Presentation(main=[Table("odds ratios", frame)], appendix=appendix, notes=notes)


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


def _pct_ci(est: Any, low: Any, high: Any) -> str:
    return format_estimate_ci(100 * est, 100 * low, 100 * high, 1)


def _roc(result: Any, style: Style) -> Presentation:
    t = result.table
    ci = _ci_head(result)
    frame = pd.DataFrame(
        {
            "Indicator": [style.heading(v) for v in t["indicator"]],
            f"AUC ({ci})": [
                format_estimate_ci(r.auc, r.ci_low, r.ci_high, 3) for r in t.itertuples()
            ],
            "Case if": [
                "higher" if d == "higher" else "lower" if d == "lower" else _text(d)
                for d in t["direction"]
            ],
            "Cut-off": [
                format_number(c, style.decimals(v) + 1)
                for c, v in zip(t["cutoff"], t["indicator"], strict=True)
            ],
            f"Sensitivity, % ({ci})": [
                _pct_ci(r.sensitivity, r.sens_ci_low, r.sens_ci_high) for r in t.itertuples()
            ],
            f"Specificity, % ({ci})": [
                _pct_ci(r.specificity, r.spec_ci_low, r.spec_ci_high) for r in t.itertuples()
            ],
        }
    )
    appendix = []
    cut = getattr(result, "cutoffs", None)
    if cut is not None and len(cut):
        appendix.append(
            Table(
                "Youden cut-offs",
                pd.DataFrame(
                    {
                        "Indicator": [style.label(v) for v in cut["indicator"]],
                        "Cut-off (midpoint)": [
                            format_number(c, style.decimals(v) + 2)
                            for c, v in zip(cut["cutoff"], cut["indicator"], strict=True)
                        ],
                        "Cut-off (observed)": [
                            format_number(c, style.decimals(v) + 2)
                            for c, v in zip(cut["cutoff_observed"], cut["indicator"], strict=True)
                        ],
                        f"Sensitivity, % ({ci})": [
                            _pct_ci(r.sensitivity, r.sens_ci_low, r.sens_ci_high)
                            for r in cut.itertuples()
                        ],
                        f"Specificity, % ({ci})": [
                            _pct_ci(r.specificity, r.spec_ci_low, r.spec_ci_high)
                            for r in cut.itertuples()
                        ],
                        "Youden J": [format_number(v, 3) for v in cut["youden"]],
                    }
                ),
            )
        )
    notes = ["Cut-off: Youden's optimum (midpoint between adjacent observed values)."]
    caption = "AUC, Youden cut-off, sensitivity and specificity of each indicator"
    return Presentation(main=[Table("AUC", frame, caption)], appendix=appendix, notes=notes)


def _compare_auc(result: Any, style: Style) -> Presentation:
    t = result.table
    ci = _ci_head(result)
    frame = pd.DataFrame(
        {
            "Comparison": [
                f"{style.label(a)} vs {style.label(b)}"
                for a, b in zip(t["indicator_1"], t["indicator_2"], strict=True)
            ],
            f"ΔAUC ({ci})": [
                format_estimate_ci(r.diff, r.diff_ci_low, r.diff_ci_high, 3) for r in t.itertuples()
            ],
            "z": [format_number(v, 2) for v in t["z"]],
            "p": [style.p(v) for v in t["p"]],
        }
    )
    adjust = result.settings.get("adjust")
    if "p_adjusted" in t and adjust:
        frame[f"p ({format_setting(adjust)})"] = [style.p(v) for v in t["p_adjusted"]]
    notes = []
    omni = getattr(result, "omnibus", None)
    if omni is not None and len(omni):
        o = omni.iloc[0]
        notes.append(
            f"All AUCs equal: χ²({int(o['df'])}) = {format_number(o['chi2'], 2)}, "
            f"p {_p_relation(style.p(o['p']))} (n = {int(o['n'])})."
        )
    caption = "Pairwise differences of the AUCs (DeLong)"
    return Presentation(main=[Table("AUC comparison", frame, caption)], notes=notes)


def _p_relation(text: str) -> str:
    return text if text.startswith("<") else f"= {text}"


def _audit(result: Any, style: Style) -> Presentation:
    t = result.table

    def frame(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "Check": rows["check"].astype(str),
                "Item": [style.label(str(v)) for v in rows["item"]],
                "Reported": rows["reported"].astype(str),
                "Recomputed": rows["recomputed"].astype(str),
                "Consistent": ["yes" if bool(v) else "no" for v in rows["consistent"]],
                "Detail": rows["detail"].astype(str),
            }
        )

    bad = t[~t["consistent"].astype(bool)]
    return Presentation(
        main=[Table("inconsistencies", frame(bad), caption="Checks that find an inconsistency")],
        appendix=[Table("audit checks", frame(t))],
    )


def _decimals_of(printed: Any) -> int:
    match = re.search(r"\.(\d+)", str(printed))
    return len(match.group(1)) if match else 0


def _replication(result: Any, style: Style) -> Presentation:
    t = result.table

    def frame(rows: pd.DataFrame, notes: bool) -> pd.DataFrame:
        d = [_decimals_of(p) + 1 for p in rows["published"]]
        out = pd.DataFrame(
            {
                "Source": rows["source"].astype(str),
                "Item": rows["item"].astype(str),
                "Statistic": rows["statistic"].astype(str),
                "Group": rows["group"].astype(str),
                "Published": rows["published"].astype(str),
                "Reproduced": [
                    style.p(v) if str(s).startswith("p") else format_number(v, k)
                    for v, k, s in zip(rows["reproduced"], d, rows["statistic"], strict=True)
                ],
                "Agrees": [
                    "" if v is None or pd.isna(v) else "yes" if v else "no" for v in rows["agrees"]
                ],
            }
        )
        if notes:
            out["Note"] = rows["note"].map(_text).to_numpy()
        return out

    bad = t[t["agrees"].map(lambda v: v is False or (v is not None and v == 0))]
    return Presentation(
        main=[
            Table("not reproduced", frame(bad, True), caption="Published numbers not reproduced")
        ],
        appendix=[Table("replication", frame(t, True))],
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
    "RocResult": _roc,
    "CompareAucResult": _compare_auc,
    "AuditResult": _audit,
    "ReplicationResult": _replication,
    **DESIGN_LAYOUTS,
}
