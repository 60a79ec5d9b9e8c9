"""``logistic_or`` on multiply imputed data: one fit per completed table, pooled by Rubin's rules.

β and its Wald variance are pooled per term (:func:`ovcfstats._pool.rubin`); the complete-data df
is ``mice::pool()``'s: n − p for the logistic model (the glm's residual df, p counting the
intercept) and events − p for the conditional one (as mice takes it for ``coxph``/``clogit``).
The CI is Q̄ ± t_ν·√T on the log-odds scale, exponentiated; p is the t test with ν df.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._pool import Imputed, pooled_note, rubin
from .._results import concat_excluded


def pooled_logistic(imputed: Imputed, fit: Any, kwargs: dict[str, Any]) -> Any:
    """Pool ``fit(dataset, **kwargs)`` (``logistic_or``) over the completed tables."""
    if kwargs.get("ci", "wald") != "wald":
        raise ValueError(
            "logistic_or() on imputed data pools Wald estimates by Rubin's rules; a profile CI "
            "has no pooling rule. Use ci='wald'."
        )
    per, sds = _one_scale(imputed, kwargs)
    fits = [fit(d, **{**kwargs, "per": per}) for d in imputed.datasets]
    first = fits[0]
    alpha = float(kwargs.get("alpha", 0.05))
    conditional = bool(kwargs.get("conditional", False))
    coefs = _pool_terms([f.coefficients for f in fits], conditional, alpha)
    table = first.table.copy()
    for i, row in table.iterrows():
        name = row["indicator"] if row["model"] == "separate" else "joint"
        hit = coefs[(coefs["model"] == name) & (coefs["term"] == row["indicator"])].iloc[0]
        for col in ("or", "ci_low", "ci_high", "p", "beta", "se", "df", "fmi"):
            table.loc[i, col] = hit[col]
    table["ci"] = "rubin"
    for name, sd in sds.items():
        text = f"1 SD = {sd:.4g}"
        table.loc[table["indicator"] == name, "per"] = text
        coefs.loc[coefs["term"] == name, "per"] = text
    table["separation"] = [
        next((f.table.loc[i, "separation"] for f in fits
              if f.table.loc[i, "separation"] != "none"), "none")
        for i in range(len(table))
    ]
    table["converged"] = np.all([f.table["converged"].to_numpy() for f in fits], axis=0)
    table["m"] = imputed.m
    if "evalue" in table:  # from the pooled OR and CI, not the first table's
        from .evalue import evalues

        rare = bool(first.settings.get("evalue_rare", True))
        table["evalue"], table["evalue_ci"] = evalues(
            table["or"], table["ci_low"], table["ci_high"], "OR", rare
        )
    notes = tuple(dict.fromkeys(w for f in fits for w in f.warnings))
    conventions = [
        pooled_note(imputed.m) + " CI: pooled log OR ± t(df)·pooled SE, exponentiated; "
        "p: t test with df; fmi: fraction of missing information.",
        *[c for c in first.conventions if "Wald" not in c],
    ]
    if sds:
        conventions.append(
            "OR per SD: the indicator's SD averaged over the completed tables, one scale for "
            "every imputation (so that the pooled β are on one scale)."
        )
    return type(first)(
        table=table,
        excluded=concat_excluded([imputed.excluded, first.excluded]),
        warnings=notes,
        settings={**first.settings, "per": kwargs.get("per", "unit"), "ci": "rubin",
                  "pooled_m": imputed.m},
        coefficients=coefs,
        conventions=tuple(conventions),
    )


def _one_scale(imputed: Imputed, kwargs: dict[str, Any]) -> tuple[Any, dict[str, float]]:
    """``per`` with each "sd" replaced by the SD averaged over the completed tables."""
    from ._logit_design import _as_names, _check_per

    per = kwargs.get("per", "unit")
    try:
        mapping = _check_per(per, _as_names(kwargs["indicators"], "indicators"))
    except (ValueError, TypeError):
        return per, {}  # the first fit raises the documented message
    sds = {
        name: float(np.mean([np.std(pd.to_numeric(d[name], errors="coerce").dropna(), ddof=1)
                             for d in imputed.datasets]))
        for name, value in mapping.items()
        if value == "sd" and all(name in d for d in imputed.datasets)
    }
    return ({**mapping, **sds} if sds else per), sds


def _pool_terms(tables: list[pd.DataFrame], conditional: bool, alpha: float) -> pd.DataFrame:
    base = tables[0][["model", "term", "n", "events", "per"]].reset_index(drop=True)
    beta = np.column_stack([t["beta"].to_numpy(float) for t in tables]).T
    var = np.column_stack([t["se"].to_numpy(float) ** 2 for t in tables]).T
    n_terms = base.groupby("model", sort=False)["term"].transform("size").to_numpy()
    size = (base["events"] if conditional else base["n"]).to_numpy(float)
    dfcom = np.maximum(size - n_terms, 1.0)
    pooled = rubin(beta, var, dfcom, alpha)
    out = base.assign(
        beta=pooled["estimate"],
        se=pooled["se"],
        statistic=pooled["statistic"],
        df=pooled["df"],
        p=pooled["p"],
        **{"or": np.exp(pooled["estimate"])},
        ci_low=np.exp(pooled["ci_low"]),
        ci_high=np.exp(pooled["ci_high"]),
        b=pooled["b"],
        ubar=pooled["ubar"],
        riv=pooled["riv"],
        fmi=pooled["fmi"],
        dfcom=dfcom,
    )
    return out
