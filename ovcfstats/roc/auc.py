"""ROC analysis: AUC with DeLong or bootstrap CI, Youden cut-offs, paired DeLong comparison, Fig. 5.

Conventions (each printed in the result's notes):

- **Direction.** ``direction="auto"`` takes, per indicator, the side with AUC ≥ 0.5 (the side that
  predicts a case). pROC's ``direction="auto"`` compares the group *medians* instead; the two agree
  except when the medians and the AUC point different ways, which the notes then say.
  ``"higher"`` means higher values predict a case (VBQ, FI); ``"lower"`` lower values (T-score, HU,
  rCSA). A dict gives one direction per indicator.
- **AUC and its variance** from DeLong's placements computed with midranks (Sun & Xu 2014): one
  sort per indicator, ties counted ½. The AUC from the placements is checked against the trapezoid
  rule on the ROC vertices (pROC's guard against overflow and near-ties).
- **CI.** ``ci="delong"``: AUC ± z·SE, clipped to [0, 1] as pROC does. ``ci="bootstrap"``:
  percentile interval of a stratified bootstrap (cases and controls resampled separately, as
  pROC's ``stratified=TRUE``), SE = SD of the bootstrap AUCs.
- **Youden cut-off.** Every cut-off maximising sensitivity + specificity − 1 is found (exact integer
  comparison); ``cutoff`` is pROC's (midpoint between adjacent observed values), ``cutoff_observed``
  sklearn's (the observed value at which the call changes, a case when ``value >= cutoff_observed``
  for "higher", ``value <= cutoff_observed`` for "lower"). The main table reports the optimum with
  the highest sensitivity; ``.cutoffs`` lists all of them. Sensitivity and specificity have exact
  (Clopper–Pearson) binomial CIs.
- **Paired comparison** as pROC's ``roc.test(method="delong", paired=TRUE)``: z on the difference of
  two AUCs computed on the rows complete in both indicators, CI of the difference from the same
  variance. ``paired=False`` reproduces pROC's unpaired DeLong test (a t statistic with Welch's
  degrees of freedom). The omnibus test that all AUCs are equal is Stata ``roccomp``'s χ² on k − 1
  contrasts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._pool import Imputed, pooled_note
from .._results import Result, concat_excluded, make_excluded
from .._validate import (
    DataError,
    check_binary_outcome,
    check_columns,
    check_frame,
    check_numeric,
    check_option,
    row_ids,
)
from ..data._ranges import check_ranges
from ..present._format import Style
from ..present._plotting import figure_and_axes
from ._delong import Placements, delong_omnibus, delong_test, placements
from ._indicator import _check_counts, _one_roc, _oriented

DIRECTIONS = ("auto", "higher", "lower")
CI_METHODS = ("delong", "bootstrap")


@dataclass(frozen=True, eq=False)
class RocResult(Result):
    """AUC, CI and Youden cut-off per indicator (``.table``), all optimal cut-offs (``.cutoffs``)
    and the ROC curve points (``.curve``: indicator, threshold, fpr, tpr)."""

    cutoffs: pd.DataFrame = field(default_factory=pd.DataFrame)
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "ROC analysis"
    has_plot: ClassVar[bool] = True

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"auc": self.table.copy(), "cutoffs": self.cutoffs.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        ci = (
            "DeLong SE, AUC ± z·SE clipped to [0, 1]"
            if s["ci"] == "delong"
            else f"stratified bootstrap percentile CI ({s['n_boot']} resamples, seed {s['seed']})"
        )
        if s.get("pooled_m"):
            ci = (
                f"{pooled_note(s['pooled_m'])} AUC pooled on the logit scale (DeLong SE by the "
                "delta method), CI back-transformed; cut-off, sensitivity and specificity "
                "averaged over the imputations; the curve is the first completed table's"
            )
        lines = [
            f"{1 - s['alpha']:.0%} CI: {ci}. Direction 'auto' = the side with AUC ≥ 0.5; "
            "'higher' = higher values predict a case.",
            "Youden cut-off: 'cutoff' is the midpoint between adjacent observed values (pROC), "
            "'cutoff_observed' the observed value at which the call changes (sklearn); the optimum "
            "with the highest sensitivity is shown, all optima are in 'cutoffs'. Sensitivity and "
            "specificity CIs: exact Clopper–Pearson.",
        ]
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The ROC figure (see :func:`plot_roc`)."""
        return plot_roc(self, ax=ax, **kwargs)


