"""Table 1: the groups compared, with the test each variable and design calls for.

- :mod:`.groups`: :func:`compare_groups`.
- :mod:`._rows`, :mod:`._table`: one row per variable, the table laid out.
- :mod:`._tests`: the tests of unpaired groups (t, Mann–Whitney, χ², Fisher).
- :mod:`._matched_sets`: the tests of matched pairs and sets.
- :mod:`._exact`: Fisher's conditional odds ratio as R computes it.
"""

from .groups import GroupComparison, compare_groups

__all__ = ["GroupComparison", "compare_groups"]
