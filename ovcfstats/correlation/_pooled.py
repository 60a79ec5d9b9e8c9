"""Spearman ρ on multiply imputed data: Fisher z pooled by Rubin's rules.

z = atanh(ρ) with the Bonett–Wright variance (1 + ρ²/2)/(n − 3) of each completed table (the
variance the single-table CI uses), pooled with an infinite complete-data df (z is a
large-sample statistic); ρ, its CI and the test of ρ = 0 (t with the Barnard–Rubin df on the z
scale) are back-transformed with tanh.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._pool import Imputed, rubin
from .._results import concat_excluded


def pooled_rho(imputed: Imputed, step: Any, kwargs: dict[str, Any]) -> tuple[Any, pd.DataFrame]:
    """``step`` (a Spearman function) on every completed table; its first result and the pooled
    long table (``rho``, ``ci_low``, ``ci_high``, ``p``, ``df``, ``fmi``, ``m`` replaced)."""
    fits = [step(d, **kwargs) for d in imputed.datasets]
    rho = np.array([f.table["rho"].to_numpy(float) for f in fits])
    n = fits[0].table["n"].to_numpy(float)
    pooled = rubin(np.arctanh(rho), (1 + rho**2 / 2) / (n - 3), alpha=kwargs.get("alpha", 0.05))
    table = fits[0].table.copy()
    table["rho"] = np.tanh(pooled["estimate"])
    table["ci_low"], table["ci_high"] = np.tanh(pooled["ci_low"]), np.tanh(pooled["ci_high"])
    table["p"], table["df"], table["fmi"] = pooled["p"], pooled["df"], pooled["fmi"]
    table["m"] = imputed.m
    if "p_adjusted" in table:
        from statsmodels.stats.multitest import multipletests

        table["p_adjusted"] = multipletests(table["p"], method=kwargs["adjust"])[1]
    return fits[0], table


def pooled_parts(imputed: Imputed, first: Any) -> dict[str, Any]:
    """The result fields shared by the pooled Spearman results."""
    return {
        "excluded": concat_excluded([imputed.excluded, first.excluded]),
        "warnings": first.warnings,
        "settings": {**first.settings, "pooled_m": imputed.m},
    }
