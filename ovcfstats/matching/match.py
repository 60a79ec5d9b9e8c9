"""Case–control matching: exact on sex, age within a caliper; balance before/after; Love plot.

Methods (within each stratum of the ``exact`` variables):

- ``"optimal"``: the largest number of pairs, then the smallest total distance. Small strata
  (≤ 10⁶ case × candidate cells): ``scipy.optimize.linear_sum_assignment`` on a cost matrix where
  a pair outside the caliper costs more than any feasible assignment, so that it is used only
  when nothing else is left — and then dropped. Larger strata never build that matrix: heavily
  tied values (whole-year ages) are matched as a transportation problem between value groups
  (two HiGHS linear programs), others as a minimum-weight full matching on a sparse graph of
  the caliper edges that an optimum can need (``scipy.sparse.csgraph``). All give the same
  number of pairs and the same total distance; when several matchings are equally good, which
  one is returned may differ between the solvers (the small-strata choice is as before).
- ``"nearest"``: greedy, cases in data order (MatchIt's ``m.order = "data"``); each case takes the
  closest unused control within the caliper. Equally close controls (``ties="lower"``, the
  default): the lower value, then the first in data order. ``ties="matchit"`` reproduces
  ``MatchIt::matchit(method = "nearest", m.order = "data")`` with the caliper variable as the
  distance: MatchIt sorts cases and controls together by value (data order among equal values)
  and takes the closest unused control on either side of the case in that order, the lower side
  on equal distance — so among controls of equal value it takes the one nearest to the case in
  data order (below the case's value: the last one). Both rules give the same number of pairs
  and the same distances; only which of the equally close controls is picked differs.
- ``"random"``: SPSS's case–control matching (FUZZY): cases in data order, each takes a uniformly
  random unused control within the tolerance. Without ``seed`` a seed is drawn from the
  operating system's entropy and recorded in ``.settings["seed"]`` and the notes; passing it back
  reproduces the pairs exactly.

Every caliper is inclusive: a control exactly one caliper away (case 70, control 72, caliper 2)
is eligible for every method.

An input that already has a ``pair_id`` (or ``match_distance``, ``case_id``, ``control_id``)
column is matched afresh: the column is kept, renamed ``pair_id_input`` (…), and a warning says
so. To analyse the pairs you already have, pass that table to the analyses directly.

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

from .._pool import Imputed
from .._results import OvcfWarning, Result, concat_excluded, make_excluded, warn
from .._validate import DataError, as_ids, check_columns, check_frame, check_option
from ..data._patient_codes import clean_yes_no
from ..data._ranges import check_ranges
from ..present._plotting import MAX_ITEMS, NoFigure, check_items, figure_and_axes
from ._balance import balance_from_columns, balance_table, default_covariates
from ._input import Prepared, prepare
from ._tables import find_pairs, id_text, matched_table, no_eligible_message, pairs_table

__all__ = ["MatchResult", "balance_table", "match_controls", "plot_love"]

METHODS = ("optimal", "nearest", "random")
TIES = ("lower", "matchit")
#: columns match_controls adds to the matched table; input columns of these names are renamed
OUTPUT_COLUMNS = ("pair_id", "match_distance", "case_id", "control_id")


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
            f"{s['n_cases']} cases ({s['method']}, exact on "
            f"{', '.join(map(str, s['exact'])) or 'nothing'}, caliper "
            + (", ".join(f"{k} ±{v:g}" for k, v in (s["caliper"] or {}).items()) or "none")
            + (f", ties {s['ties']}" if s["method"] == "nearest" else "")
            + ").",
        ]
        if s["method"] == "random":
            lines.append(
                f"Random draw with seed {s['seed']}"
                + (" (drawn for this run)" if s.get("seed_drawn") else "")
                + f"; match_controls(..., seed={s['seed']}) reproduces these pairs."
            )
        lines += [
            "SMD: smd_treated_sd divides by the cases' SD before matching (MatchIt/cobalt); "
            "smd_pooled_sd by sqrt((s1² + s0²)/2) of the groups compared (tableone). Binary "
            "variables use sqrt(p(1 − p)).",
        ]
        return lines + super().notes()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        return plot_love(self, ax=ax, **kwargs)


# -- public ----------------------------------------------------------------------------------


def match_controls(
    patients: pd.DataFrame | Imputed,
    *,
    exact: Sequence[str] = ("sex",),
    caliper: Mapping[str, float] | None = None,
    method: str = "optimal",
    seed: int | None = None,
    ratio: int = 1,
    covariates: Sequence[str] | None = None,
    id_col: str = "patient_id",
    ties: str = "lower",
    outcome: str = "case",
) -> MatchResult:
    """Match each case (``case == 1``) to ``ratio`` controls, exact on ``exact``, within calipers.

    Parameters
    ----------
    patients : pandas.DataFrame or Imputed
        One row per patient (cases and candidate controls) with ``case`` (0/1). An
        :class:`~ovcfstats.Imputed` is matched within each completed table (MatchThem's
        "within" approach, for matching variables with missing values): the result is then
        an :class:`~ovcfstats.Imputed` of the m matched tables, each step pooling over them.
    exact : sequence of str, default ("sex",)
        Columns a case and its controls must share.
    caliper : mapping, default {"age": 2}
        Numeric column -> maximum absolute difference allowed.
    method : {"optimal", "nearest", "random"}
        See the module documentation.
    seed : int, optional
        Seed of ``method="random"``. Without one, a seed is drawn, stored in
        ``.settings["seed"]`` and printed in the notes; passing it reproduces the pairs.
    ratio : int, default 1
        Controls per case (never reused).
    covariates : sequence of str, optional
        Columns in the balance table (default: age, sex, bmi and comorbidities present).
    id_col : str, default "patient_id"
        The ID column; IDs are compared as text (``"007"`` and ``"7"`` are two patients).
    ties : {"lower", "matchit"}, default "lower"
        Which of several equally close controls ``method="nearest"`` takes: the lower value,
        then the first in data order; or MatchIt's choice (one caliper variable only; see the
        module documentation). Same pairs count and distances either way.
    outcome : str, default "case"
        The column coding cases 1 and candidate controls 0 (e.g. ``"ovcf"``); the matched table
        keeps its name.

    Returns
    -------
    MatchResult
        (an :class:`~ovcfstats.Imputed` of the matched tables when ``patients`` is one)

    Raises
    ------
    DataError
        For bad input, and when no case has an eligible control: the message gives, per exact
        stratum, the numbers of cases and controls and the closest control's distance, and what
        to relax (the caliper or the exact variables).

    Warns
    -----
    OvcfWarning
        When ``patients`` already has a ``pair_id`` (an already matched table): it is kept as
        ``pair_id_input`` and the patients are matched afresh.

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
    if isinstance(patients, Imputed):
        kwargs = {k: v for k, v in locals().items() if k != "patients"}
        return _within(patients, kwargs)
    func = "match_controls"
    caliper = dict(caliper if caliper is not None else {"age": 2})
    exact = tuple(exact)
    check_option(method, METHODS, func, "method")
    check_option(ties, TIES, func, "ties")
    if ties == "matchit" and len(caliper) > 1:
        raise ValueError(
            f"{func}(): ties='matchit' needs a single caliper variable; got {list(caliper)}."
        )
    if not caliper:
        raise DataError(f"{func}(): give at least one caliper variable, e.g. caliper={{'age': 2}}.")
    if not isinstance(ratio, int | np.integer) or ratio < 1:
        raise DataError(f"{func}(): ratio must be a whole number ≥ 1; got {ratio!r}.")
    seed, seed_drawn = _seed(seed, method, func)
    notes: list[str] = []
    patients = _rename_output_columns(patients, {id_col, *exact, *caliper}, notes)
    check_frame(patients, func, "patients")
    check_columns(patients, [id_col, outcome, *(covariates or ())], func, "patients")
    clean_yes_no(patients, outcome, func, id_col, required=True)
    if outcome != "case":
        if "case" in patients.columns:
            raise DataError(
                f"{func}(): outcome='{outcome}', but the table also has a column 'case'. Drop or "
                "rename one of them."
            )
        patients = patients.rename(columns={outcome: "case"})
    check_ranges(patients, [*caliper, *(covariates or ())], func, id_col)
    patients = patients.reset_index(drop=True)
    # IDs are compared as text. Whole-number IDs map one-to-one onto their text, so they are
    # matched as numbers and only the output IDs are written as text (saves ~20% at 10⁵ rows).
    ids = patients[id_col]
    whole_ids = pd.api.types.is_integer_dtype(ids) and not ids.hasnans
    if not whole_ids:
        patients = patients.assign(**{id_col: as_ids(ids)})
    prep = prepare(patients, exact, caliper, id_col)
    variables = list(caliper)
    widths = np.array([float(caliper[v]) for v in variables])
    rng = np.random.default_rng(seed) if method == "random" else None
    found = find_pairs(prep, method, widths, ratio, rng, ties, exact)
    if not len(found.case_row):
        raise DataError(no_eligible_message(func, found.strata, exact, caliper))
    # IDs written as text once, for the rows in the result
    ids = id_text(patients, id_col, whole_ids, np.r_[found.case_row, found.ctrl_row])
    pairs, case_row, ctrl_row, first = pairs_table(found, variables, widths, ids)
    # the matched table is taken by row position, not by a merge on the text IDs (hashing 10⁶
    # strings costs more than the matching itself)
    matched, take = matched_table(
        patients, pairs, case_row, ctrl_row, first, id_col, ids if whole_ids else None
    )
    raw_ids = patients[id_col].to_numpy()
    unmatched_df = pd.DataFrame(
        [(raw_ids[row], n, reason) for row, n, reason in found.unmatched],
        columns=["case_id", "n_controls", "reason"],
    )
    balance = _balance(patients, prep, matched, take, covariates)
    settings = {
        "method": method,
        "exact": exact,
        "caliper": caliper,
        "ratio": ratio,
        "seed": seed,
        **({"seed_drawn": seed_drawn} if method == "random" else {}),
        **({"ties": ties} if method == "nearest" else {}),
        "n_cases": int(prep.is_case.sum()),
        "n_controls": int((~prep.is_case).sum()),
    }
    excluded = concat_excluded(
        [
            prep.excluded,
            make_excluded(list(unmatched_df["case_id"]), "case", list(unmatched_df["reason"])),
        ]
    )
    if whole_ids:
        unmatched_df["case_id"] = as_ids(unmatched_df["case_id"])
        excluded["id"] = as_ids(excluded["id"])
    if outcome != "case":
        settings["outcome"] = outcome
        matched = matched.rename(columns={"case": outcome})
    return MatchResult(
        table=pairs,
        excluded=excluded,
        warnings=tuple(notes),
        settings=settings,
        matched=matched,
        unmatched=unmatched_df,
        balance=balance,
    )


