"""The study pipeline in one call: reliability, indicators, matching, Tables 1–3, ROC, report.

:func:`analyze` runs it on your data, entering at any of three points:

1. raw readings (``patients`` + ``measurements``) -> indicators -> matching -> analyses;
2. an indicator table (one row per patient: ``patient_id``, ``case``, age, sex, covariates and
   indicator columns) -> matching -> analyses;
3. an already matched table with a set id column (``matched_by="set_id"``, 1:1 or 1:k) ->
   analyses on the given sets.

Each step runs on its own: when one step (or one indicator) cannot be computed on the data,
the others still run and the report's *Skipped steps* section says what was left out and why
(each skip is also issued as a :class:`SkippedStepWarning`). :func:`reproduce` is the paper on
the bundled synthetic sample, with its *Replication* section and the audit of the paper's
printed numbers. The choices live in one :class:`~ovcfstats.StudyConfig`, printed at the top
of the report.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._results import OvcfWarning, Result
from ._validate import DataError, describe_ids
from .audit import _agrees
from .config import StudyConfig, settings_table
from .report import Report
from .schema import COMORBIDITIES, LABELS, label

__all__ = ["SkippedStepWarning", "StudyConfig", "analyze", "reproduce"]

FUNC = "analyze"
Progress = Callable[[str], None] | None
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


class SkippedStepWarning(OvcfWarning):
    """A step or an indicator of the pipeline could not be computed on the data and was left out."""


@dataclass(frozen=True, eq=False)
class ChoicesResult(Result):
    """The analysis choices: ``setting``, ``value``, ``meaning``."""

    title: ClassVar[str] = "Analysis choices"


@dataclass(frozen=True, eq=False)
class SkippedResult(Result):
    """What the pipeline left out: ``step``, ``item``, ``reason``."""

    title: ClassVar[str] = "Skipped steps"

    def notes(self) -> list[str]:
        return [
            "Every other step ran. Each row names a step or an indicator that could not be "
            "computed on these data and why.",
            *super().notes(),
        ]


@dataclass(frozen=True, eq=False)
class VariablesResult(Result):
    """The analysed variables: ``variable``, ``label``, ``unit``, ``decimals``,
    ``expected_direction``, ``column``, ``role``."""

    title: ClassVar[str] = "Variables"


@dataclass(frozen=True, eq=False)
class MatchedSetsResult(Result):
    """An already matched table: one row per set with ``pair_id``, ``n_cases``, ``n_controls``."""

    title: ClassVar[str] = "Matched sets (as given)"

    def notes(self) -> list[str]:
        s = self.settings
        return [
            f"{s['n_sets']} matched sets from column '{s['matched_by']}' "
            f"({s['design']}); the analyses use the sets as given.",
            *super().notes(),
        ]


@dataclass(frozen=True, eq=False)
class ReplicationResult(Result):
    """Published vs reproduced: ``source``, ``item``, ``statistic``, ``group``, ``published``,
    ``reproduced``, ``difference``, ``agrees``, ``note``."""

    title: ClassVar[str] = "Replication: published vs reproduced"

    def notes(self) -> list[str]:
        t = self.table
        return [
            f"{int(t['agrees'].sum())} of {int(t['agrees'].notna().sum())} comparable numbers "
            "agree. Means/SDs/counts agree when the reproduced value rounds to the printed one; "
            "p-values when both are on the same side of 0.05 (and both < 0.001 where printed so); "
            "ρ within 0.05; the AUC within 0.03. ORs depend on the unstated model choices and "
            "are shown without a verdict.",
            "The sample is synthetic (data/sample/), calibrated to the published tables; where "
            "the published numbers cannot all hold at once (see the audit) it cannot match all.",
            *super().notes(),
        ]


def choices(config: StudyConfig) -> ChoicesResult:
    """The config as a report section."""
    table = pd.DataFrame(settings_table(config), columns=["setting", "value", "meaning"])
    return ChoicesResult(table=table)


def variables_result(config: StudyConfig, present: Any = ()) -> VariablesResult:
    """Labels, units, decimals and expected directions of the analysed variables."""
    rows = []
    for name, spec in config.labels.items():
        role = "indicator" if name in config.indicators else "covariate"
        rows.append(
            {
                "variable": name,
                "label": spec["label"],
                "unit": spec["unit"],
                "decimals": spec["decimals"],
                "expected_direction": spec["direction"],
                "column": spec["column"],
                "role": role,
            }
        )
    table = pd.DataFrame(rows)
    if len(present):
        table = table[table["variable"].isin(set(present)) | (table["role"] == "indicator")]
    return VariablesResult(table=table.reset_index(drop=True))


def _progress(callback: Progress, message: str) -> None:
    if callback is not None:
        callback(message)


# -- degrading per step ------------------------------------------------------------------------
@dataclass
class _Run:
    """The report being built and what was skipped."""

    report: Report
    progress: Progress = None
    skipped: list[tuple[str, str, str]] = field(default_factory=list)

    def skip(self, step: str, item: str, reason: str) -> None:
        reason = " ".join(str(reason).split())
        self.skipped.append((step, item, reason))
        what = f"{step} ({item})" if item else step
        warnings.warn(f"skipped {what}: {reason}", SkippedStepWarning, stacklevel=3)

    def step(self, name: str, key: str, title: str, compute: Callable[[], Result]) -> Any:
        """Add ``compute()`` under ``key``, or record ``name`` as skipped with the error."""
        try:
            result = compute()
        except (DataError, ValueError, np.linalg.LinAlgError) as err:
            self.skip(name, "", str(err))
            return None
        except Exception as err:  # one failing step must not take the others with it
            self.skip(name, "", f"unexpected error, please report it: {type(err).__name__}: {err}")
            return None
        self.report.add(result, title=title, key=key)
        return result

    def finish(self) -> Report:
        if self.skipped:
            table = pd.DataFrame(self.skipped, columns=["step", "item", "reason"])
            self.report.add(SkippedResult(table=table), key="skipped")
            moved = self.report.items.pop()  # shown right after the choices
            position = 1 if self.report.items and self.report.items[0].key == "choices" else 0
            self.report.items.insert(position, moved)
        return self.report


def _reliability(run: _Run, measurements: pd.DataFrame, alpha: float) -> None:
    from .raters import DEFAULT_MEASURES, reliability

    present = set(measurements["measure"].astype(str))
    measures = [m for m in DEFAULT_MEASURES if m in present]
    for kind in ("inter", "intra"):
        name = f"{kind}-rater reliability"
        title = f"Reliability ({kind}-rater ICC)"
        if not measures:
            run.skip(name, "", "no rated measure in the measurements table")
            continue
        try:
            result = reliability(measurements, measures=measures, kind=kind, alpha=alpha)
        except DataError as whole:
            ok, reasons = [], {}
            for measure in measures:
                try:
                    reliability(measurements, measures=[measure], kind=kind, alpha=alpha)
                    ok.append(measure)
                except DataError as err:
                    reasons[measure] = str(err)
            if not ok:
                run.skip(name, "", str(whole))
                continue
            for measure, reason in reasons.items():
                run.skip(name, measure, reason)
            result = reliability(measurements, measures=ok, kind=kind, alpha=alpha)
        run.report.add(result, title=title, key=f"reliability_{kind}")


def _usable_indicators(run: _Run, data: pd.DataFrame, indicators: tuple[str, ...]) -> list[str]:
    """The indicators that can be analysed; the others are skipped with their reason."""
    usable = []
    for name in indicators:
        if name not in data.columns:
            run.skip("indicator", name, f"no column '{name}' in the data")
            continue
        values = pd.to_numeric(data[name], errors="coerce")
        text = values.isna() & data[name].notna()
        if text.any():
            ids = list(data.loc[text, "patient_id"]) if "patient_id" in data else []
            run.skip(
                "indicator",
                name,
                f"non-numeric values ({describe_ids(ids)}); correct or blank them",
            )
            continue
        data[name] = values
        for group, label_ in ((1, "cases"), (0, "controls")):
            if values[data["case"] == group].notna().sum() == 0:
                run.skip("indicator", name, f"all values missing in the {label_}")
                break
        else:
            if values.nunique(dropna=True) < 2:
                run.skip("indicator", name, f"constant ({values.dropna().iloc[0]:g} in everyone)")
            else:
                usable.append(name)
    return usable


# -- entry points ------------------------------------------------------------------------------
def _load(data: Any, what: str, sheet: str | int | None) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data.copy()
    if isinstance(data, str | Path):
        from .readers import read_table

        return read_table(data, sheet=sheet)
    raise TypeError(f"{FUNC}(): `{what}` must be a DataFrame or a file path; got {type(data)}.")


def _check_patients_table(table: pd.DataFrame) -> pd.DataFrame:
    """The indicator table: ``patient_id`` unique and present, ``case`` 0/1."""
    for col, fix in (
        ("patient_id", "one text id per patient"),
        ("case", "1 = case, 0 = control"),
    ):
        if col not in table.columns:
            raise DataError(
                f"{FUNC}(): no column '{col}' ({fix}); the columns are "
                f"{', '.join(map(str, table.columns))}. Rename the column in the file, or name it "
                "in the study file."
            )
    table["patient_id"] = table["patient_id"].astype("string").str.strip().astype(object)
    missing = table["patient_id"].isna()
    if missing.any():
        rows = ", ".join(str(int(i) + 1) for i in np.flatnonzero(missing)[:5])
        raise DataError(f"{FUNC}(): blank 'patient_id' in data rows {rows}. Give every row an id.")
    dup = table["patient_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"{FUNC}(): duplicate ids in column 'patient_id' "
            f"({describe_ids(sorted(set(table.loc[dup, 'patient_id'])))}). One row per patient."
        )
    case = pd.to_numeric(table["case"], errors="coerce")
    bad = ~case.isin([0, 1])
    if bad.any():
        raise DataError(
            f"{FUNC}(): values other than 0/1 in column 'case' "
            f"({describe_ids(list(table.loc[bad, 'patient_id']))}). Code cases 1 and controls 0."
        )
    table["case"] = case.astype(int)
    if "sex" in table.columns:
        table["sex"] = _sex(table)
    return table


def _sex(table: pd.DataFrame) -> pd.Series:
    """``F``/``M`` from any case of f/m/female/male (SPSS/Stata labels); others are errors."""
    text = table["sex"].astype("string").str.strip().str.upper()
    sex = text.replace({"FEMALE": "F", "MALE": "M", "": pd.NA})
    bad = sex.notna() & ~sex.isin(["F", "M"])
    if bad.any():
        values = ", ".join(repr(v) for v in dict.fromkeys(table.loc[bad, "sex"]))
        raise DataError(
            f"{FUNC}(): values other than F/M in column 'sex' ({values}; "
            f"{describe_ids(list(table.loc[bad, 'patient_id']))}). Code sex as F or M (female, "
            "male and lower case are accepted)."
        )
    return sex.astype(object).where(sex.notna(), np.nan)


def _renamed(table: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Columns named in the study file (``column = ...``) under the variable's name."""
    renames = {}
    for name, spec in config.labels.items():
        column = spec["column"]
        if column != name and column in table.columns:
            if name in table.columns:
                raise DataError(
                    f"{FUNC}(): both '{column}' and '{name}' are columns, and the study file "
                    f"reads {name} from '{column}'. Rename or drop one of them."
                )
            renames[column] = name
    return table.rename(columns=renames)


