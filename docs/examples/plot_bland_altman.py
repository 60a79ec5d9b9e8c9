"""
Agreement of two raters (Bland–Altman)
======================================

Limits of agreement with exact confidence intervals, one panel per measure.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
agreement = ov.agreement_section(measurements, kind="inter", measures=["hu", "csa_muscle"])
figure = agreement.plot()
