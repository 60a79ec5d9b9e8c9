"""A registry-size synthetic cohort (10⁵–10⁶ patients), generated and written block by block.

Run ``python -m ovcfstats.datasets --patients 1000000 --parquet --out DIR``. **Synthetic data**,
not calibrated to the paper (unlike ``datasets/sample_data/``): for scale tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.schema import DISCS, MUSCLES, SIDES, VERTEBRAE
from ._calibration import INDICATORS, IndicatorTargets

#: master seed of the sample and of generated cohorts
SEED = 20240615
#: share of the total muscle CSA of one side at one level: PM, MF, ES
MUSCLE_SHARE = {"PM": 0.35, "MF": 0.2, "ES": 0.45}
#: rater error SD per measure (ICC > 0.8 by construction)
RATER_SD = {
    "hu": 2.0,
    "si_vertebra": 8.0,
    "si_csf": 3.0,
    "csa_muscle": 15.0,
    "csa_disc": 20.0,
    "fat_fraction": 0.6,
}
#: case fracture levels in the paper's proportions (L1 23, L2 18, L3 26, L4 11)
FRACTURE_SHARES = {"L1": 23, "L2": 18, "L3": 26, "L4": 11}

#: patients per generated block: each block has its own seed, so the cohort does not depend on
#: how it is written (the same seed gives the same rows in Parquet, CSV or memory)
REGISTRY_BLOCK = 10_000
#: one region of interest per entry: (measure, level, muscle, side), in the contract's order
_ROIS = (
    [("t_score", v, "", "") for v in VERTEBRAE]
    + [("hu", v, "", "") for v in VERTEBRAE]
    + [("si_vertebra", v, "", "") for v in VERTEBRAE]
    + [("si_csf", "L3", "", "")]
    + [("csa_disc", d, "", "") for d in DISCS]
    + [
        (m, d, mu, s)
        for d in DISCS
        for m in ("csa_muscle", "fat_fraction")
        for mu in MUSCLES
        for s in SIDES
    ]
)


def _registry_patients(rng: np.random.Generator, start: int, n: int) -> pd.DataFrame:
    case = (rng.random(n) < 0.25).astype(int)
    shares = np.array(list(FRACTURE_SHARES.values()), float)
    level = rng.choice(list(FRACTURE_SHARES), n, p=shares / shares.sum())
    return pd.DataFrame(
        {
            "patient_id": [f"R{i:07d}" for i in range(start + 1, start + n + 1)],
            "case": case,
            "age": np.clip(np.round(rng.normal(71.9, 10.0, n)), 50, 100).astype(int),
            "sex": np.where(rng.random(n) < 50 / 78, "F", "M"),
            "bmi": np.round(np.clip(rng.normal(22.9, 3.0, n), 14, 45), 2),
            "hypertension": (rng.random(n) < 0.5).astype(int),
            "diabetes": (rng.random(n) < 0.5).astype(int),
            "hyperlipidemia": (rng.random(n) < 0.45).astype(int),
            "fracture_level": np.where(case == 1, level, ""),
        }
    )


def _registry_truth(rng: np.random.Generator, patients: pd.DataFrame) -> np.ndarray:
    """True ROI values, one row per patient and one column per entry of ``_ROIS``."""
    t = IndicatorTargets()
    n = len(patients)
    is_case = patients["case"].to_numpy() == 1
    ind = {
        k: np.where(is_case, rng.normal(*t.cases[k], n), rng.normal(*t.controls[k], n))
        for k in INDICATORS
    }
    fractured = patients["fracture_level"].to_numpy()[:, None] == np.array(VERTEBRAE)
    csf = rng.uniform(120, 180, n)
    disc = rng.uniform(1300, 1800, (n, len(DISCS)))
    cols = [
        ind["t_score"][:, None] + rng.normal(0, 0.3, (n, 4)) + 0.9 * fractured,
        ind["hu"][:, None] + rng.normal(0, 8.0, (n, 4)) + 30.0 * fractured,
        (ind["vbq"] * csf)[:, None] + rng.normal(0, 20.0, (n, 4)) - 0.2 * fractured * csf[:, None],
        csf[:, None],
        disc,
    ]
    share = np.array([MUSCLE_SHARE[m] for m in MUSCLES for _ in SIDES])
    for j in range(len(DISCS)):
        ratio = ind["rcsa"] + rng.normal(0, 0.08, n)
        area = (ratio * disc[:, j] / 2)[:, None] * share * rng.uniform(0.95, 1.05, (n, 6))
        fat = ind["fi"][:, None] + rng.normal(0, 2.0, (n, 6))
        cols.append(np.column_stack([area, np.clip(fat, 0, 100)]))
    return np.column_stack(cols)


def _registry_readings(
    rng: np.random.Generator, patients: pd.DataFrame, blank_rate: float
) -> pd.DataFrame:
    """Two raters on every ROI (the DXA T-score is a device read-out), R1 repeats 10 %."""
    truth = _registry_truth(rng, patients)
    n, k = truth.shape
    rois = pd.DataFrame(_ROIS, columns=["measure", "level", "muscle", "side"])
    sd = rois["measure"].map({**RATER_SD, "t_score": 0.0}).to_numpy()
    ids = patients["patient_id"].to_numpy()
    csf_l2 = rng.random(n) < 0.05  # CSF read at L2 when L3 is not usable
    parts = []
    repeat = rng.random(n) < 0.10
    for rater, session, who in (("R1", 1, None), ("R2", 1, None), ("R1", 2, repeat)):
        rows = np.ones((n, k), bool) if who is None else np.repeat(who[:, None], k, axis=1)
        rows[:, :4] = (rater == "R1") & (session == 1)  # the device reading appears once
        value = truth + rng.normal(0, 1, (n, k)) * sd
        pid, roi = np.nonzero(rows)
        frame = rois.iloc[roi].reset_index(drop=True)
        frame.insert(0, "patient_id", ids[pid])
        frame["rater"] = np.where(roi < 4, "", rater)
        frame["session"] = session
        frame["value"] = np.round(value[pid, roi], 2)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    moved = (out["measure"] == "si_csf").to_numpy() & csf_l2[
        pd.Index(ids).get_indexer(out["patient_id"])
    ]
    out.loc[moved, "level"] = "L2"
    out.loc[rng.random(len(out)) < blank_rate, "value"] = np.nan
    return out.sort_values(["patient_id"], kind="stable", ignore_index=True)


def generate_registry(
    n_patients: int, seed: int = SEED, *, blank_rate: float = 0.001
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """A registry-size synthetic cohort, block by block (``patients``, ``measurements``).

    Not calibrated to the paper: cases (25 %) and controls draw their indicators from the
    paper's Table 1 means and SDs independently; ≈ 132 readings per patient (two raters on
    every ROI, the DXA T-score once, a repeat session by ``R1`` for 10 % of patients), CSF at L2
    for 5 %, and a share ``blank_rate`` of blank readings. **Synthetic data.**

    Parameters
    ----------
    n_patients : int
        Patients in the cohort (IDs ``R0000001``, ...).
    seed : int
        Master seed; block ``b`` of :data:`REGISTRY_BLOCK` patients uses ``(seed, b)``.
    blank_rate : float
        Share of readings left blank.

    Yields
    ------
    patients, measurements : pandas.DataFrame
        One block at a time, so that memory stays bounded whatever ``n_patients`` is.

    Examples
    --------
    >>> from ovcfstats import generate_registry
    >>> patients, measurements = next(generate_registry(1000))
    >>> len(patients), 125 < len(measurements) / len(patients) < 140
    (1000, True)
    """
    for block, start in enumerate(range(0, n_patients, REGISTRY_BLOCK)):
        rng = np.random.default_rng([seed, block])
        patients = _registry_patients(rng, start, min(REGISTRY_BLOCK, n_patients - start))
        yield patients, _registry_readings(rng, patients, blank_rate)


def write_registry(
    directory: Path | str, n_patients: int, *, fmt: str = "parquet", seed: int = SEED
) -> tuple[Path, Path]:
    """Write :func:`generate_registry` to ``patients.<fmt>`` and ``measurements.<fmt>``.

    Streams block by block (Parquet: one row group per block; CSV: appended), so a 10⁶-patient
    cohort (≈ 1.3·10⁸ readings) is written in bounded memory. Parquet needs the ``scale`` extra
    (``pip install ovcfstats[scale]``).

    Returns
    -------
    tuple of Path
        The patients and measurements files.

    Examples
    --------
    >>> import tempfile
    >>> import ovcfstats as ov
    >>> p_file, m_file = ov.write_registry(tempfile.mkdtemp(), 50, fmt="csv")
    >>> p_file.name, m_file.name
    ('patients.csv', 'measurements.csv')
    >>> len(ov.read_table(p_file))
    50
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"write_registry(): fmt must be 'parquet' or 'csv'; got {fmt!r}.")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files = out / f"patients.{fmt}", out / f"measurements.{fmt}"
    writers: list = [None, None]
    try:
        for block, tables in enumerate(generate_registry(n_patients, seed)):
            for i, (frame, path) in enumerate(zip(tables, files, strict=True)):
                if fmt == "csv":
                    frame.to_csv(
                        path, mode="w" if block == 0 else "a", header=block == 0, index=False
                    )
                    continue
                table = _arrow_table(frame)
                if writers[i] is None:
                    import pyarrow.parquet as pq

                    writers[i] = pq.ParquetWriter(path, table.schema)
                writers[i].write_table(table)
    finally:
        for writer in writers:
            if writer is not None:
                writer.close()
    return files


def _arrow_table(frame: pd.DataFrame):
    try:
        import pyarrow as pa
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("Parquet output needs pyarrow: pip install 'ovcfstats[scale]'") from err
    return pa.Table.from_pandas(frame, preserve_index=False)
