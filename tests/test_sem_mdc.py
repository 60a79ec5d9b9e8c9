"""SEM and MDC95 beside each ICC, by hand on a small table."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

import ovcfstats as ov


def test_sem_and_mdc95_by_hand():
    values = {"P1": (100.0, 104.0), "P2": (60.0, 61.0), "P3": (140.0, 139.0), "P4": (90.0, 95.0)}
    rows = [
        (pid, "L1", rater, 1, v)
        for pid, pair in values.items()
        for rater, v in zip(("R1", "R2"), pair, strict=True)
    ]
    m = pd.DataFrame(rows, columns=["patient_id", "level", "rater", "session", "value"])
    m = m.assign(measure="hu", muscle="", side="")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = ov.reliability(m, measures=["hu"]).table.iloc[0]
    ratings = np.array(list(values.values())).ravel()
    mean = ratings.mean()
    sd = math.sqrt(sum((r - mean) ** 2 for r in ratings) / (len(ratings) - 1))
    assert abs(row["sd"] - sd) < 1e-12
    assert abs(row["sem"] - sd * math.sqrt(1 - row.icc)) < 1e-12
    assert abs(row.mdc95 - 1.96 * math.sqrt(2) * row["sem"]) < 1e-12
