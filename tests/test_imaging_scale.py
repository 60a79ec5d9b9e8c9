"""Many scans: the same tables whoever measures them, resumable shards, a dying worker survived."""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import ovcfstats.imaging.batch as batch
from ovcfstats import DataError
from ovcfstats.imaging import measure_images

SPINE = "spine_report/test_result/totalseg_vertebrae_pp_refined.nii.gz"


@pytest.fixture(scope="module")
def ref() -> Path:
    from ovcfstats.imaging.examples import example_files

    try:
        return example_files()
    except RuntimeError as err:  # a clear failure, never a silent skip
        pytest.fail(f"TotalSegmentator reference files unavailable: {err}")


@pytest.fixture(scope="module")
def manifest(ref, tmp_path_factory) -> Path:
    small = (ref / "example_ct_sm.nii.gz", ref / "example_seg.nii.gz", "CT")
    rows = [
        ("P1", *small),
        ("P2", ref / "example_ct.nii.gz", ref / SPINE, "CT"),
        ("P3", ref / "missing.nii.gz", ref / "example_seg.nii.gz", "CT"),
        ("P4", *small),
        ("P5", ref / "example_ct_sm.nii.gz", ref / "example_seg_mr.nii.gz", "CT"),
        ("P6", *small),
    ]
    path = tmp_path_factory.mktemp("manifest") / "manifest.csv"
    frame = pd.DataFrame(rows, columns=["patient_id", "image", "mask", "modality"])
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def serial(manifest):
    return measure_images(manifest, progress=False)


def same(a, b) -> None:
    for name in ("table", "details", "heights", "excluded"):
        x, y = a.tables().get(name, getattr(a, name)), b.tables().get(name, getattr(b, name))
        pd.testing.assert_frame_equal(
            x.reset_index(drop=True), y.reset_index(drop=True), check_dtype=False
        )


def test_serial_pool_and_executor_give_the_same_tables(manifest, serial):
    assert set(serial.table["patient_id"]) == {"P1", "P2", "P4", "P6"}
    same(serial, measure_images(manifest, progress=False, workers=2, chunksize=2))
    with ThreadPoolExecutor(max_workers=3) as pool:
        same(serial, measure_images(manifest, progress=False, executor=pool, chunksize=1))
    failed = set(serial.excluded.loc[serial.excluded["variable"] == "images", "id"])
    assert failed == {"P3", "P5"}  # failing scans listed; the others measured


def test_shards_resume_without_duplicates(manifest, serial, tmp_path):
    out = tmp_path / "run"
    first = measure_images(manifest, progress=False, out=out, chunksize=2)
    same(serial, first)
    records = sorted((out / "shards").glob("*.done.json"))
    assert len(records) == 3 and all(p.stat().st_size for p in records)
    records[1].unlink()  # as if killed after writing that chunk's tables, before its record
    measured = []
    one = batch._measure_one

    def counted(row, *args, **kwargs):
        measured.append(row["patient_id"])
        return one(row, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "_measure_one", counted)
        again = measure_images(manifest, progress=False, out=out, chunksize=2, resume=True)
    assert len(measured) == 2  # only the chunk without its record is measured again
    same(serial, again)
    assert len(list((out / "shards").glob("*.done.json"))) == 3
    done = measure_images(manifest, progress=False, out=out, resume=True)  # nothing left to do
    same(serial, done)


def test_a_new_run_over_old_shards_or_other_settings_is_refused(manifest, tmp_path):
    out = tmp_path / "run"
    measure_images(manifest, progress=False, out=out)
    with pytest.raises(DataError, match=r"already holds the shards.*resume=True"):
        measure_images(manifest, progress=False, out=out)
    with pytest.raises(DataError, match=r"other settings.*hu_statistic"):
        measure_images(manifest, progress=False, out=out, resume=True, hu_statistic="median")
    with pytest.raises(DataError, match="resume=True needs out="):
        measure_images(manifest, progress=False, resume=True)
    with pytest.raises(DataError, match="workers must be"):
        measure_images(manifest, progress=False, workers=0)


