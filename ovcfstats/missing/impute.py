"""Multiple imputation by chained equations: :func:`impute` → :class:`~ovcfstats.Imputed`.

Conventions (printed in the result's notes and settings):

- Continuous columns by predictive mean matching, binary ones (two distinct values, numbers or
  labels) by logistic regression; each variable's model has every other imputed column, the
  outcome and the matching variables as predictors (``predictors`` adds others; the outcome and
  the matching variables are always in).
- The outcome is never imputed: rows missing it are left out of every completed table and listed
  in ``.excluded``.
- ``iterations`` cycles per chain (mice's ``maxit`` default, 5); chain i draws from a generator
  spawned from ``seed`` (drawn from the operating system's entropy and recorded when not given).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._pool import Imputed
from .._results import make_excluded
from .._validate import DataError, check_columns, check_frame, check_option, describe_ids, row_ids
from ._fcs import impute_chains

FUNC = "impute"
METHODS = ("pmm",)


def impute(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    m: int = 20,
    method: str = "pmm",
    seed: int | None = None,
    predictors: Sequence[str] | None = None,
    outcome: str = "case",
    matched_on: Sequence[str] = (),
    iterations: int = 5,
    id_col: str = "patient_id",
) -> Imputed:
    """``m`` completed copies of ``data`` by chained equations (PMM; logistic for binary columns).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    columns : sequence of str, optional
        The columns to impute; default every numeric or two-valued column with a missing value
        (never ``outcome``, ``id_col`` or a ``pair_id``).
    m : int, default 20
        Number of imputations (at least 2).
    method : {"pmm"}
        Predictive mean matching for continuous columns (binary ones are always logistic).
    seed : int, optional
        Seed of the draws; without one it is drawn, stored in ``.settings["seed"]`` and printed.
    predictors : sequence of str, optional
        Complete columns used as predictors besides the imputed ones; default every complete
        numeric or two-level column (not ``id_col`` nor ``pair_id``).
    outcome : str, default "case"
        The 0/1 outcome: always a predictor, never imputed.
    matched_on : sequence of str, default ()
        The matching variables: always predictors.
    iterations : int, default 5
        Cycles through the variables per chain.
    id_col : str, default "patient_id"

    Returns
    -------
    Imputed

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ovcfstats import impute
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"case": rng.integers(0, 2, 60), "age": rng.normal(70, 8, 60)})
    >>> df["hu"] = 150 - 40 * df["case"] + rng.normal(0, 20, 60)
    >>> df.loc[::6, "hu"] = np.nan
    >>> imp = impute(df, m=3, seed=1)
    >>> imp.m, int(imp.table.loc[0, "n_missing"]), bool(imp.datasets[0]["hu"].notna().all())
    (3, 10, True)
    """
    check_frame(data, FUNC)
    check_option(method, METHODS, FUNC, "method")
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 2:
        raise ValueError(f"`m` of {FUNC}() must be a whole number ≥ 2 (Rubin's rules need a "
                         f"between-imputation variance); got {m!r}.")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(
            f"`iterations` of {FUNC}() must be a whole number ≥ 1; got {iterations!r}."
        )
    seed, drawn = _seed(seed)
    check_columns(data, [outcome], FUNC)
    lost = data[outcome].isna().to_numpy()
    kept = data.loc[~lost]
    targets = _targets(kept, columns, outcome, id_col)
    if predictors is None:
        predictors = [c for c in _usable(kept, outcome, id_col) if kept[c].notna().all()]
    predictors = [predictors] if isinstance(predictors, str) else list(predictors)
    extra = [c for c in [*predictors, *matched_on] if c not in targets and c != outcome]
    check_columns(data, extra, FUNC)
    for c in extra:
        if kept[c].isna().any():
            raise DataError(
                f"{FUNC}(): predictor '{c}' has missing values "
                f"({describe_ids(row_ids(kept, kept[c].isna(), id_col), id_col)}). Impute it too: "
                f"add it to `columns`."
            )
    names = [*targets, outcome, *dict.fromkeys(extra)]
    values, labels = _numeric(kept, names)
    _check_rank(values, names, len(targets))
    kinds = ["logistic" if len(np.unique(values[~np.isnan(values[:, j]), j])) == 2 else "pmm"
             for j in range(len(targets))]
    preds = {j: [k for k in range(len(names)) if k != j] for j in range(len(targets))}
    chains = impute_chains(values, list(range(len(targets))), kinds, preds, m, iterations, seed)
    mask = kept[targets].isna()
    datasets = tuple(_completed(kept, targets, labels, x) for x in chains)
    table = _diagnostics(values, chains, targets, kinds)
    excluded = make_excluded(
        row_ids(data, lost, id_col), outcome, f"missing {outcome} (the outcome is never imputed)"
    )
    settings = {
        "m": int(m),
        "method": method,
        "seed": seed,
        "seed_drawn": drawn,
        "iterations": iterations,
        "outcome": outcome,
        "imputed": tuple(targets),
        "predictors": tuple(names[len(targets):]),
        "matched_on": tuple(matched_on),
    }
    return Imputed(
        table=table,
        excluded=excluded,
        settings=settings,
        datasets=datasets,
        models={t: tuple(n for n in names if n != t) for t in targets},
        missing=mask.reset_index(drop=True),
    )


def _seed(seed: Any) -> tuple[int, bool]:
    if seed is None:
        return int(np.random.SeedSequence().entropy), True
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"`seed` of {FUNC}() must be a whole number ≥ 0; got {seed!r}.")
    return int(seed), False


def _targets(data: pd.DataFrame, columns: Sequence[str] | None, outcome: str, id_col: str) -> list:
    if columns is None:
        columns = [c for c in _usable(data, outcome, id_col) if data[c].isna().any()]
    columns = [columns] if isinstance(columns, str) else list(columns)
    check_columns(data, columns, FUNC)
    if outcome in columns:
        raise DataError(
            f"{FUNC}(): the outcome '{outcome}' is never imputed (rows missing it are excluded); "
            "take it out of `columns`."
        )
    for c in columns:
        if data[c].notna().sum() < 2:
            raise DataError(
                f"{FUNC}(): column '{c}' has {int(data[c].notna().sum())} observed value(s) among "
                f"{len(data)} rows: nothing to impute from. Leave it out of the analysis or "
                "collect it."
            )
        if not pd.api.types.is_numeric_dtype(data[c]) and data[c].nunique() != 2:
            raise DataError(
                f"{FUNC}(): column '{c}' has {data[c].nunique()} text levels; only numeric and "
                "two-level columns can be imputed. Recode it, or leave it out of `columns`."
            )
    return columns


def _usable(data: pd.DataFrame, outcome: str, id_col: str) -> list[str]:
    """Numeric or two-level columns other than the outcome, the IDs and the matched sets."""
    skip = {outcome, id_col, "pair_id"}
    return [
        c for c in data.columns
        if c not in skip and (
            (pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c]))
            or data[c].nunique() == 2
        )
    ]


def _numeric(data: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Float matrix of ``names``; two-level text columns as 0/1 (their levels in ``labels``)."""
    out, labels = [], {}
    for c in names:
        col = data[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out.append(col.to_numpy(float))
            continue
        levels = sorted(col.dropna().unique().tolist(), key=str)
        if len(levels) != 2:
            raise DataError(
                f"{FUNC}(): predictor '{c}' has {len(levels)} levels; use numeric or two-level "
                "predictors."
            )
        labels[c] = levels
        out.append(col.map({levels[0]: 0.0, levels[1]: 1.0}).to_numpy(float))
    return np.column_stack(out), labels


def _check_rank(values: np.ndarray, names: list[str], n_targets: int) -> None:
    """A constant predictor or one that is a linear combination of others: one clear message."""
    complete = values[~np.isnan(values).any(axis=1)]
    if len(complete) <= values.shape[1]:
        return  # too few complete rows to judge; the ridge keeps every fit finite
    design = np.column_stack([np.ones(len(complete)), complete])
    design = design / np.maximum(np.abs(design).max(axis=0), 1e-300)
    for k in range(values.shape[1]):
        cols = np.delete(design, k + 1, axis=1)
        fit, *_ = np.linalg.lstsq(cols, design[:, k + 1], rcond=None)
        if np.max(np.abs(cols @ fit - design[:, k + 1])) < 1e-9:
            raise DataError(
                f"{FUNC}(): '{names[k]}' is constant or a linear combination of the other "
                f"predictors ({', '.join(n for n in names if n != names[k])}) in the complete "
                "rows, so its imputation model is singular. Drop it or one of those it "
                "duplicates from `columns`/`predictors`."
            )


def _completed(data: pd.DataFrame, targets: list[str], labels: dict, x: np.ndarray) -> pd.DataFrame:
    out = data.copy()
    for j, c in enumerate(targets):
        col = x[:, j]
        if c in labels:
            out[c] = np.where(col > 0.5, labels[c][1], labels[c][0])
        elif pd.api.types.is_integer_dtype(data[c].dtype) or data[c].dtype == object:
            out[c] = col
        else:
            out[c] = col.astype(data[c].dtype, copy=False)
    return out.reset_index(drop=True)


def _diagnostics(values: np.ndarray, chains: list, targets: list[str], kinds: list) -> pd.DataFrame:
    rows = []
    for j, c in enumerate(targets):
        miss = np.isnan(values[:, j])
        imputed = np.concatenate([x[miss, j] for x in chains])
        rows.append({
            "variable": c,
            "kind": kinds[j],
            "n_missing": int(miss.sum()),
            "observed_mean": float(np.mean(values[~miss, j])),
            "observed_sd": float(np.std(values[~miss, j], ddof=1)),
            "imputed_mean": float(np.mean(imputed)),
            "imputed_sd": float(np.std(imputed, ddof=1)) if imputed.size > 1 else np.nan,
        })
    return pd.DataFrame(rows, columns=["variable", "kind", "n_missing", "observed_mean",
                                       "observed_sd", "imputed_mean", "imputed_sd"])
