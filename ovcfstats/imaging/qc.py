"""Quality-control figure: each ROI outlined over its slice, as a radiologist checks it.

Axial slices are shown in the radiological convention (patient's right on the viewer's left,
anterior at the top): one panel per measured vertebra (trabecular ROI in a bone window) and one
per disc level (muscle outlines in a soft-tissue window).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

#: display windows (low, high) in HU
BONE_WINDOW = (-250.0, 1250.0)
SOFT_WINDOW = (-160.0, 240.0)
_COLOURS = {"PM": "tab:orange", "MF": "tab:green", "ES": "tab:cyan"}


def _view(plane: np.ndarray) -> np.ndarray:
    """(x: to the right, y: to anterior) → rows anterior-first, patient's right on the left."""
    return plane[::-1, ::-1].T


def qc_figure(
    image: np.ndarray,
    vertebra_rois: Mapping[str, tuple[int, np.ndarray]],
    muscle_slices: Mapping[str, tuple[int, Mapping[str, np.ndarray]]],
    *,
    title: str = "",
    modality: str = "CT",
    path: str | Path | None = None,
):
    """Draw (and optionally save as PNG) the QC figure of one patient.

    Parameters
    ----------
    image : numpy.ndarray
        The image on canonical axes.
    vertebra_rois : mapping level → (slice index, 2-D bool array)
        Trabecular ROIs on the axial slice shown (the ROI's most populated one).
    muscle_slices : mapping level → (slice index, mapping "PM L" → 2-D bool array)
        Muscle ROIs per disc level.
    title : str
        Figure title (e.g. the patient ID and ROI rule).
    modality : {"CT", "MR"}
        CT uses bone and soft-tissue windows; MR the 1st–99th percentile.
    path : str or Path, optional
        Where to write the PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging import qc_figure
    >>> image = np.random.default_rng(0).normal(40, 20, (32, 32, 10))
    >>> roi = np.zeros((32, 32), bool); roi[10:20, 10:20] = True
    >>> figure = qc_figure(image, {"L1": (5, roi)}, {"L1-2": (7, {"ES L": roi})}, title="P001")
    >>> type(figure).__name__
    'Figure'
    """
    from matplotlib.figure import Figure

    panels = len(vertebra_rois) + len(muscle_slices)
    cols = max(min(panels, 5), 1)
    rows = max(int(np.ceil(panels / cols)), 1)
    fig = Figure(figsize=(max(3.0 * cols, 4.5), 3.2 * rows + 0.4))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    lo, hi = np.percentile(image, [1, 99]) if modality != "CT" else (None, None)
    k = 0
    for level, (z, roi) in vertebra_rois.items():
        window = BONE_WINDOW if modality == "CT" else (lo, hi)
        ax = axes[k]
        ax.imshow(_view(image[:, :, z]), cmap="gray", vmin=window[0], vmax=window[1])
        ax.contour(_view(roi.astype(float)), levels=[0.5], colors="red", linewidths=1)
        ax.set_title(f"{level} ROI (slice {z})", fontsize=9)
        k += 1
    for level, (z, rois) in muscle_slices.items():
        window = SOFT_WINDOW if modality == "CT" else (lo, hi)
        ax = axes[k]
        ax.imshow(_view(image[:, :, z]), cmap="gray", vmin=window[0], vmax=window[1])
        for name, roi in rois.items():
            colour = _COLOURS.get(name.split()[0], "yellow")
            ax.contour(_view(roi.astype(float)), levels=[0.5], colors=colour, linewidths=1)
        ax.set_title(f"{level} muscles (slice {z})", fontsize=9)
        k += 1
    if k == 0:  # nothing measured: show the middle slice so the scan itself can be checked
        z = image.shape[2] // 2
        window = SOFT_WINDOW if modality == "CT" else (lo, hi)
        axes[0].imshow(_view(image[:, :, z]), cmap="gray", vmin=window[0], vmax=window[1])
        axes[0].set_title(f"no ROI measured (slice {z}); see excluded", fontsize=9)
        k = 1
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[k:]:
        ax.set_visible(False)
    fig.suptitle(f"{title}\n(patient's right on the left, anterior up)", fontsize=9)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