def test_a_run_killed_after_its_first_shard_resumes_to_the_same_tables(manifest, serial, tmp_path):
    out = tmp_path / "killed"
    code = (
        "import ovcfstats.imaging.batch as b, time\n"
        "one = b._measure_one\n"
        "def slow(*a, **k):\n"
        "    time.sleep(0.4)\n"
        "    return one(*a, **k)\n"
        "b._measure_one = slow\n"
        f"b.measure_images({str(manifest)!r}, progress=False, out={str(out)!r}, chunksize=1)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "MPLBACKEND": "Agg"})
    deadline = time.monotonic() + 60
    while not list((out / "shards").glob("*.done.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list((out / "shards").glob("*.done.json")))
    assert 1 <= finished < 6  # killed mid-run
    same(serial, measure_images(manifest, progress=False, out=out, chunksize=1, resume=True))


def test_a_worker_that_dies_loses_only_its_chunk(manifest, serial, monkeypatch):
    one = batch._measure_one

    def dies_on_p4(row, *args, **kwargs):
        if row["patient_id"] == "P4":
            os._exit(1)  # the worker process dies (as when killed or out of memory)
        return one(row, *args, **kwargs)

    monkeypatch.setattr(batch, "_measure_one", dies_on_p4)  # the forked workers inherit it
    result = measure_images(manifest, progress=False, workers=2, chunksize=1)
    reasons = result.excluded.set_index("id")["reason"]
    assert "died" in reasons["P4"]
    assert set(result.table["patient_id"]) == {"P1", "P2", "P6"}
    kept = serial.table[serial.table["patient_id"] != "P4"].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.table, kept, check_dtype=False)


def test_dask_cluster_gives_the_same_tables(manifest, serial):
    distributed = pytest.importorskip("distributed", reason="the 'distributed' test extra")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        result = measure_images(
            manifest, progress=False, executor=client.get_executor(), chunksize=2
        )
    same(serial, result)


def test_command_line_folder_out_workers_and_resume(manifest, serial, tmp_path, capsys):
    from ovcfstats.cli import main

    folder = tmp_path / "cohort"
    argv = ["measure", str(manifest), "--out", str(folder), "--no-progress", "--chunksize", "2"]
    assert main([*argv, "--workers", "2"]) == 0
    table = pd.read_csv(folder / "measurements.csv", dtype={"patient_id": str})
    expected = serial.table.astype({"patient_id": str})
    pd.testing.assert_frame_equal(
        table[["patient_id", "measure", "level", "value"]],
        expected[["patient_id", "measure", "level", "value"]].reset_index(drop=True),
        check_dtype=False,
    )
    assert len(list((folder / "shards").glob("*.done.json"))) == 3
    capsys.readouterr()
    assert main(argv) == 2  # a second run over the shards without --resume
    assert "already holds the shards" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 0
    csv_out = tmp_path / "m.csv"
    assert main(["measure", str(manifest), "--out", str(csv_out), "--resume"]) == 2
    assert "needs a folder --out" in capsys.readouterr().err


# -- segmentation checks on masks built to trip them ------------------------------------------
def spine(levels=("T12", "L1", "L2", "L3", "L4", "L5"), tall=None, names=None, shape=(60, 60, 150)):
    """Vertebral bodies stacked cranio-caudally (superior = larger z), one label each."""
    import numpy as np

    from ovcfstats.imaging import Volume

    data = np.zeros(shape, np.uint8)
    x, y = np.ogrid[: shape[0], : shape[1]]
    disc = ((x - 30) / 12) ** 2 + ((y - 30) / 10) ** 2 <= 1
    top, labels = shape[2] - 4, {}
    for i, level in enumerate(levels):
        height = 2 * 14 if level == tall else 14
        data[:, :, max(top - height, 0) : top][disc] = i + 1
        labels[i + 1] = f"vertebrae_{(names or {}).get(level, level)}"
        top -= height + 6
    return Volume(data, np.eye(4), labels)


def flags_of(mask, **kwargs):
    from ovcfstats.imaging._seg_qc import segmentation_flags

    table = segmentation_flags(mask, **kwargs)
    return sorted(zip(table["flag"], table["level"], strict=True))


def test_a_clean_spine_has_no_flags():
    assert flags_of(spine()) == []


def test_each_segmentation_check_trips_on_its_mask():
    assert ("order", "L2/L3") in flags_of(spine(names={"L2": "L3", "L3": "L2"}))
    assert flags_of(spine(tall="L3")) == [("volume", "L3")]
    assert flags_of(spine(levels=("T12", "L1", "L2", "L4", "L5"))) == [("levels", "L3")]
    assert flags_of(spine(levels=("L1", "L3", "L4", "L5"))) == [("levels", "L2")]
    assert ("levels", "L6") in flags_of(spine(levels=("L1", "L2", "L3", "L4", "L5", "L6")))
    cut = spine(shape=(60, 60, 110))  # the field of view ends inside L5
    assert ("border", "L5") in flags_of(cut)


def test_details_checks_muscle_area_and_hu():
    details = pd.DataFrame(
        {
            "measure": ["hu"] * 5 + ["csa_muscle", "csa_muscle"],
            "level": ["T12", "L1", "L2", "L3", "L4", "L1-2", "L2-3"],
            "value": [150.0, 145.0, 152.0, 148.0, 420.0, 1500.0, 25000.0],
            "muscle": [""] * 5 + ["ES", "ES"],
            "side": [""] * 5 + ["L", "L"],
        }
    )
    assert flags_of(spine(), details=details) == [("hu", "L4"), ("muscle_area", "L2-3 ES L")]
    relaxed = {"hu_z": 1e9, "muscle_area_mm2": (0, 1e9)}
    assert flags_of(spine(), details=details, thresholds=relaxed) == []


def test_dicom_acquisition_reaches_the_details(ref, serial):
    manifest = pd.DataFrame(
        {"patient_id": ["D1"], "image": [str(ref / "example_ct_dicom")],
         "mask": [str(ref / "example_seg_dicom.nii.gz")], "modality": ["CT"]}
    )  # fmt: skip
    details = measure_images(manifest, progress=False).details
    first = details.iloc[0]
    assert (first["kvp"], first["slice_thickness_mm"]) == (120.0, 3.0)
    assert (first["scanner_maker"], first["contrast_agent"]) == ("SIEMENS", "APPLIED")
    assert first["kernel"] == "Br38f\\3" and details["kvp"].eq(120.0).all()
    assert "kvp" not in serial.details.columns  # NIfTI files carry no acquisition header


class _Job:
    """A job as submitit returns it: not a Future; done() turns true after a few looks."""

    def __init__(self, fn, args, looks):
        self.fn, self.args, self.looks = fn, args, looks

    def done(self):
        self.looks -= 1
        return self.looks <= 0

    def result(self):
        return self.fn(*self.args)


class _JobArray:
    """submitit's executor interface (submit -> job with done/result), finishing out of order."""

    def __init__(self):
        self.submitted = 0

    def submit(self, fn, *args):
        self.submitted += 1
        return _Job(fn, args, looks=4 - self.submitted % 3)


def test_jobs_that_are_not_futures_are_polled_to_the_same_tables(manifest, serial, monkeypatch):
    import ovcfstats.imaging._parallel as parallel

    monkeypatch.setattr(parallel, "POLL_SECONDS", 0.0)
    array = _JobArray()
    same(serial, measure_images(manifest, progress=False, executor=array, chunksize=1))
    assert array.submitted == 6
