"""ICC, all six forms with F tests and CIs, 10⁵ targets × 4 raters, against pingouin and psych;
and the study's reliability table (inter + intra, from the raw readings of a registry cohort)
against pingouin's ICC on the same matrices.

``OVCF_REGISTRY=/tmp/ovcfreg OVCF_PATIENTS=100000 python benchmarks/bench_icc.py`` reuses a
generated cohort of that size (default 10⁴ patients in a temporary folder).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of, r_seconds, row

from ovcfstats import icc

N, K = 100_000, 4
N_R = 2_000  # psych::ICC is far too slow at 10⁵ (aov() on a 10⁵-level factor)

PSYCH = f"""
suppressMessages(library(psych)); set.seed(1); n <- {N_R}; k <- {K}
y <- rnorm(n) + matrix(rnorm(n * k), n, k)
t <- system.time(ICC(y, lmer = FALSE))
cat(t[["elapsed"]], "\\n")
"""


def _data(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    y = rng.normal(size=(n, 1)) + rng.normal(size=(n, K)) + np.arange(K) * 0.1
    return pd.DataFrame(
        {
            "target": np.repeat(np.arange(n), K),
            "rater": np.tile([f"R{j}" for j in range(K)], n),
            "rating": y.ravel(),
        }
    )


def _pingouin(df: pd.DataFrame) -> pd.DataFrame:
    import pingouin

    pingouin.options["round.column.CI95"] = None  # full precision for the comparison
    with warnings.catch_warnings():  # pingouin's deprecation warnings under new pandas
        warnings.simplefilter("ignore")
        return pingouin.intraclass_corr(df, targets="target", raters="rater", ratings="rating")


def _ours(df: pd.DataFrame):
    return icc(df, targets="target", raters="rater", ratings="rating")


def _same_numbers(ours: pd.DataFrame, theirs: pd.DataFrame) -> float:
    """Largest relative difference over ICC, F, df, p and both CI limits (all six forms)."""
    ci = np.vstack(theirs["CI95"].to_numpy())
    pairs = [
        (ours["icc"], theirs["ICC"]),
        (ours["F"], theirs["F"]),
        (ours["df1"], theirs["df1"]),
        (ours["df2"], theirs["df2"]),
        (ours["p"], theirs["pval"]),
        (ours["ci_low"], ci[:, 0]),
        (ours["ci_high"], ci[:, 1]),
    ]
    worst = 0.0
    for a, b in pairs:
        a, b = np.asarray(a, float), np.asarray(b, float)
        scale = np.maximum(np.abs(b), 1e-300)
        worst = max(worst, float(np.max(np.where(a == b, 0.0, np.abs(a - b) / scale))))
    return worst


def _matrices(measurements: pd.DataFrame) -> list[np.ndarray]:
    """The complete n × k matrices behind the table (each measure, inter and intra)."""
    from ovcfstats import validate_measurements
    from ovcfstats.data._reading_codes import _Codes
    from ovcfstats.raters import DEFAULT_MEASURES
    from ovcfstats.raters._icc import widen
    from ovcfstats.raters._raters_codes import _design

    codes = _Codes.of(validate_measurements(measurements))
    out = []
    for kind in ("inter", "intra"):
        for measure in DEFAULT_MEASURES:
            d = _design(codes, measure, kind)
            if isinstance(d, str):
                continue
            values = codes.value[d.rows]
            kw = {"target_name": "t", "rater_name": "r", "ratings_name": "v", "nan_policy": "omit"}
            wide = widen(
                d.t_codes, np.arange(len(d.first)), d.r_codes, d.r_labels, values, func="b", **kw
            )
            out.append(wide.y)
    return out


def _long(y: np.ndarray) -> pd.DataFrame:
    n, k = y.shape
    return pd.DataFrame(
        {
            "target": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "rating": y.ravel(),
        }
    )


def registry_row() -> dict:
    """``reliability`` inter + intra from raw readings vs pingouin on the same matrices."""
    from ovcfstats import reliability, validate_measurements

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_indicators import _cohort

    n = int(os.environ.get("OVCF_PATIENTS", 10_000))
    base = Path(os.environ.get("OVCF_REGISTRY") or tempfile.mkdtemp(prefix="ovcf-bench-"))
    m = pd.read_parquet(_cohort(base, n) / "measurements.parquet")
    longs = [_long(y) for y in _matrices(m)]

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for kind in ("inter", "intra"):
                reliability(m, kind=kind)

    _ours(_data(50))  # imports (scipy.stats) outside the timing
    start = time.perf_counter()
    ours()
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    validate_measurements(m)
    print(f"of which one validate_measurements: {time.perf_counter() - start:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    for df in longs:
        _pingouin(df)
    peer_s = time.perf_counter() - start
    print(f"reliability {n} patients ({len(m)} readings): peak RSS {peak:.2f} GiB")
    return row(
        f"reliability inter + intra from {len(m):.1e} raw readings ({n} patients)",
        ours_s,
        f"pingouin intraclass_corr on the {len(longs)} matrices",
        peer_s,
        "<= 1.5",
        lambda r: r <= 1.5,
    )


def run() -> list[dict]:
    df = _data(N)
    diff = _same_numbers(_ours(df).table, _pingouin(df))
    print(f"ICC {N}x{K}: largest relative difference to pingouin {diff:.2e}")
    assert diff < 1e-10, diff
    ours = best_of(lambda: _ours(df))
    peer = best_of(lambda: _pingouin(df), 2)
    small = _data(N_R)
    ours_small = best_of(lambda: _ours(small))
    return [
        row(
            f"ICC six forms, {N:.0e} x {K}",
            ours,
            "pingouin intraclass_corr",
            peer,
            ">= 3x faster",
            lambda r: r <= 1 / 3,
        ),
        row(
            f"ICC six forms, {N_R} x {K}",
            ours_small,
            "R psych::ICC(lmer=FALSE)",
            r_seconds(PSYCH),
            "< 1.0",
            lambda r: r < 1.0,
        ),
        registry_row(),
    ]


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
