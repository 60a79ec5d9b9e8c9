"""Study-file values: wrong types and out-of-range numbers are one clear error naming the key."""

from __future__ import annotations

import pytest

from ovcfstats import DataError, StudyConfig

BAD = [
    ("[indicators.hu]\ndecimals = 1e9\n",
     r"variables\.hu\.decimals \(\[indicators\.hu\] decimals in the study file\) must be a whole "
     r"number from 0 to 10; got 1000000000\.0\.$"),
    ("[indicators.hu]\ndecimals = 1000000000\n", r"decimals.* from 0 to 10; got 1000000000\.$"),
    ("[indicators.hu]\nlabel = 5\n", r"variables\.hu\.label .* must be a text in quotes; got 5"),
    ("[indicators.hu]\ncolumn = [1]\n", r"\[indicators\.hu\] column .* column name"),
    ("[variables.bmi]\ndecimals = -1\n", r"\[variables\.bmi\] decimals .* from 0 to 10"),
    ("[matching]\nratio = 1000000000000000000\n",
     r"ratio \(\[matching\] ratio in the study file\) must be a whole number from 1 to 20 "
     r"\(controls per case\); got 1000000000000000000\.$"),
    ("[matching]\nratio = true\n", r"ratio .* from 1 to 20 .*; got True"),
    ("[matching]\nexact = 5\n", r"exact \(\[matching\] exact in the study file\) must be a list "
     r"of column names"),
    ("[matching]\nexact = [[1]]\n", r"exact .* list of column names"),
    ("[matching]\ncaliper = 'x'\n", r"caliper .* positive number"),
    ("[matching]\ncaliper = nan\n", r"caliper .* positive number"),
    ("[matching]\ncaliper = { age = { a = 1 } }\n", r"caliper .* got \{'age': \{'a': 1\}\}"),
    ("[matching]\nseed = -5\n", r"seed \(\[matching\] seed in the study file\) must be a whole "
     r"number ≥ 0"),
    ("[matching]\nseed = 1.5\n", r"seed .* whole number ≥ 0"),
    ("[matching]\nmatched_by = 5\n", r"matched_by .* text in quotes"),
    ("alpha = '0.05'\n", r"alpha must be between 0 and 1; got '0\.05'"),
    ("alpha = nan\n", r"alpha must be between 0 and 1"),
    ("title = { a = 1 }\n", r"title must be a text in quotes"),
    ("audit = 5\n", r"audit must be a text in quotes"),
    ("ranges = { hu = 5 }\n", r"'hu' must be \(low, high\)"),
    ("[table1]\nvariables = 5\n", r"table1 \(\[table1\] variables in the study file\)"),
    ("[table1]\ntests = { age = 5 }\n", r"tests .* paired_t, welch"),
    ("[odds_ratios]\nadjust = [{ a = 1 }]\n", r"adjust .* list of column names"),
    ("[odds_ratios]\nper = inf\n", r"positive number; got inf"),
    ("[roc]\ncompare_adjust = 5\n", r"auc_adjust \(\[roc\] compare_adjust in the study file\)"),
    ("[correlation]\nadjust = 'foo'\n", r"matrix_adjust .* one of bonferroni"),
    ("[indicator_rules]\nmin_vertebrae = 1000000\n",
     r"min_vertebrae .* from 1 to 4 \(non-fractured vertebrae of L1–L4\)"),
    ("[indicator_rules]\nmin_vertebrae = 'two'\n", r"min_vertebrae .* from 1 to 4"),
    ("[design]\nn_boot = 1000000000000\n",
     r"n_boot \(\[design\] n_boot in the study file\) must be a whole number from 10 to 10,000"),
    ("[design]\nseed = 'x'\n", r"boot_seed \(\[design\] seed in the study file\)"),
    ("[design]\nagreement = 'yes'\n", r"agreement .* true or false"),
    ("[design]\ncombined = 5\n", r"combined .* list of column names"),
    ("variables = 5\n", r"\[variables\] lists each variable"),
    ("title = " + "[" * 3000 + "]" * 3000 + "\n", r"nested too deeply"),
    ("title = " + "[" * 40 + "]" * 40 + "\n", r"title must be .*; got \[\[\[\[\.\.\.\]"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD)
def test_study_file_values_are_one_error_naming_the_key(tmp_path, text, message):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        StudyConfig.from_toml(path)
    assert str(err.value).startswith(f"{path}: ")
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_python_values_are_checked_the_same_way():
    with pytest.raises(DataError, match=r"ratio .* from 1 to 20"):
        StudyConfig(ratio=21)
    with pytest.raises(DataError, match="exact"):
        StudyConfig(exact=5)  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"variables\.tbs\.decimals"):
        StudyConfig(indicators=("tbs",), variables={"tbs": {"decimals": 10**9}})
    ok = StudyConfig(ratio=20, exact="sex", seed=2**40, n_boot=10_000, min_vertebrae=4)
    assert ok.exact == ("sex",) and ok.ratio == 20


