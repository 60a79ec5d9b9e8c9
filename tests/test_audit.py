"""The published numbers as printed, and the audit of their internal consistency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ovcfstats import PUBLISHED, DataError, audit_reported
from ovcfstats.audit.reported import rho_from_auc


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
    with pytest.raises(DataError, match="'printed'"):
        audit_reported(PUBLISHED.drop(columns="printed"))
    # relation and value are filled from the printed text when absent
    filled = audit_reported(PUBLISHED.drop(columns=["relation", "value"])).table
    assert filled.equals(audit_reported().table)


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


def test_yates_corrected_chi2_p_is_recognised():
    a, b, n = 25, 15, 60
    yates = stats.chi2_contingency([[a, n - a], [b, n - b]], correction=True).pvalue
    plain = stats.chi2_contingency([[a, n - a], [b, n - b]], correction=False).pvalue
    assert abs(yates - plain) > 0.02  # the two prints differ
    report = _frame(
        [
            ("T", "n", "n", "cases", str(n)),
            ("T", "n", "n", "controls", str(n)),
            ("T", "y", "count", "cases", str(a)),
            ("T", "y", "count", "controls", str(b)),
            ("T", "y", "p", "", f"{yates:.3f}"),
        ]
    )
    row = one(audit_reported(report, paired=False).table, "χ² p", "y")
    assert row.consistent and row.detail.endswith("matches Yates-corrected χ²")


@pytest.mark.parametrize("weight", [0.3, 0.8, 1.5])
def test_paired_p_gives_the_within_pair_correlation(weight):
    """A paired t p printed to 3 significant digits: consistent, and the r it implies is the
    sample's within-pair correlation (to the 2 decimals shown)."""
    n = 30
    controls = stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n)
    cases = 0.4 + 0.6 * controls + weight * np.random.default_rng(1).permutation(controls)
    r = np.corrcoef(cases, controls)[0, 1]
    p = stats.ttest_rel(cases, controls).pvalue
    records = [("T", "n", "n", "cases", str(n)), ("T", "n", "n", "controls", str(n))]
    for group, v in (("cases", cases), ("controls", controls)):
        records += [
            ("T", "x", "mean", group, f"{v.mean():.4f}"),
            ("T", "x", "sd", group, f"{v.std(ddof=1):.4f}"),
        ]
    records.append(("T", "x", "p", "", f"{p:.3g}"))
    row = one(audit_reported(_frame(records), paired=True).table, "t-test p", "x")
    assert row.consistent
    assert f"within-pair correlation is r = {r:.2f} " in row.detail


def test_paper_audit_totals(audit):
    assert (len(audit), int((~audit["consistent"]).sum())) == (50, 17)


def test_hypothesis_profile_is_derandomised_unless_dev():
    import os

    profile = settings.default
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        assert profile.derandomize and profile.max_examples == 30
    else:
        assert profile.max_examples > 30


# -- any paper: per-source n, attainability, template and reader ---------------------------------


def test_template_is_consistent_and_round_trips(tmp_path):
    from ovcfstats import read_published, write_published_template
    from ovcfstats.audit.published import TEMPLATE

    table = audit_reported(TEMPLATE, paired=False).table
    assert table["consistent"].all() and len(table) == 12
    back = read_published(write_published_template(tmp_path / "published.csv"))
    assert back.equals(TEMPLATE)


def test_reader_fills_values_and_sniffs_the_delimiter(tmp_path):
    from ovcfstats.audit.published import TEMPLATE, read_published

    path = tmp_path / "paper.csv"
    TEMPLATE.drop(columns=["relation", "value"]).to_csv(path, sep=";", index=False)
    assert read_published(path).equals(TEMPLATE)
    xlsx = tmp_path / "paper.xlsx"
    TEMPLATE.to_excel(xlsx, index=False, engine="openpyxl")  # xlsxwriter: "=" is a formula
    assert read_published(xlsx).equals(TEMPLATE)


def test_reader_refuses_what_it_cannot_read(tmp_path):
    from ovcfstats.audit.published import TEMPLATE, read_published

    with pytest.raises(DataError, match=r"no file.*write_published_template"):
        read_published(tmp_path / "missing.csv")
    bad = TEMPLATE.copy()
    bad.loc[0, "statistic"] = "median"
    with pytest.raises(DataError, match=r"unknown statistic\(s\) \['median'\]"):
        audit_reported(bad)
    bad = TEMPLATE.drop(columns=["relation", "value"])
    bad.loc[3, "printed"] = "8.4 (SD)"
    with pytest.raises(DataError, match=r"cannot read the printed number .8\.4 \(SD\)."):
        audit_reported(bad)
    with pytest.raises(DataError, match="no group sizes"):
        audit_reported(TEMPLATE[TEMPLATE["statistic"] != "n"])


