"""Covariate-adjusted ROC (Janes & Pepe): the AUC of an indicator among patients alike in the
matching covariates, with a bootstrap CI that resamples matched sets.

In a matched case–control study the controls were chosen to resemble the cases in age and sex,
so the pooled ROC over all patients mixes the indicator's accuracy with the covariates'
distribution; Janes & Pepe (Biometrics 2008; Am J Epidemiol 2008; Biometrika 2009) show that the
covariate-adjusted ROC is the summary that answers "how well does the indicator separate cases
from controls of the same age and sex".

Conventions (each printed in the result's notes):

- **Control model.** A linear model of the indicator on the covariates is fitted by least squares
  in the controls (``scale=True``: a location–scale model, the scale log-linear in the covariates,
  fitted by a quasi-Poisson regression of the absolute residuals). Text covariates (``sex``) enter
  as indicator columns of each level but the first in sorted order.
- **Placement value** of a case: the share of control residuals at or above its own (ties ½),
  on the side where higher values predict a case. With ``strata`` (the matched set) a case is
  placed only among the controls of its own set, the residuals still from the model fitted in all
  controls.
- **AROC(t)** is the share of cases with placement ≤ t, and ``aauc`` its exact area,
  1 − mean placement value (the mean share of control residuals below each case's, ties ½).
  R ROCnReg 1.0-9's ``AROC.sp`` reports the same exact area (``1 - mean(u1)``) but by default
  places cases on a *normal* CDF of the standardised control residuals
  (``est.cdf.h = "normal"``); its ``est.cdf.h = "empirical"`` is the estimator here except that
  a control residual equal to the case's counts 0 there (``1 - ecdf(...)``) and ½ here, so the
  two agree exactly on data without ties. Its bootstrap resamples the cases and the controls'
  residuals (a residual bootstrap), not matched sets.
- **Direction.** ``"auto"`` takes the side of the pooled AUC (≥ 0.5), as :func:`roc_auc`;
  ``pooled_auc`` is computed on the same rows as ``aauc``.
- **CI.** Percentile interval of a bootstrap that refits the control model in every resample:
  whole matched sets are resampled when the data have a set column (``set_col``, ``pair_id`` in
  the pipeline), else cases and controls separately.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, concat_excluded, make_excluded
from .._validate import (
    DataError,
    check_alpha,
    check_columns,
    check_numeric,
    check_option,
    row_ids,
)
from ..data._ranges import check_ranges
from ..present._format import Style
from ._delong import placements
from ._indicator import _check_counts, _curve
from ._placement import adjusted_auc_of, bootstrap_adjusted
from .auc import _direction_for, _prepare

ADJUSTED_CI = ("bootstrap", "none")


@dataclass(frozen=True, eq=False)
class AdjustedRocResult(Result):
    """Covariate-adjusted AUC beside the pooled one per indicator (``.table``), the curves
    (``.curve``: indicator, kind = "pooled"/"adjusted", fpr, tpr) and each case's placement value
    (``.placements``: id, indicator, placement)."""

    curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    placements: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Covariate-adjusted ROC"
    has_plot: ClassVar[bool] = True

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"adjusted_auc": self.table.copy(), "placements": self.placements.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        covs = ", ".join(s["covariates"]) or "no covariates"
        model = "location–scale" if s["scale"] else "linear"
        where = (
            f"among the controls of the case's own matched set ('{s['strata']}')"
            if s["strata"]
            else "among all controls"
        )
        lines = [
            f"Adjusted AUC (Janes & Pepe): {model} model of the indicator on {covs} fitted in "
            f"the controls; each case placed {where} by its residual (ties ½); aAUC = exact area "
            "under AROC = 1 − mean placement value. Pooled AUC on the same patients.",
        ]
        if s["ci"] == "bootstrap":
            unit = (
                f"matched sets ('{s['set_col']}')"
                if s["resampled"] == "sets"
                else "cases and controls separately"
            )
            lines.append(
                f"{1 - s['alpha']:.0%} CI: percentile bootstrap ({s['n_boot']} resamples of "
                f"{unit}, seed {s['seed']}), the control model refitted in each."
            )
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Pooled (left) and covariate-adjusted (right) ROC curves of each indicator."""
        return plot_adjusted_roc(self, **kwargs)


# -- inputs -------------------------------------------------------------------------------------
def _missing(values: pd.Series) -> np.ndarray:
    text = values.astype("string").str.strip()
    return (values.isna() | (text == "")).to_numpy(dtype=bool)


