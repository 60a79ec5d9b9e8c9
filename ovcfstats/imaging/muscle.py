"""Paraspinal muscles at a disc or mid-vertebral axial slice: CSA and fat fraction (CT or MRI).

The slice of disc level ``L1-2`` is the axial slice midway between the lowest voxel of L1 and
the highest voxel of L2 (the disc space); ``slice="mid"`` takes each vertebra's centroid slice
instead (levels are then vertebrae, which the ``measurements`` table does not hold for muscles).

CT fat fraction: inside the muscle's mask on that slice, pixels in the muscle range
(−29…+150 HU) and in the fat range (−190…−30 HU) are counted; fat fraction = fat ÷ (fat +
muscle) × 100, pixels outside both ranges (bone, air, vessels with contrast) are left out and
counted. CSA is the area of the whole mask on the slice (mm²). MRI fat fraction thresholds the
muscle's pixels as ImageJ does (:func:`ovcfstats.fat_fraction`: a fixed grey value or Otsu).

TotalSegmentator names map to the study's muscles: ``iliopsoas`` → ``PM`` (psoas major; the
iliacus joins it below L4), ``autochthon`` → ``ES`` (erector spinae together with multifidus:
one compartment, so MF gets no separate reading). Pass ``muscles=`` to map other names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd
from scipy import ndimage

from .._validate import DataError, check_option
from ._io import Volume, check_geometry
from .vertebrae import nearest, vertebra_labels

#: CT ranges (HU, inclusive) of skeletal muscle and of fat (subcutaneous and intermuscular)
#:
#: Examples
#: --------
#: >>> from ovcfstats.imaging import FAT_HU, MUSCLE_HU
#: >>> MUSCLE_HU, FAT_HU
#: ((-29.0, 150.0), (-190.0, -30.0))
MUSCLE_HU = (-29.0, 150.0)
#: CT range (HU, inclusive) of fat, subcutaneous and intermuscular: the fat of ``fat_fraction``
#:
#: Examples
#: --------
#: >>> from ovcfstats.imaging import FAT_HU
#: >>> FAT_HU
#: (-190.0, -30.0)
FAT_HU = (-190.0, -30.0)
#: names of a label holding the intervertebral discs (TotalSegmentator's total_mr first)
DISC_LABELS = ("intervertebral_discs", "discs", "disc")
#: structure name stem → study muscle code
TOTALSEG_MUSCLES = {"iliopsoas": "PM", "psoas": "PM", "autochthon": "ES", "multifidus": "MF"}
_SIDE = re.compile(r"^(.*?)[_ ]?(left|right|l|r)$", re.IGNORECASE)


def muscle_labels(
    mask: Volume, muscles: Mapping[str, str] | None = None
) -> dict[tuple[str, str], int]:
    """(muscle code, side) → label value, from names like ``autochthon_left``.

    Examples
    --------
    >>> from ovcfstats.imaging import muscle_labels
    >>> from ovcfstats.imaging.examples import phantom
    >>> ct, mask = phantom()
    >>> muscle_labels(mask)
    {('ES', 'L'): 6, ('ES', 'R'): 5, ('PM', 'L'): 8, ('PM', 'R'): 7}
    """
    stems = {k.lower(): v for k, v in (muscles or TOTALSEG_MUSCLES).items()}
    present = mask.boxes
    found = {}
    for value, name in mask.labels.items():
        hit = _SIDE.match(str(name))
        if hit and hit.group(1).lower() in stems and value in present:
            side = hit.group(2)[0].upper()
            found[(stems[hit.group(1).lower()], side)] = int(value)
    return dict(sorted(found.items()))


def level_slices(
    mask: Volume, *, slice: str = "disc", levels: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Axial slice index per disc level (``"L1-2"``) or per vertebra (``slice="mid"``).

    Examples
    --------
    >>> from ovcfstats.imaging import level_slices
    >>> from ovcfstats.imaging.examples import phantom
    >>> ct, mask = phantom()
    >>> level_slices(mask)  # the axial slice midway through each disc space
    {'L1-2': 42, 'L2-3': 28, 'L3-4': 14}
    """
    check_option(slice, ("disc", "mid"), "muscle_measurements", "slice")
    spans = {}
    for level, value in vertebra_labels(mask, levels).items():
        box, body = mask.region(value, margin=0)
        centre = box[2].start + float(np.mean(np.nonzero(body)[2]))
        spans[level] = (box[2].start, box[2].stop - 1, centre)
    if slice == "mid":
        return {level: nearest(c) for level, (_, _, c) in spans.items()}
    out = {}
    names = list(spans)
    for upper, lower in pairwise(names):
        if upper[0] == lower[0] or (upper, lower) == ("T12", "L1") or upper == "L5":
            disc = f"{upper}-{lower[1:]}" if upper[0] == lower[0] else f"{upper}-{lower}"
            out[disc] = nearest((spans[upper][0] + spans[lower][1]) / 2)
    return out


