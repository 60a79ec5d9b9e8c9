"""Journal layouts of the design statistics (agreement, post-hoc power, combined model).

Registered in :data:`ovcfstats.present._layouts.LAYOUTS` by class name, like the
study steps' layouts.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._format import Style, format_estimate_ci, format_number, plural
from ._table import Presentation, Table, _ci_head


def _agreement(result: Any, style: Style) -> Presentation:
    """Bland–Altman bias and limits (each with its CI) and Lin's CCC, one row per measure."""
    t = result.table
    ci = _ci_head(result)
    rows = []
    for r in t.itertuples():
        d = style.decimals(r.measure) + 1  # differences are an order finer than readings
        rows.append(
            {
                "Measure": style.heading(r.measure),
                "Pairs (patients)": f"{int(r.n_pairs)} ({int(r.n_subjects)})",
                f"Bias ({ci})": format_estimate_ci(r.bias, r.bias_ci_low, r.bias_ci_high, d),
                f"Lower limit ({ci})": format_estimate_ci(
                    r.loa_lower, r.loa_lower_ci_low, r.loa_lower_ci_high, d
                ),
                f"Upper limit ({ci})": format_estimate_ci(
                    r.loa_upper, r.loa_upper_ci_low, r.loa_upper_ci_high, d
                ),
                f"CCC ({ci})": format_estimate_ci(r.ccc, r.ccc_ci_low, r.ccc_ci_high, 3),
                "Proportional bias p": style.p(r.slope_p),
            }
        )
    return Presentation(main=[Table("agreement", pd.DataFrame(rows))])


def _sample_size(result: Any, style: Style) -> Presentation:
    """Post-hoc power at the observed AUCs and ORs, and the smallest detectable effects."""
    tables = result.tables()
    main = []
    auc = tables.get("auc", result.table)
    if len(auc):
        main.append(
            Table(
                "power (AUC)",
                pd.DataFrame(
                    {
                        "Indicator": [style.heading(v) for v in auc["indicator"]],
                        "AUC": [format_number(v, 3) for v in auc["auc"]],
                        "Cases / controls": [
                            f"{int(a)} / {int(b)}"
                            for a, b in zip(auc["n_cases"], auc["n_controls"], strict=True)
                        ],
                        "Detectable AUC": [format_number(v, 3) for v in auc["auc_detectable"]],
                        "Power at the observed AUC": [
                            format_number(v, 3) for v in auc["power_observed"]
                        ],
                        "Cases needed": [_whole(v) for v in auc["n_cases_needed"]],
                    }
                ),
            )
        )
    ors = tables.get("odds_ratio_per_sd")
    if ors is not None and len(ors):
        main.append(
            Table(
                "power (OR per SD)",
                pd.DataFrame(
                    {
                        "Indicator": [style.heading(v) for v in ors["indicator"]],
                        "OR per SD": [format_number(v, 2) for v in ors["odds_ratio"]],
                        "Matched sets": [_whole(v) for v in ors["n_sets"]],
                        "Detectable OR": [format_number(v, 2) for v in ors["or_detectable"]],
                        "Power at the observed OR": [
                            format_number(v, 3) for v in ors["power_observed"]
                        ],
                        "Sets needed": [_whole(v) for v in ors["n_sets_needed"]],
                    }
                ),
            )
        )
    return Presentation(main=main)


