"""Case–control matching: exact on sex, age within a caliper; balance before/after; Love plot.

Methods (within each stratum of the ``exact`` variables):

- ``"optimal"``: the largest number of pairs, then the smallest total distance
  (``scipy.optimize.linear_sum_assignment`` on a cost matrix where a pair outside the caliper costs
  more than any feasible assignment, so that it is used only when nothing else is left — and then
  dropped).
- ``"nearest"``: greedy, cases in data order (MatchIt's ``m.order = "data"``); each case takes the
  closest unused control within the caliper; equally close controls are broken towards the lower
  value, then data order.
- ``"random"``: SPSS's case–control matching (FUZZY): cases in data order, each takes a uniformly
  random unused control within the tolerance (``seed`` makes it reproducible).

With ``ratio=k`` each case receives up to k controls, in k rounds (optimal: the case is repeated
k times in the assignment). Distances: with one caliper variable the absolute difference; with
several, the sum of ``|Δ| / caliper`` (every ``|Δ|`` must be within its caliper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._plotting import figure_and_axes
from ._results import Result, concat_excluded, make_excluded
from ._validate import (
    DataError,
    check_columns,
    check_frame,
    check_numeric,
    check_option,
    describe_ids,
)

METHODS = ("optimal", "nearest", "random")


@dataclass(frozen=True, eq=False)
class MatchResult(Result):
    """Matched pairs, the matched patients, unmatched cases and balance diagnostics.

    ``.table`` (= ``.pairs``): ``pair_id``, ``case_id``, ``control_id``, ``dist_<var>`` per
    caliper variable and ``distance``. ``.matched``: the matched patients with ``pair_id``.
    ``.unmatched``: each case without a control and why. ``.balance``: before/after per covariate.
    """

    matched: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Case–control matching"
    has_plot: ClassVar[bool] = True

    @property
    def pairs(self) -> pd.DataFrame:
        """One row per matched control (the main table)."""
        return self.table.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "pairs": self.pairs,
            "unmatched": self.unmatched.copy(),
            "balance": self.balance.copy(),
        }

    def notes(self) -> list[str]:
        s = self.settings
        lines = [
            f"{len(self.table)} controls matched to {self.table['case_id'].nunique()} of "
            f"{s['n_cases']} cases ({s['method']}, exact on {list(s['exact'])}, "
            f"caliper {s['caliper']}).",
            "SMD: smd_treated_sd divides by the cases' SD before matching (MatchIt/cobalt); "
            "smd_pooled_sd by sqrt((s1² + s0²)/2) of the groups compared (tableone). Binary "
            "variables use sqrt(p(1 − p)).",
        ]
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        return plot_love(self, ax=ax, **kwargs)


# -- input -----------------------------------------------------------------------------------


def _prepare(
    patients: pd.DataFrame, exact: Sequence[str], caliper: Mapping[str, float], id_col: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validated frame with ``_case``, ``_stratum`` and float caliper columns; excluded controls."""
    func = "match_controls"
    check_frame(patients, func, "patients")
    check_columns(patients, [id_col, "case", *exact, *caliper], func, "patients")
    data = patients.reset_index(drop=True).copy()
    dup = data[id_col].duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"{func}(): duplicate IDs in column '{id_col}' "
            f"({describe_ids(list(data.loc[dup, id_col]), id_col)}). Each patient must appear once."
        )
    case = check_numeric(data, "case", func, id_col)
    if np.isnan(case).any() or not np.isin(case, (0, 1)).all():
        raise DataError(f"{func}(): column 'case' must be 0/1 without blanks.")
    for var, width in caliper.items():
        if not np.isscalar(width) or not float(width) > 0:
            raise DataError(
                f"{func}(): caliper for '{var}' must be a positive number; got {width!r}."
            )
        data[var] = check_numeric(data, var, func, id_col)
    data["_case"] = case.astype(int)
    if not (data["_case"] == 1).any():
        raise DataError(f"{func}(): no cases (case == 1) in `patients`.")
    if not (data["_case"] == 0).any():
        raise DataError(f"{func}(): no candidate controls (case == 0) in `patients`.")
    is_case = data["_case"] == 1
    for var in exact:
        missing = data[var].isna() & is_case
        if missing.any():
            raise DataError(
                f"{func}(): missing values in exact-matching column '{var}' for cases "
                f"({describe_ids(list(data.loc[missing, id_col]), id_col)}). Fill them in or "
                "remove these cases."
            )
    excluded = []
    for var in (*exact, *caliper):
        bad = data[var].isna() & (data["_case"] == 0)
        excluded.append(
            make_excluded(list(data.loc[bad, id_col]), var, f"control with missing {var}")
        )
        data = data[~bad]
    strata = pd.Series("all", index=data.index)
    for i, var in enumerate(exact):  # vectorised "F|..." labels; a row-wise join is slow at 10⁶
        text = data[var].astype(str)
        strata = text if i == 0 else strata + "|" + text
    data = data.assign(_stratum=strata)
    return data, concat_excluded(excluded)


