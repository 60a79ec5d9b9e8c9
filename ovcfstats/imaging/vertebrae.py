"""Vertebral bodies on CT: trabecular HU by a named ROI rule, body heights, Genant grade.

ROI rules (``rule=``), each applied to one vertebra's label in the mask (best a vertebral-body
mask such as TotalSegmentator's ``vertebrae_body`` output; a whole-vertebra label also holds the
posterior elements):

``"totalsegmentator"``
    TotalSegmentator's spine report: the 3-D mask eroded by an ellipsoid of 4 mm radius in
    voxel units (radius 4 mm ÷ spacing per axis, on the grid ``-r, -r+1, … < r+1`` that it
    builds, which is off-centre when ``r`` is fractional; SciPy's binary erosion, voxels outside
    the image count as background). A vertebra whose mask touches the image border is left out,
    as TotalSegmentator does (a cut vertebra).
``"comp2comp"``
    Comp2Comp's spine ROI (``roi_from_mask`` in its ``spine_utils.py``): on the sagittal section
    through the vertebra's centroid, the body is the larger part once the posterior (spinous)
    part is dropped; on each axial slice within ±3.75 mm of its centre an ellipse centred at
    58 % of the body's antero-posterior run from its posterior edge, semi-axes 25 % of that run
    and 32.5 % of the left–right run through the centre (the shortest of three neighbouring
    lines, as Comp2Comp takes it), intersected with the mask eroded by a 6-connected cross
    iterated twice (once for slices 3 mm or thicker). Comp2Comp's check that the sagittal
    section holds more than 200 voxels is not applied (it assumes ~1 mm voxels).
``"midslice"``
    The ROI a surgeon draws: one axial slice through the body's centroid, an ellipse centred on
    the section's centroid with semi-axes 70 % of its half-width and half-depth, inside the
    section eroded by 2 mm (away from the cortex).

Heights: in the sagittal plane through the body's centroid, crossing the body along the spine's
local axis at 15 %, 50 % and 85 % of its depth from the posterior edge (posterior, middle and
anterior height, TotalSegmentator's positions; it then keeps the sagittal slice with the largest
spread, here the centroid's slice is used). Genant's semi-quantitative grade from the height
reduction ``1 − min/max`` of the three heights: 0 below 20 %, 1 (mild) 20–25 %, 2 (moderate)
25–40 %, 3 (severe) 40 % or more. Genant also compares with the neighbouring vertebrae; this
within-vertebra ratio is what TotalSegmentator flags (``height_difference``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from .._validate import DataError, check_option
from ._io import Volume, check_geometry

#: The trabecular ROI rules of :func:`vertebral_hu` (``rule=``).
#:
#: Examples
#: --------
#: >>> from ovcfstats.imaging import ROI_RULES
#: >>> ROI_RULES
#: ('totalsegmentator', 'comp2comp', 'midslice')
ROI_RULES = ("totalsegmentator", "comp2comp", "midslice")
#: TotalSegmentator's erosion radius for the spine report (mm)
TS_EROSION_MM = 4.0
#: Comp2Comp: erosion (voxels), slab half-height (mm), ellipse centre and semi-axes (fractions)
C2C_EROSION_VOXELS = 2
C2C_SLAB_MM = 3.75
C2C_CENTRE_AP = 0.58
C2C_SEMI_AP, C2C_SEMI_LR = 0.25, 0.325
#: surgeon's mid-slice ROI: erosion (mm) and semi-axes as fractions of the half-extents
MIDSLICE_EROSION_MM = 2.0
MIDSLICE_FRACTION = 0.7
#: height positions along the AP extent, from posterior
HEIGHT_POSITIONS = {"posterior": 0.15, "middle": 0.5, "anterior": 0.85}
#: Genant grade lower bounds of the height reduction (grade 1, 2, 3)
GENANT_BOUNDS = (0.20, 0.25, 0.40)
#: sampling step along a measuring line (voxels)
STEP_VOXELS = 0.25
VERTEBRA_ORDER = [f"C{i}" for i in range(1, 8)] + [f"T{i}" for i in range(1, 13)]
VERTEBRA_ORDER += [f"L{i}" for i in range(1, 7)] + ["S1"]
_NAME = re.compile(r"^(?:vertebrae?_)?([CTLS]\d{1,2})$", re.IGNORECASE)


def vertebra_labels(mask: Volume, levels: Mapping[str, int] | None = None) -> dict[str, int]:
    """Vertebra level → label value, from the mask's label names or given.

    Names such as ``vertebrae_L1`` (TotalSegmentator) or ``L1`` are recognised; the result is
    ordered from cranial to caudal.

    Examples
    --------
    >>> from ovcfstats.imaging import vertebra_labels
    >>> from ovcfstats.imaging.examples import phantom
    >>> ct, mask = phantom()
    >>> vertebra_labels(mask)
    {'L1': 1, 'L2': 2, 'L3': 3, 'L4': 4}
    """
    if levels is not None:
        found = {str(k).upper(): int(v) for k, v in levels.items()}
    else:
        found = {}
        for value, name in mask.labels.items():
            hit = _NAME.match(str(name))
            if hit:
                found[hit.group(1).upper()] = int(value)
    found = {k: v for k, v in found.items() if v in mask.boxes}
    rank = {name: i for i, name in enumerate(VERTEBRA_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: rank.get(kv[0], len(rank))))


@dataclass(frozen=True, eq=False)
class Roi:
    """A region of interest kept in its bounding box: ``mask`` over ``image[box]``."""

    box: tuple[slice, ...]
    mask: np.ndarray

    def values(self, data: np.ndarray) -> np.ndarray:
        """The image's values inside the ROI (float64)."""
        return np.asarray(data[self.box][self.mask], dtype=float)

    def best_slice(self) -> int:
        """The axial slice (global index) holding most of the ROI."""
        return self.box[2].start + int(np.argmax(self.mask.sum(axis=(0, 1))))

    def plane(self, shape: tuple[int, ...], z: int) -> np.ndarray:
        """The ROI on axial slice ``z`` as a full-size 2-D boolean array."""
        out = np.zeros(shape[:2], dtype=bool)
        local = z - self.box[2].start
        if 0 <= local < self.mask.shape[2]:
            out[self.box[0], self.box[1]] = self.mask[:, :, local]
        return out


