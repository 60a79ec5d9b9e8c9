"""The matching run over exact strata and the result tables of :func:`~ovcfstats.match_controls`.

Pairs are found per stratum on arrays of row positions; the pairs, unmatched and matched tables
are then built once, the matched patients taken from the input frame by position in one step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ._algorithms import greedy, optimal
from ._input import Prepared

TOL = 1 + 1e-12  # every caliper is inclusive, up to rounding


class Found(NamedTuple):
    """Pairs of all strata (row positions in ``patients``) and why cases went without."""

    case_row: np.ndarray
    ctrl_row: np.ndarray
    dist: np.ndarray  # pairs × caliper variables, |case − control|
    unmatched: list  # (row position, controls found, reason)
    strata: list  # summaries of strata with cases but no pair (for the error message)


def find_pairs(
    prep: Prepared,
    method: str,
    widths: np.ndarray,
    ratio: int,
    rng: Any,
    ties: str,
    exact: Sequence[str],
) -> Found:
    """Run ``method`` in every exact stratum, in the order of the strata's labels."""
    order = np.argsort(prep.stratum.astype(_small_int(len(prep.labels))), kind="stable")
    bounds = np.searchsorted(prep.stratum[order], np.arange(len(prep.labels) + 1))
    label = " and ".join(exact) if exact else "stratum"
    case_rows, ctrl_rows, dists, unmatched, strata = [], [], [], [], []
    for s, key in enumerate(prep.labels):
        members = order[bounds[s] : bounds[s + 1]]  # kept rows of the stratum, in data order
        is_case = prep.is_case[members]
        cases, ctrls = members[is_case], members[~is_case]
        no_x = np.isnan(prep.x[cases]).any(axis=1)
        cases_x = cases[~no_x]
        cx, kx = prep.x[cases_x], prep.x[ctrls]
        if len(ctrls) and len(cx):
            if method == "optimal":
                ci, ki = optimal(cx, kx, widths, ratio)
            else:
                rows = prep.rows
                ci, ki = greedy(cx, kx, widths, ratio, rng, ties, rows[cases_x], rows[ctrls])
        else:
            ci = ki = np.empty(0, int)
        if len(cases) and not len(ci):  # only needed to explain a run without any pair
            strata.append(_stratum_summary(key, exact, cx, kx, len(cases)))
        case_rows.append(prep.rows[cases_x][ci])
        ctrl_rows.append(prep.rows[ctrls][ki])
        dists.append(np.abs(cx[ci] - kx[ki]).reshape(len(ci), kx.shape[1]))
        missing = f"missing {', '.join(prep.numeric)}"
        unmatched += [(row, 0, missing) for row in prep.rows[cases[no_x]].tolist()]
        got = np.bincount(ci, minlength=len(cx))
        short = np.flatnonzero(got < ratio)
        if short.size:
            some = _any_within(cx[short], kx, widths)
            for row, n, anyone in zip(
                prep.rows[cases_x][short].tolist(), got[short].tolist(), some.tolist(), strict=True
            ):
                unmatched.append((row, n, _reason(label, anyone)))
    return Found(
        np.concatenate(case_rows), np.concatenate(ctrl_rows), np.concatenate(dists), unmatched,
        strata,
    )


def _reason(label: str, anyone: bool) -> str:
    if anyone:
        return f"no unused control with the same {label} within the caliper"
    return f"no control with the same {label} within the caliper"


def _small_int(n: int) -> type:
    """The narrowest integer type for codes below ``n`` (numpy radix-sorts 16-bit codes)."""
    return np.uint16 if n <= 2**16 else np.int64


