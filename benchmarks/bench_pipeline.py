"""Whole-process timings: ``import ovcfstats`` and ``ovcfstats reproduce`` on the sample; and
the pipeline's steps one by one from raw readings on a registry-size cohort.

``python benchmarks/bench_pipeline.py --stages 100000`` runs the steps of ``reproduce`` (read,
validate, reliability, indicators, matching, Table 1, Spearman, logistic ORs, ROC) in one
process on a generated cohort of that many patients and prints, per step, the seconds and the
process's peak RSS so far. Add ``--profile STEP`` to print cProfile's top functions for a step.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _timing import row

ROOT = Path(__file__).resolve().parents[1]


def _process(args: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def run() -> list[dict]:
    bare = _process(["-c", "pass"])
    pandas = _process(["-c", "import pandas"]) - bare
    ours = _process(["-c", "import ovcfstats"]) - bare
    with tempfile.TemporaryDirectory() as out:
        whole = _process(["-m", "ovcfstats", "reproduce", "--out", out], repeat=1)
    return [
        row(
            "import ovcfstats (minus interpreter start)",
            ours,
            "import pandas alone",
            pandas,
            "ours <= 0.4 s",
            lambda r: ours <= 0.4,
        ),
        row(
            "ovcfstats reproduce, whole process, all exports",
            whole,
            "absolute target 10 s",
            10.0,
            "< 1.0",
            lambda r: r < 1.0,
        ),
    ]


def _steps(folder: Path) -> list[tuple[str, object]]:
    """The steps of ``reproduce`` as closures, in order, sharing their results."""
    import ovcfstats as ov
    from ovcfstats.data.schema import INDICATORS

    state: dict = {}

    def read():
        state["p"] = pd.read_parquet(folder / "patients.parquet")
        state["m"] = pd.read_parquet(folder / "measurements.parquet")

    def validate():
        state["p"] = ov.validate_patients(state["p"])
        ov.validate_measurements(state["m"], state["p"])

    def reliability():
        for kind in ("inter", "intra"):
            ov.reliability(state["m"], kind=kind)

    def indicators():
        state["ind"] = ov.derive_indicators(state["p"], state["m"]).table

    def matching():
        method = os.environ.get("OVCF_MATCHING", "optimal")
        state["data"] = ov.match_controls(state["ind"], caliper={"age": 2}, method=method).matched

    def table1():
        cols = ["age", "sex", "bmi", "hypertension", "diabetes", "hyperlipidemia", *INDICATORS]
        ov.compare_groups(state["data"], cols)

    def spearman():
        ov.spearman_outcome(state["data"], INDICATORS)
        ov.spearman_matrix(state["data"], INDICATORS)

    def models():
        ov.logistic_or(state["data"], INDICATORS)

    def roc():
        ov.roc_auc(state["data"], INDICATORS)
        ov.compare_auc(state["data"], INDICATORS, adjust="holm")

    return [
        (f.__name__, f)
        for f in (read, validate, reliability, indicators, matching, table1, spearman, models, roc)
    ]


def stages(n: int, profile: str | None = None) -> list[dict]:
    """Run the steps on an ``n``-patient cohort; seconds and peak RSS (GiB) after each."""
    import warnings

    sys.path.insert(0, str(ROOT))
    from bench_indicators import _cohort

    base = Path(os.environ.get("OVCF_REGISTRY") or tempfile.mkdtemp(prefix="ovcf-bench-"))
    folder = _cohort(base, n)
    out = []
    warnings.simplefilter("ignore")
    for name, step in _steps(folder):
        prof = cProfile.Profile() if name == profile else None
        start = time.perf_counter()
        if prof:
            prof.enable()
        step()
        if prof:
            prof.disable()
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        out.append({"step": name, "seconds": round(seconds, 2), "peak_gib": round(peak, 2)})
        print(json.dumps(out[-1]), flush=True)
        if prof:
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(25)
            print(text.getvalue(), flush=True)
    return out


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--stages":
        profile = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--profile" else None
        stages(int(sys.argv[2]), profile)
    else:
        print(pd.DataFrame(run()).to_string(index=False))
