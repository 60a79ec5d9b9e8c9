"""Indicators from raw readings (paper, Methods) and the ImageJ fat-fraction step.

Rules (README), applied per patient after averaging the raters' first sessions per ROI:

- ``t_score``, ``hu``: mean over the non-fractured vertebrae of L1–L4 (the paper's "÷ 3" for a
  case with one fractured vertebra; all four for a control).
- ``vbq``: median SI of the non-fractured L1–L4 vertebrae ÷ SI of CSF at L3, else L2, else L4
  (the level used is in ``vbq_csf_level``).
- ``rcsa``: per disc level, Σ muscle CSA (PM, MF, ES × left, right) ÷ disc CSA; then the mean over
  the levels that are complete. A level with a missing ROI is left out and listed in ``excluded``.
- ``fi``: mean ``fat_fraction`` over muscles, sides and levels, equally weighted (the paper's
  "FI averaged on both sides and the slices"), or weighted by the ROI's muscle CSA
  (``fi_weighting="area"``: the fat share of the total muscle area).

At least ``min_vertebrae`` (default 2) non-fractured vertebrae are required for ``t_score``,
``hu`` and ``vbq``; otherwise the value is NaN with the reason in ``excluded``. Nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._results import Result, concat_excluded, make_excluded
from ._validate import DataError, check_option
from .schema import DISCS, MUSCLES, SIDES, validate_measurements, validate_patients

CSF_FALLBACK = ("L3", "L2", "L4")
ROI = ("patient_id", "measure", "level", "muscle", "side")


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


def _first_session_means(measurements: pd.DataFrame) -> pd.DataFrame:
    """One value per ROI: the mean over raters of their session-1 readings (blanks skipped)."""
    first = measurements[(measurements["session"] == 1) & measurements["value"].notna()]
    return first.groupby(list(ROI), sort=False, as_index=False)["value"].mean()


def _vertebral(
    cells: pd.DataFrame, fracture: pd.Series, measure: str, how: str, min_vertebrae: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean or median over the non-fractured vertebrae with readings; counts and exclusions."""
    rows = cells[cells["measure"] == measure]
    rows = rows[rows["level"] != rows["patient_id"].map(fracture)]
    grouped = rows.groupby("patient_id")["value"]
    out = pd.DataFrame({"value": grouped.agg(how), "n": grouped.size()})
    out = out.reindex(fracture.index)
    out["n"] = out["n"].fillna(0).astype(int)
    short = out["n"] < min_vertebrae
    reasons = [
        f"{n} non-fractured vertebrae with {measure} readings (need ≥ {min_vertebrae})"
        for n in out.loc[short, "n"]
    ]
    out.loc[short, "value"] = np.nan
    return out, make_excluded(list(out.index[short]), measure, reasons)


def _csf(cells: pd.DataFrame, ids: pd.Index) -> tuple[pd.Series, pd.Series]:
    """CSF SI at L3, else L2, else L4, and the level used."""
    csf = cells[cells["measure"] == "si_csf"].pivot_table(
        index="patient_id", columns="level", values="value", aggfunc="first"
    )
    csf = csf.reindex(index=ids, columns=list(CSF_FALLBACK))
    value = pd.Series(np.nan, index=ids)
    level = pd.Series("", index=ids, dtype=object)
    for lev in reversed(CSF_FALLBACK):  # later assignments win: L3 has priority
        has = csf[lev].notna()
        value[has] = csf.loc[has, lev]
        level[has] = lev
    return value, level


