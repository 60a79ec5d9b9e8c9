"""Journal layouts of the ROC analysis: AUCs with Youden cut-offs, and the AUC comparison.

Registered in :data:`ovcfstats.present._layouts.LAYOUTS` by class name, like the
other steps' layouts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._format import Style, format_estimate_ci, format_number, format_setting
from ._table import Presentation, Table, _ci_head, _text


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
                            format_number(c, style.decimals(v) + 1)
                            for c, v in zip(cut["cutoff"], cut["indicator"], strict=True)
                        ],
                        "Cut-off (observed)": [
                            format_number(c, style.decimals(v) + 1)
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
    if result.settings.get("pooled_m"):
        notes.append(
            "Pooled: the cut-offs, sensitivities and specificities are averages over the "
            "imputations, without CIs (they have no pooling rule); the curves drawn are those "
            "of the first completed table."
        )
    caption = "AUC, Youden cut-off, sensitivity and specificity of each indicator"
    caption += _pooled(result)
    return Presentation(main=[Table("AUC", frame, caption)], appendix=appendix, notes=notes)


def _pooled(result: Any) -> str:
    m = result.settings.get("pooled_m")
    return f", pooled over m = {m} imputations" if m else ""


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
    caption = "Pairwise differences of the AUCs (DeLong)" + _pooled(result)
    if result.settings.get("pooled_m"):
        frame = frame.rename(columns={"z": "t"})
    return Presentation(main=[Table("AUC comparison", frame, caption)], notes=notes)


def _adjusted(result: Any, style: Style) -> Presentation:
    t = result.table
    ci = _ci_head(result)
    covs = result.settings.get("covariates") or ()
    frame = pd.DataFrame(
        {
            "Indicator": [style.heading(v) for v in t["indicator"]],
            "Pooled AUC": [format_number(v, 3) for v in t["pooled_auc"]],
            f"Adjusted AUC ({ci})": [
                format_estimate_ci(r.aauc, r.ci_low, r.ci_high, 3) for r in t.itertuples()
            ],
            "Cases / controls": [
                f"{int(a)} / {int(b)}" for a, b in zip(t["n_cases"], t["n_controls"], strict=True)
            ],
        }
    )
    names = ", ".join(style.label(c) for c in covs) or "no covariate"
    caption = f"Covariate-adjusted AUC (adjusted for {names}) beside the pooled AUC"
    return Presentation(main=[Table("adjusted AUC", frame, caption)])


def _thresholds(result: Any, style: Style) -> Presentation:
    y, t = result.youden, result.table
    ci = _ci_head(result)
    rows = []
    for r in y.itertuples():
        at = t[(t["indicator"] == r.indicator) & np.isclose(t["cutoff"], r.cutoff)]
        row = {
            "Indicator": style.heading(r.indicator),
            f"Youden cut-off ({ci})": format_estimate_ci(
                r.cutoff, r.ci_low, r.ci_high, style.decimals(r.indicator) + 1
            ),
            "Sensitivity, % (corrected)": f"{format_number(100 * r.sensitivity, 1)} "
            f"({format_number(100 * r.sensitivity_corrected, 1)})",
            "Specificity, % (corrected)": f"{format_number(100 * r.specificity, 1)} "
            f"({format_number(100 * r.specificity_corrected, 1)})",
        }
        if len(at):
            a = at.iloc[0]
            if "ppv" in t.columns:
                row[f"PPV, % ({ci})"] = _pct_ci(a.ppv, a.ppv_ci_low, a.ppv_ci_high)
                row[f"NPV, % ({ci})"] = _pct_ci(a.npv, a.npv_ci_low, a.npv_ci_high)
            row[f"LR+ ({ci})"] = format_estimate_ci(a.lr_pos, a.lr_pos_ci_low, a.lr_pos_ci_high, 2)
            row[f"LR− ({ci})"] = format_estimate_ci(a.lr_neg, a.lr_neg_ci_low, a.lr_neg_ci_high, 2)
        rows.append(row)
    prevalence = result.settings.get("prevalence")
    at_pi = f" at a prevalence of {100 * prevalence:g}%" if prevalence is not None else ""
    caption = f"Accuracy at the Youden cut-off{at_pi}"
    return Presentation(main=[Table("thresholds", pd.DataFrame(rows), caption)])


def _p_relation(text: str) -> str:
    return text if text.startswith("<") else f"= {text}"


LAYOUTS = {
    "RocResult": _roc,
    "CompareAucResult": _compare_auc,
    "AdjustedRocResult": _adjusted,
    "ThresholdResult": _thresholds,
}