def _balance(
    patients: pd.DataFrame,
    prep: Prepared,
    matched: pd.DataFrame,
    take: np.ndarray,
    covariates: Sequence[str] | None,
) -> pd.DataFrame:
    """Balance before (the patients kept for matching) and after, one covariate at a time."""
    names = default_covariates(patients.columns) if covariates is None else list(covariates)
    case = matched["case"]
    groups = (
        prep.rows[prep.is_case],
        prep.rows[~prep.is_case],
        take[(case == 1).to_numpy()],
        take[(case == 0).to_numpy()],
    )
    columns = {}
    for var in dict.fromkeys(names):
        before = pd.Series(prep.numeric[var]) if var in prep.numeric else patients[var]
        sources = (before, before, patients[var], patients[var])
        if all(_plain_number(s) for s in sources):  # stacking them would give numbers too
            columns[var] = [s.to_numpy()[g] for s, g in zip(sources, groups, strict=True)]
        else:
            columns[var] = [s.iloc[g] for s, g in zip(sources, groups, strict=True)]
    return balance_from_columns(columns)


def _within(imputed: Imputed, kwargs: dict[str, Any]) -> Imputed:
    """Each completed table matched on its own; the settings say how and how many pairs."""
    from dataclasses import replace

    results = [match_controls(d, **kwargs) for d in imputed.datasets]
    pairs = [len(r.pairs) for r in results]
    how = (
        "The controls were matched within each completed table (the 'within' approach of "
        f"MatchThem): {min(pairs)}–{max(pairs)} matched sets per imputation."
    )
    return replace(
        imputed,
        datasets=tuple(r.matched for r in results),
        settings={**imputed.settings, "matching": how, "matching_order": "within"},
    )