# -- algorithms: each returns (case_positions, control_positions) into the stratum arrays -----


def _distance_matrix(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Normalised distance Σ|Δ|/caliper, +inf where any |Δ| exceeds its caliper."""
    diff = np.abs(case_x[:, None, :] - ctrl_x[None, :, :]) / widths
    dist = diff.sum(axis=2)
    dist[(diff > 1 + 1e-12).any(axis=2)] = np.inf
    return dist


def _optimal(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray, ratio: int):
    from scipy.optimize import linear_sum_assignment

    near = (np.abs(case_x[:, None, 0] - ctrl_x[None, :, 0]) <= widths[0] * (1 + 1e-12)).any(axis=0)
    cand = np.flatnonzero(near)
    if cand.size == 0:
        return np.empty(0, int), np.empty(0, int)
    dist = _distance_matrix(case_x, ctrl_x[cand], widths)
    dist = np.repeat(dist, ratio, axis=0)
    feasible = np.isfinite(dist)
    # An infeasible edge costs more than any set of feasible ones: pairs are maximised first.
    big = (np.nanmax(np.where(feasible, dist, 0.0)) + 1.0) * (dist.shape[0] + 1)
    rows, cols = linear_sum_assignment(np.where(feasible, dist, big))
    keep = feasible[rows, cols]
    return rows[keep] // ratio, cand[cols[keep]]


def _greedy(case_x: np.ndarray, ctrl_x: np.ndarray, widths: np.ndarray, ratio: int, rng=None):
    """Nearest (rng None) or random-within-caliper matching on sorted controls."""
    order = np.argsort(ctrl_x[:, 0], kind="stable")
    values = ctrl_x[order, 0]
    # Each case's caliper window [lo, hi) and insertion point, found for all cases at once.
    tol = widths[0] * (1 + 1e-12)
    lows = np.searchsorted(values, case_x[:, 0] - tol, "left").tolist()
    highs = np.searchsorted(values, case_x[:, 0] + tol, "right").tolist()
    if rng is None and case_x.shape[1] == 1:
        inserts = np.searchsorted(values, case_x[:, 0], "left").tolist()
        cases, picks = _nearest_1d(
            case_x[:, 0].tolist(), values.tolist(), lows, highs, inserts, ratio
        )
    else:
        cases, picks = _windowed(case_x, ctrl_x, order, widths, lows, highs, ratio, rng)
    return np.asarray(cases, int), order[np.asarray(picks, int)]


def _nearest_1d(xs: list, vals: list, lows: list, highs: list, inserts: list, ratio: int):
    """Greedy nearest on one sorted variable; returns case positions and sorted-control positions.

    Skip pointers with path compression: ``right[i]`` leads to the first unused index ≥ i (n:
    none); ``left[i + 1]`` to 1 + the last unused index ≤ i (0: none), so each lookup is near
    O(1). Plain lists and inlined lookups: this loop runs once per case and dominates the time.
    """
    n = len(vals)
    right, left = list(range(n + 1)), list(range(n + 1))
    cases, picks = [], []
    for _ in range(ratio):
        for i, x in enumerate(xs):
            pos = inserts[i]
            after = pos
            while right[after] != after:
                after = right[after]
            while right[pos] != after:
                right[pos], pos = after, right[pos]
            pos = inserts[i]
            before = pos
            while left[before] != before:
                before = left[before]
            while left[pos] != before:
                left[pos], pos = before, left[pos]
            before -= 1
            lo, hi = lows[i], highs[i]
            ok_before, ok_after = lo <= before < hi, lo <= after < hi
            if not (ok_before or ok_after):
                continue
            # ties go to the lower value, then data order (a stable sort keeps it)
            take_before = ok_before and (not ok_after or x - vals[before] <= vals[after] - x)
            j = before if take_before else after
            right[j] = j + 1
            left[j + 1] = j
            cases.append(i)
            picks.append(j)
    return cases, picks


def _windowed(case_x, ctrl_x, order, widths, lows, highs, ratio, rng):
    """Greedy over each case's caliper window: random (SPSS) or nearest on several variables."""
    used = np.zeros(len(order), bool)
    cases, picks = [], []
    for _ in range(ratio):
        for i in range(len(case_x)):
            lo, hi = lows[i], highs[i]
            window = np.arange(lo, hi)[~used[lo:hi]]
            if case_x.shape[1] > 1 and window.size:
                d = _distance_matrix(case_x[i][None, :], ctrl_x[order[window]], widths)[0]
                window, d = window[np.isfinite(d)], d[np.isfinite(d)]
                if rng is None and window.size:
                    window = window[[int(np.argmin(d))]]
            if window.size == 0:
                continue
            j = int(window[0] if rng is None else rng.choice(window))
            used[j] = True
            cases.append(i)
            picks.append(j)
    return cases, picks


# -- balance -------------------------------------------------------------------------------


def _balance_columns(data: pd.DataFrame, covariates: Sequence[str] | None, id_col: str) -> dict:
    """Covariate name -> float array (binary/categorical levels as 0/1 indicators)."""
    if covariates is None:
        covariates = [
            c
            for c in ("age", "sex", "bmi", "hypertension", "diabetes", "hyperlipidemia")
            if c in data.columns
        ]
    out = {}
    for var in covariates:
        col = data[var]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out[var] = col.to_numpy(dtype=float, na_value=np.nan)
        else:
            levels = sorted(col.dropna().astype(str).unique())
            for level in levels[1:] if len(levels) == 2 else levels:
                out[f"{var}={level}"] = np.where(
                    col.isna(), np.nan, (col.astype(str) == level).astype(float)
                )
    return out


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.isin(x[~np.isnan(x)], (0.0, 1.0)).all())


