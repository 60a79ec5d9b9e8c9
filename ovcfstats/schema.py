"""The data contract: the ``patients`` and ``measurements`` tables and their validation (README).

Both validators return a cleaned copy (types normalised) or raise :class:`~ovcfstats.DataError`
naming the column, the offending patient IDs and the fix. Missing *values* (a blank BMI, a blank
reading) are not errors: the analyses exclude them with a reason. Structural faults are errors:
unknown or missing columns, duplicate IDs, non-numeric values, codes outside the contract, a case
without a fracture level, ages below the inclusion limit, readings for unknown patients, duplicate
readings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._validate import DataError, check_columns, check_frame, check_numeric, describe_ids

PATIENT_COLUMNS = (
    "patient_id",
    "case",
    "age",
    "sex",
    "bmi",
    "hypertension",
    "diabetes",
    "hyperlipidemia",
    "fracture_level",
)
COMORBIDITIES = ("hypertension", "diabetes", "hyperlipidemia")
MEASUREMENT_COLUMNS = (
    "patient_id",
    "measure",
    "level",
    "muscle",
    "side",
    "rater",
    "session",
    "value",
)
VERTEBRAE = ("L1", "L2", "L3", "L4")
DISCS = ("L1-2", "L2-3", "L3-4", "L4-5")
MUSCLES = ("PM", "MF", "ES")
SIDES = ("L", "R")
#: measure -> (allowed levels, whether muscle and side are required)
MEASURES: dict[str, tuple[tuple[str, ...], bool]] = {
    "t_score": (VERTEBRAE, False),
    "hu": (VERTEBRAE, False),
    "si_vertebra": (VERTEBRAE, False),
    "si_csf": (VERTEBRAE, False),
    "csa_muscle": (DISCS, True),
    "csa_disc": (DISCS, False),
    "fat_fraction": (DISCS, True),
}
#: identifies one reading: a region of interest read by a rater in a session
READING_KEY = ("patient_id", "measure", "level", "muscle", "side", "rater", "session")


def _text(series: pd.Series) -> pd.Series:
    """Strings stripped, blanks and NaN as ``""`` (the contract's 'empty')."""
    return series.astype("string").str.strip().fillna("").astype(object)


def _fail(func: str, frame: pd.DataFrame, bad: Any, column: str, problem: str, fix: str) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        ids = list(frame.loc[bad, "patient_id"])
        raise DataError(f"{func}(): {problem} in column '{column}' ({describe_ids(ids)}). {fix}")


def validate_patients(patients: pd.DataFrame, *, min_age: float = 50) -> pd.DataFrame:
    """Check the ``patients`` table against the data contract; return a cleaned copy.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per patient with the columns of the data contract (README) (extra columns are kept).
    min_age : float, default 50
        The inclusion limit (the paper enrolled patients aged ≥ 50).

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` as str, ``case`` and comorbidities as int 0/1 (nullable where blank),
        ``sex`` as ``"F"``/``"M"``, ``fracture_level`` as ``"L1"``…``"L4"`` or ``""``.

    Raises
    ------
    DataError
        Naming the column, the patient IDs and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import validate_patients
    >>> df = pd.DataFrame({"patient_id": ["P1", "P2"], "case": [1, 0], "age": [70, 71],
    ...     "sex": ["f", "F"], "bmi": [22.0, None], "hypertension": [1, 0], "diabetes": [0, 0],
    ...     "hyperlipidemia": [0, 1], "fracture_level": ["L2", None]})
    >>> validate_patients(df)["sex"].tolist()
    ['F', 'F']
    """
    func = "validate_patients"
    check_frame(patients, func, "patients")
    check_columns(patients, PATIENT_COLUMNS, func, "patients")
    out = patients.copy()
    out["patient_id"] = _text(out["patient_id"])
    if (out["patient_id"] == "").any():
        rows = list(np.flatnonzero(out["patient_id"] == ""))
        raise DataError(f"{func}(): blank patient_id in rows {rows[:5]}. Give every patient an ID.")
    dup = out["patient_id"].duplicated(keep=False)
    _fail(func, out, dup, "patient_id", "duplicate IDs", "Each patient must appear once.")
    for col in ("case", *COMORBIDITIES):
        values = check_numeric(out, col, func)
        bad = ~np.isnan(values) & ~np.isin(values, (0.0, 1.0))
        _fail(func, out, bad, col, "values other than 0/1", "Code it as 1 = yes, 0 = no.")
        if col == "case":
            _fail(func, out, np.isnan(values), col, "missing values", "Every patient needs 0 or 1.")
        out[col] = pd.array(np.where(np.isnan(values), pd.NA, values), dtype="Int64")
    for col in ("age", "bmi"):
        out[col] = check_numeric(out, col, func)
    young = out["age"].to_numpy() < min_age
    _fail(
        func,
        out,
        young,
        "age",
        f"ages below {min_age:g}",
        "The study includes ages ≥ 50; remove these patients or pass min_age= to change the rule.",
    )
    out["sex"] = _text(out["sex"]).str.upper()
    bad_sex = ~out["sex"].isin(["F", "M", ""])
    _fail(func, out, bad_sex, "sex", "values other than F/M", "Code sex as 'F' or 'M'.")
    out["sex"] = out["sex"].replace("", np.nan)
    level = _text(out["fracture_level"]).str.upper()
    is_case = (out["case"] == 1).to_numpy(dtype=bool)
    _fail(
        func,
        out,
        is_case & (level == "").to_numpy(),
        "fracture_level",
        "cases without a fracture level",
        "Give each case its fractured vertebra (L1–L4).",
    )
    _fail(
        func,
        out,
        ~is_case & (level != "").to_numpy(),
        "fracture_level",
        "controls with a fracture level",
        "Controls are fracture-free: leave fracture_level empty.",
    )
    bad_level = (level != "") & ~level.isin(VERTEBRAE)
    _fail(
        func,
        out,
        bad_level,
        "fracture_level",
        f"levels outside {'/'.join(VERTEBRAE)}",
        "The study covers fractures of L1–L4 only; exclude other levels.",
    )
    out["fracture_level"] = level
    return out.reset_index(drop=True)


def validate_measurements(
    measurements: pd.DataFrame, patients: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Check the long ``measurements`` table against the data contract; return a cleaned copy.

    Parameters
    ----------
    measurements : pandas.DataFrame
        One row per reading with the columns of the data contract (README).
    patients : pandas.DataFrame, optional
        When given, every ``patient_id`` must exist in it.

    Returns
    -------
    pandas.DataFrame
        Text columns stripped (empty as ``""``), ``session`` as int, ``value`` as float (blank
        values stay NaN and are excluded, with a reason, by the steps that use them).

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import validate_measurements
    >>> m = pd.DataFrame({"patient_id": ["P1"], "measure": ["hu"], "level": ["L1"],
    ...     "muscle": [None], "side": [None], "rater": ["R1"], "session": [1], "value": [80.0]})
    >>> validate_measurements(m)["value"].tolist()
    [80.0]
    """
    func = "validate_measurements"
    check_frame(measurements, func, "measurements")
    check_columns(measurements, MEASUREMENT_COLUMNS, func, "measurements")
    out = measurements.copy()
    for col in ("patient_id", "measure", "level", "muscle", "side", "rater"):
        out[col] = _text(out[col])
    out["level"] = out["level"].str.upper()
    out["muscle"] = out["muscle"].str.upper()
    out["side"] = out["side"].str.upper()
    out["value"] = check_numeric(out, "value", func)
    session = check_numeric(out, "session", func)
    bad = np.isnan(session) | (session < 1) | (session != np.round(session))
    _fail(
        func,
        out,
        bad,
        "session",
        "sessions that are not whole numbers ≥ 1",
        "Use 1 for the first reading and 2, 3, … for repeats.",
    )
    out["session"] = session.astype(int)
    unknown = ~out["measure"].isin(list(MEASURES))
    _fail(
        func,
        out,
        unknown,
        "measure",
        f"unknown measures {sorted(set(out['measure'][unknown]))}",
        f"Use one of {list(MEASURES)}.",
    )
    for measure, (levels, needs_roi) in MEASURES.items():
        rows = (out["measure"] == measure).to_numpy()
        _fail(
            func,
            out,
            rows & ~out["level"].isin(levels).to_numpy(),
            "level",
            f"levels not valid for '{measure}'",
            f"Use one of {list(levels)}.",
        )
        muscle_ok = out["muscle"].isin(MUSCLES) if needs_roi else out["muscle"] == ""
        side_ok = out["side"].isin(SIDES) if needs_roi else out["side"] == ""
        what = "one of PM/MF/ES and L/R" if needs_roi else "empty"
        _fail(
            func,
            out,
            rows & ~muscle_ok.to_numpy(),
            "muscle",
            f"invalid muscle for '{measure}'",
            f"muscle must be {what} for this measure.",
        )
        _fail(
            func,
            out,
            rows & ~side_ok.to_numpy(),
            "side",
            f"invalid side for '{measure}'",
            f"side must be {what} for this measure.",
        )
    if patients is not None:
        known = set(_text(patients["patient_id"]))
        _fail(
            func,
            out,
            ~out["patient_id"].isin(known),
            "patient_id",
            "readings for patients not in the patients table",
            "Add the patients or remove their readings.",
        )
    dup = out.duplicated(list(READING_KEY), keep=False)
    _fail(
        func,
        out,
        dup,
        "value",
        "duplicate readings (same patient, measure, level, muscle, side, rater and session)",
        "Keep one reading per ROI, rater and session.",
    )
    return out.reset_index(drop=True)


#: the five indicators derived per patient, in the paper's order
INDICATORS = ("t_score", "hu", "vbq", "rcsa", "fi")
#: how the paper names them in tables and figures
LABELS = {
    "t_score": "T-score",
    "hu": "HU",
    "vbq": "VBQ",
    "rcsa": "rCSA",
    "fi": "FI",
    "age": "Age",
    "sex": "Sex",
    "bmi": "BMI",
    "hypertension": "Hypertension",
    "diabetes": "Diabetes",
    "hyperlipidemia": "Hyperlipidemia",
}


def label(name: str) -> str:
    """The paper's label of a variable, or the name itself."""
    return LABELS.get(name, name)
