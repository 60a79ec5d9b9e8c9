"""Threshold tables against hand-computed values: Wilson, Bayes PPV/NPV with the logit delta
method (Mercaldo et al. 2007), Simel's LR intervals; the Youden cut-off and its bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import ovcfstats as ov

Z = 1.959963984540054


def _wilson(k, n):
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def _data():
    # 10 cases, 12 controls; at the cut-off 2.7: TP 8, FN 2, FP 3, TN 9
    cases = [3.4, 3.1, 2.9, 2.95, 3.0, 2.8, 3.3, 2.75, 2.6, 2.5]
    controls = [2.8, 2.85, 2.72, 2.4, 2.2, 2.3, 2.1, 2.65, 2.55, 2.0, 2.05, 1.9]
    return pd.DataFrame({"case": [1] * 10 + [0] * 12, "vbq": cases + controls})


def test_hand_computed_row():
    res = ov.roc_thresholds(_data(), "vbq", prevalence=0.1, cutoffs=[2.7], n_boot=50, seed=1)
    r = res.table.iloc[0]
    assert (r.tp, r.fn, r.fp, r.tn) == (8, 2, 3, 9)
    se, sp, pi = 0.8, 0.75, 0.1
    assert (r.sensitivity, r.specificity) == (se, sp)
    assert np.allclose([r.sens_ci_low, r.sens_ci_high], _wilson(8, 10), atol=1e-12, rtol=0)
    assert np.allclose([r.spec_ci_low, r.spec_ci_high], _wilson(9, 12), atol=1e-12, rtol=0)
    ppv = se * pi / (se * pi + (1 - sp) * (1 - pi))  # 0.08 / 0.305
    npv = sp * (1 - pi) / (sp * (1 - pi) + (1 - se) * pi)  # 0.675 / 0.695
    assert abs(r.ppv - 0.08 / 0.305) < 1e-12 and abs(r.ppv - ppv) < 1e-12
    assert abs(r.npv - 0.675 / 0.695) < 1e-12 and abs(r.npv - npv) < 1e-12
    half = Z * math.sqrt((1 - se) / (se * 10) + sp / ((1 - sp) * 12))
    logit = math.log(ppv / (1 - ppv))
    want = [1 / (1 + math.exp(-(logit - half))), 1 / (1 + math.exp(-(logit + half)))]
    assert np.allclose([r.ppv_ci_low, r.ppv_ci_high], want, atol=1e-12, rtol=0)
    half = Z * math.sqrt(se / ((1 - se) * 10) + (1 - sp) / (sp * 12))
    logit = math.log(npv / (1 - npv))
    want = [1 / (1 + math.exp(-(logit - half))), 1 / (1 + math.exp(-(logit + half)))]
    assert np.allclose([r.npv_ci_low, r.npv_ci_high], want, atol=1e-12, rtol=0)
    assert abs(r.lr_pos - 0.8 / 0.25) < 1e-12 and abs(r.lr_neg - 0.2 / 0.75) < 1e-12
    s = math.sqrt(1 / 8 - 1 / 10 + 1 / 3 - 1 / 12)  # Simel et al. 1991
    want = [0.8 / 0.25 * math.exp(-Z * s), 0.8 / 0.25 * math.exp(Z * s)]
    assert np.allclose([r.lr_pos_ci_low, r.lr_pos_ci_high], want, atol=1e-12, rtol=0)
    s = math.sqrt(1 / 2 - 1 / 10 + 1 / 9 - 1 / 12)
    want = [0.2 / 0.75 * math.exp(-Z * s), 0.2 / 0.75 * math.exp(Z * s)]
    assert np.allclose([r.lr_neg_ci_low, r.lr_neg_ci_high], want, atol=1e-12, rtol=0)
    assert abs(r.youden - 0.55) < 1e-12


def test_all_cutoffs_by_brute_force_and_youden_as_roc_auc():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"case": np.r_[np.ones(30), np.zeros(45)].astype(int)})
    df["hu"] = rng.integers(60, 90, 75) - 8 * df["case"]
    res = ov.roc_thresholds(df, "hu", prevalence=0.2, n_boot=100, seed=2)
    t = res.table
    assert (t.direction == "lower").all()
    x, c = df["hu"].to_numpy(), df["case"].to_numpy() == 1
    for row in t.itertuples():
        pos = x <= row.cutoff
        assert row.tp == (pos & c).sum() and row.tn == (~pos & ~c).sum()
    roc = ov.roc_auc(df, "hu").table.iloc[0]
    y = res.youden.iloc[0]
    assert y.cutoff == roc.cutoff
    assert (y.sensitivity, y.specificity) == (roc.sensitivity, roc.specificity)
    assert y.ci_low <= y.cutoff <= y.ci_high
    assert y.sensitivity_corrected + y.specificity_corrected < y.sensitivity + y.specificity


def test_matched_data_without_prevalence_has_no_predictive_values():
    df = _data().assign(pair_id=[*range(10), *range(10), 0, 1])
    res = ov.roc_thresholds(df, "vbq", n_boot=50, seed=1)
    assert "ppv" not in res.table.columns and "npv" not in res.table.columns
    assert any("share of cases is fixed by the design" in n for n in res.notes())
    assert res.settings["resampled"] == "sets"
    unmatched = ov.roc_thresholds(_data(), "vbq", n_boot=50, seed=1)
    assert unmatched.settings["prevalence"] == 10 / 22
    assert any("sample's share of cases" in n for n in unmatched.notes())


def test_errors_and_missing():
    df = _data()
    df.loc[0, "vbq"] = np.nan
    res = ov.roc_thresholds(df, "vbq", prevalence=0.1, n_boot=20, seed=1)
    assert list(res.excluded["reason"]) == ["missing vbq"]
    with pytest.raises(ValueError, match="`prevalence` of roc_thresholds"):
        ov.roc_thresholds(df, "vbq", prevalence=1.5)
