"""analyze(): three ways in, one pipeline; steps degrade one by one; 1:k designs; study file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import (
    PUBLISHED,
    DataError,
    OvcfWarning,
    SkippedStepWarning,
    SmallSampleWarning,
    StudyConfig,
    analyze,
    load_sample,
)
from ovcfstats.study.config import template

REF = Path(__file__).parent / "reference"
TBS = {"tbs": {"label": "Trabecular bone score", "unit": "ratio", "decimals": 3}}


def _quiet(*args, **kwargs):
    """analyze() with the expected small-sample warnings recorded, not raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OvcfWarning)
        report = analyze(*args, **kwargs)
    return report, [w for w in caught if issubclass(w.category, OvcfWarning)]


@pytest.fixture(scope="module")
def raw():
    """25 cases and 75 candidate controls of the sample, with their readings."""
    patients, measurements = load_sample()
    ids = [f"OVCF{i:03d}" for i in range(1, 26)] + [f"CTRL{i:03d}" for i in range(1, 76)]
    p = patients[patients["patient_id"].isin(ids)].reset_index(drop=True)
    m = measurements[measurements["patient_id"].isin(ids)].reset_index(drop=True)
    return p, m


@pytest.fixture(scope="module")
def raw_report(raw):
    return _quiet(*raw)[0]


def _numbers(report, key, columns):
    return report[key].table[columns].reset_index(drop=True)


# -- three ways in -----------------------------------------------------------------------------
def test_indicator_table_gives_the_same_numbers_as_raw_readings(raw_report):
    indicators = raw_report["indicators"].table
    report, _ = _quiet(indicators)
    assert "reliability_inter" not in set(report.keys()) and "audit" not in set(report.keys())
    for key, cols in [
        ("table1", ["variable", "p"]),
        ("table2_or", ["indicator", "or", "ci_low", "ci_high", "p"]),
        ("fig5", ["indicator", "auc", "ci_low", "ci_high"]),
    ]:
        pd.testing.assert_frame_equal(_numbers(report, key, cols), _numbers(raw_report, key, cols))


def test_matched_table_uses_the_given_sets(raw_report):
    matched = raw_report["matching"].matched.rename(columns={"pair_id": "set_id"})
    matched = matched.sample(frac=1.0, random_state=3)  # order does not matter
    matched["set_id"] = "pair-" + matched["set_id"].astype(str)
    report, _ = _quiet(matched, matched_by="set_id")
    assert report["matching"].settings["design"] == "1:1"
    for key, cols in [
        ("table1", ["variable", "test", "p"]),
        ("table2_or", ["indicator", "or", "p"]),
        ("fig5", ["indicator", "auc"]),
    ]:
        pd.testing.assert_frame_equal(_numbers(report, key, cols), _numbers(raw_report, key, cols))


def test_matched_table_excludes_incomplete_sets():
    d = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    d.loc[d["patient_id"] == "S001-0", "set_id"] = None  # set001 loses its case
    d = d[~d["patient_id"].isin(["S002-1", "S002-2"])]  # set002 loses its controls
    cfg = StudyConfig(indicators=("hu",), adjust=())
    report, _ = _quiet(d, config=cfg, matched_by="set_id")
    excluded = report["matching"].excluded
    assert excluded.set_index("id")["reason"].to_dict() == {
        "S001-0": "no matched set id",
        "S001-1": "set set001 has no case",
        "S001-2": "set set001 has no case",
        "S002-0": "set set002 has no control",
    }
    with pytest.raises(DataError, match=r"no matched-set column 'set'.*--matched-by"):
        analyze(d, config=cfg, matched_by="set")


def test_paper_audit_only_when_asked(raw_report):
    assert "audit" not in set(raw_report.keys()) and "replication" not in set(raw_report.keys())
    report, _ = _quiet(raw_report["indicators"].table, audit=PUBLISHED)
    assert len(report["audit"].table) > 0


