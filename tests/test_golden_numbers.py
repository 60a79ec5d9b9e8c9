"""The numbers printed in the golden report, checked against values recomputed from the data.

The golden Markdown (tests/golden/report.md) pins the layout; regenerating it after a change
would also accept a wrong number. So every number of the paper's tables *as printed in the golden
file* is compared here with the same statistic recomputed independently (pandas, scipy,
statsmodels, scikit-learn) from the matched patients: the printed value must be that number
rounded to the printed decimals (half a unit of the last digit), and the decimals must be the
variable's.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ovcfstats import reproduce
from ovcfstats.data._patient_codes import COMORBIDITIES
from ovcfstats.data.schema import INDICATORS
from ovcfstats.present._format import VARIABLES, Style

GOLDEN = Path(__file__).parent / "golden" / "report.md"
CONTINUOUS = ("age", "bmi", *INDICATORS)


def _sections(text: str) -> dict[str, list[pd.DataFrame]]:
    """'## heading' -> the pipe tables under it, as text cells."""
    out: dict[str, list[pd.DataFrame]] = {}
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        heading, _, body = block.partition("\n")
        tables, rows = [], []
        for line in [*body.splitlines(), ""]:
            if line.startswith("|"):
                rows.append([c.strip() for c in line.strip("|").split(" | ")])
            elif rows:
                tables.append(pd.DataFrame(rows[2:], columns=rows[0]))
                rows = []
        out[heading.strip()] = tables
    return out


def _numbers(cell: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", cell.replace("−", "-"))]


def _decimals(cell: str) -> list[int]:
    return [len(d) for d in re.findall(r"\d+(?:\.(\d+))?", cell)]


def _printed_as(cell: str, values: list[float]) -> None:
    """Each number of ``cell`` is the matching value rounded to the digits printed."""
    printed = _numbers(cell)
    assert len(printed) == len(values), (cell, values)
    for shown, digits, value in zip(printed, _decimals(cell), values, strict=True):
        assert abs(shown - value) <= 0.5 * 10.0**-digits + 1e-12, (cell, value)


def _p_printed_as(cell: str, p: float) -> None:
    if cell == "< 0.001":
        assert p < 0.001, (cell, p)
    else:
        assert p >= 0.001
        _printed_as(cell, [p])


@pytest.fixture(scope="module")
def golden() -> dict[str, list[pd.DataFrame]]:
    return _sections(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return reproduce()["matching"].matched


@pytest.fixture(scope="module")
def pairs(data) -> pd.DataFrame:
    cases = data[data["case"] == 1].set_index("pair_id")
    controls = data[data["case"] == 0].set_index("pair_id")
    return cases.add_suffix("_1").join(controls.add_suffix("_0"))


def _table(golden, paper: str, index: int = 0) -> pd.DataFrame:
    """The table of the section headed as the paper's ``paper`` (e.g. ``"Table 1"``)."""
    heading = next(h for h in golden if h.endswith(f"(the paper's {paper})"))
    return golden[heading][index]


def test_table1_means_sds_differences_and_p(golden, data, pairs):
    t1 = _table(golden, "Table 1").set_index("Characteristic")
    style = Style()
    for var in CONTINUOUS:
        row = t1.loc[style.heading(var)]
        for group, column in ((1, "Cases (n = 78)"), (0, "Controls (n = 78)")):
            x = data.loc[data["case"] == group, var]
            _printed_as(row[column], [x.mean(), x.std(ddof=1)])
            assert set(_decimals(row[column])) == {VARIABLES[var]["decimals"]}
        d = pairs[f"{var}_1"] - pairs[f"{var}_0"]
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        _printed_as(row["Difference (95% CI)"], [d.mean(), d.mean() - half, d.mean() + half])
        _p_printed_as(row["p"], stats.ttest_rel(pairs[f"{var}_1"], pairs[f"{var}_0"]).pvalue)
        s1 = data.loc[data["case"] == 1, var].std(ddof=1)
        s0 = data.loc[data["case"] == 0, var].std(ddof=1)
        _printed_as(row["SMD"], [d.mean() / np.sqrt((s1**2 + s0**2) / 2)])


def test_table1_counts_and_chi2(golden, data):
    t1 = _table(golden, "Table 1").set_index("Characteristic")
    for var in COMORBIDITIES:
        row = t1.loc[Style().label(var)]
        table = pd.crosstab(data["case"], data[var])
        for group, column in ((1, "Cases (n = 78)"), (0, "Controls (n = 78)")):
            n = table.loc[group].sum()
            _printed_as(row[column], [table.loc[group, 1], 100 * table.loc[group, 1] / n])
        p = stats.chi2_contingency(table, correction=False).pvalue
        _p_printed_as(row["p"], p)
    females = t1.loc["Sex: Female"]
    _printed_as(females["Cases (n = 78)"], [50, 100 * 50 / 78])


def test_table2_spearman_with_outcome(golden, data):
    t2 = _table(golden, "Table 2").set_index("Indicator")
    for var in INDICATORS:
        row = t2.loc[Style().heading(var)]
        res = stats.spearmanr(data[var], data["case"])
        printed = _numbers(row["ρ (95% CI)"])[0]
        assert abs(printed - res.statistic) <= 0.0005 + 1e-12
        _p_printed_as(row["p"], res.pvalue)


def test_table2_odds_ratios_per_sd(golden, data):
    import statsmodels.api as sm

    t2 = _table(golden, "Table 2, continued").set_index("Indicator")
    for var in INDICATORS:
        x = pd.DataFrame(
            {
                var: data[var],
                "age": data["age"],
                "male": (data["sex"] == "M").astype(float),
                "bmi": data["bmi"],
            }
        )
        fit = sm.Logit(data["case"].astype(float), sm.add_constant(x)).fit(disp=0, tol=1e-10)
        sd = data[var].std(ddof=1)
        beta, se = fit.params[var] * sd, fit.bse[var] * sd
        z = stats.norm.ppf(0.975)
        row = t2.loc[Style().heading(var)]
        _printed_as(
            row["OR (95% CI)"], [np.exp(beta), np.exp(beta - z * se), np.exp(beta + z * se)]
        )
        _p_printed_as(row["p"], fit.pvalues[var])


def test_table3_matrix(golden, data):
    t3 = _table(golden, "Table 3").set_index("")
    label = Style().label
    for a in INDICATORS:
        for b in INDICATORS:
            cell = t3.loc[label(a), label(b)]
            if a == b:
                assert cell == "1"
                continue
            res = stats.spearmanr(data[a], data[b])
            _printed_as(cell.rstrip("*"), [res.statistic])
            assert cell.endswith("*") == (res.pvalue < 0.05)


def test_fig5_auc(golden, data):
    from sklearn.metrics import roc_auc_score

    table = _table(golden, "Fig. 5").set_index("Indicator")
    for var in INDICATORS:
        auc = roc_auc_score(data["case"], data[var])
        row = table.loc[Style().heading(var)]
        assert row["Case if"] == ("higher" if auc >= 0.5 else "lower")
        printed = _numbers(row["AUC (95% CI)"])[0]
        assert abs(printed - max(auc, 1 - auc)) <= 0.0005 + 1e-12


def test_every_paper_table_is_checked(golden):
    """A heading renamed in the golden file must not silently skip the checks above."""
    for prefix in ("Table 1", "Table 2", "Table 2, continued", "Table 3", "Fig. 5"):
        assert any(h.endswith(f"(the paper's {prefix})") for h in golden), prefix
    assert len(_table(golden, "Table 1")) == 12
