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

:func:`reclassification` gives the NRI (categorical and continuous) and IDI of adding an
indicator to a base model, equal to ``Hmisc::improveProb`` for the continuous NRI and IDI.
:func:`decision_curve` computes net benefit for any predicted-risk columns.

The bootstrap refits use a small Newton–Raphson solver (:func:`_fit_logistic`) instead of
statsmodels or scikit-learn: each refit of a handful of coefficients takes a few dozen
microseconds this way against milliseconds through the libraries' general machinery, which
matters at 1,000 refits (see ``benchmarks/bench_combined.py``). The main fit, whose
coefficients and CIs are reported, uses statsmodels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, SmallSampleWarning, warn
from .._validate import (
    DataError,
    check_binary_outcome,
    check_columns,
    check_frame,
    check_numeric,
    split_missing,
)

STATISTICS = ("dxy", "auc", "calibration_intercept", "calibration_slope", "brier")


# -- results ----------------------------------------------------------------------------------


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
            *super().notes(),
        ]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Calibration curve and decision curve side by side (``ax`` ignored)."""
        from .._plotting import figure_and_axes

        fig, _ = figure_and_axes(None, figsize=(10.0, 4.2))
        fig.clear()
        left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        plot_calibration(self, ax=left)
        plot_decision_curve(self.decision, ax=right)
        return fig


@dataclass(frozen=True, eq=False)
class DecisionCurveResult(Result):
    """Net benefit by threshold probability for each model, treat-all and treat-none."""

    title: ClassVar[str] = "Decision curve"
    has_plot: ClassVar[bool] = True

    def notes(self) -> list[str]:
        return [
            "Net benefit = TP/n − FP/n · pt/(1 − pt), treating patients with predicted risk "
            "≥ pt (Vickers & Elkin 2006; as the dcurves package).",
            *super().notes(),
        ]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Net benefit against threshold probability."""
        return plot_decision_curve(self.table, ax=ax, **kwargs)


@dataclass(frozen=True, eq=False)
class ReclassificationResult(Result):
    """NRI (categorical and continuous) and IDI of a new model against a base model."""

    title: ClassVar[str] = "Reclassification: NRI and IDI"

    def notes(self) -> list[str]:
        return [
            "Continuous NRI and IDI with the standard errors of Hmisc::improveProb (Pencina "
            "et al. 2008, 2011); categorical NRI over the risk categories "
            f"{list(self.settings['cutoffs'])} with the same variance formula.",
            *super().notes(),
        ]


# -- numerical core ---------------------------------------------------------------------------


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, max_iter: int = 60, tol: float = 1e-11
) -> tuple[np.ndarray, bool]:
    """Maximum-likelihood logistic coefficients by Newton–Raphson (``x`` includes the intercept).

    Returns the coefficients and whether the fit converged to finite values (a separated
    sample diverges and is reported as not converged).
    """
    from scipy.special import expit

    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        eta = x @ beta
        p = expit(eta)
        w = p * (1 - p)
        hess = (x * w[:, None]).T @ x
        grad = x.T @ (y - p)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return beta, False
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 1e6:
            return beta, False
        if np.abs(step).max() < tol * (1 + np.abs(beta).max()):
            return beta, True
    return beta, False


