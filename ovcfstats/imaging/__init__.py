"""From images to measurements: CT/MRI plus segmentation masks → rows of the ``measurements`` table.

Optional: ``pip install ovcfstats[imaging]`` (nibabel, pydicom, highdicom, pylibjpeg-openjpeg,
tqdm). Nothing here is imported by ``import ovcfstats``; the readers import their packages on
first use.
"""

from __future__ import annotations

from ._io import (
    Volume,
    check_geometry,
    read_dicom_seg,
    read_dicom_series,
    read_image,
    read_mask,
    read_nifti,
)
from .batch import ImageMeasurements, measure_images, read_manifest
from .mri import split_levels, vbq_inputs
from .muscle import FAT_HU, MUSCLE_HU, disc_areas, level_slices, muscle_labels, muscle_measurements
from .qc import qc_figure
from .vertebrae import ROI_RULES, genant_grade, vertebra_labels, vertebral_heights, vertebral_hu

__all__ = [
    "FAT_HU",
    "MUSCLE_HU",
    "ROI_RULES",
    "ImageMeasurements",
    "Volume",
    "check_geometry",
    "disc_areas",
    "genant_grade",
    "level_slices",
    "measure_images",
    "muscle_labels",
    "muscle_measurements",
    "qc_figure",
    "read_dicom_seg",
    "read_dicom_series",
    "read_image",
    "read_manifest",
    "read_mask",
    "read_nifti",
    "split_levels",
    "vbq_inputs",
    "vertebra_labels",
    "vertebral_heights",
    "vertebral_hu",
]
