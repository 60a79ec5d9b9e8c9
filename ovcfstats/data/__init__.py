"""The data contract and everything that reads data in, before any step of the study.

- :mod:`.schema`: the two tables (patients, long raw readings), their columns and allowed codes;
  :func:`validate_patients`, :func:`validate_measurements`.
- :mod:`._ranges`: plausible ranges (:data:`RANGES`, :func:`check_plausible`,
  :func:`check_ranges`; :func:`ranges_in_force` widens them for a block) applied on every path.
- :mod:`.readers`: :func:`read_table` for CSV, Excel, SPSS, Stata, Parquet.
- :mod:`._readings`, :mod:`._reading_codes`, :mod:`._codes`: validated readings held as integer
  codes (:class:`Readings`, :func:`scan_readings`).
- :mod:`.wide`, :mod:`._vocabulary`, :mod:`._understand`, :mod:`._wide_cells`: a clinic's wide
  spreadsheet (headers in any form, value and missing codes) -> the two tables
  (:func:`guess_mapping`, :func:`read_wide`, :class:`ColumnMapping`).
- :mod:`._cells`, :mod:`._duckdb`: readings → one cell per patient and region of interest, in
  memory or out of core with DuckDB.
"""

from ._ranges import RANGES, Range, check_plausible, check_ranges, ranges_in_force
from ._readings import Readings, scan_readings
from .readers import read_table
from .schema import validate_measurements, validate_patients
from .wide import ColumnMapping, guess_mapping, read_wide

__all__ = [
    "RANGES",
    "ColumnMapping",
    "Range",
    "Readings",
    "check_plausible",
    "check_ranges",
    "guess_mapping",
    "ranges_in_force",
    "read_table",
    "read_wide",
    "scan_readings",
    "validate_measurements",
    "validate_patients",
]
