"""Shared pieces of the audit: the printed-number lookup, rounding rules and the row format."""

from __future__ import annotations

import pandas as pd

from .._validate import DataError

COLUMNS = ("check", "item", "reported", "recomputed", "consistent", "detail")


# -- helpers -----------------------------------------------------------------------------------
def _decimals(printed: str) -> int:
    text = printed.strip().strip("()%<")
    return len(text.split(".")[1]) if "." in text else 0


def _agrees(recomputed: float, row: pd.Series) -> bool:
    """Does ``recomputed`` round to what ``row`` prints (or lie below a printed '<' bound)?"""
    if row["relation"] == "<":
        return bool(recomputed < row["value"])
    return bool(abs(recomputed - row["value"]) <= _half(row) + 1e-12)


def _half(row: pd.Series) -> float:
    """Half a unit of the last printed digit: how far the true value may lie from the print."""
    return 0.5 * 10.0 ** -_decimals(row["printed"])


def _overlaps(low: float, high: float, row: pd.Series) -> bool:
    """Can a value in [low, high] (recomputed under the inputs' rounding) print as ``row``?"""
    if row["relation"] == "<":
        return bool(low < row["value"])
    return bool(
        low <= row["value"] + _half(row) + 1e-12 and high >= row["value"] - _half(row) - 1e-12
    )


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


class _Reported:
    """Lookup of printed values by (source prefix, item, statistic, group)."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table

    def rows(self, statistic: str, source: str | None = None) -> pd.DataFrame:
        t = self.table[self.table["statistic"] == statistic]
        return t if source is None else t[t["source"] == source]

    def get(self, item: str, statistic: str, group: str = "", source: str | None = None):
        t = self.rows(statistic, source)
        t = t[(t["item"] == item) & (t["group"] == group)]
        return t.iloc[0] if len(t) else None

    def _sizes(self, source: str | None) -> pd.DataFrame:
        """The ``n`` rows of ``source``, else of the first source giving both group sizes."""
        t = self.table[self.table["statistic"] == "n"]
        own = t[t["source"] == source]
        if not {"cases", "controls"} <= set(own["group"]):
            both = [
                s
                for s, g in t.groupby("source", sort=False)
                if {"cases", "controls"} <= set(g["group"])
            ]
            if not both:
                raise DataError(
                    "audit_reported(): the published table gives no group sizes. Add rows with "
                    "statistic 'n', item 'n' and group 'cases' and 'controls' (for each source "
                    "with its own n, or once for all)."
                )
            own = t[t["source"] == both[0]]
        return own

    def n_source(self, source: str | None = None) -> str:
        """The source whose group sizes :meth:`n` uses for ``source``: its own, else the
        study's main n (the first source printing both group sizes)."""
        own = self._sizes(source)
        return str(own["source"].iloc[0])

    def n(self, source: str | None = None) -> tuple[int, int]:
        """Numbers of cases and controls behind the numbers of ``source``."""
        own = self._sizes(source)
        return tuple(  # type: ignore[return-value]
            int(own.loc[own["group"] == g, "value"].iloc[0]) for g in ("cases", "controls")
        )

    def n_total(self, source: str | None = None) -> int:
        """Patients behind ``source``: its own total n if printed, else cases + controls."""
        t = self.table
        own = t[(t["statistic"] == "n") & (t["source"] == source) & (t["group"] == "")]
        return int(own["value"].iloc[0]) if len(own) else sum(self.n(source))


def _row(check: str, item: str, reported: str, recomputed: str, ok: bool, detail: str) -> dict:
    return dict(zip(COLUMNS, (check, item, reported, recomputed, bool(ok), detail), strict=True))
