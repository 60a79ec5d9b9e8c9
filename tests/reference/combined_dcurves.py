"""Net benefit computed by the `dcurves` package (the peer) on fixed inputs.

Writes tests/reference/combined_dcurves.csv, which the test suite reads (it does not need
dcurves). Run from the repository root with dcurves installed (`pip install dcurves`):

    python tests/reference/combined_dcurves.py

Inputs: (a) the predicted risks of the combined model case ~ s100b + ndka + age on pROC's aSAH
data (tests/reference/aSAH.csv; the model's coefficients are checked against R elsewhere), at
thresholds 0.01 ... 0.99; (b) eight risks with several exactly at a threshold (a risk equal to
the threshold counts as treated).
"""

from __future__ import annotations

from pathlib import Path

import dcurves
import numpy as np
import pandas as pd

from ovcfstats import combined_model

REF = Path(__file__).parent


def _peer(data: pd.DataFrame, name: str, thresholds, dataset: str) -> pd.DataFrame:
    out = dcurves.dca(data=data, outcome="case", modelnames=[name], thresholds=thresholds)
    out = out[["model", "threshold", "net_benefit"]].copy()
    out["model"] = out["model"].replace({name: "model"})
    out.insert(0, "dataset", dataset)
    return out


def main() -> None:
    asah = pd.read_csv(REF / "aSAH.csv")
    fit = combined_model(asah, ["s100b", "ndka", "age"], n_boot=20, seed=7, cv_repeats=1)
    pred = fit.predictions.rename(columns={"outcome": "case", "probability": "risk"})
    ties = pd.DataFrame(
        {"case": [1, 0, 1, 0, 0, 1, 0, 0], "risk": [0.2, 0.2, 0.5, 0.5, 0.1, 0.7, 0.3, 0.5]}
    )
    curves = pd.concat(
        [
            _peer(pred[["case", "risk"]], "risk", np.arange(1, 100) / 100, "asah"),
            _peer(ties, "risk", [0.2, 0.3, 0.5], "ties"),
        ]
    )
    inputs = pd.concat(
        [pred[["case", "risk"]].assign(dataset="asah"), ties.assign(dataset="ties")]
    )
    curves.to_csv(REF / "combined_dcurves.csv", index=False, float_format="%.17g")
    inputs.to_csv(REF / "combined_dcurves_inputs.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
