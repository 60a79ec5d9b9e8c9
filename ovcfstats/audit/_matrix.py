"""Audit checks of a printed correlation matrix: symmetric, every entry in [−1, 1], positive
semidefinite alone and joined with the indicators' ρ with the outcome.
"""

from __future__ import annotations

import numpy as np

from ._common import _Reported, _row


def _matrix(rep: _Reported, source: str) -> tuple[list[str], np.ndarray, dict[str, str]]:
    cells = rep.rows("rho", source)
    pairs = [tuple(i.split("~")) for i in cells["item"]]
    names = list(dict.fromkeys(n for p in pairs for n in p))
    mat = np.eye(len(names))
    printed = {}
    for (a, b), (_, row) in zip(pairs, cells.iterrows(), strict=True):
        mat[names.index(a), names.index(b)] = row["value"]
        printed[f"{a}~{b}"] = row["printed"]
    return names, mat, printed


def _matrix_checks(rep: _Reported) -> list[dict]:
    cells = rep.rows("rho")
    sources = cells.loc[cells["item"].str.contains("~", regex=False), "source"].unique()
    return [row for source in sources for row in _one_matrix(rep, source)]


def _one_matrix(rep: _Reported, source: str) -> list[dict]:
    names, mat, printed = _matrix(rep, source)
    out = []
    asym = [
        (a, b)
        for i, a in enumerate(names)
        for j, b in enumerate(names)
        if j > i and mat[i, j] != mat[j, i]
    ]
    out.append(
        _row(
            "matrix symmetric",
            source,
            f"{len(names)}×{len(names)}",
            f"{len(asym)} asymmetric pair(s)",
            not asym,
            "every ρ(a, b) printed equals ρ(b, a)"
            if not asym
            else "; ".join(
                f"{a}~{b} {printed[f'{a}~{b}']} vs {printed[f'{b}~{a}']}" for a, b in asym
            ),
        )
    )
    bad = [
        (a, b)
        for i, a in enumerate(names)
        for j, b in enumerate(names)
        if j > i and abs(mat[i, j]) > 1
    ]
    out.append(
        _row(
            "matrix entries in [−1, 1]",
            source,
            f"{len(bad)} out of range",
            "; ".join(f"{a}~{b} = {printed[f'{a}~{b}']}" for a, b in bad) or "none",
            not bad,
            "a correlation cannot exceed 1 in absolute value"
            + ("; read as a dropped '0.' (e.g. −818 → −0.818) for the next checks" if bad else ""),
        )
    )
    fixed = np.where(np.abs(mat) > 1, mat / 1000.0, mat)
    fixed = (fixed + fixed.T) / 2
    low = float(np.linalg.eigvalsh(fixed).min())
    out.append(
        _row(
            "matrix positive semidefinite",
            source,
            f"{source} alone",
            f"min eigenvalue {low:.4f}",
            low >= -1e-3,
            "a correlation matrix has no negative eigenvalue",
        )
    )
    outcome = {i: rep.get(i, "rho") for i in names}
    if all(v is not None for v in outcome.values()):
        joined = np.eye(len(names) + 1)
        joined[1:, 1:] = fixed
        joined[0, 1:] = joined[1:, 0] = [outcome[i]["value"] for i in names]
        low = float(np.linalg.eigvalsh(joined).min())
        out.append(
            _row(
                "matrix positive semidefinite",
                f"{source} + ρ with the outcome",
                "6×6 with the outcome",
                f"min eigenvalue {low:.4f}",
                low >= -1e-3,
                "the indicators' ρ with each other and with the outcome, measured on "
                "the same patients, must form a positive semidefinite matrix; a negative "
                "eigenvalue means no data set has all these ρ at once",
            )
        )
    return out
