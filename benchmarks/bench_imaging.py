"""Images → measurements: seconds per patient and peak memory of ``measure_images``.

Two real scans (TotalSegmentator's example CT, 122×101×112 at 3 mm, and its 20-slice JPEG 2000
DICOM series, 512×512×20) and one synthetic abdominal CT of clinical size (512×512×300 voxels,
0.8×0.8×1 mm, int16, vertebrae T12–L5 and four paraspinal muscles), each measured with the QC
picture written (and the large CT also without it). Time is one call's wall clock and CPU
time (``resource.getrusage``: user + system, which other jobs on a shared machine disturb less);
peak memory is the traced peak (numpy buffers included) of a second, untimed call. Run with
``OMP_NUM_THREADS=1`` for one core.

Throughput: 200 scans (the example CT, listed 200 times) measured by 1 worker and by 2 (and by
``OVCF_BENCH_WORKERS`` when set), in one run; the ratio is the pool's time over one worker's.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import row

from ovcfstats.imaging import measure_images
from ovcfstats.imaging.examples import example_files

LEVELS = ("T12", "L1", "L2", "L3", "L4", "L5")


def synthetic_ct(folder: Path, shape=(512, 512, 300), spacing=(0.8, 0.8, 1.0)):
    """A CT-like volume with six vertebral bodies and four muscles, saved as NIfTI."""
    import nibabel as nib

    rng = np.random.default_rng(0)
    ct = rng.normal(40, 20, shape).astype(np.int16)
    seg = np.zeros(shape, np.uint8)
    x, y = np.ogrid[: shape[0], : shape[1]]
    body = ((x - 256) / 28) ** 2 + ((y - 270) / 22) ** 2 <= 1
    height = shape[2] // len(LEVELS)
    labels = {}
    for i, level in enumerate(LEVELS):
        top = shape[2] - 5 - i * height
        z0, z1 = top - height + 8, top
        seg[:, :, z0:z1][body] = i + 1
        ct[:, :, z0:z1][body] = 180
        labels[i + 1] = f"vertebrae_{level}"
    for j, (cx, cy, a, b, name) in enumerate(
        [
            (220, 210, 18, 25, "autochthon_right"),
            (292, 210, 18, 25, "autochthon_left"),
            (215, 300, 12, 12, "iliopsoas_right"),
            (297, 300, 12, 12, "iliopsoas_left"),
        ]
    ):
        muscle = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1
        seg[:, :, 5:-5][muscle] = 10 + j
        labels[10 + j] = name
    affine = np.diag([*spacing, 1.0])
    ct_path, seg_path = folder / "ct.nii.gz", folder / "seg.nii.gz"
    nib.save(nib.Nifti1Image(ct, affine), ct_path)
    nib.save(nib.Nifti1Image(seg, affine), seg_path)
    return ct_path, seg_path, labels


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(image: Path, mask: Path, qc: Path | None) -> tuple[float, float, float, pd.DataFrame]:
    """Wall seconds, CPU seconds (best of 3 calls each), traced peak MiB, and the result."""
    manifest = pd.DataFrame(
        {"patient_id": ["P"], "image": [str(image)], "mask": [str(mask)], "modality": ["CT"]}
    )
    wall, cpu = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), _cpu()
        result = measure_images(manifest, qc_dir=qc, progress=False)
        wall.append(time.perf_counter() - start)
        cpu.append(_cpu() - start_cpu)
    tracemalloc.start()  # a further run: tracing slows Python down, so it is not timed
    measure_images(manifest, qc_dir=qc, progress=False)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return min(wall), min(cpu), peak, result


def run() -> list[dict]:
    ref = example_files()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [
            (
                "example CT 122×101×112, 3 mm",
                ref / "example_ct.nii.gz",
                ref / "spine_report/test_result/totalseg_vertebrae_pp_refined.nii.gz",
            ),
            (
                "example DICOM 512×512×20, JPEG 2000",
                ref / "example_ct_dicom",
                ref / "example_seg_dicom.nii.gz",
            ),
        ]
        ct, seg, labels = synthetic_ct(folder)
        _write_labels(seg, labels)
        cases.append(("synthetic CT 512×512×300, 6 vertebrae + 4 muscles", ct, seg))
        _measure(*cases[0][1:], folder / "qc")  # warm-up: imports (matplotlib, readers)
        runs = [(name, image, mask, folder / "qc") for name, image, mask in cases]
        runs.append((f"{cases[-1][0]}, no QC picture", ct, seg, None))
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name, image, mask, qc in runs:
            seconds, cpu, peak, result = _measure(image, mask, qc)
            assert len(result.details), result.excluded
            print(
                f"{name}: {seconds:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MiB, "
                f"{len(result.table)} readings"
            )
            large = "512×512×300" in name
            rows.append(
                row(
                    f"measure_images per patient, {name} (CPU {cpu:.2f} s, peak {peak:.0f} MiB)",
                    seconds,
                    "absolute target",
                    2.0 if large else 10.0,
                    "≤ 2 s and ≤ 400 MiB on one core" if large else "< 10 s per patient",
                    # one core's time is the CPU time: wall time grows with the machine's load
                    lambda r, c=cpu, p=peak, big=large: c <= 2 and p <= 400 if big else r < 1,
                )
            )
        rows += _throughput(cases[0][1], cases[0][2])
    return rows


def _throughput(image: Path, mask: Path, scans: int = 200) -> list[dict]:
    """Seconds for ``scans`` scans with 1 worker and with more: the speed-up of the pool."""
    manifest = pd.DataFrame(
        {
            "patient_id": [f"P{i:04d}" for i in range(scans)],
            "image": str(image),
            "mask": str(mask),
            "modality": "CT",
        }
    )
    counts = sorted({2, int(os.environ.get("OVCF_BENCH_WORKERS", "2"))})
    start = time.perf_counter()
    one = measure_images(manifest, progress=False)
    serial = time.perf_counter() - start
    print(f"{scans} scans, 1 worker: {serial:.1f} s")
    rows = []
    for workers in counts:
        start = time.perf_counter()
        pooled = measure_images(manifest, progress=False, workers=workers)
        seconds = time.perf_counter() - start
        pd.testing.assert_frame_equal(pooled.table, one.table)
        print(f"{scans} scans, {workers} workers: {seconds:.1f} s ({serial / seconds:.2f}x)")
        rows.append(
            row(
                f"measure_images, {scans} example CTs, {workers} workers",
                seconds,
                "the same scans by 1 worker, same run",
                serial,
                f"speed-up >= {0.9 * workers:.1f}x",
                lambda r, w=workers: 1 / r >= 0.9 * w,
            )
        )
    return rows


def _write_labels(seg_path: Path, labels: dict[int, str]) -> None:
    """Store label names as TotalSegmentator does (Caret XML label table in a NIfTI extension)."""
    import nibabel as nib

    image = nib.load(seg_path)
    entries = "".join(f'<Label Key="{k}"><![CDATA[{v}]]></Label>' for k, v in labels.items())
    xml = f"<CaretExtension><LabelTable>{entries}</LabelTable></CaretExtension>".encode()
    image.header.extensions.append(nib.nifti1.Nifti1Extension(0, xml))
    nib.save(nib.Nifti1Image(np.asanyarray(image.dataobj), image.affine, image.header), seg_path)


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
