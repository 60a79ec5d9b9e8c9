"""Adjusted odds ratios: logistic regression, conditional logit for matched sets, Firth.

- :mod:`.logistic`: :func:`logistic_or` and :func:`plot_forest`.
- :mod:`._logit_design`: the design matrix (covariates, reference levels, collinearity).
- :mod:`._logit_fit`: the fits and their CIs (Wald or profile likelihood).
- :mod:`._likelihood`, :mod:`._clogit`: the likelihood engines (logistic, Firth, conditional).
- :mod:`._profile`: profile-likelihood intervals; :mod:`._separation`: separation checks.
"""

from .logistic import LogisticResult, logistic_or, plot_forest

__all__ = ["LogisticResult", "logistic_or", "plot_forest"]
