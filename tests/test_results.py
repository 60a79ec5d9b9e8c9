"""The shared result protocol and validation helpers."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ovcfstats._results import OvcfWarning, Result, make_excluded, warn
from ovcfstats._validate import (
    DataError,
    check_binary_outcome,
    check_columns,
    check_numeric,
    check_option,
    split_missing,
)
from ovcfstats.present._format import (
    MINUS,
    Style,
    format_estimate_ci,
    format_number,
    format_p,
    format_setting,
    is_numeric_cell,
    variable_info,
)


def test_result_renders_text_and_html():
    res = Result(
        table=pd.DataFrame({"indicator": ["hu"], "p": [0.01]}),
        excluded=make_excluded(["P1"], "hu", "missing hu"),
        warnings=("something shaky",),
        settings={"alpha": 0.05},
    )
    text = res.summary()
    assert "hu" in text and "alpha: 0.05" in text
    assert "Excluded: 1 (missing hu)" in text and "something shaky" in text
    assert str(res) == text
    assert "<table" in res._repr_html_()
    with pytest.raises(NotImplementedError):
        res.plot()


def test_warn_records_and_warns():
    notes: list[str] = []
    with pytest.warns(OvcfWarning, match="shaky"):
        warn(notes, "shaky")
    assert notes == ["shaky"]


def test_check_columns_names_missing_column():
    with pytest.raises(DataError, match=r"'vbq'.*not found"):
        check_columns(pd.DataFrame({"hu": [1]}), ["hu", "vbq"], "roc_auc")


def test_check_option_message():
    with pytest.raises(ValueError, match=r"`nan_policy` of icc\(\) must be one of"):
        check_option("drop", ["omit", "raise"], "icc", "nan_policy")


def test_check_numeric_names_ids():
    df = pd.DataFrame({"patient_id": ["A", "B", "C"], "hu": ["1", "x", None]})
    with pytest.raises(DataError, match=r"'hu'.*patient_id: B"):
        check_numeric(df, "hu", "f")
    ok = check_numeric(df.iloc[[0, 2]], "hu", "f")
    assert ok[0] == 1.0 and np.isnan(ok[1])


@pytest.mark.parametrize(
    ("values", "match"),
    [([1, 1, 1], "one class"), ([0, 2, 1], "0/1"), ([0, None, 1], "missing values")],
)
def test_check_binary_outcome(values, match):
    df = pd.DataFrame({"patient_id": ["A", "B", "C"], "case": values})
    with pytest.raises(DataError, match=match):
        check_binary_outcome(df, "case", "f")


def test_split_missing_lists_every_missing_cell():
    df = pd.DataFrame({"patient_id": ["A", "B", "C"], "x": [1, None, 3], "y": [None, None, 1]})
    kept, excluded = split_missing(df, ["x", "y"])
    assert list(kept["patient_id"]) == ["C"]
    assert sorted(zip(excluded["id"], excluded["variable"], strict=True)) == [
        ("A", "y"),
        ("B", "x"),
        ("B", "y"),
    ]


# -- the formatting layer -------------------------------------------------------------------------
finite = st.floats(min_value=-9.9e5, max_value=9.9e5, allow_nan=False)


def _parse(text: str) -> float:
    return float(text.replace(MINUS, "-"))


@given(finite, st.integers(min_value=0, max_value=4))
def test_format_number_rounds_to_the_decimals(x, decimals):
    text = format_number(x, decimals)
    assert len(text.partition(".")[2]) == decimals
    assert abs(_parse(text) - x) <= 0.5 * 10.0**-decimals * (1 + 1e-9) + 1e-9 * abs(x)
    assert "-" not in text and (text.startswith(MINUS) == (_parse(text) < 0))


@given(st.floats(min_value=0, max_value=1))
def test_format_p_default_style(p):
    text = format_p(p)
    if p < 0.001:
        assert text == "< 0.001"
    else:
        assert abs(float(text) - p) <= 0.0005 + 1e-12 and len(text) == 5


@given(st.floats(min_value=0, max_value=1), st.sampled_from(["default", "nejm", "apa", "exact"]))
def test_every_p_style_keeps_the_order(p, style):
    # a smaller p never prints as a larger number
    q = min(1.0, p * 1.5 + 0.01)
    a, b = format_p(p, style), format_p(q, style)

    def value(text: str) -> float:
        if text.startswith("<"):
            return 0.0
        if "×" in text:
            return float(text.replace(f" × 10^{MINUS}", "e-"))
        return float("0" + text if text.startswith(".") else text)

    assert value(a) <= value(b)


def test_p_style_boundaries():
    assert [format_p(p, "nejm") for p in (0.0099, 0.01, 0.049)] == ["0.010", "0.01", "0.05"]
    assert format_p(0.0009999) == "< 0.001" and format_p(0.001) == "0.001"
    assert format_p(0.05, "apa") == ".050" and format_p(0.0004, "apa") == "< .001"
    assert format_p(float("nan")) == "" and format_p(None) == ""
    with pytest.raises(ValueError, match="p_style"):
        Style(p_style="lancet")


@given(finite, finite, finite)
def test_estimate_ci_roundtrips(est, a, b):
    low, high = min(a, b), max(a, b)
    text = format_estimate_ci(est, low, high, 2)
    numbers = [_parse(t) for t in re.findall(rf"{MINUS}?\d+\.\d+", text)]
    assert numbers == [_parse(format_number(v, 2)) for v in (est, low, high)]
    assert (" to " in text) == (min(low, high) < 0)
    assert is_numeric_cell(text)


def test_variables_override_and_labels():
    info = variable_info({"hu": {"decimals": 0}})
    assert info["hu"] == {"label": "HU", "unit": "HU", "decimals": 0}
    assert info["bmi"]["unit"] == "kg/m²"
    with pytest.raises(ValueError, match="unknown keys"):
        variable_info({"hu": {"digits": 1}})
    style = Style(variables={"vbq": {"label": "VBQ score"}})
    assert style.heading("vbq") == "VBQ score" and style.heading("fi") == "FI, %"
    assert format_setting("('age', 'sex')", style) == "Age, Sex"
    assert format_setting({"age": 2.0}) == "age: 2" and format_setting(False) == "no"
    assert not math.isnan(0.0)


def test_result_repr_is_one_line():
    res = Result(table=pd.DataFrame({"p": np.arange(50) / 100}), warnings=("w",))
    assert repr(res) == "<Result: Result; 50 rows, 1 warning(s)>"
