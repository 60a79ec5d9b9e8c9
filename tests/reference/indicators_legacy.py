"""Reference indicator tables: the output of the original groupby implementation.

Run from the repository root: ``PYTHONPATH=. python tests/reference/indicators_legacy.py``.
Written with ovcfstats 0.1.0 at commit 585aa2c (the groupby implementation of
``derive_indicators``, before the engines were rewritten), 2026-11-25. Writes, for the sample
cohort and for an awkward variant of it (:func:`awkward`), ``indicators_<name>_table.csv`` and
``indicators_<name>_excluded.csv``. Both engines must reproduce these tables; the only rows they
may add to ``excluded`` are the reasons introduced later (blank readings that shrink an average,
patients with repeat sessions only), which the tests strip before comparing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def awkward(patients: pd.DataFrame, measurements: pd.DataFrame) -> tuple:
    """The sample with valid-but-awkward readings: blanks, missing ROIs, too few vertebrae."""
    m = measurements.copy()
    ids = patients["patient_id"].tolist()
    pick = np.random.default_rng(7).choice(len(m), 400, replace=False)
    m.loc[pick, "value"] = np.nan  # scattered blank readings (one rater or both)
    p1, p2, p3, p4, p5 = ids[5], ids[100], ids[150], ids[200], ids[250]
    both = (m["patient_id"] == p1) & (m["measure"] == "hu") & (m["level"] == "L4")
    m.loc[both, "value"] = np.nan  # a vertebra blank for every rater
    gone = (
        (m["patient_id"] == p2)
        & m["measure"].isin(["hu", "t_score"])
        & m["level"].isin(["L1", "L2", "L3"])
    )
    gone |= (m["patient_id"] == p3) & (m["measure"] == "si_csf")
    gone |= (m["patient_id"] == p4) & m["measure"].isin(["csa_disc"]) & (m["level"] == "L2-3")
    gone |= (m["patient_id"] == p5) & m["measure"].isin(["fat_fraction", "csa_muscle"])
    return patients, m[~gone].reset_index(drop=True)


def main() -> None:
    from ovcfstats import derive_indicators, load_sample

    sample = load_sample()
    for name, (p, m) in {"sample": sample, "awkward": awkward(*sample)}.items():
        for weighting in ("equal", "area"):
            res = derive_indicators(p, m, fi_weighting=weighting)
            stem = f"indicators_{name}_{weighting}"
            res.table.to_csv(HERE / f"{stem}_table.csv", index=False)
            res.excluded.to_csv(HERE / f"{stem}_excluded.csv", index=False)


if __name__ == "__main__":
    main()
