"""
Spearman correlations among the indicators (Table 3)
====================================================

ρ in each cell; Holm-adjusted p-values decide the stars.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
indicators = ov.derive_indicators(patients, measurements).table
data = ov.match_controls(indicators, caliper={"age": 2}).matched
matrix = ov.spearman_matrix(data, ["t_score", "hu", "vbq", "rcsa", "fi"], adjust="holm")
figure = ov.plot_heatmap(matrix)
