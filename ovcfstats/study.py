"""The paper's pipeline in one call: reliability, indicators, matching, Tables 1–3, Fig. 5, audit.

The choices the paper leaves open live in one :class:`StudyConfig`, printed at the top of the
report. ``reproduce()`` on the bundled synthetic sample also adds the *Replication* section:
published numbers beside the reproduced ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from ._results import Result
from .audit import _agrees
from .report import Report
from .schema import COMORBIDITIES, INDICATORS, LABELS, label

#: what each choice means, printed beside its value in the report
CHOICES = {
    "caliper": "age caliper of the 1:1 matching, years (the paper does not state one)",
    "method": "matching method: optimal (fewest unmatched, then least total age distance), "
    "nearest (greedy) or random (SPSS-style)",
    "seed": "seed of random matching",
    "or_per": "OR scale: 'unit', 'sd' (per SD in the analysed sample) or a number",
    "or_model": "'separate' (one model per indicator) or 'joint' (all five in one model)",
    "conditional": "conditional logistic regression on the matched pairs",
    "or_ci": "OR CI: 'wald' or 'profile' likelihood",
    "or_method": "'ml' (maximum likelihood) or 'firth' (penalised; finite under separation)",
    "adjust": "covariates of the logistic models (the paper: age, sex and BMI)",
    "roc_ci": "AUC CI: 'delong' or 'bootstrap'",
    "auc_adjust": "multiple-testing adjustment of the pairwise AUC comparisons",
    "matrix_adjust": "multiple-testing adjustment of the Table 3 p-values",
    "min_vertebrae": "fewest non-fractured vertebrae an average needs",
    "fi_weighting": "FI average: 'equal' (mean of ROI percentages) or 'area' weighted",
    "alpha": "1 − confidence level",
}


@dataclass(frozen=True)
class StudyConfig:
    """The analysis choices of :func:`reproduce`, with the paper's (or the usual) defaults.

    Examples
    --------
    >>> from ovcfstats import StudyConfig
    >>> StudyConfig(caliper=1.0).caliper
    1.0
    """

    caliper: float = 2.0
    method: str = "optimal"
    seed: int | None = None
    or_per: str | float = "sd"
    or_model: str = "separate"
    conditional: bool = False
    or_ci: str = "wald"
    or_method: str = "ml"
    adjust: tuple[str, ...] = ("age", "sex", "bmi")
    roc_ci: str = "delong"
    auc_adjust: str | None = "holm"
    matrix_adjust: str | None = None
    min_vertebrae: int = 2
    fi_weighting: str = "equal"
    alpha: float = 0.05
    table1: tuple[str, ...] = field(
        default=("age", "sex", "bmi", *COMORBIDITIES, *INDICATORS), repr=False
    )


@dataclass(frozen=True, eq=False)
class ChoicesResult(Result):
    """The analysis choices: ``setting``, ``value``, ``meaning``."""

    title: ClassVar[str] = "Analysis choices"


@dataclass(frozen=True, eq=False)
class ReplicationResult(Result):
    """Published vs reproduced: ``source``, ``item``, ``statistic``, ``group``, ``published``,
    ``reproduced``, ``difference``, ``agrees``, ``note``."""

    title: ClassVar[str] = "Replication: published vs reproduced"

    def notes(self) -> list[str]:
        t = self.table
        return [
            f"{int(t['agrees'].sum())} of {int(t['agrees'].notna().sum())} comparable numbers "
            "agree. Means/SDs/counts agree when the reproduced value rounds to the printed one; "
            "p-values when both are on the same side of 0.05 (and both < 0.001 where printed so); "
            "ρ within 0.05; the AUC within 0.03. ORs depend on the unstated model choices and "
            "are shown without a verdict.",
            "The sample is synthetic (data/sample/), calibrated to the published tables; where "
            "the published numbers cannot all hold at once (see the audit) it cannot match all.",
            *super().notes(),
        ]


def choices(config: StudyConfig) -> ChoicesResult:
    """The config as a report section."""
    values = asdict(config)
    rows = [(k, repr(values[k]), CHOICES[k]) for k in CHOICES]
    table = pd.DataFrame(rows, columns=["setting", "value", "meaning"])
    return ChoicesResult(table=table)


def _progress(callback: Callable[[str], None] | None, message: str) -> None:
    if callback is not None:
        callback(message)


def reproduce(
    patients: pd.DataFrame | None = None,
    measurements: pd.DataFrame | None = None,
    *,
    config: StudyConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Run the paper's pipeline and return the :class:`~ovcfstats.Report`.

    Parameters
    ----------
    patients, measurements : pandas.DataFrame, optional
        The two tables of the data contract; both default to the bundled synthetic sample.
    config : StudyConfig, optional
        The analysis choices (defaults: :class:`StudyConfig`).
    progress : callable, optional
        Called with one line per step (the command line prints them).

    Returns
    -------
    Report
        Keys: ``choices``, ``reliability_inter``, ``reliability_intra``, ``indicators``,
        ``matching``, ``table1``, ``table2_rho``, ``table2_or``, ``table3``, ``fig5``,
        ``auc_comparison``, ``audit`` and, on the sample, ``replication``.

    Examples
    --------
    >>> from ovcfstats import reproduce
    >>> report = reproduce()  # doctest: +SKIP
    >>> report["fig5"].table[["indicator", "auc"]]  # doctest: +SKIP
    """
    from . import (
        audit_reported,
        compare_auc,
        compare_groups,
        derive_indicators,
        load_sample,
        logistic_or,
        match_controls,
        reliability,
        roc_auc,
        spearman_matrix,
        spearman_outcome,
    )

    cfg = config or StudyConfig()
    sample = patients is None and measurements is None
    if sample:
        patients, measurements = load_sample()
    elif patients is None or measurements is None:
        raise ValueError("reproduce(): give both `patients` and `measurements`, or neither.")
    title = "OVCF case–control study" + (" — synthetic sample" if sample else "")
    report = Report(
        title,
        intro=(
            "Synthetic data (data/sample/), generated and calibrated to the published tables; "
            "not patient data."
            if sample
            else ""
        ),
    )
    report.add(choices(cfg), key="choices")
    _progress(progress, "reliability (ICC)")
    for kind in ("inter", "intra"):
        report.add(
            reliability(measurements, kind=kind, alpha=cfg.alpha),
            title=f"Reliability ({kind}-rater ICC)",
            key=f"reliability_{kind}",
        )
    _progress(progress, "indicators")
    indicators = derive_indicators(
        patients, measurements, min_vertebrae=cfg.min_vertebrae, fi_weighting=cfg.fi_weighting
    )
    report.add(indicators, title="Indicators per patient", key="indicators", appendix=True)
    _progress(progress, "matching")
    matching = match_controls(
        indicators.table, caliper={"age": cfg.caliper}, method=cfg.method, seed=cfg.seed
    )
    report.add(matching, title="1:1 age- and sex-matched controls", key="matching")
    data = matching.matched
    _progress(progress, "Table 1")
    table1 = [v for v in cfg.table1 if v in data.columns]
    report.add(
        compare_groups(data, table1, alpha=cfg.alpha),
        title="Table 1. Patient demographics and OVCF indicators",
        key="table1",
    )
    _progress(progress, "Table 2")
    report.add(
        spearman_outcome(data, INDICATORS, alpha=cfg.alpha),
        title="Table 2. Spearman correlation of each indicator with OVCF",
        key="table2_rho",
    )
    report.add(
        logistic_or(
            data,
            INDICATORS,
            adjust=cfg.adjust,
            model=cfg.or_model,
            conditional=cfg.conditional,
            per=cfg.or_per,
            ci=cfg.or_ci,
            method=cfg.or_method,
            alpha=cfg.alpha,
        ),
        title="Table 2 (continued). Logistic regression adjusted for "
        + ", ".join(label(a) if label(a).isupper() else label(a).lower() for a in cfg.adjust),
        key="table2_or",
    )
    _progress(progress, "Table 3")
    report.add(
        spearman_matrix(data, INDICATORS, adjust=cfg.matrix_adjust, alpha=cfg.alpha),
        title="Table 3. Spearman correlations among the five indicators",
        key="table3",
    )
    _progress(progress, "Fig. 5")
    roc = roc_auc(data, INDICATORS, ci=cfg.roc_ci, seed=cfg.seed, alpha=cfg.alpha)
    report.add(
        roc,
        title="Fig. 5. ROC curves of the five indicators",
        key="fig5",
        figure_caption="ROC curves of the five indicators for OVCF (the paper's Fig. 5), with "
        f"the AUC ({100 * (1 - cfg.alpha):g}% CI) of each and its Youden cut-off (dot).",
    )
    report.add(
        compare_auc(data, INDICATORS, adjust=cfg.auc_adjust, alpha=cfg.alpha),
        title="Pairwise comparison of the AUCs (DeLong)",
        key="auc_comparison",
    )
    _progress(progress, "audit of the published numbers")
    report.add(audit_reported(), title="Audit of the paper's published statistics", key="audit")
    if sample:
        report.add(replication(report), key="replication")
    return report


