"""Rater-vs-rater and session-vs-session agreement from the long ``measurements`` table.

:func:`agreement_pairs` lays the readings of one measure out as pairs (two raters in their first
session, or the first and second session of the same rater); :func:`agreement_section` gives
Bland–Altman limits and Lin's concordance per measure — the agreement figures beside the ICC
table. Any two readers work, e.g. an automated segmentation stored as a rater against a manual
one (``raters=("auto", "R1")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, concat_excluded, make_excluded
from .._validate import DataError, check_columns, check_frame, check_numeric, check_option
from ..data._reading_codes import _Codes, _sorted_groups
from ..data._readings import Readings
from .agreement import BlandAltmanResult, _check_alpha, bland_altman, concordance, plot_bland_altman

KINDS = ("inter", "intra")
DEFAULT_MEASURES = ("hu", "si_vertebra", "si_csf", "csa_muscle", "csa_disc", "fat_fraction")
ROI_KEY = ("patient_id", "measure", "level", "muscle", "side")


@dataclass(frozen=True, eq=False)
class AgreementResult(Result):
    """Bland–Altman and concordance for several measures (one row each in ``.table``)."""

    details: dict[str, BlandAltmanResult] = field(default_factory=dict)

    title: ClassVar[str] = "Agreement between readings"
    has_plot: ClassVar[bool] = True

    def notes(self) -> list[str]:
        s = self.settings
        what = (
            "first-session readings of two raters"
            if s["kind"] == "inter"
            else "first and second session of the same rater"
        )
        return [
            f"{what.capitalize()}; a region of interest is one pair. Measures with several "
            "regions per patient: limits with Zou (2013) MOVER intervals, bias = mean of the "
            "patient means; one region per patient: Bland & Altman (1986) intervals; "
            "ccc from all pairs (Lin 1989, z-transform interval). slope/slope_p: proportional "
            "bias (difference on mean).",
            *super().notes(),
        ]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """One Bland–Altman panel per measure (``ax`` is ignored: the figure has a grid)."""
        from ..present._format import Style
        from ..present._plotting import figure_and_axes

        style = Style()
        names = list(self.details)
        cols = min(3, len(names)) or 1
        rows = int(np.ceil(len(names) / cols)) or 1
        fig, _ = figure_and_axes(None, figsize=(4.2 * cols, 3.6 * rows))
        fig.clear()
        for i, name in enumerate(names):
            panel = fig.add_subplot(rows, cols, i + 1)
            plot_bland_altman(self.details[name], ax=panel, title=style.heading(name), **kwargs)
        return fig


def agreement_pairs(
    measurements: pd.DataFrame | Readings,
    measure: str,
    *,
    kind: str = "inter",
    raters: Sequence[str] | None = None,
    sessions: Sequence[Any] = (1, 2),
) -> pd.DataFrame:
    """The readings of one measure as pairs: rater vs rater, or session vs session.

    Parameters
    ----------
    measurements : pandas.DataFrame or Readings
        The long table (columns patient_id, measure, level, muscle, side, rater, session,
        value), or the readings of :func:`~ovcfstats.scan_readings` (same pairs, from codes).
    measure : str
    kind : {"inter", "intra"}, default "inter"
        ``"inter"``: the first session of two raters (``raters``, default the first two in
        sorted order); ``"intra"``: sessions ``sessions`` of the same rater, every rater who
        read twice pooled (the rater is then part of the key).
    raters : sequence of two str, optional
    sessions : sequence of two, default (1, 2)

    Returns
    -------
    pandas.DataFrame
        One row per region of interest: ``patient_id``, ``level``, ``muscle``, ``side``
        (and ``rater`` for ``"intra"``) and one column per compared reading (the rater names,
        or ``"session 1"``/``"session 2"``). A region read only once has a missing value, so
        that :func:`bland_altman` lists it in ``.excluded``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import agreement_pairs
    >>> m = pd.DataFrame({"patient_id": ["P1", "P1", "P2", "P2"], "measure": "hu",
    ...                   "level": "L1", "muscle": "", "side": "", "rater": ["R1", "R2"] * 2,
    ...                   "session": 1, "value": [100.0, 104.0, 60.0, 61.0]})
    >>> agreement_pairs(m, "hu")
      patient_id level muscle side     R1     R2
    0         P1    L1                100.0  104.0
    1         P2    L1                 60.0   61.0
    """
    func = "agreement_pairs"
    check_option(kind, KINDS, func, "kind")
    if isinstance(measurements, Readings):
        return _coded_pairs(measurements.codes, measure, kind, raters, sessions)
    check_frame(measurements, func, "measurements")
    check_columns(measurements, [*ROI_KEY, "rater", "session", "value"], func, "measurements")
    part = measurements[measurements["measure"] == measure]
    if part.empty:
        raise DataError(f"{func}(): no readings of measure '{measure}' in `measurements`.")
    part = part.assign(value=check_numeric(part, "value", func))
    key = ["patient_id", "level", "muscle", "side"]
    if kind == "inter":
        first = part[part["session"] == part["session"].min()]
        available = sorted(r for r in first["rater"].dropna().unique() if str(r) != "")
        chosen = list(raters) if raters is not None else available[:2]
        if len(chosen) != 2 or not set(chosen) <= set(available):
            raise DataError(
                f"{func}(): measure '{measure}' needs two raters to compare; available: "
                f"{available}. Pass `raters=(a, b)` naming two of them."
            )
        sub, column, labels = first[first["rater"].isin(chosen)], "rater", chosen
        names = [str(r) for r in chosen]
    else:
        sub = part[part["session"].isin(list(sessions))]
        column, labels = "session", list(sessions)
        names = [f"session {s}" for s in sessions]
        # the regions a rater re-read: those with a reading in the later session
        later = sub["session"] == sessions[1]
        reread = sub[later].set_index(["rater", *key]).index
        sub, key = sub[sub.set_index(["rater", *key]).index.isin(reread)], ["rater", *key]
        if sub.empty:
            raise DataError(
                f"{func}(): no rater read measure '{measure}' in both sessions {list(sessions)}."
            )
    wide = sub.pivot_table(index=key, columns=column, values="value", aggfunc="first")
    wide = wide.reindex(columns=labels)
    wide.columns = names
    return wide.reset_index().rename_axis(columns=None)


def _coded_pairs(
    c: _Codes,
    measure: str,
    kind: str,
    raters: Sequence[str] | None,
    sessions: Sequence[Any] = (1, 2),
    lean: bool = False,
) -> pd.DataFrame:
    """:func:`agreement_pairs` on integer codes: the same rows, columns and order.

    ``lean``: only ``patient_id`` (as the integer patient code, ``c.patient_ids`` labels it)
    and the two readings — what the statistics need, without 10⁶ text labels.
    """
    func = "agreement_pairs"
    if measure not in c.measures:
        raise DataError(f"{func}(): no readings of measure '{measure}' in `measurements`.")
    rows = c.rows_of(measure)
    session = c.session[rows]
    if kind == "inter":
        first = rows[session == session.min()]
        codes = np.flatnonzero(np.bincount(c.rater[first], minlength=len(c.raters)))
        available = [str(r) for r in c.raters[codes] if str(r) != ""]  # sorted, as the labels
        chosen = list(raters) if raters is not None else available[:2]
        if len(chosen) != 2 or not set(chosen) <= set(available):
            raise DataError(
                f"{func}(): measure '{measure}' needs two raters to compare; available: "
                f"{available}. Pass `raters=(a, b)` naming two of them."
            )
        column = np.full(len(c.raters), -1)
        column[[c.raters.get_loc(r) for r in chosen]] = [0, 1]
        col = column[c.rater[first]]
        sub, col = first[col >= 0], col[col >= 0]
        target, first_row = _sorted_groups(c.roi[sub])
        first_row = sub[first_row]
        names, front = [str(r) for r in chosen], []
    else:
        names, front = [f"session {s}" for s in sessions], ["rater"]
        rows = rows[np.isin(session, list(sessions))]
        # a target is (rater, ROI), in pivot order: the rater first, then the ROI
        target, first_row = _sorted_groups(c.rater[rows] * np.int64(c.sizes["roi"]) + c.roi[rows])
        later = c.session[rows] == sessions[1]
        reread = np.bincount(target[later], minlength=len(first_row)) > 0
        if not reread.any():
            raise DataError(
                f"{func}(): no rater read measure '{measure}' in both sessions {list(sessions)}."
            )
        keep = reread[target]  # the regions a rater re-read
        sub, col = rows[keep], later[keep].astype(np.intp)
        target = (np.cumsum(reread) - 1)[target[keep]]
        first_row = rows[first_row[reread]]
    values = np.full((len(first_row), 2), np.nan)
    values[target, col] = c.value[sub]
    kept = ~np.isnan(values).all(axis=1)  # as pivot_table: a region with no value is no row
    if lean:
        out = pd.DataFrame({"patient_id": c.patient[first_row[kept]]})
        for j, name in enumerate(names):
            out[name] = values[kept, j]
        return out
    labels = c.labels(first_row[kept])
    out = labels[[*front, "patient_id", "level", "muscle", "side"]].reset_index(drop=True)
    for j, name in enumerate(names):
        out[name] = values[kept, j]
    return out


def agreement_section(
    measurements: pd.DataFrame | Readings,
    *,
    measures: Sequence[str] = DEFAULT_MEASURES,
    kind: str = "inter",
    raters: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> AgreementResult:
    """Bland–Altman limits and Lin's ccc per measure: the agreement figures beside the ICCs.

    Each region of interest is one pair; a patient contributes several regions, so the limits
    use the repeated-measures method (Zou 2013) with ``patient_id`` as the subject.

    Parameters
    ----------
    measurements : pandas.DataFrame or Readings
        The long measurements table, or the readings of :func:`~ovcfstats.scan_readings`.
    measures : sequence of str
        Measures present in ``measurements`` (others are skipped).
    kind : {"inter", "intra"}, default "inter"
        See :func:`agreement_pairs`.
    raters : sequence of two str, optional
        For ``kind="inter"``: the two raters compared (default the first two sorted), e.g.
        ``("auto", "R1")`` for an automated against a manual reading.
    alpha : float, default 0.05

    Returns
    -------
    AgreementResult
        ``.table``: one row per measure with ``measure``, ``kind``, ``x``, ``y``, ``n_pairs``,
        ``n_subjects``, ``bias`` and ``loa_lower``/``loa_upper`` with their ``*_ci_low`` and
        ``*_ci_high``, ``ccc``, ``ccc_ci_low``, ``ccc_ci_high``, ``slope``, ``slope_p``.
        ``.details`` maps each measure to its :class:`BlandAltmanResult`; ``.plot()`` draws them.

    Examples
    --------
    >>> from ovcfstats import agreement_section, generate_sample
    >>> _, measurements = generate_sample()
    >>> res = agreement_section(measurements, measures=["hu"])
    >>> res.table[["measure", "x", "y", "n_pairs", "n_subjects"]]
      measure   x   y  n_pairs  n_subjects
    0      hu  R1  R2     1248         312
    """
    func = "agreement_section"
    check_option(kind, KINDS, func, "kind")
    alpha = _check_alpha(alpha, func)
    measures = (measures,) if isinstance(measures, str) else tuple(measures)
    if isinstance(measurements, Readings):
        present = set(measurements.combos["measure"])
    else:
        check_frame(measurements, func, "measurements")
        present = set(measurements["measure"].unique()) if "measure" in measurements else set()
    rows, details, excluded, notes = [], {}, [], []
    coded = isinstance(measurements, Readings)
    for measure in (m for m in measures if m in present):
        if coded:  # patients as integer codes, labelled below for the excluded pairs only
            codes = measurements.codes
            pairs = _coded_pairs(codes, measure, kind, raters, lean=True)
        else:
            pairs = agreement_pairs(measurements, measure, kind=kind, raters=raters)
        x, y = pairs.columns[-2:]
        complete = pairs.dropna(subset=[x, y])
        repeated = complete["patient_id"].duplicated().any()
        ba = bland_altman(pairs, x, y, subject="patient_id" if repeated else None, alpha=alpha)
        cc = concordance(pairs, x, y, alpha=alpha)
        lim = ba.table.set_index("statistic")
        row: dict[str, Any] = {"measure": measure, "kind": kind, "x": x, "y": y}
        row.update(
            n_pairs=int(lim.loc["bias", "n_pairs"]), n_subjects=int(lim.loc["bias", "n_subjects"])
        )
        for stat in ("bias", "loa_lower", "loa_upper"):
            row[stat] = lim.loc[stat, "estimate"]
            row[f"{stat}_ci_low"], row[f"{stat}_ci_high"] = lim.loc[stat, ["ci_low", "ci_high"]]
        c = cc.table.iloc[0]
        row.update(ccc=c["ccc"], ccc_ci_low=c["ci_low"], ccc_ci_high=c["ci_high"])
        slope = ba.proportional.set_index("term").loc["slope"]
        row.update(slope=slope["estimate"], slope_p=slope["p"])
        rows.append(row)
        details[measure] = ba
        ids = ba.excluded["id"]
        excluded.append(
            make_excluded(
                codes.patient_ids[ids.to_numpy(dtype=np.int64)] if coded else ids,
                measure,
                [f"no {r[8:]} reading of the region" for r in ba.excluded["reason"]],
            )
        )
        notes += list(ba.warnings)
    if not rows:
        raise DataError(f"{func}(): none of the measures {list(measures)} is in `measurements`.")
    return AgreementResult(
        table=pd.DataFrame(rows),
        details=details,
        excluded=concat_excluded(excluded),
        warnings=tuple(notes),
        settings={"kind": kind, "alpha": alpha, "measures": tuple(details)},
    )