def _match(run: _Run, table: pd.DataFrame, cfg: StudyConfig) -> pd.DataFrame:
    from . import match_controls

    exact = [v for v in cfg.exact if v in table.columns]
    for v in cfg.exact:
        if v not in table.columns:
            run.skip("matching", v, f"no column '{v}': not matched exactly on it")
    calipers = cfg.calipers
    lacking = [v for v in calipers if v not in table.columns]
    if lacking:
        raise DataError(
            f"{FUNC}(): the matching caliper names {', '.join(lacking)}, which the data lack "
            f"(columns: {', '.join(map(str, table.columns))}). Give a caliper on a column that "
            "exists (command line --caliper; study file [matching] caliper)."
        )
    if "pair_id" in table.columns:
        table = table.rename(columns={"pair_id": "pair_id_input"})
    matching = match_controls(
        table, exact=exact, caliper=calipers, method=cfg.method, seed=cfg.seed, ratio=cfg.ratio
    )
    if len(matching.pairs) == 0:
        n_cases = int((table["case"] == 1).sum())
        n_controls = int((table["case"] == 0).sum())
        reasons = "; ".join(dict.fromkeys(matching.unmatched["reason"].astype(str)))
        on = " and ".join(exact) or "nothing"
        raise DataError(
            f"{FUNC}(): no case has an eligible control ({n_cases} cases, {n_controls} controls; "
            f"{reasons or 'no controls'}). Relax the matching: a wider caliper (--caliper, e.g. "
            f"--caliper 5; study file [matching] caliper, now {calipers}), fewer exact "
            f"variables (--exact none; now {on}), or check that controls are coded case = 0."
        )
    words = [f"{w}-" for w in [*calipers, *exact]]
    what = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    run.report.add(matching, title=f"1:{cfg.ratio} {what}matched controls", key="matching")
    return matching.matched


