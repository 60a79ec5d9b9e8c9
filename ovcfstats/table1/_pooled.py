"""``compare_groups`` on multiply imputed data: one Table 1 per completed table, pooled.

- Means, counts, percentages, SMDs (and medians/quartiles) are averaged over the imputations
  (Rubin's point estimate); an SD is the root of the average within-imputation variance.
- t tests (paired, Welch, Student): the mean difference and its SE (from the test's CI) are
  pooled by Rubin's rules with the test's df as the complete-data df (Barnard–Rubin ν); the
  pooled t, ν, p and CI replace the single-table ones.
- Every other test (χ², Fisher, McNemar, Wilcoxon/Mann–Whitney, conditional-logistic score) by
  the D2 rule on its χ² on k df (the statistic of a χ² or score test; for the others the χ²₁
  with the same p). D2 rather than D1: D1 needs each imputation's estimates and their covariance
  matrix, which a table's χ² or a rank test does not have; D2 needs only the m statistics.
  The within-set difference of matched sets keeps a CI: Rubin's rules on its t CI (sets − 1 df).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._pool import Imputed, d2, pooled_note, rubin
from .._results import concat_excluded

T_TESTS = ("paired t", "Welch t", "Student t")
AVERAGED = ("n_1", "n_0", "n_pairs", "mean_1", "mean_0", "count_1", "pct_1", "count_0",
            "pct_0", "diff", "smd", "median_1", "q1_1", "q3_1", "median_0", "q1_0", "q3_0")


def pooled_groups(imputed: Imputed, compare: Any, kwargs: dict[str, Any]) -> Any:
    """Pool ``compare(dataset, **kwargs)`` (``compare_groups``) over the completed tables."""
    from scipy.stats import chi2
    from scipy.stats import t as t_dist

    fits = [compare(d, **kwargs) for d in imputed.datasets]
    tables = [f.table for f in fits]
    first = fits[0]
    out = first.table.copy()
    _check_aligned(tables)
    for col in (c for c in AVERAGED if c in out.columns):
        out[col] = np.mean([t[col].to_numpy(float) for t in tables], axis=0)
    for g in ("1", "0"):
        if f"sd_{g}" in out.columns:
            out[f"sd_{g}"] = np.sqrt(np.mean([t[f"sd_{g}"].to_numpy(float) ** 2 for t in tables],
                                             axis=0))
    alpha = float(kwargs.get("alpha", 0.05))
    for i, test in out["test"].items():
        rows = [t.loc[i] for t in tables]
        if test in T_TESTS:
            df = np.array([r["df"] for r in rows], float)
            width = np.array([r["ci_high"] - r["ci_low"] for r in rows], float)
            se = width / (2 * t_dist.ppf(1 - alpha / 2, df))
            p = rubin([r["diff"] for r in rows], se**2, dfcom=df.mean(), alpha=alpha).iloc[0]
            out.loc[i, ["diff", "ci_low", "ci_high", "statistic", "df", "p"]] = [
                p["estimate"], p["ci_low"], p["ci_high"], p["statistic"], p["df"], p["p"]
            ]
            out.loc[i, "fmi"] = p["fmi"]
        elif pd.notna(out.loc[i, "p"]):
            df = rows[0]["df"]  # a χ² or score test's df; rank and exact tests have none
            k = int(df) if pd.notna(df) and df >= 1 else 1
            stat, _, df2, pval = d2([chi2.isf(r["p"], k) for r in rows], k)
            out.loc[i, ["statistic", "df", "p", "ci_low", "ci_high"]] = [stat, k, pval, np.nan,
                                                                         np.nan]
            out.loc[i, "df2"] = df2
            if str(test).startswith("conditional logistic"):  # the sets' t CI, by Rubin
                out.loc[i, ["ci_low", "ci_high"]] = _pooled_set_ci(rows, alpha)
    for col in ("odds_ratio", "or_ci_low", "or_ci_high"):
        if col in out.columns:
            out[col] = np.nan  # Fisher's conditional OR has no pooling rule here
    out["test"] = [f"{t} (pooled)" if pd.notna(p) else t for t, p in zip(out["test"], out["p"],
                                                                         strict=True)]
    settings = {**first.settings, "pooled_m": imputed.m}
    return type(first)(
        table=out,
        excluded=concat_excluded([imputed.excluded, first.excluded]),
        warnings=tuple(dict.fromkeys(w for f in fits for w in f.warnings)),
        settings=settings,
    )


POOLED_NOTE = (
    "means, counts and percentages averaged over the imputations, SDs as the root of the mean "
    "within-imputation variance; t tests by Rubin's rules with Barnard–Rubin df, the other tests "
    "by the D2 rule on their χ² (Li et al. 1991)."
)


def pooled_notes(m: int) -> str:
    """The note of a pooled Table 1."""
    return pooled_note(m, "Rubin's rules") + " Table 1: " + POOLED_NOTE


def _check_aligned(tables: list[pd.DataFrame]) -> None:
    keys = [list(zip(t["variable"], t["level"].astype(str), strict=True)) for t in tables]
    if any(k != keys[0] for k in keys[1:]):
        raise ValueError(
            "compare_groups(): the completed tables give different rows (a level present in "
            "some imputations only); the pooled Table 1 needs the same levels in every table."
        )


def _pooled_set_ci(rows: list[pd.Series], alpha: float) -> list[float]:
    """Rubin's CI of the within-set difference: each table's SE from its t CI on sets − 1 df."""
    from scipy.stats import t as t_dist

    df = np.array([r["n_pairs"] - 1 for r in rows], float)
    width = np.array([r["ci_high"] - r["ci_low"] for r in rows], float)
    if not np.isfinite(width).all() or (df < 1).any():
        return [np.nan, np.nan]
    se = width / (2 * t_dist.ppf(1 - alpha / 2, df))
    p = rubin([r["diff"] for r in rows], se**2, dfcom=df.mean(), alpha=alpha).iloc[0]
    return [p["ci_low"], p["ci_high"]]
