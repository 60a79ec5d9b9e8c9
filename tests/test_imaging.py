"""Images → measurements, checked on TotalSegmentator's published example scans and outputs.

The reference data (tests/reference/imaging_README.md) are downloaded once per machine from PyPI
into the cache by the session fixture; a failed download fails the tests with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovcfstats import DataError, derive_indicators, fat_fraction
from ovcfstats.imaging import (
    ROI_RULES,
    Volume,
    check_geometry,
    genant_grade,
    measure_images,
    muscle_measurements,
    read_dicom_seg,
    read_dicom_series,
    read_image,
    read_mask,
    read_nifti,
    split_levels,
    vbq_inputs,
    vertebral_heights,
    vertebral_hu,
)
from ovcfstats.imaging._io import canonical

SPINE = "spine_report/test_result/totalseg_vertebrae_pp_refined.nii.gz"
REPORT = "spine_report/example_ct_report/spine_report.json"


@pytest.fixture(scope="session")
def ref() -> Path:
    from ovcfstats.imaging.examples import example_files

    try:
        return example_files()
    except RuntimeError as err:  # a clear failure, never a silent skip
        pytest.fail(f"TotalSegmentator reference files unavailable: {err}")


@pytest.fixture(scope="session")
def spine(ref):
    return read_nifti(ref / "example_ct.nii.gz"), read_mask(ref / SPINE)


@pytest.fixture(scope="session")
def report(ref) -> dict:
    return json.loads((ref / REPORT).read_text())["results"]


# -- vertebral HU against TotalSegmentator's own spine report ------------------------------
def test_hu_equals_spine_report(spine, report):
    table, skipped = vertebral_hu(*spine, rule="totalsegmentator")
    assert list(table["level"]) == ["L1", "L2", "L3", "L4", "L5"]
    for row in table.itertuples():
        key = f"vertebrae_{row.level}"
        assert round(row.mean, 2) == report[f"{key}_intensity"]
        assert round(row.median, 2) == report[f"{key}_intensity_median"]
        assert round(row.body_ml, 2) == report[f"{key}_volume_ml"]
    # T12 is in the mask but cut by the scan: left out with the reason, as TotalSegmentator does
    assert skipped.set_index("level").loc["T12", "reason"].startswith("mask touches")


def test_heights_close_to_spine_report(spine, report):
    heights = vertebral_heights(spine[1]).set_index("level")
    assert list(heights.index) == ["L1", "L2", "L3", "L4", "L5"]
    for level, row in heights.iterrows():
        for pos in ("posterior", "middle", "anterior"):
            # TotalSegmentator keeps the sagittal slice with the largest spread; we measure the
            # centroid's slice: within 1.5 voxels (3 mm voxels)
            assert (
                abs(row[f"{pos}_mm"] - report[f"vertebrae_{level}_height_{pos}_mm"]) <= 4.5 + 1e-9
            )
    assert heights["reduction"].idxmax() == "L1"  # the wedged vertebra of the report


def test_genant_boundaries():
    assert genant_grade([0.0, 0.1999, 0.2, 0.2499, 0.25, 0.3999, 0.4, 0.9]).tolist() == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]
    assert genant_grade(np.nan) == -1


def test_rules_differ_and_give_positive_rois(spine):
    tables = {rule: vertebral_hu(*spine, rule=rule)[0].set_index("level") for rule in ROI_RULES}
    for table in tables.values():
        assert (table["n_voxels"] > 0).all()
        assert (table["roi_ml"] < table["body_ml"]).all()
    # single-slice and slab ROIs hold far fewer voxels than the eroded body
    both = tables["totalsegmentator"].index
    assert (tables["midslice"].loc[both, "n_voxels"] < tables["totalsegmentator"]["n_voxels"]).all()


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


# -- readers -----------------------------------------------------------------------------------
def test_dicom_series_matches_its_mask_and_nifti(ref, tmp_path):
    import nibabel as nib

    image = read_dicom_series(ref / "example_ct_dicom")
    mask = read_mask(ref / "example_seg_dicom.nii.gz")
    check_geometry(image, mask)  # TotalSegmentator's NIfTI of this series lies on our grid
    assert image.shape == (512, 512, 20) and image.spacing == pytest.approx(
        (0.9765625,) * 2 + (2.0,)
    )
    assert image.data.min() == pytest.approx(-1024.0)  # rescale intercept applied
    # the same series written as NIfTI in another storage order reads to the same numbers
    flipped = nib.Nifti1Image(
        image.data[::-1, :, ::-1].astype(np.int16), image.affine @ _flip(image.shape, (0, 2))
    )
    nib.save(flipped, tmp_path / "ct.nii.gz")
    again = read_nifti(tmp_path / "ct.nii.gz")
    for rule in ROI_RULES:
        a, _ = vertebral_hu(image, mask, rule=rule)
        b, _ = vertebral_hu(again, mask, rule=rule)
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(
        muscle_measurements(image, mask, slice="mid"), muscle_measurements(again, mask, slice="mid")
    )


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


def test_dicom_seg_roundtrip(ref, tmp_path):
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    files = sorted((ref / "example_ct_dicom").iterdir())
    sources = [pydicom.dcmread(f) for f in files]
    sources.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    for ds in sources:  # the anonymised example lacks its SOP class
        ds.SOPClassUID = ds.get("SOPClassUID") or pydicom.uid.CTImageStorage
    mask = read_mask(ref / "example_seg_dicom.nii.gz")
    keep = ["vertebrae_T12", "autochthon_left", "autochthon_right"]
    labelmap = np.zeros(mask.shape, np.uint8)
    for i, name in enumerate(keep, 1):
        labelmap[mask.data == mask.label_id(name)] = i
    # canonical (x right, y anterior, z up) → DICOM frames (slice, row, column), z ascending
    frames = np.ascontiguousarray(labelmap[::-1, ::-1, :].transpose(2, 1, 0))
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i, segment_label=name,
            segmented_property_category=codes.SCT.Tissue,
            segmented_property_type=codes.SCT.Tissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=hd.AlgorithmIdentificationSequence(
                name="test", version="1", family=codes.DCM.ArtificialIntelligence),
        )
        for i, name in enumerate(keep, 1)
    ]  # fmt: skip
    seg = hd.seg.Segmentation(
        source_images=sources, pixel_array=frames,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions, series_instance_uid=hd.UID(), series_number=2,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="test",
        manufacturer_model_name="test", software_versions="1", device_serial_number="1",
        omit_empty_frames=False,
    )  # fmt: skip
    seg.save_as(tmp_path / "seg.dcm")
    back = read_dicom_seg(tmp_path / "seg.dcm")
    check_geometry(read_dicom_series(ref / "example_ct_dicom"), back)
    for i, name in enumerate(keep, 1):
        np.testing.assert_array_equal(back.data == back.label_id(name), labelmap == i)


def test_geometry_mismatch_names_both(ref):
    image = read_nifti(ref / "example_ct_sm.nii.gz")
    mask = read_mask(ref / "example_seg_mr.nii.gz")
    with pytest.raises(DataError, match=r"image .*shape \(122, 101, 30\).*mask .*shape \(117, 91"):
        vertebral_hu(image, mask)
    shifted = Volume(mask.data, mask.affine + np.diag([0, 0, 0, 0]) + _shift(0.5), mask.labels)
    with pytest.raises(DataError, match="origin"):
        check_geometry(Volume(mask.data.astype(float), mask.affine), shifted)


def _shift(mm: float) -> np.ndarray:
    out = np.zeros((4, 4))
    out[0, 3] = mm
    return out


def test_missing_file_and_bad_rule(ref, spine):
    with pytest.raises(DataError, match="file not found"):
        read_nifti(ref / "nope.nii.gz")
    with pytest.raises(ValueError, match="rule"):
        vertebral_hu(*spine, rule="eyeball")


# -- invariance: reorienting image and mask together changes nothing ---------------------------
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


# -- muscle ------------------------------------------------------------------------------------
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


def test_muscle_real_ct(ref):
    image, mask = read_nifti(ref / "example_ct_sm.nii.gz"), read_mask(ref / "example_seg.nii.gz")
    table = muscle_measurements(image, mask)
    l12 = table[table["level"] == "L1-2"].set_index(["muscle", "side"])
    assert set(l12.index) == {("ES", "L"), ("ES", "R"), ("PM", "L"), ("PM", "R")}
    assert (l12["csa_mm2"] == l12["n_pixels"] * 9.0).all()
    # erector spinae several times the psoas area at L1-2; fat fractions in percent
    assert (l12.loc["ES", "csa_mm2"] > 3 * l12.loc["PM", "csa_mm2"]).all()
    assert l12["fat_fraction"].between(0, 100).all()


# -- MRI ---------------------------------------------------------------------------------------
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


def test_mr_example_split_levels(ref):
    image, mask = read_nifti(ref / "example_mr_sm.nii.gz"), read_mask(ref / "example_seg_mr.nii.gz")
    with pytest.raises(DataError, match="2 connected components"):
        split_levels(mask, "vertebrae", ["L1"])
    named = split_levels(mask, "vertebrae", ["L2", "L3"])
    table = vbq_inputs(
        image, named, csf="spinal_cord", rule="midslice"
    )  # the cord as a stand-in CSF label
    vert = table[table["measure"] == "si_vertebra"].set_index("level")
    assert list(vert.index) == ["L2", "L3"] and (vert["n_voxels"] > 0).all()
    roi = named.data == named.label_id("autochthon_left")
    ff = muscle_measurements(image, named, modality="MR", slice="mid")
    row = ff[(ff["muscle"] == "ES") & (ff["side"] == "L")].iloc[0]
    z = int(row["slice"])
    assert row["fat_fraction"] == fat_fraction(image.data[:, :, z], roi[:, :, z])


# -- batch and command line --------------------------------------------------------------------
@pytest.fixture()
def manifest(ref, tmp_path) -> Path:
    rows = [
        ("P1", ref / "example_ct.nii.gz", ref / SPINE, "CT"),
        ("P2", ref / "example_ct_sm.nii.gz", ref / "example_seg.nii.gz", "ct"),
        ("P3", ref / "missing.nii.gz", ref / "example_seg.nii.gz", "CT"),
        ("P4", ref / "example_ct_sm.nii.gz", ref / "example_seg_mr.nii.gz", "CT"),
    ]
    path = tmp_path / "manifest.csv"
    pd.DataFrame(rows, columns=["patient_id", "image", "mask", "modality"]).to_csv(
        path, index=False
    )
    return path


def test_batch_lists_failures_and_feeds_indicators(manifest, spine, tmp_path):
    result = measure_images(manifest, qc_dir=tmp_path / "qc", progress=False)
    failed = result.excluded[result.excluded["variable"] == "images"].set_index("id")["reason"]
    assert set(failed.index) == {"P3", "P4"}
    assert "file not found" in failed["P3"] and "does not match" in failed["P4"]
    assert sorted(p.name for p in (tmp_path / "qc").iterdir()) == ["P1.png", "P2.png"]
    hu = result.table[result.table["measure"] == "hu"].set_index(["patient_id", "level"])["value"]
    expected = vertebral_hu(*spine)[0].set_index("level")["mean"]
    assert hu.loc["P1"].to_dict() == expected.loc[["L1", "L2", "L3", "L4"]].to_dict()
    patients = pd.DataFrame({
        "patient_id": ["P1", "P2"], "case": [0, 0], "age": [60, 61], "sex": ["F", "M"],
        "bmi": [24.0, 25.0], "hypertension": [0, 0], "diabetes": [0, 0],
        "hyperlipidemia": [0, 0], "fracture_level": ["", ""],
    })  # fmt: skip
    ind = derive_indicators(patients, result.table).table.set_index("patient_id")
    assert ind.loc["P1", "hu"] == pytest.approx(expected.loc[["L1", "L2", "L3", "L4"]].mean())


def test_cli_measure(manifest, tmp_path, capsys):
    from ovcfstats.cli import main

    out = tmp_path / "out" / "measurements.csv"
    assert main(["measure", str(manifest), "--out", str(out), "--no-progress"]) == 0
    table = pd.read_csv(out)
    assert set(table["patient_id"]) == {"P1", "P2"} and (table["rater"] == "auto").all()
    assert "P3" in capsys.readouterr().err
    assert pd.read_csv(tmp_path / "out" / "measurements.excluded.csv")["id"].isin(["P3"]).any()
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,image\nP1,x.nii.gz\n")
    assert main(["measure", str(bad), "--out", str(out)]) == 2


# -- optional extra --------------------------------------------------------------------------
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


def test_reference_files_match_their_pins(ref):
    import csv
    import hashlib

    listed = Path(__file__).parent / "reference" / "imaging_files.csv"
    with listed.open() as handle:
        pinned = {row["file"]: row["sha256"] for row in csv.DictReader(handle)}
    for name, digest in pinned.items():
        assert hashlib.sha256((ref / name).read_bytes()).hexdigest() == digest, name


def test_notebook_runs(ref, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    path = Path(__file__).parents[1] / "notebooks" / "imaging.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1
    assert (tmp_path / "qc" / "P1.png").exists()


def test_qc_view_is_radiological(tmp_path):
    from ovcfstats.imaging.qc import _view, qc_figure

    plane = np.zeros((4, 3))
    plane[3, 2] = 1  # most right (x max) and most anterior (y max)
    assert _view(plane)[0, 0] == 1  # top left of the screen
    fig = qc_figure(np.zeros((4, 3, 2)), {}, {}, title="empty", path=tmp_path / "qc.png")
    assert "no ROI measured" in fig.axes[0].get_title()
    assert (tmp_path / "qc.png").stat().st_size > 0


# -- ROI rules on shapes whose answer is known -------------------------------------------------
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


# -- DICOM geometry on synthetic series --------------------------------------------------------
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


def test_batch_mr_with_one_vertebra_label(ref):
    manifest = pd.DataFrame(
        {
            "patient_id": ["M1", "M2"],
            "image": [ref / "example_mr_sm.nii.gz"] * 2,
            "mask": [ref / "example_seg_mr.nii.gz"] * 2,
            "modality": ["MR", "mri"],
            "levels": ["L2,L3", "L1"],
            "csf": ["spinal_cord", ""],  # the cord stands in for a CSF label here
        }
    )
    result = measure_images(manifest, rule="midslice", progress=False)
    assert "2 connected components" in result.excluded.set_index("id").loc["M2", "reason"]
    got = result.table.groupby("measure")["level"].apply(sorted).to_dict()
    assert got == {
        "csa_disc": ["L2-3"],
        "csa_muscle": ["L2-3", "L2-3"],
        "fat_fraction": ["L2-3", "L2-3"],
        "si_csf": ["L2", "L3"],
        "si_vertebra": ["L2", "L3"],
    }
    named = split_levels(read_mask(ref / "example_seg_mr.nii.gz"), "vertebrae", ["L2", "L3"])
    image = read_nifti(ref / "example_mr_sm.nii.gz")
    si = vbq_inputs(image, named, csf="spinal_cord", rule="midslice")
    merged = result.table.merge(si, on=["measure", "level"], suffixes=("", "_direct"))
    np.testing.assert_array_equal(merged["value"], merged["value_direct"])


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


def test_label_statistics_equal_totalsegmentator_statistics(ref):
    from ovcfstats.imaging import label_statistics

    published = json.loads((ref / "example_seg_fast/statistics.json").read_text())
    image = read_nifti(ref / "example_ct_sm.nii.gz")
    table = label_statistics(image, read_mask(ref / "example_seg_fast.nii.gz")).set_index("name")
    assert len(published) == 117
    for name, entry in published.items():
        if entry["volume"] == 0:  # absent from this crop: TotalSegmentator writes 0, 0
            assert name not in table.index
            continue
        assert table.loc[name, "volume_mm3"] == entry["volume"]
        assert round(table.loc[name, "mean"], 5) == entry["intensity"]
