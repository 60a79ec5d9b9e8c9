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

from ._readings import Readings
from ._results import OvcfWarning, Result
from ._validate import DataError, describe_ids
from .config import StudyConfig, settings_table
from .inputs import (
    check_patients_table,
    given_sets,
    is_pairs,
    load,
    named,
    published_table,
    renamed,
)
from .report import Report

__all__ = ["SkippedStepWarning", "StudyConfig", "analyze", "reproduce"]

FUNC = "analyze"
Progress = Callable[[str], None] | bool | None
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


def _shown(cfg: StudyConfig) -> dict[str, dict[str, Any]]:
    """The label, unit and decimals of each variable of the study, for the report."""
    return {
        name: {k: spec[k] for k in ("label", "unit", "decimals")}
        for name, spec in cfg.variables.items()
    }


def _bar(progress: Progress, readings: bool, audit: bool) -> tuple[Any, bool]:
    """``progress=True``: a :class:`~ovcfstats.ProgressBar` over the steps of this run (and
    whether this call made it, so closes it)."""
    if progress is True:
        from ._progress import ProgressBar, study_steps

        return ProgressBar(study_steps(readings=readings, audit=audit)), True
    return progress or None, False


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

    def step(
        self,
        name: str,
        key: str,
        title: str,
        compute: Callable[[], Result],
        figure_caption: str = "",
    ) -> Any:
        """Add ``compute()`` under ``key``, or record ``name`` as skipped with the error."""
        try:
            result = compute()
        except (DataError, ValueError, np.linalg.LinAlgError) as err:
            self.skip(name, "", str(err))
            return None
        except Exception as err:  # one failing step must not take the others with it
            self.skip(name, "", f"unexpected error, please report it: {type(err).__name__}: {err}")
            return None
        self.report.add(result, title=title, key=key, figure_caption=figure_caption)
        return result

    def finish(self) -> Report:
        if self.skipped:
            table = pd.DataFrame(self.skipped, columns=["step", "item", "reason"])
            self.report.add(SkippedResult(table=table), key="skipped")
            moved = self.report.items.pop()  # shown right after the choices
            position = 1 if self.report.items and self.report.items[0].key == "choices" else 0
            self.report.items.insert(position, moved)
        return self.report


def _reliability(run: _Run, measurements: Readings, cfg: StudyConfig) -> None:
    """Inter- and intra-rater ICCs (and agreement); what the data cannot give is skipped."""
    from .design.readings import agreement_section
    from .raters import DEFAULT_MEASURES, reliability

    alpha = cfg.alpha

    present = set(measurements.combos["measure"])
    measures = [m for m in DEFAULT_MEASURES if m in present]
    for kind in ("inter", "intra"):
        name = f"{kind}-rater reliability"
        if not measures:
            run.skip(name, "", "no rated measure in the measurements table")
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = reliability(measurements, measures=measures, kind=kind, alpha=alpha)
            except DataError as err:
                run.skip(name, "", str(err))
                continue
        for w in caught:  # a skipped measure is reported once, as a skipped step
            if "ICC skipped" not in str(w.message):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        skipped = result.skipped
        if len(result.table) == 0:
            reasons = "; ".join(dict.fromkeys(skipped["reason"].astype(str)))
            run.skip(name, "", reasons or "no measure could be computed")
            continue
        for row in skipped.itertuples(index=False):
            run.skip(name, str(row.measure), str(row.reason))
        run.report.add(result, title=f"Reliability ({kind}-rater ICC)", key=f"reliability_{kind}")
        if cfg.agreement:
            ok = [m for m in measures if m in set(result.table["measure"])]
            run.step(
                f"{kind}-rater agreement",
                f"agreement_{kind}",
                f"Agreement ({kind}-rater): Bland–Altman limits and Lin's CCC",
                lambda ok=ok, kind=kind: agreement_section(
                    measurements, measures=ok, kind=kind, alpha=alpha
                ),
                figure_caption=f"Bland–Altman plots of the {kind}-rater readings per measure: "
                "difference against mean, with the bias and the limits of agreement (dashed) "
                f"and their {100 * (1 - alpha):g}% confidence intervals (shaded).",
            )


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
    try:
        matching = match_controls(
            table, exact=exact, caliper=calipers, method=cfg.method, seed=cfg.seed, ratio=cfg.ratio
        )
    except DataError as err:
        if "no case has an eligible control" not in str(err):
            raise
        raise DataError(
            f"{err} On the command line: --caliper (e.g. --caliper 5) and --exact (e.g. --exact "
            "none); in the study file: caliper and exact under [matching]."
        ) from None
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


