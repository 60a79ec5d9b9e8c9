"""Matched case–control power against epiR 2.0.57 epi.sscc (tests/reference/power_sscc.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ovcfstats import DataError, power_matched_binary, power_matched_continuous

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def ref() -> pd.Series:
    return pd.read_csv(REF / "power_sscc.csv").set_index(["case", "key"])["value"]


def _one(res) -> pd.Series:
    return res.table.iloc[0]


def test_dupont_matches_epi_sscc(ref):
    cases = sorted(set(ref.index.get_level_values(0)))
    assert len(cases) == 24
    solved_or = 0
    for case in cases:
        r = ref[case]
        kw = {"p0": r["p0"], "phi": r["phi"], "controls_per_case": int(r["M"])}
        n = _one(power_matched_binary(r["or"], power=0.8, **kw))["n_cases"]
        assert n == pytest.approx(r["n_cases_for_0.8"], rel=1e-12)
        p = _one(power_matched_binary(r["or"], n_cases=60, **kw))["power"]
        assert p == pytest.approx(r["power_60_sets"], abs=1e-12)
        if (case, "or_upper_150_sets") in ref.index:
            solved_or += 1
            got = _one(power_matched_binary(n_cases=150, power=0.8, **kw))
            # epi.sscc solves with uniroot's default tolerance
            assert got["or_upper"] == pytest.approx(r["or_upper_150_sets"], abs=1e-4)
            assert got["or_lower"] == pytest.approx(r["or_lower_150_sets"], abs=1e-4)
            for side in ("or_upper", "or_lower"):
                back = _one(power_matched_binary(got[side], n_cases=150, **kw))["power"]
                assert back == pytest.approx(0.8, abs=1e-9)
    assert solved_or == 10


@pytest.mark.parametrize("m", [1, 2, 4])
def test_continuous_without_within_set_correlation_is_hsieh_unmatched(m):
    # Hsieh, Bloch & Larsen (1998) eq. 1: N = (z_α/2 + z_β)² / (p(1 − p) β²) for one normal
    # covariate, p the share of cases; matched sets of 1 + m with ρ = 0 need the same total
    beta, za, zb = np.log(1.8), stats.norm.ppf(0.975), stats.norm.ppf(0.9)
    p = 1 / (1 + m)
    total = (za + zb) ** 2 / (p * (1 - p) * beta**2)
    res = _one(power_matched_continuous(1.8, power=0.9, controls_per_case=m))
    assert res["n_cases"] + res["n_controls"] == pytest.approx(total, rel=1e-12)


def test_continuous_correlation_inflates_n():
    base = _one(power_matched_continuous(1.5, power=0.8))["n_cases"]
    corr = _one(power_matched_continuous(1.5, power=0.8, rho=0.4))["n_cases"]
    assert corr == pytest.approx(base / 0.6, rel=1e-12)


def test_impossible_phi_raises():
    with pytest.raises(DataError, match="phi"):
        power_matched_binary(50, p0=0.5, n_cases=10, phi=0.9)


def test_bad_arguments():
    with pytest.raises(ValueError, match="p0"):
        power_matched_binary(2, p0=1.2, n_cases=10)
    with pytest.raises(ValueError, match="controls_per_case"):
        power_matched_binary(2, p0=0.2, n_cases=10, controls_per_case=1.5)
    with pytest.raises(ValueError, match="odds_ratio"):
        power_matched_continuous(1.0, n_cases=10)
    with pytest.raises(ValueError, match="exactly one"):
        power_matched_continuous(1.5)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(1.3, 5), st.floats(0.05, 0.7), st.integers(1, 4), st.floats(0, 0.3),
    st.floats(0.5, 0.95),
)  # fmt: skip
def test_binary_round_trips_and_monotone(odds_ratio, p0, m, phi, power):
    kw = {"p0": p0, "controls_per_case": m, "phi": phi}
    try:
        n = _one(power_matched_binary(odds_ratio, power=power, **kw))["n_cases"]
    except DataError:
        return
    assert _one(power_matched_binary(odds_ratio, n_cases=n, **kw))["power"] == pytest.approx(
        power, abs=1e-9
    )
    p = _one(power_matched_binary(odds_ratio, n_cases=n, **kw))["power"]
    assert _one(power_matched_binary(odds_ratio, n_cases=1.5 * n, **kw))["power"] >= p
    more_controls = {**kw, "controls_per_case": m + 1}
    assert _one(power_matched_binary(odds_ratio, n_cases=n, **more_controls))["power"] >= p - 1e-9


@settings(max_examples=40, deadline=None)
@given(st.floats(1.1, 4), st.floats(0.5, 0.95), st.integers(1, 4), st.floats(0, 0.8))
def test_continuous_round_trips(odds_ratio, power, m, rho):
    kw = {"controls_per_case": m, "rho": rho}
    n = _one(power_matched_continuous(odds_ratio, power=power, **kw))["n_cases"]
    assert _one(power_matched_continuous(odds_ratio, n_cases=n, **kw))["power"] == pytest.approx(
        power, abs=1e-9
    )
    found = _one(power_matched_continuous(n_cases=n, power=power, **kw))["odds_ratio"]
    assert found == pytest.approx(odds_ratio, rel=1e-9)


def test_result_renders():
    res = power_matched_binary(2.0, p0=0.3, n_cases=100, controls_per_case=2)
    assert "Dupont" in res.summary() and res.plot() is not None