def test_files_as_input(tmp_path, raw_report):
    table = raw_report["indicators"].table.round(6)
    direct, _ = _quiet(table)
    path = tmp_path / "indicators.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="notes", index=False)
        table.to_excel(xl, sheet_name="data", index=False)
    report, _ = _quiet(path, sheet="data")
    pd.testing.assert_frame_equal(
        _numbers(report, "fig5", ["indicator", "auc"]),
        _numbers(direct, "fig5", ["indicator", "auc"]),
    )


# -- degrading per step ------------------------------------------------------------------------
def _skips(report) -> dict[tuple[str, str], str]:
    if "skipped" not in set(report.keys()):
        return {}
    return {(r.step, r.item): r.reason for r in report["skipped"].table.itertuples()}


def test_one_rater_skips_inter_rater_icc_only(raw):
    p, m = raw
    report, caught = _quiet(p, m[m["rater"].fillna("") != "R2"])
    skips = _skips(report)
    assert list(skips) == [("inter-rater reliability", "")]
    assert "one rater" in skips[("inter-rater reliability", "")]
    assert {"reliability_intra", "table2_or", "fig5"} <= set(report.keys())
    assert sum(w.category is SkippedStepWarning for w in caught) == 1
    assert report.keys()[1] == "skipped"  # shown right after the choices


def test_no_repeats_skips_intra_rater_icc(raw):
    p, m = raw
    report, _ = _quiet(p, m[m["session"] == 1])
    assert list(_skips(report)) == [("intra-rater reliability", "")]
    assert "reliability_inter" in set(report.keys())


def test_one_measure_without_repeats_skips_that_measure_only(raw):
    p, m = raw
    report, _ = _quiet(p, m[(m["session"] == 1) | (m["measure"] != "hu")])
    assert list(_skips(report)) == [("intra-rater reliability", "hu")]
    assert "hu" not in set(report["reliability_intra"].table["measure"])
    assert "csa_muscle" in set(report["reliability_intra"].table["measure"])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.assign(vbq=np.nan), "all values missing in the cases"),
        (lambda t: t.assign(vbq=3.0), "constant (3 in everyone)"),
        (lambda t: t.drop(columns="vbq"), "no column 'vbq' in the data"),
        (lambda t: t.assign(vbq=t["vbq"].astype(object).where(t.index != 0, "n/a")),
         "non-numeric values (patient_id: OVCF001); correct or blank them"),
    ],
)  # fmt: skip
def test_unusable_indicator_is_left_out_with_its_reason(raw_report, change, reason):
    table = change(raw_report["indicators"].table.copy())
    report, _ = _quiet(table)
    assert _skips(report) == {("indicator", "vbq"): reason}
    for key in ("table2_rho", "table2_or", "fig5"):
        assert list(report[key].table["indicator"]) == ["t_score", "hu", "rcsa", "fi"]
    assert list(report["table3"].rho.index) == ["t_score", "hu", "rcsa", "fi"]


def test_no_eligible_control_is_one_clear_error(raw_report):
    table = raw_report["indicators"].table.copy()
    table.loc[table["case"] == 0, "age"] = 40  # every case is 50 or older
    with pytest.raises(DataError, match=r"no case has an eligible control.*--caliper.*--exact"):
        _quiet(table)


def test_tiny_study_runs_with_small_sample_warnings():
    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(12)],
            "case": [1] * 3 + [0] * 9,
            "age": [70, 75, 80, 70, 71, 69, 75, 76, 74, 80, 79, 81],
            "sex": ["F"] * 12,
            "bmi": rng.normal(23, 2, 12).round(1),
            "hu": np.r_[[60, 80, 70], rng.normal(120, 20, 9)].round(1),
            "vbq": np.r_[[3.5, 3.2, 3.9], rng.normal(2.6, 0.3, 9)].round(2),
        }
    )
    cfg = StudyConfig(indicators=("hu", "vbq"), ratio=3)
    report, caught = _quiet(table, config=cfg)
    assert len(report["matching"].pairs) == 9
    assert {"table1", "table2_rho", "table3", "fig5"} <= set(report.keys())
    assert any(w.category is SmallSampleWarning for w in caught)
    assert all(issubclass(w.category, OvcfWarning) for w in caught)


