"""Segmentation checks of one scan: what a QC picture shows by eye, as flags with thresholds.

Automatic segmentations mix neighbouring vertebrae in a few percent of scans and miss or add a
level at transitional vertebrae; a scan cut short clips a vertebra. Each check below returns
rows of one table (``flag``, ``level``, ``value``, ``threshold``, ``what``), so that a cohort's
suspect scans can be listed, counted and looked at; nothing is dropped by a flag. The
thresholds are in :data:`QC_THRESHOLDS` (``measure_images(qc_thresholds=...)`` overrides them).

- ``order``: vertebral centroids out of cranio-caudal order (canonical RAS+: a cranial vertebra
  lies higher, at a larger superior coordinate, than the one below it).
- ``volume`` and ``height``: a vertebral body whose volume, or mean height, stands out against
  the others — a robust z of its log value off the spine's Theil–Sen trend (bodies grow from
  T12 to L5), scaled by 1.4826 × the residuals' median absolute deviation (floored, so that a
  spine of near-equal bodies does not flag small differences). Needs four vertebrae.
- ``levels``: a lumbar level missing between the first and last lumbar levels present, or an
  ``L6`` (a transitional lumbosacral vertebra counted as lumbar).
- ``border``: a vertebra touching the image border, or a muscle touching its left, right,
  anterior or posterior border (cut by the field of view).
- ``muscle_area``: a muscle cross-sectional area outside the plausible range (mm²).
- ``hu``: a vertebra whose HU stands out against the others of the scan (robust z).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from ._io import Volume
from .muscle import muscle_labels
from .vertebrae import VERTEBRA_ORDER, _touches_border, vertebra_labels

#: the thresholds of the checks (robust z limits; the muscle CSA range in mm²)
QC_THRESHOLDS: dict[str, Any] = {
    "volume_z": 3.5,
    "height_z": 3.5,
    "hu_z": 3.5,
    "muscle_area_mm2": (100.0, 8000.0),
    "mad_floor": 0.05,  # of the log-volume/height residuals (5 %) and relative HU spread
}
COLUMNS = ("flag", "level", "value", "threshold", "what")


def _robust_z(residual: np.ndarray, floor: float) -> np.ndarray:
    mad = float(np.median(np.abs(residual - np.median(residual)))) if len(residual) else 0.0
    return (residual - np.median(residual)) / max(1.4826 * mad, floor)


def _trend_z(values: Mapping[str, float], floor: float) -> dict[str, float]:
    """Robust z of each level's log value off the spine's robust trend (Theil–Sen line).

    Vertebral bodies grow steadily from T12 to L5; a line through the log values by the median
    of pairwise slopes follows that growth and is not pulled by one mislabelled body, whose
    residual then stands out (z scaled by 1.4826 × the residuals' MAD, at least ``floor``).
    """
    from scipy.stats import theilslopes

    levels = [lv for lv, v in values.items() if v > 0]
    if len(levels) < 4:
        return {}
    logs = np.log([values[lv] for lv in levels])
    position = np.arange(len(levels), dtype=float)
    slope, intercept, _, _ = theilslopes(logs, position)
    residual = logs - (intercept + slope * position)
    return dict(zip(levels, _robust_z(residual, floor).tolist(), strict=True))


def segmentation_flags(
    mask: Volume,
    *,
    details: pd.DataFrame | None = None,
    heights: pd.DataFrame | None = None,
    thresholds: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The flags of one scan's segmentation (module notes); an empty table when all is well.

    ``details``: the scan's measured rows (``measure``, ``level``, ``value``, ``muscle``,
    ``side``) for the HU and muscle-area checks; ``heights``: its vertebral heights.
    """
    limits = {**QC_THRESHOLDS, **(thresholds or {})}
    labels = vertebra_labels(mask)
    rows: list[tuple[str, str, float, Any, str]] = []
    centre = {}
    volume = {}
    voxel = float(np.prod(mask.spacing))
    for level, value in labels.items():
        box, body = mask.region(value, margin=0)
        centre[level] = box[2].start + float(np.mean(np.nonzero(body)[2]))
        volume[level] = float(body.sum()) * voxel
        if _touches_border(mask, value):
            rows.append(("border", level, np.nan, "", "vertebra touches the image border"))
    for upper, lower in pairwise(labels):
        if centre[upper] <= centre[lower]:
            rows.append(
                ("order", f"{upper}/{lower}", centre[upper] - centre[lower], "> 0",
                 f"{upper} lies at or below {lower} (superior slice distance)")
            )  # fmt: skip
    rows += _levels(list(labels))
    for level, z in _trend_z(volume, limits["mad_floor"]).items():
        if abs(z) > limits["volume_z"]:
            rows.append(("volume", level, z, limits["volume_z"], "body volume off the trend"))
    if heights is not None and len(heights):
        mean_height = heights.set_index("level")[["posterior_mm", "middle_mm", "anterior_mm"]]
        values = mean_height.mean(axis=1).to_dict()
        for level, z in _trend_z(values, limits["mad_floor"]).items():
            if abs(z) > limits["height_z"]:
                rows.append(("height", level, z, limits["height_z"], "body height off the trend"))
    for (muscle, side), value in muscle_labels(mask).items():
        box = mask.boxes[value]  # in-plane only: a muscle runs through the whole scan in z
        edges = zip(box[:2], mask.shape[:2], strict=True)
        if any(b.start == 0 or b.stop == n for b, n in edges):
            rows.append(("border", f"{muscle} {side}", np.nan, "", "cut by the field of view"))
    if details is not None and len(details):
        rows += _from_details(details, limits)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _levels(present: list[str]) -> list[tuple[str, str, float, Any, str]]:
    lumbar = [lv for lv in present if lv.startswith("L")]
    rows = []
    if "L6" in lumbar:
        rows.append(("levels", "L6", np.nan, "", "a sixth lumbar vertebra (transitional?)"))
    if lumbar:
        rank = {name: i for i, name in enumerate(VERTEBRA_ORDER)}
        first, last = rank[lumbar[0]], rank[lumbar[-1]]
        span = VERTEBRA_ORDER[first : last + 1]
        gaps = [lv for lv in span if lv not in lumbar]
        rows += [("levels", lv, np.nan, "", "lumbar level missing between others") for lv in gaps]
    return rows


def _from_details(details: pd.DataFrame, limits: Mapping[str, Any]) -> list:
    rows = []
    low, high = limits["muscle_area_mm2"]
    csa = details[details["measure"] == "csa_muscle"]
    for r in csa.itertuples(index=False):
        if not low <= r.value <= high:
            where = f"{r.level} {r.muscle} {r.side}"
            rows.append(("muscle_area", where, float(r.value), f"{low:g}–{high:g} mm²",
                         "muscle CSA outside the plausible range"))  # fmt: skip
    hu = details[details["measure"] == "hu"].dropna(subset=["value"])
    if len(hu) >= 3:
        values = hu["value"].to_numpy(float)
        spread = limits["mad_floor"] * max(abs(float(np.median(values))), 1.0)
        for level, z in zip(hu["level"], _robust_z(values, spread), strict=True):
            if abs(z) > limits["hu_z"]:
                rows.append(("hu", level, float(z), limits["hu_z"], "HU vs the scan's vertebrae"))
    return rows
