"""The "Statistical analysis" paragraph, written from what the results' settings say was done."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..present._format import Style, format_setting

if TYPE_CHECKING:
    from .document import Report

REFERENCES = {
    "icc": "Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability. "
    "Psychol Bull. 1979;86(2):420–8.",
    "icc_mw": "McGraw KO, Wong SP. Forming inferences about some intraclass correlation "
    "coefficients. Psychol Methods. 1996;1(1):30–46.",
    "smd": "Austin PC. Balance diagnostics for comparing the distribution of baseline covariates "
    "between treatment groups in propensity-score matched samples. Stat Med. "
    "2009;28(25):3083–107.",
    "newcombe": "Newcombe RG. Interval estimation for the difference between independent "
    "proportions. Stat Med. 1998;17(8):873–90.",
    "bonett": "Bonett DG, Wright TA. Sample size requirements for estimating Pearson, Kendall "
    "and Spearman correlations. Psychometrika. 2000;65(1):23–8.",
    "firth": "Firth D. Bias reduction of maximum likelihood estimates. Biometrika. "
    "1993;80(1):27–38.",
    "delong": "DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more "
    "correlated receiver operating characteristic curves: a nonparametric approach. "
    "Biometrics. 1988;44(3):837–45.",
    "youden": "Youden WJ. Index for rating diagnostic tests. Cancer. 1950;3(1):32–5.",
    "holm": "Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat. "
    "1979;6(2):65–70.",
    "bland_altman": "Bland JM, Altman DG. Statistical methods for assessing agreement between "
    "two methods of clinical measurement. Lancet. 1986;1(8476):307–10.",
    "carkeet": "Carkeet A. Exact parametric confidence intervals for Bland-Altman limits of "
    "agreement. Optom Vis Sci. 2015;92(3):e71–80.",
    "zou": "Zou GY. Confidence interval estimation for the Bland-Altman limits of agreement "
    "with multiple observations per individual. Stat Methods Med Res. 2013;22(6):630–42.",
    "lin": "Lin LI. A concordance correlation coefficient to evaluate reproducibility. "
    "Biometrics. 1989;45(1):255–68.",
    "obuchowski": "Obuchowski NA, McClish DK. Sample size determination for diagnostic accuracy "
    "studies involving binormal ROC curve indices. Stat Med. 1997;16(13):1529–42.",
    "hanley": "Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating "
    "characteristic (ROC) curve. Radiology. 1982;143(1):29–36.",
    "harrell": "Harrell FE, Lee KL, Mark DB. Multivariable prognostic models: issues in "
    "developing models, evaluating assumptions and adequacy, and measuring and reducing errors. "
    "Stat Med. 1996;15(4):361–87.",
    "janes_pepe": "Janes H, Pepe MS. Adjusting for covariates in studies of diagnostic, "
    "screening, or prognostic markers: an old concept in a new setting. Am J Epidemiol. "
    "2008;168(1):89–97.",
    "janes_matching": "Janes H, Pepe MS. Matching in studies of classification accuracy: "
    "implications for analysis, efficiency, and assessment of incremental value. Biometrics. "
    "2008;64(1):1–9.",
    "wilson": "Wilson EB. Probable inference, the law of succession, and statistical inference. "
    "J Am Stat Assoc. 1927;22(158):209–12.",
    "mercaldo": "Mercaldo ND, Lau KF, Zhou XH. Confidence intervals for predictive values with "
    "an emphasis to case–control studies. Stat Med. 2007;26(10):2170–83.",
    "simel": "Simel DL, Samsa GP, Matchar DB. Likelihood ratios with confidence: sample size "
    "estimation for diagnostic test studies. J Clin Epidemiol. 1991;44(8):763–70.",
    "evalue": "VanderWeele TJ, Ding P. Sensitivity analysis in observational research: "
    "introducing the E-value. Ann Intern Med. 2017;167(4):268–74.",
    "weir": "Weir JP. Quantifying test-retest reliability using the intraclass correlation "
    "coefficient and the SEM. J Strength Cond Res. 2005;19(1):231–40.",
    "ovcfstats": "The ovcfstats authors. ovcfstats: statistics for matched case–control studies "
    f"of osteoporotic vertebral fractures (Python package), version {__version__}. 2026.",
    "vanbuuren": "van Buuren S, Groothuis-Oudshoorn K. mice: multivariate imputation by chained "
    "equations in R. J Stat Softw. 2011;45(3):1–67.",
    "rubin": "Rubin DB. Multiple imputation for nonresponse in surveys. New York: Wiley; 1987.",
    "barnard_rubin": "Barnard J, Rubin DB. Small-sample degrees of freedom with multiple "
    "imputation. Biometrika. 1999;86(4):948–55.",
    "li_d2": "Li KH, Meng XL, Raghunathan TE, Rubin DB. Significance levels from repeated "
    "p-values with multiply-imputed data. Stat Sin. 1991;1(1):65–92.",
    "vickers": "Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating "
    "prediction models. Med Decis Making. 2006;26(6):565–74.",
}

TESTS = {
    "paired_t": "the paired t test",
    "welch": "Welch's t test",
    "student": "Student's t test",
    "wilcoxon_paired": "the Wilcoxon signed-rank test",
    "wilcoxon_unpaired": "the Mann–Whitney U test",
    "chi2": "Pearson's χ² test without continuity correction",
    "fisher": "Fisher's exact test",
    "mcnemar": "McNemar's test",
    "bowker": "Bowker's test of symmetry",
    "chi2_yates": "Pearson's χ² test with Yates' continuity correction",
    "wilcoxon_paired_exact": "the exact Wilcoxon signed-rank test",
    "wilcoxon_unpaired_exact": "the exact Mann–Whitney U test",
    "clogit": "the conditional-logistic score test stratified by matched set",
}


def _kind(report: Report, name: str) -> list[Any]:
    """The results of one type; a complete-case sensitivity analysis is said with the pooled."""
    return [
        item.result for item in report.items
        if type(item.result).__name__ == name and not item.result.settings.get("complete_case")
    ]


def _imputation(report: Report, style: Style, used: list[str]) -> list[str]:
    """The sentences on multiple imputation and pooling, when the analyses were pooled."""
    out = []
    for r in _kind(report, "Imputed"):
        s = r.settings
        names = _join([_lower(style.label(v)) for v in s.get("imputed") or ()])
        out.append(
            f"Missing values of {names} were imputed m = {s.get('m')} times by chained "
            f"equations {_cite(used, 'vanbuuren')} (predictive mean matching for continuous "
            "and logistic regression for binary variables; the outcome and the matching "
            f"variables among the predictors; {s.get('iterations')} iterations; seed "
            f"{s.get('seed')}). {s.get('matching', '')} Estimates were pooled by Rubin's rules "
            f"{_cite(used, 'rubin')} with Barnard–Rubin degrees of freedom "
            f"{_cite(used, 'barnard_rubin')}: log ORs, mean differences, AUCs on the logit "
            "scale and ρ as Fisher's z; χ² and rank tests by the D2 rule "
            f"{_cite(used, 'li_d2')}. The complete-case analysis is reported as a sensitivity "
            "analysis." + _pooled_intervals(report)
        )
    return out


def _pooled_intervals(report: Report) -> str:
    """Say where the pooled analyses used other CIs than the complete-case ones (Rubin's rules
    pool an estimate and its standard error: profile-likelihood and bootstrap CIs have none)."""
    chosen = {
        type(i.result).__name__: i.result.settings.get("ci")
        for i in report.items
        if i.result.settings.get("complete_case")
    }
    out = []
    if chosen.get("LogisticResult") not in (None, "wald"):
        out.append("the pooled ORs have Wald CIs")
    if chosen.get("RocResult") not in (None, "delong"):
        out.append("the pooled AUCs DeLong standard errors")
    if not out:
        return ""
    return (
        f" Rubin's rules pool an estimate with its standard error, so {' and '.join(out)}; "
        "the complete-case analyses keep the intervals chosen for the study."
    )


def _cite(used: list[str], key: str) -> str:
    if key not in used:
        used.append(key)
    return f"[{used.index(key) + 1}]"


def _difference_words(keys: set[str], used: list[str]) -> str:
    """How Table 1's differences got their CIs: within matched sets (the conditional test's
    rows) and/or Newcombe's for the unpaired binary tests."""
    parts = []
    if "clogit" in keys:
        parts.append(
            "differences are the mean over the matched sets of case − mean of its controls "
            "(of the 0/1 indicator for categorical rows), with t CIs on the number of sets − 1 df"
        )
    if "clogit" not in keys or keys & {"chi2", "chi2_yates", "fisher"}:
        parts.append(
            f"differences of proportions have Newcombe's hybrid score CIs {_cite(used, 'newcombe')}"
        )
    return "; " + "; ".join(parts) + "."