# -- replication -------------------------------------------------------------------------------
def _p_agrees(value: float, row: pd.Series) -> bool:
    if row["relation"] == "<":
        return bool(value < row["value"])
    return bool((value < 0.05) == (row["value"] < 0.05))


def replication(report: Report) -> ReplicationResult:
    """Published numbers (:data:`ovcfstats.PUBLISHED`) beside the report's reproduced ones."""
    from .paper import PUBLISHED

    reproduced = _reproduced(report)
    rows = []
    for _, pub in PUBLISHED.iterrows():
        key = (pub["source"], pub["item"], pub["statistic"], pub["group"])
        if key not in reproduced:
            continue
        value, note = reproduced[key]
        stat = pub["statistic"]
        if stat in ("p", "p_rho", "p_or"):
            agrees = _p_agrees(value, pub)
        elif stat in ("mean", "sd", "count", "percent"):
            agrees = _agrees(value, pub)
        elif stat == "rho":
            agrees = bool(abs(value - pub["value"]) <= 0.05)
        elif stat == "min":  # "all above 0.8"
            agrees = bool(value > pub["value"])
        elif stat == "auc":
            agrees = bool(abs(value - pub["value"]) <= 0.03)
        else:
            agrees = None
        rows.append(
            {
                "source": pub["source"],
                "item": label(pub["item"].split("~")[0])
                + ("–" + label(pub["item"].split("~")[1]) if "~" in pub["item"] else ""),
                "statistic": stat,
                "group": pub["group"],
                "published": pub["printed"],
                "reproduced": value,
                "difference": value - pub["value"],
                "agrees": agrees,
                "note": note,
            }
        )
    table = pd.DataFrame(rows)
    table["agrees"] = table["agrees"].astype(object)
    explain = _explanations(report["audit"].table)
    for i, row in table.iterrows():
        if row["agrees"] is False:
            reason = explain(row["statistic"], row["item"], row["source"])
            table.at[i, "note"] = "; ".join(filter(None, [row["note"], reason]))
    return ReplicationResult(table=table)


