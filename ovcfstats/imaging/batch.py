"""Batch: a manifest of images and masks → one ``measurements`` table, failures listed per patient.

The manifest is a CSV (or DataFrame) with the columns ``patient_id``, ``image``, ``mask``,
``modality`` (``CT`` or ``MR``); relative paths are read from the manifest's folder. Optional
columns: ``csf`` names the CSF label of MR masks; ``levels`` (e.g. ``"L2,L3"``) names, from
cranial to caudal, the vertebrae of a mask that holds them all under one label (``vertebrae``,
as TotalSegmentator's ``total_mr`` does; see :func:`~ovcfstats.imaging.split_levels`).

Each patient is measured on its own: a failure (unreadable file, mask off the image grid, no
vertebra labels) is recorded in ``excluded`` with its reason and the batch goes on.

Rows written (``rater`` as given, default ``"auto"``; session 1):

- CT: ``hu`` per vertebra L1–L4 (the ROI rule's mean, or median with ``hu_statistic``),
  ``csa_muscle`` and ``fat_fraction`` per disc level L1-2…L4-5, muscle and side.
- MR: ``si_vertebra`` and ``si_csf`` per vertebra L1–L4, ``csa_muscle`` and ``fat_fraction``.
- Either, when the mask has a disc label (``intervertebral_discs``): ``csa_disc`` per disc level.

Everything measured, including levels outside the study's (T12, L5, T12-L1, L5-S1) and the
vertebral heights with Genant grades, is in the result's ``details`` and ``heights`` tables; a
DICOM image adds its acquisition to ``details`` (``kvp``, ``contrast_agent``, ``scanner_maker``,
``scanner_model``, ``slice_thickness_mm``, ``kernel``), so that HU can be stratified or adjusted
by contrast phase (intravenous contrast raises vertebral HU, by roughly 14–26 HU at L1 in the
portal venous phase): put each patient's phase in the patients table and name its column in
the study file's ``[contrast] phase`` (``ovcfstats analyze --contrast-phase``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, concat_excluded, make_excluded
from .._validate import DataError, check_columns, check_option
from ..data.schema import DISCS, MEASUREMENT_COLUMNS, VERTEBRAE, validate_measurements
from ..present._safe import inside, safe_name
from ._io import check_geometry, read_image, read_mask
from ._parallel import TABLES, Shards, chunks, run_chunks
from ._seg_qc import COLUMNS as FLAG_COLUMNS
from ._seg_qc import QC_THRESHOLDS, segmentation_flags
from .mri import split_levels, vbq_inputs
from .muscle import disc_areas, level_slices, muscle_labels, muscle_measurements
from .vertebrae import ROI_RULES, roi_hu, vertebral_heights, vertebral_rois

MANIFEST_COLUMNS = ("patient_id", "image", "mask", "modality")


@dataclass(frozen=True, eq=False)
class ImageMeasurements(Result):
    """Rows of the ``measurements`` table measured from images.

    ``table`` is the long ``measurements`` table (ready for :func:`ovcfstats.derive_indicators`);
    ``details`` holds every number measured with its ROI statistics; ``heights`` the vertebral
    body heights and Genant grades; ``flags`` the segmentation checks that tripped (one row per
    flag, see :mod:`ovcfstats.imaging._seg_qc`; also in ``details["qc"]`` by level);
    ``excluded`` the patients or vertebrae left out and why.

    Examples
    --------
    >>> import tempfile
    >>> from ovcfstats.imaging import measure_images
    >>> from ovcfstats.imaging.examples import phantom_files
    >>> result = measure_images(phantom_files(tempfile.mkdtemp())["manifest"], progress=False)
    >>> type(result).__name__, sorted(result.table["measure"].unique())
    ('ImageMeasurements', ['csa_disc', 'csa_muscle', 'fat_fraction', 'hu'])
    """

    details: pd.DataFrame = field(default_factory=pd.DataFrame)
    heights: pd.DataFrame = field(default_factory=pd.DataFrame)
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    title: ClassVar[str] = "Measurements from images"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "table": self.table.copy(),
            "details": self.details.copy(),
            "heights": self.heights.copy(),
            "flags": self.flags.copy(),
        }

    def notes(self) -> list[str]:
        rule = self.settings.get("rule", "")
        rater = self.settings.get("rater")
        return [f"Vertebral ROI rule: {rule}; rater '{rater}'.", *super().notes()]


def read_manifest(manifest: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, Path]:
    """The manifest as a DataFrame with paths resolved, and its folder.

    Examples
    --------
    >>> import tempfile
    >>> from ovcfstats.imaging import read_manifest
    >>> from ovcfstats.imaging.examples import phantom_files
    >>> table, folder = read_manifest(phantom_files(tempfile.mkdtemp())["manifest"])
    >>> table[["patient_id", "modality"]]
      patient_id modality
    0       P001       CT
    >>> table["image"].iloc[0].endswith("ct.nii.gz")  # paths resolved against the folder
    True
    """
    func = "measure_images"
    if isinstance(manifest, pd.DataFrame):
        frame, base = manifest.copy(), Path.cwd()
    else:
        path = Path(manifest)
        if not path.is_file():
            raise DataError(f"{func}(): manifest not found: {path}")
        frame, base = pd.read_csv(path, dtype=str, keep_default_na=False), path.parent
    check_columns(frame, MANIFEST_COLUMNS, func, "manifest")
    frame["patient_id"] = frame["patient_id"].astype(str).str.strip()
    frame["modality"] = frame["modality"].astype(str).str.strip().str.upper()
    frame["modality"] = frame["modality"].replace({"MRI": "MR"})
    bad = ~frame["modality"].isin(["CT", "MR"])
    if bad.any():
        ids = ", ".join(frame.loc[bad, "patient_id"].head(5))
        raise DataError(
            f"{func}(): modality other than CT/MR in column 'modality' (patient_id: {ids}). "
            "Write CT or MR."
        )
    for col in ("image", "mask"):
        frame[col] = [str(p if Path(p).is_absolute() else base / p) for p in frame[col]]
    return frame, base


def _measure_one(row: Any, settings: dict[str, Any], qc_dir: Path | None):
    """All readings of one patient: (details, heights, left out as (what, reason) pairs)."""
    patient, modality = row["patient_id"], row["modality"]
    image, mask = read_image(row["image"]), read_mask(row["mask"])
    check_geometry(image, mask, "measure_images")
    names = [n.strip() for n in str(row.get("levels", "") or "").split(",") if n.strip()]
    if names:
        mask = split_levels(mask, settings["vertebra_label"], names)
    rule = settings["rule"]
    parts, left_out, rois = [], [], {}
    try:
        rois, skipped = vertebral_rois(mask, rule=rule)  # drawn once: HU, VBQ and QC picture
        if modality == "CT":
            hu = roi_hu(image, mask, rois, rule=rule)
            parts.append(hu.assign(measure="hu", value=hu[settings["hu_statistic"]]))
        else:
            csf = str(row.get("csf", "") or "") or None
            parts.append(vbq_inputs(image, mask, csf=csf, rule=rule).assign(rule=rule))
        left_out += [(f"vertebra {lv}", why) for lv, why in skipped.itertuples(index=False)]
    except DataError as err:
        left_out.append(("vertebrae", str(err)))
    if muscle_labels(mask) and level_slices(mask):
        muscles = muscle_measurements(
            image, mask, modality=modality, threshold=settings["threshold"], slice="disc"
        )
        parts += [
            muscles.assign(measure="csa_muscle", value=muscles["csa_mm2"]),
            muscles.assign(measure="fat_fraction", value=muscles["fat_fraction"]),
        ]
    else:
        left_out.append(("muscles", "no muscle labels, or no two adjacent vertebrae for a disc"))
    discs = disc_areas(mask) if level_slices(mask) else None
    if discs is not None and len(discs):
        parts.append(discs.assign(measure="csa_disc", value=discs["csa_mm2"]))
    parts = [p.dropna(axis=1, how="all") for p in parts if len(p)]
    if not parts:
        raise DataError("; ".join(why for _, why in left_out))
    details = pd.concat(parts, ignore_index=True).assign(
        patient_id=patient, modality=modality, **image.acquisition
    )
    heights = vertebral_heights(mask).assign(patient_id=patient) if modality == "CT" else None
    flags = segmentation_flags(
        mask, details=details, heights=heights, thresholds=settings.get("qc_thresholds")
    ).assign(patient_id=patient)
    if len(flags):
        marks = flags.groupby("level")["flag"].agg(", ".join)
        details["qc"] = details["level"].map(marks).fillna("")
    if qc_dir is not None:
        _qc(image, mask, rois, patient, modality, rule, qc_dir)
    return details, heights, left_out, flags


def _qc(image, mask, rois, patient: str, modality: str, rule: str, qc_dir: Path) -> None:
    from .qc import qc_picture

    labels = muscle_labels(mask)
    slices = {
        level: (z, {f"{m} {s}": mask.data[:, :, z] == v for (m, s), v in labels.items()})
        for level, z in (level_slices(mask) if labels else {}).items()
        if level in DISCS
    }
    shown = {
        level: (z, roi.plane(mask.shape, z))
        for level, roi in rois.items()
        if level in (*VERTEBRAE, "T12", "L5")
        for z in [roi.best_slice()]
    }
    qc_dir.mkdir(parents=True, exist_ok=True)
    qc_picture(
        image.data,
        shown,
        slices,
        title=f"{patient} · {modality} · ROI rule {rule}",
        modality=modality,
        path=qc_path(qc_dir, patient),
    )


def qc_path(qc_dir: str | Path, patient: str) -> Path:
    """Where the QC figure of ``patient`` goes: a file directly inside ``qc_dir``.

    An ID that is a safe file name is the name (``P001.png``); any other (``../x``, ``/abs``,
    ``a b``) is made safe and given a short digest of the ID, so that two IDs never share a
    file and no ID writes outside ``qc_dir``.

    Examples
    --------
    >>> qc_path("qc", "P001").as_posix()
    'qc/P001.png'
    >>> qc_path("qc", "../../etc/passwd").as_posix()
    'qc/_.._.._etc_passwd-3754d6cb.png'
    """
    import hashlib

    name = safe_name(patient)
    if name != patient:
        name += "-" + hashlib.sha256(patient.encode("utf-8")).hexdigest()[:8]
    path = Path(qc_dir) / f"{name}.png"
    if not inside(path, qc_dir):  # cannot happen with a safe name; checked all the same
        raise DataError(f"measure_images(): the QC file of {patient!r} would leave {qc_dir}.")
    return path


def _progress(items: Iterable, total: int, show: bool) -> Iterable:
    if not show:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, total=total, desc="measuring", unit="patient")


def measure_images(
    manifest: str | Path | pd.DataFrame,
    *,
    rule: str = "totalsegmentator",
    hu_statistic: str = "mean",
    threshold: float | str = "otsu",
    rater: str = "auto",
    session: int = 1,
    qc_dir: str | Path | None = None,
    progress: bool = True,
    vertebra_label: str = "vertebrae",
    workers: int = 1,
    executor: Executor | None = None,
    chunksize: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    qc_thresholds: Mapping[str, Any] | None = None,
) -> ImageMeasurements:
    """Measure every patient of a manifest into one ``measurements`` table.

    Scans are measured in chunks, by this process, a local process pool (``workers``) or any
    executor, and with ``out`` kept as resumable shards (:mod:`ovcfstats.imaging._parallel`).
    The tables are the same, in manifest order, however the scans were spread.

    Parameters
    ----------
    manifest : str, Path or pandas.DataFrame
        CSV with ``patient_id``, ``image``, ``mask``, ``modality`` (module notes).
    rule : {"totalsegmentator", "comp2comp", "midslice"}
        Vertebral ROI rule.
    hu_statistic : {"mean", "median"}
        Which ROI summary becomes the ``hu`` reading.
    threshold : float or "otsu"
        MR fat threshold (CT uses the HU ranges of :mod:`ovcfstats.imaging.muscle`).
    rater, session : str, int
        Written into every row (``rater`` tells automated readings from manual ones).
    qc_dir : str or Path, optional
        Folder for one QC PNG per patient (``<patient_id>.png``; an ID that is not a safe
        file name is made one, see :func:`qc_path`: nothing is written outside the folder).
    progress : bool
        Show a progress bar (when tqdm is installed).
    vertebra_label : str
        The label holding all vertebrae in masks whose manifest row has a ``levels`` entry.
    workers : int, default 1
        Processes of a local pool measuring chunks side by side (each single-threaded, so N
        workers use N cores); 1 measures in this process.
    executor : concurrent.futures.Executor, optional
        Runs the chunks instead of the local pool: e.g. ``distributed.Client(...).get_executor()``
        for a Dask cluster, or submitit's ``AutoExecutor`` for a Slurm job array.
    chunksize : int, optional
        Patients per chunk (default: 1 in this process; else about four chunks per worker, at
        most 32 patients each). A chunk is the unit of work, of a shard and of a retry.
    out : str or Path, optional
        Folder for the shards: each finished chunk is written there whole (Parquet), so that an
        interrupted run can be resumed.
    resume : bool, default False
        With ``out``: skip the patients whose chunks are already there (same settings needed).
    qc_thresholds : mapping, optional
        Overrides of the segmentation checks' thresholds (:data:`QC_THRESHOLDS`).

    Returns
    -------
    ImageMeasurements
        ``table`` (the long measurements table), ``details``, ``heights``, ``excluded``.

    Examples
    --------
    >>> import tempfile
    >>> from ovcfstats.imaging import measure_images
    >>> from ovcfstats.imaging.examples import phantom_files
    >>> files = phantom_files(tempfile.mkdtemp())  # a synthetic CT, its mask and a manifest
    >>> result = measure_images(files["manifest"], progress=False)
    >>> result.table.groupby("measure").size().to_dict()
    {'csa_disc': 3, 'csa_muscle': 12, 'fat_fraction': 12, 'hu': 4}
    >>> result.table.loc[result.table["measure"] == "hu", ["patient_id", "level", "rater"]].head(2)
      patient_id level rater
    0       P001    L1  auto
    1       P001    L2  auto
    """
    func = "measure_images"
    check_option(rule, ROI_RULES, func, "rule")
    check_option(hu_statistic, ("mean", "median"), func, "hu_statistic")
    frame, _ = read_manifest(manifest)
    settings = {
        "rule": rule,
        "hu_statistic": hu_statistic,
        "threshold": threshold,
        "vertebra_label": vertebra_label,
        "qc_thresholds": {**QC_THRESHOLDS, **(qc_thresholds or {})},
    }
    qc = Path(qc_dir) if qc_dir is not None else None
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise DataError(f"{func}(): workers must be a whole number ≥ 1; got {workers!r}.")
    if resume and out is None:
        raise DataError(f"{func}(): resume=True needs out= (the folder of the shards).")
    size = chunksize or (1 if executor is None and workers == 1 else _chunk(len(frame), workers))
    if not isinstance(size, int) or size < 1:
        raise DataError(f"{func}(): chunksize must be a whole number ≥ 1; got {chunksize!r}.")
    store = Shards(Path(out), {**settings, "rater": rater, "session": session}) if out else None
    todo = frame
    if store is not None:
        store.start(resume)
        done = {pid for ids in store.done().values() for pid in ids}
        todo = frame[~frame["patient_id"].isin(done)]
    parts = chunks(todo, size)
    work = partial(_measure_chunk, settings=settings, qc_dir=qc)
    finished: dict[int, dict[str, pd.DataFrame]] = {}
    runs = run_chunks(work, parts, executor=executor, workers=workers)
    for i, measured in _progress(runs, len(parts), progress):
        if store is not None:
            store.write(parts[i], measured)
        else:
            finished[i] = measured
    if store is not None:
        tables = store.read(list(frame["patient_id"]))
    else:
        tables = {name: _stacked([finished[i][name] for i in sorted(finished)]) for name in TABLES}
    settings.update(rater=rater, session=session, patients=len(frame))
    return ImageMeasurements(
        flags=_flags(tables["flags"]),
        table=_study_rows(tables["details"], rater, session),
        excluded=concat_excluded([tables["excluded"]]),
        settings=settings,
        details=tables["details"],
        heights=tables["heights"],
    )


def _chunk(n: int, workers: int) -> int:
    """About four chunks per worker (load balance), at most 32 patients a chunk (retry cost)."""
    return max(1, min(32, -(-n // (4 * workers))))


def _flags(flags: pd.DataFrame) -> pd.DataFrame:
    """The segmentation flags, patient first; the columns even when there is none."""
    if flags.empty:
        return pd.DataFrame(columns=["patient_id", *FLAG_COLUMNS])
    return flags[["patient_id", *FLAG_COLUMNS]].reset_index(drop=True)


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _measure_chunk(
    part: list[dict[str, Any]], settings: dict[str, Any], qc_dir: Path | None
) -> dict[str, pd.DataFrame]:
    """One chunk of the manifest measured patient by patient (in a worker, or here)."""
    details, heights, excluded, flags = [], [], [], []
    for row in part:
        try:
            d, h, left_out, f = _measure_one(row, settings, qc_dir)
        except Exception as err:  # one patient's failure never aborts the batch
            reason = f"{type(err).__name__}: {err}"
            excluded.append(make_excluded([row["patient_id"]], "images", reason))
            continue
        details.append(d)
        flags.append(f)
        if h is not None and len(h):
            heights.append(h)
        if left_out:
            what, why = zip(*left_out, strict=True)
            excluded.append(make_excluded([row["patient_id"]] * len(what), list(what), list(why)))
    return {
        "details": _stacked(details),
        "heights": _stacked(heights),
        "excluded": concat_excluded(excluded),
        "flags": _stacked(flags),
    }


def _study_rows(detail: pd.DataFrame, rater: str, session: int) -> pd.DataFrame:
    """The contract's rows: study levels only, NaN values (e.g. no pixel in range) kept."""
    if detail.empty:
        return pd.DataFrame(columns=list(MEASUREMENT_COLUMNS))
    wanted = np.where(
        detail["measure"].isin(["csa_muscle", "fat_fraction", "csa_disc"]),
        detail["level"].isin(DISCS),
        detail["level"].isin(VERTEBRAE),
    )
    rows = detail[wanted]
    table = pd.DataFrame(
        {
            "patient_id": rows["patient_id"].to_numpy(),
            "measure": rows["measure"].to_numpy(),
            "level": rows["level"].to_numpy(),
            "muscle": rows["muscle"].fillna("").to_numpy() if "muscle" in rows else "",
            "side": rows["side"].fillna("").to_numpy() if "side" in rows else "",
            "rater": rater,
            "session": session,
            "value": rows["value"].to_numpy(dtype=float),
        }
    )
    if len(table):
        validate_measurements(table)
    return table.reset_index(drop=True)
