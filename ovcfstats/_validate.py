"""Shared input checks with one message style: name the function, the column, the rows, the fix.

Every public function validates at its top with these helpers and computes on clean arrays after.
Messages read ``"<func>(): <what is wrong> in column '<col>' (patient_id: P001, P007, ... 12 rows).
<what to do>."``
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._results import OvcfWarning, make_excluded

#: How many offending IDs an error message lists before summarising.
MAX_IDS = 5


class DataError(ValueError):
    """Bad input data: names the column, the offending rows and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import DataError, validate_patients
    >>> patients = pd.DataFrame({"patient_id": ["P1", "P2"], "case": [1, 3], "age": [70, 71],
    ...                          "sex": ["F", "F"], "fracture_level": ["L1", ""]})
    >>> try:
    ...     validate_patients(patients)
    ... except DataError as error:
    ...     print(error)
    validate_patients(): values other than 0/1 in column 'case' (3; patient_id: P2; row 2). ...
    """


class ImplausibleValueWarning(OvcfWarning):
    """Values that are possible but look like a unit or coding slip (e.g. proportions for %).

    Examples
    --------
    >>> from ovcfstats import ImplausibleValueWarning, OvcfWarning
    >>> issubclass(ImplausibleValueWarning, OvcfWarning)
    True
    """


def as_ids(series: pd.Series) -> pd.Series:
    """IDs as text exactly as given, surrounding whitespace stripped; missing as ``""``.

    Text is never converted to a number (``"007"`` stays ``"007"`` and differs from ``"7"``).
    A column a reader already parsed as numbers keeps its digits: whole floats lose the ``.0``
    that a blank cell forced on them (``7.0`` -> ``"7"``).
    """
    if pd.api.types.is_integer_dtype(series) and not series.hasnans:
        return pd.Series(series.to_numpy().astype(str), index=series.index, dtype=object)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        text = np.full(len(values), "", dtype=object)
        whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)
        text[whole] = values[whole].astype(np.int64).astype(str)
        other = ~np.isnan(values) & ~whole
        text[other] = [repr(float(v)) for v in values[other]]
        return pd.Series(text, index=series.index, dtype=object)
    return series.astype("string").str.strip().fillna("").astype(object)


def describe_rows(mask: Any) -> str:
    """``"rows 3, 7"``: 1-based positions (1 = the first data row) as plain integers."""
    rows = [int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool))]
    shown = ", ".join(str(r) for r in rows[:MAX_IDS])
    more = f", ... ({len(rows)} rows)" if len(rows) > MAX_IDS else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"


def renumbered(err: DataError, rows: Sequence[int]) -> DataError:
    """``err`` with the row numbers :func:`describe_rows` wrote for a subset of a table replaced
    by ``rows``: the 0-based rows of that subset in the whole table (subset order).

    Validators run on a few rows chosen from a large table (witness rows, duplicates) name the
    rows of the table, not of the subset.
    """
    text = str(err)
    found = re.search(r"\brows? (\d+(?:, \d+)*)(, \.\.\. \(\d+ rows\))?", text)
    if found is None:
        return err
    numbers = [int(rows[int(i) - 1]) + 1 for i in found.group(1).split(", ")]
    shown = f"{'row' if len(numbers) == 1 else 'rows'} {', '.join(map(str, numbers))}"
    return DataError(text[: found.start()] + shown + (found.group(2) or "") + text[found.end() :])


def check_alpha(alpha: Any, func: str, param: str = "alpha") -> float:
    """A level in (0, 1): Python or numpy reals (``np.float32(0.05)``); bools are refused."""
    ok = isinstance(alpha, int | float | np.integer | np.floating) and not isinstance(
        alpha, bool | np.bool_
    )
    if not ok or not 0 < float(alpha) < 1:
        raise ValueError(f"`{param}` of {func}() must be a number in (0, 1); got {alpha!r}.")
    return float(alpha)


#: magnitudes between these need no rescaling: their squares and sums stay far from overflow
#: (about 1.3e154) and underflow
SAFE_MAGNITUDE = (2.0**-100, 2.0**100)


def power_scale(x: Any) -> Any:
    """A power of two per column (a number for 1-D ``x``) bringing the largest finite magnitude
    near 1, or 1 where it is already safe to square (see :data:`SAFE_MAGNITUDE`).

    Dividing by a power of two is exact, so statistics computed on ``x / power_scale(x)`` and
    scaled back equal those on ``x`` wherever ``x``'s squares do not overflow, and stay finite
    where they would (values near 1e300).

    Examples
    --------
    >>> import numpy as np
    >>> power_scale(np.array([1.0, 3e300])) == 2.0**999, power_scale(np.array([80.0, 120.0]))
    (True, 1.0)
    >>> x = np.array([1e300, 3e300, 2e300])
    >>> float(power_scale(x) * np.std(x / power_scale(x)))  # np.std(x) overflows: inf
    8.16496580927726e+299
    """
    x = np.asarray(x, dtype=float)
    low, high = SAFE_MAGNITUDE
    if x.size:  # the usual case first: two reductions that skip NaN, no temporary array
        top = np.maximum(np.abs(np.fmax.reduce(x, axis=0)), np.abs(np.fmin.reduce(x, axis=0)))
        if np.all(np.isfinite(top) & ((top == 0) | ((top >= low) & (top <= high)))):
            return 1.0 if x.ndim == 1 else np.ones(x.shape[1:])
    finite = np.where(np.isfinite(x), np.abs(x), 0.0)
    top = finite.max(axis=0) if finite.size else np.zeros(x.shape[1:])
    safe = (top == 0) | ((top >= low) & (top <= high))
    scale = np.where(safe, 1.0, np.ldexp(1.0, np.frexp(top)[1]))
    return float(scale) if scale.ndim == 0 else scale


def id_column(data: pd.DataFrame, id_col: str | None = "patient_id") -> str | None:
    """The column that identifies rows in messages, or None to use the index."""
    return id_col if id_col is not None and id_col in data.columns else None


def row_ids(data: pd.DataFrame, mask: Any = None, id_col: str | None = "patient_id") -> list:
    """The IDs (``id_col`` values, else index labels) of the rows selected by ``mask``."""
    rows = data if mask is None else data[np.asarray(mask, dtype=bool)]
    col = id_column(data, id_col)
    return list(rows[col]) if col else list(rows.index)


def describe_ids(ids: Sequence[Any], id_col: str | None = "patient_id") -> str:
    """``"patient_id: P1, P2, P3, ... (12 rows)"`` for an error message."""
    label = id_col or "row"
    shown = ", ".join(_plain(i) for i in list(ids)[:MAX_IDS])
    more = f", ... ({len(ids)} rows)" if len(ids) > MAX_IDS else ""
    return f"{label}: {shown}{more}"


def _plain(value: Any) -> str:
    """An ID or row label as plain text (``5``, not ``np.int64(5)``)."""
    return str(value.item() if isinstance(value, np.generic) else value)


def check_frame(data: Any, func: str, name: str = "data") -> pd.DataFrame:
    """``data`` must be a non-empty DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{func}(): `{name}` must be a pandas DataFrame; got {type(data).__name__}."
        )
    if len(data) == 0:
        raise DataError(f"{func}(): `{name}` has no rows.")
    return data


