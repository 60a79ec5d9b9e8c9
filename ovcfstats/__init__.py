"""ovcfstats: the matched case-control study of osteoporotic vertebral fractures, as a library.

Tidy tables of raw readings in; indicators, reliability (ICC), matching, Table 1, Spearman
matrices, adjusted odds ratios, ROC/AUC with DeLong comparison, figures and a report out.

The public API is listed below. Modules are imported on first use so that ``import ovcfstats``
stays light (scipy.stats, statsmodels, scikit-learn and matplotlib load only when needed).
"""

from __future__ import annotations

from ._lazy import lazy
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

# public name -> the stage (subpackage or module) that exports it, imported lazily (PEP 562)
_LAZY = {
    # data: the contract, readers, plausible ranges, readings held as codes
    "validate_patients": "data",
    "validate_measurements": "data",
    "scan_readings": "data",
    "Readings": "data",
    "read_table": "data",
    "read_wide": "data",
    "guess_mapping": "data",
    "ColumnMapping": "data",
    "RANGES": "data",
    "Range": "data",
    "ImplausibleValueWarning": "_validate",
    # the study steps
    "derive_indicators": "indicators",
    "fat_fraction": "indicators",
    "icc": "raters",
    "reliability": "raters",
    "match_controls": "matching",
    "impute": "missing",
    "Imputed": "missing",
    "plot_love": "matching",
    "compare_groups": "table1",
    "spearman_outcome": "correlation",
    "spearman_matrix": "correlation",
    "plot_heatmap": "correlation",
    "logistic_or": "regression",
    "plot_forest": "regression",
    "evalue": "regression",
    "roc_auc": "roc",
    "compare_auc": "roc",
    "plot_roc": "roc",
    "adjusted_auc": "roc",
    "plot_adjusted_roc": "roc",
    "roc_thresholds": "roc",
    # missing data
    "describe_missing": "missing",
    "MissingData": "missing",
    # design statistics
    "bland_altman": "design.agreement",
    "concordance": "design.agreement",
    "plot_bland_altman": "design.agreement",
    "agreement_pairs": "design.readings",
    "agreement_section": "design.readings",
    "power_auc": "design.power",
    "power_auc_paired": "design.power",
    "sample_size_section": "design.posthoc",
    "power_matched_binary": "design.matched",
    "power_matched_continuous": "design.matched",
    "combined_model": "design.combined",
    "decision_curve": "design.decision",
    "reclassification": "design.decision",
    # a paper's printed numbers
    "audit_reported": "audit",
    "PUBLISHED": "audit",
    "read_published": "audit",
    "write_published_template": "audit",
    # imaging
    "measure_images": "imaging",
    "vertebral_hu": "imaging",
    "muscle_measurements": "imaging",
    "vbq_inputs": "imaging",
    # the sample and registry generator
    "load_sample": "datasets",
    "generate_sample": "datasets",
    "generate_registry": "datasets",
    "write_registry": "datasets",
    # the report and its formatting layer
    "Report": "report",
    "variable_info": "present",
    # the whole study
    "analyze": "study",
    "reproduce": "study",
    "SkippedStepWarning": "study",
    "StudyConfig": "study",
    "ProgressBar": "study",
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

__getattr__, __dir__ = lazy(__name__, _LAZY, __all__)