def _design(data: pd.DataFrame, covariates: list[str], func: str, id_col: str):
    """The design matrix (intercept first), its column names and the rows missing each covariate."""
    columns, names, missing = [np.ones(len(data))], ["(intercept)"], {}
    for cov in covariates:
        raw = data[cov]
        if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
            x = check_numeric(data, cov, func, id_col)
            missing[cov] = np.isnan(x)
            columns.append(np.nan_to_num(x))
            names.append(cov)
            continue
        gone = _missing(raw)
        missing[cov] = gone
        text = raw.astype("string").str.strip()
        levels = sorted(set(text[~gone]))
        for level in levels[1:]:
            columns.append((text == level).fillna(False).to_numpy(dtype=float))
            names.append(f"{cov}[{level}]")
    return np.column_stack(columns), names, missing


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a set column; a missing set id becomes a set of its own."""
    codes = pd.factorize(values, use_na_sentinel=True)[0].astype(np.int64)
    lone = codes < 0
    codes[lone] = codes.max(initial=-1) + 1 + np.arange(lone.sum())
    return codes


# -- the estimator ------------------------------------------------------------------------------
def adjusted_auc(
    data: pd.DataFrame,
    indicators: Sequence[str] | str,
    covariates: Sequence[str] = ("age", "sex"),
    *,
    outcome: str = "case",
    direction: str | Mapping[str, str] = "auto",
    ci: str = "bootstrap",
    n_boot: int = 2000,
    seed: int | None = None,
    strata: str | None = None,
    scale: bool = False,
    set_col: str = "pair_id",
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> AdjustedRocResult:
    """Covariate-adjusted AUC (Janes & Pepe's semiparametric AROC) beside the pooled AUC.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient with the outcome, the indicators and the covariates.
    indicators : str or sequence of str
        Columns to analyse; a row missing the indicator or a covariate is left out for that
        indicator (listed in ``excluded``).
    covariates : sequence of str
        The covariates adjusted for (the matching variables); numbers as they are, text as one
        indicator column per level but the first. ``()`` gives the pooled AUC.
    outcome : str
        The 0/1 outcome column.
    direction : {"auto", "higher", "lower"} or dict
        Which side predicts a case; "auto" takes the pooled AUC's side.
    ci : {"bootstrap", "none"}
        Percentile bootstrap CI, or none.
    n_boot, seed : int
        Bootstrap resamples and seed.
    strata : str, optional
        The matched-set column: each case is placed only among its own set's controls.
    scale : bool
        Location–scale control model (the residual SD log-linear in the covariates).
    set_col : str
        The matched-set column whose sets the bootstrap resamples (when present in ``data``).
    alpha : float
        1 − confidence level.
    id_col : str
        Column naming the rows in ``excluded`` and ``placements``.

    Returns
    -------
    AdjustedRocResult
        ``.table``: ``indicator``, ``direction``, ``aauc``, ``se``, ``ci_low``, ``ci_high``,
        ``pooled_auc``, ``n_cases``, ``n_controls``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import adjusted_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 0],
    ...                    "age": [60, 70, 80, 60, 70, 80, 75],
    ...                    "hu": [90, 85, 60, 120, 100, 70, 80]})
    >>> res = adjusted_auc(df, "hu", covariates=["age"], ci="none")
    >>> row = res.table.iloc[0]
    >>> print(row.direction, round(row.aauc, 4), round(row.pooled_auc, 4))
    lower 1.0 0.6667
    """
    func = "adjusted_auc"
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    data, indicators, y = _prepare(data, indicators, outcome, func, id_col)
    check_columns(data, covariates + ([strata] if strata else []), func)
    check_ranges(data, covariates, func, id_col)
    check_option(ci, ADJUSTED_CI, func, "ci")
    alpha = check_alpha(alpha, func)
    if ci == "bootstrap" and (not isinstance(n_boot, int | np.integer) or n_boot < 1):
        raise ValueError(f"`n_boot` of {func}() must be a positive integer; got {n_boot!r}.")
    design, names, cov_missing = _design(data, covariates, func, id_col)
    sets = _codes(data[strata]) if strata else None
    clusters = _codes(data[set_col]) if set_col in data.columns else None
    settings = {
        "outcome": outcome,
        "covariates": tuple(covariates),
        "direction": direction,
        "ci": ci,
        "n_boot": n_boot,
        "seed": seed,
        "strata": strata,
        "scale": scale,
        "set_col": set_col,
        "resampled": "sets" if clusters is not None else "patients",
        "alpha": alpha,
    }
    rng = np.random.default_rng(seed)
    rows, curves, places, excluded = [], [], [], []
    for name in indicators:
        x = check_numeric(data, name, func, id_col)
        keep = ~np.isnan(x)
        excluded.append(make_excluded(row_ids(data, ~keep, id_col), name, f"missing {name}"))
        for cov, gone in cov_missing.items():
            lost = row_ids(data, keep & gone, id_col)
            excluded.append(make_excluded(lost, name, f"missing {cov}"))
            keep &= ~gone
        if strata:
            keep, lost = _placeable(data, keep, y, data[strata], strata, id_col)
            excluded.append(lost.assign(variable=name))
        row, curve, place = _one(name, x, y, keep, design, names, sets, clusters, settings, rng)
        rows.append(row)
        curves.append(curve)
        places.append(
            pd.DataFrame(
                {"id": row_ids(data, keep & y, id_col), "indicator": name, "placement": place}
            )
        )
    return AdjustedRocResult(
        table=pd.DataFrame(rows),
        excluded=concat_excluded(excluded),
        settings=settings,
        curve=pd.concat(curves, ignore_index=True),
        placements=pd.concat(places, ignore_index=True),
    )


def _placeable(
    data: pd.DataFrame, keep: np.ndarray, y: np.ndarray, sets: pd.Series, strata: str, id_col: str
) -> tuple[np.ndarray, pd.DataFrame]:
    """Cases whose set has no control left (or no set id) cannot be placed: excluded."""
    no_set = _missing(sets)
    with_control = set(sets[keep & ~y & ~no_set])
    lost = keep & y & (no_set | ~sets.isin(with_control).to_numpy())
    reasons = [
        f"no {strata}" if gone else f"{strata} {s} has no control with a value"
        for s, gone in zip(sets[lost], no_set[lost], strict=True)
    ]
    return keep & ~lost, make_excluded(row_ids(data, lost, id_col), "", reasons)


def _one(name, x, y, keep, design, names, sets, clusters, s, rng):
    """One indicator's row, curves and placement values."""
    func = "adjusted_auc"
    xk, yk, dk = x[keep], y[keep], design[keep]
    _check_counts(yk, name, func)
    control = ~yk
    if control.sum() <= np.linalg.matrix_rank(dk[control]):
        raise DataError(
            f"{func}(): indicator '{name}' has {int(control.sum())} control(s) for a model with "
            f"{len(names)} coefficients ({', '.join(names)}); more controls than coefficients "
            "are needed. Use fewer covariates."
        )
    pooled = placements(xk, yk)
    side = _direction_for(s["direction"], name, func)
    if side == "lower" or (side == "auto" and pooled.auc < 0.5):
        side, pooled, score = "lower", pooled.flipped(), -xk
    else:
        side, score = "higher", xk
    sk = None if sets is None else sets[keep]
    aauc, place = adjusted_auc_of(dk, score, control, np.ones(yk.size), s["scale"], sk)
    se = low = high = np.nan
    if s["ci"] == "bootstrap":
        ck = None if clusters is None else pd.factorize(clusters[keep])[0]
        boot = bootstrap_adjusted(dk, score, control, s["scale"], sk, ck, s["n_boot"], rng)
        boot = boot[~np.isnan(boot)]
        se = float(np.std(boot, ddof=1)) if boot.size > 1 else np.nan
        low, high = np.quantile(boot, [s["alpha"] / 2, 1 - s["alpha"] / 2])
    row = {
        "indicator": name,
        "direction": side,
        "aauc": aauc,
        "se": se,
        "ci_low": float(low),
        "ci_high": float(high),
        "pooled_auc": pooled.auc,
        "n_cases": int(yk.sum()),
        "n_controls": int(control.sum()),
    }
    pooled_curve = _curve(name, pooled, side).drop(columns="threshold").assign(kind="pooled")
    return row, pd.concat([pooled_curve, _aroc(name, place)], ignore_index=True), place


