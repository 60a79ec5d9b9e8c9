"""Logistic and conditional logistic regression against statsmodels and R, with peak memory.

- ``logistic_or`` (Wald CIs), five separate models each adjusted for age, sex and BMI, at 10⁴,
  10⁵ and 10⁶ rows, per model, against statsmodels ``Logit(...).fit()`` with its SEs, CIs and
  p-values on the same design (built from the same DataFrame), the faster of its runs with the
  default BLAS threads and with one;
- profile-likelihood CIs of the same five models at 10⁵ rows against R ``glm`` + ``confint``
  (MASS's profile in R 4.2), timed inside R;
- conditional logistic regression (``conditional=True``, 1:1 pairs and 1:4 sets, 10⁴ and 10⁵
  sets, ``case ~ hu + vbq + bmi``) against ``survival::clogit`` + ``summary`` + ``confint``.

Each measurement runs in its own process (``python bench_regression.py --case ...`` or
``Rscript`` under ``/usr/bin/time``) so that its peak RSS is its own; the data are generated in
that process (same seed, same numbers) and excluded from the time, included in the peak.
Times are the best of ``REPEATS`` calls for Python, one call for R.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import row  # noqa: E402

INDICATORS = ["t_score", "hu", "vbq", "rcsa", "fi"]
REPEATS = 2


def cohort(n: int, seed: int = 1) -> pd.DataFrame:
    """A synthetic unmatched cohort: outcome, five indicators, age, sex, BMI (each within its
    plausible range, which every step checks)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(68, 9, n).round(0)
    sex = np.where(rng.random(n) < 0.7, "F", "M")
    hu = rng.normal(120, 35, n).round(1)
    vbq = rng.normal(3.0, 0.5, n).round(2).clip(0)
    eta = -0.5 - 0.015 * (hu - 120) + 0.8 * (vbq - 3) + 0.03 * (age - 68) + 0.2 * (sex == "F")
    return pd.DataFrame(
        {
            "patient_id": np.char.add("P", np.arange(n).astype(str)),
            "case": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int),
            "age": age,
            "sex": sex,
            "bmi": rng.normal(24, 3.5, n).round(1).clip(8, 100),
            "t_score": rng.normal(-2, 1, n).round(1),
            "hu": hu,
            "vbq": vbq,
            "rcsa": rng.normal(1.1, 0.25, n).round(3).clip(0.01),
            "fi": rng.normal(20, 8, n).round(1).clip(0, 100),
        }
    )


def matched_sets(n_sets: int, k: int, seed: int = 2) -> pd.DataFrame:
    """``n_sets`` matched sets of one case and ``k`` controls."""
    rng = np.random.default_rng(seed)
    n = n_sets * (k + 1)
    case = np.tile(np.r_[1, np.zeros(k, int)], n_sets)
    return pd.DataFrame(
        {
            "patient_id": np.char.add("P", np.arange(n).astype(str)),
            "pair_id": np.repeat(np.arange(n_sets), k + 1),
            "case": case,
            "hu": (rng.normal(120, 35, n) - 10 * case).round(1),
            "vbq": (rng.normal(3.0, 0.5, n) + 0.2 * case).round(2).clip(0),
            "bmi": rng.normal(24, 3.5, n).round(1).clip(8, 100),
        }
    )


# -- one measurement per process ------------------------------------------------------------


def _best(func) -> float:
    best = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _statsmodels_models(df: pd.DataFrame) -> None:
    import statsmodels.api as sm

    y = df["case"].to_numpy()
    sex_m = (df["sex"] == "M").to_numpy(float)
    for ind in INDICATORS:
        X = sm.add_constant(np.column_stack([df[ind], df["age"], sex_m, df["bmi"]]))
        fit = sm.Logit(y, X).fit(disp=0)
        fit.bse, fit.pvalues, fit.conf_int()


