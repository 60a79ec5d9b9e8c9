"""MRI: vertebral T1 signal per level and the CSF signal, the inputs of the VBQ score.

``si_vertebra`` is the median (default) signal inside each vertebra's ROI (the same named ROI
rules as for CT HU; TotalSegmentator's erosion by default), ``si_csf`` the median signal of a CSF
label within the axial span of the same vertebra. VBQ itself (median of L1–L4 ÷ CSF at L3, else
L2, else L4) is derived downstream by :func:`ovcfstats.derive_indicators`.

Segmentations of MR often hold all vertebrae under one label (TotalSegmentator's ``total_mr``:
``vertebrae``); :func:`split_levels` separates them into connected components and names them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import ndimage

from .._validate import DataError, check_option
from ._io import Volume, check_geometry
from .vertebrae import vertebra_labels, vertebral_rois


def split_levels(mask: Volume, label: str, names: Sequence[str]) -> Volume:
    """Split one label holding several vertebrae into one label per vertebra.

    Parameters
    ----------
    mask : Volume
        Label volume.
    label : str
        The label holding the vertebrae (e.g. ``"vertebrae"``).
    names : sequence of str
        Level names of the connected components from cranial to caudal (e.g. ``["L3", "L4"]``);
        their number must equal the number of components, which the error states otherwise.

    Returns
    -------
    Volume
        The mask with the components relabelled to new values named ``vertebrae_<level>``.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging import Volume, split_levels
    >>> data = np.zeros((6, 6, 12), np.uint8); data[1:5, 1:5, 7:11] = 1; data[1:5, 1:5, 1:5] = 1
    >>> mask = split_levels(Volume(data, np.eye(4), {1: "vertebrae"}), "vertebrae", ["L3", "L4"])
    >>> sorted(mask.labels.values())
    ['vertebrae', 'vertebrae_L3', 'vertebrae_L4']
    """
    value = mask.label_id(label)
    parts, count = ndimage.label(mask.data == value)
    if count != len(names):
        raise DataError(
            f"split_levels(): label '{label}' has {count} connected components; {len(names)} "
            f"level names were given ({list(names)}). Name each component, cranial first."
        )
    heights = ndimage.mean(np.indices(mask.shape)[2], parts, index=np.arange(1, count + 1))
    order = np.argsort(-np.asarray(heights))  # cranial (high z) first
    data = mask.data.astype(np.int32, copy=True)
    labels = dict(mask.labels)
    top = max([0, *labels, int(mask.data.max())])
    for rank, part in enumerate(order):
        data[parts == part + 1] = top + 1 + rank
        labels[top + 1 + rank] = f"vertebrae_{names[rank]}"
    return Volume(data, mask.affine, labels, mask.source, stored=mask.stored)


def vbq_inputs(
    image: Volume,
    mask: Volume,
    *,
    csf: str | None = "csf",
    rule: str = "totalsegmentator",
    statistic: str = "median",
    levels: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """T1 signal per vertebra and of CSF at the same levels.

    Parameters
    ----------
    image, mask : Volume
        T1-weighted MR and its label volume (vertebrae per level, a CSF label).
    csf : str or None
        Name of the CSF label; None to measure vertebrae only.
    rule : str
        ROI rule of the vertebrae (see :mod:`ovcfstats.imaging.vertebrae`).
    statistic : {"median", "mean"}
        Summary of the ROI's voxels.

    Returns
    -------
    pandas.DataFrame
        ``measure`` (``si_vertebra`` or ``si_csf``), ``level``, ``value``, ``n_voxels``.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging import Volume, vbq_inputs
    >>> data = np.zeros((20, 20, 14), np.uint8)
    >>> data[4:16, 4:16, 2:12] = 1; data[8:12, 17:19, :] = 2  # a vertebra and the CSF
    >>> t1 = Volume(np.where(data == 1, 400.0, np.where(data == 2, 100.0, 50.0)), np.eye(4))
    >>> table = vbq_inputs(t1, Volume(data, np.eye(4), {1: "vertebrae_L3", 2: "csf"}))
    >>> table[["measure", "level", "value"]]
           measure level  value
    0  si_vertebra    L3  400.0
    1       si_csf    L3  100.0
    """
    func = "vbq_inputs"
    check_option(statistic, ("median", "mean"), func, "statistic")
    check_geometry(image, mask, func)
    summary = np.median if statistic == "median" else np.mean
    rois, _ = vertebral_rois(mask, rule=rule, levels=levels)
    csf_mask = mask.data == mask.label_id(csf) if csf is not None else None
    rows = []
    for level, roi in rois.items():
        values = roi.values(image.data)
        rows.append(("si_vertebra", level, float(summary(values)), values.size))
        if csf_mask is None:
            continue
        span = mask.boxes[vertebra_labels(mask, levels)[level]][2]
        fluid = csf_mask[:, :, span]
        if fluid.any():
            values = np.asarray(image.data[:, :, span][fluid], dtype=float)
            rows.append(("si_csf", level, float(summary(values)), values.size))
    return pd.DataFrame(rows, columns=["measure", "level", "value", "n_voxels"])
