"""The paper's replication: its published numbers beside those reproduced on the sample.

Only :func:`~ovcfstats.reproduce` on the bundled synthetic sample adds this section; for each
number the sample cannot match it names the audit finding that explains why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from ..data._patient_codes import COMORBIDITIES
from ..data.schema import LABELS, label
from ._common import _agrees

if TYPE_CHECKING:
    from ..report import Report


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
            "The sample is synthetic (bundled), calibrated to the published tables; where "
            "the published numbers cannot all hold at once (see the audit) it cannot match all.",
            *super().notes(),
        ]



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