@dataclass(frozen=True, eq=False)
class CompareAucResult(Result):
    """Pairwise DeLong comparisons (``.table``) and the omnibus test (``.omnibus``)."""

    omnibus: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Comparison of AUCs (DeLong)"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"pairs": self.table.copy(), "omnibus": self.omnibus.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        kind = (
            "paired DeLong test on the rows complete in both indicators (pROC roc.test, "
            "paired=TRUE)"
            if s["paired"]
            else "unpaired DeLong test, t with Welch df (pROC roc.test, paired=FALSE)"
        )
        lines = [f"{kind}; diff = auc_1 − auc_2 with its {1 - s['alpha']:.0%} CI."]
        if s.get("pooled_m"):
            lines.insert(0, pooled_note(s["pooled_m"]) + " ΔAUC and its DeLong SE pooled on "
                         "the AUC scale (t with df); the omnibus χ² by the D2 rule (k·D2).")
        if s["paired"] and len(self.omnibus):
            lines.append(
                "Omnibus: χ² test that all AUCs are equal on the rows complete in every "
                "indicator (Stata roccomp)."
            )
        if s["adjust"]:
            lines.append(f"p_adjusted: {s['adjust']} (statsmodels multipletests).")
        return lines + super().notes()


# -- validation ---------------------------------------------------------------------------------
def _prepare(
    data: Any, indicators: Sequence[str] | str, outcome: str, func: str, id_col: str
) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    data = check_frame(data, func)
    indicators = [indicators] if isinstance(indicators, str) else list(indicators)
    if not indicators:
        raise DataError(f"{func}(): no indicators given; pass a list of column names.")
    check_columns(data, [outcome, *indicators], func)
    check_ranges(data, indicators, func, id_col)
    y = check_binary_outcome(data, outcome, func, id_col)
    for name in indicators:
        check_numeric(data, name, func, id_col)
    return data, indicators, y.astype(bool)


def _direction_for(direction: str | Mapping[str, str], name: str, func: str) -> str:
    value = direction.get(name, "auto") if isinstance(direction, Mapping) else direction
    return check_option(value, DIRECTIONS, func, "direction")


