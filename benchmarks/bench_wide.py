"""A clinic's wide sheet vs the long table: the same 10⁴ patients both ways, the same indicators.

The cohort is :func:`ovcfstats.generate_registry` (10⁴ patients, ≈ 132 readings each), written
once as CSV in two layouts: ``wide.csv``, one row per patient with clinic headers (``ID``,
``Age (years)``, ``Sex`` = Female/Male, ``Fracture`` = yes/no, ``L1 HU R1``,
``CSA PM left L1/2 R2 repeat``, …), and ``patients.csv`` + ``measurements.csv``, the long
tables of the data contract.

- *library*: ``read_table`` + ``guess_mapping`` (the work of ``ovcfstats map``) + ``read_wide``
  + ``derive_indicators`` on the wide file, against ``read_table`` (both files) +
  ``derive_indicators`` on the long ones (best of 3, in process);
- *command*: ``ovcfstats map wide.csv`` then ``ovcfstats analyze wide.csv --study`` against
  ``ovcfstats analyze patients.csv measurements.csv`` (whole processes, once each).

Usage: ``python benchmarks/bench_wide.py`` (``OVCF_BENCH_WIDE_N`` changes the 10⁴).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of, row

ROOT = Path(__file__).resolve().parents[1]
N = int(os.environ.get("OVCF_BENCH_WIDE_N", "10000"))
MEASURE = {"t_score": "T", "hu": "HU", "si_vertebra": "SI", "si_csf": "CSF SI",
           "csa_muscle": "CSA", "csa_disc": "disc CSA", "fat_fraction": "FI"}  # fmt: skip


def _header(measure: str, level: str, muscle: str, side: str, rater: str, session: int) -> str:
    parts = [MEASURE[measure]]
    if muscle:
        parts += [muscle, {"L": "left", "R": "right"}[side]]
    parts.append(level.replace("-", "/"))
    return " ".join([*parts, *([rater] if rater else []), *(["repeat"] if session > 1 else [])])


def write_files(folder: Path) -> int:
    """The cohort as wide.csv and as patients.csv + measurements.csv; the reading columns."""
    sys.path.insert(0, str(ROOT))
    from ovcfstats import generate_registry

    patients, m = (pd.concat(parts) for parts in zip(*generate_registry(N), strict=True))
    patients.to_csv(folder / "patients.csv", index=False)
    m.to_csv(folder / "measurements.csv", index=False)
    keys = m[["measure", "level", "muscle", "side", "rater", "session"]].drop_duplicates()
    names = {tuple(k): _header(*k) for k in keys.itertuples(index=False)}
    column = pd.Series(list(zip(m["measure"], m["level"], m["muscle"], m["side"], m["rater"],
                                m["session"], strict=True))).map(names)  # fmt: skip
    wide = m.assign(column=column.to_numpy()).pivot(
        index="patient_id", columns="column", values="value"
    )
    clinic = pd.DataFrame(
        {
            "ID": patients["patient_id"].to_numpy(),
            "Fracture": np.where(patients["case"] == 1, "yes", "no"),
            "Age (years)": patients["age"].to_numpy(),
            "Sex": patients["sex"].map({"F": "Female", "M": "Male"}).to_numpy(),
            "BMI": patients["bmi"].to_numpy(),
            **{c.title(): np.where(patients[c] == 1, "yes", "no")
               for c in ("hypertension", "diabetes", "hyperlipidemia")},
            "Fracture level": patients["fracture_level"].to_numpy(),
        }
    ).merge(wide, left_on="ID", right_index=True, how="left")
    clinic.to_csv(folder / "wide.csv", index=False)
    return wide.shape[1]


def _library(folder: Path) -> tuple[float, float]:
    from ovcfstats import derive_indicators, guess_mapping, read_table, read_wide

    def wide() -> pd.DataFrame:
        table = read_table(folder / "wide.csv")
        patients, readings = read_wide(table, guess_mapping(table))
        return derive_indicators(patients, readings, engine="pandas").table

    def long() -> pd.DataFrame:
        patients = read_table(folder / "patients.csv")
        readings = read_table(folder / "measurements.csv")
        return derive_indicators(patients, readings, engine="pandas").table

    a, b = wide().sort_values("patient_id"), long().sort_values("patient_id")
    for col in ("t_score", "hu", "vbq", "rcsa", "fi"):  # the same numbers both ways
        np.testing.assert_allclose(a[col].to_numpy(), b[col].to_numpy(), atol=1e-12, rtol=0)
    return best_of(wide), best_of(long)


def _command(folder: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ovcfstats", *args], cwd=folder, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        columns = write_files(folder)
        ours, peer = _library(folder)
        mapped = _command(folder, "map", "wide.csv", "--study", "study.toml")
        wide = mapped + _command(folder, "analyze", "wide.csv", "--study", "study.toml",
                                 "--out", "wide-report")  # fmt: skip
        long = _command(folder, "analyze", "patients.csv", "measurements.csv", "--out", "long")
    what = f"{N:,} patients, {columns} reading columns, CSV"
    return [
        row(
            f"wide sheet → indicators: read_table + guess_mapping + read_wide + "
            f"derive_indicators ({what})",
            ours,
            "read_table + derive_indicators on the same readings in long form",
            peer,
            "≤ 1.5",
            lambda r: r <= 1.5,
        ),
        row(
            f"`ovcfstats map` + `ovcfstats analyze` on the wide sheet ({what}; map {mapped:.1f} s)",
            wide,
            "`ovcfstats analyze patients.csv measurements.csv`",
            long,
            "≤ 1.5",
            lambda r: r <= 1.5,
        ),
    ]


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
