"""A mask mirrored left–right against its image is refused; one stored in the other left–right
order with a matching affine is re-oriented and measures as the image's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ovcfstats import DataError

nib = pytest.importorskip("nibabel")

from ovcfstats.imaging import (  # noqa: E402
    Volume,
    check_geometry,
    muscle_measurements,
    read_mask,
    read_nifti,
    vertebral_hu,
)


def _phantom() -> tuple[Volume, Volume]:
    """Two vertebrae and a right and a left erector spinae, as in test_imaging_synthetic."""
    rng = np.random.default_rng(0)
    shape = (24, 22, 30)
    ct = rng.normal(40, 30, shape)
    seg = np.zeros(shape, np.uint8)
    for value, (z0, z1) in ((2, (2, 12)), (1, (15, 26))):
        seg[7:17, 9:19, z0:z1] = value
        ct[7:17, 9:19, z0:z1] = rng.normal(150 + 20 * value, 40, (10, 10, z1 - z0))
    seg[2:7, 2:8, :] = 3
    seg[17:22, 2:8, :] = 4
    ct[2:7, 2:8, :] = rng.normal(-40, 60, (5, 6, shape[2]))
    ct[17:22, 2:8, :] = rng.normal(10, 60, (5, 6, shape[2]))  # the sides differ
    labels = {1: "vertebrae_L1", 2: "vertebrae_L2", 3: "autochthon_right", 4: "autochthon_left"}
    return Volume(ct, np.eye(4)), Volume(seg, np.eye(4), labels)


@pytest.fixture()
def files(tmp_path):
    image, mask = _phantom()
    affine = np.array([[0.8, 0, 0, -9.0], [0, 0.9, 0, 4.0], [0, 0, 2.0, -30.0], [0, 0, 0, 1]])
    nib.save(nib.Nifti1Image(image.data, affine), tmp_path / "ct.nii.gz")
    nib.save(nib.Nifti1Image(mask.data, affine), tmp_path / "seg.nii.gz")
    mirrored = affine.copy()
    mirrored[0, 0] *= -1  # the same voxel grid, its x axis reversed: left and right swapped
    nib.save(nib.Nifti1Image(mask.data, mirrored), tmp_path / "mirrored.nii.gz")
    other_order = mirrored.copy()
    other_order[0, 3] = affine[0, 3] + 0.8 * (mask.shape[0] - 1)  # the same world positions
    nib.save(nib.Nifti1Image(mask.data[::-1].copy(), other_order), tmp_path / "flipped.nii.gz")
    return tmp_path, mask.labels


def test_a_mirrored_mask_is_refused(files):
    folder, labels = files
    image = read_nifti(folder / "ct.nii.gz")
    mask = read_mask(folder / "mirrored.nii.gz", labels=labels)
    message = (
        rf"check_geometry\(\): the mask {mask.source} is mirrored left–right against its image "
        rf"{image.source}: .* axis of its affine reversed, so its left and right labels would "
        r"be measured on the other side"
    )
    with pytest.raises(DataError, match=message):
        check_geometry(image, mask)
    with pytest.raises(DataError, match="mirrored left–right"):
        muscle_measurements(image, mask)
    with pytest.raises(DataError, match=r"vertebral_hu\(\): the mask .* mirrored left–right"):
        vertebral_hu(image, mask)


def test_a_mask_in_the_other_left_right_order_is_reoriented(files):
    folder, labels = files
    image = read_nifti(folder / "ct.nii.gz")
    same = read_mask(folder / "seg.nii.gz", labels=labels)
    flipped = read_mask(folder / "flipped.nii.gz", labels=labels)
    check_geometry(image, flipped)
    pd.testing.assert_frame_equal(
        muscle_measurements(image, same), muscle_measurements(image, flipped)
    )
    pd.testing.assert_frame_equal(vertebral_hu(image, same)[0], vertebral_hu(image, flipped)[0])


def test_volumes_built_in_memory_are_checked_too():
    data = np.zeros((5, 4, 3))
    image = Volume(data, np.diag([0.8, 0.9, 2.0, 1.0]))
    with pytest.raises(DataError, match="mirrored left–right"):
        check_geometry(image, Volume(data.astype(int), np.diag([-0.8, 0.9, 2.0, 1.0])))
    with pytest.raises(DataError, match="does not match its image"):  # another grid
        check_geometry(image, Volume(data.astype(int), np.diag([0.8, 0.9, 2.5, 1.0])))
