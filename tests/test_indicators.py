"""Indicator rules on hand-computed cases, the ImageJ fat fraction, and the validators."""

import importlib.util
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import (
    DataError,
    derive_indicators,
    fat_fraction,
    generate_registry,
    load_sample,
    validate_measurements,
    validate_patients,
    write_registry,
)
from ovcfstats.data._cells import _duplicated_cells
from ovcfstats.data._readings import DUCKDB_ROWS
from ovcfstats.data.schema import MUSCLES, SIDES, VERTEBRAE
from ovcfstats.indicators.derive import _choose_engine

try:
    import duckdb  # noqa: F401
except ImportError:  # the DuckDB engine is an optional extra
    HAS_DUCKDB = False
else:
    HAS_DUCKDB = True
needs_duckdb = pytest.mark.skipif(
    not HAS_DUCKDB, reason="DuckDB engine not installed (pip install 'ovcfstats[scale]')"
)


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
    assert res.table.loc[0, "hu"] == pytest.approx((61 + 71 + 85) / 3, abs=1e-10)  # 10 decimals
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
        (lambda d: d.drop(columns="age"), r"'age'.*not found"),
        (lambda d: d.assign(bmi=[22.0, 250.0]), r"plausible range.*'bmi'.*B"),
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


# -- engines: equal to the original implementation and to each other --------------------------
REFERENCE = Path(__file__).parent / "reference"
ENGINES = ["pandas", pytest.param("duckdb", marks=needs_duckdb)]
NEW_REASONS = "blank session-1|repeat sessions"