def _given_sets(run: _Run, table: pd.DataFrame, column: str) -> pd.DataFrame:
    if column not in table.columns:
        raise DataError(
            f"{FUNC}(): no matched-set column '{column}' (--matched-by / matched_by); the "
            f"columns are {', '.join(map(str, table.columns))}."
        )
    if column != "pair_id" and "pair_id" in table.columns:
        table = table.drop(columns="pair_id")
    data = table.rename(columns={column: "pair_id"})
    excluded = []
    none = data["pair_id"].isna()
    excluded += [(pid, column, "no matched set id") for pid in data.loc[none, "patient_id"]]
    data = data[~none]
    sets = data.groupby("pair_id", sort=False)["case"].agg(["size", "sum"])
    incomplete = sets.index[(sets["sum"] == 0) | (sets["sum"] == sets["size"])]
    gone = data["pair_id"].isin(incomplete)
    for pid, sid, case in data.loc[gone, ["patient_id", "pair_id", "case"]].itertuples(
        index=False
    ):
        other = "case" if case == 0 else "control"
        excluded.append((pid, column, f"set {sid} has no {other}"))
    data = data[~gone].reset_index(drop=True)
    if len(data) == 0:
        raise DataError(
            f"{FUNC}(): no matched set in column '{column}' has both a case and a control. "
            "Check the set ids and the case column (1 = case, 0 = control)."
        )
    sets = data.groupby("pair_id", sort=False)["case"].agg(n_cases="sum", size="size")
    sets["n_controls"] = sets["size"] - sets["n_cases"]
    sets = sets.drop(columns="size").reset_index()
    shape = sorted({f"{a}:{b}" for a, b in zip(sets["n_cases"], sets["n_controls"], strict=True)})
    from ._results import make_excluded

    result = MatchedSetsResult(
        table=sets,
        excluded=make_excluded(
            [e[0] for e in excluded], [e[1] for e in excluded], [e[2] for e in excluded]
        ),
        settings={"matched_by": column, "n_sets": len(sets), "design": ", ".join(shape)},
    )
    run.report.add(result, key="matching")
    return data