def _explanations(audit: pd.DataFrame) -> Callable[[str, str, str], str]:
    """Why a published number cannot be matched: the audit findings that bear on it."""
    found = audit[~audit["consistent"].astype(bool)]

    def finding(check: str, item: str | None = None) -> str:
        rows = found[found["check"] == check]
        if item is not None:
            rows = rows[rows["item"] == item]
        texts = [f"audit '{r.check}' ({r.item}): {r.recomputed}" for r in rows.itertuples()]
        return "; ".join(dict.fromkeys(texts))

    def explain(statistic: str, item: str, source: str) -> str:
        key = {v: k for k, v in LABELS.items()}.get(item, item)
        if statistic in ("mean", "sd") and key == "age":
            t = audit[(audit["check"] == "t-test p") & (audit["item"] == "age")]
            return "1:1 matching within the caliper makes the groups' ages nearly equal; " + (
                t["detail"].iloc[0] if len(t) else ""
            )
        if statistic == "rho":
            parts = [finding("matrix positive semidefinite")]
            if "–" in item:
                parts.append(finding("matrix entries in [−1, 1]"))
            return "the published ρ's cannot all hold at once: " + "; ".join(filter(None, parts))
        if statistic == "auc":
            return finding("ρ ↔ AUC", "vbq") + "; " + finding("binormal AUC", "vbq")
        if statistic == "p_or":
            return "ORs depend on unstated model choices; " + (
                finding("CI vs p", key) or "the printed OR, CI and p agree"
            )
        return ""

    return explain