def _legacy_module():
    spec = importlib.util.spec_from_file_location("legacy", REFERENCE / "indicators_legacy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _csv_roundtrip(frame: pd.DataFrame | Path) -> pd.DataFrame:
    """Through CSV as the reference files were written (exact: floats print round-trip)."""
    source = frame
    if isinstance(frame, pd.DataFrame):
        source = io.StringIO(frame.to_csv(index=False))
    text = {"patient_id": str, "fracture_level": str, "vbq_csf_level": str, "id": str}
    table = pd.read_csv(source, dtype=text, keep_default_na=False, na_values=[""])
    for col in ("fracture_level", "vbq_csf_level"):
        if col in table:
            table[col] = table[col].fillna("")
    return table


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("weighting", ["equal", "area"])
@pytest.mark.parametrize("name", ["sample", "awkward"])
def test_engines_reproduce_the_original_groupby_results(name, weighting, engine):
    data = load_sample()
    if name == "awkward":
        data = _legacy_module().awkward(*data)
    res = derive_indicators(*data, fi_weighting=weighting, engine=engine)
    stem = REFERENCE / f"indicators_{name}_{weighting}"
    pd.testing.assert_frame_equal(
        _csv_roundtrip(res.table), _csv_roundtrip(Path(f"{stem}_table.csv")), rtol=1e-13
    )
    added = res.excluded["reason"].str.contains(NEW_REASONS)
    assert added.any() == (name == "awkward")  # the awkward variant has blank readings
    pd.testing.assert_frame_equal(
        _csv_roundtrip(res.excluded[~added].reset_index(drop=True)),
        _csv_roundtrip(Path(f"{stem}_excluded.csv")),
    )


@pytest.fixture(scope="module")
def registry():
    patients, measurements = next(generate_registry(10_000, blank_rate=0.01))
    return patients, measurements


@needs_duckdb
@pytest.mark.parametrize("weighting", ["area"])  # equal weights: sample, awkward and hypothesis
def test_duckdb_equals_pandas_on_a_generated_cohort(registry, weighting):
    ours = derive_indicators(*registry, fi_weighting=weighting, engine="pandas")
    duck = derive_indicators(*registry, fi_weighting=weighting, engine="duckdb")
    pd.testing.assert_frame_equal(ours.table, duck.table, rtol=1e-13)
    pd.testing.assert_frame_equal(ours.excluded, duck.excluded)
    assert len(ours.excluded) > 100  # blanks at 1 % reach the excluded table


@needs_duckdb
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_duckdb_reads_files_straight_from_disk(tmp_path, fmt):
    _, readings_file = write_registry(tmp_path, 1500, fmt=fmt, seed=3)
    patients, measurements = next(generate_registry(1500, seed=3))
    expected = derive_indicators(patients, measurements, engine="pandas")
    assert _choose_engine("auto", readings_file) == "duckdb"  # auto: a file goes to DuckDB
    from_file = derive_indicators(patients, readings_file, memory_limit="500MB")
    pd.testing.assert_frame_equal(expected.table, from_file.table, rtol=1e-13)
    pd.testing.assert_frame_equal(expected.excluded, from_file.excluded)
    forced = derive_indicators(patients, readings_file, engine="pandas")
    pd.testing.assert_frame_equal(expected.table, forced.table, rtol=1e-13)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("row", "match"),
    [
        (reading("A", "density", "L1", 1.0), "unknown measures"),
        (reading("A", "density", "L1", None), "unknown measures"),  # a blank is checked too
        (reading("A", "hu", "L1-2", 1.0), r"levels not valid for 'hu'"),
        (reading("A", "csa_muscle", "L1-2", 1.0, muscle="XX", side="L"), "invalid muscle"),
        (reading("A", "fat_fraction", "L1-2", 1.0, muscle="MF", side=""), "invalid side"),
        (reading("A", "hu", "L1", 1.0, session=0), "sessions"),
        (reading("A", "hu", "L1", 1.0, session=None), "sessions"),
        (reading("A", "hu", "L4", "abc"), r"non-numeric.*'value'"),
        (reading("Z", "hu", "L1", 1.0), r"not in the patients table.*Z"),
        (reading("A", "hu", "L2", 5.0), "duplicate readings"),
        (reading("A", "hu", "L2", 1.0), "duplicate readings"),
        (reading("A", "hu", " l2 ", None), "duplicate readings"),
    ],
)
def test_invalid_readings_refused_by_every_engine_with_the_validators_message(engine, row, match):
    base = [reading("A", "hu", lev, 1.0) for lev in ("L1", "L2", "L3")] + [
        reading("B", "hu", "L1", 2.0)
    ]
    patients = [patient("A"), patient("B", case=0)]
    with pytest.raises(DataError, match=match):
        derive(patients, [*base, row], engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_text_is_normalised_as_the_validator_does(engine):
    rows = [reading("P1", "hu", lev, v) for lev, v in (("L1", 1.0), ("L3", 3.0), ("L4", 8.0))]
    messy = [dict(r, level=f" {r['level'].lower()} ", patient_id=" P1") for r in rows]
    messy += [reading("P1", "fat_fraction", "l1-2", 12.0, muscle=" mf", side="r ")]
    res = derive([patient()], messy, engine=engine)
    assert res.table.loc[0, "hu"] == 4.0
    assert res.table.loc[0, "n_rois_fi"] == 1


# -- robustness: nothing dropped without a trace -----------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_blank_reading_that_shrinks_an_average_is_listed(engine):
    rows = [reading("P1", "hu", lev, 10.0 * k) for k, lev in enumerate(VERTEBRAE, 1)]
    rows += [reading("P1", "hu", lev, 10.0 * k, "R2") for k, lev in enumerate(VERTEBRAE, 1)]
    for r in rows:  # L4 blank for both raters; L1 blank for R2 only; L2 (fractured) blank
        if (r["level"] == "L4") or (r["level"] in ("L1", "L2") and r["rater"] == "R2"):
            r["value"] = None
    res = derive([patient()], rows, engine=engine)
    assert res.table.loc[0, "hu"] == pytest.approx((10 + 30) / 2)
    assert res.table.loc[0, "n_vertebrae_hu"] == 2
    reasons = res.excluded.loc[res.excluded["variable"] == "hu", "reason"].tolist()
    assert reasons == [
        "1 blank session-1 reading of hu L1 left out; the ROI is the other reading",
        "2 blank session-1 readings of hu L4 left out; the ROI has no reading",
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_patient_with_repeat_sessions_only_is_told_so(engine):
    rows = [reading("P1", "hu", lev, 100.0, session=2) for lev in VERTEBRAE]
    rows += [reading("P2", "hu", lev, 100.0) for lev in VERTEBRAE]
    res = derive([patient("P1", case=0), patient("P2", case=0)], rows, engine=engine)
    assert np.isnan(res.table.loc[0, "hu"]) and res.table.loc[1, "hu"] == 100.0
    said = res.excluded[(res.excluded["id"] == "P1") & (res.excluded["variable"] == "hu")]
    assert "readings only in repeat sessions (session ≥ 2), none in session 1" in " ".join(
        said["reason"]
    )
    assert not res.excluded["reason"].str.contains("repeat").loc[res.excluded["id"] == "P2"].any()


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_csf_reading_is_named_and_the_next_level_used(engine):
    si = [(lev, v) for lev, v in zip(VERTEBRAE, (400.0, 500.0, 450.0, 420.0), strict=True)]
    rows = []
    for pid, csf in (
        ("P1", {"L3": 0.0, "L2": 100.0, "L4": 200.0}),  # L3 zero -> L2
        ("P2", {"L3": 0.0, "L2": 0.0, "L4": 200.0}),  # L3, L2 zero -> L4
        ("P3", {"L3": 0.0}),  # nothing valid
        ("P4", {"L2": 50.0, "L4": 0.0}),  # L3 missing -> L2; zero L4 named, unused
    ):
        rows += [reading(pid, "si_vertebra", lev, v) for lev, v in si]
        rows += [reading(pid, "si_csf", lev, v) for lev, v in csf.items()]
    res = derive([patient(p, case=0) for p in ("P1", "P2", "P3", "P4")], rows, engine=engine)
    t = res.table.set_index("patient_id")
    assert t["vbq_csf_level"].tolist() == ["L2", "L4", "", "L2"]
    median = (420.0 + 450.0) / 2
    np.testing.assert_allclose(t["vbq"], [median / 100, median / 200, np.nan, median / 50])
    vbq = res.excluded[res.excluded["variable"] == "vbq"]
    zero = "CSF SI reading at {} is 0 (a zero denominator): not used"
    assert vbq[["id", "reason"]].values.tolist() == [
        ["P1", zero.format("L3")],
        ["P2", zero.format("L3")],
        ["P2", zero.format("L2")],
        ["P3", zero.format("L3")],
        ["P4", zero.format("L4")],
        ["P3", "no CSF SI at L3, L2 or L4"],
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_disc_csa_makes_the_level_incomplete_and_is_named(engine):
    rows = muscle_block("P1", {"L1-2": 2.0, "L2-3": 4.0})
    rows += [reading("P1", "csa_disc", "L3-4", 0.0)]
    for r in rows:
        if r["measure"] == "csa_disc" and r["level"] == "L2-3":
            r["value"] = 0.0
    res = derive([patient()], rows, engine=engine)
    assert res.table.loc[0, "rcsa"] == pytest.approx(2.0)
    assert res.table.loc[0, "n_levels_rcsa"] == 1
    muscle = res.excluded["variable"].isin(["rcsa", "fi"])
    assert res.excluded.loc[muscle, "reason"].tolist() == [
        "level L2-3 left out of rcsa: disc CSA reading is 0 (a zero denominator)",
        "level L3-4 left out of rcsa: missing PM L, PM R, MF L, MF R, ES L, ES R; "
        "disc CSA reading is 0 (a zero denominator)",
        "fi from 12 of 24 ROIs (missing ROIs left out)",
    ]


def test_patients_column_named_like_an_indicator_is_refused_clearly():
    rows = [reading("P1", "hu", lev, 1.0) for lev in VERTEBRAE]
    with pytest.raises(DataError, match=r"already has column\(s\) \['hu'\].*drop\(columns="):
        derive([patient(hu=80.0)], rows)


def test_auto_engine_by_size():
    small = pd.DataFrame({"value": [1.0]})
    assert _choose_engine("auto", small) == "pandas"
    assert _choose_engine("pandas", "x.parquet") == "pandas"
    big = pd.DataFrame({"value": np.zeros(DUCKDB_ROWS + 1)})
    assert _choose_engine("auto", big) == ("duckdb" if HAS_DUCKDB else "pandas")


def test_engine_option_checked():
    with pytest.raises(ValueError, match=r"`engine`.*spark"):
        derive([patient()], [reading("P1", "hu", "L1", 1.0)], engine="spark")


@needs_duckdb
@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    drop=st.floats(0, 0.3),
    blank=st.floats(0, 0.3),
    zero=st.floats(0, 0.05),
)
def test_engines_agree_and_ignore_row_order(seed, drop, blank, zero):
    patients, m = next(generate_registry(40, seed=seed))
    rng = np.random.default_rng(seed)
    m = m[rng.random(len(m)) >= drop].copy()
    m.loc[rng.random(len(m)) < blank, "value"] = np.nan
    denominators = m["measure"].isin(["si_csf", "csa_disc"]).to_numpy()
    m.loc[denominators & (rng.random(len(m)) < zero * 10), "value"] = 0.0
    ours = derive_indicators(patients, m, engine="pandas")
    shuffled = derive_indicators(patients, m.sample(frac=1.0, random_state=seed))
    duck = derive_indicators(patients, m, engine="duckdb")
    pd.testing.assert_frame_equal(ours.table, shuffled.table, rtol=1e-13)
    pd.testing.assert_frame_equal(ours.table, duck.table, rtol=1e-13)
    pd.testing.assert_frame_equal(ours.excluded, duck.excluded)
    key = ["id", "variable", "reason"]
    pd.testing.assert_frame_equal(
        ours.excluded.sort_values(key, ignore_index=True),
        shuffled.excluded.sort_values(key, ignore_index=True),
    )


@given(
    cells=st.lists(st.integers(0, 5), min_size=1, max_size=30),
    pairs=st.lists(st.integers(0, 70), min_size=30, max_size=30),
)
def test_duplicate_cells_found_by_bits_and_by_hashing_alike(cells, pairs):
    cell = np.array(cells)
    pair = np.array(pairs[: len(cells)])
    key = pd.Series(cell * 100 + pair)
    expected = set(cell[key.duplicated(keep=False).to_numpy()])
    found = set(cell[_duplicated_cells(cell, pair)])
    assert found == set(sorted(expected)[:3])
    small = pair % 52  # the bit-mask path
    key = pd.Series(cell * 100 + small)
    expected = set(cell[key.duplicated(keep=False).to_numpy()])
    assert set(cell[_duplicated_cells(cell, small)]) == set(sorted(expected)[:3])


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_file_blanks_as_exported_and_ids_as_text(tmp_path, engine):
    rows = [reading("007", "hu", lev, 10.0) for lev in VERTEBRAE]
    rows += [reading("7", "hu", lev, 20.0) for lev in VERTEBRAE]
    path = tmp_path / "readings.csv"
    text = pd.DataFrame(rows).astype({"value": object})
    text.loc[0, "value"], text.loc[5, "value"] = "#N/A", "NA"  # blanks as Excel and R write them
    text.to_csv(path, index=False)
    patients = pd.DataFrame([patient("007", case=0), patient("7", case=0)])
    res = derive_indicators(patients, path, engine=engine)
    assert res.table["hu"].tolist() == [10.0, 20.0]
    assert res.table["n_vertebrae_hu"].tolist() == [3, 3]
    blank = res.excluded[res.excluded["reason"].str.contains("blank")]
    assert blank["reason"].tolist() == [
        "1 blank session-1 reading of hu L1 left out; the ROI has no reading",
        "1 blank session-1 reading of hu L2 left out; the ROI has no reading",
    ]
    assert blank["id"].tolist() == ["007", "7"]


@pytest.mark.parametrize("engine", ["pandas", pytest.param("duckdb", marks=needs_duckdb)])
def test_equal_means_are_equal_doubles_whatever_the_order_of_the_terms(engine):
    """A tie stays a tie (AUC, Spearman, Wilcoxon): the sum's order must not break it."""
    values = [0.1, 0.2, 0.3, 60.7]
    orders = {"C1": values, "C2": [0.1, 0.2, 60.7, 0.3], "C3": [60.7, 0.3, 0.2, 0.1]}
    assert len({sum(v) for v in orders.values()}) > 1  # the naive sums do differ
    patients = [patient(pid, case=0) for pid in orders]
    rows = [
        reading(pid, "hu", lev, v)
        for pid, vs in orders.items()
        for lev, v in zip(VERTEBRAE, vs, strict=True)
    ]
    table = derive(patients, rows, engine=engine).table.set_index("patient_id")
    assert table["hu"].nunique() == 1
    assert table.loc["C1", "hu"] == pytest.approx(sum(values) / 4, abs=1e-10)
