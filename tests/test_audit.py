"""The published numbers as printed, and the audit of their internal consistency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ovcfstats import PUBLISHED, DataError, audit_reported
from ovcfstats.audit import rho_from_auc


def test_published_is_typed_as_printed():
    t3 = PUBLISHED[PUBLISHED["source"] == "Table 3"]
    assert len(t3) == 20
    assert t3.set_index("item").loc["fi~hu", "printed"] == "-818"
    t1 = PUBLISHED.set_index(["source", "item", "statistic", "group"])
    assert t1.loc[("Table 1", "fi", "mean", "cases"), "value"] == 16.18
    assert t1.loc[("Table 1", "hu", "p", ""), "relation"] == "<"
    assert t1.loc[("Table 2", "fi", "or_ci_high", ""), "printed"] == "2.3"
    levels = PUBLISHED.query("item.str.startswith('fracture') and statistic == 'count'")
    assert levels["value"].sum() == 78


@pytest.fixture(scope="module")
def audit() -> pd.DataFrame:
    return audit_reported().table.set_index(["check", "item"])


def test_chi2_without_correction_reproduces_comorbidity_p(audit):
    for item in ("hypertension", "diabetes", "hyperlipidemia"):
        row = audit.loc[("χ² p", item)]
        assert row.consistent
        assert "without correction" in row.detail


def test_findings_on_the_paper(audit):
    assert not audit.loc[("matrix entries in [−1, 1]", "Table 3"), "consistent"]
    psd = audit.loc[("matrix positive semidefinite", "Table 3 + Table 2 ρ")]
    assert not psd.consistent
    assert psd.recomputed == "min eigenvalue -0.0691"
    assert audit.loc[("matrix positive semidefinite", "Table 3"), "consistent"]
    auc = audit.loc[("ρ ↔ AUC", "vbq")].iloc[0]
    assert auc.recomputed == "AUC 0.985; ρ 0.684"
    assert not audit.loc[("direction: ρ vs means", "fi"), "consistent"]
    assert audit.loc[("direction: ρ vs means", "hu"), "consistent"]
    assert not audit.loc[("direction: text vs ρ", "t_score"), "consistent"]
    assert not audit.loc[("CI vs p", "rcsa"), "consistent"]
    assert not audit.loc[("Spearman p", "rcsa"), "consistent"]


def _consistent_report(rng: np.random.Generator) -> pd.DataFrame:
    """Numbers computed from one simulated data set, printed with rounding."""
    n = 60
    cases, controls = rng.normal(1.0, 1.0, n), rng.normal(0.0, 1.2, n)
    p = stats.ttest_ind(cases, controls, equal_var=False).pvalue
    rows = [("T", "n", "n", "cases", str(n)), ("T", "n", "n", "controls", str(n))]
    for group, x in (("cases", cases), ("controls", controls)):
        rows += [
            ("T", "x", "mean", group, f"{x.mean():.4f}"),
            ("T", "x", "sd", group, f"{x.std(ddof=1):.4f}"),
        ]
    rows.append(("T", "x", "p", "", f"{p:.3g}" if p >= 1e-3 else "<0.001"))
    a, b = 25, 17
    chi = stats.chi2_contingency([[a, n - a], [b, n - b]], correction=False).pvalue
    rows += [
        ("T", "y", "count", "cases", str(a)),
        ("T", "y", "count", "controls", str(b)),
        ("T", "y", "p", "", f"{chi:.3f}"),
    ]
    beta, se = 0.7, 0.25
    lo, hi = np.exp(beta - 1.959964 * se), np.exp(beta + 1.959964 * se)
    p_or = 2 * stats.norm.sf(beta / se)
    rows += [
        ("T2", "x", "or", "", f"{np.exp(beta):.3f}"),
        ("T2", "x", "or_ci_low", "", f"{lo:.3f}"),
        ("T2", "x", "or_ci_high", "", f"{hi:.3f}"),
        ("T2", "x", "p_or", "", f"{p_or:.4f}"),
    ]
    frame = pd.DataFrame(rows, columns=["source", "item", "statistic", "group", "printed"])
    frame["relation"] = np.where(frame["printed"].str.startswith("<"), "<", "=")
    frame["value"] = frame["printed"].str.lstrip("<").astype(float)
    return frame


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_numbers_from_one_data_set_pass_and_a_changed_p_fails(seed):
    report = _consistent_report(np.random.default_rng(seed))
    table = audit_reported(report, paired=False).table
    assert table["consistent"].all(), table.to_string()
    broken = report.copy()
    broken.loc[broken["statistic"] == "p_or", ["printed", "value"]] = ["0.91", 0.91]
    checks = audit_reported(broken, paired=False).table.set_index("check")
    assert not checks.loc["CI vs p", "consistent"]


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 40), st.integers(2, 40), st.integers(0, 10_000))
def test_rho_auc_identity_holds_on_untied_data(m, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.permutation(m + n).astype(float)
    y = np.r_[np.ones(m), np.zeros(n)]
    auc = (x[:m, None] > x[None, m:]).mean()
    assert rho_from_auc(auc, m, n) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)


def test_bad_input():
    with pytest.raises(DataError, match="'value'"):
        audit_reported(PUBLISHED.drop(columns="value"))
