"""The synthetic sample cohort (``datasets/sample_data/``) and its seeded generator.

**The data are synthetic.** The paper's patient data are not public; this cohort is drawn so that
the pipeline reproduces the published tables as closely as they allow (see
:mod:`ovcfstats.datasets._calibration`). How it is made, in order:

1. 78 cases with the paper's counts: fracture levels L1 23 / L2 18 / L3 26 / L4 11, 50 F / 28 M,
   hypertension 42, diabetes 46, hyperlipidemia 31; ages from Table 1 (integers, ≥ 50).
2. A pool of candidate controls (3 per case by default, "admitted for stenosis or disc
   herniation"): the same sex as their case, ages scattered around it.
3. The library's own 1:1 matching (optimal, exact sex, age caliper 2 years) picks the controls
   that the paper's pipeline will use. Those controls receive the published comorbidity counts
   (35 / 37 / 38) and, with the cases, BMI rescaled to Table 1's group means and SDs.
4. The indicators of cases and matched controls come from the calibration; the other pool
   controls get draws from the control distribution.
5. Raw readings are expanded from each patient's indicators so that
   :func:`~ovcfstats.derive_indicators` recovers them: per-vertebra values scattered around the
   patient's mean (summing to it exactly), the fractured vertebra read too (and excluded by the
   rule), CSF at L3 (L2 for a few patients whose L3 CSF is missing), muscle CSAs per muscle, side
   and disc level, disc CSAs, and fat fractions. Two raters (``R1``, ``R2``) read every ROI with
   errors that cancel in their mean; ``R1`` repeats every ROI of 30 patients (session 2).
6. Quirks of real data: a few missing L3 CSF readings (VBQ uses L2), one pool control without a
   BMI, one pool control with a missing multifidus ROI at L4-5 (that level is left out of rCSA).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.schema import DISCS, MUSCLES, SIDES, VERTEBRAE
from ._calibration import INDICATORS, IndicatorTargets, _group_scores, _scale, calibrated_indicators
from ._registry import MUSCLE_SHARE, RATER_SD, SEED, write_registry

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"

#: Paper Table 1 and Fig. 4 counts for the cases, and Table 1 targets for the matched groups.
CASE_COUNTS = {
    "fracture_level": {"L1": 23, "L2": 18, "L3": 26, "L4": 11},
    "sex": {"F": 50, "M": 28},
    "hypertension": 42,
    "diabetes": 46,
    "hyperlipidemia": 31,
}
CONTROL_COUNTS = {"hypertension": 35, "diabetes": 37, "hyperlipidemia": 38}
AGE = {"cases": (72.21, 10.53), "controls": (71.57, 9.42)}
BMI = {"cases": (22.79, 3.08), "controls": (22.91, 2.86)}


def _exact_counts(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """0/1 vector of length n with exactly k ones, in random order."""
    return rng.permutation(np.r_[np.ones(k, int), np.zeros(n - k, int)])


def _rescaled(rng: np.random.Generator, n: int, mean: float, sd: float) -> np.ndarray:
    x = rng.standard_normal(n)
    return mean + (x - x.mean()) / x.std(ddof=1) * sd


def _patients(rng: np.random.Generator, n_pool_per_case: int) -> pd.DataFrame:
    n = sum(CASE_COUNTS["sex"].values())
    levels = np.repeat(
        list(CASE_COUNTS["fracture_level"]), list(CASE_COUNTS["fracture_level"].values())
    )
    sexes = np.repeat(list(CASE_COUNTS["sex"]), list(CASE_COUNTS["sex"].values()))
    ages = np.clip(np.round(_rescaled(rng, n, *AGE["cases"])), 52, 96).astype(int)
    cases = pd.DataFrame(
        {
            "patient_id": [f"OVCF{i + 1:03d}" for i in range(n)],
            "case": 1,
            "age": ages,
            "sex": rng.permutation(sexes),
            "fracture_level": rng.permutation(levels),
        }
    )
    for col in ("hypertension", "diabetes", "hyperlipidemia"):
        cases[col] = _exact_counts(rng, n, CASE_COUNTS[col])
    # candidate controls: same sex as a case, age within a few years (one within the caliper)
    offsets = np.column_stack(
        [rng.integers(-2, 2, n)] + [rng.integers(-6, 7, n) for _ in range(n_pool_per_case - 1)]
    )
    pool = pd.DataFrame(
        {
            "age": np.maximum(50, (ages[:, None] + offsets).ravel()),
            "sex": np.repeat(cases["sex"].to_numpy(), n_pool_per_case),
        }
    ).sample(frac=1.0, random_state=np.random.RandomState(rng.integers(2**31)))
    pool.insert(0, "patient_id", [f"CTRL{i + 1:03d}" for i in range(len(pool))])
    pool.insert(1, "case", 0)
    pool["fracture_level"] = ""
    for col in ("hypertension", "diabetes", "hyperlipidemia"):
        pool[col] = (rng.random(len(pool)) < 0.45).astype(int)
    return pd.concat([cases, pool], ignore_index=True)


def _vertebral_readings(rng, pid, fracture, value, measure, spread, fracture_shift):
    """Per-vertebra values whose mean over the non-fractured ones is ``value`` exactly."""
    intact = [v for v in VERTEBRAE if v != fracture]
    e = rng.normal(0, spread, len(intact))
    vals = dict(zip(intact, value + e - e.mean(), strict=True))
    if fracture:
        vals[fracture] = value + fracture_shift
    return [(pid, measure, lev, x) for lev, x in vals.items()]


def _si_readings(rng, pid, fracture, vbq, csf_level):
    """Vertebral SI with median ÷ CSF SI equal to ``vbq`` exactly."""
    csf = rng.uniform(120, 180)
    target = vbq * csf
    intact = [v for v in VERTEBRAE if v != fracture]
    a, b = rng.uniform(5, 40, 2)
    if len(intact) == 3:
        values = [target - a, target, target + b]
    else:
        c = rng.uniform(2, 15)
        values = [target - c - a, target - c, target + c, target + c + b]
    values = rng.permutation(values)
    rows = [(pid, "si_vertebra", lev, x) for lev, x in zip(intact, values, strict=True)]
    if fracture:
        rows.append((pid, "si_vertebra", fracture, target * 0.8))
    return [*rows, (pid, "si_csf", csf_level, csf)]


def _muscle_readings(rng, pid, rcsa, fi):
    """Muscle and disc CSA per level with mean ratio ``rcsa``; fat fractions with mean ``fi``."""
    e = rng.normal(0, 0.08, len(DISCS))
    ratios = rcsa + e - e.mean()
    f = rng.normal(0, 2.0, len(DISCS) * len(MUSCLES) * len(SIDES))
    fats = iter(fi + f - f.mean())
    rows = []
    for lev, ratio in zip(DISCS, ratios, strict=True):
        disc = rng.uniform(1300, 1800)
        rows.append((pid, "csa_disc", lev, "", "", disc))
        for side in SIDES:
            for muscle in MUSCLES:
                area = ratio * disc / 2 * MUSCLE_SHARE[muscle]
                rows.append((pid, "csa_muscle", lev, muscle, side, area))
                rows.append((pid, "fat_fraction", lev, muscle, side, next(fats)))
    return rows


def _readings(
    rng: np.random.Generator, patients: pd.DataFrame, values: pd.DataFrame
) -> pd.DataFrame:
    """Expand per-patient indicator values into raw ROI values (before rater error)."""
    rows = []
    no_l3 = set(rng.choice(patients["patient_id"], 6, replace=False))
    for pid, fracture in zip(patients["patient_id"], patients["fracture_level"], strict=True):
        v = values.loc[pid]
        cells = _vertebral_readings(rng, pid, fracture, v["t_score"], "t_score", 0.3, 0.9)
        cells += _vertebral_readings(rng, pid, fracture, v["hu"], "hu", 8.0, 30.0)
        cells += _si_readings(rng, pid, fracture, v["vbq"], "L2" if pid in no_l3 else "L3")
        rows += [(p, m, lev, "", "", x) for p, m, lev, x in cells]
        rows += _muscle_readings(rng, pid, v["rcsa"], v["fi"])
    return pd.DataFrame(rows, columns=["patient_id", "measure", "level", "muscle", "side", "true"])


def _rate(rng: np.random.Generator, rois: pd.DataFrame, repeat_ids: set) -> pd.DataFrame:
    """Two raters whose errors cancel in their mean; DXA is a device read-out; R1 repeats some."""
    device = rois["measure"] == "t_score"
    dxa = rois[device].assign(rater="", session=1, value=rois.loc[device, "true"])
    rated = rois[~device]
    sd = rated["measure"].map(RATER_SD).to_numpy()
    error = rng.normal(0, 1, len(rated)) * sd
    r1 = rated.assign(rater="R1", session=1, value=rated["true"] + error)
    r2 = rated.assign(rater="R2", session=1, value=rated["true"] - error)
    again = rated[rated["patient_id"].isin(repeat_ids)]
    r1b = again.assign(
        rater="R1",
        session=2,
        value=again["true"]
        + rng.normal(0, 1, len(again)) * again["measure"].map(RATER_SD).to_numpy(),
    )
    out = pd.concat([dxa, r1, r2, r1b], ignore_index=True).drop(columns="true")
    out["value"] = out["value"].round(2)  # readings as a workstation prints them
    return out[["patient_id", "measure", "level", "muscle", "side", "rater", "session", "value"]]


def generate_sample(
    seed: int = SEED, *, n_pool_per_case: int = 3, targets: IndicatorTargets | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the synthetic sample cohort (``patients``, ``measurements``).

    Parameters
    ----------
    seed : int
        Master seed; the same seed gives the same tables on every machine.
    n_pool_per_case : int, default 3
        Candidate controls per case in the pool.
    targets : IndicatorTargets, optional
        Calibration targets (default: the paper's Tables 1–3).

    Returns
    -------
    patients, measurements : pandas.DataFrame
        The two tables of the data contract. **Synthetic data.**

    Examples
    --------
    >>> from ovcfstats import generate_sample
    >>> patients, measurements = generate_sample()
    >>> patients["case"].value_counts().sort_index().tolist()
    [234, 78]
    """
    from ..matching import match_controls

    rng = np.random.default_rng(seed)
    patients = _patients(rng, n_pool_per_case)
    pairs = match_controls(patients, exact=("sex",), caliper={"age": 2}, method="optimal").pairs
    if len(pairs) != (patients["case"] == 1).sum():
        raise RuntimeError("sample generator: not every case found a control; change the seed")
    case_ids, ctrl_ids = pairs["case_id"].to_numpy(), pairs["control_id"].to_numpy()
    p = patients.set_index("patient_id")
    for col, k in CONTROL_COUNTS.items():
        p.loc[ctrl_ids, col] = _exact_counts(rng, len(ctrl_ids), k)
    p["bmi"] = np.round(rng.normal(23.5, 3.0, len(p)), 2)
    p.loc[case_ids, "bmi"] = np.round(_rescaled(rng, len(case_ids), *BMI["cases"]), 2)
    p.loc[ctrl_ids, "bmi"] = np.round(_rescaled(rng, len(ctrl_ids), *BMI["controls"]), 2)
    cases, controls = calibrated_indicators(
        len(case_ids), len(ctrl_ids), seed=seed, targets=targets
    )
    others = p.index.difference(np.r_[case_ids, ctrl_ids])
    t = targets or IndicatorTargets()
    from ._calibration import fit_within_group_correlation

    rest = _scale(_group_scores(rng, len(others), fit_within_group_correlation(t)), t.controls)
    values = pd.concat(
        [
            cases.set_axis(case_ids),
            controls.set_axis(ctrl_ids),
            pd.DataFrame(rest, index=others, columns=list(INDICATORS)),
        ]
    )
    patients = p.reset_index()
    rois = _readings(rng, patients, values)
    repeat_ids = set(rng.choice(patients["patient_id"], 30, replace=False))
    measurements = _rate(rng, rois, repeat_ids)
    # quirks of real data, away from the matched set so the replication stays calibrated
    quirky = list(others[:2])
    patients.loc[patients["patient_id"] == quirky[0], "bmi"] = np.nan
    gap = (
        (measurements["patient_id"] == quirky[1])
        & (measurements["measure"] == "csa_muscle")
        & (measurements["level"] == "L4-5")
        & (measurements["muscle"] == "MF")
        & (measurements["side"] == "R")
    )
    measurements = measurements[~gap].reset_index(drop=True)
    columns = [
        "patient_id",
        "case",
        "age",
        "sex",
        "bmi",
        "hypertension",
        "diabetes",
        "hyperlipidemia",
        "fracture_level",
    ]
    return patients[columns], measurements