def _is_pairs(data: pd.DataFrame) -> bool:
    sizes = data.groupby("pair_id")["case"].agg(["size", "sum"])
    return bool(((sizes["size"] == 2) & (sizes["sum"] == 1)).all())


def _analyses(run: _Run, data: pd.DataFrame, cfg: StudyConfig) -> None:
    """Table 1, Table 2 (ρ and ORs), Table 3 and the ROC analysis on the matched data."""
    from . import (
        compare_auc,
        compare_groups,
        logistic_or,
        roc_auc,
        spearman_matrix,
        spearman_outcome,
    )

    pairs = _is_pairs(data)
    inds = _usable_indicators(run, data, cfg.indicators)
    count = NUMBERS.get(len(inds), str(len(inds)))
    _progress(run.progress, "Table 1")
    left_out = {item for step, item, _ in run.skipped if step == "indicator"}
    table1 = [v for v in cfg.table1_variables(data.columns) if v not in left_out]
    run.step(
        "Table 1",
        "table1",
        "Table 1. Patient demographics and OVCF indicators"
        + ("" if pairs else " (unpaired tests; the sets are 1:k)"),
        lambda: compare_groups(
            data, table1, pair="pair_id" if pairs else None, tests=cfg.tests, alpha=cfg.alpha
        ),
    )
    if not inds:
        run.skip("Tables 2–3 and ROC", "", "no indicator can be analysed (see above)")
        return
    _progress(run.progress, "Table 2")
    run.step(
        "Table 2 (Spearman ρ)",
        "table2_rho",
        "Table 2. Spearman correlation of each indicator with OVCF",
        lambda: spearman_outcome(data, inds, alpha=cfg.alpha),
    )
    adjust = [a for a in cfg.adjust if a in data.columns and a not in inds]
    for a in cfg.adjust:
        if a not in data.columns:
            run.skip("Table 2 (ORs)", a, f"no column '{a}': the ORs are not adjusted for it")
        elif a in inds:
            run.skip("Table 2 (ORs)", a, "an indicator itself: the ORs are not adjusted for it")
    conditional = (not pairs) if cfg.conditional is None else cfg.conditional
    kind = "Conditional logistic regression" if conditional else "Logistic regression"
    what = f"adjusted for {', '.join(adjust)}" if adjust else "unadjusted"
    run.step(
        "Table 2 (ORs)",
        "table2_or",
        f"Table 2 (continued). {kind} {what}",
        lambda: logistic_or(
            data,
            inds,
            adjust=adjust,
            model=cfg.or_model,
            conditional=conditional,
            per=cfg.or_per,
            ci=cfg.or_ci,
            method=cfg.or_method,
            alpha=cfg.alpha,
        ),
    )
    _progress(run.progress, "Table 3")
    if len(inds) < 2:  # with one indicator by design, Tables 3 and the comparison do not apply
        if len(cfg.indicators) >= 2:
            run.skip("Table 3 and AUC comparison", "", "fewer than two indicators left")
    else:
        run.step(
            "Table 3",
            "table3",
            f"Table 3. Spearman correlations among the {count} indicators",
            lambda: spearman_matrix(data, inds, adjust=cfg.matrix_adjust, alpha=cfg.alpha),
        )
    _progress(run.progress, "ROC")
    directions = cfg.directions()
    if isinstance(directions, dict):
        directions = {k: v for k, v in directions.items() if k in inds}
    run.step(
        "ROC",
        "fig5",
        f"Fig. 5. ROC curves of the {count} indicators",
        lambda: roc_auc(
            data, inds, direction=directions, ci=cfg.roc_ci, seed=cfg.seed, alpha=cfg.alpha
        ),
    )
    if len(inds) >= 2:
        run.step(
            "AUC comparison",
            "auc_comparison",
            "Pairwise comparison of the AUCs (DeLong)",
            lambda: compare_auc(data, inds, adjust=cfg.auc_adjust, alpha=cfg.alpha),
        )


