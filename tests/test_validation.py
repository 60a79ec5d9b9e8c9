"""Input validation: plausible ranges, infinite values, IDs as text, codes, message format."""

import re
import warnings

import _schema_before as before
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import DataError, validate_measurements, validate_patients
from ovcfstats._validate import (
    ImplausibleValueWarning,
    as_ids,
    check_alpha,
    check_numeric,
    describe_ids,
    describe_rows,
)
from ovcfstats.data import RANGES, Range, check_plausible
from ovcfstats.data._patient_codes import SEX_FIX
from ovcfstats.data.schema import MEASURES


def patients(**edit):
    df = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3"],
            "case": [1, 0, 0],
            "age": [70.0, 71.0, 72.0],
            "sex": ["F", "F", "M"],
            "bmi": [22.0, 23.0, 24.0],
            "hypertension": [1, 0, 0],
            "diabetes": [0, 0, 1],
            "hyperlipidemia": [0, 1, 0],
            "fracture_level": ["L2", "", ""],
        }
    )
    for col, values in edit.items():
        df[col] = values
    return df


def readings(measure, values, **edit):
    roi = measure in ("csa_muscle", "fat_fraction")
    level = "L3-4" if measure in ("csa_muscle", "csa_disc", "fat_fraction") else "L3"
    n = len(values)
    df = pd.DataFrame(
        {
            "patient_id": [f"P{i + 1}" for i in range(n)],
            "measure": measure,
            "level": level,
            "muscle": "PM" if roi else "",
            "side": "L" if roi else "",
            "rater": "" if measure == "t_score" else "R1",
            "session": 1,
            "value": values,
        }
    )
    for col, v in edit.items():
        df[col] = v
    return df


# -- plausible ranges ----------------------------------------------------------------------------

# (name, last value accepted, first value refused) at each end that has a bound
BOUNDARIES = [
    ("age", 120.0, 120.5),
    ("bmi", 8.0, 7.9),
    ("bmi", 100.0, 100.1),
    ("t_score", -10.0, -10.01),
    ("t_score", 10.0, 120.0),
    ("hu", -1024.0, -1025.0),
    ("hu", 3071.0, 3072.0),
    ("si_vertebra", 0.0, -0.01),
    ("si_csf", 0.0, -1.0),
    ("csa_disc", 0.0, -1.0),
    ("csa_muscle", 0.001, 0.0),
    ("csa_muscle", 0.001, -5.0),
    ("fat_fraction", 0.0, -0.1),
    ("fat_fraction", 100.0, 100.5),
]


def validate_one(name, value, **kwargs):
    if name in ("age", "bmi"):
        values = [70.0, 71.0, value] if name == "age" else [22.0, 23.0, value]
        return validate_patients(patients(**{name: values}), min_age=0, **kwargs)
    other = 50.0 if name != "t_score" else -1.0
    return validate_measurements(readings(name, [other, other, value]), **kwargs)


@pytest.mark.parametrize(("name", "ok", "bad"), BOUNDARIES)
def test_range_boundaries_accept_inside_and_refuse_outside(name, ok, bad):
    validate_one(name, ok)
    column = name if name in ("age", "bmi") else "value"
    with pytest.raises(DataError) as err:
        validate_one(name, bad)
    msg = str(err.value)
    assert f"column '{column}'" in msg and f"{bad:g}" in msg
    assert "patient_id: P3; row 3)" in msg  # the ID and the plain 1-based row
    assert f"ranges={{'{name}': (low, high)}}" in msg
    assert "np." not in msg


@pytest.mark.parametrize(("name", "ok", "bad"), BOUNDARIES)
def test_ranges_override_per_call_and_can_be_switched_off(name, ok, bad):
    wide = (-1e4, 1e4)
    validate_one(name, bad, ranges={name: wide})
    validate_one(name, bad, ranges={name: None})
    validate_one(name, bad, ranges={name: Range(*wide, "", "site rule")})
    assert RANGES[name].outside(np.array([bad]))[0]  # the module table is left unchanged


