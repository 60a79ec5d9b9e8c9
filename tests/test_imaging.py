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
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import DataError, derive_indicators, fat_fraction
from ovcfstats.imaging import (
    ROI_RULES,
    Volume,
    check_geometry,
    measure_images,
    muscle_measurements,
    read_dicom_seg,
    read_dicom_series,
    read_mask,
    read_nifti,
    split_levels,
    vbq_inputs,
    vertebral_heights,
    vertebral_hu,
)

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


def test_rules_differ_and_give_positive_rois(spine):
    tables = {rule: vertebral_hu(*spine, rule=rule)[0].set_index("level") for rule in ROI_RULES}
    for table in tables.values():
        assert (table["n_voxels"] > 0).all()
        assert (table["roi_ml"] < table["body_ml"]).all()
    # single-slice and slab ROIs hold far fewer voxels than the eroded body
    both = tables["totalsegmentator"].index
    assert (tables["midslice"].loc[both, "n_voxels"] < tables["totalsegmentator"]["n_voxels"]).all()


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


def test_muscle_real_ct(ref):
    image, mask = read_nifti(ref / "example_ct_sm.nii.gz"), read_mask(ref / "example_seg.nii.gz")
    table = muscle_measurements(image, mask)
    l12 = table[table["level"] == "L1-2"].set_index(["muscle", "side"])
    assert set(l12.index) == {("ES", "L"), ("ES", "R"), ("PM", "L"), ("PM", "R")}
    assert (l12["csa_mm2"] == l12["n_pixels"] * 9.0).all()
    # erector spinae several times the psoas area at L1-2; fat fractions in percent
    assert (l12.loc["ES", "csa_mm2"] > 3 * l12.loc["PM", "csa_mm2"]).all()
    assert l12["fat_fraction"].between(0, 100).all()


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


def _flip(shape, axes) -> np.ndarray:
    """Affine correction for flipping the given array axes."""
    fix = np.eye(4)
    for a in axes:
        fix[a, a] = -1
        fix[a, 3] = shape[a] - 1
    return fix


def _manifest_with(manifest: Path, ids: list[str]) -> Path:
    frame = pd.read_csv(manifest).iloc[: len(ids)].assign(patient_id=ids)
    path = manifest.with_name("hostile.csv")
    frame.to_csv(path, index=False)
    return path


def test_measure_qc_files_stay_in_the_qc_folder(manifest, tmp_path, capsys):
    from ovcfstats.cli import main

    ids = ["../../escaped", "=HYPERLINK(\"http://x\",\"y\")"]
    hostile = _manifest_with(manifest, ids)
    out, qc = tmp_path / "out" / "measurements.csv", tmp_path / "out" / "qc"
    args = ["measure", str(hostile), "--out", str(out), "--qc", str(qc), "--no-progress"]
    assert main(args) == 0
    written = sorted(p for p in tmp_path.rglob("*.png"))
    assert len(written) == 2 and all(p.parent == qc for p in written), written
    assert not (tmp_path / "escaped.png").exists()
    table = pd.read_csv(out, dtype=str)
    assert set(table["patient_id"]) == {ids[0], "'" + ids[1]}  # a formula is quoted text
    capsys.readouterr()


def test_measure_never_replaces_its_inputs_or_a_table_with_nothing(manifest, tmp_path, capsys):
    from ovcfstats.cli import main

    before = manifest.read_bytes()
    assert main(["measure", str(manifest), "--out", str(manifest), "--no-progress"]) == 2
    assert "would overwrite the manifest" in capsys.readouterr().err
    assert manifest.read_bytes() == before
    image = pd.read_csv(manifest)["image"][0]
    assert main(["measure", str(manifest), "--out", image, "--no-progress"]) == 2
    assert "an input listed in the manifest (image)" in capsys.readouterr().err
    failing = manifest.with_name("failing.csv")
    pd.read_csv(manifest).iloc[[2]].to_csv(failing, index=False)  # P3: file not found
    out = tmp_path / "measurements.csv"
    out.write_text("patient_id,measure\nP9,hu\n")
    assert main(["measure", str(failing), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("ovcfstats: error: no reading measured") and "as it was" in err[-1]
    assert out.read_text() == "patient_id,measure\nP9,hu\n"
    assert not (tmp_path / "measurements.excluded.csv").exists()


@settings(max_examples=300, deadline=None)
@given(ids=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6, unique=True))
def test_property_qc_paths_stay_inside_their_folder(ids):
    from ovcfstats.imaging.batch import qc_path
    from ovcfstats.present._safe import inside

    folder = Path("/tmp/ovcfstats-qc-property")
    paths = [qc_path(folder, i) for i in ids]
    assert all(p.parent == folder and inside(p, folder) for p in paths)
    assert all(p.name not in (".png", "..png") and not p.name.startswith(".") for p in paths)
    assert len(set(paths)) == len(ids)  # no two patients share a file
