"""A paper's printed numbers checked against each other and against what the data give.

- :mod:`.reported`: :func:`audit_reported` (Table 1, correlations, AUCs: what is attainable).
- :mod:`._common`, :mod:`._table1`, :mod:`._matrix`, :mod:`._attainable`: the checks.
- :mod:`.published`: the published-numbers file (:func:`read_published`,
  :func:`write_published_template`).
- :mod:`.paper`: the numbers printed in the paper this library reproduces (:data:`PUBLISHED`).
- :mod:`.replication`: the published numbers beside those reproduced on the sample.
"""

from .paper import PUBLISHED
from .published import read_published, write_published_template
from .reported import AuditResult, audit_reported

__all__ = [
    "PUBLISHED",
    "AuditResult",
    "audit_reported",
    "read_published",
    "write_published_template",
]
