"""Spearman correlations: each indicator with the outcome (Table 2) and among indicators (Table 3).

- :mod:`.spearman`: :func:`spearman_outcome`, :func:`spearman_matrix`, :func:`plot_heatmap`.
- :mod:`._rho`: ρ, its p-value and CI for one pair.
- :mod:`._exact`: the exact p-value of ρ as R computes it (AS 89).
"""

from .spearman import (
    SpearmanMatrix,
    SpearmanOutcome,
    plot_heatmap,
    spearman_matrix,
    spearman_outcome,
)

__all__ = [
    "SpearmanMatrix",
    "SpearmanOutcome",
    "plot_heatmap",
    "spearman_matrix",
    "spearman_outcome",
]
