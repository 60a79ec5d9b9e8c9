"""Table 1 and Spearman at 10⁶ patients against the scipy calls doing the same tests.

- ``compare_groups`` on 5·10⁵ matched pairs (3 continuous variables by paired t, 2 categorical
  by χ²) against the same tests in scipy: pairing by one sort on (pair, case), then
  ``scipy.stats.ttest_rel`` per continuous variable and ``chi2_contingency`` on the counts per
  categorical one. Unpaired likewise (Welch ``ttest_ind``).
- ``spearman_matrix`` on 5 indicators (10 pairs, p and CI each) against one
  ``scipy.stats.spearmanr`` call on the 5-column matrix (ρ and p of every pair).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best_of, row
from scipy import stats

from ovcfstats import compare_groups, spearman_matrix

N = 1_000_000
CONTINUOUS = ["age", "bmi", "hu"]
CATEGORICAL = ["female", "diabetes"]


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    pairs = N // 2
    case = np.tile([1, 0], pairs)
    return pd.DataFrame(
        {
            "patient_id": np.arange(N).astype(str),
            "pair_id": np.repeat(np.arange(pairs), 2),
            "case": case,
            "age": np.round(rng.normal(70, 9, N), 1),
            "bmi": np.round(rng.normal(23, 3, N), 2),
            "hu": np.round(rng.normal(90 - 15 * case, 15), 1),
            "female": rng.integers(0, 2, N),
            "diabetes": rng.integers(0, 2, N),
        }
    )


def _scipy_paired(df: pd.DataFrame) -> None:
    order = np.lexsort((df["case"].to_numpy(), df["pair_id"].to_numpy()))
    ctrl, case = order[0::2], order[1::2]
    for v in CONTINUOUS:
        x = df[v].to_numpy()
        stats.ttest_rel(x[case], x[ctrl])
    _scipy_chi2(df)


def _scipy_chi2(df: pd.DataFrame) -> None:
    g = df["case"].to_numpy()
    for v in CATEGORICAL:
        x = df[v].to_numpy()
        table = np.array([[np.sum((x == lv) & (g == k)) for k in (1, 0)] for lv in (0, 1)])
        stats.chi2_contingency(table, correction=False)


def _scipy_unpaired(df: pd.DataFrame) -> None:
    g = df["case"].to_numpy() == 1
    for v in CONTINUOUS:
        x = df[v].to_numpy()
        stats.ttest_ind(x[g], x[~g], equal_var=False)
    _scipy_chi2(df)


def run() -> list[dict]:
    df = _data()
    variables = CONTINUOUS + CATEGORICAL
    peer_p = best_of(lambda: _scipy_paired(df))
    ours_p = best_of(lambda: compare_groups(df, variables))
    peer_u = best_of(lambda: _scipy_unpaired(df))
    ours_u = best_of(lambda: compare_groups(df, variables, pair=None))
    no_ids = df.drop(columns="patient_id")
    ours_p_noid = best_of(lambda: compare_groups(no_ids, variables))
    ours_u_noid = best_of(lambda: compare_groups(no_ids, variables, pair=None))
    ind = df[["age", "bmi", "hu", "female", "diabetes"]].astype(float)
    ind.columns = [f"x{i}" for i in range(5)]
    peer_s = best_of(lambda: stats.spearmanr(ind.to_numpy()), 2)
    ours_s = best_of(lambda: spearman_matrix(ind, list(ind.columns)), 2)
    target = "<= 1.5"
    return [
        row(
            "compare_groups, 5e5 pairs, 3 paired t + 2 chi2",
            ours_p,
            "scipy ttest_rel + chi2_contingency",
            peer_p,
            target,
            lambda r: r <= 1.5,
        ),
        row(
            "compare_groups, 1e6 unpaired, 3 Welch t + 2 chi2",
            ours_u,
            "scipy ttest_ind + chi2_contingency",
            peer_u,
            target,
            lambda r: r <= 1.5,
        ),
        row(
            "compare_groups, 5e5 pairs, no ID column (no duplicate-ID check)",
            ours_p_noid,
            "scipy ttest_rel + chi2_contingency",
            peer_p,
            target,
            lambda r: r <= 1.5,
        ),
        row(
            "compare_groups, 1e6 unpaired, no ID column (no duplicate-ID check)",
            ours_u_noid,
            "scipy ttest_ind + chi2_contingency",
            peer_u,
            target,
            lambda r: r <= 1.5,
        ),
        row(
            "spearman_matrix, 5 indicators, n=1e6",
            ours_s,
            "one scipy spearmanr matrix call",
            peer_s,
            target,
            lambda r: r <= 1.5,
        ),
    ]


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
