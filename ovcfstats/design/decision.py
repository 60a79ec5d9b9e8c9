"""Decision curves and reclassification: net benefit, NRI and IDI.

:func:`decision_curve` gives the net benefit of predicted-risk columns with treat-all and
treat-none, equal to the ``dcurves`` package. :func:`reclassification` gives the NRI
(categorical and continuous) and IDI of adding indicators to a base logistic model, equal to
``Hmisc::improveProb`` for the continuous NRI and the IDI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from .._validate import DataError, check_numeric
from ._logistic import _design, _expit, _fit_logistic, _prepare

# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DecisionCurveResult(Result):
    """Net benefit by threshold probability for each model, treat-all and treat-none."""

    title: ClassVar[str] = "Decision curve"
    has_plot: ClassVar[bool] = True

    def notes(self) -> list[str]:
        return [*decision_notes(self.settings.get("prevalence")), *super().notes()]

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


def decision_notes(prevalence: float | None) -> list[str]:
    """The net-benefit formula used, at the sample's share of cases or at a stated prevalence."""
    if prevalence is None:
        return [
            "Net benefit = TP/n − FP/n · pt/(1 − pt), treating patients with predicted risk "
            "≥ pt (Vickers & Elkin 2006; as the dcurves package)."
        ]
    return [
        f"Net benefit at a population prevalence π = {prevalence:.3g}: NB = Se·π − (1 − Sp)"
        "(1 − π)·pt/(1 − pt), Se and Sp of 'predicted risk ≥ pt' in the sample (case–control "
        "sampling fixes the sample's share of cases, so TP/n would misstate it); treat-all "
        "π − (1 − π)·pt/(1 − pt)."
    ]


# -- computations ----------------------------------------------------------------------------


def _net_benefit(
    p: np.ndarray, y: np.ndarray, thresholds: np.ndarray, prevalence: float | None = None
) -> np.ndarray:
    n = y.size
    treated = p[None, :] >= thresholds[:, None]
    tp = (treated & (y[None, :] == 1)).sum(axis=1)
    fp = (treated & (y[None, :] == 0)).sum(axis=1)
    odds = thresholds / (1 - thresholds)
    if prevalence is None:
        return tp / n - fp / n * odds
    se, fpr = tp / (y == 1).sum(), fp / (y == 0).sum()
    return se * prevalence - fpr * (1 - prevalence) * odds


def _decision_table(
    risks: dict[str, np.ndarray],
    y: np.ndarray,
    thresholds: np.ndarray,
    prevalence: float | None = None,
) -> pd.DataFrame:
    given = prevalence
    prevalence = y.mean() if given is None else given
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
                    "net_benefit": _net_benefit(p, y, thresholds, given),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def decision_curve(
    data: pd.DataFrame,
    risks: Sequence[str],
    *,
    outcome: str = "case",
    thresholds: Sequence[float] | None = None,
    prevalence: float | None = None,
    set_col: str = "pair_id",
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
    prevalence : float, optional
        The outcome's prevalence π in the population the model is meant for: net benefit
        Se·π − (1 − Sp)(1 − π)·pt/(1 − pt). Required when the data are matched sets (a
        ``set_col`` column): their share of cases is fixed by the design. Without it (a cohort)
        the sample's share of cases is π and the result equals dcurves.
    set_col : str, default "pair_id"
        The matched-set column whose presence marks matched data.
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

    At a population prevalence of 10 %:

    >>> t = decision_curve(d, ["p"], thresholds=[0.2], prevalence=0.1).table
    >>> round(float(t.loc[2, "net_benefit"]), 4)  # everyone treated: 0.1 − 0.9 · 0.2/0.8
    -0.125
    """
    func = "decision_curve"
    check_prevalence(prevalence, func)
    if prevalence is None and isinstance(data, pd.DataFrame) and set_col in data.columns:
        raise DataError(
            f"{func}(): the data are matched sets (column '{set_col}'), whose share of cases is "
            "fixed by the design, so the net benefit needs the population prevalence: pass "
            "prevalence= (e.g. 0.1, from a population survey of the outcome; study file "
            "[design] prevalence)."
        )
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
        table=_decision_table(values, y, arr, prevalence),
        excluded=excluded,
        settings={"outcome": outcome, "risks": tuple(risks), "prevalence": prevalence},
    )


def check_prevalence(prevalence: Any, func: str) -> float | None:
    """``None`` or a number in (0, 1)."""
    if prevalence is None:
        return None
    ok = isinstance(prevalence, int | float | np.floating) and not isinstance(prevalence, bool)
    if not ok or not 0 < float(prevalence) < 1:
        raise ValueError(
            f"`prevalence` of {func}() must be a number in (0, 1); got {prevalence!r}."
        )
    return float(prevalence)


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


# -- figure -----------------------------------------------------------------------------------


def plot_decision_curve(decision: pd.DataFrame, ax: Any = None) -> Any:
    """Net benefit of each model, treat-all and treat-none, against threshold probability.

    Examples
    --------
    >>> import ovcfstats as ov
    >>> from ovcfstats.design import plot_decision_curve
    >>> patients, measurements = ov.load_sample()
    >>> data = ov.match_controls(ov.derive_indicators(patients, measurements).table).matched
    >>> model = ov.combined_model(data, ["hu", "fi"], n_boot=10, cv_repeats=1, prevalence=0.1)
    >>> type(plot_decision_curve(model.decision)).__name__
    'Figure'
    """
    from ..present._plotting import figure_and_axes

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
