"""The report: result objects in order, rendered as HTML, Markdown, Excel and Word.

A :class:`Report` only formats what its results hold; nothing is recomputed. One layout
(:mod:`ovcfstats.report._layout`) is built from the results through the formatting layer
(labels, units, decimals, p style) and written by one module per format: :mod:`.html`,
:mod:`.markdown`, :mod:`.docx`, :mod:`.xlsx`. Excel receives the raw, unrounded numbers.
Figures are drawn once per result and rendered once per format (:meth:`Report.figure_bytes`),
then embedded (SVG in HTML, 300 dpi PNG in Word), so every file stands alone with no network
access.

- :mod:`.document`: :class:`Report`.
- :mod:`._layout`: the layout of the whole report, built once from the results; :mod:`._methods`
  (the statistical-analysis paragraph) and :mod:`._strobe` (the STROBE checklist) feed it.
- :mod:`.html`, :mod:`.markdown`, :mod:`.docx`, :mod:`.xlsx` (with :mod:`._ooxml`): the writers.
"""

from .document import Report

__all__ = ["Report"]
