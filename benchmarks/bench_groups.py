"""Table 1 and Spearman at 10⁶ patients against the scipy calls doing the same tests.

- ``compare_groups`` on 5·10⁵ matched pairs (3 continuous variables by paired t, 2 categorical
  by χ²) against the same tests in scipy: pairing by one sort on (pair, case), then
  ``scipy.stats.ttest_rel`` per continuous variable and ``chi2_contingency`` on the counts per
  categorical one. Unpaired likewise (Welch ``ttest_ind``). The rows are sorted by pair with
  the case first (``match_controls``' order); once more with the rows shuffled.
- ``spearman_matrix`` on 5 indicators (10 pairs, p and CI each) against one
  ``scipy.stats.spearmanr`` call on the 5-column matrix (ρ and p of every pair).
- ``compare_groups`` on 10⁵ matched sets of one case and 1–4 controls (3.5·10⁵ patients, 2 %
  of one variable blank; 2 continuous, a 0/1 and a 3-level text variable): one
  conditional-logistic score test per variable, against R ``survival::clogit`` fitted per
  variable with ``summary()`` (whose "Score (logrank) test" is the same statistic; R fits the
  model iteratively, ours is the closed-form score at β = 0). R's time excludes reading the CSV.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

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


SETS = 100_000
SET_VARIABLES = ["age", "hu", "female", "smoker"]

R_CLOGIT = """
suppressMessages(library(survival)); d <- read.csv("{path}"); d$smoker <- factor(d$smoker)
t <- system.time(for (v in c("age", "hu", "female", "smoker")) {{
  s <- summary(clogit(as.formula(paste("case ~", v, "+ strata(set_id)")), data = d))$sctest
}})
cat(t[["elapsed"]], "\\n")
"""


def _sets() -> pd.DataFrame:
    """10⁵ matched sets of one case and 1–4 controls (case first in each set)."""
    rng = np.random.default_rng(4)
    size = rng.integers(1, 5, SETS) + 1
    codes = np.repeat(np.arange(SETS), size)
    n = codes.size
    case = np.zeros(n, dtype=int)
    case[np.r_[0, np.cumsum(size)[:-1]]] = 1
    hu = np.round(rng.normal(90 - 10 * case, 15), 1)
    hu[rng.random(n) < 0.02] = np.nan
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(n)],
            "set_id": codes,
            "case": case,
            "age": np.round(rng.normal(70, 9, n), 1),
            "hu": hu,
            "female": rng.integers(0, 2, n),
            "smoker": rng.choice(np.array(["never", "former", "current"], dtype=object), n),
        }
    )


def _r_clogit(sets: pd.DataFrame) -> float | None:
    """Seconds of R's clogit + summary per variable on ``sets`` (None without R)."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sets.csv"
        sets.to_csv(path, index=False)
        out = subprocess.run(
            ["Rscript", "-e", R_CLOGIT.format(path=path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


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
    # the same patients in random row order: no strided views, pairs found through their codes
    shuffled = df.iloc[np.random.default_rng(5).permutation(N)].reset_index(drop=True)
    peer_shuffled = best_of(lambda: _scipy_paired(shuffled))
    ours_shuffled = best_of(lambda: compare_groups(shuffled, variables))
    ind = df[["age", "bmi", "hu", "female", "diabetes"]].astype(float)
    ind.columns = [f"x{i}" for i in range(5)]
    peer_s = best_of(lambda: stats.spearmanr(ind.to_numpy()), 2)
    ours_s = best_of(lambda: spearman_matrix(ind, list(ind.columns)), 2)
    sets = _sets()
    ours_sets = best_of(lambda: compare_groups(sets, SET_VARIABLES, pair="set_id"))
    r_sets = _r_clogit(sets)
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
            "compare_groups, 5e5 pairs, rows shuffled, 10^6 text IDs",
            ours_shuffled,
            "scipy ttest_rel + chi2_contingency",
            peer_shuffled,
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
        row(
            "compare_groups, 1e5 matched 1:k sets, 4 clogit score tests",
            ours_sets,
            "R survival::clogit + summary per variable",
            r_sets,
            "<= 2",
            lambda r: r <= 2,
        ),
    ]


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
