"""Statistics around the study: agreement between readings and sample size / power.

- :mod:`~ovcfstats.design.agreement`: Bland–Altman limits of agreement (approximate and exact
  confidence intervals, proportional bias, several pairs per patient) and Lin's concordance
  correlation coefficient, straight from the long ``measurements`` table.
- :mod:`~ovcfstats.design.power`: power and sample size for an AUC against a fixed value and
  for two correlated AUCs.
"""
