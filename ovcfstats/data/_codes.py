"""Text columns as integer codes: each distinct value cleaned once, checks on integers.

A registry's readings table repeats a handful of codes (measure, level, muscle, side, rater) and
~10⁵ patient IDs over ~10⁷ rows; cleaning, comparing and hashing every cell as a string is what
made validation slow. Here each column is factorised once, its few distinct values cleaned, and
every check (allowed codes, duplicates) runs on the integer codes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._validate import as_ids


class Coded(NamedTuple):
    """A text column as integer codes into its distinct cleaned values (``""`` = empty)."""

    codes: np.ndarray
    values: np.ndarray
    #: the input column itself when it is clean already (no blanks to strip, no NaN, text)
    clean: pd.Series | None = None

    def series(self, index: pd.Index) -> pd.Series:
        """The cleaned column, built by one ``take`` (object, or ``str`` under pandas 3)."""
        if self.clean is not None:
            return self.clean.set_axis(index)
        values = pd.Series(self.values)  # the dtype text gets (object, or str under pandas 3)
        if values.dtype == object:
            return pd.Series(self.values[self.codes], index=index, dtype=object, copy=False)
        return pd.Series(values.array.take(self.codes), index=index, copy=False)

    def rows_in(self, allowed: Any) -> np.ndarray:
        """True for the rows whose value is in ``allowed``."""
        allowed = set(allowed)
        ok = np.fromiter((v in allowed for v in self.values), bool, len(self.values))
        return ok[self.codes]


def encode(series: pd.Series, upper: bool = False) -> Coded:
    """Clean each DISTINCT value once (strip, upper-case if asked, blanks and NaN as ``""``).

    Values that are equal once cleaned (``" r1"``, ``"R1"``) share one code, so integer codes
    stand for the cleaned text in every check: 10⁷ rows cost one hash pass per column.
    """
    codes, uniques = pd.factorize(series)
    clean = as_ids(pd.Series(uniques, dtype=series.dtype if len(uniques) else object))
    clean = (clean.str.upper() if upper else clean).to_numpy(dtype=object)
    remap, values = pd.factorize(np.append(clean, ""))  # the last entry is NaN's code -1
    small = np.int32 if len(values) < 2**31 else np.int64
    values = np.asarray(values, dtype=object)
    same = (
        codes.min(initial=0) >= 0
        and len(values) == len(uniques) + (values[-1] == "")
        and all(a == b for a, b in zip(values, uniques, strict=False))
        and pd.Series(values).dtype == series.dtype
    )
    return Coded(remap.astype(small)[codes], values, series if same else None)



def duplicated(keys: list[Any]) -> np.ndarray:
    """True for every row whose key (integer codes per column) occurs more than once.

    The codes are combined into one int64 per row (mixed radix, re-coded before it could
    overflow), so the duplicate search sorts one integer instead of hashing seven strings.
    """
    combined = np.zeros(len(keys[0].codes), dtype=np.int64)
    size = 1
    for key in keys:
        codes, n = (key.codes, len(key.values)) if isinstance(key, Coded) else _int_codes(key)
        if size * n >= 2**62:
            combined, uniques = pd.factorize(combined)
            size = len(uniques)
        combined = combined * n + codes
        size *= n
    ordered = np.sort(combined)  # a sort of integers beats hashing 10⁷ distinct keys
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(repeated):
        return np.zeros(len(combined), dtype=bool)
    return np.isin(combined, np.unique(repeated))


def _int_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Small non-negative integers are their own codes; others are factorized."""
    if values.min() >= 0 and values.max() < 2**20:
        return values.astype(np.int64), int(values.max()) + 1
    codes, uniques = pd.factorize(values)
    return codes, len(uniques)