def _named(source: Any, check: Callable[[], Any]) -> Any:
    """``check()``, its DataError prefixed with the file it came from."""
    try:
        return check()
    except DataError as err:
        if isinstance(source, str | Path):
            raise DataError(f"{source}: {err}") from err
        raise


def _pipeline(
    run: _Run,
    data: pd.DataFrame,
    measurements: pd.DataFrame | None,
    cfg: StudyConfig,
    matched_by: str | None,
    sources: tuple[Any, Any] = (None, None),
) -> None:
    from . import derive_indicators, validate_measurements, validate_patients

    if measurements is not None:
        patients = _named(sources[0], lambda: validate_patients(data))
        _named(sources[1], lambda: validate_measurements(measurements, patients))
        _progress(run.progress, "reliability (ICC)")
        _reliability(run, measurements, cfg.alpha)
        _progress(run.progress, "indicators")
        indicators = derive_indicators(
            patients, measurements, min_vertebrae=cfg.min_vertebrae, fi_weighting=cfg.fi_weighting
        )
        run.report.add(indicators, title="Indicators per patient", key="indicators")
        table = _renamed(indicators.table, cfg)
    else:
        table = _named(sources[0], lambda: _check_patients_table(_renamed(data, cfg)))
    _progress(run.progress, "matching")
    matched = _given_sets(run, table, matched_by) if matched_by else _match(run, table, cfg)
    _analyses(run, matched.copy(), cfg)


def _published(audit: Any) -> pd.DataFrame | None:
    if audit is None or isinstance(audit, pd.DataFrame):
        return audit
    from .readers import read_table

    text = ("source", "item", "statistic", "group", "printed", "relation")
    table = read_table(audit, text=text)
    for col in text:
        if col in table.columns:
            table[col] = table[col].fillna("").astype(str)
    return table


