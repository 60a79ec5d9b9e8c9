"""The study's inter- and intra-rater reliability table, from the long ``measurements`` table.

Each measure's ratings become an n × k matrix (targets × raters, or × sessions for intra-rater
reliability) whose six ICCs are computed by :func:`~ovcfstats.icc`'s core, identical to
``psych::ICC(x, lmer = FALSE)``. What the data cannot give (one rater, no repeat readings, too
few targets) is skipped with its reason rather than aborting the table. The unit of analysis is
the region of interest or the patient (the mean of the patient's ROIs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._results import Result, SmallSampleWarning, concat_excluded, make_excluded, warn
from .._validate import DataError, check_alpha, check_frame, check_option
from ..data._readings import Readings, _validated
from ._icc import CONVENTIONS, FORM_NAMES, FORMS, IccResult, compute, icc, widen
from ._raters_codes import _design, _per_patient

__all__ = ["FORMS", "FORM_NAMES", "IccResult", "ReliabilityResult", "icc", "reliability"]

KINDS = ("inter", "intra")
#: unit of analysis of :func:`reliability`: each region of interest, or each patient's mean
UNITS = ("roi", "patient", "both")
DEFAULT_MEASURES = ("hu", "si_vertebra", "si_csf", "csa_muscle", "csa_disc", "fat_fraction")


# -- result ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ReliabilityResult(Result):
    """The study's reliability table: one ICC form per measure (and unit), inter- or intra-rater.

    ``.table``: ``measure``, ``kind``, ``unit`` (``"roi"`` or ``"patient"``), ``form``,
    ``description``, ``icc``, ``ci_low``, ``ci_high``, ``F``, ``df1``, ``df2``, ``p``,
    ``n_targets``, ``n_rois``, ``n_raters``, ``n_excluded``.
    ``.details``: all six forms per measure and unit (the :class:`IccResult` tables stacked).
    ``.skipped``: the measures (and units) whose ICC could not be computed, with the reason
    (``measure``, ``kind``, ``unit``, ``reason``); they are also in ``.excluded`` and the notes.
    """

    details: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)

    title: ClassVar[str] = "Reliability (ICC)"
    has_plot: ClassVar[bool] = False

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"table": self.table.copy(), "all forms": self.details.copy()}
        if len(self.skipped):
            out["skipped"] = self.skipped.copy()
        return out

    def notes(self) -> list[str]:
        s = self.settings
        if s["kind"] == "inter":
            design = (
                "Inter-rater: each rater's first session (session 1); a target is one region of "
                "interest (patient × measure × level × muscle × side), the raters are the columns."
            )
        else:
            design = (
                "Intra-rater: sessions 1 and 2 of the same rater; a target is one region of "
                "interest re-read by a rater (patient × measure × level × muscle × side × rater), "
                "the sessions are the columns; later sessions are not used."
            )
        form = {f[0]: f for f in FORMS}[s["form"]]
        lines = [design, *_unit_notes(s.get("unit", "roi"), s["kind"])]
        lines += [f"Form reported: {form[0]} = {form[1]}, {form[2]}.", CONVENTIONS]
        lines += [
            "SEM = SD·√(1 − ICC), SD of all the ratings pooled over targets and raters (or "
            "sessions); MDC95 = 1.96·√2·SEM, the smallest change in one patient beyond "
            "measurement error at 95 % (Weir 2005); both in the measure's unit."
        ]
        lines += [f"Warning: {w}" for w in self.warnings]
        if len(self.excluded):
            dropped = self.excluded[self.excluded["id"] != SKIPPED_ID]
            counts = dropped.groupby("variable", sort=False).size()
            lines += [
                f"Excluded: {n} target(s) of {m} with an incomplete set of ratings "
                "(listed in .excluded)"
                for m, n in counts.items()
            ]
        return lines


def _unit_notes(unit: str, kind: str) -> list[str]:
    """What one target is: the ROI (pseudo-replication caveat) or the patient's mean."""
    roi = (
        "Unit of analysis 'roi': every region of interest is a target, so a patient contributes "
        "several correlated targets and df = n_ROIs − 1 overstates the independent information "
        "(pseudo-replication); the 'patient' rows average each patient's ROIs first."
    )
    who = "rater" if kind == "inter" else "session (per rater)"
    patient = (
        f"Unit of analysis 'patient': each {who}'s readings are averaged over the patient's ROIs "
        "with a complete set of ratings, and the patient"
        + (" (× rater)" if kind == "intra" else "")
        + " is the target: n and df count patients, not ROIs."
    )
    return {"roi": [roi], "patient": [patient], "both": [roi, patient]}[unit]


#: ``id`` of the ``.excluded`` row of a measure whose ICC was skipped as a whole
SKIPPED_ID = "(all targets)"


# -- the study's table ------------------------------------------------------------------------


def _roi_label(frame: pd.DataFrame) -> pd.Series:
    """``"L3"`` or ``"L3-4 PM R"``: the ROI of a reading, for exclusion reasons."""
    roi = frame["level"].astype(str)
    has_muscle = frame["muscle"] != ""
    roi = roi.where(~has_muscle, roi + " " + frame["muscle"].astype(str))
    has_side = frame["side"] != ""
    return roi.where(~has_side, roi + " " + frame["side"].astype(str))


