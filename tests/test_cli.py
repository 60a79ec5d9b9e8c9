"""The command line through main([...]): exit status, one-line messages, no tracebacks, help."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from ovcfstats import PUBLISHED, StudyConfig
from ovcfstats.cli import _parser, main

REF = Path(__file__).parent / "reference"
STUDY = """
[indicators.hu]
label = "CT attenuation"
unit = "HU"

[indicators.tbs]
label = "Trabecular bone score"
unit = "ratio"
decimals = 3
direction = "lower"

[odds_ratios]
adjust = ["bmi"]
"""


@pytest.fixture(scope="module")
def matched(tmp_path_factory) -> dict[str, Path]:
    """The 1:2 matched sets as .sav-free inputs: an Excel workbook and a study file."""
    root = tmp_path_factory.mktemp("cli")
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    xlsx = root / "matched.xlsx"
    with pd.ExcelWriter(xlsx) as xl:
        pd.DataFrame({"about": ["1:2 matched sets"]}).to_excel(xl, sheet_name="About", index=False)
        data.to_excel(xl, sheet_name="Data", index=False)
    study = root / "study.toml"
    study.write_text(STUDY, encoding="utf-8")
    csv = root / "indicators.csv"
    data.drop(columns="set_id").to_csv(csv, sep=";", index=False, decimal=",")
    return {"xlsx": xlsx, "study": study, "csv": csv, "root": root}


def _one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("ovcfstats: error:")]
    assert len(errors) == 1, err
    assert err.strip().splitlines()[-1] == errors[0]
    return errors[0]


def test_analyze_matched_sets_from_excel(matched, tmp_path, capsys):
    args = ["analyze", str(matched["xlsx"]), "--sheet", "Data", "--matched-by", "set_id",
            "--study", str(matched["study"]), "--or-per", "unit",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Conditional logistic regression adjusted for BMI" in md
    assert "| tbs | Trabecular bone score | ratio | 3 | lower |" in md
    assert "Audit" not in md
    err = capsys.readouterr().err
    assert "0/6 matching [" in err and "5/6 writing the report [" in err and "6/6 done" in err
    ref = pd.read_csv(REF / "clogit_1to_k.csv").query("design == '1to2'")
    xlsx = pd.read_excel(tmp_path / "tables.xlsx", sheet_name=None)
    sheet = next(v for k, v in xlsx.items() if k.startswith("table2_or"))
    assert sheet["or"].to_numpy() == pytest.approx(ref["or"].to_numpy(), rel=1e-5)


def test_analyze_indicator_table_with_matching_and_audit(matched, tmp_path, capsys):
    published = tmp_path / "published.csv"
    PUBLISHED.to_csv(published, index=False)
    args = ["analyze", str(matched["csv"]), "--study", str(matched["study"]), "--ratio", "2",
            "--caliper", "age=3", "--audit", str(published),
            "--out", str(tmp_path / "o")]  # fmt: skip
    assert main(args) == 0
    md = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "1:2 age- and sex-matched controls" in md
    assert "Audit of the published statistics" in md


def test_skipped_steps_one_warning_line_each(matched, tmp_path, capsys):
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str}).assign(tbs=1.2)
    data["vbq"], data["hu"] = data["hu"], float("nan")
    path = tmp_path / "flat.csv"
    data.to_csv(path, index=False)
    args = ["analyze", str(path), "--matched-by", "set_id", "--indicators", "hu,tbs,vbq",
            "--out", str(tmp_path / "o")]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err.splitlines()
    skips = [line for line in err if line.startswith("ovcfstats: warning: skipped")]
    assert skips == [
        "ovcfstats: warning: skipped indicator (hu): all values missing in the cases",
        "ovcfstats: warning: skipped indicator (tbs): constant (1.2 in everyone)",
        "ovcfstats: warning: skipped correlations among the indicators and AUC comparison: fewer "
        "than two indicators left",
    ]
    md = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "## Skipped steps" in md


def test_no_eligible_control_names_the_flags(matched, tmp_path, capsys):
    args = ["analyze", str(matched["csv"]), "--caliper", "0.001", "--exact", "sex,tbs",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 2
    line = _one_error(capsys)
    assert "no case has an eligible control" in line and "--caliper" in line
    assert "caliper={" not in line


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("file", "is a file, not a directory"),
        ("file/sub", "cannot create the directory"),
        ("/proc/ovcfstats/out", "cannot create the directory"),
    ],
)
def test_bad_out_is_one_line(matched, tmp_path, capsys, out, message):
    (tmp_path / "file").write_text("x")
    target = out if out.startswith("/") else str(tmp_path / out)
    assert main(["analyze", str(matched["csv"]), "--out", target]) == 2
    assert message in _one_error(capsys)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--caliper", "two"], "--caliper takes years of age"),
        (["--or-per", "half"], "--or-per must be unit, sd or a number"),
        (["--study", "missing.toml"], "study file not found"),
        (["--sheet", "Data"], "a sheet can be chosen only in an Excel workbook"),
        (["--matched-by", "set"], "no matched-set column 'set' (--matched-by"),
    ],
)
def test_bad_options_are_one_line(matched, tmp_path, capsys, args, message):
    assert main(["analyze", str(matched["csv"]), "--out", str(tmp_path), *args]) == 2
    assert message in _one_error(capsys)


def test_unreadable_inputs_are_one_line(tmp_path, capsys):
    assert main(["analyze", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "is a directory, not a table" in _one_error(capsys)
    utf16 = tmp_path / "p.csv"
    utf16.write_bytes("patient_id\tcase\n1\t0\n".encode("utf-16"))
    assert main(["analyze", str(utf16), "--out", str(tmp_path / "o")]) == 2
    assert "UTF-16" in _one_error(capsys)


def test_init_writes_the_template(tmp_path, capsys):
    path = tmp_path / "study.toml"
    assert main(["init", str(path)]) == 0
    assert StudyConfig.from_toml(path) == StudyConfig()
    assert "--study" in capsys.readouterr().out
    assert main(["init", str(path)]) == 2
    assert "exists; use --force" in _one_error(capsys)
    assert main(["init", str(path), "--force"]) == 0
    assert main(["init", str(tmp_path)]) == 2  # a directory: writes study.toml inside, exists
    capsys.readouterr()
    published = tmp_path / "published.csv"
    assert main(["init", str(tmp_path / "s2.toml"), "--published", str(published)]) == 0
    from ovcfstats.study.pipeline import published_table

    pd.testing.assert_frame_equal(published_table(published), PUBLISHED)
    assert main(["init", str(tmp_path / "s3.toml"), "--published", str(published)]) == 2
    assert "published.csv exists" in _one_error(capsys)


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["reproduce", "analyze", "init"])
def test_help_shows_meaning_default_and_example(command):
    sub = _subparsers()[command]
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.dest}: no help text"
        if action.option_strings or action.nargs == "?":
            assert "(default:" in action.help, f"{command} {action.dest}: no default shown"
    text = sub.format_help()
    assert "Example" in text and "SPEC" not in text and "§" not in text


def test_help_points_to_the_data_contract(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    out = capsys.readouterr().out
    assert "Data contract" in out and "sample_data/README.md" in out


def test_raw_readings_one_rater_no_repeats(tmp_path, capsys):
    from ovcfstats import load_sample

    patients, measurements = load_sample()
    ids = [f"OVCF{i:03d}" for i in range(1, 21)] + [f"CTRL{i:03d}" for i in range(1, 61)]
    p = patients[patients["patient_id"].isin(ids)]
    m = measurements[measurements["patient_id"].isin(ids)]
    m = m[(m["rater"].fillna("") != "R2") & (m["session"] == 1)]
    p.to_csv(tmp_path / "patients.csv", index=False)
    m.to_csv(tmp_path / "measurements.csv", index=False)
    args = ["analyze", str(tmp_path / "patients.csv"), str(tmp_path / "measurements.csv"),
            "--out", str(tmp_path / "o")]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err
    skips = [line for line in err.splitlines() if "warning: skipped" in line]
    assert len(skips) == 2
    assert skips[0].startswith("ovcfstats: warning: skipped inter-rater reliability:")
    assert skips[1].startswith("ovcfstats: warning: skipped intra-rater reliability:")
    md = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "## Spearman correlation of each indicator" in md and "## Reliability" not in md


def test_tiny_study(tmp_path, capsys):
    table = pd.DataFrame(
        {
            "patient_id": [f"P{i:02d}" for i in range(12)],
            "case": [1] * 3 + [0] * 9,
            "age": [70, 75, 80, 70, 71, 69, 75, 76, 74, 80, 79, 81],
            "sex": ["F"] * 12,
            "bmi": [21.0, 22.5, 20.1, 24.2, 23.3, 25.0, 22.2, 23.9, 24.4, 26.1, 22.8, 23.5],
            "hu": [60, 80, 70, 120, 131, 99, 140, 110, 125, 118, 90, 150],
        }
    )
    table.to_csv(tmp_path / "tiny.csv", index=False)
    args = ["analyze", str(tmp_path / "tiny.csv"), "--indicators", "hu", "--ratio", "3",
            "--out", str(tmp_path / "o")]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ovcfstats: warning:" in err
    assert (tmp_path / "o" / "report.html").is_file()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Consider fewer covariates or method='firth'.", "Consider fewer covariates or --firth."),
        ("give a caliper, e.g. caliper={'age': 2}.", "give a caliper, e.g. --caliper 2."),
        ("widen caliper={'age': 2, 'bmi': 1}", "widen --caliper age=2,bmi=1"),
        ("use matched_by='set_id'", "use --matched-by 'set_id'"),
        (
            "consider tests={'sex': 'fisher'}.",
            'consider tests = { sex = "fisher" } under [table1] in the study file (--study).',
        ),
    ],
)
def test_library_advice_is_translated_to_flags(message, expected):
    from ovcfstats.cli import _advice

    assert _advice(message) == expected
