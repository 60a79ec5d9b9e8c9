"""Adjusted odds ratios (Table 2): logistic, conditional logistic and Firth regression; forest plot.

Every choice the paper left open is an argument and is printed with the result:

- ``model="separate"``: one model per indicator plus the ``adjust`` covariates;
  ``model="joint"``: all indicators and covariates in one model.
- ``conditional=True``: conditional logistic regression on the matched sets in ``strata``
  (R's ``survival::clogit``), which accounts for the matching variables by design.
- ``per``: the OR per ``"unit"``, per ``"sd"`` (the indicator's SD in the analysed sample) or per a
  stated increment (e.g. ``10`` HU); the indicator is divided by that amount before fitting.
- ``ci``: ``"wald"`` (β ± z·SE, R's ``confint.default``) or ``"profile"`` (profile likelihood:
  the β where 2·(ℓmax − ℓ) = χ²₁(1 − α) with the other coefficients refitted, solved with
  ``brentq``; R ≥ 4.4's ``confint(glm)`` and logistf's profile-penalised interval; R 4.2 / MASS
  interpolates a spline on a grid and differs in the 5th decimal).
- ``method="firth"``: Firth's penalised likelihood ℓ(β) + ½·log|I(β)| (Heinze & Schemper 2002;
  Heinze & Puhr 2010 for the conditional model), finite under separation. SE from I(β̂)⁻¹.

p-values are Wald z tests (as R's ``summary``, SPSS and Stata print), whatever ``ci`` is; with
``method="firth"`` the table also has ``p_lr``, the penalised-likelihood-ratio p that logistf
prints by default (the restricted fit keeps the full model's penalty).

Fitting (:mod:`._logit_fit`; likelihoods in :mod:`._likelihood` and :mod:`._clogit`, profiles in
:mod:`._profile`, separation in :mod:`._separation`, rows and design matrices in
:mod:`._logit_design`, all in :mod:`ovcfstats.regression`):
analytic likelihoods maximised by a damped Newton iteration to max |step| < 1e-10.
Separation is decided by linear programming when the ML fit signals divergence: the ML
estimate does not exist iff some direction d ≠ 0 has (2y − 1)·xᵢd ≥ 0 for every row (for the
conditional model: (x_case − x_control)·d ≥ 0 within every set); "complete" if some d makes all
of them > 0, else "quasi-complete"; a coefficient diverges iff some such d has dⱼ ≠ 0.
With ``method="ml"`` a diverging coefficient is reported as its limit (β = ±inf, OR = inf or 0)
with SE, p and Wald limits NaN (a profile CI keeps its finite bound, as R's profile does); the
other coefficients are those of the last Newton iterate; ``separation`` names the kind,
``converged`` is False, and a :class:`SeparationWarning` says which terms diverge — never the huge
OR of a non-converged fit, never silently. ``method="firth"`` gives finite estimates (the
warning is still issued, as the data are separated).

Events per variable (the rarer outcome class ÷ the number of coefficients, intercept excluded)
below 10 gives a :class:`SmallSampleWarning`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._pool import Imputed
from .._results import Result, SmallSampleWarning, concat_excluded, warn
from .._validate import DataError, check_columns, check_frame, check_option
from ..data._ranges import check_ranges
from ..present._plotting import figure_and_axes
from ._logit_design import FUNC, INTERCEPT, _as_names, _check_per, _inputs, _model_design
from ._logit_fit import _conventions, _fit

#: the paper's covariates; on other data name yours (a missing default column is an error)
DEFAULT_ADJUST = ("age", "sex", "bmi")
MODELS = ("separate", "joint")
CIS = ("wald", "profile")
METHODS = ("ml", "firth")
#: Events per variable below which a :class:`SmallSampleWarning` is issued (Peduzzi et al. 1996).
MIN_EPV = 10
TABLE_COLUMNS = (
    "indicator",
    "or",
    "ci_low",
    "ci_high",
    "p",
    "beta",
    "se",
    "n",
    "events",
    "per",
    "model",
    "conditional",
    "adjusted_for",
    "method",
    "ci",
    "separation",
    "converged",
)


@dataclass(frozen=True, eq=False)
class LogisticResult(Result):
    """Odds ratios of the indicators, one row each, and every model's full coefficient table.

    ``.table``: ``indicator``, ``or``, ``ci_low``, ``ci_high``, ``p``, ``beta``, ``se`` (β and SE
    on the ``per`` scale), ``n``, ``events``, ``per``, ``model``, ``conditional``,
    ``adjusted_for`` (covariates, and the other indicators of a joint model), ``method``,
    ``ci``, ``separation`` (``"none"``, ``"quasi-complete"``, ``"complete"``), ``converged``
    (False when the ML estimate does not exist). ``.coefficients``: every term of every model
    (covariate ORs included), with the model's name in ``model``; ``.models`` splits it by model.
    """

    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)
    conventions: tuple[str, ...] = ()

    title: ClassVar[str] = "Adjusted odds ratios (logistic regression)"
    has_plot: ClassVar[bool] = True

    @property
    def models(self) -> dict[str, pd.DataFrame]:
        """Coefficient table of each fitted model, by model name."""
        return {
            str(name): frame.drop(columns="model").reset_index(drop=True)
            for name, frame in self.coefficients.groupby("model", sort=False)
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"table": self.table.copy(), "coefficients": self.coefficients.copy()}

    def notes(self) -> list[str]:
        return list(self.conventions) + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        return plot_forest(self, ax=ax, **kwargs)


# -- public ----------------------------------------------------------------------------------


def logistic_or(
    data: pd.DataFrame | Imputed,
    indicators: str | Sequence[str],
    *,
    outcome: str = "case",
    adjust: Sequence[str] | None = DEFAULT_ADJUST,
    model: str = "separate",
    conditional: bool = False,
    strata: str = "pair_id",
    per: str | float | Mapping[str, str | float] = "unit",
    ci: str = "wald",
    method: str = "ml",
    alpha: float = 0.05,
    id_col: str = "patient_id",
    evalue: bool = False,
    evalue_rare: bool = True,
) -> LogisticResult:
    """Odds ratio of each indicator for the outcome, adjusted for ``adjust`` (Table 2).

    Parameters
    ----------
    data : pandas.DataFrame or Imputed
        One row per patient: ``outcome`` (0/1), the indicators and covariates (and ``strata``
        for ``conditional=True``, e.g. ``match_controls(...).matched``). An
        :class:`~ovcfstats.Imputed` (:func:`ovcfstats.impute`) is fitted on each completed
        table and pooled by Rubin's rules (Barnard–Rubin df; the table gains ``df``, ``fmi``
        and ``m``; ``ci`` must be "wald").
    indicators : str or sequence of str
        Numeric columns whose ORs are reported.
    outcome : str, default "case"
    adjust : sequence of str, default ("age", "sex", "bmi")
        Covariates in every model (the paper's; on data without one of them, name yours: a
        missing default column is an error saying so). Non-numeric ones are one-hot encoded
        with their first sorted level as reference (``sex``: indicator of "M", reference "F").
        ``()`` for crude ORs.
    model : {"separate", "joint"}
        One model per indicator, or all indicators in one model.
    conditional : bool, default False
        Conditional logistic regression on the matched sets in ``strata``.
    strata : str, default "pair_id"
    per : "unit", "sd", positive number, or mapping indicator -> one of these
        The increment the OR refers to; ``"sd"`` is the SD in the model's analysed rows.
    ci : {"wald", "profile"}
    method : {"ml", "firth"}
        Maximum likelihood or Firth's penalised likelihood.
    alpha : float, default 0.05
        1 − confidence level.
    id_col : str, default "patient_id"
    evalue : bool, default False
        Add ``evalue`` and ``evalue_ci`` columns (:func:`ovcfstats.evalue`, VanderWeele & Ding
        2017) for each OR as reported (on its ``per`` scale).
    evalue_rare : bool, default True
        The outcome is rare in the population, so the OR is used as a risk ratio (the
        case–control default); ``False`` converts it to RR ≈ √OR first.

    Returns
    -------
    LogisticResult

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import logistic_or
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0], "hu": [80, 95, 70, 120, 90, 130, 110,
    ...                    100]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 4 events: events per variable < 10
    ...     res = logistic_or(df, "hu", adjust=(), per=10)
    >>> round(float(res.table.loc[0, "or"]), 4), res.table.loc[0, "per"]
    (0.4489, '10')
    """
    if isinstance(data, Imputed):
        from ._pooled import pooled_logistic

        kwargs = {k: v for k, v in locals().items() if k not in ("data", "pooled_logistic")}
        return pooled_logistic(data, logistic_or, kwargs)
    check_frame(data, FUNC)
    inds = _as_names(indicators, "indicators")
    if not inds:
        raise DataError(f"{FUNC}(): give at least one indicator column.")
    adj = _as_names(adjust, "adjust")
    lacking = [a for a in adj if a not in data.columns]
    if lacking and tuple(adj) == DEFAULT_ADJUST:
        raise DataError(
            f"{FUNC}(): the default adjust={DEFAULT_ADJUST} names {', '.join(map(repr, lacking))}, "
            f"which the data lack (columns: {', '.join(map(str, data.columns[:20]))}). Pass the "
            "covariates of your study, e.g. adjust=['age', 'sex'], or adjust=() for crude ORs."
        )
    check_option(model, MODELS, FUNC, "model")
    check_option(ci, CIS, FUNC, "ci")
    check_option(method, METHODS, FUNC, "method")
    if not isinstance(conditional, bool | np.bool_):
        raise TypeError(f"`conditional` of {FUNC}() must be True or False; got {conditional!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` of {FUNC}() must be in (0, 1); got {alpha!r}.")
    per_map = _check_per(per, inds)
    both = [c for c in inds if c in adj]
    if both:
        raise DataError(
            f"{FUNC}(): {both} appear both as indicator and in `adjust`. Keep each column in "
            "one place."
        )
    needed = [outcome, *inds, *adj] + ([strata] if conditional else [])
    check_columns(data, needed, FUNC)
    check_ranges(data, [*inds, *adj], FUNC, id_col)
    inp, conventions = _inputs(data, inds, adj, outcome, conditional, strata, id_col)

    notes: list[str] = []
    pending: list[tuple[str, type[Warning]]] = []  # issued from here: the user's line is shown
    groups_of_models = [(i, [i]) for i in inds] if model == "separate" else [("joint", inds)]
    excluded_parts, rows, coef_tables = [], [], []
    for name, model_inds in groups_of_models:
        design = _model_design(inp, name, model_inds, method, per_map, excluded_parts, pending)
        n_rows, events = len(design.y), int(design.y.sum())
        n_params = design.X.shape[1] - (0 if conditional else 1)
        minority = min(events, n_rows - events)
        epv = minority / n_params
        if epv < MIN_EPV:
            pending.append(
                (
                    f"{FUNC}(): model '{name}' has {minority} events (the rarer outcome class) "
                    f"for {n_params} coefficient(s): {epv:.1f} events per variable, below "
                    f"{MIN_EPV}; the estimates may be biased and the CIs too narrow. Consider "
                    "fewer covariates or method='firth'.",
                    SmallSampleWarning,
                )
            )
        coefs, kind, converged = _fit(design, method, ci, alpha, pending)
        size = len(design.terms)
        coef_tables.append(
            {"model": [name] * size, **coefs, "n": [n_rows] * size, "events": [events] * size}
        )
        adjusted = [v for v in adj if v in design.covariates]
        for ind in model_inds:
            others = [i for i in model_inds if i != ind]
            text = ", ".join([*adjusted, *others]) or "none"
            if conditional:
                text = f"matched sets ({strata})" + ("; " + text if text != "none" else "")
            at = design.terms.index(ind)
            r = {k: v[at] for k, v in coefs.items()}
            rows.append(
                {
                    "indicator": ind,
                    "or": r["or"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p": r["p"],
                    "p_lr": r.get("p_lr", np.nan),
                    "beta": r["beta"],
                    "se": r["se"],
                    "n": n_rows,
                    "events": events,
                    "per": design.per_text[ind],
                    "model": model,
                    "conditional": bool(conditional),
                    "adjusted_for": text,
                    "method": method,
                    "ci": ci,
                    "separation": kind,
                    "converged": bool(converged),
                }
            )
        if design.dropped_within:
            conventions.append(
                f"Model '{name}': {', '.join(design.dropped_within)} constant within every "
                "matched set, so it drops out of the conditional likelihood (already matched on)."
            )
    for message, category in pending:
        warn(notes, message, category)
    conventions[:0] = _conventions(model, conditional, strata, per_map, ci, method, alpha)
    coefficients = pd.DataFrame(
        {k: np.concatenate([np.asarray(t[k]) for t in coef_tables]) for k in coef_tables[0]}
    )
    excluded = _dedupe(concat_excluded(excluded_parts))
    settings = {
        "indicators": tuple(inds),
        "outcome": outcome,
        "adjust": tuple(adj),
        "model": model,
        "conditional": bool(conditional),
        "strata": strata if conditional else None,
        "per": per if not isinstance(per, Mapping) else dict(per),
        "ci": ci,
        "method": method,
        "alpha": alpha,
    }
    table = pd.DataFrame(rows, columns=_table_columns(method))
    if evalue:
        from .evalue import _convention, evalues

        point, low = evalues(table["or"], table["ci_low"], table["ci_high"], "OR", evalue_rare)
        table["evalue"], table["evalue_ci"] = point, low
        conventions.append(_convention("OR", bool(evalue_rare)))
        settings["evalue_rare"] = bool(evalue_rare)
    return LogisticResult(
        table=table,
        excluded=excluded,
        warnings=tuple(notes),
        settings=settings,
        coefficients=coefficients,
        conventions=tuple(dict.fromkeys(conventions)),
    )


def _table_columns(method: str) -> list[str]:
    """``TABLE_COLUMNS``, with ``p_lr`` after ``p`` for Firth."""
    cols = list(TABLE_COLUMNS)
    if method == "firth":
        cols.insert(cols.index("p") + 1, "p_lr")
    return cols


def _dedupe(excluded: pd.DataFrame) -> pd.DataFrame:
    """One excluded row per (id, variable) across models."""
    if excluded.empty:
        return excluded
    key = excluded["id"].astype(str) + "\x00" + excluded["variable"].astype(str)
    return excluded[~key.duplicated()].reset_index(drop=True)


def plot_forest(
    result: LogisticResult,
    ax: Any = None,
    *,
    covariates: bool = False,
) -> Any:
    """Forest plot: OR and CI of each indicator on a log axis, reference line at OR = 1.

    Parameters
    ----------
    result : LogisticResult
    ax : matplotlib Axes, optional
    covariates : bool, default False
        Also draw the covariates' ORs (from ``result.coefficients``).

    Examples
    --------
    >>> import pandas as pd, warnings
    >>> from ovcfstats import logistic_or, plot_forest
    >>> df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0], "hu": [80, 95, 70, 120, 90, 130,
    ...                    110, 100], "vbq": [3.1, 2.9, 3.5, 2.5, 3.0, 2.2, 2.4, 2.8]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fig = plot_forest(logistic_or(df, ["hu", "vbq"], adjust=(), per="sd"))
    >>> fig.axes[0].get_xscale()
    'log'
    """
    if not isinstance(result, LogisticResult):
        raise TypeError(f"plot_forest() needs the result of logistic_or(); got {type(result)}.")
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    from ..present._format import Style, format_estimate_ci
    from ..present._plotting import MAX_ITEMS, check_items, indicator_color

    style = Style()
    table = result.table
    frame = pd.DataFrame(
        {
            "label": [
                f"{style.heading(v)} (per {str(p).replace('-', '−')})"
                for v, p in zip(table["indicator"], table["per"], strict=True)
            ],
            "name": table["indicator"].astype(str),
            "or": table["or"],
            "ci_low": table["ci_low"],
            "ci_high": table["ci_high"],
        }
    )
    if covariates:
        coefs = result.coefficients
        inds = set(table["indicator"])
        extra = coefs[~coefs["term"].isin(inds) & (coefs["term"] != INTERCEPT)]
        extra = extra.assign(
            label=[
                f"{style.label(t)} [{style.label(str(m))} model]"
                for t, m in zip(extra["term"], extra["model"], strict=True)
            ],
            name="",
        )
        frame = pd.concat(
            [frame, extra[["label", "name", "or", "ci_low", "ci_high"]]], ignore_index=True
        )
    check_items(len(frame), MAX_ITEMS["rows"], "odds ratios", "Table 2 (ORs)")
    fig, ax = figure_and_axes(ax, figsize=(7.0, 1.2 + 0.45 * len(frame)))
    y = np.arange(len(frame))[::-1]
    finite = frame[["or", "ci_low", "ci_high"]].replace([np.inf, 0.0], np.nan)
    for i, row in enumerate(finite.itertuples(index=False)):
        colour = indicator_color(frame["name"].iloc[i], 3) if frame["name"].iloc[i] else "black"
        ax.errorbar(
            row[0],
            y[i],
            xerr=[[row[0] - row[1]], [row[2] - row[0]]],
            fmt="s",
            color=colour,
            ecolor=colour,
            capsize=3,
        )
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    values = finite.to_numpy(float)
    values = values[np.isfinite(values)]
    low, high = (values.min(), values.max()) if values.size else (1.0, 1.0)
    steps = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)
    if high / low > 300:  # over two decades: 1–3–10 steps keep the labels apart
        steps = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300)
    ticks = [t for t in steps if low / 1.5 <= t <= high * 1.5] or [1]
    if high / low < 1e5:  # else (separation) matplotlib's powers of ten
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_yticks(y, frame["label"])
    ax.set_ylim(-0.7, len(frame) - 0.3)
    level = 100 * (1 - float(result.settings.get("alpha", 0.05)))
    ci = "profile-likelihood" if table["ci"].iloc[0] == "profile" else "Wald"
    ax.set_xlabel(f"Adjusted odds ratio ({level:g}% {ci} CI, log scale)")
    # the numbers beside the bars, as a journal's forest plot prints them
    transform = ax.get_yaxis_transform()
    ax.text(1.03, len(frame) - 0.4, f"OR ({level:g}% CI)", transform=transform,
            fontweight="bold", va="bottom", fontsize="small")
    for i, row in enumerate(frame.itertuples(index=False)):
        ax.text(1.03, y[i], format_estimate_ci(row[2], row[3], row[4], 2), transform=transform,
                va="center", fontsize="small")
    return fig
