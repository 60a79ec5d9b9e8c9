"""Indicator rules on hand-computed cases, the ImageJ fat fraction, and the validators."""

import numpy as np
import pandas as pd
import pytest

from ovcfstats import (
    DataError,
    derive_indicators,
    fat_fraction,
    validate_measurements,
    validate_patients,
)
from ovcfstats.schema import MUSCLES, SIDES


def patient(pid="P1", case=1, level="L2", **kw):
    row = {
        "patient_id": pid,
        "case": case,
        "age": 70,
        "sex": "F",
        "bmi": 22.0,
        "hypertension": 0,
        "diabetes": 0,
        "hyperlipidemia": 0,
        "fracture_level": level if case else "",
    }
    return {**row, **kw}


def reading(pid, measure, level, value, rater="R1", session=1, muscle="", side=""):
    return {
        "patient_id": pid,
        "measure": measure,
        "level": level,
        "muscle": muscle,
        "side": side,
        "rater": rater,
        "session": session,
        "value": value,
    }


def muscle_block(pid, ratio_by_level, disc=1000.0, fat=10.0, rater="R1"):
    rows = []
    for lev, ratio in ratio_by_level.items():
        rows.append(reading(pid, "csa_disc", lev, disc, rater))
        for m in MUSCLES:
            for s in SIDES:
                rows.append(
                    reading(pid, "csa_muscle", lev, ratio * disc / 6, rater, muscle=m, side=s)
                )
                rows.append(reading(pid, "fat_fraction", lev, fat, rater, muscle=m, side=s))
    return rows


def derive(patients, readings, **kw):
    return derive_indicators(pd.DataFrame(patients), pd.DataFrame(readings), **kw)


def test_fractured_vertebra_excluded_and_raters_averaged_first():
    rows = [
        reading("P1", "hu", lev, v, "R1")
        for lev, v in zip(["L1", "L2", "L3", "L4"], [60, 200, 70, 80], strict=True)
    ]
    rows += [
        reading("P1", "hu", lev, v, "R2")
        for lev, v in zip(["L1", "L2", "L3", "L4"], [62, 210, 72, 90], strict=True)
    ]
    rows += [
        reading("P1", "t_score", lev, v, "")
        for lev, v in zip(["L1", "L2", "L3", "L4"], [-2.0, 1.0, -3.0, -2.5], strict=True)
    ]
    res = derive([patient()], rows)
    # L2 fractured: HU = mean(61, 71, 85) = 72.333..., T = mean(-2, -3, -2.5)
    assert res.table.loc[0, "hu"] == pytest.approx((61 + 71 + 85) / 3, abs=1e-12)
    assert res.table.loc[0, "t_score"] == pytest.approx(-2.5, abs=1e-12)
    assert res.table.loc[0, "n_vertebrae_hu"] == 3


def test_repeat_sessions_not_mixed_into_the_mean():
    rows = [reading("P1", "hu", lev, 100.0) for lev in ("L1", "L2", "L3", "L4")]
    rows += [reading("P1", "hu", lev, 500.0, session=2) for lev in ("L1", "L2", "L3", "L4")]
    res = derive([patient(case=0)], rows)
    assert res.table.loc[0, "hu"] == 100.0


def test_control_uses_all_four_vertebrae_and_missing_vertebrae_give_nan_with_reason():
    rows = [
        reading("P1", "hu", lev, v)
        for lev, v in zip(["L1", "L2", "L3", "L4"], [1, 2, 3, 6], strict=True)
    ]
    rows += [reading("P2", "hu", "L1", 50.0), reading("P2", "hu", "L2", 60.0)]  # L2 fractured
    res = derive([patient("P1", case=0), patient("P2")], rows)
    assert res.table.loc[0, "hu"] == 3.0
    assert np.isnan(res.table.loc[1, "hu"])
    row = res.excluded[(res.excluded["id"] == "P2") & (res.excluded["variable"] == "hu")]
    assert row["reason"].item() == "1 non-fractured vertebrae with hu readings (need ≥ 2)"


def test_vbq_median_and_csf_fallback():
    si = {"L1": 400.0, "L2": 900.0, "L3": 500.0, "L4": 450.0}
    rows = [reading("P1", "si_vertebra", lev, v) for lev, v in si.items()]
    rows += [reading("P1", "si_csf", "L2", 150.0), reading("P1", "si_csf", "L4", 999.0)]
    rows += [reading("P2", "si_vertebra", lev, v) for lev, v in si.items()]
    rows += [reading("P2", "si_csf", "L3", 100.0), reading("P2", "si_csf", "L2", 999.0)]
    rows += [reading("P3", "si_vertebra", lev, v) for lev, v in si.items()]
    res = derive([patient("P1"), patient("P2", case=0), patient("P3", case=0)], rows)
    t = res.table.set_index("patient_id")
    assert t.loc["P1", "vbq"] == pytest.approx(450.0 / 150.0)  # L2 fractured: median(400, 500, 450)
    assert t.loc["P1", "vbq_csf_level"] == "L2"  # L3 missing -> L2 (not L4)
    assert t.loc["P2", "vbq"] == pytest.approx(475.0 / 100.0)  # median of 4 = (450 + 500) / 2
    assert t.loc["P2", "vbq_csf_level"] == "L3"
    assert np.isnan(t.loc["P3", "vbq"])
    assert "no CSF SI at L3, L2 or L4" in set(
        res.excluded.loc[res.excluded["id"] == "P3", "reason"]
    )