def _expit(eta: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(eta)


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    """AUC as the Mann–Whitney statistic from midranks (ties count ½)."""
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    midranks = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = midranks[inverse]
    m = y.sum()
    return float((ranks[y == 1].sum() - m * (m + 1) / 2) / (m * (y.size - m)))


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


def _design(
    data: pd.DataFrame, predictors: Sequence[str], func: str, id_col: str
) -> tuple[np.ndarray, list[str]]:
    """Numeric predictors as they are; text ones one-hot with the first sorted level dropped."""
    columns, names = [], []
    for name in predictors:
        raw = data[name]
        if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
            columns.append(check_numeric(data, name, func, id_col))
            names.append(name)
            continue
        levels = sorted(raw.astype(str).unique())
        for level in levels[1:]:
            columns.append((raw.astype(str) == level).to_numpy(float))
            names.append(f"{name}[{level}]")
    return np.column_stack([np.ones(len(data)), *columns]), ["Intercept", *names]


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


def _net_benefit(p: np.ndarray, y: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    n = y.size
    treated = p[None, :] >= thresholds[:, None]
    tp = (treated & (y[None, :] == 1)).sum(axis=1)
    fp = (treated & (y[None, :] == 0)).sum(axis=1)
    return tp / n - fp / n * thresholds / (1 - thresholds)


def _decision_table(
    risks: dict[str, np.ndarray], y: np.ndarray, thresholds: np.ndarray
) -> pd.DataFrame:
    prevalence = y.mean()
    parts = [
        pd.DataFrame(
            {
                "model": "all",
                "threshold": thresholds,
                "net_benefit": prevalence - (1 - prevalence) * thresholds / (1 - thresholds),
            }
        ),
        pd.DataFrame({"model": "none", "threshold": thresholds, "net_benefit": 0.0}),
    ]
    for name, p in risks.items():
        parts.append(
            pd.DataFrame(
                {
                    "model": name,
                    "threshold": thresholds,
                    "net_benefit": _net_benefit(p, y, thresholds),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


# -- public functions -----------------------------------------------------------------------------


def _prepare(
    data: Any, columns: Sequence[str], outcome: str, func: str, id_col: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    data = check_frame(data, func)
    check_columns(data, [outcome, *columns], func)
    kept, excluded = split_missing(data, list(columns), id_col)
    if len(kept) == 0:
        raise DataError(f"{func}(): no row is complete in {list(columns)}.")
    y = check_binary_outcome(kept, outcome, func, id_col)
    return kept, y.astype(float), excluded


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
        decision=_decision_table({"combined": p}, y, thresholds_arr),
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
        },
    )


def decision_curve(
    data: pd.DataFrame,
    risks: Sequence[str],
    *,
    outcome: str = "case",
    thresholds: Sequence[float] | None = None,
    id_col: str = "patient_id",
) -> DecisionCurveResult:
    """Decision-curve net benefit of predicted-risk columns, with treat-all and treat-none.

    Equal to ``dcurves.dca(data, outcome, modelnames=risks, thresholds=...)`` (its
    ``net_benefit`` column).

    Parameters
    ----------
    data : pandas.DataFrame
    risks : sequence of str
        Columns of predicted probabilities in [0, 1].
    outcome : str, default "case"
    thresholds : sequence of float, optional
        Default 0.01 … 0.99.
    id_col : str, default "patient_id"

    Returns
    -------
    DecisionCurveResult
        ``.table``: ``model`` (``all``, ``none`` and each risk column), ``threshold``,
        ``net_benefit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import decision_curve
    >>> d = pd.DataFrame({"case": [1, 1, 0, 0, 1, 0], "p": [0.9, 0.6, 0.3, 0.2, 0.4, 0.7]})
    >>> t = decision_curve(d, ["p"], thresholds=[0.5]).table
    >>> t.round(3)
      model  threshold  net_benefit
    0   all        0.5        0.000
    1  none        0.5        0.000
    2     p        0.5        0.167
    """
    func = "decision_curve"
    risks = [risks] if isinstance(risks, str) else list(risks)
    kept, y, excluded = _prepare(data, risks, outcome, func, id_col)
    values = {}
    for name in risks:
        v = check_numeric(kept, name, func, id_col)
        if v.min() < 0 or v.max() > 1:
            raise DataError(f"{func}(): column '{name}' must hold probabilities in [0, 1].")
        values[name] = v
    arr = np.arange(1, 100) / 100 if thresholds is None else np.asarray(thresholds, float)
    if arr.min() < 0 or arr.max() >= 1:
        raise ValueError(f"`thresholds` of {func}() must lie in [0, 1).")
    return DecisionCurveResult(
        table=_decision_table(values, y, arr),
        excluded=excluded,
        settings={"outcome": outcome, "risks": tuple(risks)},
    )


def _nri_parts(up: np.ndarray, down: np.ndarray, y: np.ndarray) -> dict[str, float]:
    ev, ne = y == 1, y == 0
    na, nb = ev.sum(), ne.sum()
    u_ev, d_ev, u_ne, d_ne = up[ev].sum(), down[ev].sum(), up[ne].sum(), down[ne].sum()
    var_ev = (u_ev + d_ev) / na**2 - (u_ev - d_ev) ** 2 / na**3
    var_ne = (d_ne + u_ne) / nb**2 - (d_ne - u_ne) ** 2 / nb**3
    nri_ev, nri_ne = (u_ev - d_ev) / na, (d_ne - u_ne) / nb
    return {
        "nri": nri_ev + nri_ne,
        "se": np.sqrt(var_ev + var_ne),
        "nri_events": nri_ev,
        "se_events": np.sqrt(var_ev),
        "nri_nonevents": nri_ne,
        "se_nonevents": np.sqrt(var_ne),
    }


def reclassification(
    data: pd.DataFrame,
    base: Sequence[str],
    added: Sequence[str],
    *,
    outcome: str = "case",
    cutoffs: Sequence[float] = (0.1, 0.3),
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> ReclassificationResult:
    """NRI and IDI of adding ``added`` to a logistic model of ``base``.

    Both models are fitted by maximum likelihood on the rows complete in all their columns.

    Parameters
    ----------
    data : pandas.DataFrame
    base : sequence of str
        Predictors of the base model (e.g. ``["age", "t_score"]``).
    added : sequence of str
        Predictors added in the new model (e.g. ``["vbq"]``).
    outcome : str, default "case"
    cutoffs : sequence of float, default (0.1, 0.3)
        Risk-category boundaries of the categorical NRI.
    alpha : float, default 0.05
    id_col : str, default "patient_id"

    Returns
    -------
    ReclassificationResult
        ``.table``: one row per index (``nri_categorical``, ``nri_continuous``, ``idi``) with
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``z``, ``p`` and, for the NRIs, the
        event and non-event components.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ovcfstats import reclassification
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    >>> d["case"] = (d["a"] + 1.5 * d["b"] + rng.logistic(size=200) > 0).astype(int)
    >>> res = reclassification(d, ["a"], ["b"])
    >>> bool(res.table.set_index("index").loc["idi", "estimate"] > 0)
    True
    """
    from scipy import stats

    func = "reclassification"
    base = [base] if isinstance(base, str) else list(base)
    added = [added] if isinstance(added, str) else list(added)
    kept, y, excluded = _prepare(data, [*base, *added], outcome, func, id_col)
    fitted = []
    for predictors in (base, [*base, *added]):
        x, _ = _design(kept, predictors, func, id_col)
        beta, ok = _fit_logistic(x, y)
        if not ok:
            raise DataError(f"{func}(): the model of {predictors} does not converge (separation).")
        fitted.append(_expit(x @ beta))
    p_old, p_new = fitted
    cuts = np.asarray(sorted(cutoffs), float)
    cat_old, cat_new = np.searchsorted(cuts, p_old, "right"), np.searchsorted(cuts, p_new, "right")
    rows = [
        {"index": "nri_categorical", **_nri_parts(cat_new > cat_old, cat_new < cat_old, y)},
        {"index": "nri_continuous", **_nri_parts(p_new > p_old, p_new < p_old, y)},
    ]
    d = p_new - p_old
    ev, ne = y == 1, y == 0
    idi_se = np.sqrt(d[ev].var(ddof=1) / ev.sum() + d[ne].var(ddof=1) / ne.sum())
    rows.append({"index": "idi", "nri": d[ev].mean() - d[ne].mean(), "se": idi_se})
    table = pd.DataFrame(rows).rename(columns={"nri": "estimate"})
    zq = float(stats.norm.ppf(1 - alpha / 2))
    table["ci_low"] = table["estimate"] - zq * table["se"]
    table["ci_high"] = table["estimate"] + zq * table["se"]
    table["z"] = table["estimate"] / table["se"]
    table["p"] = 2 * stats.norm.sf(np.abs(table["z"]))
    return ReclassificationResult(
        table=table,
        excluded=excluded,
        settings={
            "outcome": outcome,
            "base": tuple(base),
            "added": tuple(added),
            "cutoffs": tuple(float(c) for c in cuts),
            "alpha": alpha,
        },
    )


# -- figures ------------------------------------------------------------------------------------


def plot_calibration(result: CombinedModelResult, ax: Any = None) -> Any:
    """Observed against predicted risk: grouped points with CIs, lowess line, ideal diagonal."""
    from .._plotting import figure_and_axes

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


def plot_decision_curve(decision: pd.DataFrame, ax: Any = None) -> Any:
    """Net benefit of each model, treat-all and treat-none, against threshold probability."""
    from .._plotting import figure_and_axes

    fig, ax = figure_and_axes(ax, figsize=(5.5, 4.5))
    styles = {"all": {"color": "0.5", "lw": 1, "ls": "--"}, "none": {"color": "0.2", "lw": 1}}
    for model, part in decision.groupby("model", sort=False):
        label = {"all": "Treat all", "none": "Treat none"}.get(str(model), str(model))
        ax.plot(
            part["threshold"],
            part["net_benefit"],
            label=label,
            **styles.get(str(model), {"lw": 1.6}),
        )
    models = decision[~decision["model"].isin(["all", "none"])]
    top = max(float(decision["net_benefit"].max()), 0.01)
    ax.set_ylim(-0.05 * top if models.empty else -0.1 * top, top * 1.1)
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    ax.set_title("Decision curve", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return fig
