"""
Odds ratios per SD (Table 2)
============================

Conditional logistic regression on the matched pairs, adjusted for BMI, one model per indicator.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
indicators = ov.derive_indicators(patients, measurements).table
data = ov.match_controls(indicators, caliper={"age": 2}).matched
odds = ov.logistic_or(data, ["t_score", "hu", "vbq", "rcsa", "fi"], adjust=["bmi"], per="sd")
figure = ov.plot_forest(odds)