def _plain_number(values: pd.Series) -> bool:
    """A numpy integer or float column (not bool, not a nullable extension type)."""
    return isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf"


def _seed(seed: Any, method: str, func: str) -> tuple[int | None, bool]:
    """The seed to use and whether it was drawn here (random method without a seed)."""
    if seed is None:
        if method != "random":
            return None, False
        return int(np.random.SeedSequence().entropy), True
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"`seed` of {func}() must be a whole number ≥ 0; got {seed!r}.")
    return int(seed), False


def _rename_output_columns(patients: Any, used: set, notes: list[str]) -> Any:
    """Keep input columns named like the output's (``pair_id`` …) as ``<name>_input``."""
    if not isinstance(patients, pd.DataFrame):
        return patients
    clash = [c for c in OUTPUT_COLUMNS if c in patients.columns and c not in used]
    if not clash:
        return patients
    renamed = ", ".join(f"'{c}' -> '{c}_input'" for c in clash)
    warn(
        notes,
        f"match_controls(): `patients` already has {', '.join(repr(c) for c in clash)} (an "
        f"already matched table?); kept as {renamed} and the patients were matched afresh. To "
        "analyse the pairs you have, pass that table to the analyses directly.",
        OvcfWarning,
    )
    return patients.rename(columns={c: f"{c}_input" for c in clash})


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
    from ..present._format import Style

    style = Style()
    wide = result.balance.pivot(index="covariate", columns="stage", values=convention).abs()
    wide = wide.reindex(list(dict.fromkeys(result.balance["covariate"])))[::-1]
    check_items(len(wide), MAX_ITEMS["rows"], "covariates", "the balance table")
    smd = wide.to_numpy(float)
    if not np.isfinite(smd).any():
        raise NoFigure(
            "no covariate has a standardised mean difference (each is constant, or its SD is "
            "zero or missing, in the matched groups); the balance table lists the means."
        )
    fig, ax = figure_and_axes(ax, figsize=(6, 1.0 + 0.4 * len(wide)))
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
    ax.set_xlim(left=-0.02 * max(float(smd[np.isfinite(smd)].max()), threshold))
    denominator = "cases' SD" if convention == "smd_treated_sd" else "pooled SD"
    ax.set_xlabel(f"Absolute standardised mean difference ({denominator})")
    ax.legend(loc="best")
    return fig
