"""
Inter-rater reliability of the readings (ICC)
=============================================

ICC(A,1) of the two raters for each measure, with its CI, F test, SEM and MDC95.
"""

import ovcfstats as ov

patients, measurements = ov.load_sample()
ov.reliability(measurements, kind="inter")