def _sd(x: np.ndarray, binary: bool) -> float:
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan")
    if binary:
        p = x.mean()
        return float(np.sqrt(p * (1 - p)))
    return float(np.std(x, ddof=1)) if len(x) > 1 else float("nan")


def balance_table(
    before_case: pd.DataFrame,
    before_control: pd.DataFrame,
    after_case: pd.DataFrame,
    after_control: pd.DataFrame,
    covariates: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Means, SDs and SMDs (treated-SD and pooled-SD conventions) before and after matching."""
    frames = (before_case, before_control, after_case, after_control)
    allrows = pd.concat([f.drop(columns=["pair_id"], errors="ignore") for f in frames])
    columns = _balance_columns(allrows, covariates, "")
    bounds = np.cumsum([0] + [len(f) for f in frames])
    rows = []
    for var, x in columns.items():
        parts = [x[bounds[i] : bounds[i + 1]] for i in range(4)]
        binary = _is_binary(x)
        sd_treated = _sd(parts[0], binary)  # cases before matching (MatchIt/cobalt)
        for stage, (xt, xc) in (("before", parts[:2]), ("after", parts[2:])):
            mt = float(np.mean(xt[~np.isnan(xt)])) if (~np.isnan(xt)).any() else np.nan
            mc = float(np.mean(xc[~np.isnan(xc)])) if (~np.isnan(xc)).any() else np.nan
            st, sc = _sd(xt, binary), _sd(xc, binary)
            pooled = np.sqrt((st**2 + sc**2) / 2)
            rows.append(
                {
                    "covariate": var,
                    "stage": stage,
                    "binary": binary,
                    "mean_case": mt,
                    "mean_control": mc,
                    "sd_case": st,
                    "sd_control": sc,
                    "smd_treated_sd": (mt - mc) / sd_treated if sd_treated > 0 else np.nan,
                    "smd_pooled_sd": (mt - mc) / pooled if pooled > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)


# -- public ----------------------------------------------------------------------------------


def match_controls(
    patients: pd.DataFrame,
    *,
    exact: Sequence[str] = ("sex",),
    caliper: Mapping[str, float] | None = None,
    method: str = "optimal",
    seed: int | None = None,
    ratio: int = 1,
    covariates: Sequence[str] | None = None,
    id_col: str = "patient_id",
) -> MatchResult:
    """Match each case (``case == 1``) to ``ratio`` controls, exact on ``exact``, within calipers.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per patient (cases and candidate controls) with ``case`` (0/1).
    exact : sequence of str, default ("sex",)
        Columns a case and its controls must share.
    caliper : mapping, default {"age": 2}
        Numeric column -> maximum absolute difference allowed.
    method : {"optimal", "nearest", "random"}
        See the module documentation.
    seed : int, optional
        Seed of ``method="random"``.
    ratio : int, default 1
        Controls per case (never reused).
    covariates : sequence of str, optional
        Columns in the balance table (default: age, sex, bmi and comorbidities present).

    Returns
    -------
    MatchResult

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import match_controls
    >>> df = pd.DataFrame({"patient_id": list("ABCDE"), "case": [1, 1, 0, 0, 0],
    ...                    "sex": list("FFFFM"), "age": [70, 72, 71, 75, 70]})
    >>> res = match_controls(df, caliper={"age": 2})
    >>> res.pairs[["case_id", "control_id", "dist_age"]].values.tolist()
    [['A', 'C', 1.0]]
    >>> res.unmatched.loc[0, "reason"]
    'no unused control with the same sex within the caliper'
    """
    func = "match_controls"
    caliper = dict(caliper if caliper is not None else {"age": 2})
    exact = tuple(exact)
    check_option(method, METHODS, func, "method")
    if not caliper:
        raise DataError(f"{func}(): give at least one caliper variable, e.g. caliper={{'age': 2}}.")
    if not isinstance(ratio, int | np.integer) or ratio < 1:
        raise DataError(f"{func}(): ratio must be a whole number ≥ 1; got {ratio!r}.")
    data, excluded = _prepare(patients, exact, caliper, id_col)
    variables = list(caliper)
    widths = np.array([float(caliper[v]) for v in variables])
    rng = np.random.default_rng(seed) if method == "random" else None
    pair_parts, unmatched = [], []
    for _, stratum in data.groupby("_stratum", sort=True):
        cases = stratum[stratum["_case"] == 1]
        ctrls = stratum[stratum["_case"] == 0]
        no_x = cases[variables].isna().any(axis=1).to_numpy()
        cx, kx = cases[variables].to_numpy(float)[~no_x], ctrls[variables].to_numpy(float)
        if len(ctrls) and len(cx):
            if method == "optimal":
                ci, ki = _optimal(cx, kx, widths, ratio)
            else:
                ci, ki = _greedy(cx, kx, widths, ratio, rng)
        else:
            ci = ki = np.empty(0, int)
        case_ids = cases[id_col].to_numpy()[~no_x]
        dist = np.abs(cx[ci] - kx[ki]).reshape(len(ci), len(variables))
        part = pd.DataFrame(dist, columns=[f"dist_{v}" for v in variables])
        part.insert(0, "control_id", ctrls[id_col].to_numpy()[ki])
        part.insert(0, "case_id", case_ids[ci])
        part["distance"] = (dist / widths).sum(axis=1)
        pair_parts.append(part)
        got = np.bincount(ci, minlength=len(cx))
        label = " and ".join(exact) if exact else "stratum"
        for pid in cases[id_col].to_numpy()[no_x]:
            unmatched.append((pid, 0, f"missing {', '.join(variables)}"))
        for pos in np.flatnonzero(got < ratio):
            in_cal = np.abs(kx - cx[pos]) <= widths * (1 + 1e-12)
            reason = (
                f"no control with the same {label} within the caliper"
                if not in_cal.all(axis=1).any()
                else f"no unused control with the same {label} within the caliper"
            )
            unmatched.append((case_ids[pos], int(got[pos]), reason))
    pairs = pd.concat(pair_parts, ignore_index=True)
    order = {pid: i for i, pid in enumerate(data.loc[data["_case"] == 1, id_col])}
    pairs = pairs.sort_values("case_id", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )
    first = ~pairs["case_id"].duplicated()
    pairs.insert(0, "pair_id", first.cumsum().astype(int))
    unmatched_df = pd.DataFrame(unmatched, columns=["case_id", "n_controls", "reason"])
    original = patients.reset_index(drop=True)
    case_part = original.merge(
        pairs.loc[first, ["pair_id", "case_id"]], left_on=id_col, right_on="case_id"
    )
    ctrl_part = original.merge(
        pairs[["pair_id", "control_id", "distance"]], left_on=id_col, right_on="control_id"
    )
    matched = (
        pd.concat(
            [
                case_part.drop(columns="case_id"),
                ctrl_part.drop(columns="control_id").rename(columns={"distance": "match_distance"}),
            ],
            ignore_index=True,
        )
        .sort_values(["pair_id", "case"], ascending=[True, False], kind="stable")
        .reset_index(drop=True)
    )
    is_case = data["_case"] == 1
    balance = balance_table(
        data[is_case],
        data[~is_case],
        matched[matched["case"] == 1],
        matched[matched["case"] == 0],
        covariates,
    )
    settings = {
        "method": method,
        "exact": exact,
        "caliper": caliper,
        "ratio": ratio,
        "seed": seed,
        "n_cases": int(is_case.sum()),
        "n_controls": int((~is_case).sum()),
    }
    excluded = concat_excluded(
        [
            excluded,
            make_excluded(list(unmatched_df["case_id"]), "case", list(unmatched_df["reason"])),
        ]
    )
    return MatchResult(
        table=pairs,
        excluded=excluded,
        settings=settings,
        matched=matched,
        unmatched=unmatched_df,
        balance=balance,
    )


def plot_love(
    result: MatchResult,
    ax: Any = None,
    *,
    convention: str = "smd_treated_sd",
    threshold: float = 0.1,
) -> Any:
    """Love plot: absolute SMD per covariate before and after matching.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import match_controls, plot_love
    >>> df = pd.DataFrame({"patient_id": list("ABCD"), "case": [1, 1, 0, 0],
    ...                    "sex": list("FFFF"), "age": [70, 72, 71, 73]})
    >>> fig = plot_love(match_controls(df))
    >>> fig.axes[0].get_xlabel()
    "Absolute standardised mean difference (cases' SD)"
    """
    check_option(convention, ("smd_treated_sd", "smd_pooled_sd"), "plot_love", "convention")
    from ._format import Style

    style = Style()
    fig, ax = figure_and_axes(ax, figsize=(6, 1.0 + 0.4 * result.balance["covariate"].nunique()))
    wide = result.balance.pivot(index="covariate", columns="stage", values=convention).abs()
    wide = wide.reindex(list(dict.fromkeys(result.balance["covariate"])))[::-1]
    y = np.arange(len(wide))
    for stage, marker, colour in (("before", "o", "#999999"), ("after", "s", "#000000")):
        ax.scatter(wide[stage], y, marker=marker, color=colour, label=f"{stage} matching",
                   zorder=3)
    ax.axvline(threshold, color="grey", linestyle="--", linewidth=1)
    shown = []
    for cov in wide.index:
        var, _, level = str(cov).partition("=")
        shown.append(f"{style.label(var)}: {style.level(var, level)}" if level else
                     style.heading(var))
    ax.set_yticks(y, shown)
    ax.set_xlim(left=-0.02 * max(float(np.nanmax(wide.to_numpy(float))), threshold))
    denominator = "cases' SD" if convention == "smd_treated_sd" else "pooled SD"
    ax.set_xlabel(f"Absolute standardised mean difference ({denominator})")
    ax.legend(loc="best")
    return fig
