"""Indicators from raw readings (paper, Methods) and the ImageJ fat-fraction step.

Rules, applied per patient after averaging the raters' first sessions per ROI:

- ``t_score``, ``hu``: mean over the non-fractured vertebrae of L1–L4 (the paper's "÷ 3" for a
  case with one fractured vertebra; all four for a control).
- ``vbq``: median SI of the non-fractured L1–L4 vertebrae ÷ SI of CSF at L3, else L2, else L4
  (the level used is in ``vbq_csf_level``); a CSF reading of 0 is not used (named in
  ``excluded``) and the next level is taken.
- ``rcsa``: per disc level, Σ muscle CSA (PM, MF, ES × left, right) ÷ disc CSA; then the mean over
  the levels that are complete. A level with a missing ROI or a disc CSA of 0 is left out and
  listed in ``excluded``.
- ``fi``: mean ``fat_fraction`` over muscles, sides and levels, equally weighted (the paper's
  "FI averaged on both sides and the slices"), or weighted by the ROI's muscle CSA
  (``fi_weighting="area"``: the fat share of the total muscle area).

At least ``min_vertebrae`` (default 2) non-fractured vertebrae are required for ``t_score``,
``hu`` and ``vbq``; otherwise the value is NaN with the reason in ``excluded``. Nothing is guessed,
and nothing is dropped without a trace: blank session-1 readings and indicators whose readings are
all in repeat sessions are listed in ``excluded`` too.

The rules run once, on per-patient × ROI arrays (:class:`~ovcfstats.data._cells.Cells`) that either
engine fills: pandas in memory (:mod:`ovcfstats.data._cells`) or DuckDB out of core
(:mod:`ovcfstats.data._duckdb`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, concat_excluded, make_excluded
from .._validate import DataError, check_option
from ..data._cells import BASE, SLOT, SLOTS, Cells, cells_from_readings, cells_pandas
from ..data._readings import Readings, choose_engine
from ..data.schema import DISCS, INDICATORS, MUSCLES, SIDES, VERTEBRAE, validate_patients

CSF_FALLBACK = ("L3", "L2", "L4")
#: the indicator each measure feeds
FEEDS = {
    "t_score": "t_score",
    "hu": "hu",
    "si_vertebra": "vbq",
    "si_csf": "vbq",
    "csa_disc": "rcsa",
    "csa_muscle": "rcsa",
    "fat_fraction": "fi",
}
#: derived columns, in the order they are added to the patients' columns
DERIVED = (
    "t_score",
    "n_vertebrae_t_score",
    "hu",
    "n_vertebrae_hu",
    "vbq",
    "vbq_csf_level",
    "rcsa",
    "n_levels_rcsa",
    "fi",
    "n_rois_fi",
)


@dataclass(frozen=True, eq=False)
class IndicatorResult(Result):
    """Per-patient indicators; ``.table`` has the patients' columns plus the indicators."""

    title: ClassVar[str] = "Indicators derived from the readings"

    def notes(self) -> list[str]:
        rules = [
            "t_score, hu: mean of non-fractured L1–L4; vbq: median SI of non-fractured L1–L4 ÷ "
            "CSF SI (L3, else L2, else L4); rcsa: mean over complete disc levels of Σ muscle "
            f"CSA ÷ disc CSA; fi: {self.settings.get('fi_weighting', 'equal')}-weighted mean "
            "fat fraction. Raters' first sessions averaged first."
        ]
        return rules + super().notes()


def _block(cells: Cells, measure: str, width: int) -> slice:
    return slice(BASE[measure], BASE[measure] + width)


def _roi(slot: int) -> str:
    return " ".join(part for part in SLOTS[slot] if part)


