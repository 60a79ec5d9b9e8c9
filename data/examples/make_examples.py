"""Write ``clinic_wide.xlsx``: part of the synthetic sample kept the way a spine clinic keeps it.

One row per patient; headers such as ``ID``, ``Age (years)``, ``Sex`` (``Female``/``Male``),
``Fracture`` (``yes``/``no``), ``L1 T``, ``L1 HU R1``, ``L3 CSF SI R2``, ``CSA PM left L1/2 R1``,
``FI ES right L4/5 R2 repeat``; a few readings coded ``999`` or ``.`` and one BMI ``-99`` for
"not measured". The README's "Your own study" starts from this file::

    python data/examples/make_examples.py   # rewrites data/examples/clinic_wide.xlsx

A test checks that the shipped file holds exactly the cells :func:`clinic_wide` makes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
N_CASES, N_CONTROLS = 30, 60
MEASURE = {
    "t_score": "T",
    "hu": "HU",
    "si_vertebra": "SI",
    "si_csf": "CSF SI",
    "csa_muscle": "CSA",
    "csa_disc": "disc CSA",
    "fat_fraction": "FI",
}
MUSCLE = {"PM": "PM", "MF": "MF", "ES": "ES"}
SIDE = {"L": "left", "R": "right"}


def header(measure: str, level: str, muscle: str, side: str, rater: str, session: int) -> str:
    """The clinic's header of one reading, e.g. ``CSA PM left L1/2 R1 repeat``."""
    parts = [MEASURE[measure]]
    if muscle:
        parts += [MUSCLE[muscle], SIDE[side]]
    parts.append(level.replace("-", "/") if "-" in level else level)
    if measure in ("hu", "si_vertebra", "si_csf", "t_score"):
        parts = [parts[-1], *parts[:-1]]  # vertebral readings: level first ("L1 HU")
    if rater:
        parts.append(rater)
    if session > 1:
        parts.append("repeat")
    return " ".join(parts)


def clinic_wide() -> pd.DataFrame:
    """The example sheet: 30 cases and 60 controls of the sample, wide, with clinic codes."""
    from ovcfstats import load_sample

    patients, measurements = load_sample()
    cases = patients[patients["case"] == 1].head(N_CASES)
    keep = pd.concat([cases, patients[patients["case"] == 0].head(N_CONTROLS)])
    ids = keep["patient_id"].tolist()
    readings = measurements[measurements["patient_id"].isin(ids)].copy()
    readings["column"] = [
        header(r.measure, r.level, r.muscle, r.side, r.rater, r.session)
        for r in readings.itertuples(index=False)
    ]
    order = list(dict.fromkeys(readings.sort_values(["measure", "session", "rater"])["column"]))
    wide = readings.pivot(index="patient_id", columns="column", values="value")[order]
    sheet = pd.DataFrame(
        {
            "ID": keep["patient_id"].to_numpy(),
            "Fracture": np.where(keep["case"] == 1, "yes", "no"),
            "Age (years)": keep["age"].to_numpy(),
            "Sex": keep["sex"].map({"F": "Female", "M": "Male"}).to_numpy(),
            "BMI": keep["bmi"].to_numpy(),
            "Hypertension": np.where(keep["hypertension"] == 1, "yes", "no"),
            "Diabetes": np.where(keep["diabetes"] == 1, "yes", "no"),
            "Hyperlipidemia": np.where(keep["hyperlipidemia"] == 1, "yes", "no"),
            "Fracture level": keep["fracture_level"].to_numpy(),
        }
    )
    sheet = sheet.merge(wide, left_on="ID", right_index=True, how="left")
    sheet = sheet.astype(dict.fromkeys(wide.columns, object))
    # "not measured", as clinics write it
    sheet.loc[3, "L2 HU R2"] = 999
    sheet.loc[10, "FI MF left L3/4 R1"] = 999
    sheet.loc[17, "FI PM right L2/3 R2"] = "."
    sheet.loc[25, "BMI"] = -99
    return sheet


def main() -> Path:
    path = HERE / "clinic_wide.xlsx"
    clinic_wide().to_excel(path, index=False, sheet_name="Patients")
    return path


if __name__ == "__main__":
    print(f"written: {main()}")
