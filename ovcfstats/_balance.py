"""Covariate balance of a matching: means, SDs and SMDs before and after (MatchIt and tableone)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def _balance_columns(data: pd.DataFrame, covariates: Sequence[str] | None, id_col: str) -> dict:
    """Covariate name -> float array (binary/categorical levels as 0/1 indicators)."""
    if covariates is None:
        covariates = [
            c
            for c in ("age", "sex", "bmi", "hypertension", "diabetes", "hyperlipidemia")
            if c in data.columns
        ]
    out = {}
    for var in covariates:
        col = data[var]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out[var] = col.to_numpy(dtype=float, na_value=np.nan)
        else:
            levels = sorted(col.dropna().astype(str).unique())
            for level in levels[1:] if len(levels) == 2 else levels:
                out[f"{var}={level}"] = np.where(
                    col.isna(), np.nan, (col.astype(str) == level).astype(float)
                )
    return out


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.isin(x[~np.isnan(x)], (0.0, 1.0)).all())


def _sd(x: np.ndarray, binary: bool) -> float:
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan")
    if binary:
        p = x.mean()
        return float(np.sqrt(p * (1 - p)))
    return float(np.std(x, ddof=1)) if len(x) > 1 else float("nan")


def balance_table(
    before_case: pd.DataFrame,
    before_control: pd.DataFrame,
    after_case: pd.DataFrame,
    after_control: pd.DataFrame,
    covariates: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Means, SDs and SMDs (treated-SD and pooled-SD conventions) before and after matching."""
    frames = (before_case, before_control, after_case, after_control)
    allrows = pd.concat([f.drop(columns=["pair_id"], errors="ignore") for f in frames])
    columns = _balance_columns(allrows, covariates, "")
    bounds = np.cumsum([0] + [len(f) for f in frames])
    rows = []
    for var, x in columns.items():
        parts = [x[bounds[i] : bounds[i + 1]] for i in range(4)]
        binary = _is_binary(x)
        sd_treated = _sd(parts[0], binary)  # cases before matching (MatchIt/cobalt)
        for stage, (xt, xc) in (("before", parts[:2]), ("after", parts[2:])):
            mt = float(np.mean(xt[~np.isnan(xt)])) if (~np.isnan(xt)).any() else np.nan
            mc = float(np.mean(xc[~np.isnan(xc)])) if (~np.isnan(xc)).any() else np.nan
            st, sc = _sd(xt, binary), _sd(xc, binary)
            pooled = np.sqrt((st**2 + sc**2) / 2)
            rows.append(
                {
                    "covariate": var,
                    "stage": stage,
                    "binary": binary,
                    "mean_case": mt,
                    "mean_control": mc,
                    "sd_case": st,
                    "sd_control": sc,
                    "smd_treated_sd": (mt - mc) / sd_treated if sd_treated > 0 else np.nan,
                    "smd_pooled_sd": (mt - mc) / pooled if pooled > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)