# -- 1:k designs against R -----------------------------------------------------------------------
@pytest.mark.parametrize("design", ["1to2", "1to4"])
def test_one_to_k_conditional_ors_equal_survival_clogit(design):
    data = pd.read_csv(REF / f"matched_{design}.csv", dtype={"patient_id": str, "set_id": str})
    ref = pd.read_csv(REF / "clogit_1to_k.csv").query("design == @design").set_index("indicator")
    cfg = StudyConfig(indicators=("hu", "tbs"), adjust=("bmi",), or_per="unit", variables=TBS)
    report, _ = _quiet(data, config=cfg, matched_by="set_id")
    got = report["table2_or"].table.set_index("indicator")
    assert report["table2_or"].settings["conditional"]
    for ind in ("hu", "tbs"):
        for col in ("or", "ci_low", "ci_high", "p"):
            assert got.loc[ind, col] == pytest.approx(ref.loc[ind, col], rel=1e-5, abs=1e-9)
    # ROC on all patients of the sets; Table 1 unpaired (the sets are not pairs)
    k = int(design[-1])
    assert report["fig5"].table["n_controls"].eq(k * ref["events"].iloc[0]).all()
    assert not report["table1"].settings["paired"]


def test_ratio_k_matching_flows_into_conditional_models():
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    cfg = StudyConfig(indicators=("hu",), adjust=(), ratio=2, caliper=3)
    report, _ = _quiet(data.drop(columns="set_id"), config=cfg)
    pairs = report["matching"].pairs
    assert pairs.groupby("pair_id").size().max() == 2
    assert report["table2_or"].settings["conditional"]
    assert report["matching"].settings["ratio"] == 2


# -- custom indicators and the study file ----------------------------------------------------------
def test_custom_indicator_flows_through_every_output(tmp_path):
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    cfg = StudyConfig(indicators=("hu", "tbs"), adjust=("bmi",), variables=TBS, title="TBS study")
    report, _ = _quiet(data, config=cfg, matched_by="set_id")
    assert "tbs" in set(report["table1"].table["variable"])
    for key in ("table2_rho", "table2_or", "fig5"):
        assert "tbs" in set(report[key].table["indicator"])
    assert "tbs" in report["table3"].rho.index
    row = report["variables"].table.set_index("variable").loc["tbs"]
    assert (row["label"], row["unit"], row["decimals"]) == ("Trabecular bone score", "ratio", 3)
    md = report.to_markdown()
    assert md.startswith("# TBS study") and "| tbs | Trabecular bone score | ratio | 3 |" in md


def test_study_file_columns_and_directions(tmp_path):
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    data = data.rename(columns={"tbs": "TBS_L1L4"})
    study = tmp_path / "study.toml"
    study.write_text(
        '[indicators.tbs]\ncolumn = "TBS_L1L4"\nlabel = "TBS"\ndirection = "lower"\n'
        '[matching]\nmatched_by = "set_id"\n[odds_ratios]\nadjust = []\n',
        encoding="utf-8",
    )
    report, _ = _quiet(data, config=StudyConfig.from_toml(study))
    assert report["fig5"].table.loc[0, "direction"] == "lower"
    assert report["fig5"].table.loc[0, "indicator"] == "tbs"


def test_template_reproduces_the_defaults(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(template(), encoding="utf-8")
    assert StudyConfig.from_toml(path) == StudyConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("calliper = 2\n", r"unknown key 'calliper' in study file\. Did you mean 'caliper'"),
        ("[matching]\ncalliper = 2\n", r"unknown key 'calliper' in \[matching\]\. Did you mean "
         "'caliper'"),
        ("[indicators.tbs]\nlable = 'TBS'\n", r"'lable' in \[indicators\.tbs\]\. Did you mean "
         "'label'"),
        ("[indicators.tbs]\ndirection = 'up'\n", "direction must be one of auto, higher, lower"),
        ("[matching]\nratio = 0\n", r"ratio \(\[matching\] ratio in the study file\) must be a "
         "whole number from 1 to 20"),
        ("alpha = \n", "not a valid TOML study file"),
    ],
)  # fmt: skip
def test_study_file_errors_name_the_key(tmp_path, text, message):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        StudyConfig.from_toml(path)


