"""The synthetic sample cohort and the registry-size generator.

- :mod:`.sample`: :func:`load_sample`, :func:`generate_sample`, :func:`write_sample`
  (``python -m ovcfstats.datasets`` regenerates ``datasets/sample_data/`` or writes a registry).
- :mod:`._registry`: :func:`generate_registry`, :func:`write_registry`.
- :mod:`._calibration`: the sample's indicators calibrated to the paper's Tables 1–3.

It sits above the study steps: the sample's controls are chosen by the library's own matching.
"""

from ._registry import generate_registry, write_registry
from .sample import SAMPLE_DIR, generate_sample, load_sample, write_sample

__all__ = [
    "SAMPLE_DIR",
    "generate_registry",
    "generate_sample",
    "load_sample",
    "write_registry",
    "write_sample",
]
