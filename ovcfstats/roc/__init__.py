"""ROC curves and AUCs of the indicators, and DeLong's comparison of correlated AUCs.

- :mod:`.auc`: :func:`roc_auc`, :func:`compare_auc`, :func:`plot_roc`.
- :mod:`._indicator`: one indicator's curve, AUC, CI and cut-off.
- :mod:`.adjusted`: :func:`adjusted_auc` (covariate-adjusted ROC, Janes & Pepe) and its figure;
  :mod:`._placement` its control model, placements and bootstrap.
- :mod:`.thresholds`: :func:`roc_thresholds` (Se, Sp, PPV/NPV at a prevalence, LRs, Youden).
- :mod:`._delong`: the fast DeLong covariance (as R pROC computes it).
"""

from .adjusted import AdjustedRocResult, adjusted_auc, plot_adjusted_roc
from .auc import CompareAucResult, RocResult, compare_auc, plot_roc, roc_auc
from .thresholds import ThresholdResult, roc_thresholds

__all__ = [
    "AdjustedRocResult",
    "CompareAucResult",
    "RocResult",
    "ThresholdResult",
    "adjusted_auc",
    "compare_auc",
    "plot_adjusted_roc",
    "plot_roc",
    "roc_auc",
    "roc_thresholds",
]
