"""Run every benchmark in this folder in one process and print one table of ratios.

Usage: ``make bench`` (or ``.venv/bin/python benchmarks/run_all.py [name ...]``). Each
``bench_<topic>.py`` exposes ``run() -> list[dict]`` with keys ``benchmark``, ``ours_s``, ``peer``,
``peer_s``, ``ratio``, ``target``, ``met``. Results are also written to ``benchmarks/results.csv``.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(names: list[str]) -> int:
    rows: list[dict] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if names and path.stem.removeprefix("bench_") not in names:
            continue
        print(f"== {path.stem}", flush=True)
        rows += _load(path).run()
    table = pd.DataFrame(rows)
    print(f"\nPython {platform.python_version()} on {platform.machine()}, {platform.processor()}")
    print(table.to_string(index=False))
    table.to_csv(HERE / "results.csv", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
