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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from .._results import Result
from .._validate import DataError
from ..data._readings import Readings
from ..report import Report
from ._run import Progress, SkippedStepWarning, _bar, _progress, _Run
from ._steps import _pipeline
from .config import StudyConfig, settings_table
from .inputs import load, mapped, published_table

__all__ = ["SkippedStepWarning", "StudyConfig", "analyze", "reproduce"]


@dataclass(frozen=True, eq=False)
class ChoicesResult(Result):
    """The analysis choices: ``setting``, ``value``, ``meaning``."""

    title: ClassVar[str] = "Analysis choices"


@dataclass(frozen=True, eq=False)
class VariablesResult(Result):
    """The analysed variables: ``variable``, ``label``, ``unit``, ``decimals``,
    ``expected_direction``, ``column``, ``role``."""

    title: ClassVar[str] = "Variables"


def choices(config: StudyConfig, paper: bool = False) -> ChoicesResult:
    """The config as a report section (``paper``: with what the paper says of each choice)."""
    rows = settings_table(config, paper)
    table = pd.DataFrame(rows, columns=["setting", "value", "meaning"])
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


def _deidentified_note() -> str:
    from ._deidentify import NOTE

    return NOTE


def _scanned(measurements: Any) -> bool:
    """Read by DuckDB straight from disk (a Parquet or comma/tab CSV file, DuckDB installed)."""
    from ..data._duckdb import scannable
    from ..data._readings import Readings, choose_engine

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
    deidentify: bool = False,
) -> Report:
    """Run the study pipeline on your data and return the :class:`~ovcfstats.Report`.

    Parameters
    ----------
    data : DataFrame or path
        With ``measurements``: the patients table of the data contract (README, "Data
        contract"). Without: an indicator table, one row per patient with ``patient_id``,
        ``case`` (1/0), matching variables (default ``age``, ``sex``), covariates and the
        indicator columns. A path is read with :func:`~ovcfstats.read_table` (CSV, Excel, SPSS,
        Stata, Parquet). With ``config.mapping`` (the study file's ``[mapping]``, written by
        ``ovcfstats map``) and no ``measurements``: a wide table, one row per patient, whose
        columns the mapping reads as patient fields and raw readings, or as indicators
        (:func:`~ovcfstats.read_wide`); a workbook's sheets are read as the mapping names them.
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
    deidentify : bool
        Replace the patient IDs by study codes (``P0001``, ... in the order of the input
        table) and leave out date columns and text columns the analysis does not use, before
        any step runs: no original ID, date or free text reaches any part of the report
        (tables, notes, Excel, Word, figures). Error messages still name the original IDs.

    Returns
    -------
    Report
        Keys, as far as the data allow: ``choices``, ``skipped`` (only when something was left
        out), ``variables``, ``recoding`` (a wide table mapped by ``config.mapping``: the cells
        recoded or blanked per column), ``reliability_inter``, ``reliability_intra``,
        ``indicators`` (raw readings), ``matching``, ``missing`` (missing values per variable,
        their patterns and the patients each analysis kept), ``table1``, ``table2_rho``,
        ``table2_or``, ``table3``, ``fig5``, ``auc_comparison``, ``audit`` (with ``audit=``).

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
    >>> report.keys()[:5]
    ['choices', 'variables', 'matching', 'missing', 'table1']
    >>> round(float(report["fig5"].table.loc[0, "auc"]), 3) > 0.5
    True
    """
    cfg = config or StudyConfig()
    matched_by = matched_by or cfg.matched_by
    recoding = None
    if cfg.mapping and measurements is None:  # a wide table: its columns as the study maps them
        table, measurements, recoding = mapped(data, cfg, sheet)
    else:
        table = load(data, "data", sheet)
    readings = measurements
    if measurements is not None and (deidentify or not _scanned(measurements)):
        excel = isinstance(measurements, str | Path) and Path(measurements).suffix in (".xlsx",)
        readings = load(measurements, "measurements", sheet if excel else None)
    codes = None
    if deidentify:
        from ._deidentify import deidentify as code_inputs

        table, readings, codes = code_inputs(table, readings, cfg, matched_by)
    published = published_table(audit if audit is not None else cfg.audit)
    progress, own = _bar(progress, readings is not None, published is not None)
    intro = _deidentified_note() if deidentify else ""
    report = Report(
        cfg.title or "Matched case–control study", intro, variables=_shown(cfg), titles=cfg.titles
    )
    run = _Run(report, progress)
    report.add(choices(cfg), key="choices")
    report.add(variables_result(cfg, table.columns), key="variables")
    if recoding is not None:
        report.add(recoding, key="recoding")
    try:
        _pipeline(run, table, readings, cfg, matched_by, (data, measurements))
    except DataError as err:
        if codes is None:
            raise
        raise DataError(codes.restore(str(err))) from None
    if published is not None:
        from ..audit import audit_reported

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
    deidentify: bool = False,
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
        The analysis choices (defaults: :class:`StudyConfig`); ``paper_choices`` is always on
        (the paper's analyses of the matched data).
    progress : bool or callable, optional
        As in :func:`analyze`: ``True`` shows a progress bar.
    deidentify : bool
        As in :func:`analyze`: study codes for the patient IDs, no dates or free text.

    Returns
    -------
    Report
        Keys: ``choices``, ``reliability_inter``, ``reliability_intra``, ``indicators``,
        ``matching``, ``missing``, ``table1``, ``table2_rho``, ``table2_or``, ``table3``,
        ``fig5``, ``auc_comparison`` and, on the sample, ``audit`` and ``replication``.

    Examples
    --------
    >>> from ovcfstats import reproduce
    >>> report = reproduce()  # doctest: +SKIP
    >>> report["fig5"].table[["indicator", "auc"]]  # doctest: +SKIP
    """
    from ..audit import audit_reported
    from ..datasets import load_sample
    from .config import _replace

    cfg = _replace(config or StudyConfig(), paper_choices=True)  # the paper's analyses
    sample = patients is None and measurements is None
    if sample:
        patients, measurements = load_sample()
    elif patients is None or measurements is None:
        raise ValueError("reproduce(): give both `patients` and `measurements`, or neither.")
    title = cfg.title or "OVCF case–control study" + (" — synthetic sample" if sample else "")
    intro = (
        "Synthetic data (the bundled sample), generated and calibrated to the published tables; "
        "not patient data."
    )
    intro = intro if sample else ""
    codes = None
    if deidentify:
        from ._deidentify import deidentify as code_inputs

        patients, measurements, codes = code_inputs(patients, measurements, cfg)
        intro = f"{intro} {_deidentified_note()}".strip()
    report = Report(title, intro=intro, variables=_shown(cfg), titles=cfg.titles)
    progress, own = _bar(progress, True, sample)
    run = _Run(report, progress, paper=True)
    report.add(choices(cfg, paper=True), key="choices")
    try:
        _pipeline(run, patients, measurements, cfg, None)
    except DataError as err:
        if codes is None:
            raise
        raise DataError(codes.restore(str(err))) from None
    if sample:
        _progress(progress, "audit of the published numbers")
        report.add(audit_reported(), title="Audit of the paper's published statistics", key="audit")
        from ..audit.replication import replication

        report.add(replication(report), key="replication")
    if own:
        progress.close()
    return run.finish()