names = st.text(alphabet="abcdefghij_", min_size=2, max_size=8).filter(lambda s: s[0] != "_")


@settings(max_examples=30, deadline=None)
@given(
    indicators=st.lists(names, min_size=1, max_size=4, unique=True),
    caliper=st.one_of(
        st.floats(0.5, 10), st.dictionaries(names, st.floats(0.1, 10), min_size=2, max_size=3)
    ),
    ratio=st.integers(1, 5),
    per=st.one_of(st.sampled_from(["sd", "unit"]), st.floats(0.5, 100)),
    conditional=st.sampled_from([None, True, False]),
    seed=st.one_of(st.none(), st.integers(0, 2**31)),
    label=st.text(min_size=0, max_size=12),
    table1=st.one_of(st.none(), st.lists(names, min_size=1, max_size=3).map(tuple)),
)
def test_study_file_round_trip(
    tmp_path_factory, indicators, caliper, ratio, per, conditional, seed, label, table1
):
    cfg = StudyConfig(
        indicators=tuple(indicators),
        variables={indicators[0]: {"label": label, "unit": "µm"}},
        caliper=caliper,
        ratio=ratio,
        or_per=per,
        conditional=conditional,
        seed=seed,
        table1=table1,
        tests={"age": "welch"},
        title=label or None,
    )
    path = tmp_path_factory.mktemp("cfg") / "study.toml"
    path.write_text(cfg.to_toml(), encoding="utf-8")
    assert StudyConfig.from_toml(path) == cfg


def test_study_file_words_for_none():
    cfg = StudyConfig.from_dict(
        {"odds_ratios": {"conditional": "auto"}, "matching": {"seed": "none"}, "title": ""}
    )
    assert (cfg.conditional, cfg.seed, cfg.title) == (None, None, None)
    assert StudyConfig.from_dict({"odds_ratios": {"conditional": True}}).conditional is True


def test_study_file_column_clash_is_an_error():
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    data["TBS_L1L4"] = data["tbs"]
    cfg = StudyConfig(indicators=("tbs",), variables={"tbs": {"column": "TBS_L1L4"}})
    with pytest.raises(DataError, match="both 'TBS_L1L4' and 'tbs' are columns"):
        analyze(data, config=cfg, matched_by="set_id")


def test_sex_codes_are_normalised_or_refused():
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    cfg = StudyConfig(indicators=("hu",), adjust=())
    spelled = data.assign(sex=data["sex"].map({"F": "female", "M": " male"}))
    spelled.loc[0, "sex"] = data.loc[0, "sex"].lower()
    a, _ = _quiet(spelled, config=cfg, matched_by="set_id")
    b, _ = _quiet(data, config=cfg, matched_by="set_id")
    pd.testing.assert_frame_equal(a["table1"].table, b["table1"].table)
    coded = data.assign(sex=data["sex"].map({"F": 1, "M": 2}))
    with pytest.raises(DataError, match=r"other than F/M in column 'sex' \(2, 1; patient_id"):
        analyze(coded, config=cfg, matched_by="set_id")


def test_table1_variables_and_tests_from_the_config():
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    cfg = StudyConfig(
        indicators=("hu", "tbs"), adjust=(), table1=("bmi", "hu"), tests={"hu": "wilcoxon"}
    )
    report, _ = _quiet(data, config=cfg, matched_by="set_id")
    t1 = report["table1"].table.set_index("variable")
    assert list(t1.index) == ["bmi", "hu"]
    assert t1.loc["hu", "test"] == "Mann-Whitney U"  # 1:k sets: unpaired


