"""
ROC curves of the five indicators (Fig. 5)
==========================================

AUC with DeLong CI and the Youden cut-off of each indicator on the 78 matched pairs.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
indicators = ov.derive_indicators(patients, measurements).table
data = ov.match_controls(indicators, caliper={"age": 2}).matched
roc = ov.roc_auc(data, ["t_score", "hu", "vbq", "rcsa", "fi"])
figure = roc.plot()

# %%
# The table behind the figure: AUC, its CI, the direction and the cut-off.
roc
