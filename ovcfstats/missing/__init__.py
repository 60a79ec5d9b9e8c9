"""Missing data: multiple imputation by chained equations.

- :mod:`.impute`: :func:`impute`, the completed tables as an :class:`~ovcfstats.Imputed`.
- :mod:`._fcs`: the chained-equations engine (PMM, logistic draws) on numpy arrays.

Pooling by Rubin's rules lives in :mod:`ovcfstats._pool`, below the steps that use it.
"""

from .._pool import Imputed
from .impute import impute

__all__ = ["Imputed", "impute"]
