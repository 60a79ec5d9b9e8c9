"""Multiple imputation and Rubin's rules: equal to mice::pool, exact without holes, bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ovcfstats as ov
from ovcfstats import DataError, Imputed, impute, logistic_or
from ovcfstats._pool import d2, rubin

REF = Path(__file__).parent / "reference"


def _imputed(tables: list[pd.DataFrame]) -> Imputed:
    """An Imputed holding given completed tables (the engine is not under test here)."""
    return Imputed(table=pd.DataFrame(), datasets=tuple(tables), settings={"m": len(tables)})


@pytest.fixture(scope="module")
def completed() -> Imputed:
    long = pd.read_csv(REF / "impute_completed.csv")
    return _imputed([d.drop(columns="imp").reset_index(drop=True) for _, d in long.groupby("imp")])


@pytest.fixture(scope="module")
def mice_pool() -> pd.DataFrame:
    return pd.read_csv(REF / "impute_pool.csv")


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        ("glm", {"indicators": "hu", "adjust": ("age", "sex", "bmi")}),
        ("clogit", {"indicators": "hu", "adjust": ("bmi",), "conditional": True}),
        ("crude", {"indicators": "bmi", "adjust": ()}),
    ],
)
def test_pooled_logistic_equals_mice_pool(completed, mice_pool, model, kwargs):
    res = _quiet(logistic_or, completed, **kwargs)
    ours = res.coefficients.assign(term=lambda c: c["term"].str.replace("sex=M", "sexM"))
    ref = mice_pool[mice_pool["model"] == model].set_index("term")
    ours = ours.set_index("term").loc[ref.index]
    np.testing.assert_allclose(ours["beta"], ref["estimate"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours["se"], ref["std.error"], rtol=1e-8)
    np.testing.assert_allclose(ours["b"], ref["b"], rtol=1e-6)
    np.testing.assert_allclose(ours["dfcom"], ref["dfcom"], rtol=0)
    np.testing.assert_allclose(ours["df"], ref["df"], rtol=1e-6)
    np.testing.assert_allclose(ours["p"], ref["p.value"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours["fmi"], ref["fmi"], rtol=1e-6)
    row = res.table.iloc[0]
    assert row["m"] == 5 and row["ci"] == "rubin"
    with_e = _quiet(logistic_or, completed, **kwargs, evalue=True).table.iloc[0]
    assert with_e["evalue"] == pytest.approx(ov.evalue(row["or"], row["ci_low"], row["ci_high"])
                                             .table["evalue"].iloc[0], rel=1e-12)
    assert "Pooled over m = 5 imputations" in res.summary()


def test_rubin_by_hand():
    q = np.array([1.0, 1.2, 0.8, 1.1])
    u = np.array([0.04, 0.05, 0.03, 0.04])
    out = rubin(q, u, dfcom=40).iloc[0]
    b = np.var(q, ddof=1)
    t = u.mean() + 1.25 * b
    lam = 1.25 * b / t
    nu_old, nu_obs = 3 / lam**2, 41 / 43 * 40 * (1 - lam)
    assert out["t"] == pytest.approx(t, rel=1e-12)
    assert out["df"] == pytest.approx(nu_old * nu_obs / (nu_old + nu_obs), rel=1e-12)
    with pytest.raises(ValueError, match="at least 2"):
        rubin([1.0], [0.1])


def test_d2_equals_mitml():
    for row in pd.read_csv(REF / "impute_d2.csv").itertuples():
        stat, k, df2, p = d2([float(v) for v in row.chisq.split(";")], row.k)
        assert (stat, k) == (pytest.approx(row.F, rel=1e-10), row.k)
        assert df2 == pytest.approx(row.v, rel=1e-10) and p == pytest.approx(row.p, rel=1e-8)


def test_d2_reduces_to_the_chi_square_when_imputations_agree():
    from scipy.stats import chi2

    stat, df1, df2, p = d2([5.0, 5.0, 5.0], 2)
    assert (stat, df1, df2) == (2.5, 2, np.inf) and p == pytest.approx(chi2.sf(5.0, 2))
    stat, _, df2, p = d2([3.0, 6.0, 4.5, 5.0], 1)
    assert 0 < p < 1 and np.isfinite(df2) and stat < 4.625


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(2, 4))
def test_no_holes_pooled_equals_complete_data(seed, m):
    rng = np.random.default_rng(seed)
    n = 60
    df = pd.DataFrame({"case": np.tile([0, 1], n // 2), "age": rng.normal(70, 8, n)})
    df["hu"] = 150 - 30 * df["case"] + rng.normal(0, 25, n)
    imp = impute(df, m=m, seed=seed)
    assert imp.table.empty and all(d.equals(df) for d in imp.datasets)
    one = _quiet(logistic_or, df, "hu", adjust=("age",))
    pooled = _quiet(logistic_or, imp, "hu", adjust=("age",))
    assert (pooled.coefficients["b"] == 0).all()
    np.testing.assert_array_equal(pooled.table["beta"], one.table["beta"])
    np.testing.assert_array_equal(pooled.table["se"], one.table["se"])
    np.testing.assert_array_equal(pooled.table["or"], one.table["or"])


def _holes(n: int = 150, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(n)],
        "case": rng.integers(0, 2, n),
        "age": rng.normal(70, 8, n),
        "sex": rng.choice(["F", "M"], n),
    })
    df["hu"] = 150 - 30 * df["case"] + rng.normal(0, 25, n)
    df["bmi"] = rng.normal(24, 3, n)
    df.loc[::5, "hu"] = np.nan
    df.loc[1::9, "sex"] = None
    return df


def test_impute_fills_holes_from_observed_values_and_is_seeded():
    df = _holes()
    imp = impute(df, m=3, seed=5)
    again = impute(df, m=3, seed=5)
    assert all(a.equals(b) for a, b in zip(imp.datasets, again.datasets, strict=True))
    assert list(imp.table["variable"]) == ["sex", "hu"]
    assert list(imp.table["kind"]) == ["logistic", "pmm"]
    for d in imp.datasets:
        assert d[["hu", "sex"]].notna().all().all()
        assert set(d["sex"]) == {"F", "M"}
        assert d.loc[imp.missing["hu"], "hu"].isin(df["hu"].dropna()).all()  # PMM: donors' values
        pd.testing.assert_frame_equal(d[["case", "age", "bmi"]], df[["case", "age", "bmi"]])
    assert not imp.datasets[0]["hu"].equals(imp.datasets[1]["hu"])
    drawn = impute(df, m=2)
    assert drawn.settings["seed_drawn"] and "drawn for this run" in drawn.summary()
    assert impute(df, m=2, seed=drawn.settings["seed"]).datasets[1].equals(drawn.datasets[1])
    assert imp.plot().axes and imp.settings["predictors"] == ("case", "age", "bmi")


def test_imputations_follow_their_predictors():
    rng = np.random.default_rng(7)
    n = 300
    x = rng.normal(0, 1, n)
    df = pd.DataFrame({
        "case": rng.integers(0, 2, n),
        "x": x,
        "y": 3 * x + rng.normal(0, 0.5, n),
        "flag": np.where(x + rng.normal(0, 0.3, n) > 0, "yes", "no"),
    })
    gone_y, gone_flag = rng.random(n) < 0.3, rng.random(n) < 0.3
    df.loc[gone_y, "y"] = np.nan
    df.loc[gone_flag, "flag"] = None
    imp = impute(df, m=2, seed=3)
    for d in imp.datasets:
        assert np.corrcoef(d.loc[gone_y, "x"], d.loc[gone_y, "y"])[0, 1] > 0.9
        agree = (d.loc[gone_flag, "flag"] == np.where(x[gone_flag] > 0, "yes", "no")).mean()
        assert agree > 0.8


def test_missing_outcome_is_excluded_never_imputed():
    df = _holes()
    df["case"] = df["case"].astype(float)
    df.loc[[4, 7], "case"] = np.nan
    imp = impute(df, m=2, seed=1)
    assert list(imp.excluded["id"]) == ["P4", "P7"]
    assert "never imputed" in imp.excluded["reason"].iloc[0]
    assert all(len(d) == len(df) - 2 for d in imp.datasets)
    res = _quiet(logistic_or, imp, "hu", adjust=("age",))
    assert {"P4", "P7"} <= set(res.excluded["id"])
    with pytest.raises(DataError, match="never imputed"):
        impute(df, ["case", "hu"], m=2, seed=1)


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        (lambda d: d.assign(bmi=np.nan), {"columns": ["bmi", "hu"]}, DataError, "'bmi' has 0"),
        (lambda d: d, {"m": 1}, ValueError, "≥ 2"),
        (lambda d: d.assign(hu2=2 * d["hu"] + 1), {}, DataError, "linear combination"),
        (lambda d: d.assign(one=1.0), {}, DataError, "'one' is constant"),
        (lambda d: d.assign(grade=np.resize(["a", "b", "c"], len(d))).assign(
            grade=lambda x: x["grade"].where(x.index % 4 > 0)), {"columns": ["grade"]},
         DataError, "3 text levels"),
        (lambda d: d, {"predictors": ["hu"], "columns": ["sex"]}, DataError, "add it to"),
    ],
)
def test_bad_input_says_what_to_do(change, kwargs, error, match):
    with pytest.raises(error, match=match):
        impute(change(_holes()), **{"m": 2, "seed": 1, **kwargs})


def test_or_per_sd_uses_one_scale_for_every_imputation(completed):
    sd = np.mean([d["hu"].std(ddof=1) for d in completed.datasets])
    per_sd = _quiet(logistic_or, completed, "hu", adjust=("age",), per="sd").table.iloc[0]
    per_unit = _quiet(logistic_or, completed, "hu", adjust=("age",)).table.iloc[0]
    assert per_sd["beta"] == pytest.approx(per_unit["beta"] * sd, rel=1e-9)
    assert per_sd["p"] == pytest.approx(per_unit["p"], rel=1e-9)
    assert per_sd["per"] == f"1 SD = {sd:.4g}"


def test_profile_ci_has_no_pooling_rule():
    imp = impute(_holes(), m=2, seed=1)
    with pytest.raises(ValueError, match="ci='wald'"):
        logistic_or(imp, "hu", adjust=("age",), ci="profile")


def test_public_name():
    assert ov.impute is impute and ov.Imputed is Imputed


def _rubin_by_hand(q: np.ndarray, u: np.ndarray) -> tuple[float, float, float]:
    """Q̄, T and ν (infinite complete-data df) written out, for the transformed-scale checks."""
    m = len(q)
    b = q.var(ddof=1)
    t = u.mean() + (1 + 1 / m) * b
    return q.mean(), t, (m - 1) / max((1 + 1 / m) * b / t, 1e-4) ** 2


def test_pooled_auc_is_rubin_on_the_logit_scale(completed):
    from scipy.special import expit, logit
    from scipy.stats import t as t_dist

    res = ov.roc_auc(completed, ["hu", "bmi"])
    for i, name in enumerate(["hu", "bmi"]):
        single = [ov.roc_auc(d, [name], direction=res.table.loc[i, "direction"]).table.iloc[0]
                  for d in completed.datasets]
        a = np.array([r["auc"] for r in single])
        se = np.array([r["se"] for r in single])
        q, t, nu = _rubin_by_hand(logit(a), (se / (a * (1 - a))) ** 2)
        half = t_dist.ppf(0.975, nu) * np.sqrt(t)
        got = res.table.iloc[i]
        assert got["auc"] == pytest.approx(expit(q), rel=1e-12)
        assert got["ci_low"] == pytest.approx(expit(q - half), rel=1e-10)
        assert got["ci_high"] == pytest.approx(expit(q + half), rel=1e-10)
        assert got["df"] == pytest.approx(nu, rel=1e-10)
    assert "pooled over m = 5" in res.summary()


def test_pooled_auc_difference(completed):
    res = ov.compare_auc(completed, ["hu", "bmi"])
    single = [ov.compare_auc(d, ["hu", "bmi"], direction=res.settings["direction"]).table.iloc[0]
              for d in completed.datasets]
    q, t, nu = _rubin_by_hand(np.array([r["diff"] for r in single]),
                              np.array([r["se"] for r in single]) ** 2)
    got = res.table.iloc[0]
    assert (got["diff"], got["se"] ** 2, got["df"]) == (
        pytest.approx(q, rel=1e-12), pytest.approx(t, rel=1e-12), pytest.approx(nu, rel=1e-10))


def test_pooled_spearman_is_rubin_on_fisher_z(completed):
    res = ov.spearman_outcome(completed, ["hu"])
    single = [ov.spearman_outcome(d, ["hu"]).table.iloc[0] for d in completed.datasets]
    rho = np.array([r["rho"] for r in single])
    n = single[0]["n"]
    q, _, nu = _rubin_by_hand(np.arctanh(rho), (1 + rho**2 / 2) / (n - 3))
    assert res.table.loc[0, "rho"] == pytest.approx(np.tanh(q), rel=1e-12)
    assert res.table.loc[0, "df"] == pytest.approx(nu, rel=1e-10)
    mat = ov.spearman_matrix(completed, ["hu", "bmi", "age"])
    pair = mat.table.set_index(["indicator_1", "indicator_2"]).loc[("hu", "bmi")]
    single = [ov.spearman_matrix(d, ["hu", "bmi"]).table.iloc[0] for d in completed.datasets]
    rho = np.array([r["rho"] for r in single])
    q, _, _ = _rubin_by_hand(np.arctanh(rho), (1 + rho**2 / 2) / (n - 3))
    assert pair["rho"] == pytest.approx(np.tanh(q), rel=1e-12)
    assert mat.rho.loc["bmi", "hu"] == pytest.approx(np.tanh(q), rel=1e-12)


def test_pooled_table1(completed):
    res = ov.compare_groups(completed, ["age", "sex", "hu", "bmi"])
    single = [ov.compare_groups(d, ["age", "sex", "hu", "bmi"]).table for d in completed.datasets]
    hu = res.table.set_index("variable").loc["hu"]
    assert hu["mean_1"] == pytest.approx(np.mean([t.loc[3, "mean_1"] for t in single]))
    assert hu["sd_0"] == pytest.approx(np.sqrt(np.mean([t.loc[3, "sd_0"] ** 2 for t in single])))
    diffs = np.array([t.loc[3, "diff"] for t in single])
    assert hu["diff"] == pytest.approx(diffs.mean())
    assert hu["test"] == "paired t (pooled)" and hu["p"] < 1e-6
    sex = res.table[res.table["variable"] == "sex"].iloc[0]
    chis = [t.loc[1, "statistic"] for t in single]
    assert sex["p"] == pytest.approx(d2(chis, 1)[3], rel=1e-6)
    assert "D2 rule" in res.summary() and "Pooled over m = 5" in res.summary()
    from scipy.stats import chi2

    rank = ov.compare_groups(completed, ["hu"], pair=None, tests={"hu": "wilcoxon"})
    ps = [ov.compare_groups(d, ["hu"], pair=None, tests={"hu": "wilcoxon"}).table.loc[0, "p"]
          for d in completed.datasets]
    assert rank.table.loc[0, "p"] == pytest.approx(d2(chi2.isf(ps, 1), 1)[3], rel=1e-10)
    assert rank.table.loc[0, "test"] == "Mann-Whitney U (pooled)"


def test_pooled_or_covers_the_truth_where_complete_cases_are_biased():
    """Under MAR (missingness driven by the outcome and an observed covariate) complete-case
    analysis of an indicator whose holes depend on the outcome and the covariate biases the
    covariate-free OR; imputation recovers it.

    Design: 12 seeded replications of 400 patients, log OR of x = −1 per unit (true), x missing
    with probability 0.7 in cases with high z, where z is a strong observed predictor of x.
    """
    rng = np.random.default_rng(20281)
    covered, cc_covered, cc_betas, mi_betas = 0, 0, [], []
    reps = 12
    for _ in range(reps):
        n = 400
        z = rng.normal(0, 1, n)
        x = 0.8 * z + rng.normal(0, 0.6, n)
        y = (rng.random(n) < 1 / (1 + np.exp(-(-0.0 - 1.0 * x)))).astype(int)
        df = pd.DataFrame({"case": y, "x": x, "z": z})
        gone = rng.random(n) < np.where((y == 1) & (z < 0), 0.8, 0.05)
        df.loc[gone, "x"] = np.nan
        cc = _quiet(logistic_or, df, "x", adjust=())
        mi = _quiet(logistic_or, impute(df, m=5, seed=int(rng.integers(1e9))), "x", adjust=())
        cc_betas.append(cc.table.loc[0, "beta"])
        mi_betas.append(mi.table.loc[0, "beta"])
        covered += np.log(mi.table.loc[0, "ci_low"]) < -1.0 < np.log(mi.table.loc[0, "ci_high"])
        cc_covered += np.log(cc.table.loc[0, "ci_low"]) < -1.0 < np.log(cc.table.loc[0, "ci_high"])
    # complete-case: clearly biased towards 0 (the cases kept have high x); MI within 0.15
    assert np.mean(cc_betas) > -0.75
    assert abs(np.mean(mi_betas) + 1.0) < 0.15
    # 95 % coverage: 12 replications give ≥ 10 covered with probability 0.98 if it holds
    assert covered >= 10
    assert cc_covered <= 4  # (1 of 12 with this seed)


def test_matching_within_each_completed_table():
    df = _holes(200, seed=9)
    df.loc[df.index[df["case"] == 0][:5], "age"] = np.nan  # controls missing a matching variable
    imp = impute(df, m=3, seed=4)
    matched = ov.match_controls(imp, exact=(), caliper={"age": 5})
    assert isinstance(matched, Imputed) and matched.m == 3
    assert matched.settings["matching_order"] == "within"
    for d, full in zip(matched.datasets, imp.datasets, strict=True):
        single = ov.match_controls(full, exact=(), caliper={"age": 5}).matched
        pd.testing.assert_frame_equal(d, single)
        assert d["age"].notna().all() and "pair_id" in d
    res = _quiet(logistic_or, matched, "hu", adjust=("age",), conditional=True)
    assert res.table.loc[0, "m"] == 3 and np.isfinite(res.table.loc[0, "or"])
    with pytest.raises(ValueError, match="before matching"):
        matched.plot()