def test_zero_csf_signal_and_zero_disc_area_pass_validation():
    # zero denominators are named by derive_indicators, not refused here
    validate_measurements(readings("si_csf", [0.0, 150.0]))
    validate_measurements(readings("csa_disc", [0.0, 1500.0]))


def test_blank_values_are_not_range_errors():
    out = validate_measurements(readings("fat_fraction", [np.nan, 15.0]))
    assert np.isnan(out["value"][0])
    validate_patients(patients(bmi=[np.nan, 23.0, 24.0]))


def test_bad_range_overrides_are_refused_by_name():
    with pytest.raises(ValueError, match=r"'hu' must be \(low, high\)"):
        validate_one("hu", 10.0, ranges={"hu": "wide"})
    with pytest.raises(ValueError, match="low ≤ high"):
        validate_one("hu", 10.0, ranges={"hu": (5, 1)})


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(sorted(set(RANGES) & set(MEASURES))),
    value=st.floats(-1e6, 1e6, allow_nan=False),
)
def test_a_reading_passes_exactly_when_inside_its_range(name, value):
    rule = RANGES[name]
    inside = (value > rule.low if rule.low_open else value >= rule.low) and value <= rule.high
    if inside:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImplausibleValueWarning)
            validate_one(name, value)
    else:
        with pytest.raises(DataError, match="outside the plausible range"):
            validate_one(name, value)


