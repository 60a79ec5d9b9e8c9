"""A combined-indicator logistic model and its validation.

:func:`combined_model` fits one logistic model of several indicators (and covariates) and
reports what a reader of a nomogram paper asks for:

- the apparent AUC (Somers' Dxy = 2·AUC − 1), calibration intercept and slope and Brier score,
  and their Harrell bootstrap optimism-corrected values, as R's ``rms::validate(fit, method =
  "boot")`` — equal to it for the same bootstrap samples (``boot_indices=``);
- the cross-validated AUC (repeated stratified k-fold, refitting in each training fold);
- a calibration curve (observed against predicted risk by quantile groups, with a lowess line);
- decision-curve net benefit with treat-all and treat-none, as the ``dcurves`` package;
- the paired DeLong comparison of the combined model's AUC with each single indicator's,
  through :func:`ovcfstats.compare_auc`. Caveat: the combined model's coefficients were fitted
  on the same patients, so its apparent AUC is optimistic and the test favours it; read it
  with the optimism-corrected AUC.

The bootstrap refits use the Newton solver of :mod:`._logistic` (fast, see there); the
reported coefficients and CIs come from statsmodels. Net benefit, NRI and IDI live in
:mod:`.decision`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, SmallSampleWarning, warn
from .._validate import DataError
from ._logistic import _auc, _design, _expit, _fit_logistic, _prepare
from .decision import _decision_table, check_prevalence, decision_notes, plot_decision_curve

STATISTICS = ("dxy", "auc", "calibration_intercept", "calibration_slope", "brier")


# -- result -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CombinedModelResult(Result):
    """A combined logistic model: validation (``.table``) and the tables that describe it."""

    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)
    cross_validation: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration_smooth: pd.DataFrame = field(default_factory=pd.DataFrame)
    decision: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Combined-indicator logistic model"
    has_plot: ClassVar[bool] = True

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "validation": self.table.copy(),
            "coefficients": self.coefficients.copy(),
            "cross_validation": self.cross_validation.copy(),
            "calibration": self.calibration.copy(),
            "comparison": self.comparison.copy(),
        }

    def notes(self) -> list[str]:
        s = self.settings
        return [
            f"Model: {s['outcome']} ~ {' + '.join(s['predictors'])} (maximum likelihood).",
            f"Validation: Harrell's bootstrap optimism with {s['n_boot_used']} of {s['n_boot']} "
            "resamples, as rms::validate (corrected = apparent − mean(training − test)); "
            "calibration intercept and slope from the logistic recalibration of the outcome on "
            "the linear predictor.",
            f"Cross-validated AUC: {s['cv_repeats']} × {s['cv_folds']}-fold stratified, mean "
            "and SD over the folds.",
            "Comparison: paired DeLong test of the combined model against each indicator alone. "
            "Caveat: the model was fitted on the same patients, so its apparent AUC is "
            "optimistic and the test favours it; judge it by the optimism-corrected AUC.",
            *(decision_notes(s["prevalence"]) if s.get("prevalence") is not None else []),
            *super().notes(),
        ]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Calibration curve and decision curve side by side (``ax`` ignored)."""
        from ..present._plotting import figure_and_axes

        fig, _ = figure_and_axes(None, figsize=(10.0, 4.2))
        fig.clear()
        left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        plot_calibration(self, ax=left)
        plot_decision_curve(self.decision, ax=right)
        return fig


# -- computations ----------------------------------------------------------------------------


