"""Adjusted odds ratios: logistic regression, conditional logit for matched sets, Firth.

- :mod:`.logistic`: :func:`logistic_or` and :func:`plot_forest`.
- :mod:`._logit_design`: the design matrix (covariates, reference levels, collinearity).
- :mod:`._logit_fit`: the fits and their CIs (Wald or profile likelihood).
- :mod:`._likelihood`, :mod:`._clogit`: the likelihood engines (logistic, Firth, conditional).
- :mod:`.evalue`: :func:`evalue` (VanderWeele & Ding's E-values).
- :mod:`._profile`: profile-likelihood intervals; :mod:`._separation`: separation checks.
"""

from .evalue import EValueResult, evalue
from .logistic import LogisticResult, logistic_or, plot_forest

__all__ = ["EValueResult", "LogisticResult", "evalue", "logistic_or", "plot_forest"]
