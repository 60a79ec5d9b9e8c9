"""The missing-data section: counts on a hand-built table, R mice::md.pattern on nhanes, the
pattern order and its ties, the n of each analysis, the section in every format, bad input.
Reference values: tests/reference/missing_nhanes.R."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ovcfstats import DataError, MissingData, Report, describe_missing, logistic_or, roc_auc
from ovcfstats.present import present
from ovcfstats.present._layouts_missing import MAX_PATTERNS
from ovcfstats.report._methods import methods_paragraphs

REF = Path(__file__).parent / "reference"
NA = np.nan


@pytest.fixture
def holes() -> pd.DataFrame:
    """4 cases, 4 controls; bmi misses in 1 case and 2 controls, hu in 2 cases, fi in 1 control
    (who also lacks bmi); age and sex complete."""
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(1, 9)],
            "case": [1, 1, 1, 1, 0, 0, 0, 0],
            "age": [70, 71, 72, 73, 70, 71, 72, 73],
            "sex": ["F", "F", "M", "F", "F", "M", "F", "F"],
            "bmi": [22.0, NA, 24.0, 25.0, NA, 23.0, NA, 21.0],
            "hu": [NA, 90.0, NA, 95.0, 120.0, 130.0, 125.0, 118.0],
            "fi": [10.0, 12.0, 8.0, 13.0, 11.0, 9.0, NA, 7.0],
        }
    )


def test_counts_per_variable_and_group(holes):
    res = describe_missing(holes)
    t = res.table.set_index("variable")
    assert list(t.index) == ["age", "sex", "bmi", "hu", "fi"]  # id and group left out
    assert t["missing_1"].tolist() == [0, 0, 1, 2, 0]
    assert t["missing_0"].tolist() == [0, 0, 2, 0, 1]
    assert t["missing"].tolist() == [0, 0, 3, 2, 1]
    assert (t["n_1"] == 4).all() and (t["n_0"] == 4).all() and (t["n"] == 8).all()
    assert t.loc["bmi", "pct_1"] == 25.0 and t.loc["bmi", "pct_0"] == 50.0
    assert t.loc["bmi", "pct"] == 37.5 and t.loc["fi", "pct"] == 12.5
    assert res.n_missing == 6 and res.n_complete == 3
    assert (res.n_patients, res.n_cases, res.n_controls) == (8, 4, 4)
    assert dict(res.settings) == {"group": "case"}
    assert len(res.excluded) == 0 and not res.warnings


def test_patterns_most_frequent_first_with_exact_counts(holes):
    p = describe_missing(holes, ["bmi", "hu", "fi"]).patterns
    assert p["pattern"].tolist() == [1, 2, 3, 4]
    # complete 3 (P4, P6, P8); hu only 2 (P1, P3); bmi only 2 (P2, P5); bmi + fi 1 (P7)
    assert p["n"].tolist() == [3, 2, 2, 1]
    assert p["n_variables_missing"].tolist() == [0, 1, 1, 2]
    # the tie of two 2s: observed in the earlier variable (bmi) first
    assert p[["bmi", "hu", "fi"]].to_numpy().tolist() == [
        [True, True, True], [True, False, True], [False, True, True], [False, True, False],
    ]  # fmt: skip
    assert p["pct"].tolist() == [37.5, 25.0, 25.0, 12.5]


def test_pattern_ties_go_to_fewer_holes_and_ignore_the_row_order():
    # three patterns of 2 patients each: two holes (b, c), none, one hole (a); the pattern
    # with one hole comes before the one observed in the earlier variable a
    df = pd.DataFrame(
        {
            "case": [1, 0] * 3,
            "a": [1, 1, 1, 1, NA, NA],
            "b": [NA, NA, 1, 1, 1, 1],
            "c": [NA, NA, 1, 1, 1, 1],
        }
    )
    first = describe_missing(df).patterns
    assert first["n_variables_missing"].tolist() == [0, 1, 2]
    assert first[["a", "b", "c"]].to_numpy().tolist() == [
        [True, True, True], [False, True, True], [True, False, False],
    ]  # fmt: skip
    for seed in range(3):
        shuffled = df.sample(frac=1, random_state=seed)
        pd.testing.assert_frame_equal(describe_missing(shuffled).patterns, first)


def test_counts_and_patterns_equal_r_mice_md_pattern():
    data = pd.read_csv(REF / "missing_nhanes.csv")
    counts = pd.read_csv(REF / "missing_nhanes_counts.csv", dtype={"group": str})
    r_patterns = pd.read_csv(REF / "missing_nhanes_patterns.csv", dtype={"pattern": str})
    res = describe_missing(data, ["age", "bmi", "hyp", "chl"])
    t = res.table.set_index("variable")
    for row in counts.itertuples():
        column = "missing" if row.group == "all" else f"missing_{row.group}"
        assert t.loc[row.variable, column] == row.missing, (row.variable, row.group)
    ours = res.patterns
    bits = ours[["age", "bmi", "hyp", "chl"]].astype(int).astype(str).agg("".join, axis=1)
    assert dict(zip(bits, ours["n"], strict=True)) == dict(
        zip(r_patterns["pattern"], r_patterns["n"], strict=True)
    )
    assert ours["n"].is_monotonic_decreasing


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.booleans(), st.sampled_from([0, 1])),
        min_size=1,
        max_size=30,
    )
)
def test_patterns_add_up_to_the_counts(rows):
    df = pd.DataFrame(
        {
            "case": [r[3] for r in rows],
            **{v: [NA if r[j] else 1.0 for r in rows] for j, v in enumerate("xyz")},
        }
    )
    if df["case"].nunique() < 2:
        df.loc[0, "case"] = 1 - df.loc[0, "case"]
    res = describe_missing(df)
    p = res.patterns
    assert p["n"].sum() == len(df) and p["pct"].sum() == pytest.approx(100.0)
    assert not p[list("xyz")].duplicated().any()
    for v in "xyz":
        assert p.loc[~p[v], "n"].sum() == res.table.set_index("variable").loc[v, "missing"]
    key = list(zip(-p["n"], p["n_variables_missing"], strict=True))
    assert key == sorted(key)  # most frequent first, then fewer holes


def test_analyses_from_results_and_from_columns(holes):
    roc = roc_auc(holes, ["hu", "fi"])
    with pytest.warns(UserWarning, match="events per variable"):  # 8 patients: few events
        ors = logistic_or(holes, ["fi"], adjust=["age"])
    res = describe_missing(
        holes, ["bmi", "hu", "fi"], models={"ROC": roc, "OR": ors, "model": ["hu", "bmi"]}
    )
    a = res.analyses
    assert a[["analysis", "item"]].to_numpy().tolist() == [
        ["ROC", "hu"], ["ROC", "fi"], ["OR", "fi"], ["model", ""],
    ]  # fmt: skip
    # hu misses in 2 cases; fi in 1 control; hu and bmi are both present in P4, P6 and P8
    assert a["n"].tolist() == [6, 7, 7, 3]
    assert a["n_cases"].tolist() == [2, 4, 4, 1]
    assert a["n_controls"].tolist() == [4, 3, 3, 2]
    assert a["n_excluded"].tolist() == [2, 1, 1, 5]


def test_no_group_counts_all_patients_only(holes):
    res = describe_missing(holes, ["bmi"], group=None, models={"m": ["bmi"]})
    assert list(res.table.columns) == ["variable", "n", "missing", "pct"]
    assert res.analyses["n_cases"].isna().all()
    frame = present(res).main[0].frame
    assert list(frame.columns) == ["Variable", "All (n = 8)"]
    assert frame.iloc[0].tolist() == ["BMI", "3 (37.5)"]


def test_the_body_prints_labels_counts_and_the_most_frequent_patterns(holes):
    shown = present(describe_missing(holes, models={"OR": ["hu", "bmi"]}))
    per_variable, patterns, analysed = (t.frame for t in shown.main)
    assert per_variable.to_numpy().tolist() == [
        ["BMI", "1 (25.0)", "2 (50.0)", "3 (37.5)"],
        ["HU", "2 (50.0)", "0 (0.0)", "2 (25.0)"],
        ["FI", "0 (0.0)", "1 (25.0)", "1 (12.5)"],
    ]
    assert list(per_variable.columns)[1:] == ["Cases (n = 4)", "Controls (n = 4)", "All (n = 8)"]
    assert patterns.to_numpy().tolist()[1] == ["2", "✓", "·", "✓", "2", "25.0"]
    assert analysed.to_numpy().tolist() == [["OR", "3", "1", "2"]]
    assert "No missing values in: Age, Sex." in shown.notes
    assert not shown.appendix


def test_the_rest_of_the_patterns_in_one_row_and_all_in_the_appendix():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"case": rng.integers(0, 2, 200)})
    for v in "abcd":
        df[v] = np.where(rng.random(200) < 0.3, NA, 1.0)
    res = describe_missing(df)
    shown = present(res)
    top = shown.main[1].frame
    assert len(res.patterns) > MAX_PATTERNS and len(top) == MAX_PATTERNS + 1
    rest = res.patterns.iloc[MAX_PATTERNS:]
    k = len(rest)
    assert top.iloc[-1]["Pattern"] == f"{k} other patterns"
    assert top.iloc[-1]["Patients"] == str(int(rest["n"].sum()))
    assert len(shown.appendix[0].frame) == len(res.patterns)


def test_no_missing_values_is_one_sentence(holes):
    shown = present(describe_missing(holes, ["age", "sex"]))
    assert shown.main == [] and shown.appendix == []
    assert shown.notes == ["No missing values: all 8 patients have all 2 variables described."]


def test_the_section_in_every_format(holes, tmp_path):
    report = Report("Study").add(describe_missing(holes, models={"OR": ["hu"]}), key="missing")
    paths = report.save(tmp_path / "out")
    html = paths["html"].read_text(encoding="utf-8")
    markdown = paths["markdown"].read_text(encoding="utf-8")
    for text in (html, markdown):
        assert "Missing data" in text and "Missing values per variable, n (%)" in text
        assert "Missingness patterns, the most frequent first" in text
        assert "No missing values in: Age, Sex." in text
    assert "| BMI | 1 (25.0) | 2 (50.0) | 3 (37.5) |" in markdown
    words = "\n".join(p.text for p in Document(paths["docx"]).paragraphs)
    assert "Missing data" in words and "No missing values in: Age, Sex." in words
    cells = {c.text for t in Document(paths["docx"]).tables for r in t.rows for c in r.cells}
    assert {"3\u00a0(37.5)", "✓", "·"} <= cells  # Word keeps a count with its %
    book = load_workbook(paths["excel"], read_only=True)
    assert {"missing", "missing patterns", "missing analyses"} <= set(book.sheetnames)
    rows = list(book["missing"].iter_rows(values_only=True))
    assert rows[0][:4] == ("variable", "n_1", "missing_1", "pct_1")
    assert rows[3][:4] == ("bmi", 4, 1, 25.0)


def test_a_report_without_holes_says_so_in_every_format(holes, tmp_path):
    report = Report("Study").add(describe_missing(holes, ["age"]), key="missing")
    sentence = "No missing values: all 8 patients have the variable described."
    assert sentence in report.to_markdown() and sentence in report.to_html()
    assert "No value of the analysed variables was missing." in report.methods()
    report.to_docx(tmp_path / "r.docx")
    assert sentence in "\n".join(p.text for p in Document(tmp_path / "r.docx").paragraphs)


def test_analyze_places_the_section_before_the_results():
    from ovcfstats import StudyConfig, analyze

    rng = np.random.default_rng(1)
    n = 40
    df = pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "case": [1] * 20 + [0] * 20,
            "age": rng.integers(60, 80, n),
            "sex": rng.choice(["F", "M"], n),
            "hu": rng.normal(110, 30, n).round(1),
        }
    )
    df.loc[[3, 25], "hu"] = NA
    cfg = StudyConfig(indicators=("hu",), caliper=10, adjust=())
    report = analyze(df, config=cfg)
    keys = report.keys()
    assert keys.index("matching") + 1 == keys.index("missing") < keys.index("table1")
    res = report["missing"]
    assert isinstance(res, MissingData)
    assert res.table.set_index("variable").loc["hu", "missing"] == 2
    a = res.analyses.set_index(["analysis", "item"])["n"]
    assert a[("ROC", "hu")] == res.n_patients - 2
    assert set(res.analyses["analysis"]) == {"Table 1", "Spearman ρ", "OR", "ROC"}
    table1 = res.analyses[res.analyses["analysis"] == "Table 1"]
    assert table1["item"].tolist() == ["age", "sex", "hu"]  # sex once, not once per level
    assert table1["n"].tolist() == [40, 40, 36]  # paired: an incomplete patient's set leaves
    methods = " ".join(methods_paragraphs(report, report.style()))  # no figure drawn
    assert "Missing values were not imputed: each analysis used" in methods
    strobe = report.strobe().set_index("item")["in this report"]
    assert "(Missing data)" in strobe["14b"] and "Missing data section" in strobe["12c"]


def test_unknown_column_names_the_closest():
    df = pd.DataFrame({"case": [1, 0], "t_score": [NA, -2.0]})
    with pytest.raises(DataError, match=r"'T_scor'.*Did you mean 't_score'"):
        describe_missing(df, ["T_scor"])
    with pytest.raises(DataError, match=r"'group'.*Did you mean"):
        describe_missing(df.rename(columns={"case": "groups"}), group="group")
    with pytest.raises(DataError, match=r"models\['OR'\].*'hu'"):
        describe_missing(df, models={"OR": ["hu"]})


def test_bad_group_and_columns_name_the_patients_and_the_fix():
    df = pd.DataFrame({"patient_id": ["A", "B", "C"], "case": [1, NA, 0], "x": [1.0, NA, 2.0]})
    with pytest.raises(
        DataError, match=r"missing values in the group column .case. \(patient_id: B\)"
    ):
        describe_missing(df)
    df["case"] = [1, 2, 0]
    with pytest.raises(DataError, match=r"codes \[2.0\] in the group column.*B.*group=None"):
        describe_missing(df)
    df["case"] = [1, 0, 0]
    with pytest.raises(DataError, match="group column 'case' is among `columns`"):
        describe_missing(df, ["x", "case"])
    with pytest.raises(DataError, match="x given twice"):
        describe_missing(df, ["x", "x"])
    with pytest.raises(DataError, match="a variable named 'n' would share its name"):
        describe_missing(df.assign(n=1.0))
    assert describe_missing(pd.DataFrame({"case": [1, 0], 7: [NA, 1.0]})).n_missing == 1
    with pytest.raises(TypeError, match="`models` must be a mapping"):
        describe_missing(df, models=["x"])


def test_a_result_without_n_or_with_more_patients_is_refused(holes):
    from ovcfstats._results import Result

    with pytest.raises(DataError, match=r"models\['x'\] is a Result.*no n per row"):
        describe_missing(holes, models={"x": Result(table=pd.DataFrame({"a": [1]}))})
    bigger = roc_auc(
        pd.concat([holes, holes.assign(patient_id=lambda d: d.patient_id + "b")]), "fi"
    )
    with pytest.raises(DataError, match=r"'ROC' reports 14 patients, more than the 8 rows"):
        describe_missing(holes, models={"ROC": bigger})


@pytest.mark.parametrize("k", [1, 9, 64, 65])
def test_distinct_rows_by_codes_equal_numpy_unique_rows(k):
    from ovcfstats.missing._describe import _distinct_rows

    rng = np.random.default_rng(k)
    missing = rng.random((300, k)) < 0.02 * (1 + np.arange(k) % 5)
    missing[:50] = missing[0]  # one frequent pattern
    rows, counts = _distinct_rows(missing)
    expected_rows, expected_counts = np.unique(missing, axis=0, return_counts=True)
    ours = sorted(zip(map(tuple, rows.tolist()), counts.tolist(), strict=True))
    assert ours == sorted(
        zip(map(tuple, expected_rows.tolist()), expected_counts.tolist(), strict=True)
    )
    assert counts.sum() == 300
