"""``validate_patients`` + ``validate_measurements`` on a registry-size cohort: seconds and memory.

``python benchmarks/bench_validate.py DIR`` reads ``DIR/patients.parquet`` and
``DIR/measurements.parquet`` (written by ``python -m ovcfstats.datasets --patients N --parquet
--out DIR``) and validates them in a fresh process per implementation, printing the seconds,
the process's peak RSS and the part of it the validation added on top of the loaded tables.
``--before`` also times the string-by-string validators kept in ``tests/_schema_before.py`` (the
reference of the equality tests), so that both run in one session on the same data.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _child(directory: str, impl: str) -> None:
    """Run in a fresh process: read, then time the two validators; print one JSON line."""
    import pandas as pd

    sys.path.insert(0, str(ROOT))
    if impl == "before":
        sys.path.insert(0, str(ROOT / "tests"))
        import _schema_before as schema
    else:
        from ovcfstats.data import schema
    patients = pd.read_parquet(Path(directory) / "patients.parquet")
    measurements = pd.read_parquet(Path(directory) / "measurements.parquet")
    loaded = _peak_gib()
    start = time.perf_counter()
    valid = schema.validate_patients(patients)
    middle = time.perf_counter()
    schema.validate_measurements(measurements, valid)
    end = time.perf_counter()
    print(
        json.dumps(
            {
                "impl": impl,
                "readings": len(measurements),
                "patients_s": round(middle - start, 3),
                "measurements_s": round(end - middle, 3),
                "peak_gib": round(_peak_gib(), 2),
                "added_gib": round(_peak_gib() - loaded, 2),
                "pandas": pd.__version__,
            }
        )
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--before", action="store_true", help="time the previous validators too")
    parser.add_argument("--child", choices=["new", "before"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.directory, args.child)
        return
    for impl in ["new", "before"] if args.before else ["new"]:
        out = subprocess.run(
            [sys.executable, __file__, args.directory, "--child", impl],
            check=True,
            capture_output=True,
            text=True,
        )
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
