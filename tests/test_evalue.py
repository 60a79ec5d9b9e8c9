"""E-values against VanderWeele & Ding's worked example and hand-computed values."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ovcfstats as ov


def test_published_example():
    # VanderWeele & Ding, Ann Intern Med 2017: RR 3.9 (95 % CI 1.8 to 8.7) -> 7.26 and 3.0
    e = ov.evalue(3.9, 1.8, 8.7, measure="RR")
    assert abs(e.point - (3.9 + math.sqrt(3.9 * 2.9))) < 1e-12
    assert round(e.point, 2) == 7.26
    assert abs(e.ci - 3.0) < 1e-12  # 1.8 + √(1.8·0.8) = 1.8 + 1.2


def test_hand_computed_conversions():
    assert abs(ov.evalue(4.0, measure="OR", rare=False).point - (2 + math.sqrt(2))) < 1e-12
    assert abs(ov.evalue(4.0, measure="OR").point - (4 + math.sqrt(12))) < 1e-12
    protective = ov.evalue(0.5, 0.3, 0.8, measure="RR")
    assert abs(protective.point - (2 + math.sqrt(2))) < 1e-12
    assert abs(protective.ci - (1.25 + math.sqrt(1.25 * 0.25))) < 1e-12
    hr = 2.0
    rr = (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))
    assert (
        abs(ov.evalue(hr, measure="HR", rare=False).point - (rr + math.sqrt(rr * (rr - 1)))) < 1e-12
    )
    assert ov.evalue(1.5, 0.9, 2.5).ci == 1.0
    assert math.isnan(ov.evalue(1.5).ci)
    assert "rare outcome" in ov.evalue(1.5).notes()[0]


def test_errors():
    with pytest.raises(ValueError, match="positive ratio"):
        ov.evalue(0.0)
    with pytest.raises(ValueError, match="must contain the estimate"):
        ov.evalue(2.0, 2.5, 3.0)
    with pytest.raises(ValueError, match="`measure` of evalue"):
        ov.evalue(2.0, measure="RD")


@given(st.floats(0.05, 20), st.floats(0.0, 0.9))
def test_invariants(rr, spread):
    low, high = rr * (1 - spread), rr / (1 - spread)
    e = ov.evalue(rr, low, high, measure="RR")
    inverse = ov.evalue(1 / rr, 1 / high, 1 / low, measure="RR")
    assert abs(e.point - inverse.point) < 1e-9 * e.point
    assert 1.0 <= e.ci <= e.point


def test_logistic_or_columns_on_request():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"case": np.r_[np.ones(60), np.zeros(60)].astype(int)})
    df["hu"] = rng.normal(100, 20, 120) - 10 * df["case"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = ov.logistic_or(df, "hu", adjust=())
        res = ov.logistic_or(df, "hu", adjust=(), evalue=True, per="sd")
    assert "evalue" not in plain.table.columns
    row = res.table.iloc[0]
    want = ov.evalue(row["or"], row.ci_low, row.ci_high)
    assert abs(row.evalue - want.point) < 1e-12 and abs(row.evalue_ci - want.ci) < 1e-12
    assert any("E-value" in n for n in res.notes())
