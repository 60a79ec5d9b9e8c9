"""ROC curves and AUCs of the indicators, and DeLong's comparison of correlated AUCs.

- :mod:`.auc`: :func:`roc_auc`, :func:`compare_auc`, :func:`plot_roc`.
- :mod:`._indicator`: one indicator's curve, AUC, CI and cut-off.
- :mod:`._delong`: the fast DeLong covariance (as R pROC computes it).
"""

from .auc import CompareAucResult, RocResult, compare_auc, plot_roc, roc_auc

__all__ = ["CompareAucResult", "RocResult", "compare_auc", "plot_roc", "roc_auc"]
