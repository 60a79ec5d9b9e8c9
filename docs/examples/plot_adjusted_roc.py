"""
Covariate-adjusted ROC in a matched design
==========================================

Pooled ROC curves beside the curves adjusted for the matching covariates (Janes & Pepe).
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
indicators = ov.derive_indicators(patients, measurements).table
data = ov.match_controls(indicators, caliper={"age": 2}).matched
aroc = ov.adjusted_auc(data, ["hu", "vbq"], covariates=("age", "sex"), n_boot=200, seed=1)
figure = aroc.plot()

# %%
# Adjusted and pooled AUCs side by side.
aroc
