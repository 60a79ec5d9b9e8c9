"""Writes impute_completed.csv: m = 5 completed tables of a matched 1:1 sample with MAR holes.

The tables are the input of impute_pool.R (pooled glm and clogit fits by ``mice::pool``); the
tests pool the same tables with ``logistic_or`` and compare. Run from the repository root:
``.venv/bin/python tests/reference/impute_make.py && Rscript tests/reference/impute_pool.R``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ovcfstats import impute

HERE = Path(__file__).parent


def sample(n_pairs: int = 120, seed: int = 2028) -> pd.DataFrame:
    """Cases and their matched controls: HU lower and BMI higher in cases; holes depend on age."""
    rng = np.random.default_rng(seed)
    age = np.repeat(rng.normal(70, 8, n_pairs), 2) + rng.normal(0, 1, 2 * n_pairs)
    case = np.tile([1, 0], n_pairs)
    df = pd.DataFrame({
        "patient_id": [f"P{i:03d}" for i in range(2 * n_pairs)],
        "pair_id": np.repeat(np.arange(n_pairs), 2),
        "case": case,
        "age": age.round(1),
        "sex": np.repeat(rng.choice(["F", "M"], n_pairs, p=[0.7, 0.3]), 2),
        "hu": (160 - 1.2 * (age - 70) - 25 * case + rng.normal(0, 25, 2 * n_pairs)).round(1),
        "bmi": (24 + 1.0 * case + rng.normal(0, 3, 2 * n_pairs)).round(1),
    })
    older = 1 / (1 + np.exp(-(age - 75) / 4))
    df.loc[rng.random(len(df)) < 0.35 * older, "hu"] = np.nan
    df.loc[rng.random(len(df)) < 0.15, "bmi"] = np.nan
    return df


if __name__ == "__main__":
    imputed = impute(sample(), m=5, seed=11, matched_on=("age", "sex"))
    long = pd.concat(
        [d.assign(imp=i) for i, d in enumerate(imputed.datasets, start=1)], ignore_index=True
    )
    long.to_csv(HERE / "impute_completed.csv", index=False)