def closest(name: Any, options: Iterable[Any]) -> str | None:
    """The option most like ``name`` (letter case and punctuation aside), or None.

    Examples
    --------
    >>> closest("T_score", ["t_score", "hu", "vbq"])
    't_score'
    >>> closest("HU", ["t_score", "hu"]), closest("smoking", ["age", "sex"])
    ('hu', None)
    >>> closest("TBS (L1/L4)", ["age", "tbs_l1_l4"])
    'tbs_l1_l4'
    """
    import difflib

    def key(x: Any) -> str:
        return "".join(ch for ch in str(x).casefold() if ch.isalnum())

    options = [str(o) for o in options]
    keyed = {key(o): o for o in reversed(options)}  # the first option wins a tie
    if key(name) in keyed:
        return keyed[key(name)]
    found = difflib.get_close_matches(key(name), list(keyed), n=1, cutoff=0.6)
    return keyed[found[0]] if found else None


def did_you_mean(name: Any, options: Iterable[Any]) -> str:
    """``" Did you mean 'x'?"`` for an unknown name, or ``""`` when nothing is close."""
    found = closest(name, options)
    return f" Did you mean '{found}'?" if found is not None else ""


def check_columns(
    data: pd.DataFrame, columns: Iterable[str], func: str, name: str = "data"
) -> None:
    """Every name in ``columns`` must be a column of ``data`` (the closest column suggested)."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        available = ", ".join(repr(c) for c in data.columns[:20])
        hints = "".join(did_you_mean(c, data.columns) for c in missing)
        raise DataError(
            f"{func}(): column(s) {listed} not found in `{name}`.{hints} Available columns: "
            f"{available}. Add the column or pass the name of an existing one."
        )


def check_option(value: Any, allowed: Sequence[Any], func: str, param: str) -> Any:
    """``value`` must be one of ``allowed`` (sklearn's message template)."""
    if value not in allowed:
        raise ValueError(f"`{param}` of {func}() must be one of {list(allowed)}; got {value!r}.")
    return value


def check_numeric(
    data: pd.DataFrame, column: str, func: str, id_col: str | None = "patient_id"
) -> np.ndarray:
    """Column as float64; non-numeric or infinite entries raise naming the rows.

    Missing entries (blank, NaN) are kept as NaN; ``inf``/``-inf`` are refused (no reading or
    covariate can be infinite; they usually come from a division by zero in a spreadsheet).
    """
    raw = data[column]
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
    else:
        coerced = pd.to_numeric(raw, errors="coerce")
        bad = coerced.isna() & raw.notna()
        if bad.any():
            examples = ", ".join(repr(v) for v in raw[bad].unique()[:3])
            raise DataError(
                f"{func}(): non-numeric values ({examples}) in column '{column}' "
                f"({_where(data, bad, id_col)}). "
                "Fix or blank these entries; missing values may be left empty."
            )
        values = coerced.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        shown = ", ".join(sorted({repr(float(v)) for v in values[infinite]}))
        raise DataError(
            f"{func}(): infinite values ({shown}) in column '{column}' "
            f"({_where(data, infinite, id_col)}). A value cannot be infinite (often a division "
            "by zero in the spreadsheet): correct these entries or leave them blank."
        )
    return values


def _where(data: pd.DataFrame, mask: Any, id_col: str | None) -> str:
    """The IDs of the rows in ``mask`` and their 1-based row numbers, for a message."""
    col = id_column(data, id_col)
    rows = describe_rows(mask)
    if col is None:
        return rows
    return f"{describe_ids(row_ids(data, mask, id_col), id_col)}; {rows}"


def check_binary_outcome(
    data: pd.DataFrame, column: str, func: str, id_col: str | None = "patient_id"
) -> np.ndarray:
    """A 0/1 outcome with both classes present and no missing values; returns an int array."""
    values = check_numeric(data, column, func, id_col)
    missing = np.isnan(values)
    if missing.any():
        raise DataError(
            f"{func}(): missing values in outcome column '{column}' "
            f"({describe_ids(row_ids(data, missing, id_col), id_col)}). "
            "Every row needs its outcome (1 = case, 0 = control)."
        )
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise DataError(
            f"{func}(): outcome column '{column}' must be coded 0/1; found "
            f"{sorted(set(values[bad].tolist()))[:3]} "
            f"({describe_ids(row_ids(data, bad, id_col), id_col)}). "
            "Recode it as 1 = case, 0 = control."
        )
    if np.unique(values).size < 2:
        only = int(values[0])
        raise DataError(
            f"{func}(): outcome column '{column}' has one class only (all {only}); "
            "both cases (1) and controls (0) are needed."
        )
    return values.astype(int)


def split_missing(
    data: pd.DataFrame, columns: Sequence[str], id_col: str | None = "patient_id"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows complete in ``columns`` and an ``excluded`` table for the others.

    One excluded row per (row, column) that is missing, with reason ``"missing <column>"``.
    """
    missing = data[list(columns)].isna()
    incomplete = missing.any(axis=1).to_numpy()
    ids, variables, reasons = [], [], []
    for col in columns:
        col_missing = missing[col].to_numpy()
        for rid in row_ids(data, col_missing, id_col):
            ids.append(rid)
            variables.append(col)
            reasons.append(f"missing {col}")
    return data[~incomplete], make_excluded(ids, variables, reasons)


def ids_unique(ids: pd.Series) -> bool:
    """``ids.is_unique`` (missing IDs count as one value), fast for the usual ID columns.

    Hashing 10⁶ Python or Arrow strings in a hash table costs about 0.1 s. Text IDs are
    instead read as bytes from their Arrow buffers (object columns of ``str`` converted to
    Arrow first, one C pass) and reduced to one 64-bit key per ID; integer IDs are their own
    keys, categorical IDs their codes. One ``np.sort`` of the keys then shows whether any two
    are equal. Equal IDs always give equal keys, so distinct keys prove the IDs distinct;
    when two keys are equal (a duplicate, or two different IDs whose keys collide) pandas'
    exact check decides. Other dtypes go to pandas directly.

    Examples
    --------
    >>> ids_unique(pd.Series(["P1", "P10", "P2"]))
    True
    >>> ids_unique(pd.Series(["P1", "P10", "P1"]))
    False
    """
    keys = _id_keys(ids)
    if keys is None:
        return bool(ids.is_unique)
    if keys.size < 2:
        return True
    keys.sort()
    if (keys[1:] != keys[:-1]).all():
        return True
    return bool(ids.is_unique)  # a duplicate, or a key collision: the exact check decides


def _id_keys(ids: pd.Series) -> np.ndarray | None:
    """One integer key per ID (equal IDs, equal keys) or None where pandas should decide."""
    dtype = ids.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.array(ids.cat.codes, dtype=np.int64)  # a copy (sorted in place); −1: NaN
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return ids.to_numpy().copy()
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return None
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas' own check
        return None
    values = ids.array
    try:
        if hasattr(values, "__arrow_array__"):  # Arrow-backed or pandas string arrays
            arrow = pa.array(values)
        else:  # object column: Python strings to Arrow in one C pass
            arrow = pa.array(ids.to_numpy(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None  # not all text (numbers, mixed types)
    if not isinstance(arrow, pa.ChunkedArray):
        arrow = pa.chunked_array([arrow])
    if arrow.null_count > 1:
        return None  # several missing IDs: duplicates for pandas, whatever their slots hold
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return None
    parts = [_text_keys(chunk) for chunk in arrow.chunks]
    return parts[0] if len(parts) == 1 else np.concatenate(parts or [np.zeros(0, np.uint64)])


#: Masks keeping the first 0..8 bytes of a little-endian 8-byte word.
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _text_keys(chunk: Any) -> np.ndarray:
    """64-bit keys of an Arrow string array from its offsets and UTF-8 bytes: strings of up to
    7 bytes are their bytes and length; longer ones mix their bytes, taken 8 at a time (one
    unaligned read per string and word), with their length."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    n = len(chunk)
    buffers = chunk.buffers()
    offsets = np.frombuffer(
        buffers[1], dtype=width, count=n + 1, offset=chunk.offset * np.dtype(width).itemsize
    ).astype(np.int64, copy=False)
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = np.zeros(hi - lo + 8, dtype=np.uint8)  # 8 spare bytes: every read stays inside
    if hi > lo:
        data[: hi - lo] = np.frombuffer(buffers[2], dtype=np.uint8, count=hi - lo, offset=lo)
    # the 8-byte little-endian word starting at every byte (a strided view, no copy)
    words = np.ndarray((hi - lo + 1,), dtype="<u8", buffer=data, strides=(1,))
    starts = offsets[:-1] - lo if lo else offsets[:-1]
    lengths = np.diff(offsets)
    longest = int(lengths.max()) if n else 0
    keys = words[starts]
    keys &= _BYTE_MASKS[lengths if longest <= 8 else np.minimum(lengths, 8)]
    if longest < 8:  # the bytes and the length fit in the key: distinct IDs, distinct keys
        keys |= lengths.view(np.uint64) << np.uint64(56)
    else:
        keys ^= lengths.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for k in range(8, longest, 8):
            word = words[np.minimum(starts + k, words.size - 1)]
            word &= _BYTE_MASKS[np.clip(lengths - k, 0, 8)]
            keys *= np.uint64(0xFF51AFD7ED558CCD)  # multiply-xor mixing, wrapping mod 2⁶⁴
            keys ^= word
    return keys  # a missing entry's key is arbitrary: at most one per column gets here
