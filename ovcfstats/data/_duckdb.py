"""The DuckDB engine of derive_indicators: readings → :class:`~ovcfstats.data._cells.Cells` in SQL.

Reads a DataFrame, or Parquet/CSV files straight from disk, out of core under a memory limit.
Validity has one definition, :func:`~ovcfstats.data.schema.validate_measurements`; at scale it is
applied to *witness rows* — real rows of the table chosen so that every row is valid when they
are: per distinct combination of the raw text columns and session, the rows with the smallest
and largest value, one blank row and one non-numeric row. Checks that compare rows (unknown
patients, duplicate readings) run in SQL; a row that fails one is handed to the validator, whose
error names it. The validator also returns the cleaned codes of each combination, so text is
normalised exactly as in the pandas engine.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validate import DataError, renumbered
from ._cells import SLOTS, Cells, groups_from_witness
from .schema import MEASUREMENT_COLUMNS, _text, validate_measurements

TEXT = ("measure", "level", "muscle", "side", "rater")
#: the strings pandas.read_csv reads as missing; the CSV reader here does the same
NA_STRINGS = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as err:
        raise ImportError(
            "derive_indicators(engine='duckdb') needs DuckDB: pip install 'ovcfstats[scale]'"
        ) from err
    return duckdb


def _is_csv(path: str) -> bool:
    return path.lower().endswith((".csv", ".csv.gz", ".tsv", ".txt"))


def read_table(path: str | Path) -> pd.DataFrame:
    """A Parquet or CSV measurements file as a DataFrame (text columns as text)."""
    name = str(path)
    if _is_csv(name):
        return pd.read_csv(name, dtype=dict.fromkeys(("patient_id", *TEXT), str))
    return pd.read_parquet(name)


def scannable(path: Any) -> str | None:
    """How DuckDB reads ``path`` straight from disk ("parquet", "," or tab), or None.

    Parquet files and globs, and comma- or tab-delimited UTF-8 text; anything else (Excel,
    SPSS, Stata, semicolon files with decimal commas, other encodings) goes through
    :func:`~ovcfstats.data.readers.read_table`, whose messages name what the file is.
    """
    if not isinstance(path, str | Path):
        return None
    name = str(path)
    if "*" in name:
        return "parquet" if name.lower().endswith(".parquet") else None
    from .readers import FORMATS, _delimiter, _sniff_kind

    path = Path(path)
    if not path.is_file():
        return None
    kind = _sniff_kind(path)
    fmt = FORMATS.get(path.suffix.lower())
    if kind == "parquet" and fmt in ("parquet", None):
        return "parquet"
    if kind is not None or fmt != "csv":
        return None
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:  # maybe a cut character at the end: keep whole lines only
        try:
            text = head[: head.rfind(b"\n")].decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    try:
        sep = _delimiter(path, text)
    except DataError:
        return None
    return sep if sep in (",", "\t") else None


def _source(con: Any, measurements: pd.DataFrame | str | Path) -> str:
    """Register the readings as view ``src`` with every column as text or double."""
    na_strings = NA_STRINGS
    if isinstance(measurements, pd.DataFrame):
        missing = [c for c in MEASUREMENT_COLUMNS if c not in measurements.columns]
        if missing:  # the validator words this error
            validate_measurements(measurements.head(1))
        frame = measurements[list(MEASUREMENT_COLUMNS)]
        mixed = [
            c
            for c in ("session", "value")
            if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
        ]
        if mixed:  # numbers and text in one column: DuckDB reads it as text, as from a CSV
            frame = frame.astype(dict.fromkeys(mixed, "string"))
        con.register("frame", frame)
        relation = "frame"
    else:
        name = str(measurements).replace("'", "''")
        if _is_csv(name):
            sep = scannable(measurements) or ","
            delim = "\\t" if sep == "\t" else sep
            relation = f"read_csv('{name}', all_varchar = true, header = true, delim = '{delim}')"
            na_strings = (*NA_STRINGS, ".")  # as read_table reads a CSV
        else:
            relation = f"read_parquet('{name}')"
    columns = {
        row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    }
    missing = [c for c in MEASUREMENT_COLUMNS if c not in columns]
    if missing:
        validate_measurements(con.execute(f"SELECT * FROM {relation} LIMIT 1").df())
    na = ", ".join(f"'{s}'" for s in na_strings)

    def number(col: str) -> str:
        if columns[col] == "VARCHAR":
            return f"CASE WHEN trim({col}) IN ({na}) THEN NULL ELSE {col} END"
        return f"CASE WHEN isnan(CAST({col} AS DOUBLE)) THEN NULL ELSE CAST({col} AS DOUBLE) END"

    text = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '') AS {c}" for c in ("patient_id", *TEXT))
    con.execute(
        f"CREATE VIEW src AS SELECT {text}, {number('session')} AS session_raw, "
        f"{number('value')} AS value_raw FROM {relation}"
    )
    return columns["value"]


def _witness(con: Any) -> pd.DataFrame:
    """Real rows that together decide whether every row is valid (see the module doc)."""
    keys = ", ".join(TEXT) + ", session_raw"
    found = con.execute(
        f"""
        SELECT {keys},
               arg_min(patient_id, v) AS p_min, arg_min(value_raw, v) AS v_min,
               arg_max(patient_id, v) AS p_max, arg_max(value_raw, v) AS v_max,
               any_value(patient_id) FILTER (WHERE value_raw IS NULL) AS p_blank,
               any_value(patient_id) FILTER (WHERE value_raw IS NOT NULL AND v IS NULL)
                   AS p_bad,
               any_value(value_raw) FILTER (WHERE value_raw IS NOT NULL AND v IS NULL)
                   AS v_bad
        FROM (SELECT *, TRY_CAST(value_raw AS DOUBLE) AS v FROM src)
        GROUP BY ALL
        """
    ).df()
    parts = []
    for kind in ("min", "max", "blank", "bad"):
        part = found[found[f"p_{kind}"].notna()]
        value = part[f"v_{kind}"] if kind != "blank" else pd.Series(np.nan, index=part.index)
        parts.append(part[[*TEXT, "session_raw"]].assign(patient_id=part[f"p_{kind}"], value=value))
    rows = pd.concat(parts, ignore_index=True)
    if len(rows[[*TEXT, "session_raw"]].drop_duplicates()) != len(found):
        raise RuntimeError("derive_indicators(): readings left unvalidated (internal error)")
    return rows.assign(session=rows["session_raw"])


def validate_found(con: Any, rows: pd.DataFrame, patients: pd.DataFrame | None = None) -> Any:
    """``validate_measurements`` on rows taken from view ``src`` (witness rows, duplicates,
    unknown patients); its error names their rows in the source, in source order."""
    readings = rows[list(MEASUREMENT_COLUMNS)]
    try:
        return validate_measurements(readings, patients)
    except DataError:
        where = source_rows(con, rows)
        order = np.argsort(where, kind="stable")
        try:
            validate_measurements(readings.iloc[order].reset_index(drop=True), patients)
        except DataError as err:
            raise renumbered(err, where[order]) from None
        raise


def source_rows(con: Any, rows: pd.DataFrame) -> np.ndarray:
    """The 0-based row in the source of each of ``rows`` (one pass, in the source's order).

    A reading is identified by its patient, text columns and session as read; the k-th of
    several equal keys (duplicate readings) gets the k-th of their rows.
    """
    keys = ["patient_id", *TEXT, "session_raw"]
    wanted = pd.DataFrame(
        {c: rows[c].astype(object).where(rows[c].notna(), None) for c in keys}
    ).astype(str)
    wanted["i"] = np.arange(len(rows))
    wanted["k"] = wanted.groupby(keys, sort=False).cumcount()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET threads = 1")  # row_number() in the order the source is read
    con.register("wanted", wanted)
    text = ", ".join(
        f"coalesce(CAST({c} AS VARCHAR), 'None') AS {c}" if c == "session_raw" else c
        for c in keys
    )
    found = con.execute(
        f"""
        SELECT w.i, s.rn,
               row_number() OVER (PARTITION BY w.i ORDER BY s.rn) - 1 AS k, w.k AS want
        FROM (SELECT row_number() OVER () - 1 AS rn, {text} FROM src) s
        JOIN wanted w USING ({", ".join(keys)})
        """
    ).df()
    found = found[found["k"] == found["want"]]
    where = np.full(len(rows), -1, dtype=np.int64)
    where[found["i"].to_numpy(dtype=np.int64)] = found["rn"].to_numpy(dtype=np.int64)
    return where


def _patient_codes(con: Any, patients: pd.DataFrame) -> pd.DataFrame:
    """Raw ID → row of ``patients``; an unknown ID is refused by the validator."""
    raw = con.execute("SELECT DISTINCT patient_id FROM src").df()["patient_id"]
    ids = pd.Index(patients["patient_id"])
    code = ids.get_indexer(_text(raw))
    if (code < 0).any():
        unknown = raw[code < 0].head(5).tolist()
        bad = con.execute(
            "SELECT * FROM src WHERE patient_id IN (SELECT unnest($1)) LIMIT 5", [unknown]
        ).df()
        bad = bad.assign(session=bad["session_raw"], value=bad["value_raw"])
        validate_found(con, bad, patients)
    return pd.DataFrame({"patient_id": raw, "code": code.astype(np.int32)})


def _aggregate(con: Any, n_patients: int, batch: int = 1_000_000) -> Cells:
    """Per (patient, slot): session-1 sum and counts, streamed into the cell arrays."""
    shape = (n_patients, len(SLOTS))
    total = np.zeros(shape)
    counts = {k: np.zeros(shape, np.int32) for k in ("n", "blank", "zero", "later")}
    flat = {k: v.reshape(-1) for k, v in [("total", total), *counts.items()]}
    dup_cells = []
    # duplicates: more readings in a cell than distinct (rater, session) pairs; the pairs are
    # bits of a 64-bit mask (count(DISTINCT) costs ~5x more), else counted distinct
    pairs = con.execute("SELECT max(pair) + 1 FROM groups").fetchall()[0][0] or 0
    distinct = (
        "bit_count(bit_or(CAST(1 AS UBIGINT) << g.pair))"
        if pairs <= 64
        else "count(DISTINCT g.pair)"
    )
    reader = con.sql(
        f"""
        SELECT p.code AS patient, g.slot AS slot,
               coalesce(sum(s.v) FILTER (WHERE g.session = 1), 0) AS total,
               count(s.v) FILTER (WHERE g.session = 1) AS n,
               count(*) FILTER (WHERE g.session = 1 AND s.v IS NULL) AS blank,
               count(*) FILTER (WHERE g.session = 1 AND s.v = 0) AS zero,
               count(s.v) FILTER (WHERE g.session > 1) AS later,
               count(*) - {distinct} AS dup
        FROM (SELECT *, CAST(value_raw AS DOUBLE) AS v FROM src) s
        JOIN groups g USING (measure, level, muscle, side, rater, session_raw)
        JOIN pids p USING (patient_id)
        WHERE g.slot >= 0
        GROUP BY ALL
        """
    ).to_arrow_reader(batch)
    for chunk in reader:
        cols = {name: chunk.column(name).to_numpy() for name in chunk.schema.names}
        at = cols["patient"].astype(np.int64) * len(SLOTS) + cols["slot"]
        for k, grid in flat.items():
            grid[at] = cols[k]
        if cols["dup"].any():
            bad = cols["dup"] > 0
            dup_cells.append(np.column_stack([cols["patient"][bad], cols["slot"][bad]])[:5])
    if dup_cells:
        _refuse_duplicates(con, np.concatenate(dup_cells)[:5])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / counts["n"]
    return Cells(mean=mean, **counts)


def _refuse_duplicates(con: Any, cells: np.ndarray) -> None:
    """Hand the duplicated readings to the validator, which names them."""
    found = [
        con.execute(
            "SELECT s.* FROM src s JOIN groups g USING (measure, level, muscle, side, rater, "
            "session_raw) JOIN pids p USING (patient_id) WHERE p.code = $1 AND g.slot = $2",
            [int(patient), int(slot)],
        ).df()
        for patient, slot in cells
    ]
    found = pd.concat(found, ignore_index=True)
    validate_found(con, found.assign(session=found["session_raw"], value=found["value_raw"]))


def cells_duckdb(
    measurements: pd.DataFrame | str | Path,
    patients: pd.DataFrame,
    *,
    memory_limit: str | None = None,
) -> Cells:
    """Validate and aggregate the readings with DuckDB (``patients`` already validated)."""
    with connection(memory_limit) as con:
        _source(con, measurements)
        groups = groups_from_witness(
            _witness(con),
            patients,
            [*TEXT, "session_raw"],
            lambda rows: validate_found(con, rows, patients),
        )
        groups["pair"] = groups.groupby(["rater_code", "session"]).ngroup().astype(np.int32)
        con.register("groups", groups)
        con.register("pids", _patient_codes(con, patients))
        return _aggregate(con, len(patients))


@contextmanager
def connection(memory_limit: str | None = None) -> Iterator[Any]:
    """A DuckDB connection spilling to a temporary folder beyond ``memory_limit``, row order
    not kept (every query here is order-free), removed with its folder afterwards."""
    duckdb = _duckdb()
    spill = tempfile.mkdtemp(prefix="ovcfstats-duckdb-")
    con = duckdb.connect(config={"temp_directory": spill})
    try:
        if memory_limit is not None:
            limit = str(memory_limit).replace("'", "''")
            con.execute(f"SET memory_limit = '{limit}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