def _level(result: Any) -> str:
    return f"{100 * (1 - float(result.settings.get('alpha', 0.05))):g}%"


def _versions() -> str:
    names = ("numpy", "scipy", "pandas", "statsmodels", "scikit-learn", "matplotlib")
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            continue
    return f"ovcfstats {__version__} (Python {platform.python_version()}; " + ", ".join(parts) + ")"


def _cited(report: Report) -> list[str]:
    used: list[str] = []
    methods_paragraphs(report, Style(), used)
    return used


def references(report: Report) -> list[str]:
    """The references the methods paragraph cites, numbered in order of citation."""
    return [REFERENCES[k] for k in _cited(report)]


def methods_paragraphs(report: Report, style: Style, used: list[str] | None = None) -> list[str]:
    """The "Statistical analysis" section as paragraphs (see the module docstring)."""
    used = [] if used is None else used
    sentences: list[str] = []
    rel = _kind(report, "ReliabilityResult")
    if rel:
        kinds = " and ".join(
            dict.fromkeys(f"{r.settings.get('kind', '')}-rater" for r in rel).keys()
        )
        form = rel[0].table["description"].iloc[0] if len(rel[0].table) else ""
        sentences.append(
            f"{kinds.capitalize()} reliability of the readings was assessed with the intraclass "
            f"correlation coefficient {form} {_cite(used, 'icc')}{_cite(used, 'icc_mw')}, "
            f"with {_level(rel[0])} confidence intervals (CIs) and F tests of ICC = 0"
            + (
                "; the standard error of measurement (SEM = SD of all readings × √(1 − ICC)) "
                "and the minimal detectable change (MDC95 = 1.96 × √2 × SEM) "
                f"{_cite(used, 'weir')} express it in the measure's units."
                if "sem" in rel[0].table.columns
                else "."
            )
        )
    if _kind(report, "AgreementResult"):
        sentences.append(
            "Agreement between readings was described by the Bland–Altman bias and 95% limits "
            f"of agreement {_cite(used, 'bland_altman')} with exact CIs of the limits "
            f"{_cite(used, 'carkeet')} (with several regions per patient, Zou's intervals "
            f"{_cite(used, 'zou')}), a regression of the difference on the mean for "
            "proportional bias, and Lin's concordance correlation coefficient "
            f"{_cite(used, 'lin')}."
        )
    sentences += _imputation(report, style, used)
    for m in _kind(report, "MatchResult"):
        s = m.settings
        caliper = "; ".join(
            f"{style.label(k).lower()} within ±{format_setting(v)} {style.info(k)['unit']}".strip()
            for k, v in (s.get("caliper") or {}).items()
        )
        method = {
            "optimal": "optimal matching (fewest unmatched cases, then the least total distance)",
            "nearest": "greedy nearest-neighbour matching",
            "random": "random matching among the eligible controls",
        }.get(str(s.get("method")), str(s.get("method")))
        exact = format_setting(s.get("exact"), style).lower()
        sentences.append(
            f"Each case was matched 1:{s.get('ratio', 1)} without replacement to a control of "
            f"the same {exact}" + (f" with {caliper}" if caliper else "") + f", by {method}. "
            "Balance was checked with standardised mean differences (SMD) before and after "
            f"matching {_cite(used, 'smd')}."
        )
    for g in _kind(report, "GroupComparison"):
        s = g.settings
        on = list(dict.fromkeys(s.get("matched_on") or ()))
        used_tests = {v: t for v, t in (s.get("tests_used") or {}).items() if v not in on}
        tests = [TESTS.get(t, t) for t in dict.fromkeys(used_tests.values())]
        summary = "median (Q1–Q3)" if s.get("median") else "mean ± SD"
        sentences.append(
            f"Continuous variables are given as {summary} and categorical ones as n (%). "
            + (
                "Cases were compared with their matched controls "
                if s.get("paired")
                else "Cases were compared with controls "
            )
            + "by "
            + _join(tests)
            + _difference_words(set(used_tests.values()), used)
        )
        if on:  # analysed as matched: the matching variables are not tested
            words = _join([style.label(v).lower() if not style.label(v)[1:2].isupper()
                           else style.label(v) for v in on])  # fmt: skip
            sentences.append(f"The matching variables ({words}) were not tested.")
    if _kind(report, "SpearmanOutcome") or _kind(report, "SpearmanMatrix"):
        mats = _kind(report, "SpearmanMatrix")
        adjust = mats[0].settings.get("adjust") if mats else None
        sentences.append(
            "Associations with OVCF and among the indicators were measured with Spearman's "
            "rank correlation ρ, with p-values from the t approximation and CIs from Fisher's z "
            f"with the Bonett–Wright variance {_cite(used, 'bonett')}"
            + (f"; p-values among the indicators adjusted by {adjust}" if adjust else "")
            + "."
        )
    for r in _kind(report, "LogisticResult"):
        s = r.settings
        model = (
            "one model per indicator"
            if s.get("model") == "separate"
            else "one model holding all indicators"
        )
        kind = (
            "Conditional logistic regression on the matched sets"
            if s.get("conditional")
            else "Logistic regression"
        )
        per = s.get("per")
        per_text = {"sd": "per standard deviation", "unit": "per unit"}.get(
            str(per), f"per {format_setting(per)} units"
        )
        adjust = _join([_lower(style.label(a)) for a in s.get("adjust") or ()])
        fit = (
            f"Firth's penalised likelihood {_cite(used, 'firth')}"
            if s.get("method") == "firth"
            else "maximum likelihood"
        )
        ci = "profile-likelihood" if s.get("ci") == "profile" else "Wald"
        tests = (
            f"{ci} CIs and Wald p-values" if s.get("ci") != "rubin"
            else "CIs and p-values pooled over the imputations"
        )
        sentences.append(
            f"{kind} ({model}, fitted by {fit}) gave odds ratios (ORs) {per_text} of each "
            f"indicator"
            + (f", adjusted for {adjust}" if s.get("adjust") else "")
            + f", with {_level(r)} {tests}."
        )
        if "evalue" in r.table.columns:
            rare = s.get("evalue_rare", True)
            scale = "the OR taken as a risk ratio for a rare outcome" if rare else "RR ≈ √OR"
            sentences.append(
                f"E-values {_cite(used, 'evalue')}, with {scale}, give the minimum strength of "
                "association an unmeasured confounder would need with both the indicator and "
                "OVCF to explain away each OR and its CI limit nearer to 1."
            )
    for r in _kind(report, "RocResult"):
        ci = "DeLong" if r.settings.get("ci") == "delong" else "stratified bootstrap"
        sentences.append(
            "Discrimination was measured by the area under the ROC curve (AUC) with "
            f"{_level(r)} {ci} CIs {_cite(used, 'delong')}; the cut-off maximising Youden's "
            f"index {_cite(used, 'youden')} is given with exact (Clopper–Pearson) CIs of "
            "sensitivity and specificity."
        )
    sentences += _diagnostic(report, used)
    for r in _kind(report, "CompareAucResult"):
        adjust = r.settings.get("adjust")
        sentences.append(
            "AUCs were compared pairwise with DeLong's test for correlated ROC curves"
            + (
                f", with p-values adjusted by Holm's method {_cite(used, 'holm')}"
                if adjust == "holm"
                else f", with p-values adjusted by {adjust}"
                if adjust
                else ""
            )
            + ", and all together with DeLong's χ² test."
        )
    for r in _kind(report, "SampleSizeResult"):
        variance = "Obuchowski's" if r.settings.get("variance") == "obuchowski" else "Hanley–McNeil"
        ref = "obuchowski" if r.settings.get("variance") == "obuchowski" else "hanley"
        sentences.append(
            f"Post hoc, the power at the observed AUCs (against 0.5, {variance} variance "
            f"{_cite(used, ref)}) and at the observed ORs per SD (score test of the matched "
            "sets), and the smallest effects the sample detects with power "
            f"{format_setting(r.settings.get('target_power', 0.8))}, are reported."
        )
    for r in _kind(report, "CombinedModelResult"):
        s = r.settings
        predictors = _join([_lower(style.label(p)) for p in s.get("predictors") or ()])
        sentences.append(
            f"A combined logistic model of {predictors} was validated internally by "
            f"{s.get('n_boot_used', s.get('n_boot'))} bootstrap resamples (optimism-corrected "
            f"AUC and calibration slope and intercept {_cite(used, 'harrell')}) and "
            f"{s.get('cv_repeats')}×{s.get('cv_folds')}-fold cross-validation; its clinical "
            f"value was shown by decision curves {_cite(used, 'vickers')}."
        )
    sentences += _missing(report)
    alphas = {float(item.result.settings.get("alpha", 0.05)) for item in report.items}
    alpha = min(alphas) if alphas else 0.05
    closing = (
        f"Tests were two-sided with significance at p < {alpha:g}. "
        f"Analyses were run with {_versions()} {_cite(used, 'ovcfstats')}."
    )
    paragraphs = [" ".join(sentences), closing] if sentences else [closing]
    return paragraphs


