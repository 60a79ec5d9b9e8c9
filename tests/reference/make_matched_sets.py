"""Writes tests/reference/matched_1to2.csv and matched_1to4.csv: synthetic matched sets.

Run from the repository root: ``python tests/reference/make_matched_sets.py``; then
``Rscript tests/reference/clogit_1to_k.R`` writes the reference ORs (survival::clogit) and
``Rscript tests/reference/sets_difference.R`` Table 1's within-set differences and t CIs.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def matched_sets(n_sets: int, k: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(1, n_sets + 1):
        sex = rng.choice(["F", "M"])
        age = int(rng.integers(55, 85))
        for j in range(k + 1):
            case = int(j == 0)
            rows.append(
                {
                    "patient_id": f"S{s:03d}-{j}",
                    "set_id": f"set{s:03d}",
                    "case": case,
                    "age": age + int(rng.integers(-2, 3)),
                    "sex": sex,
                    "bmi": round(float(rng.normal(23.5 - 0.8 * case, 3)), 1),
                    "hu": round(float(rng.normal(120 - 25 * case, 30)), 1),
                    "tbs": round(float(rng.normal(1.30 - 0.06 * case, 0.1)), 3),
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    matched_sets(45, 2, 12).to_csv(HERE / "matched_1to2.csv", index=False)
    matched_sets(30, 4, 14).to_csv(HERE / "matched_1to4.csv", index=False)
