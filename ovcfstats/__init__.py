"""ovcfstats: the matched case-control study of osteoporotic vertebral fractures, as a library.

Tidy tables of raw readings in; indicators, reliability (ICC), matching, Table 1, Spearman
matrices, adjusted odds ratios, ROC/AUC with DeLong comparison, figures and a report out.

The public API is listed below. Modules are imported on first use so that ``import ovcfstats``
stays light (scipy.stats, statsmodels, scikit-learn and matplotlib load only when needed).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._results import (
    ConvergenceWarning,
    DegenerateDataWarning,
    OvcfWarning,
    Result,
    SeparationWarning,
    SmallSampleWarning,
)
from ._validate import DataError

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily, PEP 562)
_LAZY = {
    "validate_patients": "data.schema",
    "validate_measurements": "data.schema",
    "derive_indicators": "indicators",
    "scan_readings": "data._readings",
    "Readings": "data._readings",
    "ProgressBar": "study._progress",
    "fat_fraction": "indicators",
    "load_sample": "datasets",
    "generate_sample": "datasets",
    "generate_registry": "datasets._registry",
    "write_registry": "datasets._registry",
    "icc": "raters",
    "reliability": "raters",
    "match_controls": "matching",
    "compare_groups": "table1.groups",
    "spearman_outcome": "correlation",
    "spearman_matrix": "correlation",
    "logistic_or": "regression",
    "roc_auc": "roc",
    "compare_auc": "roc",
    "plot_love": "matching",
    "plot_heatmap": "correlation",
    "plot_forest": "regression",
    "plot_roc": "roc",
    "audit_reported": "audit",
    "PUBLISHED": "audit.paper",
    "read_published": "audit.published",
    "write_published_template": "audit.published",
    "Report": "report",
    "variable_info": "present._format",
    "reproduce": "study",
    "RANGES": "data.schema",
    "Range": "data.schema",
    "ImplausibleValueWarning": "_validate",
    "measure_images": "imaging.batch",
    "vertebral_hu": "imaging.vertebrae",
    "muscle_measurements": "imaging.muscle",
    "vbq_inputs": "imaging.mri",
    "analyze": "study",
    "SkippedStepWarning": "study",
    "StudyConfig": "study.config",
    "read_table": "data.readers",
    "bland_altman": "design.agreement",
    "concordance": "design.agreement",
    "agreement_pairs": "design.readings",
    "agreement_section": "design.readings",
    "plot_bland_altman": "design.agreement",
    "power_auc": "design.power",
    "power_auc_paired": "design.power",
    "sample_size_section": "design.posthoc",
    "power_matched_binary": "design.matched",
    "power_matched_continuous": "design.matched",
    "combined_model": "design.combined",
    "decision_curve": "design.decision",
    "reclassification": "design.decision",
}

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DegenerateDataWarning",
    "OvcfWarning",
    "Result",
    "SeparationWarning",
    "SmallSampleWarning",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ovcfstats' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
