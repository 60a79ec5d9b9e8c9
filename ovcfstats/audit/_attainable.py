"""Is each printed number attainable at all, given what it is and the n behind it?

One finding per impossible number (a p outside [0, 1], |ρ| > 1, an AUC outside [0, 1], a count
that is not a whole number between 0 and n, a percentage that no k/n rounds to, a negative SD, an
OR outside its own CI); attainable numbers are only counted. Correlations between two indicators
(``a~b``) are left to the matrix checks, which already test their range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import _half, _Reported, _row

P_STATISTICS = ("p", "p_rho", "p_or")


def _percent_attainable(value: float, n: int, half: float) -> tuple[bool, str]:
    """Is there an integer k in [0, n] with 100 k / n within ``half`` of ``value``?"""
    if n <= 0:
        return False, f"a percentage of {n} patients"
    k = np.clip(np.round(value * n / 100), 0, n)
    near = [kk for kk in (k - 1, k, k + 1) if 0 <= kk <= n and abs(100 * kk / n - value) <= half]
    if near:
        return True, ""
    closest = 100 * np.array([k - 1, k, k + 1]) / n
    return False, (
        f"no whole number of the {n} patients gives {value:g}% "
        f"(nearest: {', '.join(f'{c:.2f}%' for c in closest if 0 <= c <= 100)})"
    )


def max_rho_binary(n_cases: int, n_controls: int) -> float:
    """The largest Spearman |ρ| of an untied score with a 0/1 outcome (AUC = 1):
    n·√(pq) / (2·√((n² − 1)/12)), p and q the shares of cases and controls."""
    n = n_cases + n_controls
    pq = n_cases * n_controls / n**2
    return float(n * np.sqrt(pq) / (2 * np.sqrt((n**2 - 1) / 12)))


def _rho_attainable(rep: _Reported, row: pd.Series, slack: float) -> tuple[bool, str]:
    """ρ of an indicator with the binary outcome against its maximum at the source's n, or at
    the study's main n (the first source printing the group sizes) when the source gives none."""
    from .._validate import DataError

    try:
        m, k = rep.n(row["source"])
        origin = rep.n_source(row["source"])
    except DataError:  # no group sizes printed anywhere: only the range can be checked
        return True, ""
    bound = max_rho_binary(m, k)
    where = (
        ""
        if origin == row["source"]
        else f"; {row['source']} prints no n of its own, so the study's n ({origin}) is used"
    )
    return abs(row["value"]) <= bound + slack, (
        f"with a binary outcome and {m} cases + {k} controls, Spearman |ρ| of an untied "
        f"indicator is at most {bound:.3f}{where}"
    )


def _one(rep: _Reported, row: pd.Series) -> tuple[bool, str] | None:
    """(attainable, why not) for one printed number, or None when there is nothing to check."""
    stat, value, item = row["statistic"], row["value"], row["item"]
    slack = _half(row) + 1e-12
    if stat in P_STATISTICS:
        ok = -slack <= value <= 1 + slack and not (row["relation"] == "<" and value <= 0)
        return ok, "a p-value lies in [0, 1]"
    if stat == "rho" and "~" not in item:
        if abs(value) > 1 + 1e-12:
            return False, "a correlation lies in [−1, 1]"
        return _rho_attainable(rep, row, slack)
    if stat == "auc":
        return -slack <= value <= 1 + slack, "an AUC lies in [0, 1]"
    if stat == "sd":
        return value >= 0, "a standard deviation is not negative"
    if stat == "n":
        return value > 0 and float(value).is_integer(), "a group size is a positive whole number"
    if stat == "count" and row["group"] in ("cases", "controls"):
        n = rep.n(row["source"])[0 if row["group"] == "cases" else 1]
        return float(value).is_integer() and 0 <= value <= n, f"a count is a whole number 0–{n}"
    if stat == "percent" and row["group"] in ("cases", "controls"):
        n = rep.n(row["source"])[0 if row["group"] == "cases" else 1]
        return _percent_attainable(value, n, slack)
    if stat == "or":
        low = rep.get(item, "or_ci_low", source=row["source"])
        high = rep.get(item, "or_ci_high", source=row["source"])
        if value <= 0:
            return False, "an odds ratio is positive"
        if low is not None and high is not None:
            inside = low["value"] - _half(low) <= value <= high["value"] + _half(high)
            return inside, "an odds ratio lies inside its own CI"
        return True, ""
    return None


def attainable_checks(rep: _Reported) -> tuple[list[dict], int]:
    """Rows for the impossible printed numbers, and how many numbers were checked."""
    out, checked = [], 0
    for _, row in rep.table.iterrows():
        found = _one(rep, row)
        if found is None:
            continue
        checked += 1
        ok, why = found
        if not ok:
            where = f"{row['item']} ({row['group']})" if row["group"] else row["item"]
            out.append(
                _row(
                    f"attainable {row['statistic']}",
                    f"{where}, {row['source']}",
                    row["printed"],
                    "impossible",
                    False,
                    why,
                )
            )
    return out, checked
