"""Quality-control pictures: each ROI outlined over its slice, as a radiologist checks it.

Axial slices are shown in the radiological convention (patient's right on the viewer's left,
anterior at the top): one panel per measured vertebra (trabecular ROI in a bone window) and one
per disc level (muscle outlines in a soft-tissue window). :func:`qc_picture` composes the
panels as one RGB array at the scan's resolution (what ``measure_images(qc_dir=...)`` writes,
~0.1 s a scan); :func:`qc_figure` draws the same panels as a matplotlib figure (~1 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

#: display windows (low, high) in HU
BONE_WINDOW = (-250.0, 1250.0)
SOFT_WINDOW = (-160.0, 240.0)
_COLOURS = {"PM": "tab:orange", "MF": "tab:green", "ES": "tab:cyan"}
#: the same colours as RGB, and the vertebral ROI's red, for :func:`qc_picture`
_RGB = {"PM": (255, 127, 14), "MF": (44, 160, 44), "ES": (23, 190, 207), "ROI": (255, 0, 0)}
_YELLOW = (255, 255, 0)
#: picture layout: panels per row, pixels of the caption strips and of the gaps
_COLUMNS, _CAPTION, _GAP = 5, 14, 4


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


def _gray(plane: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """A slice windowed to 0–255, in the viewing orientation, as RGB."""
    low, high = window
    scaled = (np.asarray(plane, dtype=np.float32) - low) * (255.0 / max(high - low, 1e-6))
    gray = np.clip(scaled, 0, 255).astype(np.uint8)
    return np.repeat(_view(gray)[:, :, None], 3, axis=2)


def _outline(panel: np.ndarray, roi: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Paint the ROI's edge (its pixels with a neighbour outside it) onto ``panel``."""
    from scipy import ndimage

    shown = _view(np.asarray(roi, dtype=bool))
    panel[shown & ~ndimage.binary_erosion(shown)] = colour


def qc_picture(
    image: np.ndarray,
    vertebra_rois: Mapping[str, tuple[int, np.ndarray]],
    muscle_slices: Mapping[str, tuple[int, Mapping[str, np.ndarray]]],
    *,
    title: str = "",
    modality: str = "CT",
    path: str | Path | None = None,
) -> np.ndarray:
    """The QC panels of :func:`qc_figure` as one RGB picture (and optionally a PNG file).

    Each panel is the slice at the scan's resolution with the ROI's edge pixels painted (red:
    vertebral ROI; orange PM, green MF, cyan ES, yellow other muscles) and a caption above it;
    the title is the top line. Parameters as for :func:`qc_figure`.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging.qc import qc_picture
    >>> roi = np.zeros((8, 6), bool); roi[2:6, 1:5] = True
    >>> picture = qc_picture(np.zeros((8, 6, 3)), {"L1": (1, roi)}, {}, title="P1")
    >>> picture.shape, picture.dtype.name
    ((38, 8, 3), 'uint8')
    >>> sorted({tuple(c) for c in picture.reshape(-1, 3)} & {(255, 0, 0)})
    [(255, 0, 0)]
    """
    panels, captions = [], []
    windows = {"bone": BONE_WINDOW, "soft": SOFT_WINDOW}
    if modality != "CT":
        planes = [image[:, :, z] for z, _ in [*vertebra_rois.values(), *muscle_slices.values()]]
        sample = np.stack(planes or [image[:, :, image.shape[2] // 2]])
        low, high = (float(v) for v in np.percentile(sample, [1, 99]))
        windows = {"bone": (low, high), "soft": (low, high)}
    for level, (z, roi) in vertebra_rois.items():
        panels.append(_gray(image[:, :, z], windows["bone"]))
        _outline(panels[-1], roi, _RGB["ROI"])
        captions.append(f"{level} ROI (slice {z})")
    for level, (z, rois) in muscle_slices.items():
        panels.append(_gray(image[:, :, z], windows["soft"]))
        for name, roi in rois.items():
            _outline(panels[-1], roi, _RGB.get(name.split()[0], _YELLOW))
        captions.append(f"{level} muscles (slice {z})")
    if not panels:  # nothing measured: the middle slice, so the scan itself can be checked
        z = image.shape[2] // 2
        panels.append(_gray(image[:, :, z], windows["soft"]))
        captions.append(f"no ROI measured (slice {z}); see excluded")
    picture = _mosaic(panels, captions, f"{title} (patient's right on the left, anterior up)")
    if path is not None:
        from PIL import Image

        Image.fromarray(picture).save(path, compress_level=1)  # fast; the file is a few MB
    return picture


def _mosaic(panels: list[np.ndarray], captions: list[str], title: str) -> np.ndarray:
    """Panels in rows of :data:`_COLUMNS` under a title line, each under its caption."""
    from PIL import Image, ImageDraw

    height, width = panels[0].shape[:2]
    cols = min(len(panels), _COLUMNS)
    rows = -(-len(panels) // cols)
    cell_h, cell_w = height + _CAPTION + _GAP, width + _GAP
    picture = np.zeros((_CAPTION + rows * cell_h, cols * cell_w - _GAP, 3), np.uint8)
    for k, panel in enumerate(panels):
        top, left = _CAPTION + (k // cols) * cell_h + _CAPTION, (k % cols) * cell_w
        picture[top : top + height, left : left + width] = panel
    canvas = Image.fromarray(picture)
    draw = ImageDraw.Draw(canvas)
    draw.text((2, 1), title, fill=(255, 255, 255))
    for k, caption in enumerate(captions):
        draw.text(((k % cols) * cell_w + 2, _CAPTION + (k // cols) * cell_h + 1), caption)
    return np.asarray(canvas)