def _indexes(lp: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Dxy, AUC, calibration intercept and slope, Brier score of a linear predictor."""
    auc = _auc(lp, y)
    coef, ok = _fit_logistic(np.column_stack([np.ones_like(lp), lp]), y)
    if not ok:
        coef = np.array([np.nan, np.nan])
    brier = float(np.mean((y - _expit(lp)) ** 2))
    return np.array([2 * auc - 1, auc, coef[0], coef[1], brier])


def _optimism(
    x: np.ndarray, y: np.ndarray, indices: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean training and test indexes over the bootstrap samples whose fit converged."""
    train_sum, test_sum, used = np.zeros(len(STATISTICS)), np.zeros(len(STATISTICS)), 0
    for idx in indices:
        yb = y[idx]
        if yb.min() == yb.max():
            continue
        beta, ok = _fit_logistic(x[idx], yb)
        if not ok:
            continue
        train, test = _indexes(x[idx] @ beta, yb), _indexes(x @ beta, y)
        if np.isnan(train).any() or np.isnan(test).any():
            continue
        train_sum += train
        test_sum += test
        used += 1
    return train_sum / max(used, 1), test_sum / max(used, 1), used


def _coefficients(x: np.ndarray, y: np.ndarray, names: list[str], alpha: float) -> pd.DataFrame:
    import statsmodels.api as sm

    fit = sm.Logit(y, x).fit(disp=0, method="newton", maxiter=100)
    ci = fit.conf_int(alpha)
    return pd.DataFrame(
        {
            "term": names,
            "coef": fit.params,
            "se": fit.bse,
            "or": np.exp(fit.params),
            "or_ci_low": np.exp(ci[:, 0]),
            "or_ci_high": np.exp(ci[:, 1]),
            "z": fit.tvalues,
            "p": fit.pvalues,
        }
    )


def _cross_validated_auc(
    x: np.ndarray, y: np.ndarray, folds: int, repeats: int, seed: int | None
) -> pd.DataFrame:
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    aucs = []
    for train, test in splitter.split(x, y):
        beta, ok = _fit_logistic(x[train], y[train])
        if ok and y[test].min() != y[test].max():
            aucs.append(_auc(x[test] @ beta, y[test]))
    arr = np.asarray(aucs)
    return pd.DataFrame(
        [
            {
                "auc_cv": arr.mean(),
                "sd": arr.std(ddof=1),
                "n_folds": arr.size,
                "folds": folds,
                "repeats": repeats,
            }
        ]
    )


def _calibration_table(p: np.ndarray, y: np.ndarray, bins: int, alpha: float) -> pd.DataFrame:
    from statsmodels.stats.proportion import proportion_confint

    groups = pd.qcut(pd.Series(p).rank(method="first"), q=min(bins, p.size), labels=False)
    frame = pd.DataFrame({"group": groups.to_numpy() + 1, "p": p, "y": y})
    table = (
        frame.groupby("group")
        .agg(predicted=("p", "mean"), observed=("y", "mean"), events=("y", "sum"), n=("y", "size"))
        .reset_index()
    )
    low, high = proportion_confint(table["events"], table["n"], alpha=alpha, method="beta")
    table["ci_low"], table["ci_high"] = low, high
    return table


def combined_model(
    data: pd.DataFrame,
    indicators: Sequence[str],
    *,
    covariates: Sequence[str] = (),
    outcome: str = "case",
    n_boot: int = 200,
    seed: int | None = None,
    boot_indices: np.ndarray | None = None,
    cv_folds: int = 10,
    cv_repeats: int = 5,
    calibration_bins: int = 10,
    thresholds: Sequence[float] | None = None,
    prevalence: float | None = None,
    compare: bool = True,
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> CombinedModelResult:
    """Fit and validate a logistic model combining several indicators (and covariates).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient with ``outcome`` (1 = case, 0 = control), the indicators and the
        covariates. Rows missing any of them are left out and listed in ``.excluded``.
    indicators : sequence of str
        The indicators combined (e.g. ``["vbq", "hu", "fat_fraction"]``).
    covariates : sequence of str, default ()
        Adjustment variables (text columns are one-hot encoded, first sorted level reference).
    outcome : str, default "case"
    n_boot : int, default 200
        Bootstrap resamples for the optimism (ignored with ``boot_indices``).
    seed : int, optional
        Seeds the bootstrap and the cross-validation folds (same seed, same numbers).
    boot_indices : array of shape (B, n), optional
        Row positions (0-based, into the complete rows) of each bootstrap sample, e.g. those
        drawn by ``rms::validate`` — then the optimism equals rms's to rounding.
    cv_folds, cv_repeats : int, default 10 and 5
    calibration_bins : int, default 10
        Quantile groups of predicted risk in the calibration table.
    thresholds : sequence of float, optional
        Threshold probabilities of the decision curve (default 0.01 … 0.99).
    prevalence : float, optional
        Population prevalence of the outcome for the decision curve's net benefit, passed to
        :func:`decision_curve` (give it for matched data: their share of cases is fixed by the
        design).
    compare : bool, default True
        Paired DeLong comparison of the combined model with each indicator alone.
    alpha : float, default 0.05
    id_col : str, default "patient_id"

    Returns
    -------
    CombinedModelResult
        ``.table`` (validation): one row per statistic (``dxy``, ``auc``,
        ``calibration_intercept``, ``calibration_slope``, ``brier``) with ``apparent``,
        ``training``, ``test``, ``optimism``, ``corrected``, ``n_boot``. Also
        ``.coefficients`` (OR with CI), ``.cross_validation``, ``.calibration``,
        ``.calibration_smooth``, ``.decision``, ``.comparison`` and ``.predictions``.

    Examples
    --------
    >>> from ovcfstats import combined_model, generate_sample, derive_indicators
    >>> patients, measurements = generate_sample()
    >>> wide = derive_indicators(patients, measurements).table
    >>> res = combined_model(wide, ["vbq", "hu"], n_boot=50, cv_repeats=1, seed=1)
    >>> res.table.set_index("statistic").loc["auc", ["apparent", "corrected"]].round(2).tolist()
    [0.98, 0.98]
    """
    func = "combined_model"
    prevalence = check_prevalence(prevalence, func)
    indicators = [indicators] if isinstance(indicators, str) else list(indicators)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if not indicators:
        raise DataError(f"{func}(): no indicators given; pass a list of column names.")
    predictors = [*indicators, *covariates]
    kept, y, excluded = _prepare(data, predictors, outcome, func, id_col)
    x, names = _design(kept, predictors, func, id_col)
    notes: list[str] = []
    events = int(min(y.sum(), y.size - y.sum()))
    if events < 10 * (x.shape[1] - 1):
        warn(
            notes,
            f"{func}(): {events} events in the smaller group for {x.shape[1] - 1} "
            "coefficients (fewer than 10 per coefficient): expect overfitting.",
            SmallSampleWarning,
        )
    beta, ok = _fit_logistic(x, y)
    if not ok:
        raise DataError(
            f"{func}(): the logistic model of {predictors} does not converge (complete or "
            "quasi-complete separation). Use fewer indicators or check the data."
        )
    lp = x @ beta
    p = _expit(lp)
    rng = np.random.default_rng(seed)
    indices = (
        np.asarray(boot_indices, dtype=int)
        if boot_indices is not None
        else rng.integers(0, y.size, size=(n_boot, y.size))
    )
    if (
        indices.ndim != 2
        or indices.shape[1] != y.size
        or indices.min() < 0
        or indices.max() >= y.size
    ):
        raise DataError(
            f"{func}(): `boot_indices` must have shape (B, {y.size}) with 0-based rows."
        )
    apparent = _indexes(lp, y)
    train, test, used = _optimism(x, y, indices)
    if used < len(indices):
        warn(
            notes,
            f"{func}(): {len(indices) - used} of {len(indices)} bootstrap refits did not "
            "converge (separation) and were left out, as rms::validate does.",
        )
    optimism = train - test
    table = pd.DataFrame(
        {
            "statistic": STATISTICS,
            "apparent": apparent,
            "training": train,
            "test": test,
            "optimism": optimism,
            "corrected": apparent - optimism,
            "n_boot": used,
        }
    )
    thresholds_arr = (
        np.arange(1, 100) / 100 if thresholds is None else np.asarray(thresholds, float)
    )
    cv_seed = None if seed is None else int(rng.integers(0, 2**31 - 1))
    comparison = pd.DataFrame()
    if compare:
        from ..roc import compare_auc

        frame = kept[indicators].assign(combined=p, **{outcome: y.astype(int)})
        comparison = compare_auc(
            frame,
            ["combined", *indicators],
            outcome=outcome,
            omnibus=False,
            alpha=alpha,
            id_col=id_col,
        ).table
        comparison = comparison[comparison["indicator_1"] == "combined"].reset_index(drop=True)
    from statsmodels.nonparametric.smoothers_lowess import lowess

    smooth = lowess(y, p, frac=2 / 3, it=0, return_sorted=True)
    ids = kept[id_col].to_numpy() if id_col in kept.columns else kept.index.to_numpy()
    return CombinedModelResult(
        table=table,
        coefficients=_coefficients(x, y, names, alpha),
        cross_validation=_cross_validated_auc(x, y, cv_folds, cv_repeats, cv_seed),
        calibration=_calibration_table(p, y, calibration_bins, alpha),
        calibration_smooth=pd.DataFrame({"predicted": smooth[:, 0], "observed": smooth[:, 1]}),
        decision=_decision_table({"combined": p}, y, thresholds_arr, prevalence),
        comparison=comparison,
        predictions=pd.DataFrame(
            {"id": ids, "outcome": y.astype(int), "probability": p, "linear_predictor": lp}
        ),
        excluded=excluded,
        warnings=tuple(notes),
        settings={
            "outcome": outcome,
            "predictors": tuple(names[1:]),
            "n_boot": len(indices),
            "n_boot_used": used,
            "seed": seed,
            "cv_folds": cv_folds,
            "cv_repeats": cv_repeats,
            "cv_seed": cv_seed,
            "alpha": alpha,
            "prevalence": prevalence,
        },
    )


# -- figure -----------------------------------------------------------------------------------


def plot_calibration(result: CombinedModelResult, ax: Any = None) -> Any:
    """Observed against predicted risk: grouped points with CIs, lowess line, ideal diagonal.

    Examples
    --------
    >>> import ovcfstats as ov
    >>> from ovcfstats.design import plot_calibration
    >>> patients, measurements = ov.load_sample()
    >>> data = ov.match_controls(ov.derive_indicators(patients, measurements).table).matched
    >>> model = ov.combined_model(data, ["hu", "fi"], n_boot=10, cv_repeats=1, seed=1)
    >>> type(plot_calibration(model)).__name__
    'Figure'
    """
    from ..present._plotting import figure_and_axes

    fig, ax = figure_and_axes(ax, figsize=(5.0, 4.5))
    cal = result.calibration
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", label="Ideal")
    ax.errorbar(
        cal["predicted"],
        cal["observed"],
        yerr=[cal["observed"] - cal["ci_low"], cal["ci_high"] - cal["observed"]],
        fmt="o",
        ms=4,
        color="tab:blue",
        capsize=2,
        lw=1,
        label="Grouped",
    )
    sm = result.calibration_smooth
    ax.plot(sm["predicted"], sm["observed"], color="tab:red", lw=1.4, label="Lowess")
    row = result.table.set_index("statistic")
    ax.text(
        0.03,
        0.97,
        f"Corrected slope {row.loc['calibration_slope', 'corrected']:.2f}\n"
        f"Corrected AUC {row.loc['auc', 'corrected']:.3f}",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Predicted probability")
    ax.set_ylabel("Observed proportion")
    ax.set_title("Calibration", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return fig
