"""The study's inter- and intra-rater reliability table, from the long ``measurements`` table.

Each measure's ratings become an n × k matrix (targets × raters, or × sessions for intra-rater
reliability) whose six ICCs are computed by :func:`~ovcfstats.icc`'s core, identical to
``psych::ICC(x, lmer = FALSE)``. What the data cannot give (one rater, no repeat readings, too
few targets) is skipped with its reason rather than aborting the table. The unit of analysis is
the region of interest or the patient (the mean of the patient's ROIs).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from ._icc import CONVENTIONS, FORM_NAMES, FORMS, IccResult, Wide, compute, icc, widen
from ._results import Result, SmallSampleWarning, concat_excluded, make_excluded, warn
from ._validate import DataError, check_alpha, check_frame, check_option

__all__ = ["FORMS", "FORM_NAMES", "IccResult", "ReliabilityResult", "icc", "reliability"]

KINDS = ("inter", "intra")
#: unit of analysis of :func:`reliability`: each region of interest, or each patient's mean
UNITS = ("roi", "patient", "both")
DEFAULT_MEASURES = ("hu", "si_vertebra", "si_csf", "csa_muscle", "csa_disc", "fat_fraction")
#: one region of interest (a reliability target): the reading key without rater and session
ROI_KEY = ("patient_id", "measure", "level", "muscle", "side")


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


@dataclass(frozen=True)
class _Codes:
    """The validated readings as integer codes, built once for every measure of a call.

    Each text column is factorized with sorted labels, so that comparing codes orders
    targets exactly as sorting the labels would (the order of the old groupby on strings).
    """

    measure: np.ndarray
    measures: pd.Index
    rater: np.ndarray
    raters: pd.Index
    session: np.ndarray
    value: np.ndarray
    patient: np.ndarray
    roi: np.ndarray  # (patient, level, muscle, side): one region of interest
    sizes: dict[str, int]  # number of distinct patients and ROI codes

    @classmethod
    def of(cls, m: pd.DataFrame) -> _Codes:
        measure, measures = _factorize(m["measure"])
        rater, raters = _factorize(m["rater"])
        parts = [_factorize(m[c]) for c in ROI_KEY if c != "measure"]
        roi, roi_size = _combine([c for c, _ in parts], [len(u) for _, u in parts])
        return cls(
            measure=measure.astype(np.int32),
            measures=pd.Index(measures),
            rater=rater.astype(np.int32),
            raters=pd.Index(raters),
            session=m["session"].to_numpy(),
            value=m["value"].to_numpy(dtype=float),
            patient=parts[0][0].astype(np.int32),
            roi=roi,
            sizes={"patient": len(parts[0][1]), "roi": roi_size},
        )

    def rated(self, measure: str) -> np.ndarray:
        """Row positions of one measure's readings by a named rater."""
        if measure not in self.measures:
            return np.empty(0, dtype=np.intp)
        rows = self.measure == self.measures.get_loc(measure)
        if "" in self.raters:
            rows &= self.rater != self.raters.get_loc("")
        return np.flatnonzero(rows)


#: the table last validated by :func:`reliability`, kept for one reuse: [weak reference to
#: it, a shallow copy sharing its data, the validation warnings, the validated table, codes]
_LAST: list = []


def _validated(measurements: pd.DataFrame) -> tuple[pd.DataFrame, _Codes]:
    """``validate_measurements`` and the codes, computed once for two calls on one table.

    The inter- and intra-rater tables are two calls on the same readings; the second reuses
    the first's validation when the very same, unmodified DataFrame comes back (once, so that
    the validated copy is not kept for longer). Unmodified is proven, not assumed: with pandas'
    copy-on-write (always on from pandas 3) any in-place change of the table first copies the
    data it shares with the kept shallow copy, so every column must still hold the same
    buffer. Without copy-on-write nothing is reused.
    """
    from .schema import validate_measurements

    last = _LAST[:]
    _LAST.clear()
    if last and last[0]() is measurements and _unchanged(measurements, last[1]):
        for w in last[2]:  # the same warnings as the first validation
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return last[3], last[4]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = validate_measurements(measurements)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    codes = _Codes.of(m)
    if _copy_on_write():

        def forget(ref: weakref.ref) -> None:  # the table is gone: so is what it was kept for
            if _LAST and _LAST[0] is ref:
                _LAST.clear()

        ref = weakref.ref(measurements, forget)
        _LAST.extend([ref, measurements.copy(deep=False), caught, m, codes])
    return m, codes


def _copy_on_write() -> bool:
    """Whether pandas copies shared data before an in-place change (always from pandas 3)."""
    major = int(pd.__version__.split(".")[0])
    return major >= 3 or pd.get_option("mode.copy_on_write") is True


def _data(column: pd.Series) -> object:
    """A column's data: its Arrow array, or a NumPy array (a view, or a copy for other types)."""
    arr = column.array
    return arr.__arrow_array__() if hasattr(arr, "__arrow_array__") else column.to_numpy()


def _same_data(a: object, b: object) -> bool:
    """Both alive here, so equal addresses mean the same memory (copies never match)."""
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        return a is b
    fa, fb = a.__array_interface__, b.__array_interface__
    keys = ("data", "shape", "strides", "typestr")
    return all(fa.get(k) == fb.get(k) for k in keys)


