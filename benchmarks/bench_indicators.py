"""derive_indicators at registry scale: the pandas engine vs a plain pandas group-by of the same
rules, and the DuckDB engine straight from Parquet.

Every measurement runs in a fresh process (``--worker``), so that its peak RSS (``ru_maxrss``) is
its own; the input is read from Parquet before the clock starts and is part of the peak. The
peer, :func:`plain_groupby`, is the straightforward implementation of the rules with pandas
``groupby``/``pivot_table`` on an already clean table (no validation), as a user would write it.

Usage: ``python benchmarks/bench_indicators.py`` (cohorts are generated once into a temporary
folder, or into ``$OVCF_REGISTRY`` when set and kept there). ``OVCF_BENCH_1E6=1`` adds the
10⁶-patient DuckDB row (≈ 1.3·10⁸ readings, a few minutes).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import row

ROOT = Path(__file__).resolve().parents[1]
DISCS = ("L1-2", "L2-3", "L3-4", "L4-5")
MUSCLES = ("PM", "MF", "ES")
SIDES = ("L", "R")


# -- the peer ----------------------------------------------------------------------------------
def plain_groupby(patients: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    """The indicator rules as a plain pandas group-by (clean input assumed, equal FI weights)."""
    first = m[(m["session"] == 1) & m["value"].notna()]
    cells = first.groupby(
        ["patient_id", "measure", "level", "muscle", "side"], sort=False, as_index=False
    )["value"].mean()
    fracture = patients.set_index("patient_id")["fracture_level"]
    out = pd.DataFrame(index=pd.Index(patients["patient_id"], name="patient_id"))
    for measure, how in (("t_score", "mean"), ("hu", "mean"), ("si_vertebra", "median")):
        rows = cells[cells["measure"] == measure]
        rows = rows[rows["level"] != rows["patient_id"].map(fracture)]
        g = rows.groupby("patient_id")["value"]
        value, n = g.agg(how).reindex(out.index), g.size().reindex(out.index).fillna(0)
        out[measure] = value.where(n >= 2)
    csf = cells[cells["measure"] == "si_csf"].pivot_table(
        index="patient_id", columns="level", values="value", aggfunc="first"
    )
    csf = csf.reindex(index=out.index, columns=["L3", "L2", "L4"])
    level = csf.notna().idxmax(axis=1).where(csf.notna().any(axis=1))
    value = csf["L3"].fillna(csf["L2"]).fillna(csf["L4"])
    out["vbq"] = (out.pop("si_vertebra") / value).where(value > 0)
    out["vbq_csf_level"] = level.fillna("")
    muscle = cells[cells["measure"] == "csa_muscle"].pivot_table(
        index=["patient_id", "level"], columns=["muscle", "side"], values="value", aggfunc="first"
    )
    disc = cells[cells["measure"] == "csa_disc"].set_index(["patient_id", "level"])["value"]
    disc = disc.reindex(muscle.index)
    complete = muscle.notna().all(axis=1) & (disc > 0)
    ratio = (muscle.sum(axis=1) / disc).where(complete)
    out["rcsa"] = ratio.groupby(level=0).mean().reindex(out.index)
    fat = cells[cells["measure"] == "fat_fraction"]
    out["fi"] = fat.groupby("patient_id")["value"].mean().reindex(out.index)
    return patients.merge(out.reset_index(), on="patient_id", how="left")


# -- workers (one process per measurement) -----------------------------------------------------
def _worker(kind: str, folder: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from ovcfstats import derive_indicators

    patients = pd.read_parquet(Path(folder) / "patients.parquet")
    readings = Path(folder) / "measurements.parquet"
    if kind == "duckdb":
        start = time.perf_counter()
        res = derive_indicators(patients, readings, engine="duckdb", memory_limit="4GB")
        seconds = time.perf_counter() - start
        table = res.table
    else:
        m = pd.read_parquet(readings)
        start = time.perf_counter()
        if kind == "pandas":
            table = derive_indicators(patients, m, engine="pandas").table
        else:
            table = plain_groupby(patients, m)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GiB (ru_maxrss in KiB)
    sums = {c: float(np.nansum(table[c])) for c in ("t_score", "hu", "vbq", "rcsa", "fi")}
    return {"seconds": seconds, "peak_gib": peak, "sums": sums}


def _measure(kind: str, folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(folder)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cohort(base: Path, n: int) -> Path:
    folder = base / f"registry_{n}"
    if not (folder / "measurements.parquet").exists():
        sys.path.insert(0, str(ROOT))
        from ovcfstats import write_registry

        write_registry(folder, n, fmt="parquet")
    return folder


def _same(a: dict, b: dict) -> None:
    for k, v in a["sums"].items():
        if not np.isclose(v, b["sums"][k], rtol=1e-9):
            raise AssertionError(f"{k}: ours {v} ≠ peer {b['sums'][k]}")


def run() -> list[dict]:
    keep = os.environ.get("OVCF_REGISTRY")
    base = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="ovcf-bench-"))
    rows = []
    for n in (1_000, 10_000, 100_000):
        folder = _cohort(base, n)
        peer, ours = _measure("groupby", folder), _measure("pandas", folder)
        _same(ours, peer)
        rows.append(
            row(
                f"derive_indicators (pandas engine, validation included), {n:.0e} patients; "
                f"peak {ours['peak_gib']:.2f} vs {peer['peak_gib']:.2f} GiB",
                ours["seconds"],
                "plain pandas groupby of the same rules (no validation)",
                peer["seconds"],
                "<= 1.0",
                lambda r: r <= 1.0,
            )
        )
    duck = _measure("duckdb", _cohort(base, 100_000))
    _same(duck, ours)
    rows.append(
        row(
            f"derive_indicators (DuckDB engine from Parquet), 1e+05 patients; "
            f"peak {duck['peak_gib']:.2f} GiB",
            duck["seconds"],
            "plain pandas groupby of the same rules (table in memory)",
            peer["seconds"],
            "< 30 s whole analyze",
            lambda r: duck["seconds"] < 30,
        )
    )
    if os.environ.get("OVCF_BENCH_1E6"):
        big = _measure("duckdb", _cohort(base, 1_000_000))
        rows.append(
            row(
                f"derive_indicators (DuckDB engine from Parquet), 1e+06 patients; "
                f"peak {big['peak_gib']:.2f} GiB",
                big["seconds"],
                "absolute target 600 s (whole analyze)",
                600.0,
                "< 1.0",
                lambda r: r < 1.0,
            )
        )
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(sys.argv[2], sys.argv[3])))
    else:
        print(pd.DataFrame(run()).to_string(index=False))
