"""AUC + DeLong CI + Youden cut-off at n = 10⁶ against sklearn's roc_auc_score and pROC."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best_of, r_seconds, row
from sklearn.metrics import roc_auc_score

from ovcfstats import compare_auc, roc_auc

N = 1_000_000

PROC = f"""
suppressMessages(library(pROC)); set.seed(1); n <- {N}
y <- rbinom(n, 1, 0.3); x <- round(rnorm(n) + 0.8 * y, 3)
t <- system.time({{r <- roc(y, x, levels = c(0, 1), direction = "<", quiet = TRUE)
  ci.auc(r, method = "delong"); coords(r, "best", transpose = FALSE)}})
cat(t[["elapsed"]], "\\n")
"""


def _data(k: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    y = rng.random(N) < 0.3
    cols = {f"x{i}": np.round(rng.normal(size=N) + 0.2 * (i + 1) * y, 3) for i in range(k)}
    return pd.DataFrame({"case": y.astype(int), **cols})


def run() -> list[dict]:
    df = _data(5)
    y, x = df["case"].to_numpy(), df["x0"].to_numpy()
    sk = best_of(lambda: roc_auc_score(y, x))
    one = best_of(lambda: roc_auc(df, "x0", direction="higher"))
    five = best_of(lambda: compare_auc(df, [f"x{i}" for i in range(5)], direction="higher"), 2)
    return [
        row(
            "AUC+DeLong CI+Youden, n=1e6",
            one,
            "sklearn roc_auc_score",
            sk,
            "<= 1.0",
            lambda r: r <= 1.0,
        ),
        row(
            "AUC+DeLong CI+Youden, n=1e6",
            one,
            "pROC roc+ci.auc+coords",
            r_seconds(PROC),
            "< 1.0",
            lambda r: r < 1.0,
        ),
        row(
            "paired DeLong, 5 indicators (10 pairs), n=1e6",
            five,
            "sklearn roc_auc_score",
            sk,
            "<= 6.0",
            lambda r: r <= 6.0,
        ),
    ]


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