def measure(case: str, n: int) -> dict:
    """Run one measurement in this process: seconds and peak RSS (MB)."""
    import warnings

    from ovcfstats import logistic_or

    warnings.simplefilter("ignore")
    if case in ("wald", "profile", "statsmodels"):
        df = cohort(n)
        warm = cohort(500)
        if case == "statsmodels":  # its faster of default and one BLAS thread (as ours runs)
            from threadpoolctl import threadpool_limits

            _statsmodels_models(warm)
            seconds = _best(lambda: _statsmodels_models(df))
            with threadpool_limits(1, user_api="blas"):
                seconds = min(seconds, _best(lambda: _statsmodels_models(df)))
            seconds /= len(INDICATORS)
        else:
            logistic_or(warm, INDICATORS, ci=case)
            seconds = _best(lambda: logistic_or(df, INDICATORS, ci=case))
            seconds /= len(INDICATORS) if case == "wald" else 1
    else:  # "clogit1", "clogit4"
        df = matched_sets(n, int(case[-1]))
        kw = {"adjust": ["bmi"], "model": "joint", "conditional": True}
        logistic_or(matched_sets(200, int(case[-1])), ["hu", "vbq"], **kw)
        seconds = _best(lambda: logistic_or(df, ["hu", "vbq"], **kw))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak}


def _ours(case: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--case", case, str(n)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- R -------------------------------------------------------------------------------------------

R_PROFILE = """
d <- read.csv("{path}"); d$sex <- factor(d$sex)
t <- system.time(for (v in c("t_score", "hu", "vbq", "rcsa", "fi")) {{
  f <- glm(as.formula(paste("case ~", v, "+ age + sex + bmi")), family = binomial, data = d)
  s <- summary(f)$coefficients; ci <- suppressMessages(confint(f))
}})
cat(t[["elapsed"]], "\\n")
"""

R_CLOGIT = """
suppressMessages(library(survival)); d <- read.csv("{path}")
t <- system.time({{f <- clogit(case ~ hu + vbq + bmi + strata(pair_id), data = d)
  s <- summary(f); ci <- confint(f)}})
cat(t[["elapsed"]], "\\n")
"""


def _r(code: str, frame: pd.DataFrame) -> dict | None:
    """Seconds R reports for ``code`` on ``frame`` and the process's peak RSS (MB)."""
    if shutil.which("Rscript") is None or not Path("/usr/bin/time").exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        frame.to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(code.format(path=path))
        out = subprocess.run(
            ["/usr/bin/time", "-f", "PEAK %M", "Rscript", str(script)],
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
    try:
        seconds = float(out.stdout.strip().splitlines()[-1])
        peak = [ln for ln in out.stderr.splitlines() if ln.startswith("PEAK")][-1]
        return {"seconds": seconds, "peak_mb": float(peak.split()[1]) / 1024}
    except (ValueError, IndexError):
        return None


def _row(name: str, ours: dict, peer: str, theirs: dict | None, target: float) -> dict:
    result = row(
        name, ours["seconds"], peer, theirs and theirs["seconds"], f"<= {target}",
        lambda r: r <= target,
    )  # fmt: skip
    result["ours_peak_mb"] = round(ours["peak_mb"])
    result["peer_peak_mb"] = round(theirs["peak_mb"]) if theirs else None
    return result


def run() -> list[dict]:
    rows = []
    for n in (10_000, 100_000, 1_000_000):
        rows.append(
            _row(
                f"logistic_or Wald, per model (5 separate, + age, sex, BMI), n={n:.0e}",
                _ours("wald", n),
                "statsmodels Logit.fit + bse/pvalues/conf_int, per model",
                _ours("statsmodels", n),
                1.5,
            )
        )
    n = 100_000
    rows.append(
        _row(
            f"logistic_or profile CI, 5 separate models, n={n:.0e}",
            _ours("profile", n),
            "R glm + confint (MASS profile), 5 models",
            _r(R_PROFILE, cohort(n)),
            1.0,
        )
    )
    for k in (1, 4):
        for sets in (10_000, 100_000):
            rows.append(
                _row(
                    f"conditional logit 1:{k}, {sets:.0e} sets, hu + vbq + bmi",
                    _ours(f"clogit{k}", sets),
                    "R survival::clogit + summary + confint",
                    _r(R_CLOGIT, matched_sets(sets, k)),
                    2.0,
                )
            )
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(pd.DataFrame(run()).to_string(index=False))