def _whole(value: Any) -> str:
    """A sample size is a whole number of patients: rounded up."""
    if value is None or pd.isna(value):
        return ""
    return str(int(-(-float(value) // 1)))


_STATISTICS = {
    "dxy": "Somers' Dxy",
    "auc": "AUC",
    "calibration_intercept": "Calibration intercept",
    "calibration_slope": "Calibration slope",
    "brier": "Brier score",
}


def _combined(result: Any, style: Style) -> Presentation:
    """Apparent and optimism-corrected performance; coefficients and curves to the appendix."""
    tables = result.tables()
    v = tables["validation"]
    validation = pd.DataFrame(
        {
            "Statistic": [_STATISTICS.get(s, s) for s in v["statistic"]],
            "Apparent": [format_number(x, 3) for x in v["apparent"]],
            "Optimism": [format_number(x, 3) for x in v["optimism"]],
            "Corrected": [format_number(x, 3) for x in v["corrected"]],
        }
    )
    main = [Table("validation", validation, caption=f"{int(v['n_boot'].iloc[0])} resamples")]
    cv = tables.get("cross_validation")
    if cv is not None and len(cv):
        r = cv.iloc[0]
        main.append(
            Table(
                "cross-validation",
                pd.DataFrame(
                    {
                        "Cross-validated AUC": [format_number(r["auc_cv"], 3)],
                        "SD": [format_number(r["sd"], 3)],
                        "Folds × repeats": [f"{int(r['folds'])} × {int(r['repeats'])}"],
                    }
                ),
            )
        )
    comp = tables.get("comparison")
    if comp is not None and len(comp):
        ci = _ci_head(result)
        main.append(
            Table(
                "combined vs single",
                pd.DataFrame(
                    {
                        "Compared": [
                            f"{style.label(a)} vs {style.label(b)}"
                            for a, b in zip(comp["indicator_1"], comp["indicator_2"], strict=True)
                        ],
                        "AUCs": [
                            f"{format_number(a, 3)} vs {format_number(b, 3)}"
                            for a, b in zip(comp["auc_1"], comp["auc_2"], strict=True)
                        ],
                        f"Difference ({ci})": [
                            format_estimate_ci(r.diff, r.diff_ci_low, r.diff_ci_high, 3)
                            for r in comp.itertuples()
                        ],
                        "p": [style.p(p) for p in comp["p"]],
                    }
                ),
            )
        )
    appendix = []
    coef = tables.get("coefficients")
    if coef is not None:
        coef = coef[coef["term"].astype(str).str.lower() != "intercept"]
    if coef is not None and len(coef):
        appendix.append(
            Table(
                "combined model coefficients",
                pd.DataFrame(
                    {
                        "Term": [style.label(t) for t in coef["term"]],
                        f"OR ({_ci_head(result)})": [
                            format_estimate_ci(r.or_, r.or_ci_low, r.or_ci_high, 3)
                            for r in coef.rename(columns={"or": "or_"}).itertuples()
                        ],
                        "p": [style.p(p) for p in coef["p"]],
                    }
                ),
            )
        )
    return Presentation(main=main, appendix=appendix)


def _given_sets(result: Any, style: Style) -> Presentation:
    """An already matched table: the sets counted in the body, listed in the appendix."""
    t, s = result.table, result.settings
    column = str(s.get("matched_by", "pair_id"))
    shapes = t.groupby(["n_cases", "n_controls"]).size().reset_index(name="sets")
    rows = [
        (f"1 case : {plural(int(r.n_controls), 'control')}" if r.n_cases == 1
         else f"{plural(int(r.n_cases), 'case')} : {plural(int(r.n_controls), 'control')}",
         str(int(r.sets)))
        for r in shapes.itertuples(index=False)
    ]  # fmt: skip
    rows += [
        ("Matched sets", str(len(t))),
        ("Cases", str(int(t["n_cases"].sum()))),
        ("Controls", str(int(t["n_controls"].sum()))),
    ]
    counts = pd.DataFrame(rows, columns=[f"Matched sets (column {column})", "n"])
    listing = t.rename(columns={"pair_id": column, "n_cases": "Cases", "n_controls": "Controls"})
    return Presentation(
        main=[Table("matched sets", counts, caption=f"Matched sets as given (column {column})")],
        appendix=[Table("matched sets", listing.astype(str))],
    )


LAYOUTS = {
    "MatchedSetsResult": _given_sets,
    "AgreementResult": _agreement,
    "SampleSizeResult": _sample_size,
    "CombinedModelResult": _combined,
}