def test_custom_indicator_from_raw_readings(raw):
    p, m = raw
    p = p.assign(TBS=np.linspace(1.0, 1.5, len(p)))
    cfg = StudyConfig(indicators=("hu", "tbs"), variables={"tbs": {"column": "TBS"}})
    report, _ = _quiet(p, m, config=cfg)
    assert list(report["fig5"].table["indicator"]) == ["hu", "tbs"]


def test_audit_file_next_to_the_study_file(tmp_path):
    (tmp_path / "study.toml").write_text('audit = "published.csv"\n', encoding="utf-8")
    cfg = StudyConfig.from_toml(tmp_path / "study.toml")
    assert cfg.audit == str(tmp_path / "published.csv")


def test_an_unexpected_failure_skips_only_its_step(monkeypatch):
    import ovcfstats.correlation as correlation

    def broken(*args, **kwargs):
        raise KeyError("boom")

    import ovcfstats

    monkeypatch.setattr(correlation, "spearman_matrix", broken)
    monkeypatch.setattr(ovcfstats, "spearman_matrix", broken, raising=False)  # the lazy export
    data = pd.read_csv(REF / "matched_1to2.csv", dtype={"patient_id": str})
    cfg = StudyConfig(indicators=("hu", "tbs"), adjust=())
    report, _ = _quiet(data, config=cfg, matched_by="set_id")
    assert _skips(report) == {
        ("correlations among the indicators", ""): "unexpected error, please report it: "
        "KeyError: 'boom'"
    }
    assert {"table2_or", "fig5", "auc_comparison"} <= set(report.keys())


def test_file_errors_name_the_file(tmp_path, raw):
    p, m = raw
    bad = p.assign(sex=p["sex"].where(p.index != 0, "X"))
    bad.to_csv(tmp_path / "patients.csv", index=False)
    m.to_csv(tmp_path / "measurements.csv", index=False)
    with pytest.raises(DataError, match=r"patients\.csv: validate_patients\(\): .*'sex'"):
        analyze(tmp_path / "patients.csv", tmp_path / "measurements.csv")
    flat = tmp_path / "flat.csv"
    pd.DataFrame({"patient_id": ["a", "b"], "case": [1, 2]}).to_csv(flat, index=False)
    with pytest.raises(DataError, match=r"flat\.csv: analyze\(\): values other than 0/1"):
        analyze(flat)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[odds_ratios]\nmodel = 'joint_model'\n",
         r"or_model \(study file: \[odds_ratios\] model\) must be one of separate, joint"),
        ("[matching]\nmethod = 'optimum'\n", r"\[matching\] method\) must be one of optimal"),
        ("[odds_ratios]\nper = -1\n", "must be 'unit', 'sd' or a positive number"),
        ("alpha = 5\n", "alpha must be between 0 and 1"),
        ("[odds_ratios]\nconditional = 'yes'\n", "conditional"),
    ],
)  # fmt: skip
def test_study_file_values_are_checked_on_load(tmp_path, text, message):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        StudyConfig.from_toml(path)


