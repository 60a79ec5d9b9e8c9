"""Harrell's optimism bootstrap of a combined logistic model (B = 200 and 1,000) against a plain
scikit-learn loop doing the same refits, and against R's rms::validate."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best_of, r_seconds, row

from ovcfstats import combined_model

N, K = 600, 4  # 300 matched pairs, four indicators


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(N, K))
    y = (x @ np.array([0.9, -0.6, 0.4, 0.0]) + rng.logistic(size=N) > 0).astype(int)
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(K)]).assign(case=y)


def _sklearn_loop(x: np.ndarray, y: np.ndarray, b: int) -> float:
    """The same refits with scikit-learn: model on the resample, AUC and logistic
    recalibration (intercept, slope) on the resample and on the original rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    def recalibrate(lp: np.ndarray, yy: np.ndarray) -> np.ndarray:
        fit = LogisticRegression(C=np.inf, solver="newton-cholesky").fit(lp[:, None], yy)
        return np.r_[fit.intercept_, fit.coef_[0]]

    rng = np.random.default_rng(0)
    optimism = np.zeros(3)
    for _ in range(b):
        idx = rng.integers(0, y.size, y.size)
        model = LogisticRegression(C=np.inf, solver="newton-cholesky").fit(x[idx], y[idx])
        lp_train, lp_test = model.decision_function(x[idx]), model.decision_function(x)
        train = np.r_[roc_auc_score(y[idx], lp_train), recalibrate(lp_train, y[idx])]
        test = np.r_[roc_auc_score(y, lp_test), recalibrate(lp_test, y)]
        optimism += train - test
    return float(optimism[0] / b)


def _rms(b: int) -> str:
    return f"""
suppressMessages(library(rms)); set.seed(2); n <- {N}
x <- matrix(rnorm(n * {K}), n); y <- as.integer(x %*% c(0.9, -0.6, 0.4, 0) + rlogis(n) > 0)
d <- data.frame(x, y = y); f <- lrm(y ~ X1 + X2 + X3 + X4, data = d, x = TRUE, y = TRUE)
t <- system.time(validate(f, B = {b})); cat(t[["elapsed"]], "\\n")
"""


def run() -> list[dict]:
    df = _data()
    x, y = df[[f"x{i}" for i in range(K)]].to_numpy(), df["case"].to_numpy()
    rows = []
    for b in (200, 1000):
        ours = best_of(
            lambda b=b: combined_model(
                df, [f"x{i}" for i in range(K)], n_boot=b, seed=1, cv_repeats=1, compare=False
            ),
            2,
        )
        sk = best_of(lambda b=b: _sklearn_loop(x, y, b), 1)
        rows.append(
            row(
                f"optimism bootstrap B={b}, n={N}, {K} indicators (+ 10-fold CV, calibration, "
                "decision curve)",
                ours,
                "scikit-learn loop, same refits",
                sk,
                "<= 1.0",
                lambda r: r <= 1.0,
            )
        )
        rows.append(
            row(
                f"optimism bootstrap B={b}, n={N}, {K} indicators",
                ours,
                "rms::validate",
                r_seconds(_rms(b)),
                "—",
                lambda r: True,
            )
        )
    return rows


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
