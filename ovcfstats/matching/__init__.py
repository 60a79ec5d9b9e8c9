"""Matching controls to cases: 1:k nearest or optimal, exact variables, calipers, balance.

- :mod:`.match`: :func:`match_controls`, :func:`balance_table`, :func:`plot_love`.
- :mod:`._input`, :mod:`._tables`: the checked input and the matched tables.
- :mod:`._algorithms`, :mod:`._nearest`: optimal (assignment) and greedy nearest matching.
- :mod:`._balance`: standardised mean differences before and after matching.
"""

from .match import MatchResult, balance_table, match_controls, plot_love

__all__ = ["MatchResult", "balance_table", "match_controls", "plot_love"]
