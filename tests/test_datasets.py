"""The synthetic sample: the CSVs are the generator's output; the paper's counts hold."""

import numpy as np
import pandas as pd
import pytest

from ovcfstats import derive_indicators, generate_registry, generate_sample, load_sample
from ovcfstats.datasets import _registry
from ovcfstats.datasets.sample import SAMPLE_DIR, _main


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


def test_registry_is_seeded_and_does_not_depend_on_how_it_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(_registry, "REGISTRY_BLOCK", 200)  # small blocks keep the test fast
    blocks = list(generate_registry(500, seed=11))
    assert [len(p) for p, _ in blocks] == [200, 200, 100]
    first, second = (m["value"].head(1000).to_numpy() for _, m in blocks[:2])
    assert not np.array_equal(first, second, equal_nan=True)  # each block its own stream
    again = next(generate_registry(200, seed=11))
    pd.testing.assert_frame_equal(blocks[0][1], again[1])
    other = next(generate_registry(300, seed=12))
    assert not other[1]["value"].head(300).equals(blocks[0][1]["value"].head(300))
    patients = pd.concat([p for p, _ in blocks], ignore_index=True)
    assert patients["patient_id"].is_unique
    measurements = pd.concat([m for _, m in blocks], ignore_index=True)
    _main(["--patients", "500", "--seed", "11", "--out", str(tmp_path)])
    text = {"patient_id": str, "fracture_level": str, "muscle": str, "side": str, "rater": str}
    from_csv = pd.read_csv(
        tmp_path / "measurements.csv", dtype=text, keep_default_na=False, na_values={"value": [""]}
    )
    pd.testing.assert_frame_equal(from_csv, measurements)
    p_csv = pd.read_csv(tmp_path / "patients.csv", dtype=text, keep_default_na=False)
    pd.testing.assert_frame_equal(p_csv, patients)


def test_registry_parquet_equals_memory(tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet output needs the scale extra")
    _main(["--patients", "700", "--parquet", "--out", str(tmp_path)])
    patients, measurements = next(generate_registry(700))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "patients.parquet"), patients)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "measurements.parquet"), measurements)


def test_registry_has_the_contract_and_the_readings_a_study_has():
    patients, measurements = next(generate_registry(2000, blank_rate=0.0))
    res = derive_indicators(patients, measurements)  # validates both tables
    assert res.excluded.empty  # every ROI read: nothing left out
    assert 0.2 < patients["case"].mean() < 0.3
    assert set(measurements["rater"]) == {"", "R1", "R2"}
    repeat = measurements.loc[measurements["session"] == 2, "patient_id"].nunique()
    assert 0.07 < repeat / len(patients) < 0.13
    csf = res.table["vbq_csf_level"].value_counts(normalize=True)
    assert csf["L3"] > 0.9 and csf["L2"] > 0.02
    by_group = res.table.groupby("case")[["t_score", "hu", "vbq"]].mean()
    assert (by_group.loc[1, ["t_score", "hu"]] < by_group.loc[0, ["t_score", "hu"]]).all()
    assert by_group.loc[1, "vbq"] > by_group.loc[0, "vbq"]