def _any_within(cx: np.ndarray, kx: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Per case: is some control within every caliper (``|Δ| ≤ caliper``, as the methods test)?"""
    if not len(kx):
        return np.zeros(len(cx), bool)
    limit = widths * TOL
    if kx.shape[1] == 1:  # the smallest |Δ| is next to the case in sorted order (monotone rounding)
        y = np.sort(kx[:, 0])
        pos = np.searchsorted(y, cx[:, 0])
        below = np.abs(y[np.clip(pos - 1, 0, len(y) - 1)] - cx[:, 0])
        above = np.abs(y[np.clip(pos, 0, len(y) - 1)] - cx[:, 0])
        return np.minimum(below, above) <= limit[0]
    return np.array([(np.abs(kx - c) <= limit).all(axis=1).any() for c in cx], bool)


def pairs_table(found: Found, variables: list, widths: np.ndarray, ids: np.ndarray):
    """The pairs (cases in data order, each case's controls in the order found) and the order."""
    by_case = np.argsort(found.case_row, kind="stable")
    case_row, ctrl_row, dist = found.case_row[by_case], found.ctrl_row[by_case], found.dist[by_case]
    first = np.r_[True, case_row[1:] != case_row[:-1]] if len(case_row) else np.zeros(0, bool)
    pairs = pd.DataFrame(
        {
            "pair_id": first.cumsum().astype(int),
            "case_id": pd.Series(ids[case_row], dtype=object),
            "control_id": pd.Series(ids[ctrl_row], dtype=object),
            **{f"dist_{v}": dist[:, j] for j, v in enumerate(variables)},
            "distance": (dist / widths).sum(axis=1),
        }
    )
    return pairs, case_row, ctrl_row, first


def matched_table(
    patients: pd.DataFrame,
    pairs: pd.DataFrame,
    case_row: np.ndarray,
    ctrl_row: np.ndarray,
    first: np.ndarray,
    id_col: str,
    ids: np.ndarray,
) -> pd.DataFrame:
    """Matched patients: per pair (cases in data order) the case, then its controls by row."""
    pair_id = pairs["pair_id"].to_numpy()
    # within a pair, controls in row order: sort by (pair, row); the case goes first
    ctrl = np.lexsort((ctrl_row, pair_id))
    n_pairs = int(first.sum())
    starts = np.searchsorted(pair_id[ctrl], np.arange(1, n_pairs + 1))
    take = np.insert(ctrl_row[ctrl], starts, case_row[first])
    is_case = np.zeros(len(take), bool)
    is_case[starts + np.arange(n_pairs)] = True
    distance = np.full(len(take), np.nan)
    distance[~is_case] = pairs["distance"].to_numpy()[ctrl]
    matched = patients.iloc[take].reset_index(drop=True)
    if ids is not None:
        matched[id_col] = pd.Series(ids[take], dtype=object)
    matched["pair_id"] = np.insert(pair_id[ctrl], starts, np.arange(1, n_pairs + 1))
    matched["match_distance"] = distance
    return matched, take


def id_text(patients: pd.DataFrame, id_col: str, whole: bool, rows: np.ndarray) -> np.ndarray:
    """Object array of the IDs as text, filled only at ``rows`` (whole numbers written once)."""
    col = patients[id_col]
    if not whole:
        return col.to_numpy(dtype=object)
    text = np.empty(len(col), dtype=object)
    text[rows] = [str(v) for v in col.to_numpy()[rows].tolist()]
    return text


def _stratum_summary(key: str, exact: Sequence[str], cx: np.ndarray, kx: np.ndarray, n: int):
    """Cases, controls and the closest control per caliper variable in one exact stratum."""
    label = ", ".join(f"{v}={k}" for v, k in zip(exact, str(key).split("|"), strict=False))
    return {
        "label": label or "all patients",
        "cases": n,
        "controls": len(kx),
        "closest": [_closest(cx[:, j], kx[:, j]) for j in range(kx.shape[1])],
    }


def _closest(x: np.ndarray, y: np.ndarray) -> float | None:
    """The smallest |x_i − y_j| (None when either is empty), in O((n + m) log m)."""
    if not len(x) or not len(y):
        return None
    y = np.sort(y)
    pos = np.searchsorted(y, x)
    below = np.abs(x - y[np.clip(pos - 1, 0, len(y) - 1)])
    above = np.abs(y[np.clip(pos, 0, len(y) - 1)] - x)
    return float(np.minimum(below, above).min())


def no_eligible_message(func: str, strata: list, exact: Sequence[str], caliper: Mapping) -> str:
    """Why no case found a control, per exact stratum, and what to relax."""
    parts, need = [], {}
    for s in strata:
        text = f"{s['label']}: {s['cases']} case(s), {s['controls']} control(s)"
        gaps = [
            f"closest control {d:g} away in '{v}' (caliper {caliper[v]:g})"
            for v, d in zip(caliper, s["closest"], strict=True)
            if d is not None
        ]
        for v, d in zip(caliper, s["closest"], strict=True):
            if d is not None and d > caliper[v]:
                need[v] = max(need.get(v, 0.0), d)
        if s["controls"] and not gaps:
            gaps = ["no case has a value for the caliper variables"]
        parts.append(text + (", " + ", ".join(gaps) if gaps else ""))
    fixes = []
    if need:
        wider = ", ".join(f"'{v}': {d:g}" for v, d in need.items())
        fixes.append(f"widen the caliper (e.g. caliper={{{wider}}})")
    if exact:
        fixes.append(f"match exactly on fewer variables than exact={tuple(exact)!r}")
    fixes.append("or add candidate controls")
    return (
        f"{func}(): no case has an eligible control (same {', '.join(exact) or 'stratum'}, within "
        f"the caliper): {'; '.join(parts)}. To match, {'; '.join(fixes)}."
    )
