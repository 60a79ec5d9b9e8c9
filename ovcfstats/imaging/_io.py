"""Readers: NIfTI images and label volumes, DICOM series, DICOM-SEG; one geometry check.

Every reader returns a :class:`Volume` reoriented to the closest canonical (RAS+) axes: index 0
increases towards the patient's right, index 1 towards anterior, index 2 towards superior (no
resampling). Measurements therefore never depend on how a scanner stored the slices.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import DataError
from ._inflate import _fdata, _inflated

#: the extra that brings the readers
EXTRA_HINT = "pip install ovcfstats[imaging]"
#: world coordinates (mm) of image and mask may differ by this much and still match
GEOMETRY_ATOL_MM = 1e-3


def _require(module: str) -> Any:
    """Import an optional reader, or fail naming the extra that installs it."""
    from importlib import import_module

    try:
        return import_module(module)
    except ImportError as err:
        raise ImportError(
            f"ovcfstats.imaging needs the optional package '{module.split('.')[0]}': {EXTRA_HINT}"
        ) from err


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3-D image or label volume on canonical RAS+ axes.

    Attributes
    ----------
    data : numpy.ndarray
        Voxel values (HU for CT after rescale, signal for MR, integer labels for masks).
    affine : numpy.ndarray
        4×4 map from voxel indices to RAS+ world coordinates in mm.
    labels : mapping of int to str
        For label volumes: label value → structure name (e.g. ``20 → "vertebrae_L1"``).
    source : str
        Where the volume came from (a path), for messages.
    acquisition : mapping of str to value
        What the scan's DICOM header says of its acquisition (:data:`ACQUISITION`: kVp,
        contrast agent, scanner maker and model, slice thickness, convolution kernel); empty
        for files without it (NIfTI).
    stored : numpy.ndarray, optional
        The affine as the file stored it, before the reorientation (for the left–right check
        of :func:`check_geometry`); None for a volume built in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging import Volume
    >>> voxels = np.diag([0.8, 0.8, 2.0, 1.0])  # mm per voxel, on canonical axes
    >>> mask = Volume(np.zeros((4, 4, 3), np.uint8), voxels, {1: "vertebrae_L1"})
    >>> mask.shape, mask.label_id("vertebrae_L1")
    ((4, 4, 3), 1)
    """

    data: np.ndarray
    affine: np.ndarray
    labels: Mapping[int, str] = field(default_factory=dict)
    source: str = ""
    acquisition: Mapping[str, Any] = field(default_factory=dict)
    stored: np.ndarray | None = field(default=None, repr=False)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size along the three axes in mm."""
        return tuple(float(s) for s in np.linalg.norm(self.affine[:3, :3], axis=0))  # type: ignore[return-value]

    @property
    def shape(self) -> tuple[int, ...]:
        """Array shape."""
        return self.data.shape

    def geometry(self) -> str:
        """Shape, spacing, axis codes and origin as one line (used in error messages)."""
        nib = _require("nibabel")
        codes = "".join(nib.aff2axcodes(self.affine))
        spacing = "×".join(f"{s:.4g}" for s in self.spacing)
        origin = ", ".join(f"{v:.2f}" for v in self.affine[:3, 3])
        return f"shape {self.shape}, spacing {spacing} mm, axes {codes}, origin ({origin}) mm"

    @cached_property
    def boxes(self) -> dict[int, tuple[slice, ...]]:
        """Bounding box (index slices) of every label value present in a label volume."""
        from scipy import ndimage

        data = self.data
        if not np.issubdtype(data.dtype, np.integer):
            data = np.rint(data).astype(np.int64)
        if data.size and np.issubdtype(data.dtype, np.signedinteger) and data.min() < 0:
            raise DataError(f"{self.source or 'the mask'}: negative label values; labels are ≥ 0.")
        # find_objects visits every voxel (~10 ns each, 1 s for a 512×512×300 CT); the labels
        # lie in the box of the non-zero voxels, found by three cheap projections first
        nonzero = [np.flatnonzero(data.any(axis=axes)) for axes in ((1, 2), (0, 2), (0, 1))]
        if any(len(n) == 0 for n in nonzero):
            return {}
        start = [int(n[0]) for n in nonzero]
        crop = tuple(slice(s, int(n[-1]) + 1) for s, n in zip(start, nonzero, strict=True))
        found = ndimage.find_objects(data[crop])
        return {
            value + 1: tuple(
                slice(b.start + s, b.stop + s) for b, s in zip(box, start, strict=True)
            )
            for value, box in enumerate(found)
            if box is not None
        }

    def region(self, value: int, margin: int = 1) -> tuple[tuple[slice, ...], np.ndarray]:
        """A label's bounding box widened by ``margin`` voxels (within the volume) and its
        boolean mask there; measuring inside it gives the numbers of the whole volume."""
        box = self.boxes[value]
        wide = tuple(
            slice(max(b.start - margin, 0), min(b.stop + margin, n))
            for b, n in zip(box, self.shape, strict=True)
        )
        return wide, self.data[wide] == value

    def label_id(self, name: str) -> int:
        """The label value of a named structure; a clear error when absent."""
        for key, value in self.labels.items():
            if value == name:
                return int(key)
        known = ", ".join(sorted(self.labels.values())) or "none (pass labels=)"
        raise DataError(f"label '{name}' not in {self.source or 'the mask'}; its labels: {known}.")


def canonical(data: np.ndarray, affine: np.ndarray, **kwargs: Any) -> Volume:
    """Reorient an array and its affine to the closest canonical RAS+ axes (no resampling)."""
    orientations = _require("nibabel.orientations")
    ornt = orientations.io_orientation(affine)
    stored = np.array(affine, dtype=float)
    affine = affine @ orientations.inv_ornt_aff(ornt, np.shape(data))  # the stored shape
    data = orientations.apply_orientation(np.asanyarray(data), ornt)
    return Volume(data, affine, stored=stored, **kwargs)


def _caret_labels(image: Any) -> dict[int, str]:
    """Label names stored by TotalSegmentator (a Caret XML label table in a NIfTI extension)."""
    for ext in image.header.extensions:
        text = ext.get_content()
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        found = re.findall(r'Key="(\d+)"[^>]*><!\[CDATA\[([^\]]+)\]\]>', str(text))
        if found:
            return {int(k): v for k, v in found}
    return {}


def read_nifti(path: str | Path, *, labels: Mapping[int, str] | None = None) -> Volume:
    """Read a NIfTI image or label volume.

    Parameters
    ----------
    path : str or Path
        ``.nii`` or ``.nii.gz`` file.
    labels : mapping of int to str, optional
        Label names of a label volume; by default read from TotalSegmentator's label table in
        the file header when present.

    Returns
    -------
    Volume
        On canonical RAS+ axes; float64 for images with a scaling, as stored otherwise.

    Examples
    --------
    >>> import tempfile
    >>> from ovcfstats.imaging import read_nifti
    >>> from ovcfstats.imaging.examples import phantom_files
    >>> files = phantom_files(tempfile.mkdtemp())
    >>> mask = read_nifti(files["mask"])  # label names from the header
    >>> mask.shape, mask.labels[1]
    ((40, 40, 56), 'vertebrae_L1')
    """
    nib = _require("nibabel")
    path = Path(path)
    if not path.exists():
        raise DataError(f"read_nifti(): file not found: {path}")
    image = nib.load(path)
    if len(image.shape) != 3:
        raise DataError(f"read_nifti(): {path} has shape {image.shape}; a 3-D volume is needed.")
    proxy = image.dataobj
    slope, inter = getattr(proxy, "slope", 1.0), getattr(proxy, "inter", 0.0)
    scaled = (slope, inter) != (1.0, 0.0)  # stored values need scl_slope/scl_inter applied
    if path.name.endswith(".gz") and getattr(proxy, "order", "") == "F":
        raw = _inflated(path, proxy.dtype, proxy.shape, int(proxy.offset))
        data = _fdata(raw, slope, inter) if scaled else raw
    else:
        data = image.get_fdata() if scaled else np.asanyarray(proxy)
    names = dict(labels) if labels is not None else _caret_labels(image)
    return canonical(data, image.affine.astype(float), labels=names, source=str(path))


def _dicom_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"read_dicom_series(): not a file or folder: {path}")
    files = sorted(p for p in path.rglob("*") if p.is_file())
    if not files:
        raise DataError(f"read_dicom_series(): no files in {path}")
    return files


#: DICOM attribute -> the ``details`` column it fills (the first slice's value)
ACQUISITION = {
    "KVP": "kvp",
    "ContrastBolusAgent": "contrast_agent",
    "Manufacturer": "scanner_maker",
    "ManufacturerModelName": "scanner_model",
    "SliceThickness": "slice_thickness_mm",
    "ConvolutionKernel": "kernel",
}


def acquisition(ds: Any) -> dict[str, Any]:
    """The acquisition attributes of one DICOM dataset present in it (:data:`ACQUISITION`)."""
    out: dict[str, Any] = {}
    for keyword, column in ACQUISITION.items():
        value = ds.get(keyword)
        if value is None or value == "":
            continue
        if keyword in ("KVP", "SliceThickness"):
            out[column] = float(value)
        elif isinstance(value, str):
            out[column] = value
        else:  # a multi-valued attribute (kernel ["Br38f", "3"]) as DICOM writes it: "Br38f\\3"
            out[column] = "\\".join(map(str, value))
    return out


def read_dicom_series(path: str | Path) -> Volume:
    """Read one DICOM image series (a folder of slices, or one file) as a volume.

    Rescale slope and intercept are applied (CT values in HU). Slices are ordered along the
    normal of their orientation; every slice must share orientation, pixel spacing and size,
    and be evenly spaced. Compressed transfer syntaxes are decoded by pydicom's pixel-data
    plugins (JPEG 2000 by pylibjpeg-openjpeg).

    Parameters
    ----------
    path : str or Path
        A folder holding one series (files without a pixel array are ignored) or one file.

    Returns
    -------
    Volume
        On canonical RAS+ axes, values as float64.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> from ovcfstats.imaging import read_dicom_series
    >>> ct = read_dicom_series(get_testdata_file("CT_small.dcm"))  # one axial slice
    >>> ct.shape
    (128, 128, 1)
    """
    pydicom = _require("pydicom")
    func = "read_dicom_series"
    path = Path(path)
    slices = []
    for file in _dicom_files(path):
        try:
            ds = pydicom.dcmread(file)
        except pydicom.errors.InvalidDicomError:
            continue
        if "PixelData" in ds and "ImagePositionPatient" in ds:
            slices.append(ds)
    if not slices:
        raise DataError(f"{func}(): no DICOM image slices in {path}")
    series = {str(ds.get("SeriesInstanceUID", "")) for ds in slices}
    if len(series) > 1:
        raise DataError(
            f"{func}(): {path} holds {len(series)} series ({', '.join(sorted(series))[:200]}); "
            "put each series in its own folder."
        )
    orient = np.array(slices[0].ImageOrientationPatient, dtype=float)
    spacing = np.array(slices[0].PixelSpacing, dtype=float)
    for ds in slices:
        same = np.allclose(np.array(ds.ImageOrientationPatient, float), orient, atol=1e-4)
        if not same or not np.allclose(np.array(ds.PixelSpacing, float), spacing, atol=1e-4):
            raise DataError(
                f"{func}(): slices of {path} differ in orientation or pixel spacing "
                f"(instance {ds.get('InstanceNumber')}); a series must share them."
            )
    row_dir, col_dir = orient[:3], orient[3:]
    normal = np.cross(row_dir, col_dir)
    slices.sort(key=lambda ds: float(np.dot(normal, np.array(ds.ImagePositionPatient, float))))
    positions = np.array([ds.ImagePositionPatient for ds in slices], dtype=float)
    step = np.diff(positions @ normal)
    if len(step) and (np.any(step <= 0) or np.ptp(step) > 1e-3 * max(1.0, abs(step.mean()))):
        raise DataError(
            f"{func}(): slices of {path} are not evenly spaced (gaps {np.unique(step.round(3))} "
            "mm) or repeat a position; check for missing or duplicated slices."
        )
    thickness = step.mean() if len(step) else float(slices[0].get("SliceThickness", 1.0) or 1.0)
    planes = [
        ds.pixel_array.astype(float) * float(ds.get("RescaleSlope", 1) or 1)
        + float(ds.get("RescaleIntercept", 0) or 0)
        for ds in slices
    ]
    # pixel_array is (rows, columns); index order (column, row, slice) follows the affine below
    data = np.stack(planes, axis=-1).transpose(1, 0, 2)
    lps = np.eye(4)
    lps[:3, 0] = row_dir * spacing[1]  # moving along a row = next column
    lps[:3, 1] = col_dir * spacing[0]  # moving down a column = next row
    lps[:3, 2] = normal * thickness
    lps[:3, 3] = positions[0]
    ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
    return canonical(data, ras, source=str(path), acquisition=acquisition(slices[0]))


def read_dicom_seg(path: str | Path) -> Volume:
    """Read a DICOM Segmentation (DICOM-SEG) as a label volume (highdicom).

    Segments become labels numbered by their segment number, named by their segment label.
    The volume covers the frames the file stores; :func:`check_geometry` then tells whether it
    lies on the image's grid.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import highdicom as hd
    >>> import pydicom
    >>> from pydicom.data import get_testdata_file
    >>> from pydicom.sr.codedict import codes
    >>> from ovcfstats.imaging import read_dicom_seg, read_dicom_series
    >>> source = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    >>> hu = source.pixel_array * float(source.RescaleSlope) + float(source.RescaleIntercept)
    >>> bone = hu > 200
    >>> segment = hd.seg.SegmentDescription(
    ...     segment_number=1, segment_label="bone", segmented_property_category=codes.SCT.Tissue,
    ...     segmented_property_type=codes.SCT.Bone,
    ...     algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)
    >>> seg = hd.seg.Segmentation(
    ...     source_images=[source], pixel_array=bone[None].astype("uint8"),
    ...     segmentation_type=hd.seg.SegmentationTypeValues.BINARY, segment_descriptions=[segment],
    ...     series_instance_uid=hd.UID(), series_number=2, sop_instance_uid=hd.UID(),
    ...     instance_number=1, manufacturer="example", manufacturer_model_name="example",
    ...     software_versions="1", device_serial_number="1")
    >>> path = Path(tempfile.mkdtemp()) / "seg.dcm"
    >>> seg.save_as(path)
    >>> mask = read_dicom_seg(path)
    >>> mask.labels, mask.shape == read_dicom_series(get_testdata_file("CT_small.dcm")).shape
    ({1: 'bone'}, True)
    """
    hd = _require("highdicom")
    seg = hd.seg.segread(str(path))
    volume = seg.get_volume(combine_segments=True, relabel=False)
    image = volume.to_nibabel()
    names = {int(s.SegmentNumber): str(s.SegmentLabel) for s in seg.SegmentSequence}
    data = np.asanyarray(image.dataobj)
    return canonical(data, image.affine.astype(float), labels=names, source=str(path))


def read_image(path: str | Path) -> Volume:
    """Read an image: NIfTI (``.nii``, ``.nii.gz``), a DICOM folder or a single DICOM file.

    Examples
    --------
    >>> import tempfile
    >>> from ovcfstats.imaging import read_image
    >>> from ovcfstats.imaging.examples import phantom_files
    >>> ct = read_image(phantom_files(tempfile.mkdtemp())["ct"])
    >>> ct.shape
    (40, 40, 56)
    """
    path = Path(path)
    if path.name.endswith((".nii", ".nii.gz")):
        return read_nifti(path)
    return read_dicom_series(path)


def read_mask(path: str | Path, *, labels: Mapping[int, str] | None = None) -> Volume:
    """Read a label volume: NIfTI (label names from its header or ``labels``) or DICOM-SEG.

    Examples
    --------
    >>> import tempfile
    >>> from ovcfstats.imaging import read_mask
    >>> from ovcfstats.imaging.examples import phantom_files
    >>> mask = read_mask(phantom_files(tempfile.mkdtemp())["mask"])
    >>> sorted(mask.labels.values())[-4:]
    ['vertebrae_L1', 'vertebrae_L2', 'vertebrae_L3', 'vertebrae_L4']
    """
    path = Path(path)
    if path.name.endswith((".nii", ".nii.gz")):
        return read_nifti(path, labels=labels)
    mask = read_dicom_seg(path)
    if labels is None:
        return mask
    return Volume(mask.data, mask.affine, dict(labels), mask.source, stored=mask.stored)


def check_geometry(image: Volume, mask: Volume, func: str = "check_geometry") -> None:
    """Refuse a mask that does not lie on the image's voxel grid; name both geometries.

    Both volumes are on canonical axes, so a mask stored in another orientation but covering
    the same voxels passes (it is re-oriented by its affine); a different shape, spacing,
    direction or origin does not. A mask mirrored left–right — the image's voxel grid stored
    with the x axis of its affine reversed, so that its left and right labels would be
    measured on the other side — is refused as such.

    Examples
    --------
    >>> import numpy as np
    >>> from ovcfstats.imaging import Volume, check_geometry
    >>> image = Volume(np.zeros((4, 3, 2)), np.diag([0.8, 0.9, 2.0, 1.0]), source="ct")
    >>> mirrored = Volume(np.zeros((4, 3, 2), int), np.diag([-0.8, 0.9, 2.0, 1.0]), source="seg")
    >>> check_geometry(image, mirrored)
    Traceback (most recent call last):
    ovcfstats._validate.DataError: check_geometry(): the mask seg is mirrored left–right ...
    """
    same = image.shape == mask.shape and np.allclose(
        image.affine, mask.affine, atol=GEOMETRY_ATOL_MM, rtol=0
    )
    if not same and _mirrored(image, mask):
        raise DataError(
            f"{func}(): the mask {mask.source or ''} is mirrored left–right against its image "
            f"{image.source or ''}: it stores the image's voxel grid with the x (left–right) "
            "axis of its affine reversed, so its left and right labels would be measured on "
            "the other side. Save the mask with the image's affine (e.g. the image's header) "
            "and measure again."
        )
    if not same:
        raise DataError(
            f"{func}(): the mask does not match its image. image {image.source}: "
            f"{image.geometry()}; mask {mask.source}: {mask.geometry()}. Export the mask on the "
            "image's grid (same series, no resampling or cropping)."
        )


def _mirrored(image: Volume, mask: Volume) -> bool:
    """Whether the mask's stored affine is the image's with the left–right axis reversed."""
    a = image.stored if image.stored is not None else image.affine
    m = mask.stored if mask.stored is not None else mask.affine
    if a.shape != (4, 4) or m.shape != (4, 4) or sorted(image.shape) != sorted(mask.shape):
        return False
    column = int(np.argmax(np.abs(m[0, :3])))  # the stored axis running left–right
    if np.sign(m[0, column]) == np.sign(a[0, column]):
        return False
    flipped = m.copy()
    flipped[:3, column] *= -1
    return bool(np.allclose(flipped, a, atol=GEOMETRY_ATOL_MM, rtol=0))
