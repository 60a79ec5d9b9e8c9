"""Bland–Altman and Lin's ccc against epiR 2.0.57 and R (tests/reference/agreement_epir.R) and
against the published PEFR example of Bland & Altman (1986)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import (
    DataError,
    SmallSampleWarning,
    agreement_pairs,
    agreement_section,
    bland_altman,
    concordance,
)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def pefr() -> pd.DataFrame:
    return pd.read_csv(REF / "agreement_pefr.csv")


@pytest.fixture(scope="module")
def reps() -> pd.DataFrame:
    return pd.read_csv(REF / "agreement_reps.csv")


@pytest.fixture(scope="module")
def ref() -> pd.Series:
    return pd.read_csv(REF / "agreement_epir.csv").set_index(["data", "key"])["value"]


def _limits(res) -> pd.DataFrame:
    return res.table.set_index("statistic")


def test_pefr_matches_epir_and_r(pefr, ref):
    lim = _limits(bland_altman(pefr, "wright", "mini", id_col="subject"))
    assert lim.loc["bias", "estimate"] == pytest.approx(ref["pefr", "bias"], abs=1e-10)
    assert lim.loc["bias", "sd_diff"] == pytest.approx(ref["pefr", "sd_diff"], abs=1e-10)
    for stat in ("loa_lower", "loa_upper"):
        assert lim.loc[stat, "estimate"] == pytest.approx(ref["pefr", stat], abs=1e-10)
        for end in ("low", "high"):
            assert lim.loc[stat, f"ci_{end}"] == pytest.approx(
                ref["pefr", f"{stat}_ci_{end}_approx"], abs=1e-8
            )
            assert lim.loc[stat, f"ci_{end}_exact"] == pytest.approx(
                ref["pefr", f"{stat}_ci_{end}_exact"], abs=1e-6
            )
    assert lim.loc["bias", "ci_low"] == pytest.approx(ref["pefr", "bias_ci_low"], abs=1e-10)
    assert lim.loc["bias", "ci_high"] == pytest.approx(ref["pefr", "bias_ci_high"], abs=1e-10)


def test_pefr_reproduces_the_published_lancet_figures(pefr):
    # Bland & Altman (1986): limits at mean ± 2 SD, all figures printed to one decimal
    res = bland_altman(pefr, "wright", "mini", id_col="subject", multiplier=2)
    lim = _limits(res)
    published = {
        "bias": (-2.1, -22.0, 17.8),
        "loa_lower": (-79.7, -114.3, -45.1),
        "loa_upper": (75.5, 40.9, 110.1),
    }
    # the paper works from rounded figures: limits −2.1 ± 2 × 38.8, intervals ± 2.12 × SE
    shift = {"bias": 0, "loa_lower": -2, "loa_upper": 2}
    for stat, values in published.items():
        est = round(lim.loc["bias", "estimate"], 1) + shift[stat] * round(
            lim.loc["bias", "sd_diff"], 1
        )
        half = 2.12 * round(lim.loc[stat, "se"], 1)
        assert (est, est - half, est + half) == pytest.approx(values, abs=0.051)
        # and the unrounded figures are within the paper's rounding of them
        got = lim.loc[stat, ["estimate", "ci_low", "ci_high"]].to_numpy(float)
        assert got == pytest.approx(values, abs=0.2)
    assert lim.loc["bias", "sd_diff"] == pytest.approx(38.8, abs=0.05)
    assert lim.loc["loa_upper", "se"] == pytest.approx(16.3, abs=0.05)


def test_proportional_bias_matches_lm(pefr, ref):
    prop = bland_altman(pefr, "wright", "mini").proportional.set_index("term")
    assert prop.loc["slope", "estimate"] == pytest.approx(ref["pefr", "slope"], abs=1e-10)
    assert prop.loc["slope", "se"] == pytest.approx(ref["pefr", "slope_se"], abs=1e-10)
    assert prop.loc["slope", "p"] == pytest.approx(ref["pefr", "slope_p"], abs=1e-10)
    assert prop.loc["slope", "ci_low"] == pytest.approx(ref["pefr", "slope_ci_low"], abs=1e-10)
    assert prop.loc["slope", "ci_high"] == pytest.approx(ref["pefr", "slope_ci_high"], abs=1e-10)
    assert prop.loc["intercept", "estimate"] == pytest.approx(ref["pefr", "intercept"], abs=1e-8)


@pytest.mark.parametrize("n", [5, 10, 20, 50, 100])
def test_exact_factors_match_r_noncentral_t(ref, n):
    # standardised differences (mean 0, SD 1): the exact CI of the upper limit is [k_low, k_high]
    raw = np.random.default_rng(n).normal(size=n)
    d = (raw - raw.mean()) / raw.std(ddof=1)
    lim = _limits(bland_altman(pd.DataFrame({"a": d, "b": 0.0}), "a", "b"))
    assert lim.loc["loa_upper", "ci_low_exact"] == pytest.approx(
        ref["tolerance", f"k_low_n{n}"], abs=1e-6
    )
    assert lim.loc["loa_upper", "ci_high_exact"] == pytest.approx(
        ref["tolerance", f"k_high_n{n}"], abs=1e-6
    )
    assert lim.loc["loa_lower", "ci_low_exact"] == pytest.approx(
        -ref["tolerance", f"k_high_n{n}"], abs=1e-6
    )


@pytest.mark.parametrize(("n", "k"), [(10, 2.911), (20, 2.396)])
def test_exact_limit_is_the_published_one_sided_tolerance_factor(n, k):
    # Natrella (1963), NBS Handbook 91, Table A-7: one-sided normal tolerance factors for
    # P = 0.95, γ = 0.95. The exact upper bound of a 90% CI of a 90%-coverage upper limit
    # (z = 1.645) is that factor.
    raw = np.random.default_rng(1).normal(size=n)
    d = (raw - raw.mean()) / raw.std(ddof=1)
    res = bland_altman(pd.DataFrame({"a": d, "b": 0.0}), "a", "b", alpha=0.10, coverage=0.90)
    assert _limits(res).loc["loa_upper", "ci_high_exact"] == pytest.approx(k, abs=5e-4)


@pytest.mark.parametrize("name", ["pefr", "reps_unbalanced", "reps_balanced"])
def test_ccc_matches_epi_ccc(pefr, reps, ref, name):
    if name == "pefr":
        data, x, y = pefr, "wright", "mini"
    else:
        data, x, y = reps[reps["design"] == name.split("_")[1]], "x", "y"
    row = concordance(data, x, y).table.iloc[0]
    pairs = {
        "ccc": "ccc_z", "ci_low": "ccc_low_z", "ci_high": "ccc_high_z",
        "ci_low_asymptotic": "ccc_low_asym", "ci_high_asymptotic": "ccc_high_asym",
        "scale_shift": "scale_shift", "location_shift": "location_shift", "c_b": "c_b",
    }  # fmt: skip
    for ours, theirs in pairs.items():
        assert row[ours] == pytest.approx(ref[name, theirs], abs=1e-10), ours


def test_repeated_balanced_equals_epir_rep_measure(reps, ref):
    # with the same number of pairs per subject, Zou's variance decomposition equals the
    # Bland & Altman (2007) one epiR uses, and the bias is the overall mean in both
    data = reps[reps["design"] == "balanced"]
    lim = _limits(bland_altman(data, "x", "y", subject="subject", id_col="subject"))
    assert lim.loc["bias", "estimate"] == pytest.approx(ref["reps_balanced", "bias"], abs=1e-10)
    assert lim.loc["bias", "sd_diff"] == pytest.approx(ref["reps_balanced", "sd_diff"], abs=1e-10)
    for stat in ("loa_lower", "loa_upper"):
        assert lim.loc[stat, "estimate"] == pytest.approx(ref["reps_balanced", stat], abs=1e-10)
    assert lim.loc["bias", "n_subjects"] == 10 and lim.loc["bias", "n_pairs"] == 30


def test_repeated_unbalanced_decomposition_by_hand(reps):
    data = reps[reps["design"] == "unbalanced"]
    res = bland_altman(data, "x", "y", subject="subject", id_col="subject")
    lim = _limits(res)
    d = (data["x"] - data["y"]).to_numpy()
    g = data["subject"].to_numpy()
    means = pd.Series(d).groupby(g).mean()
    counts = pd.Series(d).groupby(g).size()
    within = sum(((d[g == s] - means[s]) ** 2).sum() for s in means.index) / (d.size - len(means))
    m_h = len(counts) / (1 / counts).sum()
    sd = np.sqrt(means.var(ddof=1) + (1 - 1 / m_h) * within)
    assert lim.loc["bias", "estimate"] == pytest.approx(means.mean(), abs=1e-10)
    assert lim.loc["bias", "sd_diff"] == pytest.approx(sd, abs=1e-10)
    z = 1.959963984540054
    assert lim.loc["loa_upper", "estimate"] == pytest.approx(means.mean() + z * sd, abs=1e-9)
    for stat in ("bias", "loa_lower", "loa_upper"):
        assert lim.loc[stat, "ci_low"] < lim.loc[stat, "estimate"] < lim.loc[stat, "ci_high"]
    assert lim["ci_low_exact"].isna().all()
    assert "(Zou 2013)" in " ".join(res.notes())


def test_missing_readings_are_excluded_with_reason(pefr):
    data = pefr.copy()
    data.loc[3, "mini"] = np.nan
    res = bland_altman(data, "wright", "mini", id_col="subject")
    assert res.table.loc[0, "n_pairs"] == 16
    assert res.excluded.to_dict("records") == [
        {"id": 4, "variable": "mini", "reason": "missing mini"}
    ]


def test_bad_input_raises_clear_errors(pefr):
    with pytest.raises(DataError, match="need ≥ 3"):
        bland_altman(pefr.head(2), "wright", "mini")
    with pytest.raises(DataError, match="'nope'"):
        bland_altman(pefr, "wright", "nope")
    bad = pefr.astype({"mini": object})
    bad.loc[0, "mini"] = "n/a"
    with pytest.raises(DataError, match="non-numeric"):
        concordance(bad, "wright", "mini")
    with pytest.raises(DataError, match="constant"):
        concordance(pefr.assign(mini=1.0), "wright", "mini")
    with pytest.raises(DataError, match="one pair per subject"):
        bland_altman(pefr, "wright", "mini", subject="subject")
    with pytest.raises(ValueError, match="alpha"):
        bland_altman(pefr, "wright", "mini", alpha=1.5)


def test_few_pairs_warn(pefr):
    with pytest.warns(SmallSampleWarning, match="only 4 pairs"):
        res = bland_altman(pefr.head(4), "wright", "mini")
    assert res.warnings


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=5, max_size=30))
def test_swapping_readings_mirrors_the_limits(pairs):
    data = pd.DataFrame(pairs, columns=["a", "b"])
    d = data["a"] - data["b"]
    if d.std() < 1e-6 or data["a"].std() < 1e-3 or data["b"].std() < 1e-3:
        return
    ab, ba = _limits(bland_altman(data, "a", "b")), _limits(bland_altman(data, "b", "a"))
    assert ab.loc["bias", "estimate"] == pytest.approx(-ba.loc["bias", "estimate"], abs=1e-9)
    assert ab.loc["loa_upper", "ci_high_exact"] == pytest.approx(
        -ba.loc["loa_lower", "ci_low_exact"], abs=1e-6
    )
    for stat in ("loa_lower", "loa_upper"):
        row = ab.loc[stat]
        assert row["ci_low_exact"] <= row["estimate"] <= row["ci_high_exact"]
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    c1, c2 = concordance(data, "a", "b").table.iloc[0], concordance(data, "b", "a").table.iloc[0]
    assert c1["ccc"] == pytest.approx(c2["ccc"], abs=1e-12)
    assert abs(c1["ccc"]) <= abs(c1["r"]) + 1e-12


def _measurements() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(3)
    for p in range(1, 9):
        for level in ("L1", "L2"):
            true = rng.normal(120, 30)
            rows.append((f"P{p}", level, "R1", 1, true + rng.normal(0, 3)))
            if not (p == 8 and level == "L2"):
                rows.append((f"P{p}", level, "R2", 1, true + 2 + rng.normal(0, 3)))
            if p <= 4:
                rows.append((f"P{p}", level, "R1", 2, true + rng.normal(0, 3)))
    m = pd.DataFrame(rows, columns=["patient_id", "level", "rater", "session", "value"])
    return m.assign(measure="hu", muscle="", side="")


def test_pairs_and_section_from_the_long_table():
    m = _measurements()
    inter = agreement_pairs(m, "hu")
    assert list(inter.columns) == ["patient_id", "level", "muscle", "side", "R1", "R2"]
    assert len(inter) == 16 and inter["R2"].isna().sum() == 1
    intra = agreement_pairs(m, "hu", kind="intra")
    assert list(intra.columns[-2:]) == ["session 1", "session 2"] and len(intra) == 8
    res = agreement_section(m, measures=["hu", "csa_disc"])
    row = res.table.iloc[0]
    assert (row["measure"], row["n_pairs"], row["n_subjects"]) == ("hu", 15, 8)
    direct = bland_altman(inter, "R1", "R2", subject="patient_id")
    assert row["loa_upper"] == pytest.approx(_limits(direct).loc["loa_upper", "estimate"])
    assert res.excluded.to_dict("records") == [
        {"id": "P8", "variable": "hu", "reason": "no R2 reading of the region"}
    ]
    assert res.plot() is not None and res.details["hu"].plot() is not None
    assert "Bland–Altman" in res.details["hu"].summary()
    with pytest.raises(DataError, match="two raters"):
        agreement_pairs(m, "hu", raters=("R1", "R9"))
    with pytest.raises(DataError, match="no readings"):
        agreement_pairs(m, "si_csf")


@pytest.mark.parametrize("design", ["unbalanced", "balanced"])
def test_repeated_limits_match_zou_mover(reps, ref, design):
    data = reps[reps["design"] == design]
    lim = _limits(bland_altman(data, "x", "y", subject="subject", id_col="subject"))
    name = f"reps_{design}"
    assert lim.loc["bias", "sd_diff"] == pytest.approx(ref[name, "zou_sd"], abs=1e-10)
    for stat in ("bias", "loa_lower", "loa_upper"):
        assert lim.loc[stat, "estimate"] == pytest.approx(ref[name, f"zou_{stat}"], abs=1e-10)
        for end in ("low", "high"):
            assert lim.loc[stat, f"ci_{end}"] == pytest.approx(
                ref[name, f"zou_{stat}_ci_{end}"], abs=1e-8
            )


def test_section_compares_the_named_raters_in_their_order():
    m = _measurements()
    ab = agreement_section(m, measures=["hu"]).table.iloc[0]
    ba = agreement_section(m, measures=["hu"], raters=("R2", "R1")).table.iloc[0]
    assert (ba["x"], ba["y"]) == ("R2", "R1")
    assert ba["bias"] == pytest.approx(-ab["bias"], abs=1e-12)
    assert ba["loa_upper"] == pytest.approx(-ab["loa_lower"], abs=1e-12)
    assert ba["ccc"] == pytest.approx(ab["ccc"], abs=1e-12)