def load_sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic sample cohort: ``(patients, measurements)`` from ``datasets/sample_data/``.

    The CSV files ship inside the package; they are the output of :func:`generate_sample`
    with the default seed (a test checks that they still are).

    Examples
    --------
    >>> from ovcfstats import load_sample
    >>> patients, measurements = load_sample()
    >>> patients.loc[patients["case"] == 1, "fracture_level"].value_counts().sort_index().tolist()
    [23, 18, 26, 11]
    """
    files = SAMPLE_DIR / "patients.csv", SAMPLE_DIR / "measurements.csv"
    dtype = {"patient_id": str, "fracture_level": str, "muscle": str, "side": str, "rater": str}
    patients, measurements = (
        pd.read_csv(f, dtype=dtype, keep_default_na=False, na_values=[""]) for f in files
    )
    for frame, cols in (
        (patients, ["fracture_level"]),
        (measurements, ["muscle", "side", "rater"]),
    ):
        frame[cols] = frame[cols].fillna("")
    return patients, measurements


def write_sample(directory: Path = SAMPLE_DIR, seed: int = SEED) -> None:
    """Regenerate ``datasets/sample_data/*.csv`` (run ``python -m ovcfstats.datasets``)."""
    patients, measurements = generate_sample(seed)
    directory.mkdir(parents=True, exist_ok=True)
    patients.to_csv(directory / "patients.csv", index=False)
    measurements.to_csv(directory / "measurements.csv", index=False)


def _main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ovcfstats.datasets",
        description="Without options: regenerate the bundled sample. With --patients: write a "
        "registry-size synthetic cohort.",
    )
    parser.add_argument("--patients", type=int, help="patients in a registry-size cohort")
    parser.add_argument("--parquet", action="store_true", help="write Parquet (default CSV)")
    parser.add_argument("--out", type=Path, default=Path("registry"), help="output directory")
    parser.add_argument("--seed", type=int, default=SEED, help=f"master seed (default {SEED})")
    args = parser.parse_args(argv)
    if args.patients is None:
        write_sample(seed=args.seed)
        return
    files = write_registry(
        args.out, args.patients, fmt="parquet" if args.parquet else "csv", seed=args.seed
    )
    print("wrote", *files)