def test_rcsa_sums_muscles_over_disc_and_averages_levels():
    rows = muscle_block("P1", {"L1-2": 2.0, "L2-3": 2.5, "L3-4": 3.0, "L4-5": 3.5})
    res = derive([patient()], rows)
    assert res.table.loc[0, "rcsa"] == pytest.approx(2.75, abs=1e-12)
    assert res.table.loc[0, "fi"] == pytest.approx(10.0, abs=1e-12)


def test_rcsa_incomplete_level_left_out_and_listed():
    rows = muscle_block("P1", {"L1-2": 2.0, "L2-3": 4.0})
    rows = [
        r
        for r in rows
        if not (
            r["level"] == "L2-3"
            and r["muscle"] == "MF"
            and r["side"] == "R"
            and r["measure"] == "csa_muscle"
        )
    ]
    res = derive([patient()], rows)
    assert res.table.loc[0, "rcsa"] == pytest.approx(2.0)
    assert res.table.loc[0, "n_levels_rcsa"] == 1
    assert "level L2-3 left out of rcsa: missing MF R" in set(res.excluded["reason"])


def test_fi_area_weighting():
    rows = muscle_block("P1", {"L1-2": 2.0})
    for r in rows:
        if r["measure"] == "csa_muscle" and r["muscle"] == "PM":
            r["value"] = 3 * r["value"]  # PM areas 3x the others
        if r["measure"] == "fat_fraction" and r["muscle"] == "PM":
            r["value"] = 30.0
    equal = derive([patient()], rows).table.loc[0, "fi"]
    area = derive([patient()], rows, fi_weighting="area").table.loc[0, "fi"]
    assert equal == pytest.approx((30 * 2 + 10 * 4) / 6)
    assert area == pytest.approx((30 * 3 * 2 + 10 * 4) / (3 * 2 + 4))


def test_fat_fraction_fixed_and_otsu_on_synthetic_image():
    rng = np.random.default_rng(0)
    image = rng.normal(40, 5, (50, 50))
    image[:15, :] = rng.normal(200, 5, (15, 50))  # 30% bright "fat"
    mask = np.ones_like(image, dtype=bool)
    mask[:, 40:] = False  # ROI: first 40 columns; still 30% fat
    assert fat_fraction(image, mask, threshold=120.0) == pytest.approx(30.0)
    assert fat_fraction(image, mask) == pytest.approx(30.0)
    with pytest.raises(DataError, match="boolean"):
        fat_fraction(image, mask.astype(int))
    with pytest.raises(DataError, match="no pixel"):
        fat_fraction(image, np.zeros_like(mask))
    with pytest.raises(DataError, match="shape"):
        fat_fraction(image, mask[:10])


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d.drop(columns="bmi"), r"'bmi'.*not found"),
        (lambda d: d.assign(patient_id=["A", "A"]), r"duplicate IDs.*patient_id: A"),
        (lambda d: d.assign(age=[70, "old"]), r"non-numeric.*'age'.*B"),
        (lambda d: d.assign(age=[70, 45]), r"ages below 50.*B"),
        (lambda d: d.assign(sex=["F", "X"]), r"F/M.*B"),
        (lambda d: d.assign(case=[1, 2]), r"0/1.*'case'.*B"),
        (lambda d: d.assign(fracture_level=["", ""]), r"cases without a fracture level.*A"),
        (lambda d: d.assign(fracture_level=["L1", "L2"]), r"controls with a fracture level.*B"),
        (lambda d: d.assign(fracture_level=["T12", ""]), r"outside L1/L2/L3/L4.*A"),
    ],
)
def test_patient_validation_errors(edit, match):
    df = pd.DataFrame([patient("A", level="L1"), patient("B", case=0)])
    with pytest.raises(DataError, match=match):
        validate_patients(edit(df))


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (reading("A", "density", "L1", 1.0), "unknown measures"),
        (reading("A", "hu", "L1-2", 1.0), r"levels not valid for 'hu'"),
        (reading("A", "csa_muscle", "L1-2", 1.0, muscle="XX", side="L"), "invalid muscle"),
        (reading("A", "fat_fraction", "L1-2", 1.0, muscle="MF", side=""), "invalid side"),
        (reading("A", "hu", "L1", 1.0, session=0), "sessions"),
        (reading("A", "hu", "L1", "abc"), r"non-numeric.*'value'"),
        (reading("Z", "hu", "L1", 1.0), r"not in the patients table.*Z"),
        (reading("A", "hu", "L2", 5.0), "duplicate readings"),
    ],
)
def test_measurement_validation_errors(row, match):
    base = [reading("A", "hu", "L2", 1.0)]
    patients = pd.DataFrame([patient("A")])
    with pytest.raises(DataError, match=match):
        validate_measurements(pd.DataFrame([*base, row]), patients)


def test_blank_readings_are_skipped_not_errors():
    rows = [reading("P1", "hu", lev, 10.0) for lev in ("L1", "L3", "L4")] + [
        reading("P1", "hu", "L1", None, rater="R2")
    ]
    res = derive([patient()], rows)
    assert res.table.loc[0, "hu"] == 10.0