@settings(max_examples=5, deadline=None)
@given(
    k=st.integers(1, 3),
    n_sets=st.integers(12, 20),
    seed=st.integers(0, 10_000),
    order=st.randoms(use_true_random=False),
)
def test_given_sets_pipeline_equals_the_steps_and_ignores_row_order(k, n_sets, seed, order):
    from ovcfstats import logistic_or, roc_auc

    rng = np.random.default_rng(seed)
    rows = n_sets * (k + 1)
    data = pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(rows)],
            "set_id": np.repeat([f"S{s}" for s in range(n_sets)], k + 1),
            "case": np.tile([1] + [0] * k, n_sets),
            "age": rng.integers(60, 80, rows),
            "sex": np.repeat(rng.choice(["F", "M"], n_sets), k + 1),
        }
    )
    data["hu"] = rng.normal(120, 30, rows) - 25 * data["case"]
    cfg = StudyConfig(indicators=("hu",), adjust=())
    shuffled = data.iloc[order.sample(range(rows), rows)]
    report, _ = _quiet(shuffled, config=cfg, matched_by="set_id")
    direct = data.rename(columns={"set_id": "pair_id"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OvcfWarning)
        # the matched analysis by default: conditional logit for pairs and 1:k sets alike
        ors = logistic_or(direct, "hu", adjust=(), conditional=True, per="sd")
    got, want = report["table2_or"].table.loc[0, "or"], ors.table.loc[0, "or"]
    assert got == pytest.approx(want, rel=1e-6) or (np.isnan(got) and np.isnan(want))
    auc = roc_auc(direct, "hu").table.loc[0, "auc"]
    assert report["fig5"].table.loc[0, "auc"] == pytest.approx(auc, abs=1e-12)


# -- the [design] sections --------------------------------------------------------------------
def test_agreement_sits_beside_each_icc_table_and_equals_the_step(raw, raw_report):
    from ovcfstats.design.readings import agreement_section

    keys = raw_report.keys()
    assert keys.index("agreement_inter") == keys.index("reliability_inter") + 1
    measures = list(raw_report["reliability_inter"].table["measure"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OvcfWarning)
        direct = agreement_section(raw[1], measures=measures, kind="inter")
    pd.testing.assert_frame_equal(raw_report["agreement_inter"].table, direct.table)


def test_agreement_can_be_switched_off(raw):
    report, _ = _quiet(*raw, config=StudyConfig(agreement=False))
    keys = set(report.keys())
    assert not any(k.startswith("agreement") for k in keys)
    assert "sample_size" not in keys and "combined" not in keys


def test_sample_size_and_combined_model_on_request(raw):
    from ovcfstats.design.combined import combined_model

    cfg = StudyConfig(sample_size=True, combined=("hu", "fi"), n_boot=20, boot_seed=3)
    report, _ = _quiet(*raw, config=cfg)
    power = report["sample_size"]
    assert set(power.table["indicator"]) == set(report["fig5"].table["indicator"])
    matched = report["matching"].matched  # the combined model is fitted on the matched patients
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OvcfWarning)
        direct = combined_model(matched, ["hu", "fi"], covariates=["age", "bmi"], n_boot=20, seed=3)
    pd.testing.assert_frame_equal(report["combined"].table, direct.table)


def test_a_combined_indicator_that_is_not_analysed_is_skipped(raw):
    report, _ = _quiet(*raw, config=StudyConfig(combined=("hu", "tbs"), n_boot=20))
    assert "combined" not in set(report.keys())
    assert ("combined model", "tbs") in _skips(report)


def test_design_keys_round_trip_through_the_study_file(tmp_path):
    cfg = StudyConfig(sample_size=True, combined=("vbq", "hu"), n_boot=50, boot_seed=None)
    path = tmp_path / "study.toml"
    path.write_text(cfg.to_toml(), encoding="utf-8")
    assert StudyConfig.from_toml(path) == cfg
    with pytest.raises(DataError, match="n_boot"):
        StudyConfig(n_boot=3)


def test_study_file_ranges_hold_for_validation_and_indicators(raw):
    from ovcfstats.data import RANGES

    p, m = raw
    m = m.copy()
    row = m.index[(m["measure"] == "hu") & (m["session"] == 1)][0]
    m.loc[row, "value"] = 3500.0  # beyond the 12-bit CT scale: refused by default
    with pytest.raises(DataError, match="hu"):
        _quiet(p, m)
    report, _ = _quiet(p, m, config=StudyConfig(ranges={"hu": (-1024, 4000)}))
    who = m.loc[row, "patient_id"]
    hu = report["indicators"].table.set_index("patient_id").loc[who, "hu"]
    assert hu > 500  # the reading was used, not dropped
    assert RANGES["hu"].high == 3071  # restored after the run
    with pytest.raises(DataError, match="Did you mean 'hu'"):
        StudyConfig(ranges={"hu_": (0, 1)})
