"""Combined-indicator model against rms::validate and Hmisc::improveProb
(tests/reference/combined_rms.R), dcurves, statsmodels and scikit-learn."""

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
    combined_model,
    compare_auc,
    decision_curve,
    reclassification,
)
from ovcfstats.design._logistic import _auc, _fit_logistic

REF = Path(__file__).parent / "reference"
INDICATORS = ["s100b", "ndka", "age"]


@pytest.fixture(scope="module")
def asah() -> pd.DataFrame:
    return pd.read_csv(REF / "aSAH.csv")


@pytest.fixture(scope="module")
def ref() -> pd.Series:
    return pd.read_csv(REF / "combined_rms.csv").set_index(["what", "key"])["value"]


@pytest.fixture(scope="module")
def fitted(asah):
    # the bootstrap samples rms::validate drew (1-based in R)
    indices = pd.read_csv(REF / "combined_boot_indices.csv").to_numpy().T - 1
    return combined_model(asah, INDICATORS, boot_indices=indices, seed=7, cv_repeats=2)


@pytest.mark.parametrize(
    ("ours", "theirs", "tol"),
    [("dxy", "Dxy", 1e-10), ("calibration_intercept", "Intercept", 1e-7),
     ("calibration_slope", "Slope", 1e-7), ("brier", "B", 1e-8)],
)  # fmt: skip
def test_validation_equals_rms_validate_on_its_bootstrap_samples(fitted, ref, ours, theirs, tol):
    row = fitted.table.set_index("statistic").loc[ours]
    pairs = {"apparent": "index.orig", "training": "training", "test": "test",
             "optimism": "optimism", "corrected": "index.corrected"}  # fmt: skip
    for col, rcol in pairs.items():
        assert row[col] == pytest.approx(ref["validate", f"{theirs}_{rcol}"], abs=tol), col
    assert row["n_boot"] == 200


def test_auc_row_is_dxy_rescaled(fitted):
    t = fitted.table.set_index("statistic")
    np.testing.assert_allclose(t.loc["auc", "apparent":"corrected"].to_numpy(float),
                               (t.loc["dxy", "apparent":"corrected"].to_numpy(float) + 1) / 2 -
                               np.r_[0, 0, 0, 0.5, 0], atol=1e-12)  # fmt: skip


def test_coefficients_equal_lrm(fitted, ref):
    coef = fitted.coefficients.set_index("term")["coef"]
    for term in ["Intercept", *INDICATORS]:
        assert coef[term] == pytest.approx(ref["coef", term], abs=1e-6)
    assert (fitted.coefficients["or_ci_low"] < fitted.coefficients["or"]).all()


def test_seeded_bootstrap_is_reproducible(asah):
    kw = {"n_boot": 60, "cv_repeats": 1}
    a = combined_model(asah, INDICATORS, seed=11, **kw)
    b = combined_model(asah, INDICATORS, seed=11, **kw)
    c = combined_model(asah, INDICATORS, seed=12, **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.cross_validation, b.cross_validation)
    assert not np.allclose(a.table["optimism"], c.table["optimism"])
    # another draw of 60 samples lands within Monte Carlo error of rms's 200
    dxy = c.table.set_index("statistic").loc["dxy", "corrected"]
    assert abs(dxy - 0.5177) < 0.05


def test_cross_validated_auc_equals_a_scikit_learn_loop(asah):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import RepeatedStratifiedKFold

    res = combined_model(asah, INDICATORS, n_boot=5, seed=3, cv_folds=5, cv_repeats=2)
    cv_seed = res.settings["cv_seed"]
    x, y = asah[INDICATORS].to_numpy(), asah["case"].to_numpy()
    splitter = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=cv_seed)
    aucs = []
    for train, test in splitter.split(x, y):
        model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10).fit(
            x[train], y[train]
        )
        aucs.append(roc_auc_score(y[test], model.decision_function(x[test])))
    row = res.cross_validation.iloc[0]
    assert row["n_folds"] == 10
    assert row["auc_cv"] == pytest.approx(np.mean(aucs), abs=1e-6)


@pytest.fixture(scope="module")
def dcurves_ref() -> tuple[pd.DataFrame, pd.DataFrame]:
    """dcurves' net benefit on fixed risks (tests/reference/combined_dcurves.py)."""
    return (
        pd.read_csv(REF / "combined_dcurves_inputs.csv"),
        pd.read_csv(REF / "combined_dcurves.csv"),
    )