def analyze(
    data: pd.DataFrame | str | Path,
    measurements: pd.DataFrame | str | Path | None = None,
    *,
    config: StudyConfig | None = None,
    matched_by: str | None = None,
    audit: pd.DataFrame | str | Path | None = None,
    sheet: str | int | None = None,
    progress: Progress = None,
) -> Report:
    """Run the study pipeline on your data and return the :class:`~ovcfstats.Report`.

    Parameters
    ----------
    data : DataFrame or path
        With ``measurements``: the patients table of the data contract (README, "Data
        contract"). Without: an indicator table, one row per patient with ``patient_id``,
        ``case`` (1/0), matching variables (default ``age``, ``sex``), covariates and the
        indicator columns. A path is read with :func:`~ovcfstats.readers.read_table` (CSV, Excel,
        SPSS, Stata, Parquet).
    measurements : DataFrame or path, optional
        The long table of raw readings; the indicators are derived from it.
    config : StudyConfig, optional
        The analysis choices, e.g. ``StudyConfig.from_toml("study.toml")``. Defaults: the paper.
    matched_by : str, optional
        Column of matched-set ids of an already matched table (1:1 or 1:k): no matching is done
        and the analyses use these sets. Overrides ``config.matched_by``.
    audit : DataFrame or path, optional
        A paper's printed numbers in the layout of :data:`ovcfstats.PUBLISHED`; adds the audit
        of their internal consistency. Overrides ``config.audit``.
    sheet : str or int, optional
        The Excel sheet of ``data`` (and of ``measurements`` when that is a workbook too).
    progress : callable, optional
        Called with one line per step.

    Returns
    -------
    Report
        Keys, as far as the data allow: ``choices``, ``skipped`` (only when something was left
        out), ``variables``, ``reliability_inter``, ``reliability_intra``, ``indicators`` (raw
        readings), ``matching``, ``table1``, ``table2_rho``, ``table2_or``, ``table3``, ``fig5``,
        ``auc_comparison``, ``audit`` (with ``audit=``).

    Raises
    ------
    DataError
        For data no step can use: a malformed table, or no case with an eligible control
        (the message says which matching options to relax).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ovcfstats import StudyConfig, analyze
    >>> rng = np.random.default_rng(1)
    >>> n = 60
    >>> df = pd.DataFrame({"patient_id": [f"P{i:03d}" for i in range(n)],
    ...                    "case": [1] * 20 + [0] * 40, "age": rng.integers(60, 80, n),
    ...                    "sex": rng.choice(["F", "M"], n), "bmi": rng.normal(23, 3, n).round(1),
    ...                    "hu": rng.normal(110, 30, n).round(1)})
    >>> df.loc[:19, "hu"] -= 30
    >>> cfg = StudyConfig(indicators=("hu",), caliper=5, ratio=2, adjust=())
    >>> report = analyze(df, config=cfg)
    >>> report.keys()[:4]
    ['choices', 'variables', 'matching', 'table1']
    >>> round(float(report["fig5"].table.loc[0, "auc"]), 3) > 0.5
    True
    """
    cfg = config or StudyConfig()
    matched_by = matched_by or cfg.matched_by
    table = _load(data, "data", sheet)
    readings = None
    if measurements is not None:
        excel = isinstance(measurements, str | Path) and Path(measurements).suffix in (".xlsx",)
        readings = _load(measurements, "measurements", sheet if excel else None)
    published = _published(audit if audit is not None else cfg.audit)
    report = Report(cfg.title or "Matched case–control study")
    run = _Run(report, progress)
    report.add(choices(cfg), key="choices")
    report.add(variables_result(cfg, table.columns), key="variables")
    _pipeline(run, table, readings, cfg, matched_by, (data, measurements))
    if published is not None:
        from . import audit_reported

        _progress(progress, "audit of the published numbers")
        run.step(
            "audit", "audit", "Audit of the published statistics",
            lambda: audit_reported(published),
        )  # fmt: skip
    return run.finish()


