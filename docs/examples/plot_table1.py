"""
Table 1: baseline characteristics of the matched groups
=======================================================

Mean ± SD or n (%), the paired t test for continuous variables and Pearson χ² for binary ones.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
indicators = ov.derive_indicators(patients, measurements).table
data = ov.match_controls(indicators, caliper={"age": 2}).matched
ov.compare_groups(data, ["age", "sex", "bmi", "hypertension", "diabetes", "t_score", "hu", "vbq"])
