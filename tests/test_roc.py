"""ROC analysis against pROC 1.18.0 on aSAH (tests/reference/proc_asah.R), and properties."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import DataError, DegenerateDataWarning, compare_auc, roc_auc

REF = Path(__file__).parent / "reference"
MARKERS = ["wfns", "s100b", "ndka", "age"]


@pytest.fixture(scope="module")
def asah() -> pd.DataFrame:
    return pd.read_csv(REF / "aSAH.csv")


@pytest.fixture(scope="module")
def proc() -> pd.DataFrame:
    ref = pd.read_csv(REF / "proc_asah.csv")
    return ref.set_index(["kind", "name", "key"])["value"]


def test_auc_ci_se_match_proc(asah, proc):
    table = roc_auc(asah, MARKERS).table.set_index("indicator")
    for name in MARKERS:
        for key in ("auc", "ci_low", "ci_high", "se"):
            assert table.loc[name, key] == pytest.approx(proc["auc", name, key], abs=1e-12)
        assert (table.loc[name, "direction"] == "higher") == bool(
            proc["auc", name, "direction_higher"]
        )


def test_youden_matches_proc(asah, proc):
    table = roc_auc(asah, MARKERS).table.set_index("indicator")
    for name in MARKERS:
        assert table.loc[name, "cutoff"] == pytest.approx(proc["youden", name, "threshold_1"])
        for key in ("sensitivity", "specificity"):
            assert table.loc[name, key] == pytest.approx(proc["youden", name, f"{key}_1"])
        assert table.loc[name, "n_optimal_cutoffs"] == 1


@pytest.mark.parametrize("paired", [True, False])
def test_comparisons_match_proc_roc_test(asah, proc, paired):
    table = compare_auc(asah, MARKERS, paired=paired).table
    kind = "paired" if paired else "unpaired"
    checked = 0
    for row in table.itertuples():
        name = f"{row.indicator_1}_vs_{row.indicator_2}"
        if (kind, name, "z") not in proc.index:
            continue
        checked += 1
        assert row.z == pytest.approx(proc[kind, name, "z"], abs=1e-10)
        assert row.p == pytest.approx(proc[kind, name, "p"], rel=1e-9)
        if paired:
            assert row.diff_ci_low == pytest.approx(proc[kind, name, "diff_ci_low"], abs=1e-12)
            assert row.diff_ci_high == pytest.approx(proc[kind, name, "diff_ci_high"], abs=1e-12)
    assert checked == 4


def test_issue_anchor_values(asah):
    table = roc_auc(asah, ["ndka"]).table
    assert table.loc[0, "ci_low"] == pytest.approx(0.501244999271703, abs=1e-12)
    row = compare_auc(asah, ["wfns", "s100b"]).table.iloc[0]
    assert row.z == pytest.approx(2.20898359144091, abs=1e-12)
    assert row.p == pytest.approx(0.0271757822291882, abs=1e-12)


def test_lower_direction_and_cutoff_sides():
    df = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "hu": [80, 95, 120, 110, 140, 150]})
    row = roc_auc(df, "hu").table.iloc[0]
    assert row.direction == "lower"
    assert row.auc == pytest.approx(8 / 9)
    # two optima: hu < 130 (3/3 cases, 2/3 controls) and hu < 100 (2/3, 3/3); the first is shown
    assert (row.cutoff, row.cutoff_observed) == (130.0, 120.0)
    assert (row.sensitivity, row.specificity) == (1.0, pytest.approx(2 / 3))
    assert row.n_optimal_cutoffs == 2
    forced = roc_auc(df, "hu", direction="higher").table.iloc[0]
    assert forced.auc == pytest.approx(1 / 9)


def test_all_tied_optimal_cutoffs_reported():
    df = pd.DataFrame({"case": [1, 1, 0, 0], "x": [1.0, 3.0, 2.0, 0.0]})
    res = roc_auc(df, "x")
    assert res.table.loc[0, "n_optimal_cutoffs"] == len(res.cutoffs) == 2
    assert res.cutoffs["youden"].nunique() == 1


def test_omnibus_two_equal_indicators_is_zero(asah):
    df = asah.assign(copy=asah["wfns"] * 3 + 1)
    res = compare_auc(df, ["wfns", "copy", "s100b"])
    row = res.table.iloc[0]
    assert (row.z, row.p, row["diff"]) == (0.0, 1.0, 0.0)
    assert res.omnibus.loc[0, "df"] == 1


def test_omnibus_on_two_indicators_is_the_squared_paired_z(asah, proc):
    # Stata's roccomp χ² with 1 df equals the paired DeLong z² (pROC-checked above)
    res = compare_auc(asah, ["wfns", "s100b"])
    assert res.omnibus.loc[0, "chi2"] == pytest.approx(
        proc["paired", "wfns_vs_s100b", "z"] ** 2, rel=1e-10
    )
    assert res.omnibus.loc[0, "p"] == pytest.approx(proc["paired", "wfns_vs_s100b", "p"], rel=1e-8)
    assert res.omnibus.loc[0, "df"] == 1
    three = compare_auc(asah, ["wfns", "s100b", "ndka"]).omnibus.iloc[0]
    assert three["df"] == 2 and three["chi2"] >= res.omnibus.loc[0, "chi2"] - 1e-12


def test_adjust_adds_column(asah):
    res = compare_auc(asah, MARKERS, adjust="holm")
    assert (res.table["p_adjusted"] >= res.table["p"]).all()


def test_bootstrap_close_to_delong_and_reproducible(asah):
    a = roc_auc(asah, "s100b", ci="bootstrap", n_boot=2000, seed=1).table.iloc[0]
    b = roc_auc(asah, "s100b", ci="bootstrap", n_boot=2000, seed=1).table.iloc[0]
    d = roc_auc(asah, "s100b").table.iloc[0]
    assert a.ci_low == b.ci_low
    assert a.auc == d.auc
    assert a.se == pytest.approx(d.se, rel=0.1)
    assert a.ci_low == pytest.approx(d.ci_low, abs=0.02)


def test_missing_values_excluded_and_listed(asah):
    df = asah.assign(patient_id=[f"P{i}" for i in range(len(asah))])
    df.loc[[0, 5], "s100b"] = np.nan
    res = roc_auc(df, ["wfns", "s100b"])
    assert res.table.set_index("indicator").loc["s100b", ["n_cases", "n_controls"]].sum() == 111
    assert list(res.excluded["id"]) == ["P0", "P5"]
    assert set(res.excluded["reason"]) == {"missing s100b"}
    cmp = compare_auc(df, ["wfns", "s100b"])
    assert cmp.table.loc[0, "n"] == 111
    assert len(cmp.excluded) == 2


def test_constant_indicator_warns_not_crashes():
    df = pd.DataFrame({"case": [1, 1, 0, 0, 1], "x": [2.0] * 5})
    with pytest.warns(DegenerateDataWarning, match="one value"):
        res = roc_auc(df, "x")
    assert res.table.loc[0, "auc"] == 0.5
    assert res.warnings


def test_bad_input():
    df = pd.DataFrame({"case": [1, 0, 0, 0], "x": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match="1 case"):
        roc_auc(df, "x")
    with pytest.raises(DataError, match="one class"):
        roc_auc(df.assign(case=1), "x")
    with pytest.raises(DataError, match="'y' not found"):
        roc_auc(df, "y")
    with pytest.raises(ValueError, match="`ci`"):
        roc_auc(df, "x", ci="wald")
    with pytest.raises(DataError, match="two indicators"):
        compare_auc(df, ["x"])


def test_plot(asah):
    res = roc_auc(asah, MARKERS)
    fig = res.plot()
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0].startswith("wfns: AUC 0.824 (0.749–0.899)")
    assert len(fig.axes[0].lines) == 2 * len(MARKERS) + 1


# -- properties ----------------------------------------------------------------------------------
samples = st.integers(2, 25).flatmap(
    lambda m: st.tuples(
        st.lists(st.integers(-5, 5), min_size=m, max_size=m),
        st.lists(st.integers(-5, 5), min_size=2, max_size=25),
    )
)


@pytest.fixture(autouse=True)
def _quiet_degenerate():
    # generated samples may be all tied; that warning is tested on its own above
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        yield


def _frame(cases, controls, scale=1.0):
    x = np.array(cases + controls, dtype=float) * scale
    return pd.DataFrame({"case": [1] * len(cases) + [0] * len(controls), "x": x})


@settings(deadline=None)
@given(samples)
def test_auc_matches_pairwise_count_and_flip(data):
    cases, controls = data
    df = _frame(cases, controls)
    c, k = np.array(cases)[:, None], np.array(controls)[None, :]
    brute = ((c > k) + 0.5 * (c == k)).mean()
    higher = roc_auc(df, "x", direction="higher").table.loc[0, "auc"]
    assert higher == pytest.approx(brute, abs=1e-12)
    lower = roc_auc(df, "x", direction="lower").table.loc[0, "auc"]
    assert higher + lower == pytest.approx(1.0, abs=1e-12)


@settings(deadline=None)
@given(samples)
def test_monotone_transform_invariance(data):
    df = _frame(*data)
    base = roc_auc(df, "x", direction="higher").table.iloc[0]
    moved = roc_auc(df.assign(x=np.exp(df["x"] / 3) + 7), "x", direction="higher").table.iloc[0]
    for key in ("auc", "se", "sensitivity", "specificity"):
        assert moved[key] == pytest.approx(base[key], abs=1e-12)


@settings(deadline=None)
@given(samples)
def test_self_comparison_is_null(data):
    df = _frame(*data)
    df["y"] = df["x"]
    row = compare_auc(df, ["x", "y"], direction="higher").table.iloc[0]
    assert (row.z, row.p) == (0.0, 1.0)


@settings(deadline=None)
@given(samples)
def test_youden_is_maximal(data):
    df = _frame(*data)
    res = roc_auc(df, "x", direction="higher")
    x, y = df["x"].to_numpy(), df["case"].to_numpy() == 1
    best = max((x[y] >= t).mean() + (x[~y] < t).mean() - 1 for t in np.r_[x, np.inf])
    assert res.table.loc[0, "youden"] == pytest.approx(best, abs=1e-12)
    for row in res.cutoffs.itertuples():
        sens = (x[y] > row.cutoff).mean()
        spec = (x[~y] < row.cutoff).mean()
        assert (sens, spec) == (pytest.approx(row.sensitivity), pytest.approx(row.specificity))


@settings(deadline=None)
@given(samples)
def test_flipped_placements_equal_sorting_the_negated_score(data):
    from ovcfstats.roc._delong import placements

    df = _frame(*data)
    x, y = df["x"].to_numpy(), df["case"].to_numpy() == 1
    flipped, direct = placements(x, y).flipped(), placements(-x, y)
    for key in ("v10", "v01", "thresholds", "cases_at", "controls_at"):
        np.testing.assert_allclose(getattr(flipped, key), getattr(direct, key), atol=1e-12)


def test_sensitivity_specificity_cis_are_clopper_pearson(asah):
    from scipy.stats import binomtest

    for row in roc_auc(asah, MARKERS).cutoffs.itertuples():
        for k_share, n, low, high in (
            (row.sensitivity, 41, row.sens_ci_low, row.sens_ci_high),
            (row.specificity, 72, row.spec_ci_low, row.spec_ci_high),
        ):
            ci = binomtest(round(k_share * n), n).proportion_ci(method="exact")
            assert (low, high) == (
                pytest.approx(ci.low, abs=1e-10),
                pytest.approx(ci.high, abs=1e-10),
            )


# -- omnibus chi-square for 3+ correlated AUCs: tests/reference/proc_omnibus.R --------------------


@pytest.mark.parametrize(
    ("name", "indicators"),
    [("three", ["wfns", "s100b", "ndka"]), ("four", ["wfns", "s100b", "ndka", "age"])],
)
def test_omnibus_matches_proc_covariances(asah, name, indicators):
    ref = pd.read_csv(REF / "proc_omnibus.csv")
    ref = ref[ref["set"] == name].set_index("key")["value"]
    omni = compare_auc(asah, indicators).omnibus.iloc[0]
    assert omni["chi2"] == pytest.approx(ref["chi2"], rel=1e-8)
    assert omni["df"] == ref["df"]
    assert omni["p"] == pytest.approx(ref["p"], rel=1e-8)
    # the covariances between the AUCs matter: without them the statistic is another number
    assert abs(ref["chi2"] - ref["chi2_without_covariances"]) > 0.5


def test_delong_covariance_matches_proc_var_and_cov(asah):
    from ovcfstats.roc._delong import delong_covariance, placements

    ref = pd.read_csv(REF / "proc_omnibus.csv")
    ref = ref[ref["set"] == "four"].set_index("key")["value"]
    names = ["wfns", "s100b", "ndka", "age"]
    y = asah["case"].to_numpy() == 1
    comps = []
    for name in names:
        res = compare_auc(asah, [name, "age" if name != "age" else "wfns"])
        sign = 1 if res.settings["direction"][name] == "higher" else -1
        comps.append(placements(sign * asah[name].to_numpy(float), y))
    cov = delong_covariance(comps)
    for i, a in enumerate(names):
        for j in range(i, len(names)):
            assert cov[i, j] == pytest.approx(ref[f"cov_{a}_{names[j]}"], rel=1e-8)


def test_delong_ci_is_clipped_to_the_unit_interval():
    """Near-perfect separation: AUC + z·SE passes 1; pROC clips the CI at 1 (and at 0)."""
    df = pd.DataFrame({"case": [1] * 6 + [0] * 6, "x": [5, 6, 7, 8, 9, 3.5, 1, 2, 3, 4, 4.5, 0]})
    row = roc_auc(df, "x").table.iloc[0]
    assert row["auc"] + 1.96 * row["se"] > 1
    assert row["ci_high"] == 1.0 and row["ci_low"] < row["auc"]
    low = roc_auc(df.assign(x=-df["x"]), "x", direction="higher").table.iloc[0]
    assert low["ci_low"] == 0.0