def reproduce(
    patients: pd.DataFrame | None = None,
    measurements: pd.DataFrame | None = None,
    *,
    config: StudyConfig | None = None,
    progress: Progress = None,
) -> Report:
    """Run the paper's pipeline and return the :class:`~ovcfstats.Report`.

    On the bundled synthetic sample (the default) the report ends with the audit of the
    paper's printed numbers and the *Replication* section (published beside reproduced). With
    your own ``patients`` and ``measurements`` it is :func:`analyze` on raw readings.

    Parameters
    ----------
    patients, measurements : pandas.DataFrame, optional
        The two tables of the data contract; both default to the bundled synthetic sample.
    config : StudyConfig, optional
        The analysis choices (defaults: :class:`StudyConfig`).
    progress : callable, optional
        Called with one line per step (the command line prints them).

    Returns
    -------
    Report
        Keys: ``choices``, ``reliability_inter``, ``reliability_intra``, ``indicators``,
        ``matching``, ``table1``, ``table2_rho``, ``table2_or``, ``table3``, ``fig5``,
        ``auc_comparison`` and, on the sample, ``audit`` and ``replication``.

    Examples
    --------
    >>> from ovcfstats import reproduce
    >>> report = reproduce()  # doctest: +SKIP
    >>> report["fig5"].table[["indicator", "auc"]]  # doctest: +SKIP
    """
    from . import audit_reported, load_sample

    cfg = config or StudyConfig()
    sample = patients is None and measurements is None
    if sample:
        patients, measurements = load_sample()
    elif patients is None or measurements is None:
        raise ValueError("reproduce(): give both `patients` and `measurements`, or neither.")
    title = cfg.title or "OVCF case–control study" + (" — synthetic sample" if sample else "")
    intro = (
        "Synthetic data (data/sample/), generated and calibrated to the published tables; "
        "not patient data."
    )
    report = Report(title, intro=intro if sample else "")
    run = _Run(report, progress)
    report.add(choices(cfg), key="choices")
    _pipeline(run, patients, measurements, cfg, None)
    if sample:
        _progress(progress, "audit of the published numbers")
        report.add(audit_reported(), title="Audit of the paper's published statistics", key="audit")
        report.add(replication(report), key="replication")
    return run.finish()


# -- replication -------------------------------------------------------------------------------
def _p_agrees(value: float, row: pd.Series) -> bool:
    if row["relation"] == "<":
        return bool(value < row["value"])
    return bool((value < 0.05) == (row["value"] < 0.05))


def replication(report: Report) -> ReplicationResult:
    """Published numbers (:data:`ovcfstats.PUBLISHED`) beside the report's reproduced ones."""
    from .paper import PUBLISHED

    reproduced = _reproduced(report)
    rows = []
    for _, pub in PUBLISHED.iterrows():
        key = (pub["source"], pub["item"], pub["statistic"], pub["group"])
        if key not in reproduced:
            continue
        value, note = reproduced[key]
        stat = pub["statistic"]
        if stat in ("p", "p_rho", "p_or"):
            agrees = _p_agrees(value, pub)
        elif stat in ("mean", "sd", "count", "percent"):
            agrees = _agrees(value, pub)
        elif stat == "rho":
            agrees = bool(abs(value - pub["value"]) <= 0.05)
        elif stat == "min":  # "all above 0.8"
            agrees = bool(value > pub["value"])
        elif stat == "auc":
            agrees = bool(abs(value - pub["value"]) <= 0.03)
        else:
            agrees = None
        rows.append(
            {
                "source": pub["source"],
                "item": label(pub["item"].split("~")[0])
                + ("–" + label(pub["item"].split("~")[1]) if "~" in pub["item"] else ""),
                "statistic": stat,
                "group": pub["group"],
                "published": pub["printed"],
                "reproduced": value,
                "difference": value - pub["value"],
                "agrees": agrees,
                "note": note,
            }
        )
    table = pd.DataFrame(rows)
    table["agrees"] = table["agrees"].astype(object)
    explain = _explanations(report["audit"].table)
    for i, row in table.iterrows():
        if row["agrees"] is False:
            reason = explain(row["statistic"], row["item"], row["source"])
            table.at[i, "note"] = "; ".join(filter(None, [row["note"], reason]))
    return ReplicationResult(table=table)


