"""The whole ``ovcfstats analyze`` from raw readings on a registry-size cohort: time and memory.

Each run is a fresh process (``--worker``) running the command line on a generated cohort
(``write_registry``; Parquet, or CSV written from it), so its peak RSS (``ru_maxrss``) is the
command's own; the progress lines give the time of each step. ``run()`` (``make bench``) measures
10⁵ patients from Parquet and from CSV; 10⁶ patients (≈ 10 minutes, ≈ 1 GB of files) with
``OVCF_BENCH_MILLION=1`` (Parquet and CSV). Cohorts are kept in ``$OVCF_REGISTRY`` when set.

``python benchmarks/bench_scale.py N [csv]`` runs one measurement and prints it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import row

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGETS = {100_000: (30.0, 2.0), 1_000_000: (600.0, 24.0)}  # seconds, GiB


def cohort(n: int, fmt: str = "parquet") -> Path:
    """The generated cohort of ``n`` patients (written once, kept in $OVCF_REGISTRY)."""
    base = Path(os.environ.get("OVCF_REGISTRY") or tempfile.gettempdir()) / f"registry_{n}"
    if not (base / "measurements.parquet").exists():
        sys.path.insert(0, str(ROOT))
        from ovcfstats import write_registry

        write_registry(base, n, fmt="parquet")
    if fmt == "csv" and not (base / "measurements.csv").exists():
        import duckdb  # streams the Parquet into CSV: 10⁶ patients never sit in memory

        for name in ("patients", "measurements"):
            source, target = base / f"{name}.parquet", base / f"{name}.csv"
            duckdb.sql(f"COPY (SELECT * FROM read_parquet('{source}')) TO '{target}' (HEADER)")
    return base


def worker(n: int, fmt: str) -> dict:
    """In this process: the command on the cohort; seconds, peak RSS and each step's start."""
    import contextlib
    import io
    import resource
    import time

    sys.path.insert(0, str(ROOT))
    from ovcfstats.cli import main

    folder = cohort(n, fmt)
    err = io.StringIO()
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stderr(err):
        start = time.perf_counter()
        status = main(
            ["analyze", str(folder / f"patients.{fmt}"), str(folder / f"measurements.{fmt}"),
             "--out", out]
        )  # fmt: skip
        seconds = time.perf_counter() - start
    if status:
        raise RuntimeError(err.getvalue())
    steps = {
        m[1]: float(m[2]) for m in re.finditer(r"\] \d+/\d+ (.+?) \[([\d.]+) s\]", err.getvalue())
    }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {
        "n": n,
        "fmt": fmt,
        "seconds": round(seconds, 1),
        "peak_gib": round(peak, 2),
        "steps": steps,
    }


def measure(n: int, fmt: str = "parquet") -> dict:
    cohort(n, fmt)  # written outside the timed process
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(n), fmt],
        check=True, capture_output=True, text=True, cwd=HERE,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    sizes = [(100_000, "parquet"), (100_000, "csv")]
    if os.environ.get("OVCF_BENCH_MILLION"):
        sizes += [(1_000_000, "parquet"), (1_000_000, "csv")]
    rows = []
    for n, fmt in sizes:
        r = measure(n, fmt)
        seconds, gib = TARGETS[n]
        print(json.dumps(r), flush=True)
        rows.append(
            row(
                f"ovcfstats analyze, raw readings, {n:,} patients, {fmt}",
                r["seconds"],
                f"absolute target {seconds:g} s",
                seconds,
                f"< 1.0 and peak < {gib:g} GiB",
                lambda ratio, r=r, gib=gib: ratio < 1.0 and r["peak_gib"] < gib,
                peak_gib=r["peak_gib"],
            )
        )
    return rows


if __name__ == "__main__":
    if sys.argv[1] == "--worker":
        print(json.dumps(worker(int(sys.argv[2]), sys.argv[3])))
    else:
        print(
            json.dumps(measure(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "parquet"))
        )
