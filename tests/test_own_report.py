"""Reports of one's own study, as they go to a journal: three designs, each built once.

1:1 matched by ovcfstats from an indicator table with blank cells, 1:2 matched by ovcfstats,
and a pre-matched 1:2 table (``matched_by="set_id"``) with a sixth indicator, a categorical
covariate and a study file with labels, a reference level and headings. Their Markdown is kept
in tests/golden/own_*.md (regenerate with ``OVCFSTATS_UPDATE_GOLDEN=1``); the structural tests
hold for every design.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from ovcfstats import DataError, OvcfWarning, StudyConfig, analyze
from ovcfstats.present._format import Style
from ovcfstats.present._present import exclusion_summary

HERE = Path(__file__).parent / "golden"
INPUTS = HERE / "own"
DESIGNS = ("one_to_one", "one_to_two", "prematched")


def _build(design: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OvcfWarning)
        if design == "one_to_one":
            return analyze(INPUTS / "one_to_one_blanks.csv", config=StudyConfig(prevalence=None))
        if design == "one_to_two":
            cfg = StudyConfig(ratio=2, caliper=5.0, prevalence=None)
            return analyze(INPUTS / "one_to_two.csv", config=cfg)
        cfg = StudyConfig.from_toml(INPUTS / "study.toml")
        return analyze(INPUTS / "prematched_one_to_two.csv", config=cfg)


@pytest.fixture(scope="module", params=DESIGNS)
def built(request):
    report = _build(request.param)
    return request.param, report, report.layout()


def _body(markdown: str) -> str:
    """The main body: from the methods to the appendix, the analysis-choices table left out."""
    body = markdown.split('<a id="appendix"></a>')[0]
    return re.sub(r'<a id="choices"></a>.*?(?=<a id=")', "", body, flags=re.S)


def _versionless(text: str) -> str:
    names = "ovcfstats|Python|numpy|scipy|pandas|statsmodels|scikit-learn|matplotlib"
    return re.sub(rf"\b({names}) \d+(\.\d+)*\w*", r"\1 X.Y", text)


def test_golden_markdown(built):
    design, report, layout = built
    text = _versionless(report.to_markdown("figures", layout=layout))
    golden = HERE / f"own_{design}.md"
    if os.environ.get("OVCFSTATS_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == _versionless(golden.read_text(encoding="utf-8")), (
        f"The {design} report changed; if on purpose, regenerate with OVCFSTATS_UPDATE_GOLDEN=1 "
        f"and review the diff of {golden.name}."
    )


def test_body_has_no_settings_reprs_or_r_calls(built):
    _, report, layout = built
    body = _body(report.to_markdown(None, layout=layout))
    assert "Settings:" not in body
    for pattern in (
        r"\['",
        r"\{'",
        r"': ",
        r"\b\w+\(\): ",
        r"psych::",
        r"chisq\.test",
        r"\bR \w+\(",
    ):
        assert not re.search(pattern, body), (
            pattern,
            re.search(rf".{{0,60}}{pattern}.{{0,60}}", body),
        )
    assert "Excluded:" not in body
    assert "the paper" not in body and "Fig. 5" not in body and "(continued)" not in body


def test_tables_and_figures_numbered_in_order(built):
    _, _, layout = built
    tables = [t.caption for s in layout.sections if not s.appendix_only for t in s.shown.main
              if t.caption.startswith("Table ")]  # fmt: skip
    numbers = [int(re.match(r"Table (\d+)\.", c).group(1)) for c in tables]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 6
    figures = [s.figure_caption for s in layout.sections if s.figure_caption]
    assert [int(re.match(r"Figure (\d+)\.", c).group(1)) for c in figures] == list(
        range(1, len(figures) + 1)
    )
    headings = [s.title for s in layout.sections]
    assert not any(re.match(r"(Table|Fig\.?|Figure) \d", h) for h in headings)


def test_exclusions_summarised_once_per_table_and_listed_in_the_appendix(built):
    design, _, layout = built
    listed = {e.key: e for e in layout.appendix}
    for section in layout.sections:
        summaries = [n for n in section.shown.notes if "left out" in n]
        assert len(summaries) == (1 if len(section.result.excluded) else 0), section.key
    excluded = sum(len(s.result.excluded) for s in layout.sections)
    if design == "one_to_one":
        assert excluded > 0 and len(listed["excluded"].table.frame) == excluded
        table1 = next(s for s in layout.sections if s.key == "table1").shown.main[0].frame
        shown = table1.set_index("Characteristic")["n analysed"]
        assert shown["Age, years"] == "" and re.fullmatch(r"\d+ / \d+", shown["BMI, kg/m²"])


def test_matched_defaults_and_wording(built):
    design, report, layout = built
    table1 = next(s for s in layout.sections if s.key == "table1")
    frame = table1.shown.main[0].frame.set_index("Characteristic")
    assert frame.loc["Age, years", "p"] == "matched"
    odds = report["table2_or"]
    assert odds.settings["conditional"] is True and "sex" not in odds.settings["adjust"]
    assert "Sex" not in next(s.title for s in layout.sections if s.key == "table2_or")
    methods = " ".join(layout.methods)
    assert "Conditional logistic regression" in methods and "were not tested" in methods
    if design == "one_to_one":
        assert "McNemar" in set(frame["Test"]) and "χ²" not in set(frame["Test"])
    else:
        matching = next(s for s in layout.sections if s.key == "matching").shown.main[0].frame
        cells = " ".join(matching.astype(str).to_numpy().ravel().tolist() + list(matching.columns))
        assert "pair" not in cells.lower() and "sets" in cells.lower()
    if design == "prematched":  # the user's set column named; a summary, not 27 rows of sets
        sets = next(s for s in layout.sections if s.key == "matching").shown.main
        assert "set_id" in sets[0].caption and len(sets[0].frame) < 8


def test_labels_reach_every_figure(built):
    design, report, _ = built
    if design != "prematched":
        return
    for key in ("table2_or", "table3", "fig5"):
        svg = report.figure_bytes(key, "svg").decode()
        assert "TBS" in svg and ">tbs" not in svg, key
    text = report.to_markdown(None)
    assert "Smoking status: never." in text  # the study file's reference level, stated
    assert "## Baseline characteristics of the cases and their matched controls" in text
    assert "## Methods" in text


def test_reference_level_default_is_the_most_frequent():
    from ovcfstats.study._steps import _references

    data = pd.read_csv(INPUTS / "prematched_one_to_two.csv")
    top = data["smoking"].value_counts().idxmax()
    assert top != sorted(data["smoking"].unique())[0]  # not also the first in the alphabet
    got = _references(data, ["age", "smoking"], StudyConfig(adjust=("age", "smoking")))
    assert got == {"smoking": (top, "most frequent")}
    assert data["smoking"].cat.categories[0] == top  # the reference of the model
    chosen = StudyConfig(variables={"smoking": {"reference": "current"}})
    assert _references(data, ["smoking"], chosen) == {"smoking": ("current", "chosen")}
    with pytest.raises(DataError, match="reference level 'ex'"):
        _references(data, ["smoking"], StudyConfig(variables={"smoking": {"reference": "ex"}}))


def test_paper_choices_restore_the_paper_analyses():
    data = pd.read_csv(INPUTS / "one_to_one_blanks.csv").head(60)
    cfg = StudyConfig(paper_choices=True, prevalence=None, indicators=("hu",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OvcfWarning)
        report = analyze(data, config=cfg)
    assert report["table2_or"].settings["conditional"] is False
    tests = set(report["table1"].table["test"])
    assert "McNemar" not in tests and "Pearson chi2" in tests
    assert "matched_on" not in report["table1"].settings


def test_exclusion_summary_counts_patients_per_variable():
    ex = pd.DataFrame({"id": ["a", "a", "b"], "variable": ["hu", "hu", "hu"],
                       "reason": ["missing hu"] * 3})  # fmt: skip
    assert exclusion_summary(ex, Style()) == (
        "2 patients without a value of HU were left out (listed in the appendix)."
    )
    one = exclusion_summary(ex.head(1), Style())
    assert one.startswith("1 patient without a value of HU was left out")
    assert exclusion_summary(ex.iloc[0:0], Style()) == ""
    two = pd.concat([ex.head(2), ex.head(1).assign(id="c", variable="bmi")])
    assert ": 1 for HU, 1 for BMI;" in exclusion_summary(two, Style())  # patients, not rows


def test_bland_altman_labels_have_the_decimals_of_the_limits_and_sit_above_their_line():
    import numpy as np

    from ovcfstats import bland_altman, plot_bland_altman

    rng = np.random.default_rng(3)
    x = rng.normal(17, 1.2, 80)
    data = pd.DataFrame({"patient_id": range(80), "a": x, "b": x + rng.normal(0, 1.2, 80)})
    data["b"] += data["a"].sub(data["b"]).mean() - 0.000386  # a bias of −0.000386
    fig = plot_bland_altman(bland_altman(data, "a", "b"))
    labels = {t.get_text().split()[0]: t for t in fig.axes[0].texts}
    assert labels["Bias"].get_text() == "Bias 0.00"  # not "−0.000386", nor "−0.00"
    upper = labels["Upper"].get_text().split()[-1]
    assert re.fullmatch(r"\d\.\d\d", upper)
    assert all(t.get_va() == "bottom" for t in labels.values())