def _missing(report: Report) -> list[str]:
    """How missing values were handled (STROBE 12c), when the report describes them."""
    described = _kind(report, "MissingData")
    if not described:
        return []
    if described[0].n_missing == 0:
        return ["No value of the analysed variables was missing."]
    return [
        "Missing values were not imputed: each analysis used the patients with complete data "
        "on its variables (complete-case analysis); the missing values per variable and group, "
        "their patterns and the patients each analysis kept are reported."
    ]


def _diagnostic(report: Report, used: list[str]) -> list[str]:
    """The sentences on the adjusted AUC (which summary is primary, and why) and thresholds."""
    out = []
    for r in _kind(report, "AdjustedRocResult"):
        s = r.settings
        covs = _join([str(c) for c in s.get("covariates") or ()]) or "no covariate"
        what = (
            f"The covariate-adjusted AUC {_cite(used, 'janes_pepe')}, the area under the ROC "
            "curve of each case's placement among the controls alike in "
            f"{covs} (a linear model of the indicator on {covs} fitted in the controls), "
        )
        if s.get("resampled") == "sets":
            out.append(
                what + "is the primary measure of discrimination: the controls were matched to "
                "the cases on these covariates, so the pooled AUC over all patients mixes the "
                "indicator's accuracy with the matching and is biased when the covariates are "
                f"associated with the indicator {_cite(used, 'janes_matching')}; the "
                f"pooled AUC is shown beside it. Its {_level(r)} CIs are percentile intervals "
                f"of {s.get('n_boot')} bootstrap resamples of the matched sets, the control "
                "model refitted in each."
            )
        else:
            out.append(
                what + "is shown beside the pooled AUC, which is primary in this unmatched "
                f"design; {_level(r)} CIs from {s.get('n_boot')} bootstrap resamples of the "
                "cases and controls."
            )
    for r in _kind(report, "ThresholdResult"):
        pi = r.settings.get("prevalence")
        wilson, harrell = _cite(used, "wilson"), _cite(used, "harrell")
        ppv = (
            f", the positive and negative predictive values at a population prevalence of "
            f"{100 * pi:g}% (Bayes' theorem; logit CIs {_cite(used, 'mercaldo')})"
            if pi is not None
            else ""
        )
        out.append(
            "At each indicator's Youden cut-off, sensitivity and specificity (Wilson CIs "
            f"{wilson}) with their optimism-corrected values from the same "
            f"bootstrap {harrell}{ppv} and the likelihood ratios (log-scale CIs "
            f"{_cite(used, 'simel')}) are given; the cut-off's CI is a bootstrap percentile "
            "interval."
        )
    return out


def _lower(text: str) -> str:
    """``Age`` → ``age`` in running text; acronyms (``BMI``, ``HU``) stay."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
