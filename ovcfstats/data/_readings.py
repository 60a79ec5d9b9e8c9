"""Validated raw readings held as integer codes: the long table at registry scale.

A :class:`Readings` keeps each reading as three numbers — the patient's row in the patients
table, a code for its cleaned (measure, level, muscle, side, rater, session) and the value —
about 16 bytes a reading, where a DataFrame of text takes 100–400. Reliability, agreement and
the indicators all read it, so the readings are validated and coded once per study.

:func:`scan_readings` builds it from a DataFrame or straight from Parquet/CSV files. Validity has
one definition, :func:`~ovcfstats.validate_measurements`: the pandas engine runs it on the whole
table; the DuckDB engine runs it on *witness rows* (see :mod:`ovcfstats.data._duckdb`) and checks
what compares rows — unknown patients, duplicate readings — on the codes, handing offending rows
to the validator so that its message names them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validate import DataError, check_option

if TYPE_CHECKING:
    from ._reading_codes import _Codes

#: what one combination code stands for (the cleaned text columns and the session)
COMBO_COLUMNS = ("measure", "level", "muscle", "side", "rater", "session")
#: above this many readings (or for a file), ``engine="auto"`` scans with DuckDB when installed
DUCKDB_ROWS = 2_000_000


@dataclass(frozen=True, eq=False)
class Readings:
    """Validated readings as integer codes; made by :func:`scan_readings`.

    Accepted wherever a ``measurements`` table is: :func:`~ovcfstats.reliability`,
    :func:`~ovcfstats.agreement_section`, :func:`~ovcfstats.agreement_pairs`,
    :func:`~ovcfstats.derive_indicators` and :func:`~ovcfstats.analyze`.

    Attributes
    ----------
    patients : pandas.DataFrame
        The validated patients table; ``patient`` indexes its rows.
    patient : numpy.ndarray
        Row of ``patients`` of each reading (int32).
    combo : numpy.ndarray
        Row of ``combos`` of each reading (int32).
    value : numpy.ndarray
        The reading (float64; NaN for a blank).
    combos : pandas.DataFrame
        One row per distinct cleaned ``measure``, ``level``, ``muscle``, ``side``, ``rater``
        (text, ``""`` when empty) and ``session`` (int).
    source : str
        Where the readings came from (a file name, or ``"DataFrame"``).

    Examples
    --------
    >>> import ovcfstats as ov
    >>> patients, measurements = ov.load_sample()
    >>> readings = ov.scan_readings(measurements, patients)  # validated once, kept as codes
    >>> print(readings)  # doctest: +NORMALIZE_WHITESPACE
    Readings: 41,140 readings of 312 patients, measures ['csa_disc', 'csa_muscle', 'fat_fraction',
    'hu', 'si_csf', 'si_vertebra', 't_score'], raters ['R1', 'R2'], sessions [1, 2] (from DataFrame)
    """

    patients: pd.DataFrame
    patient: np.ndarray
    combo: np.ndarray
    value: np.ndarray
    combos: pd.DataFrame
    source: str = "DataFrame"

    @cached_property
    def codes(self) -> Any:
        """The integer codes reliability and agreement work on, made once per readings."""
        from ._reading_codes import _Codes

        return _Codes.of_readings(self)

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        c = self.combos
        raters = sorted(r for r in c["rater"].unique() if r != "")
        return (
            f"Readings: {len(self):,} readings of {len(self.patients):,} patients, "
            f"measures {sorted(c['measure'].unique())}, raters {raters}, "
            f"sessions {sorted(int(s) for s in c['session'].unique())} (from {self.source})"
        )

    def column(self, name: str, rows: np.ndarray | None = None) -> pd.Series:
        """One column of the long table, per reading (or per reading in ``rows``).

        Labels are gathered from the small tables of distinct values by one ``take`` (an
        Arrow take under pandas 3): no Python string is made per reading.
        """
        if name == "value":
            return pd.Series(self.value if rows is None else self.value[rows], name=name)
        if name == "patient_id":
            labels, codes = self.patients["patient_id"], self.patient
        else:
            labels, codes = self.combos[name], self.combo
        codes = codes if rows is None else codes[rows]
        return labels.reset_index(drop=True).take(codes).reset_index(drop=True)

    def to_frame(self, rows: Any = None) -> pd.DataFrame:
        """The readings (or the ``rows`` positions of them) as the long table, cleaned.

        >>> from ovcfstats import load_sample, scan_readings
        >>> patients, measurements = load_sample()
        >>> readings = scan_readings(measurements, patients)
        >>> readings.to_frame(rows=[0]).columns.tolist()
        ['patient_id', 'measure', 'level', 'muscle', 'side', 'rater', 'session', 'value']
        """
        at = None if rows is None else np.asarray(rows, dtype=np.intp)
        return pd.DataFrame(
            {c: self.column(c, at) for c in ("patient_id", *COMBO_COLUMNS, "value")}
        )

    def on(self, patients: pd.DataFrame) -> np.ndarray:
        """Each reading's row in another validated ``patients`` table holding its patients."""
        where = pd.Index(patients["patient_id"]).get_indexer(self.patients["patient_id"])
        used = np.zeros(len(self.patients), bool)
        used[self.patient] = True
        missing = used & (where < 0)
        if missing.any():
            ids = self.patients["patient_id"].to_numpy()[missing][:5].tolist()
            raise DataError(
                f"the readings hold patients missing from `patients`: {ids}. Pass the patients "
                "table the readings were scanned with."
            )
        return where.astype(np.int32 if len(patients) < 2**31 else np.int64)[self.patient]