def _against_dcurves(dcurves_ref, dataset: str, models=("model", "all", "none")) -> None:
    inputs, curves = (d[d["dataset"] == dataset] for d in dcurves_ref)
    thresholds = sorted(curves["threshold"].unique())
    data = inputs[["case", "risk"]].rename(columns={"risk": "model"}).reset_index(drop=True)
    ours = decision_curve(data, ["model"], thresholds=thresholds).table
    for model in models:
        a = ours[ours["model"] == model].sort_values("threshold")["net_benefit"].to_numpy()
        b = curves[curves["model"] == model].sort_values("threshold")["net_benefit"].to_numpy()
        assert len(a) == len(b) == len(thresholds)
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_decision_curve_equals_dcurves(fitted, dcurves_ref):
    _against_dcurves(dcurves_ref, "asah")
    pred = fitted.predictions.rename(columns={"outcome": "case", "probability": "combined"})
    thresholds = np.arange(1, 100) / 100
    direct = decision_curve(pred, ["combined"], thresholds=thresholds, id_col="id").table
    pd.testing.assert_frame_equal(direct, fitted.decision)


def test_reclassification_equals_improve_prob(asah, ref):
    table = reclassification(asah, ["ndka", "age"], ["s100b"]).table.set_index("index")
    cont = table.loc["nri_continuous"]
    for ours, theirs in [("estimate", "nri"), ("se", "se_nri"), ("nri_events", "nri_events"),
                         ("se_events", "se_nri_events"), ("nri_nonevents", "nri_nonevents"),
                         ("se_nonevents", "se_nri_nonevents"), ("z", "z_nri")]:  # fmt: skip
        assert cont[ours] == pytest.approx(ref["improve", theirs], abs=1e-7), ours
    assert table.loc["idi", "estimate"] == pytest.approx(ref["improve", "idi"], abs=1e-7)
    assert table.loc["idi", "se"] == pytest.approx(ref["improve", "se_idi"], abs=1e-7)
    assert table.loc["idi", "z"] == pytest.approx(ref["improve", "z_idi"], abs=1e-5)


def test_categorical_nri_by_hand():
    # two categories at 0.5: events move up/down, non-events down/up, counted by hand
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    from ovcfstats.design.decision import _nri_parts

    old = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    new = np.array([1, 0, 1, 0, 0, 0, 0, 1])
    parts = _nri_parts(new > old, new < old, y)
    assert parts["nri_events"] == pytest.approx((1 - 1) / 4)
    assert parts["nri_nonevents"] == pytest.approx((2 - 1) / 4)


def test_comparison_is_delong_on_the_predictions_with_its_caveat(fitted, asah):
    frame = asah[INDICATORS].assign(combined=fitted.predictions["probability"].to_numpy(),
                                    case=asah["case"])  # fmt: skip
    direct = compare_auc(frame, ["combined", *INDICATORS], omnibus=False).table
    direct = direct[direct["indicator_1"] == "combined"].reset_index(drop=True)
    pd.testing.assert_frame_equal(fitted.comparison, direct)
    assert "fitted on the same patients" in " ".join(fitted.notes())


def test_newton_fit_equals_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(300), rng.normal(size=(300, 3))])
    y = (x @ [0.3, 1.0, -0.5, 0.2] + rng.logistic(size=300) > 0).astype(float)
    beta, ok = _fit_logistic(x, y)
    assert ok
    np.testing.assert_allclose(beta, sm.Logit(y, x).fit(disp=0).params, atol=1e-8)
    separated = (x[:, 1] > 0).astype(float)
    assert not _fit_logistic(x, separated)[1]


def test_bad_input_and_exclusions(asah):
    data = asah.copy()
    data.loc[[0, 5], "ndka"] = np.nan
    res = combined_model(data, INDICATORS, n_boot=5, cv_repeats=1, seed=1, id_col="row")
    assert len(res.predictions) == 111
    assert res.excluded["reason"].tolist() == ["missing ndka", "missing ndka"]
    separated = asah.assign(sep=asah["case"] * 10.0)
    with pytest.raises(DataError, match="separation"):
        combined_model(separated, ["sep"], n_boot=5)
    with pytest.raises(DataError, match="no indicators"):
        combined_model(asah, [])
    with pytest.raises(DataError, match="boot_indices"):
        combined_model(asah, INDICATORS, boot_indices=np.zeros((3, 5), dtype=int))
    with pytest.raises(DataError, match="probabilities"):
        decision_curve(asah, ["age"])


def test_few_events_warn(asah):
    small = asah.head(30)
    with pytest.warns(SmallSampleWarning, match="events"):
        combined_model(small, INDICATORS, n_boot=5, cv_folds=3, cv_repeats=1, seed=1)


def test_renders(fitted):
    assert fitted.plot() is not None
    assert "Harrell" in fitted.summary()
    assert len(fitted.calibration) == 10 and fitted.calibration["n"].sum() == 113


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=6, max_size=40), st.randoms(use_true_random=False))
def test_midrank_auc_equals_scikit_learn(scores, rnd):
    from sklearn.metrics import roc_auc_score

    y = np.array([i % 2 for i in range(len(scores))], dtype=float)
    rnd.shuffle(scores)
    s = np.asarray(scores, dtype=float)
    assert _auc(s, y) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_decision_curve_counts_a_risk_at_the_threshold_as_treated(dcurves_ref):
    _against_dcurves(dcurves_ref, "ties", models=("model", "all"))
