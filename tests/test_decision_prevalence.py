"""Net benefit at a population prevalence: hand-computed values, the sample-prevalence identity,
the error for matched sets, and combined_model's pass-through."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ovcfstats as ov
from ovcfstats import DataError


def _data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "case": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
            "p": [0.9, 0.7, 0.4, 0.2, 0.6, 0.3, 0.3, 0.1, 0.05, 0.5],
        }
    )


def test_hand_computed_net_benefit():
    t = ov.decision_curve(_data(), ["p"], thresholds=[0.25, 0.5], prevalence=0.1).table
    nb = t[t.model == "p"].net_benefit.to_numpy()
    # pt 0.25: Se 3/4, FPR 4/6 -> 0.075 − (4/6)(0.9)(1/3); pt 0.5: Se 2/4, FPR 2/6
    want = [0.75 * 0.1 - 4 / 6 * 0.9 / 3, 0.5 * 0.1 - 2 / 6 * 0.9 * 1.0]
    assert np.allclose(nb, want, atol=1e-12, rtol=0)
    everyone = t[t.model == "all"].net_benefit.to_numpy()
    assert np.allclose(everyone, [0.1 - 0.9 / 3, 0.1 - 0.9], atol=1e-12, rtol=0)
    assert "population prevalence" in ov.decision_curve(_data(), ["p"], prevalence=0.1).notes()[0]


def test_sample_prevalence_reproduces_dcurves_formula():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"case": rng.integers(0, 2, 200), "p": rng.uniform(0, 1, 200)})
    plain = ov.decision_curve(d, ["p"]).table
    at = ov.decision_curve(d, ["p"], prevalence=float(d.case.mean())).table
    np.testing.assert_allclose(plain.net_benefit, at.net_benefit, atol=1e-12)


def test_matched_sets_need_a_prevalence():
    d = _data().assign(pair_id=[0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    with pytest.raises(DataError, match="pass prevalence="):
        ov.decision_curve(d, ["p"])
    ov.decision_curve(d, ["p"], prevalence=0.1)
    with pytest.raises(ValueError, match="`prevalence` of decision_curve"):
        ov.decision_curve(d, ["p"], prevalence=0)


def test_combined_model_passes_the_prevalence_through():
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"case": np.r_[np.ones(40), np.zeros(40)].astype(int)})
    d["hu"] = rng.normal(0, 1, 80) - d["case"]
    d["vbq"] = rng.normal(3, 0.3, 80) + 0.3 * d["case"]  # a VBQ score is a positive ratio
    res = ov.combined_model(d, ["hu", "vbq"], n_boot=10, cv_repeats=1, seed=1, prevalence=0.1)
    pred = res.predictions.rename(columns={"outcome": "case", "probability": "combined"})
    direct = ov.decision_curve(pred, ["combined"], prevalence=0.1, id_col="id").table
    pd.testing.assert_frame_equal(direct, res.decision)
    assert any("π = 0.1" in n for n in res.notes())


def test_study_file_prevalence():
    from ovcfstats.study._file import _render

    assert ov.StudyConfig().prevalence == 0.1
    text = _render(ov.StudyConfig())
    assert "prevalence = 0.1" in text and "Ballane" in text
    assert ov.StudyConfig(prevalence=None).prevalence is None
    with pytest.raises(DataError, match=r"prevalence \(\[design\] prevalence\)"):
        ov.StudyConfig(prevalence=1.5)
