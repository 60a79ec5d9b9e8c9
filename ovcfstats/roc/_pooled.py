"""``roc_auc`` and ``compare_auc`` on multiply imputed data, pooled by Rubin's rules.

- AUC: pooled on the logit scale, logit(AUC) with the delta-method variance
  SE²/(AUC·(1 − AUC))², complete-data df infinite (a large-sample statistic); the CI is
  back-transformed, so it stays inside (0, 1) and is asymmetric as the AUC's sampling
  distribution is. The direction of each indicator is resolved on the first completed table and
  kept for every other, so that all m AUCs measure the same side.
- Youden cut-off, sensitivity and specificity: averaged over the imputations (point estimates
  only; their exact CIs have no pooling rule and are left empty). The curve drawn is the first
  completed table's.
- ΔAUC (``compare_auc``): the DeLong difference and its SE pooled on the raw scale (a difference
  of two AUCs is symmetric about 0), p from t with the Barnard–Rubin df; the omnibus χ² by D2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from .._pool import Imputed, d2, rubin
from .._results import concat_excluded

AVERAGED = ("cutoff", "cutoff_observed", "sensitivity", "specificity", "youden")
EMPTY = ("sens_ci_low", "sens_ci_high", "spec_ci_low", "spec_ci_high")


def pooled_roc(imputed: Imputed, roc: Any, kwargs: dict[str, Any]) -> Any:
    """Pool ``roc(dataset, **kwargs)`` (``roc_auc``) over the completed tables."""
    if kwargs.get("ci", "delong") != "delong":
        raise ValueError("roc_auc() on imputed data pools DeLong SEs by Rubin's rules; use "
                         "ci='delong'.")
    first = roc(imputed.datasets[0], **kwargs)
    fixed = dict(zip(first.table["indicator"], first.table["direction"], strict=True))
    fits = [first, *(roc(d, **{**kwargs, "direction": fixed}) for d in imputed.datasets[1:])]
    auc = np.array([f.table["auc"].to_numpy(float) for f in fits])
    se = np.array([f.table["se"].to_numpy(float) for f in fits])
    alpha = float(kwargs.get("alpha", 0.05))
    pooled = rubin(logit(auc), (se / (auc * (1 - auc))) ** 2, alpha=alpha)
    table = first.table.copy()
    table["auc"] = expit(pooled["estimate"])
    table["ci_low"], table["ci_high"] = expit(pooled["ci_low"]), expit(pooled["ci_high"])
    table["se"] = table["auc"] * (1 - table["auc"]) * pooled["se"]  # delta method back
    table["df"], table["fmi"], table["m"] = pooled["df"], pooled["fmi"], imputed.m
    for col in AVERAGED:
        table[col] = np.mean([f.table[col].to_numpy(float) for f in fits], axis=0)
    for col in EMPTY:
        table[col] = np.nan
    return type(first)(
        table=table,
        excluded=concat_excluded([imputed.excluded, first.excluded]),
        warnings=tuple(dict.fromkeys(w for f in fits for w in f.warnings)),
        settings={**first.settings, "direction": fixed, "pooled_m": imputed.m},
        cutoffs=first.cutoffs.iloc[0:0],  # every optimum of one table: not a pooled result
        curve=first.curve,
    )


def pooled_compare(imputed: Imputed, compare: Any, kwargs: dict[str, Any]) -> Any:
    """Pool ``compare(dataset, **kwargs)`` (``compare_auc``) over the completed tables."""
    first = compare(imputed.datasets[0], **kwargs)
    fixed = dict(first.settings["direction"])
    fits = [first, *(compare(d, **{**kwargs, "direction": fixed}) for d in imputed.datasets[1:])]
    alpha = float(kwargs.get("alpha", 0.05))
    diff = np.array([f.table["diff"].to_numpy(float) for f in fits])
    se = np.array([f.table["se"].to_numpy(float) for f in fits])
    dfcom = first.table["df"].to_numpy(float) if not first.settings["paired"] else np.inf
    pooled = rubin(diff, se**2, dfcom=dfcom, alpha=alpha)
    table = first.table.copy()
    for col in ("auc_1", "auc_2"):
        table[col] = np.mean([f.table[col].to_numpy(float) for f in fits], axis=0)
    table["diff"], table["se"] = pooled["estimate"], pooled["se"]
    table["diff_ci_low"], table["diff_ci_high"] = pooled["ci_low"], pooled["ci_high"]
    table["z"], table["p"] = pooled["statistic"], pooled["p"]
    table["df"], table["fmi"], table["m"] = pooled["df"], pooled["fmi"], imputed.m
    if "p_adjusted" in table:
        from statsmodels.stats.multitest import multipletests

        table["p_adjusted"] = multipletests(table["p"], method=kwargs["adjust"])[1]
    omnibus = first.omnibus
    if len(omnibus):
        k = int(omnibus["df"].iloc[0])
        stat, _, df2, p = d2([f.omnibus["chi2"].iloc[0] for f in fits], k)
        omnibus = omnibus.assign(chi2=stat * k, p=p, df2=df2)  # k·D2: on the χ²(k) scale
    return type(first)(
        table=table,
        excluded=concat_excluded([imputed.excluded, first.excluded]),
        warnings=tuple(dict.fromkeys(w for f in fits for w in f.warnings)),
        settings={**first.settings, "pooled_m": imputed.m},
        omnibus=pd.DataFrame(omnibus),
    )
