"""
Balance before and after matching (Love plot)
=============================================

Standardised mean differences of age and BMI in the candidate pool and in the matched pairs.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
indicators = ov.derive_indicators(patients, measurements).table
pairs = ov.match_controls(indicators, caliper={"age": 2}, covariates=["age", "bmi"])
figure = ov.plot_love(pairs)

# %%
# The counts and the balance table.
pairs
