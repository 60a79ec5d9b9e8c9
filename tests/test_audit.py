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
    return audit_reported().table


def one(table: pd.DataFrame, check: str, item: str) -> pd.Series:
    """The first row of ``check`` on ``item`` (the AUC checks run once per printed AUC)."""
    rows = table[(table["check"] == check) & (table["item"] == item)]
    assert len(rows), (check, item)
    return rows.iloc[0]


def test_chi2_without_correction_reproduces_comorbidity_p(audit):
    for item in ("hypertension", "diabetes", "hyperlipidemia"):
        row = one(audit, "χ² p", item)
        assert row.consistent
        assert "without correction" in row.detail


def test_findings_on_the_paper(audit):
    assert not one(audit, "matrix entries in [−1, 1]", "Table 3")["consistent"]
    psd = one(audit, "matrix positive semidefinite", "Table 3 + ρ with the outcome")
    assert not psd.consistent
    assert psd.recomputed == "min eigenvalue -0.0691"
    assert one(audit, "matrix positive semidefinite", "Table 3")["consistent"]
    auc = one(audit, "ρ ↔ AUC", "vbq")
    assert auc.recomputed == "AUC 0.985; ρ 0.684"
    assert not one(audit, "direction: ρ vs means", "fi")["consistent"]
    assert one(audit, "direction: ρ vs means", "hu")["consistent"]
    assert not one(audit, "direction: text vs ρ", "t_score")["consistent"]
    assert not one(audit, "CI vs p", "rcsa")["consistent"]
    assert not one(audit, "Spearman p", "rcsa")["consistent"]


def _consistent_report(shift: float, spread: float) -> pd.DataFrame:
    """Numbers computed from one data set (normal quantiles, untied), printed with rounding."""
    n = 60
    q = stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n)
    cases, controls = shift + q, q * spread
    y = np.r_[np.ones(n), np.zeros(n)]
    x = np.r_[cases, controls]
    p = stats.ttest_ind(cases, controls, equal_var=False).pvalue
    rho, p_rho = stats.spearmanr(x, y)
    auc = (cases[:, None] > controls[None, :]).mean()
    rows = [("T", "n", "n", "cases", str(n)), ("T", "n", "n", "controls", str(n))]
    for group, v in (("cases", cases), ("controls", controls)):
        rows += [
            ("T", "x", "mean", group, f"{v.mean():.4f}"),
            ("T", "x", "sd", group, f"{v.std(ddof=1):.4f}"),
        ]
    rows.append(("T", "x", "p", "", f"{p:.3g}" if p >= 1e-3 else "<0.001"))
    rows += [
        ("T2", "x", "rho", "", f"{rho:.4f}"),
        ("T2", "x", "p_rho", "", f"{p_rho:.3g}" if p_rho >= 1e-3 else "<0.001"),
        ("Text", "x", "auc", "", f"{auc:.4f}"),
        ("Text", "x", "direction", "cases", "higher"),
    ]
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
    matrix = {"a~b": "0.5", "a~c": "0.3", "b~c": "0.2"}
    for pair, r in matrix.items():
        first, second = pair.split("~")
        rows += [("Table 3", pair, "rho", "", r), ("Table 3", f"{second}~{first}", "rho", "", r)]
    frame = pd.DataFrame(rows, columns=["source", "item", "statistic", "group", "printed"])
    frame["relation"] = np.where(frame["printed"].str.startswith("<"), "<", "=")
    frame["value"] = [
        (1.0 if t == "higher" else -1.0) if t in ("higher", "lower") else float(t.lstrip("<"))
        for t in frame["printed"]
    ]
    return frame


def _plant(report: pd.DataFrame, statistic: str, printed: str, item=None, group=None):
    out = report.copy()
    mask = out["statistic"] == statistic
    if item is not None:
        mask &= out["item"] == item
    if group is not None:
        mask &= out["group"] == group
    value = {"higher": 1.0, "lower": -1.0}.get(printed)
    out.loc[mask, ["printed", "relation", "value"]] = [
        printed,
        "=",
        value if value is not None else float(printed),
    ]
    return out


PLANTED = [  # (statistic, printed, item, group) -> the check that must fail
    (("p", "0.5", "x", None), "t-test p"),
    (("count", "40", "y", "cases"), "χ² p"),
    (("or", "3.9", None, None), "OR vs CI"),
    (("p_or", "0.91", None, None), "CI vs p"),
    (("p_rho", "0.2", None, None), "Spearman p"),
    (("auc", "0.6", None, None), "ρ ↔ AUC"),
    (("direction", "lower", None, None), "direction: text vs ρ"),
    (("mean", "-3", "x", "cases"), "direction: ρ vs means"),
    (("rho", "-0.9", "b~c", None), "matrix symmetric"),
    (("rho", "1.5", "a~c", None), "matrix entries in [−1, 1]"),
]