def _explanations(audit: pd.DataFrame) -> Callable[[str, str, str], str]:
    """Why a published number cannot be matched: the audit findings that bear on it."""
    found = audit[~audit["consistent"].astype(bool)]

    def finding(check: str, item: str | None = None) -> str:
        rows = found[found["check"] == check]
        if item is not None:
            rows = rows[rows["item"] == item]
        texts = [f"audit '{r.check}' ({r.item}): {r.recomputed}" for r in rows.itertuples()]
        return "; ".join(dict.fromkeys(texts))

    def explain(statistic: str, item: str, source: str) -> str:
        key = {v: k for k, v in LABELS.items()}.get(item, item)
        if statistic in ("mean", "sd") and key == "age":
            t = audit[(audit["check"] == "t-test p") & (audit["item"] == "age")]
            return "1:1 matching within the caliper makes the groups' ages nearly equal; " + (
                t["detail"].iloc[0] if len(t) else ""
            )
        if statistic == "rho":
            parts = [finding("matrix positive semidefinite")]
            if "–" in item:
                parts.append(finding("matrix entries in [−1, 1]"))
            return "the published ρ's cannot all hold at once: " + "; ".join(filter(None, parts))
        if statistic == "auc":
            return finding("ρ ↔ AUC", "vbq") + "; " + finding("binormal AUC", "vbq")
        if statistic == "p_or":
            return "ORs depend on unstated model choices; " + (
                finding("CI vs p", key) or "the printed OR, CI and p agree"
            )
        return ""

    return explain


def _reproduced(report: Report) -> dict[tuple[str, str, str, str], tuple[float, str]]:
    """(source, item, statistic, group) -> (reproduced value, note)."""
    out: dict[tuple[str, str, str, str], tuple[float, str]] = {}
    t1 = report["table1"].table
    groups = {"cases": "1", "controls": "0"}
    swapped = "the paper's FI columns read as swapped (see the audit)"
    for _, r in t1.iterrows():
        var = r["variable"]
        if r["kind"] == "continuous":
            for group, g in groups.items():
                source_group = group
                note = ""
                if var == "fi":
                    source_group = "controls" if group == "cases" else "cases"
                    note = swapped
                for stat in ("mean", "sd"):
                    out[("Table 1", var, stat, source_group)] = (float(r[f"{stat}_{g}"]), note)
            out[("Table 1", var, "p", "")] = (float(r["p"]), r["test"])
        elif var in COMORBIDITIES and str(r["level"]) == "1":
            for group, g in groups.items():
                out[("Table 1", var, "count", group)] = (float(r[f"count_{g}"]), "")
            out[("Table 1", var, "p", "")] = (float(r["p"]), r["test"])
        elif var == "sex" and str(r["level"]) == "F":
            for group, g in groups.items():
                out[("Table 1", "female", "count", group)] = (float(r[f"count_{g}"]), "")
    for _, r in report["table2_rho"].table.iterrows():
        out[("Table 2", r["indicator"], "rho", "")] = (float(r["rho"]), "")
        out[("Table 2", r["indicator"], "p_rho", "")] = (float(r["p"]), "")
    for _, r in report["table2_or"].table.iterrows():
        note = f"per {r['per']}, {r['model']} model"
        out[("Table 2", r["indicator"], "or", "")] = (float(r["or"]), note)
        out[("Table 2", r["indicator"], "or_ci_low", "")] = (float(r["ci_low"]), note)
        out[("Table 2", r["indicator"], "or_ci_high", "")] = (float(r["ci_high"]), note)
        out[("Table 2", r["indicator"], "p_or", "")] = (float(r["p"]), note)
    rho = report["table3"].rho
    for i, a in enumerate(rho.index):
        for b in rho.columns[i + 1 :]:  # the upper triangle; the paper prints both
            out[("Table 3", f"{a}~{b}", "rho", "")] = (float(rho.loc[a, b]), "")
    auc = report["fig5"].table.set_index("indicator")
    if "vbq" in auc.index:
        out[("Results text", "vbq", "auc", "")] = (float(auc.loc["vbq", "auc"]), "")
    levels = report["indicators"].table
    if "fracture_level" in levels.columns:
        counts = levels.loc[levels["case"] == 1, "fracture_level"].value_counts()
        for level, n in counts.items():
            out[("Table 1", f"fracture {level}", "count", "cases")] = (float(n), "")
    icc = pd.concat([report[k].table for k in ("reliability_inter", "reliability_intra")])
    out[("Results text", "icc", "min", "")] = (float(np.min(icc["icc"])), "lowest ICC")
    return out