def _unchanged(frame: pd.DataFrame, snapshot: pd.DataFrame) -> bool:
    """True when ``frame`` still shares every column's data with its shallow ``snapshot``."""
    same_layout = (
        frame.columns.is_unique
        and list(frame.columns) == list(snapshot.columns)
        and frame.dtypes.equals(snapshot.dtypes)
    )
    return same_layout and all(
        _same_data(_data(frame[c]), _data(snapshot[c])) for c in frame.columns
    )


def _factorize(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes numbered in the sorted order of the labels (``sort=True``, without its cost).

    Hashing the column, then sorting only its distinct labels and renumbering, is 2–3× faster
    than ``pd.factorize(sort=True)`` on Arrow strings, with the same codes.
    """
    codes, labels = pd.factorize(column)
    order = labels.argsort()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], labels[order]


def _combine(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, int]:
    """One int64 code per row for several code columns (``sizes``: their numbers of codes),
    in their lexicographic order; also the number of possible combined codes."""
    key, bound = np.asarray(codes[0], dtype=np.int64), sizes[0]
    for c, size in zip(codes[1:], sizes[1:], strict=True):
        if bound * size >= 2**62:  # compact first: no overflow
            key = np.unique(key, return_inverse=True)[1].astype(np.int64).ravel()
            bound = int(key.max(initial=0)) + 1
        key, bound = key * size + c, bound * size
    return key, bound


@dataclass(frozen=True)
class _Design:
    """One measure's n × k layout: rows used, target and column codes and labels."""

    rows: np.ndarray  # row positions (into the validated table) used
    t_codes: np.ndarray
    first: np.ndarray  # one row position per target, in target order (for IDs and ROIs)
    r_codes: np.ndarray
    r_labels: np.ndarray
    column: str


def _design(c: _Codes, measure: str, kind: str) -> _Design | str:
    """The layout of one measure — or why there is none."""
    rows = c.rated(measure)
    if not len(rows):
        return "no readings by a named rater"
    session = c.session[rows]
    if kind == "inter":
        part = rows[session == 1]
        present = np.unique(c.rater[part])
        if len(present) < 2:
            who = ", ".join(map(str, c.raters[present])) or "none"
            return (
                f"first-session readings by one rater only ({who}); inter-rater reliability "
                "needs at least 2 raters"
            )
        key = c.roi[part]
        r_codes = np.searchsorted(present, c.rater[part])
        r_labels = np.asarray(c.raters[present], dtype=object)
        column = "rater"
    else:
        # intra: ROIs re-read (session 2) by a rater, paired with that rater's session 1
        keyed = _combine([c.roi[rows], c.rater[rows]], [c.sizes["roi"], len(c.raters)])[0]
        repeat = np.unique(keyed[session == 2])
        if not len(repeat):
            return (
                "no repeat readings (session 2); intra-rater reliability needs a second session "
                "by the same rater"
            )
        pos = np.minimum(np.searchsorted(repeat, keyed), len(repeat) - 1)
        use = ((session == 1) | (session == 2)) & (repeat[pos] == keyed)
        part, key = rows[use], keyed[use]
        present = np.unique(c.session[part])
        r_codes = np.searchsorted(present, c.session[part])
        r_labels = np.asarray([f"session {s}" for s in present], dtype=object)
        column = "session"
    t_codes, first = _sorted_groups(key)
    return _Design(part, t_codes, part[first], r_codes, r_labels, column)


def _sorted_groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True, return_index=True)`` by hashing: the codes (in
    sorted key order) and each group's first position; only the distinct keys are sorted."""
    codes, uniques = pd.factorize(key)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(uniques, kind="stable")] = np.arange(len(uniques))
    codes = rank[codes]
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(key) - 1, -1, -1)  # the last write is the first row
    return codes, first


def _per_patient(
    wide: Wide, c: _Codes, design: _Design, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """Complete ROI rows averaged per patient (× rater for intra); also the ROIs per target."""
    kept = design.first[wide.targets.astype(int)]
    keys = [c.patient[kept]] + ([c.rater[kept]] if kind == "intra" else [])
    group = _combine(keys, [c.sizes["patient"], len(c.raters)][: len(keys)])[0]
    codes = np.unique(group, return_inverse=True)[1].ravel()
    counts = np.bincount(codes)
    sums = np.column_stack([np.bincount(codes, weights=col) for col in wide.y.T])
    return sums / counts[:, None], counts


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
)
#: measures without a rater (the DXA read-out): never an ICC
UNRATED = ("t_score",)


def reliability(
    measurements: pd.DataFrame,
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
    measurements : pandas.DataFrame
        The long measurements table (validated with
        :func:`~ovcfstats.validate_measurements`).
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
        ``n_excluded``. Targets without a complete set of ratings are dropped and listed in
        ``.excluded`` (``id`` = patient_id, ``variable`` = measure, ``reason`` with the ROI and
        the missing raters or sessions).

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
    from .schema import MEASURES

    func = "reliability"
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
    m, codes = _validated(measurements)
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
        dropped = m.iloc[design.first[wide.incomplete.astype(int)]]
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
            rows.append(_row(measure, kind, u, form, table, **counts))
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
