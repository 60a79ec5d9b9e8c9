"""
A combined model of HU and FI, validated
========================================

Bootstrap optimism-corrected AUC and calibration, and the net benefit at a population
prevalence of 10 %.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
indicators = ov.derive_indicators(patients, measurements).table
data = ov.match_controls(indicators, caliper={"age": 2}).matched
combined = ov.combined_model(data, ["hu", "fi"], n_boot=50, cv_repeats=1, seed=1, prevalence=0.1)
figure = combined.plot()
