"""Statistics around the study: agreement, sample size and power, a combined-indicator model.

- :mod:`~ovcfstats.design.agreement`: Bland–Altman limits of agreement (approximate and exact
  confidence intervals, proportional bias, several pairs per patient) and Lin's concordance
  correlation coefficient, straight from the long ``measurements`` table.
- :mod:`~ovcfstats.design.power`: power and sample size for an AUC against a fixed value and
  for two correlated AUCs; the study's post-hoc sample-size section.
- :mod:`~ovcfstats.design.matched`: power and sample size for the 1:M matched case–control
  design, binary exposure (Dupont 1988) or continuous indicator per SD.
- :mod:`~ovcfstats.design.combined`: a logistic model of several indicators with bootstrap
  optimism correction, cross-validation, calibration and decision curves, NRI and IDI.
"""

from __future__ import annotations

from .._lazy import lazy

# public name -> module of this package that defines it, imported on first use (PEP 562)
_LAZY = {
    "bland_altman": "agreement",
    "concordance": "agreement",
    "plot_bland_altman": "agreement",
    "agreement_pairs": "readings",
    "agreement_section": "readings",
    "power_auc": "power",
    "power_auc_paired": "power",
    "sample_size_section": "posthoc",
    "power_matched_binary": "matched",
    "power_matched_continuous": "matched",
    "combined_model": "combined",
    "plot_calibration": "combined",
    "decision_curve": "decision",
    "plot_decision_curve": "decision",
    "reclassification": "decision",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy(__name__, _LAZY, __all__)
