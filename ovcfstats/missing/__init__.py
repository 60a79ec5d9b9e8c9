"""Missing data: what is missing, per variable, group and pattern, and what each analysis lost.

- :mod:`._describe`: :func:`describe_missing` and its :class:`MissingData` result, the
  descriptive section every report carries.
"""

from ._describe import MissingData, describe_missing

__all__ = ["MissingData", "describe_missing"]
