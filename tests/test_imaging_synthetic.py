"""Images → measurements on synthetic volumes whose answers are known (no downloaded data):
ROI rules on boxes, reorientation invariance, HU ranges, DICOM geometry, the optional extra."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovcfstats import DataError
from ovcfstats.imaging import (
    ROI_RULES,
    Volume,
    genant_grade,
    muscle_measurements,
    read_dicom_series,
    read_image,
    read_nifti,
    vbq_inputs,
    vertebral_heights,
    vertebral_hu,
)
from ovcfstats.imaging._io import canonical


def test_genant_boundaries():
    reductions = [0.0, 0.1999, 0.2, 0.2499, 0.25, 0.3999, 0.4, 0.9]
    assert genant_grade(reductions).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert genant_grade(np.nan) == -1


def test_wedge_heights_and_grade():
    """A synthetic body 20 voxels high posteriorly, 12 anteriorly (40 % loss): grade 3."""
    data = np.zeros((12, 30, 40), np.uint8)
    for y in range(5, 25):
        top = 30 - int(np.floor(8 * (y - 5) / 19 + 0.5))
        data[3:9, y, 10:top] = 1
    mask = Volume(data, np.eye(4), {1: "L2"})
    row = vertebral_heights(mask).iloc[0]
    assert row["posterior_mm"] > row["anterior_mm"]
    assert row["posterior_mm"] == pytest.approx(20 - 8 * 0.15 * 20 / 19, abs=1.0)
    assert row["genant"] == int(genant_grade(row["reduction"]))
    assert row["genant"] >= 2


def _flip(shape, axes) -> np.ndarray:
    """Affine correction for flipping the given array axes."""
    fix = np.eye(4)
    for a in axes:
        fix[a, a] = -1
        fix[a, 3] = shape[a] - 1
    return fix


def test_ct_small_rescale():
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_modality_lut

    path = get_testdata_file("CT_small.dcm")
    volume = read_image(path)
    ds = pydicom.dcmread(path)
    expected = apply_modality_lut(ds.pixel_array, ds).astype(float)
    assert volume.shape == (128, 128, 1)
    # canonical axes: x to the right (DICOM columns run to the patient's left), y anterior
    np.testing.assert_array_equal(volume.data[:, :, 0], expected[::-1, ::-1].T)


def _phantom(seed: int) -> tuple[Volume, Volume]:
    rng = np.random.default_rng(seed)
    shape = (24, 22, 30)
    ct = rng.normal(40, 30, shape)
    seg = np.zeros(shape, np.uint8)
    for value, (z0, z1) in ((2, (2, 12)), (1, (15, 26))):
        seg[7:17, 9:19, z0:z1] = value
        ct[7:17, 9:19, z0:z1] = rng.normal(150 + 20 * value, 40, (10, 10, z1 - z0))
    seg[2:7, 2:8, :] = 3
    seg[17:22, 2:8, :] = 4
    ct[2:7, 2:8, :] = rng.normal(-40, 60, (5, 6, shape[2]))
    affine = np.diag([0.8, 0.9, 2.0, 1.0])
    labels = {1: "vertebrae_L1", 2: "vertebrae_L2", 3: "autochthon_right", 4: "autochthon_left"}
    return Volume(ct, affine), Volume(seg, affine, labels)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    perm=st.permutations([0, 1, 2]),
    flips=st.lists(st.booleans(), min_size=3, max_size=3),
    seed=st.integers(0, 3),
)
def test_reorientation_invariance(perm, flips, seed):
    image, mask = _phantom(seed)

    def stored(volume: Volume) -> Volume:
        data, affine = volume.data, volume.affine.copy()
        for axis, flip in enumerate(flips):
            if flip:
                data = np.flip(data, axis)
                affine = affine @ _flip(volume.shape, (axis,))
        data = np.transpose(data, perm)
        swap = np.eye(4)
        swap[:3, :3] = np.eye(3)[:, list(perm)]
        return canonical(data, affine @ swap, labels=volume.labels)

    image2, mask2 = stored(image), stored(mask)
    np.testing.assert_allclose(image2.affine, image.affine)
    for rule in ROI_RULES:
        pd.testing.assert_frame_equal(
            vertebral_hu(image, mask, rule=rule)[0], vertebral_hu(image2, mask2, rule=rule)[0]
        )
    pd.testing.assert_frame_equal(vertebral_heights(mask), vertebral_heights(mask2))
    pd.testing.assert_frame_equal(
        muscle_measurements(image, mask), muscle_measurements(image2, mask2)
    )


def test_muscle_csa_and_fat_ranges():
    """Known pixels: the range ends are inclusive, out-of-range pixels are left out and counted."""
    image, mask = _phantom(0)
    z = 13  # the L1-2 disc slice: between L1's top (11) and L2's bottom (15)
    values = np.array([-190, -30, -29, 150, 151, -191] + [50] * 24, float)
    roi = mask.data[:, :, z] == 3
    image.data[:, :, z][roi] = values
    table = muscle_measurements(image, mask).set_index(["level", "muscle", "side"])
    row = table.loc[("L1-2", "ES", "R")]
    assert row["slice"] == z
    assert row["csa_mm2"] == pytest.approx(30 * 0.8 * 0.9, rel=1e-12)
    assert row["n_outside_ranges"] == 2
    assert row["fat_fraction"] == pytest.approx(100 * 2 / 28, rel=1e-12)
    assert row["muscle_hu"] == pytest.approx((-29 + 150 + 50 * 24) / 26, rel=1e-12)
    custom = muscle_measurements(image, mask, fat_hu=(-190, -29), muscle_hu=(-28, 150))
    assert custom.set_index(["level", "muscle", "side"]).loc[
        ("L1-2", "ES", "R"), "fat_fraction"
    ] == pytest.approx(100 * 3 / 28)


def test_vbq_inputs_phantom():
    image, mask = _phantom(1)
    image.data[...] = 0
    image.data[mask.data == 1] = 300.0
    image.data[mask.data == 2] = 500.0
    csf = np.zeros(mask.shape, bool)
    csf[11:13, 3:5, :] = True
    data = mask.data.copy()
    data[csf] = 9
    image.data[csf] = 1000.0
    image.data[12, 3, :8] = 10.0  # a few dark CSF voxels at L2 only
    mask = Volume(data, mask.affine, {**mask.labels, 9: "csf"})
    table = vbq_inputs(image, mask).set_index(["measure", "level"])["value"]
    assert table[("si_vertebra", "L1")] == 300.0 and table[("si_vertebra", "L2")] == 500.0
    assert table[("si_csf", "L1")] == 1000.0 and table[("si_csf", "L2")] == 1000.0
    means = vbq_inputs(image, mask, statistic="mean").set_index(["measure", "level"])["value"]
    assert means[("si_csf", "L2")] < 1000.0


def test_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, ovcfstats, ovcfstats.imaging, ovcfstats.cli; "
        "print([m for m in ('nibabel', 'pydicom', 'highdicom', 'tqdm', 'scipy', 'matplotlib') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    from ovcfstats.imaging.cli import RULES

    assert RULES == ROI_RULES


def test_missing_reader_names_the_extra():
    from ovcfstats.imaging._io import _require

    with pytest.raises(ImportError, match=r"pip install ovcfstats\[imaging\]"):
        _require("no_such_reader_package")


def test_qc_view_is_radiological(tmp_path):
    from ovcfstats.imaging.qc import _view, qc_figure

    plane = np.zeros((4, 3))
    plane[3, 2] = 1  # most right (x max) and most anterior (y max)
    assert _view(plane)[0, 0] == 1  # top left of the screen
    fig = qc_figure(np.zeros((4, 3, 2)), {}, {}, title="empty", path=tmp_path / "qc.png")
    assert "no ROI measured" in fig.axes[0].get_title()
    assert (tmp_path / "qc.png").stat().st_size > 0


def _box(shape=(40, 40, 40), lo=10, hi=30) -> tuple[Volume, Volume, np.ndarray]:
    rng = np.random.default_rng(7)
    ct = rng.normal(120, 50, shape)
    seg = np.zeros(shape, np.uint8)
    seg[lo:hi, lo:hi, lo:hi] = 1
    return Volume(ct, np.eye(4)), Volume(seg, np.eye(4), {1: "vertebrae_L3"}), ct


def test_totalsegmentator_rule_on_a_box():
    """1 mm voxels: radius 4 voxels exactly, so the box shrinks by 4 on every side."""
    image, mask, ct = _box()
    row = vertebral_hu(image, mask)[0].iloc[0]
    inner = ct[14:26, 14:26, 14:26].ravel()
    assert row["n_voxels"] == inner.size
    assert row["mean"] == pytest.approx(inner.mean(), rel=1e-12)
    assert row["median"] == pytest.approx(np.median(inner), rel=1e-12)
    assert row["sd"] == pytest.approx(inner.std(ddof=1), rel=1e-12)


def test_comp2comp_rule_on_a_box():
    """Ellipse centred at 58 % of the 20-voxel AP run (y = 21.6), semi-axes 5 (AP) and 6 (LR)
    around x = 19.5, on the 7 slices within 3.75 mm of z = 19.5, inside the box eroded by 2."""
    image, mask, ct = _box()
    x, y = np.ogrid[:40, :40]
    ellipse = ((x - 19.5) / 6) ** 2 + ((y - 21.6) / 5) ** 2 <= 1
    expected = np.zeros((40, 40, 40), bool)
    expected[:, :, 16:23] = ellipse[:, :, None]
    expected[:12] = expected[28:] = False
    expected[:, :12] = expected[:, 28:] = False
    row = vertebral_hu(image, mask, rule="comp2comp")[0].iloc[0]
    assert row["n_voxels"] == expected.sum()
    assert row["mean"] == pytest.approx(ct[expected].mean(), rel=1e-12)


def test_midslice_rule_on_a_box():
    """One slice (z = 20, the centroid 19.5 rounded up), an ellipse of semi-axes 0.7 × 10 around
    (19.5, 19.5) inside the section eroded by 2 mm."""
    image, mask, ct = _box()
    x, y = np.ogrid[:40, :40]
    ellipse = ((x - 19.5) / 7) ** 2 + ((y - 19.5) / 7) ** 2 <= 1
    inner = np.zeros((40, 40), bool)
    inner[12:28, 12:28] = True
    row = vertebral_hu(image, mask, rule="midslice")[0].iloc[0]
    assert row["n_voxels"] == (ellipse & inner).sum()
    assert row["mean"] == pytest.approx(ct[:, :, 20][ellipse & inner].mean(), rel=1e-12)


def _series(tmp_path, positions, spacing=("0.5", "0.7")) -> Path:
    import pydicom
    from pydicom.data import get_testdata_file

    folder = tmp_path / "series"
    folder.mkdir()
    for i, z in enumerate(positions):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.PixelSpacing = list(spacing)
        ds.ImagePositionPatient = [0, 0, z]
        ds.InstanceNumber = i + 1
        ds.save_as(folder / f"slice{(7 * i) % len(positions)}.dcm")  # names out of order
    return folder


def test_dicom_series_order_and_spacing(tmp_path):
    volume = read_dicom_series(_series(tmp_path, [5.0, 2.5, 0.0, 7.5]))
    assert volume.shape == (128, 128, 4)
    # rows are 0.5 mm apart (index 1 = rows after reorientation), columns 0.7 mm
    assert volume.spacing == pytest.approx((0.7, 0.5, 2.5))
    assert volume.affine[2, 3] == pytest.approx(0.0)  # lowest slice first (inferior → superior)


def test_dicom_series_gap_refused(tmp_path):
    with pytest.raises(DataError, match="not evenly spaced"):
        read_dicom_series(_series(tmp_path, [0.0, 2.5, 7.5]))


def test_disc_area_phantom():
    _, mask = _phantom(0)
    data = mask.data.copy()
    data[9:15, 10:16, 12:15] = 5  # a disc of 6 × 6 voxels between L2 (top 11) and L1 (bottom 15)
    data[0, 0, 13] = 5  # a stray voxel of the disc label on the same slice: not the disc
    mask = Volume(data, mask.affine, {**mask.labels, 5: "intervertebral_discs"})
    from ovcfstats.imaging import disc_areas

    table = disc_areas(mask)
    assert table.to_dict("records") == [
        {"level": "L1-2", "slice": 13, "csa_mm2": pytest.approx(36 * 0.8 * 0.9), "n_pixels": 36}
    ]


def test_nifti_scaling_applied(tmp_path):
    import nibabel as nib

    stored = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    image = nib.Nifti1Image(stored, np.eye(4))
    image.header.set_slope_inter(2.0, -1024.0)
    nib.save(image, tmp_path / "scaled.nii.gz")
    np.testing.assert_array_equal(read_nifti(tmp_path / "scaled.nii.gz").data, stored * 2.0 - 1024)
    nib.save(nib.Nifti1Image(stored, np.eye(4)), tmp_path / "plain.nii.gz")
    plain = read_nifti(tmp_path / "plain.nii.gz").data
    assert plain.dtype == np.int16  # label volumes keep their integer type


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(*[st.integers(1, 7)] * 3),
    dtype=st.sampled_from([np.uint8, np.int16, np.float64]),
    seed=st.integers(0, 2**32 - 1),
    sparsity=st.sampled_from([0.0, 0.7, 0.97]),
)
def test_label_boxes_are_find_objects_of_the_whole_volume(shape, dtype, seed, sparsity):
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    labels = rng.integers(1, 5, shape) * (rng.random(shape) >= sparsity)
    found = ndimage.find_objects(labels)
    expected = {value + 1: box for value, box in enumerate(found) if box is not None}
    assert Volume(labels.astype(dtype), np.eye(4)).boxes == expected


def test_label_boxes_of_labels_off_the_volume_centre():
    seg = np.zeros((30, 20, 10), np.uint8)
    seg[27:30, 2:4, 9] = 3
    seg[5, 17:20, 0:2] = 1
    boxes = Volume(seg, np.eye(4)).boxes
    assert boxes == {1: (slice(5, 6), slice(17, 20), slice(0, 2)),
                     3: (slice(27, 30), slice(2, 4), slice(9, 10))}  # fmt: skip
    assert Volume(np.zeros((3, 3, 3), np.uint8), np.eye(4)).boxes == {}


def test_qc_picture_outlines_each_roi_in_the_radiological_view(tmp_path):
    from PIL import Image

    from ovcfstats.imaging.qc import _CAPTION, qc_picture

    image = np.zeros((4, 3, 2))
    roi = np.zeros((4, 3), bool)
    roi[3, 2] = True  # most right (x max) and most anterior (y max): top left on screen
    muscle = np.zeros((4, 3), bool)
    muscle[0, 0] = True  # most left, most posterior: bottom right
    path = tmp_path / "qc.png"
    picture = qc_picture(image, {"L1": (1, roi)}, {"L1-2": (0, {"PM L": muscle})}, path=path)
    top = 2 * _CAPTION
    assert tuple(picture[top, 0]) == (255, 0, 0)
    assert len(set(picture[top + 2, 3])) == 1  # the ROI's panel: gray elsewhere
    assert tuple(picture[top + 2, 4 + 4 + 3]) == (255, 127, 14)  # second panel, PM orange
    assert (np.asarray(Image.open(path).convert("RGB")) == picture).all()
    empty = qc_picture(np.full((4, 3, 2), 40.0), {}, {}, modality="MR")
    assert empty.shape == (2 * _CAPTION + 3 + 4, 4, 3)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dtype=st.sampled_from(["<i2", ">i2", "u1", "<f4", ">f8", "<i4"]),
    scaling=st.sampled_from([None, (0.5, -1024.0), (2.0, 0.0), (1.0, 3.0)]),
    shape=st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 7)),
    seed=st.integers(0, 2**16),
    piece=st.sampled_from([7, 100, 1 << 22]),  # bytes inflated at a time
)
def test_nifti_gz_voxels_equal_nibabel(tmp_path, dtype, scaling, shape, seed, piece):
    import nibabel as nib

    import ovcfstats.imaging._inflate as io

    rng = np.random.default_rng(seed)
    values = (rng.normal(0, 300, shape) * (rng.random(shape) < 0.5)).astype(dtype)
    image = nib.Nifti1Image(values, np.diag([0.8, 0.8, 1.5, 1.0]))
    image.set_data_dtype(np.dtype(dtype))
    if scaling is not None:
        image.header.set_slope_inter(*scaling)
    path = tmp_path / f"v{seed}.nii.gz"
    nib.save(image, path)
    loaded = nib.load(path)
    expected = loaded.get_fdata() if scaling is not None else np.asanyarray(loaded.dataobj)
    default, io.INFLATE_BYTES = io.INFLATE_BYTES, piece
    try:
        got = read_nifti(path)
    finally:
        io.INFLATE_BYTES = default
    assert got.data.dtype == expected.dtype and got.data.shape == expected.shape
    assert np.array_equal(got.data, expected, equal_nan=True)


def test_nifti_gz_of_two_gzip_members_and_a_truncated_one(tmp_path):
    import gzip

    import nibabel as nib

    values = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    plain = tmp_path / "v.nii"
    nib.save(nib.Nifti1Image(values, np.eye(4)), plain)
    raw = plain.read_bytes()
    split = tmp_path / "two.nii.gz"
    split.write_bytes(gzip.compress(raw[:300]) + gzip.compress(raw[300:]))  # pigz -i, cat a b
    assert np.array_equal(read_nifti(split).data, values)
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes(gzip.compress(raw[:-40]))
    with pytest.raises(DataError, match="truncated: 200 of 240 bytes"):
        read_nifti(cut)