def _rcsa(cells: pd.DataFrame, ids: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    muscle = cells[cells["measure"] == "csa_muscle"]
    wide = muscle.pivot_table(
        index=["patient_id", "level"], columns=["muscle", "side"], values="value", aggfunc="first"
    )
    wide = wide.reindex(columns=pd.MultiIndex.from_product([MUSCLES, SIDES]))
    disc = cells[cells["measure"] == "csa_disc"].set_index(["patient_id", "level"])["value"]
    grid = pd.MultiIndex.from_product([ids, DISCS], names=["patient_id", "level"])
    wide = wide.reindex(grid)
    disc = disc.reindex(grid)
    missing = wide.isna()
    complete = ~missing.any(axis=1) & disc.notna() & (disc > 0)
    ratio = (wide.sum(axis=1) / disc).where(complete)
    # A level is left out (and listed) only when it has some readings but not all of them.
    touched = ~missing.all(axis=1) | disc.notna()
    partial = touched & ~complete
    reasons = []
    for (pid, lev), row in missing[partial].iterrows():
        absent = [f"{m} {s}" for (m, s), miss in row.items() if miss]
        if pd.isna(disc.get((pid, lev))):
            absent.append("disc")
        reasons.append((pid, f"level {lev} left out of rcsa: missing {', '.join(absent)}"))
    per_patient = ratio.groupby(level=0).agg(["mean", "count"]).reindex(ids)
    out = pd.DataFrame({"value": per_patient["mean"], "n": per_patient["count"].astype(int)})
    none = out["n"] == 0
    reasons += [(pid, "no disc level with complete muscle and disc CSA") for pid in ids[none]]
    excluded = make_excluded([r[0] for r in reasons], "rcsa", [r[1] for r in reasons])
    return out, excluded


def _fi(cells: pd.DataFrame, ids: pd.Index, weighting: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    fat = cells[cells["measure"] == "fat_fraction"].set_index(
        ["patient_id", "level", "muscle", "side"]
    )
    if weighting == "area":
        area = cells[cells["measure"] == "csa_muscle"].set_index(
            ["patient_id", "level", "muscle", "side"]
        )["value"]
        weight = area.reindex(fat.index)
    else:
        weight = pd.Series(1.0, index=fat.index)
    usable = weight.notna()
    frame = pd.DataFrame({"w": weight[usable], "wx": (weight * fat["value"])[usable]})
    sums = frame.groupby(level=0).sum().reindex(ids)
    n = frame.groupby(level=0).size().reindex(ids).fillna(0).astype(int)
    out = pd.DataFrame({"value": sums["wx"] / sums["w"], "n": n})
    full = len(DISCS) * len(MUSCLES) * len(SIDES)
    short = (out["n"] > 0) & (out["n"] < full)
    reasons = [f"fi from {k} of {full} ROIs (missing ROIs left out)" for k in out.loc[short, "n"]]
    reasons_none = [
        "no fat_fraction readings" + (" with a muscle CSA" if weighting == "area" else "")
    ]
    none = out["n"] == 0
    excluded = concat_excluded(
        [
            make_excluded(list(out.index[short]), "fi", reasons),
            make_excluded(list(out.index[none]), "fi", reasons_none * int(none.sum())),
        ]
    )
    return out, excluded


def derive_indicators(
    patients: pd.DataFrame,
    measurements: pd.DataFrame,
    *,
    fi_weighting: str = "equal",
    min_vertebrae: int = 2,
) -> IndicatorResult:
    """Derive ``t_score``, ``hu``, ``vbq``, ``rcsa`` and ``fi`` per patient from raw readings.

    Parameters
    ----------
    patients, measurements : pandas.DataFrame
        The two tables of the data contract (validated here).
    fi_weighting : {"equal", "area"}
        Equal weight per ROI (the paper) or weight by the ROI's muscle CSA.
    min_vertebrae : int, default 2
        Non-fractured vertebrae required for ``t_score``, ``hu`` and ``vbq``.

    Returns
    -------
    IndicatorResult
        ``.table``: one row per patient, the patients' columns plus ``t_score``, ``hu``, ``vbq``,
        ``vbq_csf_level``, ``rcsa``, ``fi`` and the counts behind them (``n_vertebrae_hu``, ...).
        ``.excluded``: each value that could not be derived (or was derived from fewer ROIs),
        with the reason.

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
    if min_vertebrae < 1:
        raise DataError(f"{func}(): min_vertebrae must be ≥ 1; got {min_vertebrae}.")
    pts = validate_patients(patients)
    cells = _first_session_means(validate_measurements(measurements, pts))
    ids = pd.Index(pts["patient_id"], name="patient_id")
    fracture = pts.set_index("patient_id")["fracture_level"]
    values: dict[str, Any] = {}
    parts = []
    for measure in ("t_score", "hu"):
        out, exc = _vertebral(cells, fracture, measure, "mean", min_vertebrae)
        values[measure], values[f"n_vertebrae_{measure}"] = out["value"], out["n"]
        parts.append(exc)
    si, exc = _vertebral(cells, fracture, "si_vertebra", "median", min_vertebrae)
    parts.append(exc.assign(variable="vbq"))
    csf, csf_level = _csf(cells, ids)
    no_csf = csf.isna() | (csf <= 0)
    parts.append(make_excluded(list(ids[no_csf]), "vbq", "no CSF SI at L3, L2 or L4"))
    values["vbq"] = (si["value"] / csf).where(~no_csf)
    values["vbq_csf_level"] = csf_level
    rcsa, exc = _rcsa(cells, ids)
    values["rcsa"], values["n_levels_rcsa"] = rcsa["value"], rcsa["n"]
    parts.append(exc)
    fi, exc = _fi(cells, ids, fi_weighting)
    values["fi"], values["n_rois_fi"] = fi["value"], fi["n"]
    parts.append(exc)
    derived = pd.DataFrame(values, index=ids).reset_index()
    table = pts.merge(derived, on="patient_id", how="left", validate="one_to_one")
    settings = {"fi_weighting": fi_weighting, "min_vertebrae": min_vertebrae}
    return IndicatorResult(table=table, excluded=concat_excluded(parts), settings=settings)


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