def roc_auc(
    data: pd.DataFrame | Imputed,
    indicators: Sequence[str] | str,
    *,
    outcome: str = "case",
    direction: str | Mapping[str, str] = "auto",
    ci: str = "delong",
    n_boot: int = 2000,
    seed: int | None = None,
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> RocResult:
    """AUC with its CI, direction and Youden cut-off for each indicator.

    Parameters
    ----------
    data : pandas.DataFrame or Imputed
        One row per patient with the outcome (1 = case, 0 = control) and the indicators. An
        :class:`~ovcfstats.Imputed` gives AUCs pooled over the completed tables on the logit
        scale (Rubin's rules), CIs back-transformed; cut-offs averaged.
    indicators : str or sequence of str
        Columns to analyse; rows missing an indicator are left out for that indicator only.
    outcome : str
        The 0/1 outcome column.
    direction : {"auto", "higher", "lower"} or dict
        Which side predicts a case; "auto" takes the side with AUC ≥ 0.5.
    ci : {"delong", "bootstrap"}
        DeLong (default, as pROC) or stratified bootstrap percentile interval.
    n_boot, seed : int
        Bootstrap resamples and seed (``ci="bootstrap"`` only).
    alpha : float
        1 − confidence level.
    id_col : str
        Column naming the rows in ``excluded`` and in error messages.

    Returns
    -------
    RocResult
        ``.table``: ``indicator``, ``direction``, ``auc``, ``se``, ``ci_low``, ``ci_high``,
        ``n_cases``, ``n_controls``, ``cutoff``, ``cutoff_observed``, ``sensitivity`` and
        ``specificity`` with their CIs, ``youden``, ``n_optimal_cutoffs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import roc_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "hu": [80, 95, 120, 110, 140, 150]})
    >>> res = roc_auc(df, ["hu"])
    >>> row = res.table.iloc[0]
    >>> print(row.direction, round(row.auc, 4), row.cutoff, row.sensitivity)
    lower 0.8889 130.0 1.0
    """
    if isinstance(data, Imputed):
        from ._pooled import pooled_roc

        kwargs = {k: v for k, v in locals().items() if k not in ("data", "pooled_roc")}
        return pooled_roc(data, roc_auc, kwargs)
    func = "roc_auc"
    data, indicators, y = _prepare(data, indicators, outcome, func, id_col)
    check_option(ci, CI_METHODS, func, "ci")
    settings = {
        "outcome": outcome,
        "direction": direction,
        "ci": ci,
        "alpha": alpha,
        "n_boot": n_boot,
        "seed": seed,
    }
    rng = np.random.default_rng(seed) if ci == "bootstrap" else None
    notes: list[str] = []
    rows, cutoffs, curves, excluded = [], [], [], []
    for name in indicators:
        x = check_numeric(data, name, func, id_col)
        keep = ~np.isnan(x)
        excluded.append(make_excluded(row_ids(data, ~keep, id_col), name, f"missing {name}"))
        row, cut, curve = _one_roc(
            name, x[keep], y[keep], _direction_for(direction, name, func), settings, rng, notes
        )
        rows.append(row)
        cutoffs.append(cut)
        curves.append(curve)
    return RocResult(
        table=pd.DataFrame(rows),
        excluded=concat_excluded(excluded),
        warnings=tuple(notes),
        settings=settings,
        cutoffs=pd.concat(cutoffs, ignore_index=True),
        curve=pd.concat(curves, ignore_index=True),
    )


# -- comparison ---------------------------------------------------------------------------------
def compare_auc(
    data: pd.DataFrame | Imputed,
    indicators: Sequence[str],
    *,
    outcome: str = "case",
    paired: bool = True,
    direction: str | Mapping[str, str] = "auto",
    adjust: str | None = None,
    omnibus: bool = True,
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> CompareAucResult:
    """DeLong comparison of the AUCs of every pair of indicators.

    Each indicator's direction is resolved first (as in :func:`roc_auc`, on all its rows), then
    each pair is compared on the rows complete in both (``paired=True``) or each indicator on its
    own rows (``paired=False``).

    Parameters
    ----------
    data : pandas.DataFrame or Imputed
        One row per patient with the outcome and the indicators. An
        :class:`~ovcfstats.Imputed` pools the differences by Rubin's rules (t with
        Barnard–Rubin df) and the omnibus χ² by D2.
    indicators : sequence of str
        At least two columns.
    outcome : str
        The 0/1 outcome column.
    paired : bool
        Paired DeLong test (same patients) or unpaired.
    direction : {"auto", "higher", "lower"} or dict
        As in :func:`roc_auc`.
    adjust : str, optional
        A ``statsmodels.stats.multitest.multipletests`` method (e.g. "holm") for ``p_adjusted``.
    omnibus : bool
        Also test that all AUCs are equal (paired only).
    alpha : float
        1 − confidence level of the CI of the difference.
    id_col : str
        Column naming the rows in ``excluded``.

    Returns
    -------
    CompareAucResult
        ``.table``: ``indicator_1``, ``indicator_2``, ``auc_1``, ``auc_2``, ``diff``,
        ``diff_ci_low``, ``diff_ci_high``, ``se``, ``z``, ``p`` (``p_adjusted``), ``n``, ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import compare_auc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "a": [5, 6, 7, 8, 1, 2, 3, 6], "b": [2, 6, 3, 8, 1, 5, 3, 7]})
    >>> res = compare_auc(df, ["a", "b"])
    >>> print(round(res.table.loc[0, "diff"], 4))
    0.3125
    """
    if isinstance(data, Imputed):
        from ._pooled import pooled_compare

        kwargs = {k: v for k, v in locals().items() if k not in ("data", "pooled_compare")}
        return pooled_compare(data, compare_auc, kwargs)
    func = "compare_auc"
    data, indicators, y = _prepare(data, indicators, outcome, func, id_col)
    if len(indicators) < 2:
        raise DataError(f"{func}(): at least two indicators are needed; got {indicators}.")
    if adjust is not None:
        from statsmodels.stats.multitest import multipletests

    from scipy.stats import norm

    values = {name: check_numeric(data, name, func, id_col) for name in indicators}
    directions, complete = {}, {}
    for name, x in values.items():
        keep = ~np.isnan(x)
        _check_counts(y[keep], name, func)
        directions[name], p = _oriented(x[keep], y[keep], _direction_for(direction, name, func))
        if keep.all():  # reused by every pair without missing values: one sort per indicator
            complete[name] = p
    score = {k: (v if directions[k] == "higher" else -v) for k, v in values.items()}

    def oriented(name: str, keep: np.ndarray) -> Placements:
        if name in complete and keep.all():
            return complete[name]
        return placements(score[name][keep], y[keep])

    z_crit = norm.ppf(1 - alpha / 2)
    rows, excluded = [], []
    for a, b in combinations(indicators, 2):
        if paired:
            keep = ~np.isnan(score[a]) & ~np.isnan(score[b])
            for name in (a, b):
                gone = np.isnan(score[name])
                excluded.append(
                    make_excluded(row_ids(data, gone, id_col), f"{a} vs {b}", f"missing {name}")
                )
            _check_counts(y[keep], f"{a} & {b}", func)
            pa, pb = oriented(a, keep), oriented(b, keep)
            n = int(keep.sum())
        else:
            ka, kb = ~np.isnan(score[a]), ~np.isnan(score[b])
            pa, pb = oriented(a, ka), oriented(b, kb)
            n = int(min(ka.sum(), kb.sum()))
        diff, se, stat, p, df = delong_test(pa, pb, paired)
        rows.append(
            {
                "indicator_1": a,
                "indicator_2": b,
                "auc_1": pa.auc,
                "auc_2": pb.auc,
                "diff": diff,
                "diff_ci_low": diff - z_crit * se,
                "diff_ci_high": diff + z_crit * se,
                "se": se,
                "z": stat,
                "p": p,
                "n": n,
                "df": df,
            }
        )
    table = pd.DataFrame(rows)
    if adjust is not None:
        table["p_adjusted"] = multipletests(table["p"], method=adjust)[1]
    omni = pd.DataFrame(columns=["chi2", "df", "p", "n"])
    if paired and omnibus:
        keep = np.all([~np.isnan(score[k]) for k in indicators], axis=0)
        stat, rank, p = delong_omnibus([oriented(k, keep) for k in indicators])
        omni = pd.DataFrame([{"chi2": stat, "df": rank, "p": p, "n": int(keep.sum())}])
    if not paired:
        excluded = [
            make_excluded(row_ids(data, np.isnan(v), id_col), k, f"missing {k}")
            for k, v in values.items()
        ]
    settings = {
        "outcome": outcome,
        "paired": paired,
        "direction": directions,
        "adjust": adjust,
        "alpha": alpha,
    }
    return CompareAucResult(
        table=table, excluded=concat_excluded(excluded), settings=settings, omnibus=omni
    )


# -- figure -------------------------------------------------------------------------------------
def plot_roc(
    result: RocResult | pd.DataFrame,
    indicators: Sequence[str] | None = None,
    *,
    outcome: str = "case",
    ax: Any = None,
    cutoffs: bool = True,
    **kwargs: Any,
) -> Any:
    """ROC curves (Fig. 5): one curve per indicator, AUC (CI) in the legend, the diagonal.

    Parameters
    ----------
    result : RocResult or pandas.DataFrame
        A :func:`roc_auc` result, or data from which one is computed with ``indicators``.
    indicators : sequence of str, optional
        With data: the columns; with a result: a subset to draw.
    outcome : str
        Outcome column when ``result`` is data.
    ax : matplotlib Axes, optional
        Draw into this axes.
    cutoffs : bool
        Mark each curve's Youden point.
    **kwargs
        Passed to :func:`roc_auc` when ``result`` is data.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import plot_roc
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "vbq": [3.1, 3.4, 2.9, 2.5, 3.0, 2.2]})
    >>> fig = plot_roc(df, ["vbq"])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'VBQ: AUC 0.889 (0.581–1.000)'
    """
    if not isinstance(result, RocResult):
        if indicators is None:
            raise DataError("plot_roc(): pass `indicators` when plotting from data.")
        result = roc_auc(result, indicators, outcome=outcome, **kwargs)
    from ..present._plotting import MAX_ITEMS, check_items, indicator_color

    names = list(indicators) if indicators is not None else list(result.table["indicator"])
    check_items(len(names), MAX_ITEMS["roc"], "ROC curves", "the ROC table",
                "In Python, plot a subset: plot_roc(result, [a few indicators]).")  # fmt: skip
    fig, ax = figure_and_axes(ax, figsize=(5.5, 5.5))
    level = f"{100 * (1 - float(result.settings.get('alpha', 0.05))):g}% CI"
    for i, name in enumerate(names):
        row = result.table.set_index("indicator").loc[name]
        pts = result.curve[result.curve["indicator"] == name]
        ci = f"{row['ci_low']:.3f}–{row['ci_high']:.3f}"
        text = f"{Style().label(name)}: AUC {row['auc']:.3f} ({ci})"
        colour = indicator_color(name, i)
        ax.plot(pts["fpr"], pts["tpr"], color=colour, linewidth=1.6, label=text)
        if cutoffs:
            ax.plot(1 - row["specificity"], row["sensitivity"], "o", color=colour, markersize=4)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal")
    ax.set_xlabel("1 − specificity (false-positive rate)")
    ax.set_ylabel("Sensitivity (true-positive rate)")
    ax.legend(loc="lower right", fontsize="small", title=f"AUC ({level})", title_fontsize="small")
    return fig