def _two_tables(n_table2: str | None) -> pd.DataFrame:
    """Table 1 on 40 + 40; Table 2 (ρ = 0.3, p printed for 30 + 30 patients)."""
    rho = 0.3
    p60 = stats.t.sf(rho * np.sqrt(58 / (1 - rho**2)), 58) * 2
    rows = [
        ("Table 1", "n", "n", "cases", "40"),
        ("Table 1", "n", "n", "controls", "40"),
        ("Table 2", "x", "rho", "", f"{rho:.3f}"),
        ("Table 2", "x", "p_rho", "", f"{p60:.4f}"),
    ]
    if n_table2:
        rows += [("Table 2", "n", "n", g, n_table2) for g in ("cases", "controls")]
    return _frame(rows)


def test_each_source_uses_its_own_n():
    own = audit_reported(_two_tables("30"), paired=False).table
    assert own.loc[own["check"] == "Spearman p", "consistent"].item()
    assert "n = 60" in own.loc[own["check"] == "Spearman p", "detail"].item()
    fallback = audit_reported(_two_tables(None), paired=False).table  # Table 1's 80
    assert not fallback.loc[fallback["check"] == "Spearman p", "consistent"].item()


def test_total_n_of_a_correlation_table():
    report = pd.concat(
        [_two_tables(None), _frame([("Table 2", "n", "n", "", "60")])], ignore_index=True
    )
    table = audit_reported(report, paired=False).table
    assert table.loc[table["check"] == "Spearman p", "consistent"].item()


IMPOSSIBLE = [  # (statistic, item, group, printed) planted into the template -> check
    ("p", "age", "", "1.2", "attainable p"),
    ("rho", "hu", "", "1.3", "attainable rho"),
    ("auc", "hu", "", "1.04", "attainable auc"),
    ("count", "diabetes", "cases", "41", "attainable count"),
    ("count", "diabetes", "controls", "9.5", "attainable count"),
    ("percent", "diabetes", "cases", "33.3%", "attainable percent"),
    ("sd", "age", "controls", "-8.9", "attainable sd"),
    ("or", "hu", "", "0.99", "attainable or"),
    ("n", "n", "cases", "0", "attainable n"),
]


@pytest.mark.parametrize(("statistic", "item", "group", "printed", "check"), IMPOSSIBLE)
def test_impossible_numbers_are_found(statistic, item, group, printed, check):
    from ovcfstats.audit.published import TEMPLATE

    broken = TEMPLATE.drop(columns=["relation", "value"])
    mask = (broken["statistic"] == statistic) & (broken["item"] == item)
    mask &= broken["group"] == group
    assert mask.sum() == 1
    broken.loc[mask, "printed"] = printed
    table = audit_reported(broken, paired=False).table
    found = table[table["check"] == check]
    assert len(found) == 1 and not found["consistent"].item()


@pytest.mark.parametrize(
    ("k", "n", "printed", "attainable"),
    [(13, 40, "32.5%", True), (None, 40, "33.3%", False), (None, 78, "29.5%", True),
     (None, 78, "29.6%", False), (None, 3, "33.33%", True), (None, 3, "33.4%", False)],
)  # fmt: skip
def test_percent_attainable_with_a_whole_count(k, n, printed, attainable):
    report = _frame(
        [
            ("T", "n", "n", "cases", str(n)),
            ("T", "n", "n", "controls", str(n)),
            ("T", "y", "percent", "cases", printed),
        ]
    )
    table = audit_reported(report, paired=False).table
    assert (not (table["check"] == "attainable percent").any()) is attainable


@pytest.mark.parametrize(
    ("printed", "parsed"),
    [("<0.001", ("<", 0.001)), ("≤0.05", ("<", 0.05)), ("64.1%", ("=", 64.1)),
     ("(−2.47", ("=", -2.47)), ("-818", ("=", -818.0)), ("higher", ("=", 1.0)),
     (" lower ", ("=", -1.0)), ("0.80", ("=", 0.8))],
)  # fmt: skip
def test_printed_numbers_are_parsed_as_printed(printed, parsed):
    from ovcfstats.audit.published import parse_printed

    assert parse_printed(printed) == parsed


def test_a_source_without_its_own_n_is_checked_with_the_main_n():
    from ovcfstats.audit._attainable import max_rho_binary

    # n printed only under Table 1: Table 2's ρ of 0.91 exceeds the maximum at 60 + 60
    report = _frame(
        [
            ("Table 1", "n", "n", "cases", "60"),
            ("Table 1", "n", "n", "controls", "60"),
            ("Table 2", "vbq", "rho", "", "0.91"),
            ("Table 2", "hu", "rho", "", "-0.60"),
        ]
    )
    table = audit_reported(report, paired=False).table
    found = table[table["check"] == "attainable rho"]
    assert list(found["item"]) == ["vbq, Table 2"]
    detail = found["detail"].iloc[0]
    assert "60 cases + 60 controls" in detail and "0.866" in detail
    assert "Table 2 prints no n of its own, so the study's n (Table 1) is used" in detail
    # the bound: Spearman ρ of the ranks 1..n with the 0/1 outcome at AUC = 1
    ranks, outcome = np.arange(1, 121), np.r_[np.zeros(60), np.ones(60)]
    assert abs(max_rho_binary(60, 60) - stats.spearmanr(ranks, outcome)[0]) < 1e-12
    assert abs(max_rho_binary(60, 60) - rho_from_auc(1.0, 60, 60)) < 1e-12