def _analyses(run: _Run, data: pd.DataFrame, cfg: StudyConfig) -> None:
    """Table 1, Table 2 (ρ and ORs), Table 3 and the ROC analysis on the matched data."""
    from . import (
        compare_auc,
        logistic_or,
        roc_auc,
        spearman_matrix,
        spearman_outcome,
    )

    pairs = is_pairs(data)
    inds = _usable_indicators(run, data, cfg.indicators)
    count = NUMBERS.get(len(inds), str(len(inds)))
    _progress(run.progress, "Table 1")
    left_out = {item for step, item, _ in run.skipped if step == "indicator"}
    table1 = [v for v in cfg.table1_variables(data.columns) if v not in left_out]
    run.step(
        "Table 1",
        "table1",
        "Table 1. Patient demographics and OVCF indicators",
        lambda: _table1(data, table1, cfg),
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
    names = [cfg.variable(a)["label"] for a in adjust]
    names = [n if n.isupper() else n.lower() for n in names]
    what = f"adjusted for {', '.join(names)}" if adjust else "unadjusted"
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
        figure_caption=f"ROC curves of the {count} indicators for OVCF, with the AUC "
        f"({100 * (1 - cfg.alpha):g}% CI) of each and its Youden cut-off (dot).",
    )
    if len(inds) >= 2:
        run.step(
            "AUC comparison",
            "auc_comparison",
            "Pairwise comparison of the AUCs (DeLong)",
            lambda: compare_auc(data, inds, adjust=cfg.auc_adjust, alpha=cfg.alpha),
        )
    _design(run, data, cfg, inds, adjust, pairs)


def _table1(data: pd.DataFrame, variables: list[str], cfg: StudyConfig) -> Result:
    """Table 1; a variable matched on exactly has no within-set test by design (no warning)."""
    from . import compare_groups
    from ._results import DegenerateDataWarning

    with warnings.catch_warnings():
        for v in cfg.exact:
            warnings.filterwarnings(
                "ignore", f".*'{v}' does not vary within any matched set", DegenerateDataWarning
            )
        return compare_groups(data, variables, pair="pair_id", tests=cfg.tests, alpha=cfg.alpha)


def _design(
    run: _Run,
    data: pd.DataFrame,
    cfg: StudyConfig,
    inds: list[str],
    adjust: list[str],
    pairs: bool,
) -> None:
    """The optional post-hoc power and combined-model sections (study file [design])."""
    from .design.combined import combined_model
    from .design.posthoc import sample_size_section

    items = {item.key: item.result for item in run.report.items}
    if cfg.sample_size and "fig5" in items:
        n_sets = int(data["pair_id"].nunique()) if "pair_id" in data.columns else None
        run.step(
            "sample size",
            "sample_size",
            "Post-hoc power and sample size at the observed AUCs and ORs",
            lambda: sample_size_section(
                items["fig5"],
                odds_ratios=items.get("table2_or"),
                n_sets=n_sets,
                controls_per_case=cfg.ratio,
                alpha=cfg.alpha,
            ),
        )
    if cfg.combined:
        missing = [i for i in cfg.combined if i not in inds]
        if missing:
            run.skip("combined model", ", ".join(missing), "not among the analysed indicators")
            return
        covariates = [a for a in adjust if not (pairs and a in cfg.exact)]
        run.step(
            "combined model",
            "combined",
            f"Combined model of {', '.join(cfg.variable(i)['label'] for i in cfg.combined)}",
            lambda: combined_model(
                data,
                list(cfg.combined),
                covariates=covariates,
                n_boot=cfg.n_boot,
                seed=cfg.boot_seed,
                alpha=cfg.alpha,
            ),
        )


