"""Multiply imputed data and Rubin's rules: the :class:`Imputed` result and the pooling.

Kept at the floor of the result protocol so that every step can accept an :class:`Imputed`
and pool its estimates without importing the imputation engine (``ovcfstats.missing``).

Rubin's rules (Rubin 1987; van Buuren 2018, section 2.3) for ``m`` estimates Qᵢ with variances Uᵢ:
Q̄ = mean Qᵢ, Ū = mean Uᵢ, B = var Qᵢ (ddof 1), T = Ū + (1 + 1/m)·B. The degrees of freedom are
Barnard & Rubin's (1999) small-sample ones, as ``mice::pool()`` computes them: with
λ = (1 + 1/m)·B / T (floored at 1e-4, as mice does), ν_old = (m − 1)/λ², ν_obs =
(ν_com + 1)/(ν_com + 3)·ν_com·(1 − λ) and ν = ν_old·ν_obs/(ν_old + ν_obs) (ν = ν_old when the
complete-data df ν_com is infinite). The fraction of missing information is mice's
γ = (r + 2/(ν + 3))/(1 + r) with r = (1 + 1/m)·B/Ū.

Tests without a single estimate and variance (a χ² of a table) are pooled by the D2 rule of
Li, Meng, Raghunathan & Rubin (1991) from the m statistics alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._results import Result

#: mice's floor on λ: keeps ν_old finite when the imputations agree exactly
MIN_LAMBDA = 1e-4


def rubin(
    estimates: Any, variances: Any, dfcom: float | Any = np.inf, alpha: float = 0.05
) -> pd.DataFrame:
    """Pool ``m`` estimates and their variances by Rubin's rules (Barnard–Rubin df).

    Parameters
    ----------
    estimates, variances : array-like, shape (m,) or (m, k)
        One row per imputation, one column per parameter.
    dfcom : float or array-like of shape (k,), default inf
        Complete-data degrees of freedom (``n − p`` for a regression; inf for a large-sample
        statistic such as a logit AUC or a Fisher z).
    alpha : float, default 0.05
        1 − confidence level of ``ci_low``/``ci_high`` (t quantile with ``df``).

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``estimate`` (Q̄), ``ubar``, ``b``, ``t``, ``se`` (√T), ``df``,
        ``riv``, ``lambda``, ``fmi``, ``statistic`` (Q̄/√T), ``p`` (two-sided t test of 0),
        ``ci_low``, ``ci_high``, ``m``.

    Examples
    --------
    >>> from ovcfstats._pool import rubin
    >>> out = rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.03], dfcom=50)
    >>> round(float(out.loc[0, "t"]), 6), round(float(out.loc[0, "df"]), 3)
    (0.093333, 4.722)
    """
    from scipy.stats import t as t_dist

    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    q, u = (q[:, None], u[:, None]) if q.ndim == 1 else (q, u)
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations; got {m}.")
    # about the first imputation's values: exactly Q₁, U₁ and B = 0 when the imputations agree
    qbar, ubar = q[0] + (q - q[0]).mean(axis=0), u[0] + (u - u[0]).mean(axis=0)
    b = (q - q[0]).var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    dfcom = np.broadcast_to(np.asarray(dfcom, dtype=float), qbar.shape)
    lam = np.maximum((1 + 1 / m) * b / t, MIN_LAMBDA)
    df_old = (m - 1) / lam**2
    with np.errstate(invalid="ignore"):
        df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
        df = np.where(np.isinf(dfcom), df_old, df_old * df_obs / (df_old + df_obs))
    riv = (1 + 1 / m) * b / ubar
    se = np.sqrt(t)
    stat = qbar / se
    crit = t_dist.ppf(1 - alpha / 2, df)
    return pd.DataFrame(
        {
            "estimate": qbar,
            "ubar": ubar,
            "b": b,
            "t": t,
            "se": se,
            "df": df,
            "riv": riv,
            "lambda": (1 + 1 / m) * b / t,
            "fmi": (riv + 2 / (df + 3)) / (1 + riv),
            "statistic": stat,
            "p": 2 * t_dist.sf(np.abs(stat), df),
            "ci_low": qbar - crit * se,
            "ci_high": qbar + crit * se,
            "m": m,
        }
    )


def d2(chisq: Any, k: int) -> tuple[float, float, float, float]:
    """Pool ``m`` χ² statistics on ``k`` df by the D2 rule; returns (D2, df1, df2, p).

    D2 = (χ̄²/k − (m + 1)/(m − 1)·r) / (1 + r) with r = (1 + 1/m)·var(√χ²ᵢ), referred to
    F(k, (1 + 1/r)²·(m − 1)/k^(3/m)) (Li et al. 1991; as ``mitml``'s D2, which ``mice::D2``
    calls). A negative D2 (imputations disagreeing more than the χ² suggests) is reported as 0.

    Examples
    --------
    >>> from ovcfstats._pool import d2
    >>> stat, df1, df2, p = d2([4.0, 4.0, 4.0], 1)
    >>> round(stat, 6), df1, round(p, 6)
    (4.0, 1, 0.0455)
    """
    from scipy.stats import chi2, f

    x = np.asarray(chisq, dtype=float)
    m = len(x)
    if m < 2:
        raise ValueError(f"The D2 rule needs at least 2 imputations; got {m}.")
    r = (1 + 1 / m) * np.var(np.sqrt(x), ddof=1)
    stat = max((x.mean() / k - (m + 1) / (m - 1) * r) / (1 + r), 0.0)
    if r == 0:  # the imputations agree: the complete-data χ² test
        return float(x.mean() / k), k, np.inf, float(chi2.sf(x.mean(), k))
    df2 = (1 + 1 / r) ** 2 * (m - 1) / k ** (3 / m)
    return float(stat), k, float(df2), float(f.sf(stat, k, df2))


def pooled_note(m: int, rules: str = "Rubin's rules with Barnard–Rubin degrees of freedom") -> str:
    """The line every pooled result prints under its tables."""
    return f"Pooled over m = {m} imputations by {rules}."


@dataclass(frozen=True, eq=False)
class Imputed(Result):
    """``m`` completed tables from multiple imputation, with the models and diagnostics.

    ``.datasets``: the ``m`` completed DataFrames (same rows and columns as the input; rows
    missing the outcome are left out and listed in ``.excluded``). ``.table``: one row per
    imputed variable: ``variable``, ``kind`` (``"pmm"``/``"logistic"``), ``n_missing``,
    ``observed_mean``, ``observed_sd``, ``imputed_mean``, ``imputed_sd`` (over all imputed values
    of all ``m`` tables). ``.models``: each variable's predictors. ``.missing``: the boolean mask of
    the imputed cells. ``.settings`` holds ``m``, ``method``, ``seed`` (drawn when not given:
    ``seed_drawn``), ``iterations``, ``outcome``, ``predictors`` and ``matching``.

    Every step that accepts a DataFrame also accepts an :class:`Imputed`: it runs on each
    completed table and pools the estimates by Rubin's rules.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import Imputed, spearman_outcome
    >>> tables = [pd.DataFrame({"case": [0, 0, 0, 1, 1, 1], "hu": [120, 95, h, 70, 88, 64]})
    ...           for h in (101, 60)]
    >>> imp = Imputed(table=pd.DataFrame(), datasets=tuple(tables))
    >>> res = spearman_outcome(imp, ["hu"])
    >>> imp.m, int(res.table.loc[0, "m"]), round(float(res.table.loc[0, "rho"]), 3)
    (2, 2, -0.683)
    """

    datasets: tuple[pd.DataFrame, ...] = ()
    models: dict[str, tuple[str, ...]] = field(default_factory=dict)
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Multiple imputation (chained equations)"
    has_plot: ClassVar[bool] = True

    @property
    def m(self) -> int:
        """The number of imputations."""
        return len(self.datasets)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"table": self.table.copy()}

    def notes(self) -> list[str]:
        s = self.settings
        seed = f"seed {s.get('seed')}" + (" (drawn for this run)" if s.get("seed_drawn") else "")
        lines = [
            f"{self.m} imputations by chained equations ({s.get('iterations')} iterations; "
            f"{seed}, which reproduces them). Continuous variables "
            "by predictive mean matching, binary ones by logistic regression; the outcome is "
            "never imputed and is a predictor of every variable."
        ]
        if s.get("matching"):
            lines.append(str(s["matching"]))
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Observed (grey) against imputed (red) values of each imputed variable."""
        from matplotlib.figure import Figure

        from .present._format import Style

        style = Style()  # the study's labels when the report draws it
        names = list(self.table["variable"])
        if not names:
            raise ValueError("No variable was imputed: nothing to draw.")
        if len(self.missing) != len(self.datasets[0]):
            raise ValueError("These completed tables were matched after imputing; draw the "
                             "imputations before matching (the result of impute()).")
        fig = Figure(figsize=(min(3.0 * len(names), 12.0), 3.0), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(names)))
        rng = np.random.default_rng(0)  # jitter only: the figure's look, not the data
        for a, name in zip(axes, names, strict=True):
            mask = self.missing[name].to_numpy()
            seen = _as_numbers(self.datasets[0][name])[~mask]
            a.scatter(rng.uniform(-0.2, 0.2, seen.size), seen, s=4, color="grey", alpha=0.5)
            for i, d in enumerate(self.datasets, start=1):
                vals = _as_numbers(d[name])[mask]
                a.scatter(i + rng.uniform(-0.2, 0.2, vals.size), vals, s=4, color="tab:red")
            a.set_xticks([0, self.m], ["observed", f"imputation {self.m}"])
            a.set_title(style.heading(name), fontsize=10)
        return fig


def _as_numbers(values: pd.Series) -> np.ndarray:
    """A numeric column as floats; a two-level text column as 0/1 (levels in sorted order)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(float)
    levels = sorted(values.dropna().unique().tolist(), key=str)
    return values.map({v: float(i) for i, v in enumerate(levels)}).to_numpy(float)