def _vertebral(
    cells: Cells, intact: np.ndarray, ids: pd.Index, measure: str, how: str, min_vertebrae: int
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Mean or median over the non-fractured vertebrae with readings; counts and exclusions."""
    values = np.where(intact, cells.mean[:, _block(cells, measure, 4)], np.nan)
    n = (~np.isnan(values)).sum(axis=1)
    if how == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.nansum(values, axis=1) / n
    else:  # median of the first n sorted values (NaN sort last)
        ordered = np.sort(values, axis=1)
        low = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0)[:, None], 1)[:, 0]
        high = np.take_along_axis(ordered, np.maximum(n // 2, 0)[:, None], 1)[:, 0]
        out = (low + high) / 2
    short = n < min_vertebrae
    out[short] = np.nan
    reasons = [
        f"{k} non-fractured vertebrae with {measure} readings (need ≥ {min_vertebrae})"
        for k in n[short]
    ]
    return out, n, make_excluded(list(ids[short]), measure, reasons)


def _csf(cells: Cells, ids: pd.Index) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """CSF SI at L3, else L2, else L4 (skipping a zero reading), and the level used."""
    value = np.full(len(ids), np.nan)
    level = np.full(len(ids), "", dtype=object)
    zero_rows = []
    for lev in CSF_FALLBACK:
        col = SLOT[("si_csf", lev, "", "")]
        zero = cells.zero[:, col] > 0
        ok = np.isnan(value) & (cells.n[:, col] > 0) & ~zero & (cells.mean[:, col] > 0)
        value[ok], level[ok] = cells.mean[ok, col], lev
        zero_rows += [(i, lev) for i in np.flatnonzero(zero)]
    zero_rows.sort(key=lambda row: row[0])  # by patient, then in fallback order
    excluded = concat_excluded(
        [
            make_excluded(
                [ids[i] for i, _ in zero_rows],
                "vbq",
                [
                    f"CSF SI reading at {lev} is 0 (a zero denominator): not used"
                    for _, lev in zero_rows
                ],
            ),
            make_excluded(list(ids[np.isnan(value)]), "vbq", "no CSF SI at L3, L2 or L4"),
        ]
    )
    return value, level, excluded


def _rcsa(cells: Cells, ids: pd.Index) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Per disc level Σ muscle CSA ÷ disc CSA over complete levels; incomplete ones listed."""
    width = len(DISCS) * len(MUSCLES) * len(SIDES)
    muscle = cells.mean[:, _block(cells, "csa_muscle", width)].reshape(len(ids), len(DISCS), -1)
    disc_cols = _block(cells, "csa_disc", len(DISCS))
    disc = cells.mean[:, disc_cols]
    disc_zero = (cells.zero[:, disc_cols] > 0) | (disc <= 0)
    missing = np.isnan(muscle)
    complete = ~missing.any(axis=2) & ~np.isnan(disc) & ~disc_zero
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(complete, muscle.sum(axis=2) / disc, np.nan)
    n = complete.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.nansum(ratio, axis=1) / n
    # A level is left out (and listed) only when it has some readings but not all of them.
    partial = (~missing.all(axis=2) | ~np.isnan(disc)) & ~complete
    rois = [f"{m} {s}" for m in MUSCLES for s in SIDES]
    reasons = []
    for i, j in zip(*np.nonzero(partial), strict=True):
        absent = [r for r, miss in zip(rois, missing[i, j], strict=True) if miss]
        absent += ["disc"] if np.isnan(disc[i, j]) else []
        why = [f"missing {', '.join(absent)}"] if absent else []
        why += ["disc CSA reading is 0 (a zero denominator)"] if disc_zero[i, j] else []
        reasons.append((ids[i], f"level {DISCS[j]} left out of rcsa: {'; '.join(why)}"))
    none = n == 0
    reasons += [(pid, "no disc level with complete muscle and disc CSA") for pid in ids[none]]
    excluded = make_excluded([r[0] for r in reasons], "rcsa", [r[1] for r in reasons])
    return value, n, excluded


def _fi(cells: Cells, ids: pd.Index, weighting: str) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    full = len(DISCS) * len(MUSCLES) * len(SIDES)
    fat = cells.mean[:, _block(cells, "fat_fraction", full)]
    if weighting == "area":
        weight = cells.mean[:, _block(cells, "csa_muscle", full)]
    else:
        weight = np.ones_like(fat)
    usable = ~np.isnan(fat) & ~np.isnan(weight)
    n = usable.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(usable, weight * fat, 0).sum(1) / np.where(usable, weight, 0).sum(1)
    value[n == 0] = np.nan
    short = (n > 0) & (n < full)
    reasons = [f"fi from {k} of {full} ROIs (missing ROIs left out)" for k in n[short]]
    reason_none = "no fat_fraction readings" + (" with a muscle CSA" if weighting == "area" else "")
    excluded = concat_excluded(
        [
            make_excluded(list(ids[short]), "fi", reasons),
            make_excluded(list(ids[n == 0]), "fi", reason_none),
        ]
    )
    return value, n, excluded


def _dropped_readings(cells: Cells, ids: pd.Index, fractured: np.ndarray) -> pd.DataFrame:
    """Blank session-1 readings (not at the fractured vertebra) and repeat-only indicators."""
    blank = cells.blank > 0
    blank[:, : 4 * 4] &= ~np.tile(fractured, 4)  # t_score, hu, si_vertebra, si_csf blocks
    rows = []
    for i, j in zip(*np.nonzero(blank), strict=True):
        k, others = cells.blank[i, j], cells.n[i, j]
        what = f"{k} blank session-1 reading{'s' if k > 1 else ''} of {_roi(j)} left out"
        if others == 0:
            what += "; the ROI has no reading"
        elif others == 1:
            what += "; the ROI is the other reading"
        else:
            what += f"; the ROI is the mean of the other {others}"
        rows.append((ids[i], FEEDS[SLOTS[j][0]], what))
    for indicator in dict.fromkeys(FEEDS.values()):
        cols = [j for j, key in enumerate(SLOTS) if FEEDS[key[0]] == indicator]
        only_later = (cells.n[:, cols].sum(1) == 0) & (cells.later[:, cols].sum(1) > 0)
        rows += [
            (
                pid,
                indicator,
                "readings only in repeat sessions (session ≥ 2), none in session "
                "1; indicators use the first session",
            )
            for pid in ids[only_later]
        ]
    return make_excluded([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def indicators_from_cells(
    cells: Cells, patients: pd.DataFrame, fi_weighting: str, min_vertebrae: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicator rules on aggregated cells: the derived columns and the exclusions."""
    ids = pd.Index(patients["patient_id"], name="patient_id")
    fractured = patients["fracture_level"].to_numpy()[:, None] == np.array(VERTEBRAE)
    values: dict[str, Any] = {}
    parts = []
    for measure in ("t_score", "hu"):
        value, n, exc = _vertebral(cells, ~fractured, ids, measure, "mean", min_vertebrae)
        values[measure], values[f"n_vertebrae_{measure}"] = value, n
        parts.append(exc)
    si, _, exc = _vertebral(cells, ~fractured, ids, "si_vertebra", "median", min_vertebrae)
    parts.append(exc.assign(variable="vbq"))
    csf, csf_level, exc = _csf(cells, ids)
    parts.append(exc)
    values["vbq"], values["vbq_csf_level"] = si / csf, csf_level
    values["rcsa"], values["n_levels_rcsa"], exc = _rcsa(cells, ids)
    parts.append(exc)
    values["fi"], values["n_rois_fi"], exc = _fi(cells, ids, fi_weighting)
    parts += [exc, _dropped_readings(cells, ids, fractured)]
    for name in INDICATORS:
        values[name] = _settle(values[name])
    derived = pd.DataFrame({k: values[k] for k in DERIVED})
    return derived, concat_excluded(parts)


def _settle(x: np.ndarray) -> np.ndarray:
    """Round to 10 decimals: means that are equal are equal doubles.

    A sum's last bits depend on the order of its terms (data order, ROI order, DuckDB's), so two
    patients with the same exact mean could differ by 1e-15 and a tie in a rank statistic (AUC,
    Spearman, Wilcoxon) would be broken by round-off, differently per engine. The indicators are
    of order 0.1-1000 from readings with a few decimals: 10 decimals keep every real difference.
    """
    return np.round(np.asarray(x, dtype=float), 10)


def _check_clash(patients: pd.DataFrame, func: str) -> None:
    clash = [c for c in DERIVED if c in patients.columns]
    if clash:
        raise DataError(
            f"{func}(): the patients table already has column(s) {clash}, which {func}() "
            "derives from the readings. Rename or drop them first, e.g. "
            f"patients.drop(columns={clash}) (or rename to keep them, e.g. '{clash[0]}_given')."
        )


def _choose_engine(engine: str, measurements: Any) -> str:
    """``engine`` itself, or for "auto": DuckDB (when installed) for a file or a large table."""
    if isinstance(measurements, Readings):
        return "readings"
    return choose_engine(engine, measurements)


def derive_indicators(
    patients: pd.DataFrame,
    measurements: pd.DataFrame | str | Path | Readings,
    *,
    fi_weighting: str = "equal",
    min_vertebrae: int = 2,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> IndicatorResult:
    """Derive ``t_score``, ``hu``, ``vbq``, ``rcsa`` and ``fi`` per patient from raw readings.

    Parameters
    ----------
    patients : pandas.DataFrame
        The patients table of the data contract (validated here).
    measurements : pandas.DataFrame, or path to a Parquet or CSV file
        The long table of readings (validated here). A path (or a glob such as
        ``"readings/*.parquet"``) is read by the DuckDB engine straight from disk. The readings
        of :func:`~ovcfstats.scan_readings` (validated once, as codes) are aggregated directly.
    fi_weighting : {"equal", "area"}
        Equal weight per ROI (the paper) or weight by the ROI's muscle CSA.
    min_vertebrae : int, default 2
        Non-fractured vertebrae required for ``t_score``, ``hu`` and ``vbq``.
    engine : {"auto", "pandas", "duckdb"}
        Who aggregates the readings; the rules and the results are the same. ``"pandas"``
        works in memory; ``"duckdb"`` (``pip install 'ovcfstats[scale]'``) runs out of core
        under ``memory_limit``. ``"auto"`` takes DuckDB, when installed, for a file or for more
        than 2,000,000 readings, else pandas.
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"2GB"`` (default: DuckDB's, 80 % of RAM); beyond it,
        DuckDB spills to a temporary directory.

    Returns
    -------
    IndicatorResult
        ``.table``: one row per patient, the patients' columns plus ``t_score``, ``hu``, ``vbq``,
        ``vbq_csf_level``, ``rcsa``, ``fi`` and the counts behind them (``n_vertebrae_hu``, ...).
        ``.excluded``: each value that could not be derived (or was derived from fewer ROIs),
        each blank reading left out of an average, each zero CSF or disc reading (a zero
        denominator, not used) and each indicator whose readings are all in repeat sessions,
        with the reason.

    Raises
    ------
    DataError
        Invalid tables, or a patients column named like a derived one (``hu``, ``vbq``, ...).

    Examples
    --------
    >>> from ovcfstats import derive_indicators, load_sample
    >>> patients, measurements = load_sample()
    >>> res = derive_indicators(patients, measurements)
    >>> res.table[["patient_id", "t_score", "hu", "vbq", "rcsa", "fi"]].shape
    (312, 6)
    """
    func = "derive_indicators"
    check_option(fi_weighting, ("equal", "area"), func, "fi_weighting")
    check_option(engine, ("auto", "pandas", "duckdb"), func, "engine")
    if min_vertebrae < 1:
        raise DataError(f"{func}(): min_vertebrae must be ≥ 1; got {min_vertebrae}.")
    _check_clash(patients, func)
    pts = validate_patients(patients)
    chosen = _choose_engine(engine, measurements)
    if isinstance(measurements, Readings):
        cells = cells_from_readings(measurements, pts)
    elif chosen == "duckdb":
        from ..data._duckdb import cells_duckdb

        cells = cells_duckdb(measurements, pts, memory_limit=memory_limit)
    else:
        if isinstance(measurements, str | Path):
            from ..data._duckdb import read_table

            measurements = read_table(measurements)
        cells = cells_pandas(measurements, pts)
    derived, excluded = indicators_from_cells(cells, pts, fi_weighting, min_vertebrae)
    table = pd.concat([pts, derived], axis=1)
    # the engine is not a setting of the result: both give the same table
    settings = {"fi_weighting": fi_weighting, "min_vertebrae": min_vertebrae}
    return IndicatorResult(table=table, excluded=excluded, settings=settings)


def fat_fraction(image: Any, mask: Any, *, threshold: float | str = "otsu") -> float:
    """Percentage of a muscle ROI's pixels brighter than a threshold (ImageJ pseudo-colouring).

    Parameters
    ----------
    image : array_like
        Grey values (2-D or 3-D).
    mask : array_like of bool
        The muscle ROI, same shape as ``image``.
    threshold : float or "otsu"
        Pixels strictly above it count as fat; ``"otsu"`` computes Otsu's threshold from the
        pixels inside the mask.

    Returns
    -------
    float
        Fat fraction in percent of the ROI area.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats import fat_fraction
    >>> image = np.zeros((10, 10)); image[:3, :] = 200.0
    >>> fat_fraction(image, np.ones((10, 10), bool))
    30.0
    """
    pixels = np.asarray(image, dtype=float)
    roi = np.asarray(mask)
    if roi.dtype != bool:
        raise DataError("fat_fraction(): mask must be a boolean array (True inside the muscle).")
    if roi.shape != pixels.shape:
        raise DataError(f"fat_fraction(): mask shape {roi.shape} ≠ image shape {pixels.shape}.")
    inside = pixels[roi]
    if inside.size == 0:
        raise DataError("fat_fraction(): the mask selects no pixel; draw the muscle ROI first.")
    if np.isnan(inside).any():
        raise DataError("fat_fraction(): the image has NaN pixels inside the ROI.")
    cut = _otsu(inside) if isinstance(threshold, str) else float(threshold)
    if isinstance(threshold, str):
        check_option(threshold, ("otsu",), "fat_fraction", "threshold")
    return float(100.0 * np.count_nonzero(inside > cut) / inside.size)


def _otsu(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold (maximum between-class variance) on a 256-bin histogram.

    Written here because scikit-image is not a dependency; the bin centres follow
    skimage.filters.threshold_otsu, so a threshold falls between the two classes.
    """
    if values.min() == values.max():
        return float(values.min())
    counts, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = np.cumsum(counts[::-1])[::-1]
    mean_low = np.cumsum(counts * centres) / np.maximum(weight_low, 1)
    mean_high = (np.cumsum((counts * centres)[::-1]) / np.maximum(weight_high[::-1], 1))[::-1]
    between = weight_low[:-1] * weight_high[1:] * (mean_low[:-1] - mean_high[1:]) ** 2
    return float(centres[:-1][np.argmax(between)])
