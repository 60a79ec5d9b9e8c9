"""The study's sample-size section: what its numbers of patients had power for (post hoc).

At the study's own observed AUCs (and, when given, odds ratios per SD) this reports the power of
the study's n, the n needed for a target power, and the smallest effect the study's n detects.
Power computed at observed effects is a transformation of the p-value and says nothing the
confidence interval does not; the section labels it as post hoc and leads with the detectable
effect, which is the useful design figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from .._validate import DataError, check_option
from .matched import power_matched_continuous
from .power import VARIANCES, PowerResult, power_auc


@dataclass(frozen=True, eq=False)
class SampleSizeResult(PowerResult):
    """Post-hoc power per indicator: AUC rows in ``.table``, odds-ratio rows in ``.odds_ratios``."""

    odds_ratios: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Sample size: what the study had power for (post hoc)"

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"auc": self.table.copy()}
        if len(self.odds_ratios):
            out["odds_ratio_per_sd"] = self.odds_ratios.copy()
        return out

    def notes(self) -> list[str]:
        s = self.settings
        lines = [
            f"Post hoc, at the study's own observed effects (two-sided α = {s['alpha']:g}, "
            f"target power {s['target_power']:g}): power_observed is a restatement of the p-value; "
            "auc_detectable / or_detectable are the smallest effects the study's n detects.",
            f"AUC against 0.5 with the {s['variance']} variance (as pROC power.roc.test).",
        ]
        if len(self.odds_ratios):
            lines.append(
                f"Odds ratios per SD: matched sets of 1 case and {s['controls_per_case']} "
                f"control(s), within-set correlation ρ = {s['rho']:g}, conditional-logistic score "
                "test (Lachin 2008)."
            )
        return lines + Result.notes(self)


def _or_lookup(odds_ratios: Any, func: str) -> dict[str, float]:
    if isinstance(odds_ratios, Mapping):
        return {str(k): float(v) for k, v in odds_ratios.items()}
    table = getattr(odds_ratios, "table", None)
    if table is None or not {"indicator", "or"} <= set(table.columns):
        raise TypeError(
            f"{func}(): `odds_ratios` must be a mapping indicator -> OR per SD or the result of "
            "logistic_or(..., per='sd')."
        )
    if "per" in table.columns and not table["per"].astype(str).str.contains("SD").all():
        raise DataError(
            f"{func}(): the odds ratios are not per SD ({sorted(set(table['per']))}); "
            "refit with logistic_or(..., per='sd')."
        )
    return dict(zip(table["indicator"].astype(str), table["or"].astype(float), strict=True))


def _auc_rows(roc: Any, alpha: float, power: float, variance: str) -> tuple[list, list]:
    rows, curves = [], []
    for r in roc.table.itertuples():
        auc = max(float(r.auc), 1 - float(r.auc))
        m, n = float(r.n_cases), float(r.n_controls)
        kw = {"kappa": n / m, "alpha": alpha, "variance": variance}
        det = power_auc(n_cases=m, power=power, **kw)
        row = {"indicator": r.indicator, "auc": auc, "n_cases": m, "n_controls": n,
               "auc_detectable": float(det.table.loc[0, "auc"])}  # fmt: skip
        if auc > 0.5:
            obs = power_auc(auc, n_cases=m, **kw)
            row["power_observed"] = float(obs.table.loc[0, "power"])
            row["n_cases_needed"] = float(power_auc(auc, power=power, **kw).table.loc[0, "n_cases"])
            curves.append(obs.curve.assign(label=str(r.indicator)))
        else:
            row["power_observed"], row["n_cases_needed"] = np.nan, np.nan
        rows.append(row)
    return rows, curves


def sample_size_section(
    roc: Any,
    *,
    odds_ratios: Any = None,
    n_sets: float | None = None,
    controls_per_case: int = 1,
    rho: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    variance: str = "obuchowski",
) -> SampleSizeResult:
    """What the study's numbers of cases and controls had power for (post hoc).

    Parameters
    ----------
    roc : RocResult
        The result of :func:`~ovcfstats.roc_auc` (its ``indicator``, ``auc``, ``n_cases`` and
        ``n_controls``).
    odds_ratios : mapping or LogisticResult, optional
        Odds ratios per SD by indicator, or the result of ``logistic_or(..., per="sd")``.
    n_sets : float, optional
        Matched sets for the odds-ratio rows (default: the largest ``n_cases`` of ``roc``).
    controls_per_case : int, default 1
    rho : float, default 0
        Correlation of an indicator within matched sets.
    alpha, power : float, default 0.05 and 0.8
    variance : {"obuchowski", "hanley-mcneil"}

    Returns
    -------
    SampleSizeResult
        ``.table`` per indicator: ``indicator``, ``auc``, ``n_cases``, ``n_controls``,
        ``auc_detectable``, ``power_observed``, ``n_cases_needed``; ``.odds_ratios`` per
        indicator: ``indicator``, ``odds_ratio``, ``n_sets``, ``or_detectable``,
        ``power_observed``, ``n_sets_needed``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import roc_auc, sample_size_section
    >>> d = pd.DataFrame({"case": [1] * 6 + [0] * 6,
    ...                   "hu": [60, 72, 80, 66, 90, 95, 100, 120, 85, 130, 110, 115]})
    >>> sec = sample_size_section(roc_auc(d, "hu"), odds_ratios={"hu": 0.4})
    >>> sec.table[["indicator", "n_cases", "auc_detectable"]].round(3)
      indicator  n_cases  auc_detectable
    0        hu      6.0           0.906
    >>> sec.odds_ratios[["indicator", "n_sets", "or_detectable"]].round(2)
      indicator  n_sets  or_detectable
    0        hu     6.0           5.04
    """
    func = "sample_size_section"
    check_option(variance, VARIANCES, func, "variance")
    rows, curves = _auc_rows(roc, alpha, power, variance)
    or_rows = []
    if odds_ratios is not None:
        sets = float(n_sets) if n_sets is not None else float(roc.table["n_cases"].max())
        kw = {"controls_per_case": controls_per_case, "rho": rho, "alpha": alpha}
        detectable = power_matched_continuous(n_cases=sets, power=power, **kw)
        for name, value in _or_lookup(odds_ratios, func).items():
            row = {"indicator": name, "odds_ratio": value, "n_sets": sets,
                   "or_detectable": float(detectable.table.loc[0, "odds_ratio"])}  # fmt: skip
            if np.isfinite(value) and value > 0 and value != 1:  # not under separation
                obs = power_matched_continuous(value, n_cases=sets, **kw).table.loc[0, "power"]
                need = power_matched_continuous(value, power=power, **kw).table.loc[0, "n_cases"]
                row["power_observed"], row["n_sets_needed"] = float(obs), float(need)
            else:
                row["power_observed"], row["n_sets_needed"] = np.nan, np.nan
            or_rows.append(row)
    settings = {"alpha": alpha, "target_power": power, "variance": variance,
                "controls_per_case": controls_per_case, "rho": rho}  # fmt: skip
    curve = (
        pd.concat(curves, ignore_index=True)
        if curves
        else pd.DataFrame({"label": [], "n_cases": [], "power": []})
    )
    return SampleSizeResult(
        table=pd.DataFrame(rows),
        odds_ratios=pd.DataFrame(or_rows),
        curve=curve,
        settings=settings,
    )
