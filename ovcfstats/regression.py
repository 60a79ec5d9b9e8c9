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

Fitting (:mod:`ovcfstats._likelihood`, :mod:`ovcfstats._logit_fit`): analytic likelihoods
maximised by a damped Newton iteration to max |step| < 1e-10. Separation is decided by linear
programming when the ML fit signals divergence: the ML estimate does not exist iff some
direction d ≠ 0 has (2y − 1)·xᵢd ≥ 0 for every row (for the conditional model:
(x_case − x_control)·d ≥ 0 within every set); "complete" if some d makes all of them > 0, else
"quasi-complete"; a coefficient diverges iff some such d has dⱼ ≠ 0.
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

# The likelihood engines live in _likelihood; their names stay importable from here.
from ._likelihood import (  # noqa: F401
    _cold_start,
    _ConditionalLogit,
    _contrasts,
    _FirthConditional,
    _FirthLogit,
    _Logit,
    _newton,
    _penalised_hessian,
    _profile_bound,
    _separation,
    _Sets,
)
from ._logit_fit import _conventions, _fit
from ._plotting import figure_and_axes
from ._results import (
    DegenerateDataWarning,
    Result,
    SmallSampleWarning,
    concat_excluded,
    make_excluded,
    warn,
)
from ._validate import (
    DataError,
    check_binary_outcome,
    check_columns,
    check_frame,
    check_numeric,
    check_option,
    row_ids,
)

FUNC = "logistic_or"
MODELS = ("separate", "joint")
CIS = ("wald", "profile")
METHODS = ("ml", "firth")
INTERCEPT = "(Intercept)"
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


# -- input -----------------------------------------------------------------------------------


def _as_names(value: str | Sequence[str] | None, param: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in names):
        raise TypeError(f"`{param}` of {FUNC}() must be a column name or a list of names.")
    if len(set(names)) != len(names):
        raise DataError(f"{FUNC}(): `{param}` lists a column twice: {names}.")
    return names


def _check_per(per: Any, indicators: list[str]) -> dict[str, Any]:
    """``per`` for each indicator: "unit", "sd" or a positive number."""
    mapping = dict(per) if isinstance(per, Mapping) else dict.fromkeys(indicators, per)
    unknown = [k for k in mapping if k not in indicators]
    if unknown:
        raise ValueError(f"`per` of {FUNC}() names columns that are not indicators: {unknown}.")
    for name in indicators:
        value = mapping.setdefault(name, "unit")
        ok = value in ("unit", "sd") or (
            isinstance(value, int | float | np.number)
            and not isinstance(value, bool)
            and np.isfinite(value)
            and value > 0
        )
        if not ok:
            raise ValueError(
                f'`per` of {FUNC}() must be "unit", "sd" or a positive number (e.g. 10 for '
                f"an OR per 10 HU), or a mapping indicator -> one of these; got {value!r}."
            )
    return mapping


def _encode(
    data: pd.DataFrame, adjust: list[str]
) -> tuple[dict[str, list[str]], dict[str, np.ndarray], list]:
    """Numeric design columns of the covariates; non-numeric ones one-hot, first level reference.

    Returns ``{covariate: [design columns]}``, the columns (NaN where the covariate is missing)
    and notes stating each encoding. Levels are the values' text (so 1 and "1" are one level).
    """
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, list[str]] = {}
    notes = []
    for var in adjust:
        col = data[var]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            columns[var] = col.to_numpy(dtype=float, na_value=np.nan)
            terms[var] = [var]
            continue
        codes, uniques = pd.factorize(col)
        text = np.array([str(u) for u in uniques], dtype=object)
        levels = sorted(set(text))
        terms[var] = []
        for level in levels[1:]:
            name = f"{var}={level}"
            hit = np.r_[text == level, False].astype(float)  # code -1 (missing) -> last
            columns[name] = np.where(codes < 0, np.nan, hit[codes])
            terms[var].append(name)
        if levels:
            shown = ", ".join(repr(v) for v in levels[1:]) or "none"
            notes.append(
                f"{var} encoded as indicator(s) of {shown} (reference {levels[0]!r}); "
                "non-numeric covariates take their first sorted level as reference."
            )
    return terms, columns, notes


@dataclass
class _Design:
    """One model's analysed rows, design matrix and bookkeeping."""

    name: str
    indicators: list[str]
    terms: list[str]
    y: np.ndarray
    X: np.ndarray
    groups: np.ndarray | None
    per_text: dict[str, str]
    covariates: list[str]
    dropped_within: list[str]


