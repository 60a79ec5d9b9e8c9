"""Multiple imputation + pooled logistic OR against statsmodels MICE, with peak memory.

The cohort of ``bench_regression.cohort`` with holes in HU (30 %, more in older patients), BMI
(15 %) and sex (10 %, coded 0/1 for statsmodels): ``impute(m=20)`` (20 chains × 5 cycles, PMM for
HU and BMI, logistic for sex) followed by the pooled ``logistic_or(hu ~ age + sex + bmi)``, against
statsmodels ``MICE(...).fit(n_burnin=5, n_imputations=20)`` with ``skip=4`` (one chain of
5 + 20·5 = 105 cycles, PMM for every variable, the GLM fitted and pooled on each imputation) on
the same data, at 10⁴ and 10⁵ patients.

Each measurement runs in its own process so that its peak RSS is its own; the data are generated
in that process and excluded from the time, included in the peak. One call each.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import row  # noqa: E402
from bench_regression import cohort  # noqa: E402

M = 20


def holes(n: int, seed: int = 3) -> pd.DataFrame:
    """``cohort(n)`` with MAR holes in HU, BMI and sex (0/1)."""
    rng = np.random.default_rng(seed)
    df = cohort(n)[["patient_id", "case", "age", "sex", "bmi", "hu"]].copy()
    df["sex"] = (df["sex"] == "M").astype(float)
    old = 1 / (1 + np.exp(-(df["age"] - 70) / 5))
    df.loc[rng.random(n) < 0.45 * old, "hu"] = np.nan
    df.loc[rng.random(n) < 0.15, "bmi"] = np.nan
    df.loc[rng.random(n) < 0.10, "sex"] = np.nan
    return df


def measure(case: str, n: int) -> dict:
    import statsmodels.api as sm
    from statsmodels.imputation.mice import MICE, MICEData

    from ovcfstats import impute, logistic_or

    df = holes(n)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    if case == "ours":
        imp = impute(df, ["hu", "bmi", "sex"], m=M, seed=1)
        beta = float(logistic_or(imp, "hu", adjust=("age", "sex", "bmi")).table.loc[0, "beta"])
    else:
        data = MICEData(df.drop(columns="patient_id"))
        model = MICE("case ~ hu + age + sex + bmi", sm.GLM, data,
                     init_kwds={"family": sm.families.Binomial()})
        np.random.seed(1)  # noqa: NPY002 - statsmodels draws from numpy's global state
        beta = float(model.fit(n_burnin=5, n_imputations=M).params[1])
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "beta_hu": beta}


def _run(case: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--case", case, str(n)],
        capture_output=True, text=True, check=True, timeout=7200,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    rows = []
    for n in (10_000, 100_000):
        ours, theirs = _run("ours", n), _run("statsmodels", n)
        result = row(
            f"impute (m = 20, PMM + logistic) + pooled logistic_or, n={n:.0e}",
            ours["seconds"],
            "statsmodels MICE (20 imputations, 105 cycles) + pooled GLM",
            theirs["seconds"],
            "<= 0.5",
            lambda r: r <= 0.5,
        )
        result["ours_peak_mb"] = round(ours["peak_mb"])
        result["peer_peak_mb"] = round(theirs["peak_mb"])
        result["beta_hu"] = f"{ours['beta_hu']:.5f} / {theirs['beta_hu']:.5f}"
        rows.append(result)
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(pd.DataFrame(run()).to_string(index=False))
