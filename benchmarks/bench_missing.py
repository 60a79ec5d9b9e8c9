"""The missing-data section, 10⁶ patients × 11 variables with 5 % holes: ``describe_missing``
(per variable by group and the patterns) against pandas ``isna().value_counts()`` (the patterns
only) and R ``mice::md.pattern`` (the patterns and the column totals) on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best_of, r_seconds, row

from ovcfstats import describe_missing

N, K, HOLES = 1_000_000, 11, 0.05

MD_PATTERN = f"""
suppressMessages(library(mice)); set.seed(1); n <- {N}; k <- {K}
x <- matrix(rnorm(n * k), n, k); x[matrix(runif(n * k) < {HOLES}, n, k)] <- NA
x <- as.data.frame(x)
t <- system.time(md.pattern(x, plot = FALSE))
cat(t[["elapsed"]], "\\n")
"""


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N, K))
    x[rng.random((N, K)) < HOLES] = np.nan
    df = pd.DataFrame(x, columns=[f"v{j}" for j in range(K)])
    df.insert(0, "case", rng.integers(0, 2, N))
    return df


def run() -> list[dict]:
    df = _data()
    columns = [c for c in df.columns if c != "case"]
    ours = best_of(lambda: describe_missing(df, columns))
    pandas = best_of(lambda: df[columns].isna().value_counts())
    ours_counts = sorted(describe_missing(df, columns).patterns["n"].tolist())
    if ours_counts != sorted(df[columns].isna().value_counts().tolist()):
        raise AssertionError("describe_missing and pandas count different patterns")
    r = r_seconds(MD_PATTERN)
    what = f"missing values per variable by group and the patterns, {N:,} × {K}, 5 % holes"
    return [
        row(what, ours, "pandas `isna().value_counts()` (patterns only)", pandas, "≤ 2.0",
            lambda x: x <= 2.0),
        row(what, ours, "R `mice::md.pattern(plot = FALSE)`", r, "< 1.0", lambda x: x < 1.0),
    ]  # fmt: skip


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
