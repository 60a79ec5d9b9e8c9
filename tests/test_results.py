"""The shared result protocol and validation helpers."""

import numpy as np
import pandas as pd
import pytest

from ovcfstats._results import OvcfWarning, Result, make_excluded, warn
from ovcfstats._validate import (
    DataError,
    check_binary_outcome,
    check_columns,
    check_numeric,
    check_option,
    split_missing,
)


def test_result_renders_text_and_html():
    res = Result(
        table=pd.DataFrame({"indicator": ["hu"], "p": [0.01]}),
        excluded=make_excluded(["P1"], "hu", "missing hu"),
        warnings=("something shaky",),
        settings={"alpha": 0.05},
    )
    text = res.summary()
    assert "hu" in text and "alpha=0.05" in text
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