def _reproduced(report: Report) -> dict[tuple[str, str, str, str], tuple[float, str]]:
    """(source, item, statistic, group) -> (reproduced value, note)."""
    out: dict[tuple[str, str, str, str], tuple[float, str]] = {}
    t1 = report["table1"].table
    groups = {"cases": "1", "controls": "0"}
    swapped = "the paper's FI columns read as swapped (see the audit)"
    for _, r in t1.iterrows():
        var = r["variable"]
        if r["kind"] == "continuous":
            for group, g in groups.items():
                source_group = group
                note = ""
                if var == "fi":
                    source_group = "controls" if group == "cases" else "cases"
                    note = swapped
                for stat in ("mean", "sd"):
                    out[("Table 1", var, stat, source_group)] = (float(r[f"{stat}_{g}"]), note)
            out[("Table 1", var, "p", "")] = (float(r["p"]), r["test"])
        elif var in COMORBIDITIES and str(r["level"]) == "1":
            for group, g in groups.items():
                out[("Table 1", var, "count", group)] = (float(r[f"count_{g}"]), "")
            out[("Table 1", var, "p", "")] = (float(r["p"]), r["test"])
        elif var == "sex" and str(r["level"]) == "F":
            for group, g in groups.items():
                out[("Table 1", "female", "count", group)] = (float(r[f"count_{g}"]), "")
    for _, r in report["table2_rho"].table.iterrows():
        out[("Table 2", r["indicator"], "rho", "")] = (float(r["rho"]), "")
        out[("Table 2", r["indicator"], "p_rho", "")] = (float(r["p"]), "")
    for _, r in report["table2_or"].table.iterrows():
        note = f"per {r['per']}, {r['model']} model"
        out[("Table 2", r["indicator"], "or", "")] = (float(r["or"]), note)
        out[("Table 2", r["indicator"], "or_ci_low", "")] = (float(r["ci_low"]), note)
        out[("Table 2", r["indicator"], "or_ci_high", "")] = (float(r["ci_high"]), note)
        out[("Table 2", r["indicator"], "p_or", "")] = (float(r["p"]), note)
    rho = report["table3"].rho
    for i, a in enumerate(rho.index):
        for b in rho.columns[i + 1 :]:  # the upper triangle; the paper prints both
            out[("Table 3", f"{a}~{b}", "rho", "")] = (float(rho.loc[a, b]), "")
    auc = report["fig5"].table.set_index("indicator")
    if "vbq" in auc.index:
        out[("Results text", "vbq", "auc", "")] = (float(auc.loc["vbq", "auc"]), "")
    levels = report["indicators"].table
    if "fracture_level" in levels.columns:
        counts = levels.loc[levels["case"] == 1, "fracture_level"].value_counts()
        for level, n in counts.items():
            out[("Table 1", f"fracture {level}", "count", "cases")] = (float(n), "")
    icc = pd.concat([report[k].table for k in ("reliability_inter", "reliability_intra")])
    out[("Results text", "icc", "min", "")] = (float(np.min(icc["icc"])), "lowest ICC")
    return out