def test_fat_fractions_that_look_like_proportions_warn():
    with pytest.warns(ImplausibleValueWarning, match="look like proportions"):
        validate_measurements(readings("fat_fraction", [0.12, 0.2, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_measurements(readings("fat_fraction", [0.5, 12.0, 20.0]))
        validate_measurements(readings("fat_fraction", [0.0, 0.0]))  # all zero: no scale to judge


# -- infinite values -----------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    column=st.sampled_from(["age", "bmi", "case", "diabetes", "extra"]),
    row=st.integers(0, 2),
    value=st.sampled_from([np.inf, -np.inf, "inf", "-Infinity"]),
)
def test_infinite_values_are_refused_in_any_patient_column(column, row, value):
    df = patients(extra=[1.0, 2.0, 3.0])
    df[column] = df[column].astype(object)
    df.loc[row, column] = value
    with pytest.raises(DataError, match=rf"infinite values .* column '{column}'") as err:
        validate_patients(df)
    assert f"P{row + 1}; row {row + 1})" in str(err.value)


def test_infinite_reading_is_refused_not_passed_on():
    with pytest.raises(DataError, match=r"infinite values \(inf\) in column 'value'.*row 2"):
        validate_measurements(readings("hu", [80.0, np.inf]))


def test_infinite_values_in_extra_measurement_columns_are_refused_but_inf_as_an_id_is_text():
    m = readings("hu", [80.0, 90.0], scanner_dose=["1.5", "inf"])
    with pytest.raises(DataError, match=r"infinite values \(inf\) in column 'scanner_dose'.*row 2"):
        validate_measurements(m)
    p = patients(patient_id=["inf", "P2", "P3"])
    assert validate_patients(p)["patient_id"].tolist() == ["inf", "P2", "P3"]


def test_check_numeric_refuses_inf_for_every_step():
    df = pd.DataFrame({"patient_id": ["A", "B"], "x": [1.0, -np.inf]})
    with pytest.raises(DataError, match=r"infinite values \(-inf\).*patient_id: B; row 2"):
        check_numeric(df, "x", "logistic_or")


# -- IDs as text ---------------------------------------------------------------------------------


def test_ids_are_text_with_leading_zeros_kept_and_blanks_stripped():
    p = patients(patient_id=["007", " 7 ", "0007"])
    out = validate_patients(p)
    assert out["patient_id"].tolist() == ["007", "7", "0007"]
    m = readings("hu", [80.0, 90.0, 85.0], patient_id=["007", "7", "0007 "])
    assert validate_measurements(m, p)["patient_id"].tolist() == ["007", "7", "0007"]
    with pytest.raises(DataError, match="patient_id: 07"):
        validate_measurements(readings("hu", [80.0], patient_id=["07"]), p)


@settings(max_examples=50, deadline=None)
@given(
    ids=st.lists(
        st.text(alphabet="0123456789ABCP-_ ", min_size=1, max_size=6).filter(str.strip),
        min_size=1,
        max_size=8,
        unique_by=str.strip,
    )
)
def test_any_text_id_survives_validation_unchanged_but_stripped(ids):
    n = len(ids)
    df = pd.DataFrame(
        {
            "patient_id": ids,
            "case": [0] * n,
            "age": [60.0] * n,
            "sex": ["F"] * n,
            "bmi": [22.0] * n,
            "hypertension": [0] * n,
            "diabetes": [0] * n,
            "hyperlipidemia": [0] * n,
            "fracture_level": [""] * n,
        }
    )
    out = validate_patients(df)
    assert out["patient_id"].tolist() == [i.strip() for i in ids]
    assert all(type(i) is str for i in out["patient_id"])


def test_numeric_id_columns_become_text_without_a_trailing_zero():
    assert as_ids(pd.Series([7, 12])).tolist() == ["7", "12"]
    assert as_ids(pd.Series([7.0, np.nan, 2.5])).tolist() == ["7", "", "2.5"]


def test_blank_id_is_reported_with_its_plain_row_number():
    with pytest.raises(DataError, match=r"blank patient_id in row 2\. "):
        validate_patients(patients(patient_id=["P1", "  ", "P3"]))


# -- codes ---------------------------------------------------------------------------------------


def test_rater_codes_are_normalised_like_sex():
    m = readings("hu", [80.0, 81.0, 82.0], rater=["r2", " R2 ", "R1"])
    assert validate_measurements(m)["rater"].tolist() == ["R2", "R2", "R1"]


@pytest.mark.parametrize("other", ["R 2", "R-2", "r_2", "R.2"])
def test_rater_codes_that_differ_only_in_spacing_are_refused_by_name(other):
    m = readings("hu", [80.0, 81.0, 82.0], rater=["R2", other, "R1"])
    with pytest.raises(DataError, match=r"ambiguous codes .*'R2'.*column 'rater'.*row") as err:
        validate_measurements(m)
    assert other.upper() in str(err.value)


def test_normalised_rater_codes_make_duplicates_visible():
    m = readings("hu", [80.0, 81.0], patient_id=["P1", "P1"], rater=["r1", "R1"])
    with pytest.raises(DataError, match=r"duplicate readings.*rows 1, 2"):
        validate_measurements(m)


# -- message format and alpha --------------------------------------------------------------------


def test_rows_and_ids_print_as_plain_values():
    mask = np.array([False, True, False, True])
    assert describe_rows(mask) == "rows 2, 4"
    assert describe_rows(np.arange(12) >= 0) == "rows 1, 2, 3, 4, 5, ... (12 rows)"
    assert describe_ids([np.int64(5), np.str_("P7")]) == "patient_id: 5, P7"


@pytest.mark.parametrize("alpha", [0.05, np.float32(0.05), np.float64(0.1), 0.5])
def test_alpha_accepts_numpy_scalars(alpha):
    assert check_alpha(alpha, "f") == pytest.approx(float(alpha))


@pytest.mark.parametrize("alpha", [True, False, np.bool_(True), 0, 1, 1.5, "0.05", None])
def test_alpha_refuses_bools_strings_and_out_of_range(alpha):
    with pytest.raises(ValueError, match=re.escape("`alpha` of f() must be a number in (0, 1)")):
        check_alpha(alpha, "f")


# -- tidy tables (one row per patient) -----------------------------------------------------------


def test_check_plausible_covers_indicator_columns_and_ignores_others():
    df = pd.DataFrame(
        {
            "patient_id": ["A", "B", "C"],
            "t_score": [-2.5, -1.0, 0.3],
            "fi": [12.0, 15.0, 30.0],
            "rcsa": [2.1, 2.5, 1.9],
            "notes": ["", "x", ""],
            "tbs": [-5.0, 1.2, 1.3],  # no range defined: not checked
        }
    )
    check_plausible(df)
    with pytest.raises(
        DataError, match=r"check_plausible\(\).*'t_score'.*120.*patient_id: B; row 2"
    ):
        check_plausible(df.assign(t_score=[-2.5, 120.0, 0.3]))
    with pytest.raises(DataError, match=r"analyze\(\).*'rcsa'.*ranges=\{'rcsa'"):
        check_plausible(df.assign(rcsa=[0.0, 2.5, 1.9]), "analyze")
    with pytest.raises(DataError, match=r"infinite values.*'tbs'"):
        check_plausible(df.assign(tbs=[1.0, np.inf, 1.0]))
    check_plausible(df.assign(fi=[120.0, 1.0, 1.0]), ranges={"fi": None})


# -- the code-based fast path gives exactly the results of the string-by-string checks ----------


def outcome(func, *args, **kwargs):
    """The cleaned table, or the DataError message, and the warnings raised on the way."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = func(*args, **kwargs)
        except DataError as err:
            result = str(err)
    return result, [str(w.message) for w in caught]


def assert_same(new, old):
    (new_result, new_warnings), (old_result, old_warnings) = new, old
    assert new_warnings == old_warnings
    if isinstance(old_result, str):
        assert new_result == old_result
    else:
        assert not isinstance(new_result, str), new_result
        pd.testing.assert_frame_equal(new_result, old_result)


def test_fast_validation_equals_the_previous_checks_on_the_sample():
    from ovcfstats import load_sample

    p, m = load_sample()
    assert_same(outcome(validate_patients, p), outcome(before.validate_patients, p))
    vp = validate_patients(p)
    assert_same(outcome(validate_measurements, m, vp), outcome(before.validate_measurements, m, vp))
    # a messy copy: padded lower-case codes, NaN for blanks, a shuffled index, an extra column
    messy = m.assign(
        level=" " + m["level"].str.lower(),
        rater=m["rater"].str.lower() + " ",
        muscle=m["muscle"].replace("", np.nan),
        note="x",
    ).sample(frac=1, random_state=1)
    assert_same(
        outcome(validate_measurements, messy, vp), outcome(before.validate_measurements, messy, vp)
    )


ID_TEXT = st.sampled_from(["P1", " P1", "P2 ", "007", "7", "p1", "", "  ", None])
CODES = {
    "measure": st.sampled_from([*MEASURES, " hu", "HU", "bmd", "", None]),
    "level": st.sampled_from(["L1", "l3", " L4 ", "L3-4", "l1-2", "L5", "", None]),
    "muscle": st.sampled_from(["PM", "mf", " ES", "XX", "", None]),
    "side": st.sampled_from(["L", "r", " R ", "M", "", None]),
    "rater": st.sampled_from(["R1", " r1", "R2", "R 2", "r_2", "", None]),
}
# valid readings spelled in several ways: (measure, level, muscle, side)
VALID = st.sampled_from(
    [
        ("hu", "L1", "", None),
        ("hu", " l2", None, ""),
        ("t_score", "L3", "", ""),
        ("si_csf", "l4", "", ""),
        ("csa_disc", "L3-4", "", ""),
        ("csa_muscle", "l1-2", "pm", " L"),
        ("fat_fraction", "L4-5", " MF", "r"),
        ("fat_fraction", "L2-3", "ES", "R "),
    ]
)
VALUE = st.one_of(st.just(np.nan), st.floats(0.001, 9.0))  # plausible for every measure
BAD_VALUE = st.sampled_from([0.0, 0.5, 50.0, 150.0, -3.0, -2000.0, 5000.0, np.inf])


def column(draw, values, n):
    return draw(st.lists(values, min_size=n, max_size=n))


@st.composite
def measurement_tables(draw):
    """Readings with blanks, padding, case, text and numeric IDs, faults of every kind."""
    n = draw(st.integers(1, 12))
    table = {"patient_id": column(draw, ID_TEXT, n)}
    if draw(st.booleans()):  # any codes: mostly refused
        for col, codes in CODES.items():
            table[col] = column(draw, codes, n)
    else:  # valid codes, messy spellings, one consistent rater spelling
        rois = column(draw, VALID, n)
        for i, col in enumerate(("measure", "level", "muscle", "side")):
            table[col] = [roi[i] for roi in rois]
        table["rater"] = column(draw, st.sampled_from(["R1", " r1", "r2 ", None]), n)
    table["session"] = column(draw, st.sampled_from([1, 2, 3]), n)
    if draw(st.integers(0, 9)) == 9:  # a session that is not a whole number ≥ 1
        table["session"][draw(st.integers(0, n - 1))] = draw(st.sampled_from([0, 1.5, -1]))
    table["value"] = column(draw, VALUE, n)
    if draw(st.integers(0, 4)) == 4:  # a value that may lie outside its measure's range
        table["value"][draw(st.integers(0, n - 1))] = draw(BAD_VALUE)
    df = pd.DataFrame(table, index=draw(st.permutations(range(100, 100 + n))))
    if draw(st.booleans()):  # IDs a reader parsed as numbers
        df["patient_id"] = column(draw, st.sampled_from([7, 7.0, 8.5, np.nan]), n)
    if draw(st.booleans()):
        df["extra"] = column(draw, st.sampled_from([1.0, np.nan, 2.0, np.inf]), n)
    if draw(st.booleans()):  # repeat some rows: duplicate readings
        df = pd.concat([df, df.iloc[: draw(st.integers(0, n))]])
    return df


@settings(max_examples=300, deadline=None)
@given(measurement_tables(), st.booleans(), st.booleans())
def test_fast_measurement_validation_equals_the_previous_checks(m, with_patients, wide):
    p = pd.DataFrame({"patient_id": ["P1", "P2", "007", "7"]}) if with_patients else None
    kwargs = {"ranges": {"hu": (-5000, 6000), "fat_fraction": None}} if wide else {}
    assert_same(
        outcome(validate_measurements, m, p, **kwargs),
        outcome(before.validate_measurements, m, p, **kwargs),
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(ID_TEXT, min_size=1, max_size=8),
    st.lists(st.sampled_from(["f", " M", "F ", "x", "", None]), min_size=8, max_size=8),
)
def test_fast_patient_validation_equals_the_previous_checks(ids, sex):
    n = len(ids)
    p = patients().iloc[[0, 1, 2] * 3][:n].assign(patient_id=ids, sex=sex[:n], case=0)
    p = p.assign(fracture_level="")
    new, old = outcome(validate_patients, p), outcome(before.validate_patients, p)
    if isinstance(old[0], str) and "column 'sex'" in old[0]:
        # the same refusal; the message now also lists the values found and the values allowed
        found = ", ".join(repr(v) for v in dict.fromkeys(p["sex"]) if str(v).strip().upper() == "X")
        old = (
            old[0].replace("(patient_id", f"({found}; patient_id").replace(
                "Code sex as 'F' or 'M'.", SEX_FIX
            ),
            old[1],
        )
    assert_same(new, old)


def test_validation_leaves_its_input_untouched():
    m = readings("hu", [80.0, 90.0]).assign(extra=[1.0, 2.0], rater=[" r1", "R1"])
    kept = m.copy()
    out = validate_measurements(m)
    out.loc[0, :] = out.loc[1, :]
    pd.testing.assert_frame_equal(m, kept)
