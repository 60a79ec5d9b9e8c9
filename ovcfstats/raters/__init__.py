"""Reliability of the readings: intraclass correlation within and between raters.

- :mod:`.raters`: :func:`icc` on a wide table and :func:`reliability` on the long readings.
- :mod:`._icc`: the closed-form mean squares of the ten ICC forms (as R psych computes them).
- :mod:`._raters_codes`: each measure's targets × raters layout from the readings' codes.
"""

from ._icc import FORM_NAMES, FORMS, IccResult, icc
from .raters import DEFAULT_MEASURES, ReliabilityResult, reliability

__all__ = [
    "DEFAULT_MEASURES",
    "FORMS",
    "FORM_NAMES",
    "IccResult",
    "ReliabilityResult",
    "icc",
    "reliability",
]
