"""How results are shown: the one formatting layer that every view of a result goes through.

- :mod:`._format`: labels, units, decimals and p-value styles of the variables (:class:`Style`).
- :mod:`._table`, :mod:`._present`, :mod:`._layouts` (and ``_layouts_*``): each result as the
  tables a journal prints, chosen by the result's class name, so that this layer imports no step.
- :mod:`._plotting`: figure plumbing (matplotlib is imported only when a figure is drawn).

``summary()``, a notebook's ``_repr_html_`` and every writer of the report use this layer, so
they always agree. It imports nothing else of the package.
"""

from ._format import Style, variable_info
from ._present import present, settings_in_words
from ._table import Presentation, Table

__all__ = ["Presentation", "Style", "Table", "present", "settings_in_words", "variable_info"]
