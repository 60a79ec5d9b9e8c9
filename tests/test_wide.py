"""A clinic's wide spreadsheet: header recognition, value and missing codes, the same indicators
as the long table, refusals with the column, the cells and the fix; ``ovcfstats map``."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ovcfstats as ov
from ovcfstats import DataError
from ovcfstats.cli import main
from ovcfstats.data._understand import understand
from ovcfstats.data._vocabulary import tokens, vocabulary_with
from ovcfstats.data.wide import ColumnMapping, read_wide_counted

ROOT = Path(__file__).parents[1]
INDICATORS = ["t_score", "hu", "vbq", "rcsa", "fi", "vbq_csf_level"]

# -- header conventions ------------------------------------------------------------------------
ENGLISH = {
    "measure": {"t_score": "T", "hu": "HU", "si_vertebra": "SI", "si_csf": "CSF SI",
                "csa_muscle": "CSA", "csa_disc": "disc CSA", "fat_fraction": "FI"},
    "muscle": {"PM": "PM", "MF": "MF", "ES": "ES"},
    "side": {"L": "L", "R": "R"},
    "patients": {"patient_id": "ID", "age": "Age (years)", "sex": "Sex", "case": "Fracture",
                 "fracture_level": "Fracture level", "bmi": "BMI", "hypertension": "Hypertension",
                 "diabetes": "Diabetes", "hyperlipidemia": "Hyperlipidemia"},
    "sex": {"F": "Female", "M": "Male"},
    "yes": {1: "yes", 0: "no"},
}  # fmt: skip
GERMAN = {
    "measure": {"t_score": "T-Wert", "hu": "HU", "si_vertebra": "Signal", "si_csf": "Liquor SI",
                "csa_muscle": "Fläche", "csa_disc": "Bandscheibe Fläche", "fat_fraction": "Fett"},
    "muscle": {"PM": "Psoas", "MF": "Multifidus", "ES": "Erector spinae"},
    "side": {"L": "links", "R": "rechts"},
    "patients": {"patient_id": "Patienten-ID", "age": "Alter", "sex": "Geschlecht",
                 "case": "Fraktur", "fracture_level": "Frakturhöhe", "bmi": "BMI",
                 "hypertension": "Bluthochdruck", "diabetes": "Diabetes",
                 "hyperlipidemia": "Hyperlipidämie"},
    "sex": {"F": "weiblich", "M": "männlich"},
    "yes": {1: "ja", 0: "nein"},
}  # fmt: skip
CHINESE = {
    "measure": {"t_score": "T值", "hu": "CT值", "si_vertebra": "信号", "si_csf": "脑脊液 信号",
                "csa_muscle": "面积", "csa_disc": "椎间盘 面积", "fat_fraction": "脂肪"},
    "muscle": {"PM": "腰大肌", "MF": "多裂肌", "ES": "竖脊肌"},
    "side": {"L": "左", "R": "右"},
    "patients": {"patient_id": "编号", "age": "年龄", "sex": "性别", "case": "骨折",
                 "fracture_level": "骨折节段", "bmi": "BMI", "hypertension": "高血压",
                 "diabetes": "糖尿病", "hyperlipidemia": "高脂血症"},
    "sex": {"F": "女", "M": "男"},
    "yes": {1: "是", 0: "否"},
}  # fmt: skip


def _english(r, words=ENGLISH, rater=True) -> str:
    parts = [r.level, words["measure"][r.measure]]
    if r.muscle:
        parts += [words["muscle"][r.muscle], words["side"][r.side]]
    if r.rater and rater:
        parts.append(r.rater)
    if r.session > 1 and rater:
        parts.append("S2")
    return " ".join(parts)


def _snake(r) -> str:
    names = {"t_score": "tscore", "hu": "hu", "si_vertebra": "si", "si_csf": "csf_si",
             "csa_muscle": "area", "csa_disc": "disc_area", "fat_fraction": "ff"}  # fmt: skip
    level = r.level.lower().replace("-", "_l")
    parts = [names[r.measure], r.muscle.lower(), {"L": "left", "R": "right", "": ""}[r.side], level]
    if r.rater:
        parts.append(f"rater{r.rater[1:]}")
    if r.session > 1:
        parts.append(f"session{r.session}")
    return "_".join(p for p in parts if p)


def _german(r) -> str:
    head = _english(r, GERMAN, rater=False).replace("-", "/")
    rater = f" Untersucher {r.rater[1:]}" if r.rater else ""
    return head + rater + (" Wiederholung" if r.session > 1 else "")


def _chinese(r) -> str:
    head = _english(r, CHINESE, rater=False)
    rater = f" 观察者{r.rater[1:]}" if r.rater else ""
    return head + rater + (" 复测" if r.session > 1 else "")


def _patient_block(patients, words=ENGLISH) -> pd.DataFrame:
    return patients.assign(
        sex=patients["sex"].map(words["sex"]),
        case=patients["case"].map(words["yes"]),
        hypertension=patients["hypertension"].map(words["yes"]),
    ).rename(columns=words["patients"])


def _wide(patients, measurements, header, words=ENGLISH) -> pd.DataFrame:
    m = measurements.assign(col=[header(r) for r in measurements.itertuples(index=False)])
    readings = m.pivot(index="patient_id", columns="col", values="value")
    p = _patient_block(patients, words)
    return p.merge(readings, left_on=words["patients"]["patient_id"], right_index=True)


@pytest.fixture(scope="module")
def sample():
    return ov.load_sample()


@pytest.fixture(scope="module")
def long_indicators(sample):
    return ov.derive_indicators(*sample, engine="pandas")


def _assert_same(expected, patients, measurements, engine="pandas"):
    got = ov.derive_indicators(patients, measurements, engine=engine)
    a = expected.table.sort_values("patient_id").reset_index(drop=True)
    b = got.table.sort_values("patient_id").reset_index(drop=True)
    assert a["patient_id"].tolist() == b["patient_id"].tolist()
    for col in INDICATORS[:-1]:
        np.testing.assert_allclose(b[col], a[col], rtol=0, atol=1e-12, equal_nan=True)
    assert a["vbq_csf_level"].fillna("").tolist() == b["vbq_csf_level"].fillna("").tolist()
    key = ["id", "variable", "reason"]
    assert sorted(map(tuple, expected.excluded[key].astype(str).values)) == sorted(
        map(tuple, got.excluded[key].astype(str).values)
    )


# -- equality with the long path -----------------------------------------------------------
@pytest.mark.parametrize(
    "header,words",
    [(_english, ENGLISH), (_snake, ENGLISH), (_german, GERMAN), (_chinese, CHINESE)],
    ids=["english", "snake_case", "german", "chinese"],
)
def test_wide_sheet_gives_the_long_tables_indicators(sample, long_indicators, header, words):
    wide = _wide(*sample, header, words)
    mapping = ov.guess_mapping(wide)
    statuses = mapping.table["status"]
    assert (statuses == "recognised").all(), mapping.table[statuses != "recognised"]
    patients, measurements = ov.read_wide(wide, mapping)
    assert len(measurements) == len(sample[1])
    _assert_same(long_indicators, patients, measurements)


def test_duckdb_engine_gives_the_same(sample, long_indicators):
    pytest.importorskip("duckdb")
    patients, measurements = ov.read_wide(_wide(*sample, _english))
    _assert_same(long_indicators, patients, measurements, engine="duckdb")


def test_one_sheet_per_rater_and_session(sample, long_indicators):
    patients, m = sample
    sheets = {}
    for name, rater, session in (("Rater 1", "R1", 1), ("Rater 2", "R2", 1),
                                 ("Rater 1 repeat", "R1", 2)):  # fmt: skip
        part = m[(m["rater"] == rater) & (m["session"] == session)]
        if name == "Rater 1":
            part = pd.concat([m[m["measure"] == "t_score"], part])
        cols = part.assign(col=[_english(r, rater=False) for r in part.itertuples(index=False)])
        wide = cols.pivot(index="patient_id", columns="col", values="value").reset_index()
        wide = wide.rename(columns={"patient_id": "Patient ID"})
        if name == "Rater 1":
            wide = _patient_block(patients).merge(wide, left_on="ID", right_on="Patient ID")
            wide = wide.drop(columns="Patient ID")
        sheets[name] = wide
    mapping = ov.guess_mapping(sheets)
    assert mapping.sheets == list(sheets)
    assert mapping.columns["Rater 1 repeat!L1 HU"] == {
        "measure": "hu", "level": "L1", "rater": "R1", "session": 2, "status": "recognised"
    }  # fmt: skip
    assert "rater" not in mapping.columns["Rater 1!L1 T"]  # the DXA read-out has no rater
    _assert_same(long_indicators, *ov.read_wide(sheets, mapping))


def test_readings_for_some_levels_only(sample):
    patients, m = sample
    some = m[~m["level"].isin(["L4", "L4-5"]) & (m["muscle"] != "ES")]
    some = some[~((some["measure"] == "csa_muscle") | (some["measure"] == "csa_disc"))]
    expected = ov.derive_indicators(patients, some)
    _assert_same(expected, *ov.read_wide(_wide(patients, some, _english)))


def test_workbook_with_sheets_from_a_file(sample, long_indicators, tmp_path):
    patients, m = sample
    path = tmp_path / "clinic.xlsx"
    first = _wide(patients, m[m["rater"] != "R2"], _english)
    second = m[m["rater"] == "R2"]
    second = second.assign(col=[_english(r) for r in second.itertuples(index=False)])
    second = second.pivot(index="patient_id", columns="col", values="value").reset_index()
    with pd.ExcelWriter(path) as book:
        first.to_excel(book, sheet_name="Main", index=False)
        second.to_excel(book, sheet_name="Second reader", index=False)
    mapping = ov.guess_mapping(path)
    assert mapping.columns["Second reader!patient_id"]["field"] == "patient_id"
    # a sheet name that is not only a rater or session gives its columns neither
    assert mapping.columns["Second reader!L1 HU R2"]["session"] == 1
    _assert_same(long_indicators, *ov.read_wide(path, mapping))


# -- tokens -------------------------------------------------------------------------------
#: headers as units that keep their order inside ("rater 2"); the units may come in any order
HEADERS = [("L1", "HU", "R1"), ("CSA", "PM", "left", "L3/4", "rater 2"),
           ("FI", "erector spinae", "right", "L4-5", "obs1", "repeat"),
           ("L3", "CSF", "SI", "reader 2"), ("disc", "CSA", "L1-L2", "R1"), ("Age", "years"),
           ("fracture level",), ("性别",), ("腰大肌", "左", "L1-2", "面积", "观察者1")]  # fmt: skip


@given(
    st.sampled_from(HEADERS),
    st.lists(st.sampled_from([" ", "_", ".", "  ", " - ", "(", ")", "[", "]"]), min_size=8,
             max_size=8),
    st.randoms(use_true_random=False),
)  # fmt: skip
def test_tokens_ignore_separators_case_and_order(header, seps, rnd):
    words = list(header)
    expected = sorted(map(str, tokens(" ".join(header))))
    rnd.shuffle(words)
    joined = words[0] + "".join(s + w for s, w in zip(seps, words[1:], strict=False))
    joined = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in joined)
    assert sorted(map(str, tokens(joined))) == expected


@given(st.sampled_from(["L1-2", "L1/2", "L1-L2", "L12", "l1_l2", "L1 - 2"]))
def test_disc_level_spellings(spelling):
    assert ("disc", "L1-2") in tokens(f"CSA PM L {spelling}")


@pytest.mark.parametrize(
    "header,entry",
    [
        ("L2 T", {"measure": "t_score", "level": "L2", "session": 1}),
        ("CT HU L3 rater 2", {"measure": "hu", "level": "L3", "rater": "R2", "session": 1}),
        ("hu_l1_2nd", {"measure": "hu", "level": "L1", "session": 2}),
        ("psoas-right_L2.3_area R1", {"measure": "csa_muscle", "level": "L2-3", "muscle": "PM",
                                      "side": "R", "rater": "R1", "session": 1}),
        ("Geschlecht", {"field": "sex"}),
        ("性别", {"field": "sex"}),
        ("OVCF", {"field": "case"}),
        ("Gender", {"field": "sex"}),
        ("Average HU", {"indicator": "hu"}),
        ("VBQ score", {"indicator": "vbq"}),
        ("rCSA", {"indicator": "rcsa"}),
        ("FI (%)", {"indicator": "fi"}),
        ("T-score", {"indicator": "t_score"}),
    ],
)  # fmt: skip
def test_headers_understood(header, entry):
    seen = understand(header)
    assert (seen.status, seen.entry) == ("recognised", entry)


def test_rater_initials_and_vocabulary_from_the_study():
    vocab = {"lws1": "level:L1", "dichte": "measure:hu"}
    seen = understand("LWS1 Dichte ZM", vocabulary_with(vocab), {"ZM": "R1"})
    assert seen.entry == {"measure": "hu", "level": "L1", "rater": "R1", "session": 1}
    wide = pd.DataFrame({"ID": ["1"], "LWS1 Dichte ZM": [100.0]})
    mapping = ov.guess_mapping(wide, vocabulary=vocab, raters={"ZM": "R1"})
    assert mapping.to_dict()["raters"] == {"ZM": "R1"}
    assert ov.read_wide(wide, mapping)[1]["rater"].tolist() == ["R1"]
    with pytest.raises(DataError, match="kind:value"):
        ColumnMapping.from_dict({"vocabulary": {"x": "colour:red"}})


def test_extra_invalid_and_unplaced_columns():
    assert understand("T12 HU R1").status == "extra"
    assert understand("L5-S1 disc CSA").status == "extra"
    invalid = understand("L7 HU R1")
    assert invalid.status == "invalid" and "L7" in invalid.note
    assert understand("HU L1-2 R1").status == "invalid"  # a vertebral measure at a disc
    assert understand("CSA PM L1-2 R1").status == "invalid"  # no side
    assert "unknown word" in understand("Patient name").note


# -- value codes, missing codes -------------------------------------------------------------
def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ID": ["P1", "P2", "P3", "P4"],
            "Fracture": ["yes", "no", "yes", "no"],
            "Age": [70, 71, 999, 68],
            "Sex": ["Female", "Male", "female", "F"],
            "L1 HU R1": [120.0, 999, -99, 110.0],
            "L2 HU R1": ["95", "n/a", ".", "101"],
            "L2 HU R2": [90.0, None, 80.0, 100.0],
        }
    )


def test_a_number_is_a_missing_code_only_where_it_stands_apart():
    rng = np.random.default_rng(3)
    area = rng.normal(1000, 150, 200).round(0)
    area[:3] = 999.0  # areas of 999 mm² among areas near 1000 are readings
    hu = rng.normal(110, 30, 200).round(1)
    hu[:2] = 999.0
    wide = pd.DataFrame({"ID": [f"P{i}" for i in range(200)], "CSA PM L L1-2 R1": area,
                         "L1 HU R1": hu})  # fmt: skip
    mapping = ov.guess_mapping(wide)
    assert "missing" not in mapping.columns["CSA PM L L1-2 R1"]
    assert mapping.columns["L1 HU R1"]["missing"] == [999] and mapping.missing == []
    _, readings = ov.read_wide(wide, mapping)
    assert readings["value"].isna().sum() == 2


def test_value_and_missing_codes_are_applied_and_counted():
    wide = _small()
    mapping = ov.guess_mapping(wide)
    assert mapping.missing == ["n/a", "."]  # text codes: every column
    assert mapping.columns["L1 HU R1"]["missing"] == [999, -99]  # numbers: their own column
    assert mapping.columns["Age"]["missing"] == [999]
    assert mapping.codes == {"case": {"yes": 1, "no": 0}, "sex": {"Female": "F", "Male": "M"}}
    mapping.codes["sex"]["F"] = "F"  # a code that changes nothing counts no cell
    patients, readings, counts = read_wide_counted(wide, mapping)
    assert patients["sex"].tolist() == ["F", "M", "F", "F"]
    assert patients["case"].tolist() == [1, 0, 1, 0]
    assert np.isnan(patients["age"][2])
    assert len(readings) == 11  # the blank cell of L2 HU R2 is no reading; coded ones are blank
    assert int(readings["value"].isna().sum()) == 4
    table = counts.table.set_index("column")
    assert table.loc["Sex", "recoded"] == 3  # Female, Male, female; F is already the code
    assert table.loc["L1 HU R1", "blanked"] == 2 and table.loc["L2 HU R1", "blanked"] == 2
    assert table.loc["Age", "blanked"] == 1 and "L2 HU R2" not in table.index


def test_a_value_code_not_in_the_mapping_names_the_cell():
    wide = _small().assign(Sex=["Female", "Male", "divers", "F"])
    mapping = ov.guess_mapping(wide)
    assert "'divers'" in mapping.table.set_index("column").loc["Sex", "note"]
    with pytest.raises(DataError, match=r"'divers' in column 'Sex' \(cell D4\).*\[mapping.codes\]"):
        ov.read_wide(wide, mapping)


def test_text_in_a_numeric_reading_names_the_cells():
    wide = _small()
    mapping = ov.guess_mapping(wide)
    bad = wide.assign(**{"L2 HU R2": [90.0, "high", 80.0, "?x"]})
    with pytest.raises(DataError, match=r"'high', '\?x' in the numeric column 'L2 HU R2' "
                                        r"\(cells G3, G5\).*missing"):  # fmt: skip
        ov.read_wide(bad, mapping)


def test_spss_value_labels_and_user_missing(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame({"ID": ["1", "2", "3"], "group": [1.0, 0.0, 1.0],
                          "gender": [1.0, 2.0, 2.0], "L1_HU_R1": [100.0, 999.0, 90.0]})  # fmt: skip
    path = tmp_path / "clinic.sav"
    pyreadstat.write_sav(
        frame, str(path),
        variable_value_labels={"gender": {1.0: "Female", 2.0: "Male"}},
        missing_ranges={"L1_HU_R1": [999.0]},
    )  # fmt: skip
    patients, readings = ov.read_wide(path)
    assert patients["sex"].tolist() == ["F", "M", "M"]
    assert patients["case"].tolist() == [1, 0, 1]
    assert readings["value"].tolist() == [100.0, 90.0]  # the user-missing 999 is no reading


# -- refusals -------------------------------------------------------------------------------
def test_ambiguous_header_is_listed_and_refused():
    wide = _small().assign(**{"L3 HU T": [1.0, 2.0, 3.0, 4.0]})
    mapping = ov.guess_mapping(wide)
    row = mapping.table.set_index("column").loc["L3 HU T"]
    assert row["status"] == "ambiguous"
    assert row["candidates"] == "t_score × L3 × session 1; hu × L3 × session 1"
    with pytest.raises(DataError, match=r"'L3 HU T': the header matches several readings "
                                        r"\(t_score × L3 × session 1 or hu × L3"):  # fmt: skip
        ov.read_wide(wide, mapping)
    mapping.columns["L3 HU T"] = {"measure": "t_score", "level": "L3", "status": "reviewed"}
    _, readings = ov.read_wide(wide, mapping)
    assert (readings["measure"] == "t_score").sum() == 4


def test_two_columns_for_one_reading_are_ambiguous():
    wide = _small().assign(**{"HU L1 rater 1": [1.0, 2.0, 3.0, 4.0]})
    mapping = ov.guess_mapping(wide)
    assert set(mapping.refused) == {"L1 HU R1", "HU L1 rater 1"}
    assert "the same hu × L1 × rater R1" in mapping.columns["L1 HU R1"]["note"]


def test_a_level_the_study_does_not_know():
    wide = _small().assign(**{"L1-2 HU R1": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match=r"'L1-2 HU R1': level 'L1-2' is not a vertebral level"):
        ov.read_wide(wide)
    mapping = ov.guess_mapping(wide)
    mapping.columns["L1-2 HU R1"] = {"measure": "hu", "level": "L9", "status": "reviewed"}
    message = r"column 'L1-2 HU R1': level 'L9' is not a vertebral level of the study \(L1, L2, "
    with pytest.raises(DataError, match=message + r"L3, L4\)\. Correct"):
        ov.read_wide(wide, mapping)
    mapping.columns["L1-2 HU R1"] = {"measure": "density", "level": "L1", "status": "reviewed"}
    with pytest.raises(DataError, match="measure 'density', which is not one of t_score, hu"):
        ov.read_wide(wide, mapping)
    mapping.columns["L1-2 HU R1"]["status"] = "unplaced"
    assert "L1-2 HU R1" in ov.read_wide(wide, mapping)[0].columns


def test_extra_levels_are_kept_aside_not_dropped():
    wide = _small().assign(**{"T12 HU R1": [1.0, 2.0, 3.0, 4.0], "Notes": ["a", "", "b", ""]})
    patients, readings = ov.read_wide(wide)
    assert patients["T12 HU R1"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert "Notes" in patients.columns and "T12" not in set(readings["level"])


def test_mapping_and_table_must_agree():
    wide = _small()
    mapping = ov.guess_mapping(wide)
    with pytest.raises(DataError, match=r"'Comment'.* not in the mapping.*ovcfstats map"):
        ov.read_wide(wide.assign(Comment="x"), mapping)


# -- the study file, analyze, the command ----------------------------------------------------
def test_study_file_mapping_roundtrip_and_unknown_keys(tmp_path):
    mapping = ov.guess_mapping(_small().assign(**{"L3 HU T": [1.0, 2.0, 3.0, 4.0]}))
    cfg = ov.StudyConfig(mapping=mapping.to_dict())
    again = ov.StudyConfig.from_dict(tomllib.loads(cfg.to_toml()))
    assert again == cfg and again.mapping["columns"]["L3 HU T"]["status"] == "ambiguous"
    with pytest.raises(DataError, match=r"unknown key 'mising' in \[mapping\]\. Did you mean "
                                        r"'missing'"):  # fmt: skip
        ov.StudyConfig.from_dict({"mapping": {"mising": [999]}})
    with pytest.raises(DataError, match="Did you mean 'measure'"):
        ov.StudyConfig(mapping={"columns": {"x": {"measur": "hu"}}})


def test_indicator_table_with_clinic_headers(sample):
    indicators = ov.derive_indicators(*sample).table
    names = {
        "patient_id": "Patient ID", "case": "OVCF", "age": "Age (years)", "sex": "Gender",
        "bmi": "BMI", "t_score": "T-score", "hu": "Average HU", "vbq": "VBQ score",
        "rcsa": "rCSA", "fi": "FI (%)",
    }  # fmt: skip
    clinic = indicators[list(names)].rename(columns=names)
    clinic["Gender"] = clinic["Gender"].map({"F": "female", "M": "male"})
    mapping = ov.guess_mapping(clinic)
    assert (mapping.table["status"] == "recognised").all()
    cfg = ov.StudyConfig(mapping=mapping.to_dict(), agreement=False)
    ours = ov.analyze(clinic, config=cfg)
    theirs = ov.analyze(indicators, config=ov.StudyConfig(agreement=False))
    pd.testing.assert_frame_equal(ours["fig5"].table, theirs["fig5"].table)
    assert ours["recoding"].table.set_index("column").loc["Gender", "recoded"] == len(clinic)


def _example():
    spec = importlib.util.spec_from_file_location("make_examples",
                                                  ROOT / "data/examples/make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_example_equals_its_script():
    made = _example().clinic_wide()
    shipped = pd.read_excel(ROOT / "data/examples/clinic_wide.xlsx", sheet_name=None)
    assert list(shipped) == ["Patients"]
    shipped = shipped["Patients"]
    assert shipped.columns.tolist() == made.columns.tolist()
    for col in made.columns:
        a = made[col].replace("", np.nan).tolist()
        b = shipped[col].tolist()
        assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in b], col


def test_readme_walkthrough_map_then_analyze(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    example = str(ROOT / "data/examples/clinic_wide.xlsx")
    assert main(["init", "study.toml"]) == 0
    assert "ovcfstats map" in capsys.readouterr().out
    text = (tmp_path / "study.toml").read_text(encoding="utf-8")
    (tmp_path / "study.toml").write_text(text.replace("ratio = 1", "ratio = 2"), encoding="utf-8")
    assert main(["map", example, "--study", "study.toml"]) == 0
    out = capsys.readouterr().out
    assert "198 columns: 198 recognised." in out and "CSA PM left L1/2 R1" in out
    assert "Missing-value codes (blanked in every column): '.'." in out
    assert "999 → blank" in out and "-99 → blank" in out
    cfg = ov.StudyConfig.from_toml(tmp_path / "study.toml")
    assert cfg.ratio == 2 and len(cfg.mapping["columns"]) == 198  # the rest of the file is kept
    # a reviewed entry survives a second map
    text = (tmp_path / "study.toml").read_text(encoding="utf-8")
    text = text.replace('"L1 T" = { measure = "t_score", level = "L1", session = 1, status = '
                        '"recognised" }', '"L1 T" = { measure = "t_score", level = "L1", '
                        'session = 1, status = "reviewed", note = "DXA" }')  # fmt: skip
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    assert main(["map", example, "--study", "study.toml"]) == 0
    capsys.readouterr()
    cfg = ov.StudyConfig.from_toml(tmp_path / "study.toml")
    assert cfg.mapping["columns"]["L1 T"]["note"] == "DXA"
    text = (tmp_path / "study.toml").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line.startswith("[mapping")] == [
        "[mapping]", "[mapping.codes]", "[mapping.columns]"
    ]  # fmt: skip
    args = ["analyze", example, "--study", "study.toml", "--out", "rep", "--ratio", "1"]
    assert main(args) == 0
    capsys.readouterr()
    report = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "Value codes and missing codes applied" in report
    assert "cells blanked: 4" in report


def test_analyze_refuses_an_unreviewed_ambiguity(tmp_path, capsys):
    path = tmp_path / "clinic.csv"
    _small().assign(**{"L3 HU T": [1.0, 2.0, 3.0, 4.0]}).to_csv(path, index=False)
    study = tmp_path / "study.toml"
    assert main(["map", str(path), "--study", str(study)]) == 0
    assert "analyze refuses" in capsys.readouterr().out
    code = main(["analyze", str(path), "--study", str(study), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2
    assert "clinic.csv: analyze(): the mapping has 1 unreviewed column(s): 'L3 HU T'" in err
    assert 'status = "reviewed"' in err


def test_map_one_sheet_lists_what_it_could_not_place(tmp_path, capsys):
    path = tmp_path / "clinic.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"Notes": ["x"]}).to_excel(book, sheet_name="About", index=False)
        _small().assign(Comment="a", **{"L3 HU T": 1.0}).to_excel(
            book, sheet_name="Data", index=False
        )
    study = tmp_path / "study.toml"
    assert main(["map", str(path), "--sheet", "Data", "--study", str(study)]) == 0
    out = capsys.readouterr().out
    assert "unplaced: 'Comment' — unknown word(s) 'comment'" in out
    assert "ambiguous: 'L3 HU T' — the header matches several readings" in out
    cfg = ov.StudyConfig.from_toml(study)
    assert "sheets" not in cfg.mapping and "Notes" not in cfg.mapping["columns"]
