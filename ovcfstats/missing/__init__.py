"""Missing data: what is missing, multiple imputation, and what each analysis lost.

- :mod:`._describe`: :func:`describe_missing` and its :class:`MissingData` result, the
  descriptive section every report carries.
- :mod:`.impute`: :func:`impute`, the completed tables as an :class:`~ovcfstats.Imputed`.
- :mod:`._fcs`: the chained-equations engine (PMM, logistic draws) on numpy arrays.

Pooling by Rubin's rules lives in :mod:`ovcfstats._pool`, below the steps that use it.
"""

from .._pool import Imputed
from ._describe import MissingData, describe_missing
from .impute import impute

__all__ = ["Imputed", "MissingData", "describe_missing", "impute"]
