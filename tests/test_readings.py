"""Readings validated once and held as codes: the same results as the long table, every engine."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import ovcfstats
from ovcfstats import (
    DataError,
    Readings,
    agreement_pairs,
    agreement_section,
    analyze,
    derive_indicators,
    generate_registry,
    load_sample,
    reliability,
    scan_readings,
    validate_measurements,
)
from ovcfstats.data._duckdb import scannable
from ovcfstats.data._reading_codes import _sorted_groups
from ovcfstats.data._readings import _unique

try:
    import duckdb  # noqa: F401
except ImportError:  # the DuckDB engine is an optional extra
    ENGINES = ["pandas"]
else:
    ENGINES = ["pandas", "duckdb"]
needs_duckdb = pytest.mark.skipif(
    "duckdb" not in ENGINES, reason="DuckDB engine not installed (pip install 'ovcfstats[scale]')"
)
MEASURES = ["hu", "si_vertebra", "si_csf", "csa_muscle", "csa_disc", "fat_fraction"]


def _messy(seed: int, drop: float = 0.1, blank: float = 0.05):
    """A generated cohort made messy: rows dropped and shuffled, blanks, padded lower-case
    rater codes, a third session for some readings."""
    patients, m = next(generate_registry(30, seed=seed))
    rng = np.random.default_rng(seed)
    m = m[rng.random(len(m)) >= drop].copy()
    m.loc[rng.random(len(m)) < blank, "value"] = np.nan
    lower = rng.random(len(m)) < 0.3
    m["rater"] = np.where(lower, " " + m["rater"].str.lower() + " ", m["rater"])
    again = m[(m["session"] == 2).to_numpy() & (rng.random(len(m)) < 0.3)]
    m = pd.concat([m, again.assign(session=3, value=again["value"] + 1.0)], ignore_index=True)
    return patients, m.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _same_readings(a: Readings, b: Readings) -> None:
    """Equal as sets of readings (the DuckDB engine streams rows in its own order)."""
    key = ["patient_id", "measure", "level", "muscle", "side", "rater", "session"]
    fa = a.to_frame().sort_values(key, ignore_index=True)
    fb = b.to_frame().sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(fa, fb, check_exact=True)


# -- the readings themselves ----------------------------------------------------------------


def test_sample_readings_are_the_validated_table():
    patients, m = load_sample()
    r = scan_readings(m, patients, engine="pandas")
    assert len(r) == len(m)
    clean = validate_measurements(m, patients)
    pd.testing.assert_frame_equal(r.to_frame(), clean[r.to_frame().columns], check_dtype=False)
    assert "41,140 readings of 312 patients" in repr(r)
    assert scan_readings(r, patients) is r  # already scanned


@needs_duckdb
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_engines_give_the_same_readings(seed):
    patients, m = _messy(seed)
    _same_readings(
        scan_readings(m, patients, engine="pandas"), scan_readings(m, patients, engine="duckdb")
    )


@needs_duckdb
@pytest.mark.parametrize("fmt", ["parquet", "csv", "tsv", "semicolon"])
def test_files_are_scanned_like_the_table(tmp_path, fmt):
    patients, m = _messy(3)
    path = tmp_path / f"readings.{ {'tsv': 'tsv', 'semicolon': 'csv'}.get(fmt, fmt) }"
    if fmt == "parquet":
        m.to_parquet(path)
    else:
        sep = {"csv": ",", "tsv": "\t", "semicolon": ";"}[fmt]
        text = m.to_csv(sep=sep, index=False, na_rep="NA")
        if fmt == "semicolon":  # European Excel: decimal commas; read by read_table
            text = m.assign(
                value=m["value"].map(lambda v: "" if v != v else f"{v}".replace(".", ","))
            ).to_csv(sep=sep, index=False)
        path.write_text(text)
    assert (scannable(path) is None) == (fmt == "semicolon")
    direct = scan_readings(path, patients)
    assert direct.source == path.name
    _same_readings(scan_readings(m, patients, engine="pandas"), direct)


@needs_duckdb
def test_csv_dot_is_blank_as_read_table_reads_it(tmp_path):
    patients, m = load_sample()
    m = m.head(500).copy()
    text = m.to_csv(index=False).replace(",33.0\n", ",.\n", 1)
    path = tmp_path / "m.csv"
    path.write_text(text)
    from ovcfstats.data.readers import read_table

    _same_readings(
        scan_readings(read_table(path), patients, engine="pandas"), scan_readings(path, patients)
    )


@pytest.mark.parametrize(
    "engine", [pytest.param(e, marks=needs_duckdb if e == "duckdb" else ()) for e in ENGINES]
)
@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda m: pd.concat([m, m.iloc[[5]]]), "duplicate"),
        (lambda m: m.assign(patient_id=m["patient_id"].where(m.index != 7, "NOPE")), "NOPE"),
        (lambda m: m.assign(value=m["value"].where(m.index != 9, -5000.0)), "value"),
        (lambda m: m.assign(level=m["level"].where(m.index != 11, "L9")), "level"),
        (lambda m: m.assign(value=m["value"].astype(object).where(m.index != 13, "abc")), "value"),
    ],
)
def test_invalid_readings_refused_with_the_validators_message(engine, change, match):
    patients, m = load_sample()
    bad = change(m.head(2000).copy())
    with pytest.raises(DataError, match=match) as scanned:
        scan_readings(bad, patients, engine=engine)
    with pytest.raises(DataError, match=match) as validated:
        validate_measurements(bad, patients)
    assert str(scanned.value) == str(validated.value)  # one validator, one message, same rows
    with pytest.raises(DataError, match=match) as derived:
        derive_indicators(patients, bad, engine=engine)
    assert str(derived.value) == str(validated.value)


def test_readings_of_patients_left_out_are_refused():
    patients, m = load_sample()
    r = scan_readings(m, patients)
    with pytest.raises(DataError, match="missing from `patients`"):
        derive_indicators(patients.iloc[10:], r)


# -- every step gives the same result from the readings ---------------------------------------


@pytest.mark.parametrize(
    "engine", [pytest.param(e, marks=needs_duckdb if e == "duckdb" else ()) for e in ENGINES]
)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), kind=st.sampled_from(["inter", "intra"]))
def test_reliability_from_readings_equals_the_table(engine, seed, kind):
    patients, m = _messy(seed)
    r = scan_readings(m, patients, engine=engine)
    a = _quiet(reliability, m, kind=kind, unit="both")
    b = _quiet(reliability, r, kind=kind, unit="both")
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    pd.testing.assert_frame_equal(a.details, b.details, check_exact=True)
    pd.testing.assert_frame_equal(a.skipped, b.skipped)
    pd.testing.assert_frame_equal(a.excluded.astype(str), b.excluded.astype(str))
    assert a.warnings == b.warnings


@pytest.mark.parametrize(
    "engine", [pytest.param(e, marks=needs_duckdb if e == "duckdb" else ()) for e in ENGINES]
)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), kind=st.sampled_from(["inter", "intra"]))
def test_agreement_from_readings_equals_the_table(engine, seed, kind):
    patients, m = _messy(seed, blank=0.1)
    r = scan_readings(m, patients, engine=engine)
    clean = validate_measurements(m, patients)
    for measure in MEASURES:
        a = agreement_pairs(clean, measure, kind=kind)
        b = agreement_pairs(r, measure, kind=kind)
        pd.testing.assert_frame_equal(
            a.astype(dict.fromkeys(a.columns[:-2], str)),
            b.astype(dict.fromkeys(b.columns[:-2], str)),
            check_exact=True,
        )
    a, b = _outcome(agreement_section, clean, kind=kind), _outcome(agreement_section, r, kind=kind)
    if isinstance(a, str) or isinstance(b, str):  # too few pairs: the same error
        assert a == b
        return
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-12)
    pd.testing.assert_frame_equal(a.excluded.astype(str), b.excluded.astype(str))


def _outcome(func, *args, **kwargs):
    try:
        return _quiet(func, *args, **kwargs)
    except DataError as err:
        return str(err)


def test_agreement_pairs_choices_and_errors_as_the_table():
    patients, m = load_sample()
    r = scan_readings(m, patients)
    clean = validate_measurements(m, patients)
    pd.testing.assert_frame_equal(
        agreement_pairs(r, "hu", raters=("R2", "R1")).astype(
            {"patient_id": str, "level": str, "muscle": str, "side": str}
        ),
        agreement_pairs(clean, "hu", raters=("R2", "R1")).astype(
            {"patient_id": str, "level": str, "muscle": str, "side": str}
        ),
    )
    for bad in ({"raters": ("R1", "R9")}, {"kind": "intra", "sessions": (1, 3)}):
        with pytest.raises(DataError) as coded:
            agreement_pairs(r, "hu", **bad)
        with pytest.raises(DataError) as table:
            agreement_pairs(clean, "hu", **bad)
        assert str(coded.value) == str(table.value)
    with pytest.raises(DataError, match="no readings of measure 'fi'"):
        agreement_pairs(r, "fi")


@pytest.mark.parametrize(
    "engine", [pytest.param(e, marks=needs_duckdb if e == "duckdb" else ()) for e in ENGINES]
)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_indicators_from_readings_equal_the_table(engine, seed):
    patients, m = _messy(seed)
    r = scan_readings(m, patients, engine=engine)
    a = derive_indicators(patients, m, engine="pandas")
    b = derive_indicators(patients, r)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    key = ["id", "variable", "reason"]
    pd.testing.assert_frame_equal(
        a.excluded.sort_values(key, ignore_index=True),
        b.excluded.sort_values(key, ignore_index=True),
    )


@needs_duckdb
def test_analyze_from_files_equals_analyze_from_tables(tmp_path):
    patients, m = _messy(11, drop=0.0)
    m.to_parquet(tmp_path / "m.parquet")
    patients.to_parquet(tmp_path / "p.parquet")
    cfg = ovcfstats.StudyConfig(method="nearest", agreement=True)
    tables = _quiet(analyze, patients, m, config=cfg)
    files = _quiet(analyze, tmp_path / "p.parquet", tmp_path / "m.parquet", config=cfg)
    given_readings = _quiet(analyze, patients, scan_readings(m, patients), config=cfg)
    assert tables.keys() == files.keys() == given_readings.keys()
    for key in tables.keys():  # noqa: SIM118 (a Report is not a mapping)
        for other in (files, given_readings):
            for name, t in tables[key].tables().items():
                pd.testing.assert_frame_equal(
                    t.astype(str), other[key].tables()[name].astype(str), obj=f"{key} {name}"
                )


# -- the kernels ------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(arrays(np.int64, st.integers(1, 80), elements=st.integers(0, 120)))
def test_uniqueness_by_marking_equals_hashing(key):
    assert _unique(key, 121) == pd.Index(key).is_unique
    assert _unique(key, 2**40) == pd.Index(key).is_unique  # the hashing path


@settings(max_examples=80, deadline=None)
@given(arrays(np.int64, st.integers(1, 80), elements=st.integers(-50, 120)))
def test_targets_ranked_by_marking_are_numpy_unique(key):
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    codes, got_first = _sorted_groups(key)  # a narrow range: ranked by marking
    np.testing.assert_array_equal(codes, inverse.ravel())
    np.testing.assert_array_equal(got_first, first)


@needs_duckdb
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda m: pd.concat([m, m.iloc[[40]]], ignore_index=True), "duplicate"),
        (lambda m: m.assign(value=m["value"].where(m.index != 1500, -5000.0)), "value"),
        (lambda m: m.assign(patient_id=m["patient_id"].where(m.index != 77, "NOPE")), "NOPE"),
    ],
)
def test_errors_from_a_file_name_its_rows(tmp_path, fmt, change, match):
    from ovcfstats.data.readers import read_table

    patients, m = load_sample()
    bad = change(m.head(3000).copy())
    path = tmp_path / f"m.{fmt}"
    bad.to_parquet(path) if fmt == "parquet" else bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=match) as scanned:
        scan_readings(path, patients)
    with pytest.raises(DataError, match=match) as read:
        validate_measurements(read_table(path), patients)
    assert str(scanned.value) == str(read.value)


def test_renumbered_names_rows_of_the_whole_table():
    from ovcfstats._validate import renumbered

    err = DataError("f(): bad in column 'x' (patient_id: A, B; rows 1, 2). Fix it.")
    assert (
        str(renumbered(err, [9, 41]))
        == "f(): bad in column 'x' (patient_id: A, B; rows 10, 42). Fix it."
    )
    one = DataError("f(): bad (patient_id: A; row 1). Fix it.")
    assert str(renumbered(one, [4])) == "f(): bad (patient_id: A; row 5). Fix it."
    many = DataError("f(): bad (patient_id: A, B; rows 1, 2, ... (7 rows)). Fix it.")
    assert (
        str(renumbered(many, [3, 8, 9]))
        == "f(): bad (patient_id: A, B; rows 4, 9, ... (7 rows)). Fix it."
    )
