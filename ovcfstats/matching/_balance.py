"""Covariate balance of a matching: means, SDs and SMDs before and after (MatchIt and tableone)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validate import power_scale

DEFAULT_COVARIATES = ("age", "sex", "bmi", "hypertension", "diabetes", "hyperlipidemia")


def default_covariates(columns: Sequence[str]) -> list:
    """The covariates balanced when none are named: age, sex, BMI and comorbidities present."""
    return [c for c in DEFAULT_COVARIATES if c in columns]


def _indicators(var: str, col: pd.Series) -> dict:
    """Covariate name -> float values (binary/categorical levels as 0/1 indicators)."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return {var: col.to_numpy(dtype=float, na_value=np.nan)}
    out = {}
    levels = sorted(col.dropna().astype(str).unique())
    for level in levels[1:] if len(levels) == 2 else levels:
        out[f"{var}={level}"] = np.where(
            col.isna(), np.nan, (col.astype(str) == level).astype(float)
        )
    return out


def _is_binary(x: np.ndarray) -> bool:
    """Only 0, 1 and missing values (the first values decide most variables quickly)."""
    return all(
        bool(((part == 0.0) | (part == 1.0) | np.isnan(part)).all()) for part in (x[:256], x)
    )


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
    if covariates is None:
        covariates = default_covariates({c for f in frames for c in f.columns} - {"pair_id"})
    columns = {}
    for var in dict.fromkeys(covariates):
        present = [f[var] for f in frames if var in f and var != "pair_id"]
        if not present:
            raise KeyError(var)
        # a group without the column has it missing (as when stacking the frames)
        columns[var] = [
            f[var] if var in f and var != "pair_id" else pd.Series(np.nan, index=f.index)
            for f in frames
        ]
    return balance_from_columns(columns)


def balance_from_columns(columns: dict) -> pd.DataFrame:
    """The balance table from each covariate's values in the four groups.

    ``columns`` maps a covariate to its values among the cases and the controls before matching,
    then the matched cases and controls: four Series, stacked to classify the covariate
    (numeric, or text levels) as one table would be, or four numeric arrays.
    """
    rows = []
    for var, groups in columns.items():
        if all(isinstance(g, np.ndarray) for g in groups):  # numeric: nothing to classify
            rows += _rows(var, [g.astype(float) for g in groups])
            continue
        bounds = np.cumsum([0] + [len(g) for g in groups])
        stacked = pd.concat(groups, ignore_index=True)
        for name, x in _indicators(var, stacked).items():
            rows += _rows(name, [x[bounds[i] : bounds[i + 1]] for i in range(4)])
    return pd.DataFrame(rows)


def _rows(var: str, parts: list) -> list:
    """The before and after rows of one (indicator) variable."""
    binary = _is_binary(np.concatenate(parts))
    unit = 1.0 if binary else power_scale(np.concatenate(parts))  # values near 1e300
    if unit != 1.0:
        parts = [p / unit for p in parts]
    sd_treated = _sd(parts[0], binary)  # cases before matching (MatchIt/cobalt)
    rows = []
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
                "mean_case": mt * unit,
                "mean_control": mc * unit,
                "sd_case": st * unit,
                "sd_control": sc * unit,
                "smd_treated_sd": (mt - mc) / sd_treated if sd_treated > 0 else np.nan,
                "smd_pooled_sd": (mt - mc) / pooled if pooled > 0 else np.nan,
            }
        )
    return rows