def _validated(measurements: Any) -> _Codes:
    """The integer codes of the validated table (a :class:`~ovcfstats.Readings` is valid)."""
    from ._reading_codes import _Codes
    from .schema import validate_measurements

    if isinstance(measurements, Readings):
        return measurements.codes
    return _Codes.of(validate_measurements(measurements))


def scan_readings(
    measurements: pd.DataFrame | str | Path | Readings,
    patients: pd.DataFrame,
    *,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> Readings:
    """Validate the long table of readings once and hold it as integer codes.

    Every step that reads ``measurements`` accepts the result, so a registry-size table is read,
    checked and coded once per study instead of once per step, in a fraction of its memory.

    Parameters
    ----------
    measurements : DataFrame, path or Readings
        The long table of the data contract, or a Parquet/CSV file (or glob such as
        ``"readings/*.parquet"``) holding it; a :class:`Readings` is returned as it is.
    patients : pandas.DataFrame
        The patients table (validated here): every reading's patient must be in it.
    engine : {"auto", "pandas", "duckdb"}
        ``"pandas"`` validates the table in memory (a file is read first); ``"duckdb"``
        (``pip install 'ovcfstats[scale]'``) reads files straight from disk, out of core under
        ``memory_limit``. ``"auto"``: DuckDB, when installed, for a file or more than
        2,000,000 readings. Both give the same readings and the same errors.
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"2GB"``; beyond it DuckDB spills to a temporary directory.

    Returns
    -------
    Readings

    Raises
    ------
    DataError
        As :func:`~ovcfstats.validate_measurements` (naming the column, IDs, rows and fix), for
        readings of patients missing from ``patients`` and for duplicate readings.

    Examples
    --------
    >>> from ovcfstats import load_sample, reliability, scan_readings
    >>> patients, measurements = load_sample()
    >>> readings = scan_readings(measurements, patients)
    >>> len(readings) == len(measurements)
    True
    >>> reliability(readings, measures=["hu"]).table.loc[0, "n_targets"]
    np.int64(1248)
    """
    from .schema import validate_patients

    func = "scan_readings"
    check_option(engine, ("auto", "pandas", "duckdb"), func, "engine")
    if isinstance(measurements, Readings):
        return measurements
    pts = validate_patients(patients)
    from ._duckdb import scannable

    chosen = choose_engine(engine, measurements)
    if chosen == "duckdb" and (isinstance(measurements, pd.DataFrame) or scannable(measurements)):
        return _scan_duckdb(measurements, pts, memory_limit)
    source = "DataFrame"
    if isinstance(measurements, str | Path):
        from .readers import read_table

        source = Path(measurements).name
        measurements = read_table(measurements)
    return _from_frame(measurements, pts, source)


def choose_engine(engine: str, measurements: Any) -> str:
    """``engine`` itself, or for "auto": DuckDB (when installed) for a file or a large table."""
    if engine != "auto":
        return engine
    if not isinstance(measurements, str | Path) and len(measurements) <= DUCKDB_ROWS:
        return "pandas"
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return "pandas"
    return "duckdb"


def _from_frame(measurements: pd.DataFrame, patients: pd.DataFrame, source: str) -> Readings:
    """The pandas engine: validate the whole table, then code its cleaned columns."""
    from .schema import validate_measurements

    m = validate_measurements(measurements, patients)
    combo, first = _combinations(m)
    combos = m.iloc[first][list(COMBO_COLUMNS)].reset_index(drop=True)
    patient = pd.Index(patients["patient_id"]).get_indexer(m["patient_id"])
    return _checked(patients, patient, combo, m["value"].to_numpy(dtype=float), combos, source)


def _combinations(clean: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's cleaned (measure, level, muscle, side, rater, session) and the first
    row of each code."""
    from ._reading_codes import _combine, _sorted_groups

    parts = [pd.factorize(clean[col]) for col in COMBO_COLUMNS]
    key, _ = _combine([c for c, _ in parts], [max(len(u), 1) for _, u in parts])
    code, first = _sorted_groups(key)
    return code.astype(np.int32), first

def _checked(
    patients: pd.DataFrame,
    patient: np.ndarray,
    combo: np.ndarray,
    value: np.ndarray,
    combos: pd.DataFrame,
    source: str,
    refuse: Callable[[list[tuple[int, int]]], None] | None = None,
) -> Readings:
    """The readings, once no (patient, combination) holds two of them; ``refuse`` names the
    duplicated (patient, combination) pairs in the source (the validator's error)."""
    text = dict.fromkeys(COMBO_COLUMNS[:-1], str)  # the text dtype: object, or pandas 3's str
    combos = combos.astype(text).astype({"session": np.int64}).reset_index(drop=True)
    readings = Readings(
        patients,
        patient.astype(np.int32, copy=False),
        combo.astype(np.int32, copy=False),
        value,
        combos,
        source,
    )
    key = readings.patient.astype(np.int64) * len(combos) + readings.combo
    if not _unique(key, len(patients) * len(combos)):
        from .schema import validate_measurements

        dup = pd.Index(key).duplicated(keep=False)
        first = np.unique(key[dup])[:3]
        if refuse is not None:
            refuse([(int(k) // len(combos), int(k) % len(combos)) for k in first])
        validate_measurements(readings.to_frame(np.flatnonzero(np.isin(key, first))))
        raise RuntimeError("scan_readings(): duplicate readings not named (internal error)")
    return readings


def _unique(key: np.ndarray, span: int) -> bool:
    """Whether the non-negative ``key`` values below ``span`` are all different.

    Marking a boolean array of ``span`` (a few bytes a reading: patients × combinations) is
    one vectorised pass, several times faster than hashing 10⁷–10⁸ keys.
    """
    if span > 8 * len(key) + (1 << 20):
        return bool(pd.Index(key).is_unique)
    seen = np.zeros(span, dtype=bool)
    seen[key] = True
    return int(np.count_nonzero(seen)) == len(key)


# -- DuckDB ------------------------------------------------------------------------------------


def _scan_duckdb(
    measurements: pd.DataFrame | str | Path, patients: pd.DataFrame, memory_limit: str | None
) -> Readings:
    """Witness rows validated by the validator; the readings streamed back as codes."""
    from ._duckdb import TEXT, _patient_codes, _source, _witness, connection

    source = "DataFrame" if isinstance(measurements, pd.DataFrame) else Path(measurements).name
    with connection(memory_limit, measurements) as con:
        _source(con, measurements)
        groups, combos = _combos(con, _witness(con), patients)
        con.register("groups", groups)
        con.register("pids", _patient_codes(con, patients))
        patient, combo, value = _stream(con, TEXT)
        refuse = lambda pairs: _refuse_duplicates(con, pairs)  # noqa: E731
        return _checked(patients, patient, combo, value, combos, source, refuse)


def _refuse_duplicates(con: Any, pairs: list[tuple[int, int]]) -> None:
    """The duplicated readings as read from the source, handed to the validator."""
    from ._duckdb import TEXT, validate_found

    join = ", ".join((*TEXT, "session_raw"))
    found = pd.concat(
        [
            con.execute(
                f"SELECT s.* FROM src s JOIN groups g USING ({join}) JOIN pids p "
                "USING (patient_id) WHERE p.code = $1 AND g.combo = $2",
                [patient, combo],
            ).df()
            for patient, combo in pairs
        ],
        ignore_index=True,
    )
    validate_found(con, found.assign(session=found["session_raw"], value=found["value_raw"]))


def _combos(
    con: Any, witness: pd.DataFrame, patients: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate the witness rows; each raw (text, session) combination's cleaned combination."""
    from ._duckdb import TEXT, validate_found

    keys = [*TEXT, "session_raw"]
    rows = witness.drop_duplicates().reset_index(drop=True)
    clean = validate_found(con, rows, patients)
    clean = clean[list(COMBO_COLUMNS)].reset_index(drop=True)
    code, first = _combinations(clean)
    groups = rows[keys].assign(combo=code).drop_duplicates(keys)
    return groups, clean.iloc[first].reset_index(drop=True)


def _stream(con: Any, text: tuple[str, ...], batch: int = 1_000_000) -> tuple[np.ndarray, ...]:
    """(patient row, combination, value) of every reading, in Arrow batches."""
    join = ", ".join((*text, "session_raw"))
    reader = con.sql(
        f"""
        SELECT p.code AS patient, g.combo AS combo, CAST(s.value_raw AS DOUBLE) AS value
        FROM src s JOIN groups g USING ({join}) JOIN pids p USING (patient_id)
        """
    ).to_arrow_reader(batch)
    parts: dict[str, list[np.ndarray]] = {"patient": [], "combo": [], "value": []}
    for chunk in reader:
        for name in parts:
            column = chunk.column(name)
            kind = float if name == "value" else np.int32
            parts[name].append(column.to_numpy(zero_copy_only=False).astype(kind, copy=False))
    return tuple(
        np.concatenate(p) if p else np.empty(0, float if n == "value" else np.int32)
        for n, p in parts.items()
    )