@settings(deadline=None)
@given(st.floats(0.3, 1.5), st.floats(0.7, 1.4))
def test_consistent_numbers_give_no_finding(shift, spread):
    table = audit_reported(_consistent_report(shift, spread), paired=False).table
    assert table["consistent"].all(), table[~table["consistent"]].to_string()
    assert len(table) == 12


@pytest.mark.parametrize(("plant", "check"), PLANTED)
def test_each_planted_inconsistency_is_found(plant, check):
    broken = _plant(_consistent_report(1.0, 1.0), *plant)
    table = audit_reported(broken, paired=False).table
    assert not table.loc[table["check"] == check, "consistent"].all()


def test_impossible_matrix_is_not_psd():
    report = _consistent_report(1.0, 1.0)
    for pair, r in {"a~b": "0.9", "a~c": "0.9", "b~c": "-0.9"}.items():
        first, second = pair.split("~")
        report = _plant(report, "rho", r, item=pair)
        report = _plant(report, "rho", r, item=f"{second}~{first}")
    table = audit_reported(report, paired=False).table.set_index("item")
    assert not table.loc["Table 3", "consistent"].iloc[-1]


@settings(deadline=None)
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


# -- tolerance boundaries: just inside (0.4 unit of the last printed digit) and just outside (0.6)


def _frame(records: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    rows = []
    for source, item, statistic, group, printed in records:
        relation = "<" if printed.startswith("<") else "="
        rows.append((source, item, statistic, group, printed, relation, float(printed.strip("<%"))))
    return pd.DataFrame(
        rows, columns=["source", "item", "statistic", "group", "printed", "relation", "value"]
    )


def _percent_report(k: int, n: int, printed: str) -> pd.DataFrame:
    return _frame(
        [
            ("T", "n", "n", "cases", str(n)),
            ("T", "n", "n", "controls", str(n)),
            ("T", "y", "count", "cases", str(k)),
            ("T", "y", "percent", "cases", printed),
        ]
    )


@pytest.mark.parametrize(
    ("k", "n", "printed", "consistent"),
    [
        (62, 500, "12", True),  # 12.4 %: 0.4 unit above the print
        (63, 500, "12", False),  # 12.6 %: 0.6 unit
        (58, 500, "12", True),  # 11.6 %: 0.4 unit below
        (57, 500, "12", False),  # 11.4 %
        (617, 5000, "12.3", True),  # 12.34 %: 0.4 unit of 0.1
        (618, 5000, "12.3", False),  # 12.36 %
    ],
)
def test_rounding_tolerance_boundary(k, n, printed, consistent):
    table = audit_reported(_percent_report(k, n, printed), paired=False).table
    assert bool(table.loc[0, "consistent"]) is consistent


def _binormal_report(auc: str) -> pd.DataFrame:
    """Means 1 vs 0, SDs 0.6 and 0.8: binormal AUC Φ(1) = 0.841345 (±0.03 allowed)."""
    return _frame(
        [
            ("T", "n", "n", "cases", "50"),
            ("T", "n", "n", "controls", "50"),
            ("T", "x", "mean", "cases", "1"),
            ("T", "x", "mean", "controls", "0"),
            ("T", "x", "sd", "cases", "0.6"),
            ("T", "x", "sd", "controls", "0.8"),
            ("Text", "x", "auc", "", auc),
        ]
    )


@pytest.mark.parametrize(
    ("printed", "consistent"),
    [
        # the tolerance ends at Φ(1) ± 0.03 = 0.871345 / 0.811345
        ("0.8713", True),  # 0.45 unit of 0.0001 inside
        ("0.8714", False),  # 0.55 unit outside
        ("0.8114", True),
        ("0.8113", False),
        ("0.841", True),
        ("0.95", False),  # a planted error
    ],
)
def test_binormal_auc_tolerance_boundary(printed, consistent):
    table = audit_reported(_binormal_report(printed), paired=False).table
    row = table[table["check"] == "binormal AUC"].iloc[0]
    assert bool(row["consistent"]) is consistent
    assert row["recomputed"] == "0.841"


def test_paper_audit_totals(audit):
    assert (len(audit), int((~audit["consistent"]).sum())) == (50, 17)


def test_hypothesis_profile_is_derandomised_unless_dev():
    import os

    profile = settings.default
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        assert profile.derandomize and profile.max_examples == 30
    else:
        assert profile.max_examples > 30
