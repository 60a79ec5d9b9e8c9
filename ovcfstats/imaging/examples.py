"""Real example scans with published reference outputs: TotalSegmentator's test files.

The source distribution of ``totalsegmentator==2.18.0`` on PyPI (Apache-2.0) carries
``tests/reference_files/``: an abdominal CT with its vertebral-body masks and TotalSegmentator's
own ``spine_report.json`` (HU, heights per vertebra), smaller CT and MR crops with their
multi-label masks and ``statistics.json`` (volume and mean HU of 117 structures), and a 20-slice
JPEG 2000 DICOM series with its mask. :func:`example_files`
downloads the archive once with pip, checks its SHA-256 and unpacks only those files into a
cache folder (``$OVCFSTATS_CACHE`` or ``~/.cache/ovcfstats``). Nothing of the package's code is
used or kept.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

SDIST = "totalsegmentator-2.18.0.tar.gz"
SDIST_SHA256 = "5d4223ef93973bc36d710869d11e7742ead2c154c72f7f9edcaaadd5b6c4bd03"
MEMBER_PREFIX = "totalsegmentator-2.18.0/tests/reference_files/"
#: the files used (relative to reference_files/)
FILES = (
    "example_ct.nii.gz",
    "spine_report/test_result/totalseg_vertebrae_pp_refined.nii.gz",
    "spine_report/example_ct_report/spine_report.json",
    "example_ct_sm.nii.gz",
    "example_seg.nii.gz",
    "example_seg_fast.nii.gz",
    "example_seg_fast/statistics.json",
    "example_mr_sm.nii.gz",
    "example_seg_mr.nii.gz",
    "example_ct_dicom",
    "example_seg_dicom.nii.gz",
)


def cache_dir() -> Path:
    """The cache folder (``$OVCFSTATS_CACHE``, else ``~/.cache/ovcfstats``)."""
    return Path(os.environ.get("OVCFSTATS_CACHE", Path.home() / ".cache" / "ovcfstats"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(target: Path) -> Path:
    archive = target / SDIST
    if archive.exists() and _sha256(archive) == SDIST_SHA256:
        return archive
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   "totalsegmentator==2.18.0", "-d", tmp]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        got = Path(tmp) / SDIST
        if not got.exists():
            raise RuntimeError(
                "example_files(): could not download totalsegmentator==2.18.0 from PyPI with "
                f"pip (exit {done.returncode}): {done.stderr.strip()[-500:]}. Check the network "
                f"or place {SDIST} in {target}."
            )
        digest = _sha256(got)
        if digest != SDIST_SHA256:
            raise RuntimeError(
                f"example_files(): {SDIST} has SHA-256 {digest}, expected {SDIST_SHA256}; "
                "refusing a changed archive."
            )
        target.mkdir(parents=True, exist_ok=True)
        got.replace(archive)
    return archive


def example_files(cache: str | Path | None = None) -> Path:
    """The folder holding TotalSegmentator's reference files, downloading them on first use.

    Parameters
    ----------
    cache : str or Path, optional
        Cache folder (default :func:`cache_dir`).

    Returns
    -------
    Path
        ``…/totalsegmentator-2.18.0/reference_files`` with the files in :data:`FILES`.

    Raises
    ------
    RuntimeError
        When the download fails or the archive's hash differs from the pinned one.
    """
    root = Path(cache) if cache is not None else cache_dir()
    out = root / "totalsegmentator-2.18.0" / "reference_files"
    stamp = out / ".complete"
    if stamp.exists() and all((out / name).exists() for name in FILES):
        return out
    archive = _download(root)
    with tarfile.open(archive, "r:gz") as tar:
        wanted = [
            m
            for m in tar.getmembers()
            if m.isfile()
            and m.name.startswith(MEMBER_PREFIX)
            and m.name[len(MEMBER_PREFIX) :].startswith(FILES)
        ]
        for member in wanted:
            member.name = member.name[len(MEMBER_PREFIX) :]
            tar.extract(member, out, filter="data")
    stamp.write_text(SDIST_SHA256 + "\n")
    return out


def phantom(seed: int = 0) -> tuple[Any, Any]:
    """A small synthetic CT and its mask, for the examples of the docstrings: ``(ct, mask)``.

    Four vertebral bodies L1–L4 (trabecular ≈ 150 HU inside a 300 HU shell), the discs between
    them (``intervertebral_discs``), and the right and left erector spinae (``autochthon_*``)
    and psoas (``iliopsoas_*``) with some fat, on a 1 mm grid in canonical RAS+ axes.

    Examples
    --------
    >>> from ovcfstats.imaging.examples import phantom
    >>> ct, mask = phantom()
    >>> ct.shape, sorted(mask.labels.values())[:3]
    ((40, 40, 56), ['autochthon_left', 'autochthon_right', 'iliopsoas_left'])
    """
    import numpy as np

    from ._io import Volume

    rng = np.random.default_rng(seed)
    shape = (40, 40, 56)
    ct = rng.normal(20.0, 15.0, shape)  # soft tissue
    seg = np.zeros(shape, np.uint8)
    labels = {1: "vertebrae_L1", 2: "vertebrae_L2", 3: "vertebrae_L3", 4: "vertebrae_L4"}
    for value in range(1, 5):  # L1 on top (z grows upwards), 10 slices each, 4 between
        z1 = shape[2] - 2 - (value - 1) * 14
        seg[12:28, 16:32, z1 - 10 : z1] = value
        ct[12:28, 16:32, z1 - 10 : z1] = 300.0
        ct[14:26, 18:30, z1 - 9 : z1 - 1] = rng.normal(150.0, 10.0, (12, 12, 8))
        if value < 4:
            seg[13:27, 17:31, z1 - 13 : z1 - 11] = 9
    labels[9] = "intervertebral_discs"
    for value, name, xs, ys in (
        (5, "autochthon_right", slice(8, 18), slice(2, 12)),
        (6, "autochthon_left", slice(22, 32), slice(2, 12)),
        (7, "iliopsoas_right", slice(2, 10), slice(20, 30)),
        (8, "iliopsoas_left", slice(30, 38), slice(20, 30)),
    ):
        seg[xs, ys, :] = value
        box = ct[xs, ys, :].shape
        ct[xs, ys, :] = np.where(rng.random(box) < 0.15, -100.0, rng.normal(45.0, 10.0, box))
        labels[value] = name
    return Volume(ct, np.eye(4), source="phantom ct"), Volume(seg, np.eye(4), labels, "phantom")


def phantom_files(folder: str | Path) -> dict[str, Path]:
    """Write :func:`phantom` as NIfTI files and a one-row manifest into ``folder``.

    Returns the paths by name: ``ct``, ``mask`` (its label names in the header, as
    TotalSegmentator stores them) and ``manifest`` (patient ``P001``).

    Examples
    --------
    >>> import tempfile
    >>> from ovcfstats.imaging.examples import phantom_files
    >>> sorted(phantom_files(tempfile.mkdtemp()))
    ['ct', 'manifest', 'mask']
    """
    import nibabel as nib

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ct, mask = phantom()
    paths = {"ct": folder / "ct.nii.gz", "mask": folder / "seg.nii.gz"}
    nib.save(nib.Nifti1Image(ct.data.astype("float32"), ct.affine), paths["ct"])
    image = nib.Nifti1Image(mask.data, mask.affine)
    table = "".join(f'<Label Key="{k}"><![CDATA[{v}]]></Label>' for k, v in mask.labels.items())
    image.header.extensions.append(nib.nifti1.Nifti1Extension(0, table.encode()))  # as Caret XML
    nib.save(image, paths["mask"])
    paths["manifest"] = folder / "manifest.csv"
    paths["manifest"].write_text("patient_id,image,mask,modality\nP001,ct.nii.gz,seg.nii.gz,CT\n")
    return paths
