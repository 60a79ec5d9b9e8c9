"""The design statistics as the report prints them (agreement, post-hoc power, combined model)."""

from __future__ import annotations

import math
import warnings

import pytest

from ovcfstats import OvcfWarning, load_sample
from ovcfstats.present._format import Style, format_estimate_ci
from ovcfstats.present._layouts_design import _whole
from ovcfstats.present._present import present
from ovcfstats.study import reproduce
from ovcfstats.study.config import StudyConfig


@pytest.fixture(scope="module")
def report():
    patients, measurements = load_sample()
    cfg = StudyConfig(sample_size=True, combined=("hu", "fi"), n_boot=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OvcfWarning)
        return reproduce(patients, measurements, config=cfg)


def test_agreement_row_prints_the_stored_numbers(report):
    result = report["agreement_inter"]
    frame = present(result).main[0].frame
    hu = result.table.set_index("measure").loc["hu"]
    row = frame[frame["Measure"] == "HU"].iloc[0]
    decimals = Style().decimals("hu") + 1
    assert row["Bias (95% CI)"] == format_estimate_ci(
        hu["bias"], hu["bias_ci_low"], hu["bias_ci_high"], decimals
    )
    assert row["Upper limit (95% CI)"] == format_estimate_ci(
        hu["loa_upper"], hu["loa_upper_ci_low"], hu["loa_upper_ci_high"], decimals
    )
    assert row["Pairs (patients)"] == f"{int(hu['n_pairs'])} ({int(hu['n_subjects'])})"


def test_sample_sizes_are_whole_patients_rounded_up(report):
    result = report["sample_size"]
    frame = present(result).main[0].frame
    needed = result.tables()["auc"]["n_cases_needed"]
    assert list(frame["Cases needed"]) == [str(math.ceil(v)) for v in needed]
    assert _whole(7.0) == "7" and _whole(7.01) == "8" and _whole(float("nan")) == ""


def test_combined_model_keeps_the_intercept_out(report):
    shown = present(report["combined"])
    terms = list(shown.appendix[0].frame["Term"])
    assert terms and "Intercept" not in terms and "HU" in terms
    validation = shown.main[0].frame.set_index("Statistic")
    stored = report["combined"].tables()["validation"].set_index("statistic")
    assert validation.loc["AUC", "Corrected"] == f"{stored.loc['auc', 'corrected']:.3f}"


def test_methods_state_the_design_sections(report):
    text = report.methods()
    for phrase in (
        "Post hoc, the power at the observed AUCs", "Obuchowski's variance",
        "A combined logistic model of HU, FI, age and BMI", "20 bootstrap resamples",
        "5×10-fold cross-validation", "decision curves",
    ):  # fmt: skip
        assert phrase in text, phrase
    references = report.layout().references
    assert any(r.startswith("Harrell FE") for r in references)
    assert any(r.startswith("Vickers AJ") for r in references)


def test_a_registry_bland_altman_is_drawn_as_a_density():
    import numpy as np
    import pandas as pd
    from matplotlib.collections import PathCollection, PolyCollection

    from ovcfstats import bland_altman
    from ovcfstats.design._agreement_plot import DENSITY_ABOVE

    rng = np.random.default_rng(1)
    for n, density in ((DENSITY_ABOVE, False), (DENSITY_ABOVE + 1, True)):
        x = rng.normal(100, 10, n)
        data = pd.DataFrame({"patient_id": np.arange(n), "a": x, "b": x + rng.normal(0, 1, n)})
        fig = bland_altman(data, "a", "b").plot()
        kinds = {type(c) for c in fig.axes[0].collections}
        assert (PolyCollection in kinds) == density and (PathCollection in kinds) != density


def test_long_listings_are_cut_in_the_report_but_not_in_excel():
    import pandas as pd

    from ovcfstats.present._layouts import LISTING_ROWS, _listing

    frame = pd.DataFrame({"patient_id": [f"P{i}" for i in range(LISTING_ROWS + 1)]})
    table = _listing("pairs", frame, Style())
    assert len(table.frame) == LISTING_ROWS and "every row is in tables.xlsx" in table.caption
    assert _listing("pairs", frame.head(LISTING_ROWS), Style()).caption == ""
