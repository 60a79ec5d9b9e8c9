"""From images to measurements: CT/MRI plus segmentation masks → rows of the ``measurements`` table.

Optional: ``pip install ovcfstats[imaging]`` (nibabel, pydicom, highdicom, pylibjpeg-openjpeg,
tqdm). Nothing here is imported by ``import ovcfstats``; the modules load on first use of a name
(PEP 562) and the readers import their packages when they read.
"""

from __future__ import annotations

from .._lazy import lazy

# public name -> module of this package that defines it
_LAZY = {
    "Volume": "_io",
    "check_geometry": "_io",
    "read_dicom_seg": "_io",
    "read_dicom_series": "_io",
    "read_image": "_io",
    "read_mask": "_io",
    "read_nifti": "_io",
    "ImageMeasurements": "batch",
    "measure_images": "batch",
    "read_manifest": "batch",
    "split_levels": "mri",
    "vbq_inputs": "mri",
    "FAT_HU": "muscle",
    "MUSCLE_HU": "muscle",
    "disc_areas": "muscle",
    "level_slices": "muscle",
    "muscle_labels": "muscle",
    "muscle_measurements": "muscle",
    "qc_figure": "qc",
    "qc_picture": "qc",
    "label_statistics": "structures",
    "ROI_RULES": "vertebrae",
    "genant_grade": "vertebrae",
    "vertebra_labels": "vertebrae",
    "vertebral_heights": "vertebrae",
    "vertebral_hu": "vertebrae",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy(__name__, _LAZY, __all__)
