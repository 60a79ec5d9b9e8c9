"""Covariate-adjusted ROC: the placement-value definition by brute force (every case × control
pair of residuals), the binormal closed form, strata, the location–scale model, the bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import ovcfstats as ov
from ovcfstats import DataError


def _tied_data(seed: int, n: int = 80) -> pd.DataFrame:
    """Integer readings and ages (many ties, duplicated rows) and a text covariate."""
    rng = np.random.default_rng(seed)
    case = np.r_[np.ones(n // 2, int), np.zeros(n - n // 2, int)]
    age = rng.integers(60, 66, n)
    sex = rng.choice(["F", "M"], n)
    hu = rng.integers(0, 6, n) - case + (sex == "M") + (age - 60) // 2
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "case": case,
            "age": age,
            "sex": sex,
            "hu": hu.astype(float),
            "pair_id": np.r_[np.arange(n // 2), np.arange(n - n // 2)],
        }
    )


def _brute(df: pd.DataFrame, x: str, covariates: list[str], lower: bool, strata=None) -> float:
    """1 − mean placement value, from every case × control pair of residuals."""
    cols = [np.ones(len(df))]
    for c in covariates:
        v = df[c]
        numeric = pd.api.types.is_numeric_dtype(v)
        cols.append(v.to_numpy(float) if numeric else (v == "M").to_numpy(float))
    design = np.column_stack(cols)
    y = df[x].to_numpy(float) * (-1.0 if lower else 1.0)
    ctrl = df["case"].to_numpy() == 0
    beta = np.linalg.lstsq(design[ctrl], y[ctrl], rcond=None)[0]
    r = y - (design * beta).sum(axis=1)
    pv = []
    for i in np.flatnonzero(~ctrl):
        js = [j for j in np.flatnonzero(ctrl) if strata is None or df[strata][j] == df[strata][i]]
        above = sum(1.0 if r[j] > r[i] else 0.5 if r[j] == r[i] else 0.0 for j in js)
        pv.append(above / len(js))
    return 1.0 - float(np.mean(pv))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_brute_force_placements_with_ties(seed):
    df = _tied_data(seed)
    res = ov.adjusted_auc(df, ["hu"], ["age", "sex"], ci="none")
    row = res.table.iloc[0]
    lower = row.direction == "lower"
    assert abs(row.aauc - _brute(df, "hu", ["age", "sex"], lower)) < 1e-12
    for side in ("higher", "lower"):
        got = ov.adjusted_auc(df, "hu", ["age", "sex"], ci="none", direction=side).table
        assert abs(got.aauc[0] - _brute(df, "hu", ["age", "sex"], side == "lower")) < 1e-12
    pv = res.placements["placement"].to_numpy()
    assert abs(1 - pv.mean() - row.aauc) < 1e-12
    assert len(res.placements) == row.n_cases == 40


@pytest.mark.parametrize("seed", [4, 5])
def test_brute_force_within_set_placements(seed):
    df = _tied_data(seed)
    res = ov.adjusted_auc(df, "hu", ["age", "sex"], ci="none", strata="pair_id")
    lower = res.table.direction[0] == "lower"
    want = _brute(df, "hu", ["age", "sex"], lower, strata="pair_id")
    assert abs(res.table.aauc[0] - want) < 1e-12


def test_no_covariates_is_the_pooled_auc():
    df = _tied_data(7)
    res = ov.adjusted_auc(df, "hu", (), ci="none").table.iloc[0]
    pooled = ov.roc_auc(df, "hu").table.iloc[0]
    assert abs(res.aauc - pooled.auc) < 1e-12
    assert abs(res.pooled_auc - pooled.auc) < 1e-12
    assert res.direction == pooled.direction


def _binormal(n: int, delta: float, hetero: bool, seed: int = 11) -> pd.DataFrame:
    """Controls N(μ(Z), σ(Z)²), cases N(μ(Z) + Δσ(Z), σ(Z)²); cases older than controls."""
    rng = np.random.default_rng(seed)
    case = np.r_[np.ones(n, int), np.zeros(n, int)]
    age = rng.uniform(55, 85, 2 * n) + 6 * case
    male = rng.integers(0, 2, 2 * n)
    sigma = np.exp(0.03 * (age - 70) + 0.3 * male) if hetero else np.ones(2 * n)
    mean = 200 - 2.0 * age + 10 * male
    y = mean + sigma * (rng.standard_normal(2 * n) - delta * case)
    return pd.DataFrame({"case": case, "age": age, "sex": np.where(male, "M", "F"), "hu": y})


def test_binormal_closed_form():
    df = _binormal(20_000, 1.0, hetero=False)
    row = ov.adjusted_auc(df, "hu", ci="none").table.iloc[0]
    truth = norm.cdf(1.0 / np.sqrt(2))  # 0.7602
    assert row.direction == "lower"
    assert abs(row.aauc - truth) < 0.01  # SE ≈ 0.003
    assert abs(row.pooled_auc - truth) > 0.05  # older cases, age spread: the pooled AUC is off


def test_location_scale_closed_form():
    df = _binormal(20_000, 1.0, hetero=True, seed=12)
    truth = norm.cdf(1.0 / np.sqrt(2))
    scaled = ov.adjusted_auc(df, "hu", ci="none", scale=True).table.aauc[0]
    assert abs(scaled - truth) < 0.01


def test_location_scale_against_statsmodels_glm():
    import statsmodels.api as sm

    df = _binormal(300, 0.8, hetero=True, seed=3)
    got = ov.adjusted_auc(df, "hu", ["age"], ci="none", scale=True, direction="lower")
    design = np.column_stack([np.ones(len(df)), df["age"]])
    y, ctrl = -df["hu"].to_numpy(), df["case"].to_numpy() == 0
    r = y - design @ np.linalg.lstsq(design[ctrl], y[ctrl], rcond=None)[0]
    fit = sm.GLM(np.abs(r[ctrl]), design[ctrl], family=sm.families.Poisson()).fit(tol=1e-14)
    z = r / np.exp(design @ fit.params)
    want = np.mean((z[~ctrl][:, None] > z[ctrl][None, :]).mean(axis=1))
    assert abs(got.table.aauc[0] - want) < 1e-8


def test_bootstrap_resamples_matched_sets():
    df = _tied_data(8)
    a = ov.adjusted_auc(df, "hu", n_boot=200, seed=1)
    b = ov.adjusted_auc(df, "hu", n_boot=200, seed=1)
    row = a.table.iloc[0]
    assert a.table.equals(b.table)
    assert row.ci_low <= row.aauc <= row.ci_high and row.se > 0
    assert a.settings["resampled"] == "sets"
    assert "matched sets ('pair_id')" in " ".join(a.notes())
    unmatched = ov.adjusted_auc(df.drop(columns="pair_id"), "hu", n_boot=200, seed=1)
    assert unmatched.settings["resampled"] == "patients"
    assert list(a.table.columns[:9]) == [
        "indicator", "direction", "aauc", "se", "ci_low", "ci_high",
        "pooled_auc", "n_cases", "n_controls",
    ]  # fmt: skip


def test_bootstrap_se_near_its_asymptotic_value():
    df = _binormal(400, 1.0, hetero=False, seed=5)
    se = ov.adjusted_auc(df, "hu", n_boot=400, seed=2).table.se[0]
    auc = norm.cdf(1 / np.sqrt(2))  # Hanley–McNeil SE of the binormal AUC at n = 400 + 400
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    hm = np.sqrt((auc * (1 - auc) + 399 * (q1 - auc**2) + 399 * (q2 - auc**2)) / 400**2)
    assert 0.7 * hm < se < 1.5 * hm


def test_missing_values_are_excluded_with_reasons():
    df = _tied_data(9)
    df.loc[0, "hu"] = np.nan
    df.loc[1, "age"] = np.nan
    df.loc[2, "sex"] = ""
    res = ov.adjusted_auc(df, "hu", ci="none")
    ex = res.excluded.set_index("id")["reason"]
    assert ex.to_dict() == {"P000": "missing hu", "P001": "missing age", "P002": "missing sex"}
    assert res.table.n_cases[0] + res.table.n_controls[0] == len(df) - 3


def test_strata_excludes_cases_without_a_control_in_their_set():
    df = _tied_data(10)
    df.loc[df["pair_id"].eq(3) & df["case"].eq(0), "hu"] = np.nan
    res = ov.adjusted_auc(df, "hu", ci="none", strata="pair_id")
    assert "pair_id 3 has no control with a value" in set(res.excluded["reason"])
    assert res.table.n_cases[0] == 39


def test_plot_has_pooled_and_adjusted_panels():
    fig = ov.adjusted_auc(_tied_data(1), ["hu"], ci="none").plot()
    assert [ax.get_title() for ax in fig.axes] == ["Pooled ROC", "Covariate-adjusted ROC"]


def test_errors():
    df = _tied_data(1)
    with pytest.raises(DataError, match="'bmi' not found"):
        ov.adjusted_auc(df, "hu", ["bmi"])
    with pytest.raises(ValueError, match="`ci` of adjusted_auc"):
        ov.adjusted_auc(df, "hu", ci="delong")
    few = df[df["case"].eq(1) | df.index.isin([40, 41])]
    with pytest.raises(DataError, match="more controls than coefficients"):
        ov.adjusted_auc(few, "hu", ["age", "sex"], ci="none")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 4), st.integers(0, 3)), min_size=8),
)
def test_sides_are_complementary(rows):
    df = pd.DataFrame(rows, columns=["case", "x", "age"])
    df.loc[:1, "case"] = [0, 1]
    df.loc[2:3, "case"] = [0, 1]
    if (df["case"] == 0).sum() < 3:
        return
    hi = ov.adjusted_auc(df, "x", ["age"], ci="none", direction="higher").table.aauc[0]
    lo = ov.adjusted_auc(df, "x", ["age"], ci="none", direction="lower").table.aauc[0]
    assert 0 <= hi <= 1 and abs(hi + lo - 1) < 1e-12


def test_bootstrap_fast_path_equals_the_full_fit():
    from ovcfstats.roc._placement import _fast_auc, adjusted_auc_of

    df = _tied_data(6, n=60)
    design = np.column_stack([np.ones(60), df["age"], (df["sex"] == "M").astype(float)])
    centred = design - np.r_[0.0, design[:, 1:].mean(axis=0)]
    y, control = -df["hu"].to_numpy(), df["case"].to_numpy() == 0
    for row in np.random.default_rng(3).integers(0, 3, (25, 60)).astype(float):
        on = row > 0
        want = adjusted_auc_of(design[on], y[on], control[on], row[on], False, None)[0]
        split = (centred[control], y[control], centred[~control], y[~control])
        got = _fast_auc(split, row[control], row[~control])
        assert abs(got - want) < 1e-12


def test_equals_rocnreg_empirical_aroc_on_data_without_ties():
    """ROCnReg 1.0-9 AROC.sp(est.cdf.h = "empirical"): lm in the healthy, residuals standardised
    by summary(fit)$sigma, u1 = 1 - ecdf(res0)(pre), AUC = 1 - mean(u1) (read from its source)."""
    rng = np.random.default_rng(11)
    n = 120
    case = np.r_[np.ones(n // 2), np.zeros(n // 2)].astype(int)
    age = rng.normal(70, 8, n)
    df = pd.DataFrame(
        {"case": case, "age": age, "hu": 200 - 1.5 * age - 25 * case + rng.normal(0, 12, n)}
    )
    design = np.column_stack([np.ones(n), age])
    healthy = case == 0
    beta, sse, *_ = np.linalg.lstsq(design[healthy], df["hu"][healthy], rcond=None)
    sigma = np.sqrt(sse[0] / (healthy.sum() - 2))
    res0 = (df["hu"][healthy] - design[healthy] @ beta).to_numpy() / sigma
    # higher HU predicts a control here: ROCnReg's marker is the one whose higher values mean
    # disease, i.e. -hu
    pre = (-(df["hu"][~healthy].to_numpy()) - design[~healthy] @ -beta) / sigma
    u1 = 1 - (-res0[None, :] <= pre[:, None]).mean(axis=1)
    rocnreg = 1 - u1.mean()
    ours = ov.adjusted_auc(df, "hu", ["age"], ci="none", direction="lower").table.aauc[0]
    assert abs(ours - rocnreg) < 1e-12
