"""Spearman with the outcome and among indicators: a hand-checked ρ, R's cor.test(exact=FALSE)
on mtcars, p.adjust, the Bonett–Wright CI, pairwise missing values, invariants, the heatmap and
bad input. Reference values: tests/reference/stats_tests.R."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from ovcfstats import (
    DataError,
    DegenerateDataWarning,
    plot_heatmap,
    spearman_matrix,
    spearman_outcome,
)

REF = Path(__file__).parent / "reference"
R = pd.read_csv(REF / "stats_results.csv").set_index("name")
MTCARS = pd.read_csv(REF / "stats_mtcars.csv")
TOL = 1e-8


def test_hand_checked_rho():
    # ranks differ by ±1 in all six places: ρ = 1 − 6·Σd²/(n(n² − 1)) = 1 − 36/210 = 29/35
    df = pd.DataFrame({"y": [1, 2, 3, 4, 5, 6], "x": [2, 1, 4, 3, 6, 5]})
    row = spearman_outcome(df, ["x"], outcome="y").table.iloc[0]
    assert row["rho"] == pytest.approx(29 / 35, abs=1e-12)
    assert row["p"] == pytest.approx(R.loc["spearman_hand", "p"], rel=TOL)
    assert row["n"] == 6


@pytest.mark.parametrize(
    ("x", "outcome", "ref"),
    [("mpg", "am", "spearman_mpg_am"), ("hp", "am", "spearman_hp_am"), ("wt", "mpg", None)],
)
def test_outcome_matches_r_cor_test_t_approximation(x, outcome, ref):
    row = spearman_outcome(MTCARS, [x], outcome=outcome).table.iloc[0]
    r = R.loc[ref or "spearman_mpg_wt"]
    assert row["rho"] == pytest.approx(r["estimate"], rel=TOL)
    assert row["p"] == pytest.approx(r["p"], rel=TOL)
    assert row["n"] == 32


def test_bonett_wright_ci():
    from scipy import stats

    row = spearman_outcome(MTCARS, ["mpg"], outcome="am", alpha=0.1).table.iloc[0]
    rho, n = R.loc["spearman_mpg_am", "estimate"], 32
    se = np.sqrt((1 + rho**2 / 2) / (n - 3))
    z = stats.norm.ppf(0.95)
    assert row["ci_low"] == pytest.approx(np.tanh(np.arctanh(rho) - z * se), rel=TOL)
    assert row["ci_high"] == pytest.approx(np.tanh(np.arctanh(rho) + z * se), rel=TOL)


def test_matrix_matches_r_with_adjustments():
    ref = pd.read_csv(REF / "stats_spearman_matrix.csv")
    indicators = ["mpg", "wt", "hp", "qsec"]
    holm = spearman_matrix(MTCARS, indicators, adjust="holm")
    bh = spearman_matrix(MTCARS, indicators, adjust="fdr_bh")
    t = holm.table
    assert t[["indicator_1", "indicator_2"]].values.tolist() == (
        ref[["indicator_1", "indicator_2"]].values.tolist()
    )
    np.testing.assert_allclose(t["rho"], ref["rho"], rtol=TOL)
    np.testing.assert_allclose(t["p"], ref["p"], rtol=TOL)
    np.testing.assert_allclose(t["p_adjusted"], ref["p_holm"], rtol=TOL)
    np.testing.assert_allclose(bh.table["p_adjusted"], ref["p_fdr_bh"], rtol=TOL)
    assert holm.rho.loc["wt", "mpg"] == holm.rho.loc["mpg", "wt"] == t.loc[0, "rho"]
    assert holm.p_adjusted.loc["qsec", "hp"] == t.loc[5, "p_adjusted"]
    assert (np.diag(holm.rho) == 1).all() and np.isnan(np.diag(holm.p)).all()
    assert (holm.n.to_numpy() == 32).all()
    assert any("holm" in line for line in holm.notes())


def test_outcome_and_matrix_agree_and_state_the_p_convention():
    out = spearman_outcome(MTCARS, ["mpg", "wt"], outcome="am")
    mat = spearman_matrix(MTCARS, ["am", "mpg", "wt"])
    assert out.table["rho"].tolist() == pytest.approx(mat.rho.loc["am", ["mpg", "wt"]].tolist())
    for res in (out, mat):
        assert any("cor.test(method = 'spearman', exact = FALSE)" in n for n in res.notes())
        assert any("Bonett–Wright" in n for n in res.notes())
    assert "p_adjusted" not in mat.table.columns and mat.p_adjusted is None


def test_missing_values_dropped_pairwise_and_listed():
    df = MTCARS.assign(patient_id=[f"P{i:02d}" for i in range(32)])
    df.loc[[0, 1], "wt"] = np.nan
    df.loc[5, "hp"] = np.nan
    df.loc[7, "am"] = np.nan
    out = spearman_outcome(df, ["wt", "hp"], outcome="am")
    assert out.table["n"].tolist() == [29, 30]
    assert out.excluded.values.tolist() == [
        ["P07", "am", "missing am"],
        ["P00", "wt", "missing wt"],
        ["P01", "wt", "missing wt"],
        ["P05", "hp", "missing hp"],
    ]
    mat = spearman_matrix(df, ["wt", "hp", "mpg"])
    assert mat.n.loc["wt", "hp"] == 29 and mat.n.loc["hp", "mpg"] == 31
    assert mat.n.loc["wt", "wt"] == 30 and mat.n.loc["mpg", "mpg"] == 32
    complete = df[["wt", "hp"]].dropna()
    ref = spearman_matrix(complete, ["wt", "hp"]).table.iloc[0]
    assert mat.table.iloc[0]["rho"] == ref["rho"]
    assert "left out of its pairs" in mat.excluded.loc[0, "reason"]


def test_perfect_correlation_has_degenerate_ci_not_an_error():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [10, 20, 30, 40, 50]})
    row = spearman_matrix(df, ["a", "b"]).table.iloc[0]
    assert [row["rho"], row["p"], row["ci_low"], row["ci_high"]] == pytest.approx(
        [1, 0, 1, 1], abs=1e-12
    )


def test_pairwise_constant_warns():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6], "b": [1.0, 1, 1, np.nan, np.nan, 2]})
    df.loc[5, "a"] = np.nan
    with pytest.warns(DegenerateDataWarning, match="constant on the 3 rows"):
        res = spearman_matrix(df, ["a", "b"])
    assert np.isnan(res.rho.loc["a", "b"]) and res.warnings


# -- invariants --------------------------------------------------------------------------------

values = st.lists(st.integers(-20, 20), min_size=6, max_size=25)


@settings(deadline=None)
@given(x=values, y=values, z=values)
def test_matrix_invariants(x, y, z):
    n = min(len(x), len(y), len(z))
    df = pd.DataFrame({"x": x[:n], "y": y[:n], "z": z[:n]}).astype(float)
    if (df.nunique() < 2).any():
        return
    res = spearman_matrix(df, ["x", "y", "z"])
    rho = res.rho.to_numpy()
    assert np.allclose(rho, rho.T) and (np.abs(rho) <= 1 + 1e-12).all()
    t = res.table
    assert ((t["p"] >= 0) & (t["p"] <= 1)).all()
    assert (t["ci_low"] <= t["rho"] + 1e-12).all() and (t["rho"] <= t["ci_high"] + 1e-12).all()
    # ranks only: a monotone transform and a reversal change nothing but the sign
    moved = df.assign(x=np.exp(df["x"] / 10), y=-df["y"])
    other = spearman_matrix(moved, ["x", "y", "z"]).rho
    assert other.loc["x", "z"] == pytest.approx(res.rho.loc["x", "z"], abs=1e-12)
    assert other.loc["x", "y"] == pytest.approx(-res.rho.loc["x", "y"], abs=1e-12)


# -- heatmap -----------------------------------------------------------------------------------


def test_heatmap_from_result_and_from_data():
    import matplotlib

    matplotlib.use("Agg")
    res = spearman_matrix(MTCARS, ["mpg", "wt", "hp"], adjust="holm")
    fig = res.plot()
    assert isinstance(fig, Figure) and res.has_plot
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "−0.89*" in texts and texts.count("1.00") == 3
    own = Figure()
    ax = own.add_subplot()
    out = plot_heatmap(MTCARS, ["mpg", "wt"], ax=ax, labels={"mpg": "MPG"}, annotate=False)
    assert out is own and [t.get_text() for t in ax.get_yticklabels()] == ["MPG", "wt"]


# -- bad input ---------------------------------------------------------------------------------


def test_bad_input():
    df = MTCARS.assign(patient_id=[f"P{i}" for i in range(32)], flat=3.0, text="x")
    with pytest.raises(DataError, match=r"column\(s\) 'bmd' not found"):
        spearman_outcome(df, ["bmd"], outcome="am")
    with pytest.raises(DataError, match=r"'flat' is constant"):
        spearman_matrix(df, ["mpg", "flat"])
    with pytest.raises(DataError, match=r"non-numeric values \('x'\) in column 'text'"):
        spearman_outcome(df, ["text"], outcome="am")
    with pytest.raises(DataError, match="fewer than two distinct values"):
        spearman_outcome(df.assign(am=1), ["mpg"], outcome="am")
    with pytest.raises(DataError, match="at least 3"):
        spearman_outcome(df.iloc[[0, 3]], ["mpg"], outcome="am")
    with pytest.raises(DataError, match="at least two indicators"):
        spearman_matrix(df, ["mpg"])
    with pytest.raises(DataError, match="listed twice"):
        spearman_matrix(df, ["mpg", "mpg"])
    with pytest.raises(ValueError, match="`adjust` of spearman_matrix"):
        spearman_matrix(df, ["mpg", "wt"], adjust="BH")
    with pytest.raises(DataError, match="pass `indicators`"):
        plot_heatmap(df)
    with pytest.raises(TypeError, match="expected a spearman_matrix"):
        plot_heatmap([1, 2, 3])


# -- exact p (R's cor.test default, AS 89): tests/reference/stats_options.R ----------------------

OPT = pd.read_csv(REF / "stats_options_results.csv").set_index(["set", "test"])
OPT_DATA = pd.read_csv(REF / "stats_options_data.csv")
SPEARMAN_SETS = sorted(
    {s for s, t in OPT.index if t == "spearman_exact"}, key=lambda s: (len(s), s)
)


@pytest.mark.parametrize("name", SPEARMAN_SETS)
def test_exact_p_matches_r_cor_test_default(name):
    d = OPT_DATA[OPT_DATA["set"] == name]
    frame = pd.DataFrame({"x": d["x"].to_numpy(), "y": d["y"].to_numpy()})
    ties = name == "spearman_ties"
    out = spearman_outcome(frame, ["x"], outcome="y", exact=True).table.iloc[0]
    assert out["p"] == pytest.approx(OPT.loc[(name, "spearman_exact"), "p"], rel=1e-10)
    mat = spearman_matrix(frame, ["x", "y"], exact=True)
    assert mat.table.loc[0, "p"] == pytest.approx(out["p"], rel=1e-12)
    if (name, "spearman_t") in OPT.index:  # the default stays the t approximation
        default = spearman_outcome(frame, ["x"], outcome="y").table.loc[0, "p"]
        assert default == pytest.approx(OPT.loc[(name, "spearman_t"), "p"], rel=1e-10)
    fallback = ties or len(d) > 1290
    res = spearman_outcome(frame, ["x"], outcome="y", exact=True)
    assert (res.settings["t_approximation"] == ["x"]) is fallback
    assert any("AS 89" in n for n in res.notes())


def test_exact_p_switches_at_r_boundaries():
    """n = 9 enumerates, n = 10 uses the series; n = 1290 AS 89, 1291 the t approximation."""
    from ovcfstats.correlation._exact import _prho

    # exact enumeration for n = 9: P(S >= 0) = 1, P(S >= max) = 1/9!
    assert _prho(240, 9, lower=False) == pytest.approx(1 / 362880, rel=1e-12)
    rng = np.random.default_rng(1)
    x = rng.permutation(1290).astype(float)
    y = x + rng.normal(0, 2000, 1290)
    frame = pd.DataFrame({"x": x, "y": y})
    assert spearman_outcome(frame, ["x"], outcome="y", exact=True).settings["t_approximation"] == []
    frame = pd.concat([frame, pd.DataFrame({"x": [5000.0], "y": [1.0]})], ignore_index=True)
    assert spearman_outcome(frame, ["x"], outcome="y", exact=True).settings["t_approximation"] == [
        "x"
    ]


@settings(deadline=None)
@given(st.integers(4, 60), st.integers(0, 10_000), st.booleans())
def test_matrix_in_one_pass_equals_pairwise_scipy(n, seed, gap):
    """Complete columns are ranked once and correlated in one matrix; columns with missing
    values go pair by pair. Both must equal scipy.stats.spearmanr on each pair."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    df = pd.DataFrame(np.round(rng.normal(size=(n, 4)), 2), columns=list("abcd"))
    df["b"] = df["a"] + np.round(rng.normal(size=n), 1)  # correlated, with ties
    if gap:
        df.loc[0, "d"] = np.nan
    res = spearman_matrix(df, list("abcd"))
    for _, row in res.table.iterrows():
        keep = df[[row["indicator_1"], row["indicator_2"]]].dropna()
        ref = stats.spearmanr(keep.iloc[:, 0], keep.iloc[:, 1])
        if np.isnan(ref.statistic):
            assert np.isnan(row["rho"])
            continue
        assert row["rho"] == pytest.approx(ref.statistic, abs=1e-12)
        assert row["p"] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
        assert row["n"] == len(keep)
