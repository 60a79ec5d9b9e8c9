"""The STROBE checklist for case–control studies, filled in from what the pipeline knows.

Von Elm E, Altman DG, Egger M, et al. The Strengthening the Reporting of Observational Studies
in Epidemiology (STROBE) statement. Lancet. 2007;370:1453–7. Items the pipeline cannot know
(title, background, setting, bias, discussion, funding) are marked so, for the authors to fill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..present._format import Style, format_setting, plural

if TYPE_CHECKING:
    from .document import Report

UNKNOWN = "not known to the pipeline: for the authors"

#: (item, section, what STROBE asks) of the case–control checklist
ITEMS = (
    ("1", "Title and abstract", "study design in the title or abstract; informative abstract"),
    ("2", "Background/rationale", "scientific background and rationale"),
    ("3", "Objectives", "specific objectives and hypotheses"),
    ("4", "Study design", "key elements of the design early in the paper"),
    ("5", "Setting", "setting, locations, dates of recruitment, exposure and data collection"),
    (
        "6a",
        "Participants",
        "eligibility, sources and methods of case ascertainment and control "
        "selection; rationale for the choice of cases and controls",
    ),
    ("6b", "Participants (matched)", "matching criteria and the number of controls per case"),
    ("7", "Variables", "outcomes, exposures, predictors, confounders and effect modifiers"),
    ("8", "Data sources/measurement", "sources of data and methods of assessment"),
    ("9", "Bias", "efforts to address potential sources of bias"),
    ("10", "Study size", "how the study size was arrived at"),
    ("11", "Quantitative variables", "how quantitative variables were handled"),
    ("12a", "Statistical methods", "all statistical methods, including for confounding"),
    ("12b", "Statistical methods", "methods for subgroups and interactions"),
    ("12c", "Statistical methods", "how missing data were addressed"),
    ("12d", "Statistical methods", "how the matching of cases and controls was addressed"),
    ("12e", "Statistical methods", "sensitivity analyses"),
    ("13", "Participants", "numbers at each stage; reasons for non-participation; flow diagram"),
    ("14a", "Descriptive data", "characteristics of the participants"),
    ("14b", "Descriptive data", "number of participants with missing data for each variable"),
    ("15", "Outcome data", "numbers in each exposure category or summary measures of exposure"),
    ("16a", "Main results", "unadjusted and confounder-adjusted estimates with their precision"),
    ("16b", "Main results", "category boundaries when continuous variables were categorised"),
    ("17", "Other analyses", "other analyses done"),
    ("18", "Key results", "key results with reference to the objectives"),
    ("19", "Limitations", "limitations, sources of bias or imprecision"),
    ("20", "Interpretation", "cautious overall interpretation"),
    ("21", "Generalisability", "external validity of the results"),
    ("22", "Funding", "funding and the role of the funders"),
)


def _first(report: Report, name: str) -> Any:
    return next((i.result for i in report.items if type(i.result).__name__ == name), None)


def _known(report: Report, style: Style) -> dict[str, str]:
    """item -> what the report holds for it."""
    out: dict[str, str] = {}
    match = _first(report, "MatchResult")
    if match is not None:
        s = match.settings
        caliper = "; ".join(
            f"{k} ±{format_setting(v)}" for k, v in (s.get("caliper") or {}).items()
        )
        out["6b"] = (
            f"1:{s.get('ratio', 1)} matching, exact on {format_setting(s.get('exact'), style)}"
            + (f", caliper {caliper}" if caliper else "")
            + f", {s.get('method')} method (Statistical analysis; matching section)"
        )
        ratio = int(s.get("ratio", 1) or 1)
        matched = (
            plural(len(match.table), "matched pair")
            if ratio == 1
            else f"{plural(match.table['pair_id'].nunique(), 'matched set')} of 1:{ratio}"
        )
        out["13"] = (
            f"{s.get('n_cases')} cases, {s.get('n_controls')} candidate controls, {matched}, "
            f"{plural(len(match.unmatched), 'unmatched case')} with reasons (matching "
            "section); no flow diagram is drawn"
        )
    t1 = _first(report, "GroupComparison")
    if t1 is not None and t1.settings.get("paired"):
        from ..present._layouts import _test_words

        used = _test_words(t1.table["test"])
        design = "matched sets" if t1.settings.get("design") == "1:k sets" else "matched pairs"
        out["12d"] = f"{design} analysed with the {used} (patient characteristics)"
    indicators = _first(report, "IndicatorResult")
    if indicators is not None:
        out["7"] = "indicators and their derivation (Indicators per patient, appendix)"
    if _first(report, "ReliabilityResult") is not None:
        out["8"] = "inter- and intra-rater ICCs of the readings (Reliability sections)"
    out["12a"] = "Statistical analysis paragraph"
    excluded = sum(len(i.result.excluded) for i in report.items)
    out["12c"] = (
        f"missing values excluded per analysis, {plural(excluded, 'exclusion')} listed with "
        "reasons "
        "(Excel sheet 'excluded'); no imputation"
    )
    imputed = _first(report, "Imputed")
    if imputed is not None:
        out["12c"] = (
            f"multiple imputation by chained equations (m = {imputed.m}), estimates pooled by "
            "Rubin's rules (imputation section, Statistical analysis); complete-case analyses "
            "as sensitivity analyses"
        )
    t1 = _first(report, "GroupComparison")
    if t1 is not None:
        out["14a"] = "patient characteristics table"
        out["14b"] = (
            "n per group and excluded per variable in the patient characteristics table "
            "(n analysed) and its raw table (Excel)"
        )
        out["15"] = "means ± SD of each indicator by group (patient characteristics table)"
    if _first(report, "MissingData") is not None:
        out["12c"] += "; the patients each analysis kept (Missing data section)"
        out["14b"] = "missing values per variable by group, and their patterns (Missing data)"
    logistic = _first(report, "LogisticResult")
    if logistic is not None:
        s = logistic.settings
        out["11"] = f"indicators kept continuous; ORs per {format_setting(s.get('per'))}"
        out["16a"] = (
            "adjusted ORs with CIs (odds ratios section), adjusted for "
            f"{format_setting(tuple(s.get('adjust') or ()), style) or 'nothing'}; unadjusted "
            "associations as Spearman ρ (Spearman section)"
        )
        model = (
            "conditional logistic regression on the pairs"
            if s.get("conditional")
            else "unconditional logistic regression (the matching not in the model)"
        )
        out["12d"] = "; ".join(filter(None, [out.get("12d"), model]))
        out["16b"] = "no variable was categorised"
    if _first(report, "RocResult") is not None:
        out["17"] = "ROC curves, AUCs and their comparison; correlations among the indicators"
    if _first(report, "AuditResult") is not None:
        out["17"] = out.get("17", "") + "; audit of the published numbers"
    return out


def applies(report: Report) -> bool:
    """Whether the report is a matched case–control study (it has a matching step)."""
    return _first(report, "MatchResult") is not None


def strobe_checklist(report: Report) -> pd.DataFrame:
    """The STROBE case–control checklist with what the report holds for each item.

    Columns: ``item``, ``section``, ``recommendation``, ``in this report``.
    """
    known = _known(report, report.style())
    rows = [(i, sec, rec, known.get(i, UNKNOWN)) for i, sec, rec in ITEMS]
    return pd.DataFrame(rows, columns=["item", "section", "recommendation", "in this report"])
