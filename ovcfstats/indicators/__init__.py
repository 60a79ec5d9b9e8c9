"""The five indicators from raw readings: T-score, HU, VBQ, rCSA and FI (and a mask's fat fraction).

- :mod:`.derive`: the indicator rules (:func:`derive_indicators`) and :func:`fat_fraction`.
"""

from .derive import IndicatorResult, derive_indicators, fat_fraction

__all__ = ["IndicatorResult", "derive_indicators", "fat_fraction"]