def _aroc(name: str, place: np.ndarray) -> pd.DataFrame:
    """AROC(t) = share of cases with placement ≤ t, at its jumps (a step function)."""
    t, counts = np.unique(place, return_counts=True)
    tpr = np.cumsum(counts) / place.size
    fpr, tpr = np.r_[0.0, t, 1.0], np.r_[0.0, tpr, 1.0]
    return pd.DataFrame({"indicator": name, "fpr": fpr, "tpr": tpr, "kind": "adjusted"})


# -- figure -------------------------------------------------------------------------------------
def plot_adjusted_roc(result: AdjustedRocResult, **kwargs: Any) -> Any:
    """Pooled ROC curves (left) beside the covariate-adjusted ROC curves (right).

    Parameters
    ----------
    result : AdjustedRocResult
        An :func:`adjusted_auc` result.
    **kwargs
        ``figsize``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import adjusted_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "age": [60, 70, 80, 62, 71, 79],
    ...                    "hu": [90, 85, 60, 120, 100, 70]})
    >>> fig = adjusted_auc(df, "hu", covariates=["age"], ci="none").plot()
    >>> [ax.get_title() for ax in fig.axes]
    ['Pooled ROC', 'Covariate-adjusted ROC']
    """
    from matplotlib.figure import Figure

    from ..present._plotting import indicator_color

    fig = Figure(figsize=kwargs.get("figsize", (10, 5)), layout="constrained")
    axes = [fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)]
    t = result.table.set_index("indicator")
    for ax, kind, col, title in (
        (axes[0], "pooled", "pooled_auc", "Pooled ROC"),
        (axes[1], "adjusted", "aauc", "Covariate-adjusted ROC"),
    ):
        for i, name in enumerate(t.index):
            pts = result.curve[(result.curve["indicator"] == name) & (result.curve["kind"] == kind)]
            what = "AUC" if kind == "pooled" else "aAUC"
            text = f"{Style().label(name)}: {what} {t.loc[name, col]:.3f}"
            style = {"drawstyle": "steps-post"} if kind == "adjusted" else {}
            colour = indicator_color(name, i)
            ax.plot(pts["fpr"], pts["tpr"], color=colour, linewidth=1.6, label=text, **style)
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
        ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal", title=title)
        ax.set_xlabel("1 − specificity (false-positive rate)")
        ax.set_ylabel("Sensitivity (true-positive rate)")
        ax.legend(loc="lower right", fontsize="small")
    return fig