def _ct_row(values: np.ndarray, muscle_hu: Sequence[float], fat_hu: Sequence[float]) -> dict:
    is_muscle = (values >= muscle_hu[0]) & (values <= muscle_hu[1])
    is_fat = (values >= fat_hu[0]) & (values <= fat_hu[1])
    n_muscle, n_fat = int(is_muscle.sum()), int(is_fat.sum())
    counted = n_muscle + n_fat
    return {
        "fat_fraction": 100.0 * n_fat / counted if counted else np.nan,
        "muscle_hu": float(values[is_muscle].mean()) if n_muscle else np.nan,
        "n_outside_ranges": int(values.size - counted),
    }


def muscle_measurements(
    image: Volume,
    mask: Volume,
    *,
    modality: str = "CT",
    slice: str = "disc",
    muscles: Mapping[str, str] | None = None,
    levels: Mapping[str, int] | None = None,
    muscle_hu: Sequence[float] = MUSCLE_HU,
    fat_hu: Sequence[float] = FAT_HU,
    threshold: float | str = "otsu",
) -> pd.DataFrame:
    """CSA (mm²) and fat fraction (%) per level, muscle and side on the level's axial slice.

    Parameters
    ----------
    image, mask : Volume
        The image (CT in HU or MR) and its label volume (vertebrae and muscles).
    modality : {"CT", "MR"}
        CT: fat fraction by HU ranges; MR: by ``threshold`` (ImageJ-style).
    slice : {"disc", "mid"}
        Disc-space slice (the paper's L1-2…L4-5) or the vertebra's centroid slice.
    muscles : mapping, optional
        Structure name stem → muscle code (default :data:`TOTALSEG_MUSCLES`).
    muscle_hu, fat_hu : (low, high)
        Inclusive HU ranges for CT (defaults −29…150 and −190…−30).
    threshold : float or "otsu"
        MR grey-value threshold, pixels above it count as fat.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``muscle``, ``side``, ``slice``, ``csa_mm2``, ``fat_fraction``,
        ``muscle_hu`` (CT: mean HU of the muscle-range pixels), ``n_pixels``,
        ``n_outside_ranges`` (CT pixels in neither range).

    Examples
    --------
    >>> from ovcfstats.imaging import muscle_measurements
    >>> from ovcfstats.imaging.examples import phantom
    >>> ct, mask = phantom()
    >>> table = muscle_measurements(ct, mask)
    >>> table[["level", "muscle", "side", "csa_mm2"]].head(3)
      level muscle side  csa_mm2
    0  L1-2     ES    L    100.0
    1  L1-2     ES    R    100.0
    2  L1-2     PM    L     80.0
    """
    from ..indicators import fat_fraction

    func = "muscle_measurements"
    check_option(modality, ("CT", "MR"), func, "modality")
    check_geometry(image, mask, func)
    labels = muscle_labels(mask, muscles)
    if not labels:
        raise DataError(
            f"{func}(): no muscle labels in {mask.source or 'the mask'} (known stems "
            f"{sorted(muscles or TOTALSEG_MUSCLES)}). Name them '<muscle>_left/right' or pass "
            "muscles=."
        )
    pixel_mm2 = mask.spacing[0] * mask.spacing[1]
    rows = []
    for level, z in level_slices(mask, slice=slice, levels=levels).items():
        for (muscle, side), value in labels.items():
            roi = mask.data[:, :, z] == value
            if not roi.any():
                continue
            pixels = np.asarray(image.data[:, :, z], dtype=float)
            row = {"level": level, "muscle": muscle, "side": side, "slice": z}
            row["csa_mm2"] = float(roi.sum() * pixel_mm2)
            row["n_pixels"] = int(roi.sum())
            if modality == "CT":
                row.update(_ct_row(pixels[roi], muscle_hu, fat_hu))
            else:
                row["fat_fraction"] = fat_fraction(pixels, roi, threshold=threshold)
            rows.append(row)
    columns = ["level", "muscle", "side", "slice", "csa_mm2", "fat_fraction", "muscle_hu"]
    columns += ["n_pixels", "n_outside_ranges"]
    return pd.DataFrame(rows).reindex(columns=columns)


def disc_areas(mask: Volume, *, levels: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Disc cross-sectional area (mm², ``csa_disc``) on each disc level's axial slice.

    The disc label is the first of :data:`DISC_LABELS` in the mask; on a disc level's slice
    (see :func:`level_slices`) its largest connected part is the disc of that level.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``slice``, ``csa_mm2``, ``n_pixels``; empty when the mask has no disc label.

    Examples
    --------
    >>> from ovcfstats.imaging import disc_areas
    >>> from ovcfstats.imaging.examples import phantom
    >>> ct, mask = phantom()
    >>> disc_areas(mask)
      level  slice  csa_mm2  n_pixels
    0  L1-2     42    196.0       196
    1  L2-3     28    196.0       196
    2  L3-4     14    196.0       196
    """
    names = {name: value for value, name in mask.labels.items() if value in mask.boxes}
    label = next((names[n] for n in DISC_LABELS if n in names), None)
    rows = []
    if label is not None:
        for level, z in level_slices(mask, levels=levels).items():
            parts, count = ndimage.label(mask.data[:, :, z] == label)
            if count:
                n = int(np.bincount(parts.ravel())[1:].max())
                rows.append((level, z, n * mask.spacing[0] * mask.spacing[1], n))
    return pd.DataFrame(rows, columns=["level", "slice", "csa_mm2", "n_pixels"])