def _pipeline(
    run: _Run,
    data: pd.DataFrame,
    measurements: pd.DataFrame | None,
    cfg: StudyConfig,
    matched_by: str | None,
    sources: tuple[Any, Any] = (None, None),
) -> None:
    from .schema import ranges_in_force

    with ranges_in_force(cfg.ranges):  # the study file's [ranges] hold for every step
        _steps(run, data, measurements, cfg, matched_by, sources)


def _steps(
    run: _Run,
    data: pd.DataFrame,
    measurements: pd.DataFrame | None,
    cfg: StudyConfig,
    matched_by: str | None,
    sources: tuple[Any, Any],
) -> None:
    from . import derive_indicators, scan_readings, validate_patients

    if measurements is not None:
        patients = named(sources[0], lambda: validate_patients(data))
        _progress(run.progress, "reading and checking the readings")
        readings = named(sources[1], lambda: scan_readings(measurements, patients))
        _progress(run.progress, "indicators")
        # before the reliability step codes the readings for its matrices: a lower peak
        indicators = derive_indicators(
            patients, readings, min_vertebrae=cfg.min_vertebrae, fi_weighting=cfg.fi_weighting
        )
        _progress(run.progress, "reliability (ICC)")
        _reliability(run, readings, cfg)
        run.report.add(indicators, title="Indicators per patient", key="indicators", appendix=True)
        table = renamed(indicators.table, cfg)
    else:
        table = named(sources[0], lambda: check_patients_table(renamed(data, cfg)))
    _progress(run.progress, "matching")
    if matched_by:
        matched, sets = given_sets(table, matched_by)
        run.report.add(sets, key="matching")
    else:
        matched = _match(run, table, cfg)
    _analyses(run, matched.copy(), cfg)


def _scanned(measurements: Any) -> bool:
    """Read by DuckDB straight from disk (a Parquet or comma/tab CSV file, DuckDB installed)."""
    from ._readings import Readings, choose_engine, scannable

    if isinstance(measurements, Readings):
        return True
    return scannable(measurements) is not None and choose_engine("auto", measurements) == "duckdb"


def analyze(
    data: pd.DataFrame | str | Path,
    measurements: pd.DataFrame | str | Path | Readings | None = None,
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
    measurements : DataFrame, path or Readings, optional
        The long table of raw readings; the indicators are derived from it. It is validated and
        coded once (:func:`~ovcfstats.scan_readings`) for reliability, agreement and indicators;
        a Parquet file (or glob) or a comma/tab CSV is read by DuckDB straight from disk when
        ``ovcfstats[scale]`` is installed, so registry-size tables need not fit in memory.
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
    progress : bool or callable, optional
        ``True``: a progress bar over the steps with the time so far (in place in a notebook
        or a terminal, :class:`~ovcfstats.ProgressBar`); a callable is called with the name of
        each step as it starts.

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
    table = load(data, "data", sheet)
    readings = measurements
    if measurements is not None and not _scanned(measurements):
        excel = isinstance(measurements, str | Path) and Path(measurements).suffix in (".xlsx",)
        readings = load(measurements, "measurements", sheet if excel else None)
    published = published_table(audit if audit is not None else cfg.audit)
    progress, own = _bar(progress, readings is not None, published is not None)
    report = Report(cfg.title or "Matched case–control study", variables=_shown(cfg))
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
    if own:
        progress.close()
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
    progress : bool or callable, optional
        As in :func:`analyze`: ``True`` shows a progress bar.

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
    report = Report(title, intro=intro if sample else "", variables=_shown(cfg))
    progress, own = _bar(progress, True, sample)
    run = _Run(report, progress)
    report.add(choices(cfg), key="choices")
    _pipeline(run, patients, measurements, cfg, None)
    if sample:
        _progress(progress, "audit of the published numbers")
        report.add(audit_reported(), title="Audit of the paper's published statistics", key="audit")
        from .replication import replication

        report.add(replication(report), key="replication")
    if own:
        progress.close()
    return run.finish()