def test_a_huge_study_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"is not a study file \(at most 1,000,000 bytes\)"):
        StudyConfig.from_toml(path)


@pytest.mark.parametrize(
    "text",
    ["[indicators.hu]\ndecimals = 1e9\n", "[matching]\nratio = 1000000000000000000\n",
     "[matching]\nexact = 5\n", "title = " + "[" * 3000 + "]" * 3000 + "\n"],
)  # fmt: skip
def test_cli_exits_2_with_one_line(tmp_path, capsys, text):
    from ovcfstats.cli import main

    study = tmp_path / "bad.toml"
    study.write_text(text, encoding="utf-8")
    table = tmp_path / "t.csv"
    table.write_text("patient_id,case,age,sex,hu\n1,1,70,F,80\n2,0,70,F,120\n")
    out = tmp_path / "out"
    assert main(["analyze", str(table), "--study", str(study), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"ovcfstats: error: {study}: ")
    assert not out.exists()


# -- a misspelt column = "..." is an error, never the column named like the indicator ----------


def test_a_misspelt_column_names_the_key_and_the_closest_column():
    import pandas as pd

    from ovcfstats import analyze

    data = pd.DataFrame({"patient_id": ["a", "b"], "case": [1, 0], "age": [70, 70],
                         "sex": "F", "HU_L1_L4": [80.0, 120.0], "hu": [1.0, 2.0]})  # fmt: skip
    cfg = StudyConfig(indicators=("hu",), adjust=(), variables={"hu": {"column": "HU_L1L4"}})
    with pytest.raises(DataError) as err:
        analyze(data, config=cfg)
    assert str(err.value).startswith(
        "analyze(): [indicators.hu] column = 'HU_L1L4' in the study file names no column of the "
        "table. Did you mean 'HU_L1_L4'?"
    )
    other = StudyConfig(indicators=("hu",), variables={"bmi": {"column": "Body mass"}})
    with pytest.raises(DataError, match=r"\[variables\.bmi\] column = 'Body mass'.*The columns "
                       r"are patient_id, case, age, sex"):  # fmt: skip
        analyze(data.drop(columns="HU_L1_L4"), config=other)


def test_cli_misspelt_column_is_one_line(tmp_path, capsys):
    from ovcfstats.cli import main

    study = tmp_path / "study.toml"
    study.write_text('[indicators.tbs]\ncolumn = "TBS_L1L4"\n', encoding="utf-8")
    table = tmp_path / "t.csv"
    table.write_text("patient_id,case,age,sex,tbs,tbs_l1_l4\n1,1,70,F,1,1.2\n2,0,70,F,2,1.4\n")
    out = tmp_path / "out"
    assert main(["analyze", str(table), "--study", str(study), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{table}: analyze(): [indicators.tbs] column = 'TBS_L1L4'" in err[0]
    assert "Did you mean 'tbs_l1_l4'?" in err[0] and not out.exists()


def test_readings_indicators_need_no_column_of_the_patients_table():
    import warnings

    from ovcfstats import analyze, load_sample

    patients, measurements = load_sample()
    cfg = StudyConfig(indicators=("hu", "vbq"), variables={"hu": {"column": "HU_mean"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = analyze(patients, measurements, config=cfg)
    assert "hu" in report["indicators"].table.columns
