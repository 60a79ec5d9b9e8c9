"""Volume and mean value of every labelled structure (TotalSegmentator's ``--statistics``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._io import Volume, check_geometry


def label_statistics(image: Volume, mask: Volume) -> pd.DataFrame:
    """Volume (mm³) and mean image value of each label present in the mask.

    The whole labelled structure counts (no erosion), as in TotalSegmentator's
    ``statistics.json``; use it for organ or whole-muscle attenuation, and the ROI rules of
    :func:`~ovcfstats.imaging.vertebral_hu` for trabecular bone.

    Returns
    -------
    pandas.DataFrame
        ``label``, ``name`` (from the mask's label table, else empty), ``n_voxels``,
        ``volume_mm3``, ``mean``, ``median``.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging import Volume, label_statistics
    >>> seg = np.zeros((4, 4, 4), np.uint8); seg[:2] = 3
    >>> ct = np.where(seg == 3, 50.0, -1000.0)
    >>> label_statistics(Volume(ct, np.diag([2, 2, 2, 1.0])), Volume(seg, np.diag([2, 2, 2, 1.0])))
       label name  n_voxels  volume_mm3  mean  median
    0      3             32       256.0  50.0    50.0
    """
    check_geometry(image, mask, "label_statistics")
    voxel_mm3 = float(np.prod(mask.spacing))
    rows = []
    for value in sorted(mask.boxes):
        box, inside = mask.region(value, margin=0)
        values = np.asarray(image.data[box][inside], dtype=float)
        rows.append(
            {
                "label": value,
                "name": mask.labels.get(value, ""),
                "n_voxels": int(values.size),
                "volume_mm3": values.size * voxel_mm3,
                "mean": float(values.mean()),
                "median": float(np.median(values)),
            }
        )
    columns = ["label", "name", "n_voxels", "volume_mm3", "mean", "median"]
    return pd.DataFrame(rows, columns=columns)