def _informative(y: np.ndarray, groups: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Rows whose matched set keeps both a case and a control among the ``keep`` rows."""
    g = np.where(keep, groups, -1) + 1  # missing rows in a set of their own
    cases = np.bincount(g, weights=y * keep)
    size = np.bincount(g, weights=keep.astype(float))
    return (g > 0) & (cases[g] > 0) & (cases[g] < size[g])


def _design(
    name: str,
    inds: list[str],
    y: np.ndarray,
    columns: dict[str, np.ndarray],
    groups: np.ndarray | None,
    cov_terms: dict[str, list[str]],
    per: dict[str, Any],
    pending: list,
) -> _Design:
    """Design of one model on its analysed rows (complete, and informative sets already);
    ``groups`` holds the matched-set codes of a conditional model, else None."""
    cols, terms, per_text = [], [], {}
    for ind in inds:
        x = columns[ind]
        if np.ptp(x) == 0:
            raise DataError(
                f"{FUNC}(): indicator '{ind}' is constant (all {x[0]:g}) in the {len(x)} rows "
                f"analysed in model '{name}'; it cannot be related to the outcome. Remove it "
                "or check its values."
            )
        scale = per[ind]
        if scale == "unit":
            div, per_text[ind] = 1.0, "1 unit"
        elif scale == "sd":
            div = float(np.std(x, ddof=1))
            per_text[ind] = f"1 SD = {div:.4g}"
        else:
            div, per_text[ind] = float(scale), f"{float(scale):g}"
        cols.append(x / div)
        terms.append(ind)
    covariates, dropped = [], []
    for var, var_terms in cov_terms.items():
        kept = []
        if not var_terms:
            pending.append(
                (
                    f"{FUNC}(): covariate '{var}' has one level only; it was left out of model "
                    f"'{name}'.",
                    DegenerateDataWarning,
                )
            )
        for t in var_terms:
            x = columns[t]
            if groups is not None:
                by_set = pd.Series(x).groupby(groups)
                if np.all(by_set.max().to_numpy() == by_set.min().to_numpy()):
                    dropped.append(t)
                    continue
            elif np.ptp(x) == 0:
                pending.append(
                    (
                        f"{FUNC}(): covariate '{t}' is constant ({x[0]:g}) in the rows of "
                        f"model '{name}' and was left out of it.",
                        DegenerateDataWarning,
                    )
                )
                continue
            kept.append(t)
            cols.append(x)
            terms.append(t)
        if kept:
            covariates.append(var)
    if groups is None:
        cols.insert(0, np.ones(len(y)))
        terms = [INTERCEPT, *terms]
    X = np.empty((len(y), len(cols)), order="F")  # columns contiguous: fast X @ b
    for j, col in enumerate(cols):
        X[:, j] = col
    return _Design(name, inds, terms, y, X, groups, per_text, covariates, dropped)


def _surely_full_rank(X: np.ndarray) -> bool:
    """Whether ``np.linalg.matrix_rank(X)`` is certainly full, from the p × p Gram matrix.

    With D the column norms and Xs = X·D⁻¹, cond(X) ≤ cond(Xs)·max D / min D; matrix_rank is full
    when cond(X) < 1 / (n·eps). cond(Xs) from the eigenvalues of Xs'Xs is accurate while
    cond(Xs)² ≪ 1/eps, so the bound is used only there, with a factor 100 to spare; otherwise the
    SVD decides (one Gram product instead of an SVD of n × p on large data).
    """
    norms = np.sqrt(np.einsum("ij,ij->j", X, X))
    if not np.all(norms > 0):
        return False
    gram = X.T @ X / np.outer(norms, norms)
    values = np.linalg.eigvalsh(gram)
    if not values[0] > 1e-8 * values[-1]:
        return False
    cond = np.sqrt(values[-1] / values[0]) * norms.max() / norms.min()
    return bool(cond < 0.01 / (max(X.shape) * np.finfo(float).eps))


def _check_rank(design: _Design) -> None:
    X = design.X
    if design.groups is not None:
        means = pd.DataFrame(X).groupby(design.groups).transform("mean").to_numpy()
        X = X - means
    if _surely_full_rank(X) or np.linalg.matrix_rank(X) == X.shape[1]:
        return
    redundant = []
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(X[:, :j]) < j:
            redundant.append(design.terms[j - 1])
            X = np.delete(X, j - 1, axis=1)
            break
    what = "within the matched sets " if design.groups is not None else ""
    raise DataError(
        f"{FUNC}(): the variables of model '{design.name}' are collinear {what}('{redundant[0]}' "
        f"is a linear combination of the others: {', '.join(design.terms)}). Remove one of them."
    )



# -- public ----------------------------------------------------------------------------------


def logistic_or(
    data: pd.DataFrame,
    indicators: str | Sequence[str],
    *,
    outcome: str = "case",
    adjust: Sequence[str] | None = ("age", "sex", "bmi"),
    model: str = "separate",
    conditional: bool = False,
    strata: str = "pair_id",
    per: str | float | Mapping[str, str | float] = "unit",
    ci: str = "wald",
    method: str = "ml",
    alpha: float = 0.05,
    id_col: str = "patient_id",
) -> LogisticResult:
    """Odds ratio of each indicator for the outcome, adjusted for ``adjust`` (Table 2).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient: ``outcome`` (0/1), the indicators and covariates (and ``strata``
        for ``conditional=True``, e.g. ``match_controls(...).matched``).
    indicators : str or sequence of str
        Numeric columns whose ORs are reported.
    outcome : str, default "case"
    adjust : sequence of str, default ("age", "sex", "bmi")
        Covariates in every model. Non-numeric ones are one-hot encoded with their first sorted
        level as reference (``sex``: indicator of "M", reference "F"). ``()`` for crude ORs.
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
    check_frame(data, FUNC)
    inds = _as_names(indicators, "indicators")
    if not inds:
        raise DataError(f"{FUNC}(): give at least one indicator column.")
    adj = _as_names(adjust, "adjust")
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
    idc = id_col if id_col in data.columns else None
    positional = data.index.equals(pd.RangeIndex(len(data)))
    frame = data if positional else data.reset_index(drop=True)
    y = check_binary_outcome(frame, outcome, FUNC, idc)
    columns = {ind: check_numeric(frame, ind, FUNC, idc) for ind in inds}
    cov_terms, cov_cols, conventions = _encode(frame, adj)
    columns.update(cov_cols)
    variables = [*inds, *adj] + ([strata] if conditional else [])
    missing = {v: frame[v].isna().to_numpy() for v in variables}
    groups = pd.factorize(frame[strata])[0] if conditional else None

    notes: list[str] = []
    pending: list[tuple[str, type[Warning]]] = []  # issued from here: the user's line is shown
    groups_of_models = [(i, [i]) for i in inds] if model == "separate" else [("joint", inds)]
    excluded_parts, rows, coef_tables = [], [], []
    for name, model_inds in groups_of_models:
        model_cols = [*model_inds, *adj] + ([strata] if conditional else [])
        for col in model_cols:
            if missing[col].any():
                excluded_parts.append(
                    make_excluded(row_ids(frame, missing[col], idc), col, f"missing {col}")
                )
        design_cols = [*model_inds, *(t for v in adj for t in cov_terms[v])]
        keep = ~np.logical_or.reduce([missing[c] for c in model_cols])
        if conditional:
            keep &= _informative(y, groups, keep)
            lost = ~keep & ~np.logical_or.reduce([missing[c] for c in model_cols])
            excluded_parts.append(
                make_excluded(
                    row_ids(frame, lost, idc),
                    strata,
                    "no case–control contrast left in its matched set",
                )
            )
            cases_per_set = np.bincount(groups[keep], weights=y[keep])
            if method == "firth" and (cases_per_set > 1).any():
                raise DataError(
                    f"{FUNC}(): method='firth' with conditional=True needs one case per matched "
                    f"set; some sets in '{strata}' have several. Use method='ml', or recode the "
                    "sets."
                )
        n_rows = int(keep.sum())
        events = int(y[keep].sum())
        if events == 0 or events == n_rows:
            raise DataError(
                f"{FUNC}(): model '{name}' has "
                + ("no rows" if n_rows == 0 else f"one outcome class only (all {y[keep][0]})")
                + f" after dropping rows with missing {', '.join(model_cols)}"
                + (" and matched sets without a case and a control" if conditional else "")
                + ". Both cases and controls are needed."
            )
        design = _design(
            name,
            model_inds,
            y[keep],
            {c: columns[c] if n_rows == len(y) else columns[c][keep] for c in design_cols},
            groups[keep] if conditional else None,
            cov_terms,
            per_map,
            pending,
        )
        n_params = design.X.shape[1] - (0 if conditional else 1)
        if n_rows <= design.X.shape[1]:
            raise DataError(
                f"{FUNC}(): model '{name}' has {n_rows} analysed rows for {design.X.shape[1]} "
                "parameters; more rows are needed (or fewer covariates)."
            )
        _check_rank(design)
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
    return LogisticResult(
        table=pd.DataFrame(rows, columns=_table_columns(method)),
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

    from ._format import Style, format_estimate_ci
    from ._plotting import indicator_color

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
