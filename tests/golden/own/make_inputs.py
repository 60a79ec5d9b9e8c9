"""Writes the three own-study inputs of tests/test_own_report.py from the synthetic sample.

Run from the repository root: ``python tests/golden/own/make_inputs.py``. The inputs are stored
so that the tests need neither the readings nor this script.
"""

from pathlib import Path

import numpy as np
import pandas as pd

import ovcfstats as ov

HERE = Path(__file__).parent
KEEP = ["patient_id", "case", "age", "sex", "bmi", "hypertension", "diabetes", "t_score", "hu",
        "vbq", "rcsa", "fi"]  # fmt: skip


def main() -> None:
    patients, measurements = ov.load_sample()
    table = ov.derive_indicators(patients, measurements).table[KEEP]
    rng = np.random.default_rng(27)
    cases, controls = table[table["case"] == 1], table[table["case"] == 0]
    # 1:1 from an indicator table with 5 % blank cells
    one = pd.concat([cases.head(30), controls.head(60)]).reset_index(drop=True)
    for column in ["bmi", "t_score", "hu", "vbq", "rcsa", "fi"]:
        one.loc[rng.random(len(one)) < 0.05, column] = np.nan
    one.to_csv(HERE / "one_to_one_blanks.csv", index=False)
    # 1:2 matched by the tool
    two = pd.concat([cases.iloc[30:50], controls.iloc[60:150]]).reset_index(drop=True)
    two.to_csv(HERE / "one_to_two.csv", index=False)
    # pre-matched 1:2 with a sixth indicator and a categorical covariate
    three = pd.concat([cases.iloc[50:80], controls.iloc[150:234]]).reset_index(drop=True)
    three["tbs"] = (1.3 - 0.05 * three["case"] + rng.normal(0, 0.08, len(three))).round(3)
    three["smoking"] = rng.choice(["never", "former", "current"], len(three), p=[0.6, 0.25, 0.15])
    cfg = ov.StudyConfig(ratio=2, caliper=5, indicators=("hu",), adjust=())
    matched = ov.analyze(three, config=cfg)["matching"].matched
    matched = matched.drop(columns="match_distance").rename(columns={"pair_id": "set_id"})
    matched.to_csv(HERE / "prematched_one_to_two.csv", index=False)


if __name__ == "__main__":
    main()
