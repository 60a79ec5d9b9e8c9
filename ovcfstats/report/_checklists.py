"""The STARD 2015 (diagnostic accuracy) and GRRAS (reliability and agreement) checklists, filled in
from what the pipeline knows, beside STROBE (:mod:`._strobe`).

Bossuyt PM, Reitsma JB, Bruns DE, et al. STARD 2015: an updated list of essential items for
reporting diagnostic accuracy studies. BMJ. 2015;351:h5527. Kottner J, Audigé L, Brorson S, et al.
Guidelines for Reporting Reliability and Agreement Studies (GRRAS) were proposed. J Clin
Epidemiol. 2011;64(1):96–106. Items the pipeline cannot know are marked for the authors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ._strobe import _first

if TYPE_CHECKING:
    from .document import Report

UNKNOWN = "to report by the authors"
COLUMNS = ["item", "section", "recommendation", "in this report"]

#: (item, section, what STARD 2015 asks)
STARD = (
    ("1", "Title or abstract", "identification as a study of diagnostic accuracy using at least "
     "one measure of accuracy (sensitivity, specificity, predictive values or AUC)"),
    ("2", "Abstract", "structured summary of design, methods, results and conclusions"),
    ("3", "Introduction", "scientific and clinical background, intended use and clinical role of "
     "the index test"),
    ("4", "Introduction", "study objectives and hypotheses"),
    ("5", "Study design", "whether data collection was planned before (prospective) or after "
     "(retrospective) the index test and reference standard were performed"),
    ("6", "Participants", "eligibility criteria"),
    ("7", "Participants", "on what basis potentially eligible participants were identified"),
    ("8", "Participants", "where and when potentially eligible participants were identified"),
    ("9", "Participants", "whether participants formed a consecutive, random or convenience "
     "series"),
    ("10a", "Test methods", "index test, in sufficient detail to allow replication"),
    ("10b", "Test methods", "reference standard, in sufficient detail to allow replication"),
    ("11", "Test methods", "rationale for choosing the reference standard"),
    ("12a", "Test methods", "definition of and rationale for the index test's positivity "
     "cut-offs, pre-specified or exploratory"),
    ("12b", "Test methods", "definition of and rationale for the reference standard's "
     "positivity cut-offs or categories"),
    ("13a", "Test methods", "whether clinical information and reference standard results were "
     "available to the readers of the index test"),
    ("13b", "Test methods", "whether clinical information and index test results were available "
     "to the assessors of the reference standard"),
    ("14", "Analysis", "methods for estimating or comparing measures of diagnostic accuracy"),
    ("15", "Analysis", "how indeterminate index test or reference standard results were handled"),
    ("16", "Analysis", "how missing data on the index test and reference standard were handled"),
    ("17", "Analysis", "any analyses of variability in diagnostic accuracy"),
    ("18", "Analysis", "intended sample size and how it was determined"),
    ("19", "Participants", "flow of participants, using a diagram"),
    ("20", "Participants", "baseline demographic and clinical characteristics"),
    ("21a", "Participants", "distribution of severity of disease in those with the target "
     "condition"),
    ("21b", "Participants", "distribution of alternative diagnoses in those without it"),
    ("22", "Participants", "time interval and any clinical interventions between index test and "
     "reference standard"),
    ("23", "Test results", "cross tabulation of the index test results by the reference "
     "standard"),
    ("24", "Test results", "estimates of diagnostic accuracy and their precision (95% CIs)"),
    ("25", "Test results", "any adverse events from the index test or the reference standard"),
    ("26", "Discussion", "limitations, including sources of bias, statistical uncertainty and "
     "generalisability"),
    ("27", "Discussion", "implications for practice, intended use and clinical role"),
    ("28", "Other information", "registration number and name of registry"),
    ("29", "Other information", "where the full study protocol can be accessed"),
    ("30", "Other information", "sources of funding and other support; role of funders"),
)  # fmt: skip

#: (item, section, what GRRAS asks)
GRRAS = (
    ("1", "Title and abstract", "identify that inter-/intra-rater reliability or agreement was "
     "investigated"),
    ("2", "Introduction", "name and describe the diagnostic or measurement device of interest"),
    ("3", "Introduction", "specify the subject population of interest"),
    ("4", "Introduction", "specify the rater population of interest"),
    ("5", "Introduction", "what is already known about reliability and agreement; rationale"),
    ("6", "Methods", "how the sample size was chosen; the number of raters, subjects and "
     "replicate observations"),
    ("7", "Methods", "the sampling method"),
    ("8", "Methods", "the measurement/rating process (interval between repeated measurements, "
     "available clinical information, blinding)"),
    ("9", "Methods", "whether measurements/ratings were made independently"),
    ("10", "Methods", "the statistical analysis"),
    ("11", "Results", "the actual number of raters and subjects included and the number of "
     "replicate observations"),
    ("12", "Results", "sample characteristics of raters and subjects (training, experience)"),
    ("13", "Results", "estimates of reliability and agreement with their statistical "
     "uncertainty"),
    ("14", "Discussion", "the practical relevance of the results"),
    ("15", "Auxiliary material", "detailed results"),
)  # fmt: skip


def _stard_known(report: Report) -> dict[str, str]:
    out: dict[str, str] = {}
    roc = _first(report, "RocResult")
    adjusted = _first(report, "AdjustedRocResult")
    thresholds = _first(report, "ThresholdResult")
    if _first(report, "IndicatorResult") is not None:
        out["10a"] = "indicators and their derivation from the readings (appendix)"
    if roc is not None:
        out["12a"] = (
            "Youden cut-offs, data-driven (exploratory), with every optimum listed (ROC section "
            "appendix)" + ("; bootstrap CI and optimism-corrected Se/Sp" if thresholds else "")
        )
        out["14"] = "Statistical analysis paragraph (AUC with CIs, DeLong comparison)"
        out["24"] = "AUCs with CIs (ROC section), Se and Sp with CIs at the Youden cut-off"
    if adjusted is not None:
        out["14"] = out.get("14", "Statistical analysis paragraph") + (
            "; covariate-adjusted AUC as the primary summary in the matched design"
        )
        covs = ", ".join(adjusted.settings.get("covariates") or ())
        out["17"] = f"AUC adjusted for {covs} beside the pooled AUC (adjusted AUC section)"
    if thresholds is not None:
        out["23"] = "TP, FN, FP, TN at every cut-off (threshold table, Excel)"
        out["24"] = out.get("24", "") + "; PPV, NPV, LR+ and LR− with CIs (threshold table)"
    excluded = sum(len(i.result.excluded) for i in report.items)
    out["16"] = (
        f"missing values excluded per analysis ({excluded} listed with reasons); no imputation"
    )
    if _first(report, "SampleSizeResult") is not None:
        out["18"] = "post-hoc power only (sample size section); the intended size: authors"
    match = _first(report, "MatchResult")
    if match is not None:
        s = match.settings
        out["19"] = (
            f"{s.get('n_cases')} cases, {s.get('n_controls')} candidate controls, "
            f"{len(match.table)} matched sets (matching section); no diagram is drawn"
        )
    if _first(report, "GroupComparison") is not None:
        out["20"] = "patient characteristics table"
    return out


def _grras_known(report: Report) -> dict[str, str]:
    out: dict[str, str] = {}
    rel = [i.result for i in report.items if type(i.result).__name__ == "ReliabilityResult"]
    if not rel:
        return out
    counts = []
    for r in rel:
        t = r.table
        for row in t.itertuples():
            kind = r.settings.get("kind")
            counts.append(
                f"{row.measure} ({kind}): {int(row.n_targets)} targets, "
                f"{int(row.n_raters)} {'raters' if kind == 'inter' else 'sessions'}"
            )
    out["6"] = "the numbers analysed are in the reliability tables; how they were chosen: authors"
    out["10"] = "Statistical analysis paragraph (ICC form, F test, CI, SEM and MDC95)" + (
        "; Bland–Altman limits and Lin's CCC" if _first(report, "AgreementResult") else ""
    )
    out["11"] = "; ".join(counts)
    out["13"] = "ICCs with CIs, SEM and MDC95 (Reliability sections)" + (
        "; limits of agreement with CIs (Agreement sections)"
        if _first(report, "AgreementResult")
        else ""
    )
    out["15"] = "all six ICC forms (appendix) and the raw numbers (Excel)"
    return out


def stard_applies(report: Report) -> bool:
    """Whether the report holds a diagnostic-accuracy analysis (a ROC step)."""
    return (
        _first(report, "RocResult") is not None or _first(report, "AdjustedRocResult") is not None
    )


def grras_applies(report: Report) -> bool:
    """Whether the report holds a reliability analysis."""
    return _first(report, "ReliabilityResult") is not None


def _filled(items: Any, known: dict[str, str]) -> pd.DataFrame:
    rows = [(i, sec, rec, known.get(i, UNKNOWN)) for i, sec, rec in items]
    return pd.DataFrame(rows, columns=COLUMNS)


def stard_checklist(report: Report) -> pd.DataFrame:
    """The STARD 2015 checklist with where the report answers each item (or for the authors)."""
    return _filled(STARD, _stard_known(report))


def grras_checklist(report: Report) -> pd.DataFrame:
    """The GRRAS checklist with where the report answers each item (or for the authors)."""
    return _filled(GRRAS, _grras_known(report))


#: (key, title, sheet, applies, build) of the checklists beside STROBE
CHECKLISTS = (
    ("stard", "STARD 2015 checklist (diagnostic accuracy)", "STARD", stard_applies,
     stard_checklist),
    ("grras", "GRRAS checklist (reliability and agreement)", "GRRAS", grras_applies,
     grras_checklist),
)  # fmt: skip
