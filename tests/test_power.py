"""Power and sample size for AUCs against pROC 1.18.0 (tests/reference/power_proc.R)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ovcfstats import power_auc, power_auc_paired, roc_auc, sample_size_section
from ovcfstats.design.power import _var_hanley_mcneil

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def ref() -> pd.Series:
    return pd.read_csv(REF / "power_proc.csv").set_index(["case", "key"])["value"]


def _cases(ref: pd.Series, prefix: str) -> list[str]:
    return sorted(c for c in set(ref.index.get_level_values(0)) if c.startswith(prefix))


def _one(res) -> pd.Series:
    return res.table.iloc[0]


def test_one_auc_matches_power_roc_test(ref):
    cases = _cases(ref, "one_")
    assert len(cases) == 12
    for case in cases:
        r = ref[case]
        kw = {
            "kappa": r["kappa"],
            "alternative": "two-sided" if r["alternative"] == 1 else "one-sided",
        }
        got = _one(power_auc(r["auc"], n_cases=30, **kw))
        assert got["power"] == pytest.approx(r["power"], abs=1e-12)
        assert got["n_controls"] == pytest.approx(30 * r["kappa"])
        n = _one(power_auc(r["auc"], power=0.9, **kw))["n_cases"]
        assert n == pytest.approx(r["n_cases_for_0.9"], rel=1e-12)
        auc = _one(power_auc(n_cases=40, power=0.8, **kw))["auc"]
        assert auc == pytest.approx(r["auc_detectable_tight"], abs=1e-9)
        # pROC's own answer is uniroot's, to its default tolerance
        assert auc == pytest.approx(r["auc_detectable_n40_p0.8"], abs=1.2e-4)


def test_obuchowski_2004_table_4():
    # Obuchowski, Lieber & Wians (2004) Table 4: AUC 0.7 vs 0.5, one-sided α = 0.05,
    # power 0.9, one control per case -> 33 cases
    n = _one(power_auc(0.7, power=0.9, alternative="one-sided"))["n_cases"]
    assert math.ceil(n) == 33


def test_two_aucs_match_power_roc_test(ref):
    cases = _cases(ref, "two_")
    assert len(cases) == 6
    for case in cases:
        r = ref[case]
        auc1 = stats.norm.cdf(r["A1"] / np.sqrt(1 + r["B1"] ** 2))
        auc2 = stats.norm.cdf(r["A2"] / np.sqrt(1 + r["B2"] ** 2))
        assert auc1 - auc2 == pytest.approx(r["delta"], abs=1e-14)
        kw = {"r_controls": r["rn"], "r_cases": r["ra"], "b1": r["B1"], "b2": r["B2"],
              "kappa": r["kappa"]}  # fmt: skip
        n = _one(power_auc_paired(auc1, auc2, power=0.8, **kw))["n_cases"]
        assert n == pytest.approx(r["n_cases_for_0.8"], rel=1e-10)
        p = _one(power_auc_paired(auc1, auc2, n_cases=100, **kw))["power"]
        assert p == pytest.approx(r["power_n100"], abs=1e-12)


def test_proc_null_variance_can_turn_negative():
    from ovcfstats import DataError

    # a precise first curve (AUC 0.98) and a strongly correlated second one: 2·V1 − 2·C < 0
    kw = {"r_controls": 0.9, "r_cases": 0.9, "power": 0.8}
    with pytest.raises(DataError, match="null_variance='alternative'"):
        power_auc_paired(0.98, 0.75, **kw)
    ok = _one(power_auc_paired(0.98, 0.75, null_variance="alternative", **kw))
    assert ok["n_cases"] > 0


def test_proc_null_variance_depends_on_which_indicator_is_first(ref):
    # pROC issue #122: cases two_2 and two_3 are the same pair of curves, swapped
    assert ref["two_2_k1", "n_cases_for_0.8"] != pytest.approx(ref["two_3_k1", "n_cases_for_0.8"])
    kw = {"r_controls": 0.3, "r_cases": 0.6, "null_variance": "alternative", "power": 0.8}
    one = _one(power_auc_paired(0.8, 0.7, b1=0.8, b2=1.1, **kw))["n_cases"]
    two = _one(power_auc_paired(0.7, 0.8, b1=1.1, b2=0.8, **kw))["n_cases"]
    assert one == pytest.approx(two, rel=1e-12)
    proc = _one(power_auc_paired(0.8, 0.7, b1=0.8, b2=1.1, **{**kw, "null_variance": "proc"}))
    assert proc["n_cases"] != pytest.approx(one, rel=1e-3)


@pytest.mark.parametrize(("m", "n"), [(10, 10), (25, 40), (100, 7)])
def test_hanley_mcneil_null_variance_is_the_exact_mann_whitney_one(m, n):
    per_case = _var_hanley_mcneil(0.5, m, n / m)
    assert per_case / m == pytest.approx((m + n + 1) / (12 * m * n), rel=1e-12)


def test_hanley_mcneil_solves_and_round_trips():
    res = _one(power_auc(0.75, power=0.8, variance="hanley-mcneil", kappa=2))
    back = _one(power_auc(0.75, n_cases=res["n_cases"], variance="hanley-mcneil", kappa=2))
    assert back["power"] == pytest.approx(0.8, abs=1e-9)
    # at a fixed n the two variance methods give similar, not equal, power
    hm = _one(power_auc(0.75, n_cases=40, variance="hanley-mcneil"))["power"]
    ob = _one(power_auc(0.75, n_cases=40))["power"]
    assert hm != ob and abs(hm - ob) < 0.1


def test_any_auc0():
    res = _one(power_auc(0.8, auc0=0.7, power=0.8))
    assert res["n_cases"] > _one(power_auc(0.8, power=0.8))["n_cases"]
    back = _one(power_auc(0.8, auc0=0.7, n_cases=res["n_cases"]))
    assert back["power"] == pytest.approx(0.8, abs=1e-10)
    det = _one(power_auc(auc0=0.7, n_cases=res["n_cases"], power=0.8))
    assert det["auc"] == pytest.approx(0.8, abs=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="exactly one"):
        power_auc(0.7)
    with pytest.raises(ValueError, match="exactly one"):
        power_auc(0.7, n_cases=10, power=0.8)
    with pytest.raises(ValueError, match="alpha"):
        power_auc(0.7, n_cases=10, alpha=0)
    with pytest.raises(ValueError, match="auc"):
        power_auc(0.5, n_cases=10)
    with pytest.raises(ValueError, match="variance"):
        power_auc(0.7, n_cases=10, variance="exact")
    with pytest.raises(ValueError, match="r_cases"):
        power_auc_paired(0.8, 0.7, n_cases=10, r_cases=1.0)


aucs = st.floats(0.55, 0.97)
ns = st.floats(5, 2000)
methods = st.sampled_from(["obuchowski", "hanley-mcneil"])


@settings(max_examples=40, deadline=None)
@given(aucs, ns, methods, st.floats(0.5, 4))
def test_power_monotone_in_n_and_effect(auc, n, variance, kappa):
    p = _one(power_auc(auc, n_cases=n, kappa=kappa, variance=variance))["power"]
    more_n = _one(power_auc(auc, n_cases=n * 1.5, kappa=kappa, variance=variance))["power"]
    bigger = _one(power_auc(min(auc + 0.02, 0.99), n_cases=n, kappa=kappa, variance=variance))
    assert more_n >= p - 1e-12
    assert bigger["power"] >= p - 1e-12


@settings(max_examples=40, deadline=None)
@given(aucs, st.floats(0.5, 0.95), methods, st.sampled_from(["two-sided", "one-sided"]))
def test_n_then_power_round_trips(auc, power, variance, alternative):
    kw = {"variance": variance, "alternative": alternative}
    n = _one(power_auc(auc, power=power, **kw))["n_cases"]
    if n < 1:
        return
    assert _one(power_auc(auc, n_cases=n, **kw))["power"] == pytest.approx(power, abs=1e-9)
    assert _one(power_auc(n_cases=n, power=power, **kw))["auc"] == pytest.approx(auc, abs=1e-8)


@settings(max_examples=30, deadline=None)
@given(
    st.floats(0.7, 0.95), st.floats(0.02, 0.15), st.floats(0, 0.8), st.floats(0.6, 0.95),
    st.sampled_from(["proc", "alternative"]),
)  # fmt: skip
def test_paired_round_trips_and_monotone(auc1, diff, r, power, null_variance):
    from ovcfstats import DataError

    auc2 = auc1 - diff
    kw = {"r_controls": r, "r_cases": r, "null_variance": null_variance}
    try:
        n = _one(power_auc_paired(auc1, auc2, power=power, **kw))["n_cases"]
    except DataError:  # pROC's null variance is negative for this pair (tested above)
        assert null_variance == "proc"
        return
    p = _one(power_auc_paired(auc1, auc2, n_cases=n, **kw))["power"]
    assert p == pytest.approx(power, abs=1e-9)
    found = _one(power_auc_paired(auc1, n_cases=n, power=power, **kw))["auc2"]
    assert found == pytest.approx(auc2, abs=1e-7)
    more = _one(power_auc_paired(auc1, auc2, n_cases=2 * n, **kw))["power"]
    assert more >= p


def test_sample_size_section_on_asah():
    data = pd.read_csv(REF / "aSAH.csv")
    roc = roc_auc(data, ["wfns", "s100b", "ndka"], outcome="case")
    sec = sample_size_section(roc)
    table = sec.table.set_index("indicator")
    row = roc.table.set_index("indicator").loc["s100b"]
    direct = _one(power_auc(row["auc"], n_cases=41, kappa=72 / 41))
    assert table.loc["s100b", "power_observed"] == pytest.approx(direct["power"], abs=1e-12)
    assert (table["n_cases"] == 41).all() and (table["n_controls"] == 72).all()
    assert "Post hoc" in " ".join(sec.notes())
    assert sec.plot() is not None
    assert "post hoc" in sec.summary()
    assert sec.odds_ratios.empty and list(sec.tables()) == ["auc"]


def test_sample_size_section_with_odds_ratios_per_sd():
    from ovcfstats import DataError, logistic_or, power_matched_continuous

    data = pd.read_csv(REF / "aSAH.csv")
    roc = roc_auc(data, ["s100b", "ndka"], outcome="case")
    ors = logistic_or(data, ["s100b", "ndka"], outcome="case", adjust=(), per="sd")
    sec = sample_size_section(roc, odds_ratios=ors, controls_per_case=1, rho=0.2)
    table = sec.odds_ratios.set_index("indicator")
    value = ors.table.set_index("indicator").loc["ndka", "or"]
    direct = _one(power_matched_continuous(value, n_cases=41, rho=0.2))
    assert table.loc["ndka", "n_sets"] == 41
    assert table.loc["ndka", "power_observed"] == pytest.approx(direct["power"], abs=1e-12)
    back = _one(power_matched_continuous(table.loc["ndka", "or_detectable"], n_cases=41, rho=0.2))
    assert back["power"] == pytest.approx(0.8, abs=1e-9)
    assert list(sec.tables()) == ["auc", "odds_ratio_per_sd"]
    same = sample_size_section(roc, odds_ratios={"ndka": value}, rho=0.2).odds_ratios
    assert same.loc[0, "power_observed"] == pytest.approx(direct["power"], abs=1e-12)
    per_unit = logistic_or(data, ["ndka"], outcome="case", adjust=(), per="unit")
    with pytest.raises(DataError, match="per SD"):
        sample_size_section(roc, odds_ratios=per_unit)
