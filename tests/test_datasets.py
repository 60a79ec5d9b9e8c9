"""The synthetic sample: the CSVs are the generator's output; the paper's counts hold."""

import pandas as pd

from ovcfstats import derive_indicators, generate_sample, load_sample
from ovcfstats.datasets import SAMPLE_DIR


def test_csv_files_equal_the_seeded_generator():
    assert (SAMPLE_DIR / "patients.csv").exists()
    for stored, fresh in zip(load_sample(), generate_sample(), strict=True):
        pd.testing.assert_frame_equal(stored, fresh, check_dtype=False)


def test_paper_counts():
    patients, measurements = load_sample()
    cases = patients[patients["case"] == 1]
    assert len(cases) == 78 and len(patients) == 78 * 4
    assert cases["fracture_level"].value_counts().to_dict() == {
        "L3": 26,
        "L1": 23,
        "L2": 18,
        "L4": 11,
    }
    assert cases["sex"].value_counts().to_dict() == {"F": 50, "M": 28}
    assert cases[["hypertension", "diabetes", "hyperlipidemia"]].sum().tolist() == [42, 46, 31]
    assert (patients["age"] >= 50).all()
    assert set(measurements["rater"]) == {"", "R1", "R2"}
    assert measurements.loc[measurements["session"] == 2, "patient_id"].nunique() == 30


def test_sample_quirks_are_reported_not_hidden():
    patients, measurements = load_sample()
    res = derive_indicators(patients, measurements)
    assert (res.table["vbq_csf_level"] == "L2").sum() == 6
    assert res.table["bmi"].isna().sum() == 1
    assert res.excluded["reason"].str.contains("left out of rcsa").sum() == 1
