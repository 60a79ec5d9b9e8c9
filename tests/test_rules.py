"""One set of rules on every path: the same codes, the same plausible ranges, names checked."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ovcfstats as ov
from ovcfstats import DataError, StudyConfig, validate_patients
from ovcfstats._validate import closest
from ovcfstats.data import check_ranges, ranges_in_force
from ovcfstats.study.inputs import check_patients_table


def indicator_table(n: int = 40, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    case = np.repeat([1, 0], n // 2)
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "case": case,
            "age": np.tile(np.arange(60, 60 + n // 2), 2),
            "sex": np.tile(["F", "M"], n // 2),
            "bmi": rng.normal(23, 2, n).round(1),
            "hypertension": rng.integers(0, 2, n),
            "t_score": rng.normal(-2.5 + 0.8 * (1 - case), 0.8),
            "hu": rng.normal(90 + 30 * (1 - case), 15),
            "vbq": rng.normal(3.2 - 0.4 * (1 - case), 0.3),
            "rcsa": rng.normal(1.2 + 0.2 * (1 - case), 0.1),
            "fi": rng.normal(17 - (1 - case), 1),
        }
    )


def patients_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["A", "B"],
            "case": [1, 0],
            "age": [70, 71],
            "sex": ["F", "M"],
            "bmi": [22.0, 23.0],
            "hypertension": [0, 1],
            "diabetes": [0, 0],
            "hyperlipidemia": [1, 0],
            "fracture_level": ["L2", ""],
        }
    )


def raw_path(table: pd.DataFrame) -> pd.DataFrame:
    return validate_patients(table)


def indicator_path(table: pd.DataFrame) -> pd.DataFrame:
    return check_patients_table(table.drop(columns="fracture_level").copy())


PATHS = pytest.mark.parametrize("path", [raw_path, indicator_path], ids=["raw", "indicators"])


# -- the same codes on both paths -------------------------------------------------------------
@PATHS
@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ({"sex": ["F", "X"]}, ["values other than F/M in column 'sex'", "'X'", "B", "female"]),
        ({"sex": ["unknown", "M"]}, ["'unknown'", "patient_id: A"]),
        ({"case": [1, 2]}, ["values other than 0/1 in column 'case'", "(2;", "B"]),
        ({"case": [1, None]}, ["missing values in column 'case'", "B"]),
        ({"hypertension": ["yes", 0]}, ["column 'hypertension'", "'yes'", "1 = yes, 0 = no"]),
        ({"diabetes": [0, 3]}, ["column 'diabetes'", "(3;"]),
    ],
)
def test_both_paths_refuse_the_same_codes_with_the_same_message(path, edit, words):
    with pytest.raises(DataError) as err:
        path(patients_table().assign(**edit))
    for word in words:
        assert word in str(err.value)


@PATHS
def test_both_paths_accept_female_male_and_tables_without_comorbidities(path):
    table = patients_table().assign(sex=["Female", " male "])
    out = path(table.drop(columns=["hypertension", "diabetes", "hyperlipidemia"]))
    assert out["sex"].tolist() == ["F", "M"]
    assert "hypertension" not in out.columns
    out = path(table.assign(diabetes=[None, 1]))
    assert out["diabetes"].tolist() == [pd.NA, 1]


def test_the_raw_path_needs_no_bmi_but_checks_it_when_present():
    assert "bmi" not in validate_patients(patients_table().drop(columns="bmi")).columns
    with pytest.raises(DataError, match=r"plausible range.*'bmi'.*-3.*patient_id: B"):
        validate_patients(patients_table().assign(bmi=[22.0, -3.0]))


# -- plausible ranges on every path and step ---------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value"), [("age", 999), ("bmi", -3.0), ("t_score", 120.0), ("fi", 150.0)]
)
def test_analyze_refuses_impossible_values_in_an_indicator_table(column, value):
    table = indicator_table()
    table.loc[5, column] = value
    with pytest.raises(DataError) as err:
        ov.analyze(table)
    text = str(err.value)
    assert f"column '{column}'" in text and "P005" in text and "plausible range" in text


def test_the_study_files_ranges_widen_the_indicator_table_check():
    table = indicator_table()
    table.loc[5, "hu"] = 3500.0  # a scanner with an extended HU scale
    with pytest.raises(DataError, match="'hu'"):
        ov.analyze(table)
    cfg = StudyConfig(ranges={"hu": (-1024, 4000)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ov.analyze(table, config=cfg)
    assert "table1" in set(report.keys())


STEPS = {
    "compare_groups": lambda d: ov.compare_groups(d, ["age", "fi"], pair=None),
    "spearman_outcome": lambda d: ov.spearman_outcome(d, ["fi", "hu"]),
    "spearman_matrix": lambda d: ov.spearman_matrix(d, ["fi", "hu"]),
    "logistic_or": lambda d: ov.logistic_or(d, ["fi"], adjust=("age", "sex")),
    "roc_auc": lambda d: ov.roc_auc(d, ["fi"]),
    "compare_auc": lambda d: ov.compare_auc(d, ["fi", "hu"]),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_step_refuses_out_of_range_values_and_ranges_in_force_widens(step):
    table = indicator_table()
    table.loc[3, "fi"] = 150.0
    with pytest.raises(DataError) as err:
        STEPS[step](table)
    text = str(err.value)
    assert text.startswith(f"{step}():") and "'fi'" in text and "P003" in text
    assert "ranges_in_force({'fi': (low, high)})" in text
    with ranges_in_force({"fi": (0, 200)}), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        STEPS[step](table)  # no error


def test_match_controls_refuses_an_impossible_age_and_takes_the_outcome_by_name():
    table = indicator_table()
    table.loc[0, "age"] = 999
    with pytest.raises(DataError, match=r"match_controls\(\).*'age'.*999.*P000"):
        ov.match_controls(table)
    table = indicator_table().rename(columns={"case": "ovcf"})
    res = ov.match_controls(table, outcome="ovcf")
    assert "ovcf" in res.matched.columns and "case" not in res.matched.columns
    assert res.matched["ovcf"].sum() == len(res.pairs) and res.settings["outcome"] == "ovcf"
    same = ov.match_controls(indicator_table())
    assert same.pairs.equals(res.pairs) and "outcome" not in same.settings
    with pytest.raises(DataError, match=r"values other than 0/1 in column 'ovcf'.*'yes'"):
        ov.match_controls(table.assign(ovcf=table["ovcf"].map({1: "yes", 0: 0})), outcome="ovcf")


def test_check_ranges_leaves_columns_without_a_range_alone():
    table = pd.DataFrame({"patient_id": ["A"], "tbs": [9.0]})
    check_ranges(table, ["tbs", "absent"], "f")
    with ranges_in_force({"tbs": (0.5, 2.0)}), pytest.raises(DataError, match="'tbs'"):
        check_ranges(table, ["tbs"], "f")


# -- names: typos are errors with the closest name; defaults fail with the fix ----------------
def test_a_misspelt_indicator_is_an_error_naming_the_closest_column():
    with pytest.raises(DataError, match=r"'T_score'.*Did you mean 't_score'\?"):
        ov.analyze(indicator_table(), config=StudyConfig(indicators=("T_score", "hu")))


def test_a_misspelt_covariate_or_exact_variable_is_an_error():
    with pytest.raises(DataError, match=r"covariate.*'BMI'.*Did you mean 'bmi'"):
        ov.analyze(indicator_table(), config=StudyConfig(adjust=("age", "BMI")))
    with pytest.raises(DataError, match=r"exact-matching.*'gender'"):
        ov.analyze(indicator_table(), config=StudyConfig(exact=("gender",)))


def test_the_papers_defaults_a_table_lacks_are_skipped_in_analyze():
    table = indicator_table().drop(columns=["bmi", "vbq"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ov.analyze(table)
    skipped = report["skipped"].table
    assert {"bmi", "vbq"} <= set(skipped["item"])


def test_logistic_or_default_adjust_on_other_data_fails_with_the_fix():
    table = indicator_table().drop(columns="bmi")
    with pytest.raises(DataError, match=r"default adjust=.*'bmi'.*adjust=\['age', 'sex'\]"):
        ov.logistic_or(table, ["hu"])
    with pytest.raises(DataError, match=r"'Age'.*Did you mean 'age'"):
        ov.logistic_or(table, ["hu"], adjust=["Age"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 20 events for 3 coefficients
        assert len(ov.logistic_or(table, ["hu"], adjust=["age", "sex"]).table) == 1


@given(
    st.lists(st.from_regex(r"[a-z]{2,8}(_[a-z]{2,5})?", fullmatch=True), min_size=1, max_size=6),
    st.data(),
)
def test_closest_ignores_case_and_separators(options, data):
    options = list(dict.fromkeys(options))
    name = data.draw(st.sampled_from(options))
    assert closest(name, options) == name
    assert closest(name.upper().replace("_", "-"), options) == name
    assert closest(name.replace("_", " ").title(), options) == name


def test_closest_suggests_near_misses_and_nothing_for_unrelated_names():
    assert closest("t_scor", ["t_score", "hu"]) == "t_score"
    assert closest("hyprtension", ["hypertension", "diabetes"]) == "hypertension"
    assert closest("smoking", ["age", "sex", "bmi"]) is None
    with pytest.raises(DataError, match=r"'aeg'.*Did you mean 'age'"):
        ov.logistic_or(indicator_table(), ["hu"], adjust=["aeg"])


def test_the_command_line_refuses_a_misspelt_indicator_with_the_closest_name(tmp_path, capsys):
    from ovcfstats.cli import main

    path = tmp_path / "indicators.csv"
    indicator_table().to_csv(path, index=False)
    code = main(["analyze", str(path), "--indicators", "T_score,HU", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "Did you mean 't_score'?" in err and "Did you mean 'hu'?" in err
    assert "Traceback" not in err


def test_the_diagnostic_steps_check_ranges_too():
    table = indicator_table()
    table.loc[2, "age"] = 999
    with pytest.raises(DataError, match=r"adjusted_auc\(\).*'age'.*P002"):
        ov.adjusted_auc(table, "hu", ["age", "sex"], ci="none")
    table = indicator_table()
    table.loc[2, "fi"] = 150.0
    with pytest.raises(DataError, match=r"roc_thresholds\(\).*'fi'.*P002"):
        ov.roc_thresholds(table, "fi")