def _ts_structure(spacing: Sequence[float], radius_mm: float = TS_EROSION_MM) -> np.ndarray:
    """The ellipsoid TotalSegmentator erodes with, on its (possibly off-centre) voxel grid."""
    radii = [radius_mm / s for s in spacing]
    axes = np.ogrid[tuple(slice(-r, r + 1) for r in radii)]
    return sum(a * a / r**2 for a, r in zip(axes, radii, strict=True)) <= 1


def _ellipse(shape: tuple[int, int], centre: Sequence[float], semi: Sequence[float]) -> np.ndarray:
    x, y = np.ogrid[: shape[0], : shape[1]]
    semi = [max(s, 0.5) for s in semi]
    return ((x - centre[0]) / semi[0]) ** 2 + ((y - centre[1]) / semi[1]) ** 2 <= 1


def nearest(value: float) -> int:
    """The nearest voxel index (halves round up)."""
    return int(np.floor(value + 0.5))


def _centroid_slice(body: np.ndarray) -> int:
    return nearest(float(np.mean(np.nonzero(body)[2])))


def roi_totalsegmentator(body: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """TotalSegmentator's trabecular ROI: the mask eroded by its 4 mm ellipsoid."""
    return ndimage.binary_erosion(body, structure=_ts_structure(spacing))


def _sagittal_body(section: np.ndarray) -> np.ndarray:
    """Comp2Comp's body on the sagittal section: of the two largest 8-connected parts, drop the
    posterior one (the spinous process)."""
    parts, count = ndimage.label(section, structure=np.ones((3, 3)))
    if count < 2:
        return section
    sizes = np.bincount(parts.ravel())[1:]
    largest = np.argsort(-sizes, kind="stable")[:2] + 1
    keep = np.isin(parts, largest)
    ap = ndimage.mean(np.indices(section.shape)[0], parts, index=largest)
    return keep & (parts != largest[int(np.argmin(ap))])


def _shortest_line(lines: list[np.ndarray]) -> np.ndarray | None:
    """Of a line and its two neighbours, the one with the fewest (but some) mask voxels."""
    sums = np.array([line.sum() for line in lines])
    if not sums.any():
        return None
    return lines[int(np.argmin(np.where(sums > 0, sums, np.inf)))]


def _line(plane: np.ndarray, index: int) -> np.ndarray:
    inside = 0 <= index < plane.shape[1]
    return plane[:, index] if inside else np.zeros(plane.shape[0], dtype=bool)


def roi_comp2comp(body: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Comp2Comp's stacked elliptical ROI around the body's centre (see module notes)."""
    roi = np.zeros(body.shape, dtype=bool)
    x0 = int(np.average(np.arange(body.shape[0]), weights=body.sum(axis=(1, 2))))
    sagittal = _sagittal_body(body[x0])  # (AP, SI)
    if not sagittal.any():
        return roi
    y_c, z_c = (float(np.mean(c)) for c in np.nonzero(sagittal))
    column = np.nonzero(body[x0, int(y_c), :])[0]
    z_mid = float(np.mean(column)) if column.size else z_c
    half = (C2C_SLAB_MM * 2 / spacing[2]) // 2
    x, y = np.ogrid[: body.shape[0], : body.shape[1]]
    for z in range(int(z_mid - half), int(z_mid + half) + 1):
        ap_line = _shortest_line([_line(sagittal, z + d) for d in (0, 1, -1)])
        if ap_line is None or not 0 <= z < body.shape[2]:
            continue
        centre_ap = np.nonzero(ap_line)[0].min() + ap_line.sum() * C2C_CENTRE_AP
        semi_ap = max((ap_line.sum() * 2 * C2C_SEMI_AP) // 2, 1)
        lr_line = _shortest_line([_line(body[:, :, z], int(centre_ap) + d) for d in (0, 1, -1)])
        if lr_line is None:
            continue
        centre_lr = float(np.mean(np.nonzero(lr_line)[0]))
        semi_lr = max((lr_line.sum() * 2 * C2C_SEMI_LR) // 2, 1)
        roi[:, :, z] = ((x - centre_lr) / semi_lr) ** 2 + ((y - centre_ap) / semi_ap) ** 2 <= 1
    steps = C2C_EROSION_VOXELS if spacing[2] < 3 else 1
    cross = ndimage.iterate_structure(ndimage.generate_binary_structure(3, 1), steps)
    return roi & ndimage.binary_erosion(body, structure=cross)


def roi_midslice(body: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """The surgeon's oval on the mid-vertebral axial slice (see module notes)."""
    roi = np.zeros_like(body, dtype=bool)
    z0 = _centroid_slice(body)
    section = body[:, :, z0]
    radii = [MIDSLICE_EROSION_MM / s for s in spacing[:2]]
    axes = np.ogrid[tuple(slice(-int(np.floor(r)), int(np.floor(r)) + 1) for r in radii)]
    disc = sum(a * a / r**2 for a, r in zip(axes, radii, strict=True)) <= 1
    inner = ndimage.binary_erosion(section, structure=disc)
    if not inner.any():
        return roi
    xs, ys = np.nonzero(section)
    centre = (xs.mean(), ys.mean())
    semi = (MIDSLICE_FRACTION * (np.ptp(xs) + 1) / 2, MIDSLICE_FRACTION * (np.ptp(ys) + 1) / 2)
    roi[:, :, z0] = inner & _ellipse(section.shape, centre, semi)
    return roi


RULES: dict[str, Callable[[np.ndarray, Sequence[float]], np.ndarray]] = {
    "totalsegmentator": roi_totalsegmentator,
    "comp2comp": roi_comp2comp,
    "midslice": roi_midslice,
}


def _touches_border(mask: Volume, value: int) -> bool:
    box = mask.boxes[value]
    return any(b.start == 0 or b.stop == n for b, n in zip(box, mask.shape, strict=True))


def vertebral_rois(
    mask: Volume, *, rule: str = "totalsegmentator", levels: Mapping[str, int] | None = None
) -> tuple[dict[str, Roi], pd.DataFrame]:
    """The trabecular ROI of each vertebra and the vertebrae left out with the reason."""
    check_option(rule, ROI_RULES, "vertebral_hu", "rule")
    labels = vertebra_labels(mask, levels)
    if not labels:
        raise DataError(
            f"vertebral_hu(): no vertebra labels in {mask.source or 'the mask'} (labels "
            f"{sorted(mask.labels.values())[:10]}). Name them 'vertebrae_L1'… or pass levels=."
        )
    rois, skipped = {}, []
    for level, value in labels.items():
        if rule == "totalsegmentator" and _touches_border(mask, value):
            skipped.append((level, "mask touches the image border (vertebra cut by the scan)"))
            continue
        box, body = mask.region(value)
        roi = RULES[rule](body, mask.spacing)
        if roi.any():
            rois[level] = Roi(box, roi)
        else:
            skipped.append((level, f"no voxel left after the '{rule}' ROI rule"))
    return rois, pd.DataFrame(skipped, columns=["level", "reason"])


def vertebral_hu(
    image: Volume,
    mask: Volume,
    *,
    rule: str = "totalsegmentator",
    levels: Mapping[str, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trabecular attenuation (HU) per vertebra: mean and median inside the ROI rule's voxels.

    Parameters
    ----------
    image : Volume
        CT in HU (rescale applied), from :func:`read_image`.
    mask : Volume
        Label volume on the same grid, vertebrae labelled per level.
    rule : {"totalsegmentator", "comp2comp", "midslice"}
        The ROI rule (module notes).
    levels : mapping of str to int, optional
        Level → label value when the mask's label names do not say it.

    Returns
    -------
    table : pandas.DataFrame
        One row per vertebra: ``level``, ``rule``, ``mean``, ``median``, ``sd``, ``n_voxels``,
        ``roi_ml`` (ROI volume), ``body_ml`` (whole label volume).
    skipped : pandas.DataFrame
        ``level``, ``reason`` of the vertebrae not measured.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging import Volume, vertebral_hu
    >>> ct = np.full((20, 20, 20), 100.0); seg = np.zeros((20, 20, 20), np.uint8)
    >>> seg[5:15, 5:15, 5:15] = 1; ct[5:15, 5:15, 5:15] = 250.0; ct[7:13, 7:13, 7:13] = 150.0
    >>> table, _ = vertebral_hu(Volume(ct, np.eye(4)), Volume(seg, np.eye(4), {1: "L1"}))
    >>> table[["level", "mean", "median"]].to_dict("records")
    [{'level': 'L1', 'mean': 150.0, 'median': 150.0}]
    """
    check_geometry(image, mask, "vertebral_hu")
    rois, skipped = vertebral_rois(mask, rule=rule, levels=levels)
    return roi_hu(image, mask, rois, rule=rule, levels=levels), skipped


def roi_hu(
    image: Volume,
    mask: Volume,
    rois: Mapping[str, Roi],
    *,
    rule: str,
    levels: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The table of :func:`vertebral_hu` from ROIs already drawn by :func:`vertebral_rois`."""
    labels = vertebra_labels(mask, levels)
    voxel_ml = float(np.prod(mask.spacing)) / 1000.0
    rows = []
    for level, roi in rois.items():
        values = roi.values(image.data)
        rows.append(
            {
                "level": level,
                "rule": rule,
                "mean": float(np.mean(values)),
                "median": float(np.median(values)),
                "sd": float(np.std(values, ddof=1)) if values.size > 1 else np.nan,
                "n_voxels": int(values.size),
                "roi_ml": values.size * voxel_ml,
                "body_ml": int(np.count_nonzero(mask.region(labels[level])[1])) * voxel_ml,
            }
        )
    columns = ["level", "rule", "mean", "median", "sd", "n_voxels", "roi_ml", "body_ml"]
    return pd.DataFrame(rows, columns=columns)


def genant_grade(reduction: float | np.ndarray) -> np.ndarray:
    """Genant's semi-quantitative grade (0–3) from the height reduction ``1 − min/max``.

    Examples
    --------
    >>> from ovcfstats.imaging import genant_grade
    >>> genant_grade([0.1, 0.2, 0.249, 0.25, 0.4]).tolist()
    [0, 1, 1, 2, 3]
    """
    values = np.asarray(reduction, dtype=float)
    grade = np.searchsorted(np.asarray(GENANT_BOUNDS), values, side="right")
    return np.where(np.isnan(values), -1, grade).astype(int)


def _run_length(section: np.ndarray, point: np.ndarray, axis: np.ndarray) -> tuple[float, float]:
    """Voxel distances from ``point`` to the mask edge, backwards and forwards along ``axis``."""
    steps = np.arange(0.0, max(section.shape) * 1.5, STEP_VOXELS)
    ends = []
    for sign in (-1.0, 1.0):
        line = point[:, None] + sign * axis[:, None] * steps[None, :]
        inside = ndimage.map_coordinates(section.astype(float), line, order=1, cval=0.0) > 0.5
        ends.append(steps[np.argmin(inside)] - STEP_VOXELS / 2 if not inside.all() else steps[-1])
    return ends[0], ends[1]


def _height_axes(centroids: list[np.ndarray], i: int, spacing: Sequence[float]):
    """Unit height axis (cranio-caudal, through the neighbours' centroids) and the AP axis."""
    prev = centroids[i - 1] if i > 0 else centroids[i]
    nxt = centroids[i + 1] if i + 1 < len(centroids) else centroids[i]
    axis = (prev - nxt)[1:] * np.asarray(spacing[1:])  # (AP, SI) in mm, pointing cranially
    if np.linalg.norm(axis) == 0:
        axis = np.array([0.0, 1.0])
    axis = axis / np.linalg.norm(axis)
    ap = np.array([axis[1], -axis[0]])  # perpendicular, pointing anteriorly
    to_voxels = 1 / np.asarray(spacing[1:])
    return axis, ap, to_voxels


def vertebral_heights(mask: Volume, *, levels: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Posterior, middle and anterior body heights (mm), height reduction and Genant grade.

    In the sagittal plane through each body's centroid, the height axis joins the centroids of
    the neighbouring vertebrae (the spine's local direction, as TotalSegmentator takes it) and
    the AP axis is perpendicular to it. Along the AP axis through the centroid the body's depth
    is found; at 15 %, 50 % and 85 % of it from the posterior edge the body is crossed along the
    height axis (linear interpolation of the mask, edge where it falls below one half, steps of
    0.25 voxel).

    Vertebrae cut by the scan (touching the image border) are left out; they still set the
    axis of their neighbours.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``posterior_mm``, ``middle_mm``, ``anterior_mm``, ``reduction``
        (``1 − min/max``), ``genant`` (0–3).

    Examples
    --------
    >>> from ovcfstats.imaging import vertebral_heights
    >>> from ovcfstats.imaging.examples import phantom
    >>> ct, mask = phantom()
    >>> vertebral_heights(mask)[["level", "posterior_mm", "anterior_mm", "genant"]].head(2)
      level  posterior_mm  anterior_mm  genant
    0    L1          9.75         9.75       0
    1    L2          9.75         9.75       0
    """
    labels = vertebra_labels(mask, levels)
    regions = {level: mask.region(value) for level, value in labels.items()}
    offsets = {level: np.array([b.start for b in box]) for level, (box, _) in regions.items()}
    bodies = {level: body for level, (_, body) in regions.items()}
    whole = [level for level, value in labels.items() if not _touches_border(mask, value)]
    centroids = [
        np.array([np.mean(c) for c in np.nonzero(body)]) + offsets[level]
        for level, body in bodies.items()
    ]
    spacing = mask.spacing
    rows = []
    for i, (level, body) in enumerate(bodies.items()):
        if level not in whole:
            continue  # a vertebra cut by the scan has no true heights
        centre = centroids[i] - offsets[level]  # in the body's box
        section = body[nearest(centre[0])]  # (AP, SI) plane through the centroid
        axis, ap, to_vox = _height_axes(centroids, i, spacing)
        ap_vox = ap * to_vox / np.linalg.norm(ap * to_vox)
        back, front = _run_length(section, centre[1:], ap_vox)
        row: dict[str, object] = {"level": level}
        for name, frac in HEIGHT_POSITIONS.items():
            point = centre[1:] + ap_vox * (-back + frac * (back + front))
            ax_vox = axis * to_vox / np.linalg.norm(axis * to_vox)
            down, up = _run_length(section, point, ax_vox)
            row[f"{name}_mm"] = float(np.linalg.norm(ax_vox * (down + up) * spacing[1:]))
        heights = np.array([row[f"{n}_mm"] for n in HEIGHT_POSITIONS], dtype=float)
        reduction = 1 - heights.min() / heights.max() if heights.max() > 0 else np.nan
        row["reduction"] = float(reduction)
        row["genant"] = int(genant_grade(reduction))
        rows.append(row)
    columns = ["level", *(f"{n}_mm" for n in HEIGHT_POSITIONS), "reduction", "genant"]
    return pd.DataFrame(rows, columns=columns)
