"""Spearman correlations: each indicator with the outcome (Table 2's ρ) and among indicators
(Table 3), with p-values, confidence intervals, multiple-testing adjustment and a heatmap.

Conventions (stated in every result's notes):

- ρ is Pearson's correlation of the ranks, ties given their average rank
  (``scipy.stats.spearmanr``).
- p-values use the t approximation t = ρ √((n − 2) / (1 − ρ²)) on n − 2 df — what SPSS reports
  and what R's ``cor.test(method = "spearman", exact = FALSE)`` gives — unless ``exact=True``:
  then R's ``cor.test(method = "spearman")`` default, algorithm AS 89 (exact enumeration of the
  n! rankings for n ≤ 9, Edgeworth series for 9 < n ≤ 1290) when there are no ties, and the
  t approximation with ties or above n = 1290 (as R, which warns "Cannot compute exact p-value
  with ties"). The default stays the t approximation: the paper's (SPSS) p-values.
- CIs use Fisher's z = atanh(ρ) with the Bonett–Wright (2000) variance (1 + ρ²/2) / (n − 3),
  which unlike 1/(n − 3) keeps the nominal coverage for Spearman's ρ. scipy has no CI for ρ.
- Missing values are dropped pairwise (each correlation uses the patients complete on its two
  variables) and listed in ``.excluded``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._pool import Imputed, pooled_note
from .._results import Result, concat_excluded, make_excluded
from .._validate import DataError, check_columns, check_numeric, check_option, id_column, row_ids
from ..present._plotting import MAX_ANNOTATED, MAX_ITEMS, check_items, figure_and_axes
from ._rho import _all_at_once, _check_common, _numeric_columns, _pairwise

#: ``statsmodels.stats.multitest.multipletests`` methods accepted by ``adjust``.
ADJUST_METHODS = (
    "bonferroni",
    "sidak",
    "holm-sidak",
    "holm",
    "simes-hochberg",
    "hommel",
    "fdr_bh",
    "fdr_by",
    "fdr_tsbh",
    "fdr_tsbky",
)

P_NOTE = (
    "p-values: t approximation t = ρ√((n − 2)/(1 − ρ²)) on n − 2 df, as SPSS and R's "
    "cor.test(method = 'spearman', exact = FALSE)."
)


EXACT_NOTE = (
    "p-values: R's cor.test(method = 'spearman') default, AS 89 (exact for n ≤ 9, Edgeworth "
    "series for n ≤ 1290) without ties; t approximation t = ρ√((n − 2)/(1 − ρ²)) on n − 2 df "
    "with ties or n > 1290."
)


def _p_notes(s: dict[str, Any]) -> list[str]:
    if not s.get("exact"):
        return [P_NOTE]
    lines = [EXACT_NOTE]
    if s.get("t_approximation"):
        lines.append(
            "t approximation (ties or n > 1290) for: " + ", ".join(s["t_approximation"]) + "."
        )
    return lines


def _p_settings(exact: bool, approx: list[str]) -> dict[str, Any]:
    """The settings read by :func:`_p_notes`; ``approx``: what got the t approximation."""
    return {
        "method": f"spearman, {'AS 89 exact' if exact else 't approximation'}",
        "exact": exact,
        "t_approximation": approx if exact else [],
    }


def _ci_note(alpha: float, pooled_m: int | None = None) -> str:
    if pooled_m:
        return (
            f"{pooled_note(pooled_m)} ρ pooled as Fisher z = atanh(ρ) with the Bonett–Wright "
            f"variance, {100 * (1 - alpha):g}% CI and p (t with df) back-transformed."
        )
    return (
        f"{100 * (1 - alpha):g}% CI: Fisher z with the Bonett–Wright variance "
        "(1 + ρ²/2)/(n − 3); ties get average ranks; missing values dropped pairwise."
    )


@dataclass(frozen=True, eq=False)
class SpearmanOutcome(Result):
    """Spearman ρ of each indicator with the outcome (Table 2).

    ``.table``: ``indicator``, ``n``, ``rho``, ``p``, ``ci_low``, ``ci_high``.
    """

    title: ClassVar[str] = "Spearman correlation with the outcome"

    def notes(self) -> list[str]:
        s = self.settings
        return [
            f"Outcome: '{s['outcome']}'.",
            *([] if s.get("pooled_m") else _p_notes(s)),
            _ci_note(s["alpha"], s.get("pooled_m")),
            *super().notes(),
        ]


@dataclass(frozen=True, eq=False)
class SpearmanMatrix(Result):
    """Spearman ρ among indicators (Table 3), pairwise complete.

    ``.table`` (long form, one row per pair i < j): ``indicator_1``, ``indicator_2``, ``n``,
    ``rho``, ``p``, ``p_adjusted`` (when ``adjust`` is given), ``ci_low``, ``ci_high``.
    ``.rho``, ``.p``, ``.n`` (and ``.p_adjusted``) are the same as square DataFrames; the
    diagonal holds ρ = 1, p = NaN and the indicator's own n.
    """

    rho: pd.DataFrame = field(default_factory=pd.DataFrame)
    p: pd.DataFrame = field(default_factory=pd.DataFrame)
    n: pd.DataFrame = field(default_factory=pd.DataFrame)
    p_adjusted: pd.DataFrame | None = None

    title: ClassVar[str] = "Spearman correlation matrix"
    has_plot: ClassVar[bool] = True

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"table": self.table.copy(), "rho": self.rho.reset_index(names="indicator")}
        out["p"] = self.p.reset_index(names="indicator")
        if self.p_adjusted is not None:
            out["p_adjusted"] = self.p_adjusted.reset_index(names="indicator")
        return out

    def notes(self) -> list[str]:
        s = self.settings
        lines = [*([] if s.get("pooled_m") else _p_notes(s)), _ci_note(s["alpha"],
                                                                        s.get("pooled_m"))]
        if s["adjust"]:
            lines.append(
                f"p_adjusted: statsmodels multipletests(method='{s['adjust']}') over the "
                f"{len(self.table)} pairs."
            )
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        return plot_heatmap(self, ax=ax, **kwargs)


# -- public ----------------------------------------------------------------------------------


def spearman_outcome(
    data: pd.DataFrame | Imputed,
    indicators: Sequence[str],
    *,
    outcome: str = "case",
    alpha: float = 0.05,
    id_col: str = "patient_id",
    exact: bool = False,
) -> SpearmanOutcome:
    """Spearman ρ of each indicator with the outcome (the paper's Table 2, first columns).

    Parameters
    ----------
    data : pandas.DataFrame or Imputed
        One row per patient; an :class:`~ovcfstats.Imputed` pools ρ over the completed
        tables (Fisher z, Rubin's rules).
    indicators : sequence of str
        Numeric columns, in table order.
    outcome : str, default "case"
        Numeric outcome column (0/1 for case–control); rows missing it are excluded.
    alpha : float, default 0.05
        1 − confidence level of the CI.
    id_col : str, default "patient_id"
        Patient id column for ``.excluded`` (the index if absent).
    exact : bool, default False
        p-values as R's ``cor.test(method = "spearman")`` default (AS 89 without ties for
        n ≤ 1290, the t approximation otherwise); the default ``False`` is the t approximation
        (SPSS, R's ``exact = FALSE``).

    Returns
    -------
    SpearmanOutcome
        ``.table`` with ``indicator``, ``n``, ``rho``, ``p`` (t approximation, as SPSS and
        R's ``cor.test(exact = FALSE)``), ``ci_low``, ``ci_high`` (Fisher z, Bonett–Wright).

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import spearman_outcome
    >>> df = pd.DataFrame({"case": [0, 0, 0, 1, 1, 1], "hu": [120, 95, 101, 70, 88, 64]})
    >>> res = spearman_outcome(df, ["hu"])
    >>> res.table[["indicator", "n", "rho"]].round(4)
      indicator  n     rho
    0        hu  6 -0.8783
    """
    if isinstance(data, Imputed):
        from ._pooled import pooled_parts, pooled_rho

        kwargs = {k: v for k, v in locals().items() if k not in ("data", "pooled_rho",
                                                                  "pooled_parts")}
        first, table = pooled_rho(data, spearman_outcome, kwargs)
        return SpearmanOutcome(table=table, **pooled_parts(data, first))
    func = "spearman_outcome"
    indicators = _check_common(data, indicators, alpha, func)
    check_columns(data, [outcome], func)
    if outcome in indicators:
        raise DataError(f"{func}(): the outcome '{outcome}' cannot also be an indicator.")
    idc = id_column(data, id_col)
    y = check_numeric(data, outcome, func, idc)
    no_y = np.isnan(y)
    if np.unique(y[~no_y]).size < 2:
        raise DataError(
            f"{func}(): outcome column '{outcome}' has fewer than two distinct values; both "
            "cases (1) and controls (0) are needed."
        )
    columns = _numeric_columns(data, indicators, func, idc)
    excluded = [make_excluded(row_ids(data, no_y, idc), outcome, f"missing {outcome}")]
    notes: list[str] = []
    rows = []
    for name, x in columns.items():
        gap = np.isnan(x) & ~no_y
        excluded.append(make_excluded(row_ids(data, gap, idc), name, f"missing {name}"))
        rows.append(
            {"indicator": name, **_pairwise(x, y, (name, outcome), alpha, func, notes, exact)}
        )
    approx = [r["indicator"] for r in rows if not r.pop("_exact")]
    table = pd.DataFrame(rows, columns=["indicator", "n", "rho", "p", "ci_low", "ci_high"])
    return SpearmanOutcome(
        table=table,
        excluded=concat_excluded(excluded),
        warnings=tuple(notes),
        settings={"outcome": outcome, "alpha": alpha, **_p_settings(exact, approx)},
    )


def spearman_matrix(
    data: pd.DataFrame | Imputed,
    indicators: Sequence[str],
    *,
    adjust: str | None = None,
    alpha: float = 0.05,
    id_col: str = "patient_id",
    exact: bool = False,
) -> SpearmanMatrix:
    """Spearman ρ, p and CI for every pair of indicators (the paper's Table 3).

    Parameters
    ----------
    data : pandas.DataFrame or Imputed
        One row per patient; an :class:`~ovcfstats.Imputed` pools ρ over the completed
        tables (Fisher z, Rubin's rules).
    indicators : sequence of str
        At least two numeric columns.
    adjust : str, optional
        Multiple-testing adjustment over the k(k − 1)/2 pairs, any
        ``statsmodels.stats.multitest.multipletests`` method (``"holm"``, ``"fdr_bh"``, ...).
    alpha : float, default 0.05
        1 − confidence level of the CIs (and the family-wise level of two-stage FDR methods).
    id_col : str, default "patient_id"
        Patient id column for ``.excluded`` (the index if absent).
    exact : bool, default False
        p-values as R's ``cor.test(method = "spearman")`` default (AS 89 without ties for
        n ≤ 1290, the t approximation otherwise); the default ``False`` is the t approximation
        (SPSS, R's ``exact = FALSE``).

    Returns
    -------
    SpearmanMatrix
        ``.rho``, ``.p``, ``.n`` (and ``.p_adjusted``) square DataFrames; ``.table`` in long
        form; ``.plot()`` draws the heatmap.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import spearman_matrix
    >>> df = pd.DataFrame({"t_score": [-3.1, -2.5, -1.0, -0.2, -2.0],
    ...                    "hu": [60, 75, 110, 130, 80], "vbq": [4.4, 4.0, 3.2, 2.9, 3.3]})
    >>> res = spearman_matrix(df, ["t_score", "hu", "vbq"], adjust="holm")
    >>> res.rho.round(2)
             t_score   hu  vbq
    t_score      1.0  1.0 -0.9
    hu           1.0  1.0 -0.9
    vbq         -0.9 -0.9  1.0
    >>> list(res.table.columns)
    ['indicator_1', 'indicator_2', 'n', 'rho', 'p', 'p_adjusted', 'ci_low', 'ci_high']
    """
    if isinstance(data, Imputed):
        from ._pooled import pooled_parts, pooled_rho

        kwargs = {k: v for k, v in locals().items() if k not in ("data", "pooled_rho",
                                                                  "pooled_parts")}
        first, table = pooled_rho(data, spearman_matrix, kwargs)
        names = list(first.rho.index)
        squares = {
            "rho": _square(table, "rho", names, dict.fromkeys(names, 1.0)),
            "p": _square(table, "p", names, dict.fromkeys(names, np.nan)),
            "n": first.n,
            "p_adjusted": None if adjust is None else _square(
                table, "p_adjusted", names, dict.fromkeys(names, np.nan)),
        }
        return SpearmanMatrix(table=table, **pooled_parts(data, first), **squares)
    func = "spearman_matrix"
    indicators = _check_common(data, indicators, alpha, func)
    if len(indicators) < 2:
        raise DataError(f"{func}(): give at least two indicators; got {indicators}.")
    check_option(adjust, (None, *ADJUST_METHODS), func, "adjust")
    idc = id_column(data, id_col)
    columns = _numeric_columns(data, indicators, func, idc)
    excluded = [
        make_excluded(
            row_ids(data, np.isnan(x), idc), name, f"missing {name} (left out of its pairs)"
        )
        for name, x in columns.items()
    ]
    notes: list[str] = []
    rows = []
    fast = _all_at_once(columns, alpha, exact)
    for i, a in enumerate(indicators):
        for b in indicators[i + 1 :]:
            stats_ab = fast.get((a, b)) or _pairwise(
                columns[a], columns[b], (a, b), alpha, func, notes, exact
            )
            rows.append({"indicator_1": a, "indicator_2": b, **stats_ab})
    approx = [f"{r['indicator_1']}–{r['indicator_2']}" for r in rows if not r.pop("_exact")]
    table = pd.DataFrame(rows)
    if adjust:
        from statsmodels.stats.multitest import multipletests

        adjusted = np.full(len(table), np.nan)
        ok = table["p"].notna().to_numpy()
        if ok.any():
            adjusted[ok] = multipletests(table.loc[ok, "p"], alpha=alpha, method=adjust)[1]
        table["p_adjusted"] = adjusted
    cols = ["indicator_1", "indicator_2", "n", "rho", "p"]
    table = table[[*cols, *(["p_adjusted"] if adjust else []), "ci_low", "ci_high"]]
    own_n = {name: float((~np.isnan(x)).sum()) for name, x in columns.items()}
    square = {
        "rho": _square(table, "rho", indicators, dict.fromkeys(indicators, 1.0)),
        "p": _square(table, "p", indicators, dict.fromkeys(indicators, np.nan)),
        "n": _square(table, "n", indicators, own_n).astype(int),
    }
    if adjust:
        square["p_adjusted"] = _square(
            table, "p_adjusted", indicators, dict.fromkeys(indicators, np.nan)
        )
    return SpearmanMatrix(
        table=table,
        excluded=concat_excluded(excluded),
        warnings=tuple(notes),
        settings={"adjust": adjust, "alpha": alpha, **_p_settings(exact, approx)},
        **square,
    )


def _square(
    table: pd.DataFrame, column: str, names: list[str], diagonal: dict[str, float]
) -> pd.DataFrame:
    out = pd.DataFrame(np.nan, index=pd.Index(names), columns=pd.Index(names), dtype=float)
    for a, b, v in zip(table["indicator_1"], table["indicator_2"], table[column], strict=True):
        out.loc[a, b] = out.loc[b, a] = v
    for name, v in diagonal.items():
        out.loc[name, name] = v
    return out


def plot_heatmap(
    result_or_data: SpearmanMatrix | pd.DataFrame,
    indicators: Sequence[str] | None = None,
    *,
    ax: Any = None,
    adjust: str | None = None,
    annotate: bool = True,
    cmap: str = "RdBu_r",
    labels: dict[str, str] | None = None,
) -> Any:
    """Heatmap of a Spearman matrix: ρ coloured on [−1, 1], annotated, ``*`` where p < alpha.

    Parameters
    ----------
    result_or_data : SpearmanMatrix or pandas.DataFrame
        A :func:`spearman_matrix` result, or data to compute one from (``indicators`` needed).
    indicators : sequence of str, optional
        Columns when data are given.
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    adjust : str, optional
        Passed to :func:`spearman_matrix` when data are given.
    annotate : bool, default True
        Write ρ in each cell; ``*`` marks p (adjusted p if available) < alpha. Not done above
        15 indicators; above 40 no heatmap is drawn (a ``NoFigure`` error says so; a report
        leaves the figure out with a note).
    cmap : str, default "RdBu_r"
        Diverging colour map.
    labels : dict, optional
        Display names of the indicators.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import plot_heatmap
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [5, 3, 4, 1, 2]})
    >>> fig = plot_heatmap(df, ["a", "b", "c"])
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['a', 'b', 'c']
    """
    if isinstance(result_or_data, SpearmanMatrix):
        result = result_or_data
    elif isinstance(result_or_data, pd.DataFrame):
        if indicators is None:
            raise DataError(
                "plot_heatmap(): pass `indicators` (the columns to correlate) with a DataFrame, "
                "or pass a spearman_matrix() result."
            )
        result = spearman_matrix(result_or_data, indicators, adjust=adjust)
    else:
        raise TypeError(
            "plot_heatmap(): expected a spearman_matrix() result or a pandas DataFrame; got "
            f"{type(result_or_data).__name__}."
        )
    from ..present._format import Style

    style = Style()
    names = list(result.rho.index)
    shown = [(labels or {}).get(n, style.label(n)) for n in names]
    k = len(names)
    check_items(k, MAX_ITEMS["heatmap"], "indicators", "the correlation matrix (Table 3)",
                "In Python, plot a subset: plot_heatmap(data, [a few indicators]).")  # fmt: skip
    annotate = annotate and k <= MAX_ANNOTATED
    shrink = min(1.0, 12.0 / (1.6 + 1.1 * k))  # at most 12 inches wide, the same shape
    fig, ax = figure_and_axes(ax, figsize=(shrink * (1.6 + 1.1 * k), shrink * (0.9 + 1.0 * k)))
    rho = result.rho.to_numpy(dtype=float)
    image = ax.imshow(rho, vmin=-1, vmax=1, cmap=cmap, aspect="auto")
    size = "medium" if k <= MAX_ANNOTATED else "x-small"
    ax.set_xticks(range(k), shown, rotation=45, ha="right", fontsize=size)
    ax.set_yticks(range(k), shown, fontsize=size)
    alpha = float(result.settings.get("alpha", 0.05))
    if annotate:
        p = (result.p_adjusted if result.p_adjusted is not None else result.p).to_numpy()
        for i in range(k):
            for j in range(k):
                if np.isnan(rho[i, j]):
                    continue
                star = "*" if i != j and p[i, j] < alpha else ""
                colour = "white" if abs(rho[i, j]) > 0.6 else "black"
                text = f"{rho[i, j]:.2f}".replace("-", "−") + star
                ax.text(j, i, text, ha="center", va="center", color=colour)
    label = "Spearman ρ"
    if annotate:
        which = "adjusted p" if result.p_adjusted is not None else "p"
        label += f" (* {which} < α = {alpha:g})"
    fig.colorbar(image, ax=ax, label=label)
    return fig