def _row(measure: str, kind: str, unit: str, form: str, table: pd.DataFrame, **counts) -> dict:
    row = table.set_index("type").loc[form]
    return {
        "measure": measure,
        "kind": kind,
        "unit": unit,
        "form": form,
        "description": f"{row['mcgraw_wong']}: {row['description']}",
        "icc": row["icc"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "F": row["F"],
        "df1": int(row["df1"]),
        "df2": int(row["df2"]),
        "p": row["p"],
        **counts,
    }


def _sem(y: np.ndarray, table: pd.DataFrame, form: str) -> dict:
    """SEM = SD·√(1 − ICC), SD of all the ratings pooled (every target × rater or session,
    ddof 1; Weir 2005), and MDC95 = 1.96·√2·SEM, in the measure's own unit."""
    icc = float(table.set_index("type").loc[form, "icc"])
    sd = float(np.std(np.asarray(y, dtype=float), ddof=1))
    sem = sd * np.sqrt(max(1.0 - icc, 0.0))
    return {"sd": sd, "sem": sem, "mdc95": 1.96 * np.sqrt(2.0) * sem}


TABLE_COLUMNS = (
    "measure",
    "kind",
    "unit",
    "form",
    "description",
    "icc",
    "ci_low",
    "ci_high",
    "F",
    "df1",
    "df2",
    "p",
    "n_targets",
    "n_rois",
    "n_raters",
    "n_excluded",
    "sd",
    "sem",
    "mdc95",
)
#: measures without a rater (the DXA read-out): never an ICC
UNRATED = ("t_score",)


def reliability(
    measurements: pd.DataFrame | Readings,
    *,
    measures: Sequence[str] = DEFAULT_MEASURES,
    kind: str = "inter",
    form: str = "ICC2",
    alpha: float = 0.05,
    unit: str = "roi",
) -> ReliabilityResult:
    """The study's reliability table from the long ``measurements`` table.

    A target is one region of interest (patient × measure × level × muscle × side), or with
    ``unit="patient"`` one patient (the mean of that patient's ROIs).

    - ``kind="inter"``: each rater's first session; the raters are the columns.
    - ``kind="intra"``: the ROIs a rater read twice; session 1 and session 2 of the same rater
      are the columns (later sessions are not used). With several raters re-reading, their
      (ROI, rater) targets are pooled.

    What cannot be computed is skipped, not fatal: a measure with no rated readings, read by
    one rater only (inter), without repeat readings (intra), or with fewer than 2 complete
    targets gets no row; it is listed in ``.skipped`` and ``.excluded`` with the reason, named
    in the notes, and a :class:`~ovcfstats.SmallSampleWarning` is issued.

    Parameters
    ----------
    measurements : pandas.DataFrame or Readings
        The long measurements table (validated here with
        :func:`~ovcfstats.validate_measurements`), or the readings of
        :func:`~ovcfstats.scan_readings` (validated and coded once for every step).
    measures : sequence of str
        The measures to report, one row each (DXA ``t_score`` has no rater and is not rated).
    kind : {"inter", "intra"}, default "inter"
    form : {"ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"}, default "ICC2"
        The form reported in ``.table``. The paper's design — two investigators reading every
        image, agreement of single readings expected — calls for ICC2 = ICC(A,1): two-way
        random effects, absolute agreement, single rater. All six forms are in ``.details``.
    alpha : float, default 0.05
    unit : {"roi", "patient", "both"}, default "roi"
        The unit of analysis. ``"roi"``: every region of interest is a target (as the paper:
        7,487 muscle ROIs from 312 patients give df = 7,486, with correlated ROIs within a
        patient). ``"patient"``: each rater's (or session's) readings are first averaged over
        the patient's ROIs that have a complete set of ratings, and the patient (× rater, for
        intra) is the target, so n and df count patients. ``"both"``: two rows per measure.

    Returns
    -------
    ReliabilityResult
        ``.table`` with one row per measure and unit: ``measure``, ``kind``, ``unit``,
        ``form``, ``description``, ``icc``, ``ci_low``, ``ci_high``, ``F``, ``df1``, ``df2``,
        ``p``, ``n_targets``, ``n_rois`` (ROIs behind the targets), ``n_raters``,
        ``n_excluded``, ``sd`` (of all the ratings pooled), ``sem`` = sd·√(1 − icc) and
        ``mdc95`` = 1.96·√2·sem. Targets without a complete set of ratings are dropped and
        listed in ``.excluded`` (``id`` = patient_id, ``variable`` = measure, ``reason`` with
        the ROI and the missing raters or sessions).

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import reliability
    >>> rows = [("P1", "L1", "R1", 1, 100.0), ("P1", "L1", "R2", 1, 104.0),
    ...         ("P2", "L1", "R1", 1, 60.0), ("P2", "L1", "R2", 1, 61.0),
    ...         ("P3", "L1", "R1", 1, 140.0), ("P3", "L1", "R2", 1, 139.0),
    ...         ("P4", "L1", "R1", 1, 90.0)]
    >>> m = pd.DataFrame(rows, columns=["patient_id", "level", "rater", "session", "value"])
    >>> m = m.assign(measure="hu", muscle="", side="")
    >>> res = reliability(m, measures=["hu"])
    >>> res.table[["measure", "unit", "form", "icc", "n_targets", "n_excluded"]].round(4)
      measure unit  form     icc  n_targets  n_excluded
    0      hu  roi  ICC2  0.9981          3           1
    >>> res.excluded["reason"].tolist()
    ['L1: one rating only, 1 of 2 missing (R2)']
    """
    from ..data.schema import MEASURES

    func = "reliability"
    if not isinstance(measurements, Readings):
        check_frame(measurements, func, "measurements")
    check_option(kind, KINDS, func, "kind")
    check_option(form, FORM_NAMES, func, "form")
    check_option(unit, UNITS, func, "unit")
    alpha = check_alpha(alpha, func)
    if isinstance(measures, str):
        measures = (measures,)
    measures = tuple(measures)
    if not measures:
        raise ValueError(f"`measures` of {func}() must name at least one measure.")
    for measure in measures:
        check_option(measure, tuple(MEASURES), func, "measures")
        if measure in UNRATED:
            raise DataError(
                f"{func}(): no readings by a named rater for measure '{measure}' in column "
                "'measure' (the DXA read-out has no rater). Remove it from `measures=`."
            )
    codes = _validated(measurements)
    units = ("roi", "patient") if unit == "both" else (unit,)
    rows, details, excluded, notes, skipped = [], [], [], [], []

    def skip(measure: str, which: Sequence[str], reason: str) -> None:
        for u in which:
            skipped.append({"measure": measure, "kind": kind, "unit": u, "reason": reason})
        warn(notes, f"{measure}: {kind}-rater ICC skipped — {reason}.", SmallSampleWarning)
        excluded.append(make_excluded([SKIPPED_ID], measure, f"ICC skipped: {reason}"))

    for measure in measures:
        design = _design(codes, measure, kind)
        if isinstance(design, str):
            skip(measure, units, design)
            continue
        column = design.column
        try:
            wide = widen(
                design.t_codes,
                np.arange(len(design.first)),
                design.r_codes,
                design.r_labels,
                codes.value[design.rows],
                func=func,
                target_name=f"{measure} target",
                rater_name=column,
                ratings_name="value",
                nan_policy="omit",
            )
        except DataError as err:  # too few complete targets
            skip(measure, units, str(err).removeprefix(f"{func}(): ").rstrip("."))
            continue
        dropped = codes.labels(design.first[wide.incomplete.astype(int)])
        roi = _roi_label(dropped)
        if kind == "intra":
            roi = roi + " (rater " + dropped["rater"].astype(str) + ")"
        reasons = [f"{r}: {why}" for r, why in zip(roi, wide.reasons, strict=True)]
        excluded.append(make_excluded(list(dropped["patient_id"]), measure, reasons))
        for u in units:
            if u == "roi":
                y, n_rois = wide.y, len(wide.y)
            else:
                y, per = _per_patient(wide, codes, design, kind)
                n_rois = int(per.sum())
                if len(y) < 2:
                    skip(
                        measure,
                        [u],
                        f"{len(y)} patient(s) with complete ratings; an ICC per "
                        "patient needs at least 2",
                    )
                    continue
            where = measure if u == "roi" else f"{measure} (per patient)"
            ms, table, _ = compute(y, alpha, notes, where=where)
            counts = {
                "n_targets": ms["n"],
                "n_rois": n_rois,
                "n_raters": ms["k"],
                "n_excluded": len(wide.incomplete),
            }
            rows.append(_row(measure, kind, u, form, table, **counts) | _sem(y, table, form))
            details.append(table.assign(measure=measure, kind=kind, unit=u))
    front = ["measure", "kind", "unit"]
    detail = (
        pd.concat(details, ignore_index=True) if details else pd.DataFrame(columns=[*front, "type"])
    )
    detail = detail[[*front, *[c for c in detail.columns if c not in front]]]
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    if unit == "both":
        table = table.sort_values(["measure", "unit"], key=_measure_order(measures), kind="stable")
        table = table.reset_index(drop=True)
    return ReliabilityResult(
        table=table,
        excluded=concat_excluded(excluded),
        warnings=tuple(notes),
        settings={
            "kind": kind,
            "form": form,
            "alpha": alpha,
            "measures": measures,
            "unit": unit,
        },
        details=detail,
        skipped=pd.DataFrame(skipped, columns=["measure", "kind", "unit", "reason"]),
    )


def _measure_order(measures: Sequence[str]):
    """Sort key keeping the requested measure order, 'roi' before 'patient'."""
    rank = {m: i for i, m in enumerate(measures)} | {"roi": 0, "patient": 1}
    return lambda col: col.map(rank)
