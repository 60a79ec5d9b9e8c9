"""Audit of published statistics: do the numbers a paper prints agree with each other?

:func:`audit_reported` reads any paper's printed numbers in the layout of
:mod:`ovcfstats.audit.published` (``source``, ``item``, ``statistic``, ``group``, ``printed``, and
optionally ``relation``, ``value``; the paper's are :data:`ovcfstats.PUBLISHED`) and recomputes
what can be recomputed, each number with the group sizes of its own source. A printed number is
taken to be rounded to the decimals it shows, so a recomputed value is *consistent* when it rounds
to the printed one (or, for ``<0.001``, lies below it). Checks:

- **percent**: a printed percentage against count / n.
- **t-test p**: the p of two group means/SDs: Student's and Welch's unpaired t, and for a paired
  design the within-pair correlation the printed p requires (a paired p cannot be recomputed from
  group summaries alone; matching should make that correlation clearly positive).
- **χ² p**: Pearson's χ² on the 2×2 table, without and with Yates' correction.
- **Spearman p**: the t approximation (SPSS, R ``cor.test(exact=FALSE)``) for ρ with n pairs.
- **OR vs CI**: the OR should be the geometric midpoint of its Wald CI.
- **CI vs p**: a 95% CI excluding 1 means p < 0.05; the p implied by the CI (z = log OR / SE, SE
  from the CI width) should lie within a factor 1.5 of the printed p (after its rounding).
- **ρ ↔ AUC**: with a binary outcome and untied scores Spearman's ρ is a linear function of the
  AUC, ρ = (2·AUC − 1)·N·sqrt(p·q)/(2·sqrt((N² − 1)/12)); both ways.
- **binormal AUC**: Φ(Δμ / sqrt(σ₁² + σ₀²)) from the group means/SDs, against a printed AUC.
- **direction**: the sign of each ρ with the outcome against the group means and the text.
- **correlation matrix**: symmetric, every entry in [−1, 1], positive semidefinite — alone and
  joined with the ρ's with the outcome.
- **attainable**: every printed number against what its statistic and n allow at all (a p or an
  AUC in [0, 1], |ρ| ≤ 1, a count a whole number 0–n, a percentage that some k/n rounds to, an
  SD ≥ 0, an OR inside its own CI); one row per impossible number, the rest counted in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from .._results import Result
from ._attainable import attainable_checks
from ._common import COLUMNS, _decimals, _fmt, _half, _overlaps, _Reported, _row
from ._matrix import _matrix_checks
from ._table1 import _chi2_checks, _percent_checks, _ttest_checks


@dataclass(frozen=True, eq=False)
class AuditResult(Result):
    """One row per check: ``check``, ``item``, ``reported``, ``recomputed``, ``consistent``,
    ``detail`` (the arithmetic in words)."""

    title: ClassVar[str] = "Audit of the published statistics"

    def notes(self) -> list[str]:
        bad = int((~self.table["consistent"].astype(bool)).sum())
        summary = (
            f"{bad} of {len(self.table)} checks find an inconsistency. A printed number counts "
            "as consistent when the recomputed value rounds to it."
        )
        checked = self.settings.get("attainable_checked", 0)
        impossible = int(self.table["check"].str.startswith("attainable").sum())
        reach = (
            f"Attainability: {checked} printed numbers checked against what their statistic and "
            f"n allow (p and AUC in [0, 1], |ρ| ≤ 1, whole counts, percentages k/n, SD ≥ 0, OR "
            f"inside its CI); {impossible} impossible (listed above)."
        )
        return [summary, reach, *super().notes()]


# -- checks of Tables 2–3 and the ROC (Table 1's and the matrix's are in their own modules) ----
def _spearman_p_checks(rep: _Reported) -> list[dict]:
    from scipy.stats import t

    out = []
    for _, p in rep.rows("p_rho").iterrows():
        n = rep.n_total(p["source"])
        if n < 3:
            continue
        rho_row = rep.get(p["item"], "rho", source=p["source"])
        rho = rho_row["value"]
        if abs(rho) > 1:  # impossible: attainability says so
            continue

        def p_of(r: float, n: int = n) -> float:
            r = min(abs(r), 1 - 1e-15)
            return float(2 * t.sf(r * np.sqrt((n - 2) / (1 - r**2)), n - 2))

        stat = rho * np.sqrt((n - 2) / (1 - rho**2))
        value = p_of(rho)
        origin = rep.n_source(p["source"])
        borrowed = (
            f" ({p['source']} prints no n of its own: the study's n, {origin})"
            if origin != p["source"]
            else ""
        )
        h = _half(rho_row)
        low, high = p_of(abs(rho) + h), p_of(max(abs(rho) - h, 0.0))
        out.append(
            _row(
                "Spearman p",
                p["item"],
                p["printed"],
                _fmt(value),
                _overlaps(low, high, p),
                f"ρ = {rho} with n = {n}{borrowed}: t = {stat:.3f} on {n - 2} df, "
                f"p = {_fmt(value)}",
            )
        )
    return out


def _or_checks(rep: _Reported, alpha: float = 0.05) -> list[dict]:
    from scipy.stats import norm

    out = []
    z = norm.ppf(1 - alpha / 2)
    for _, odds in rep.rows("or").iterrows():
        item = odds["item"]
        low = rep.get(item, "or_ci_low", source=odds["source"])
        high = rep.get(item, "or_ci_high", source=odds["source"])
        p = rep.get(item, "p_or", source=odds["source"])
        mid = float(np.sqrt(low["value"] * high["value"]))
        # a printed 2-decimal CI bound is uncertain by ±0.005; allow that on the log scale
        slack = 0.005 / low["value"] + 0.005 / high["value"]
        log_gap = abs(np.log(mid) - np.log(odds["value"]))
        out.append(
            _row(
                "OR vs CI",
                item,
                f"{odds['printed']} ({low['printed']}–{high['printed']})",
                f"{mid:.3f}",
                log_gap <= slack / 2 + 0.01,
                f"geometric midpoint of the CI sqrt({low['printed']}·{high['printed']}) "
                f"= {mid:.3f}; a Wald CI is symmetric about log OR",
            )
        )
        se = (np.log(high["value"]) - np.log(low["value"])) / (2 * z)
        implied = float(2 * norm.sf(abs(np.log(mid)) / se))
        excludes_one = low["value"] > 1 or high["value"] < 1
        side_ok = excludes_one == (p["value"] < alpha) or p["relation"] == "<"
        half = 0.5 * 10.0 ** -_decimals(p["printed"])
        near = (p["value"] - half) / 1.5 <= implied <= (p["value"] + half) * 1.5
        near = near or (p["relation"] == "<" and implied < p["value"])
        out.append(
            _row(
                "CI vs p",
                item,
                p["printed"],
                _fmt(implied),
                side_ok and near,
                f"SE(log OR) = (ln {high['printed']} − ln {low['printed']})/(2·{z:.2f}) = "
                f"{se:.3f}; z = ln {mid:.3f}/SE = {np.log(mid) / se:.2f}, p = "
                f"{_fmt(implied)}; the CI {'excludes' if excludes_one else 'includes'} 1",
            )
        )
    return out


def rho_from_auc(auc: float, n_cases: int, n_controls: int) -> float:
    """Spearman ρ of an untied score with a binary outcome, given the AUC."""
    n = n_cases + n_controls
    pq = n_cases * n_controls / n**2
    return (2 * auc - 1) * n * np.sqrt(pq) / (2 * np.sqrt((n**2 - 1) / 12))


def _auc_checks(rep: _Reported) -> list[dict]:
    from scipy.stats import norm

    out = []
    for _, auc in rep.rows("auc").iterrows():
        item = auc["item"]
        n1, n0 = rep.n(auc["source"])
        if min(n1, n0) < 1:
            continue
        per_rho = rho_from_auc(1.0, n1, n0)  # ρ at AUC 1; linear in AUC
        rho = rep.get(item, "rho")
        if rho is not None:
            implied_auc = 0.5 + abs(rho["value"]) / (2 * per_rho)
            implied_rho = rho_from_auc(auc["value"], n1, n0) * np.sign(rho["value"])
            out.append(
                _row(
                    "ρ ↔ AUC",
                    item,
                    f"AUC {auc['printed']} ({auc['source']}); ρ {rho['printed']}",
                    f"AUC {implied_auc:.3f}; ρ {implied_rho:.3f}",
                    abs(implied_auc - auc["value"])
                    <= 0.5 * 10.0 ** -_decimals(auc["printed"])
                    + 0.5 * 10.0 ** -_decimals(rho["printed"]) / (2 * per_rho)
                    + 1e-12,
                    f"with {n1} cases, {n0} controls and untied scores ρ = "
                    f"(2·AUC − 1)·{per_rho:.4f}: ρ {rho['printed']} means AUC "
                    f"{implied_auc:.3f}; AUC {auc['printed']} means |ρ| "
                    f"{abs(implied_rho):.3f}",
                )
            )
        m1, m0 = rep.get(item, "mean", "cases"), rep.get(item, "mean", "controls")
        if m1 is not None and m0 is not None:
            s1, s0 = rep.get(item, "sd", "cases")["value"], rep.get(item, "sd", "controls")["value"]
            d = abs(m1["value"] - m0["value"]) / np.sqrt(s1**2 + s0**2)
            binormal = float(norm.cdf(d))
            out.append(
                _row(
                    "binormal AUC",
                    item,
                    f"{auc['printed']} ({auc['source']})",
                    f"{binormal:.3f}",
                    abs(binormal - auc["value"]) <= 0.03,
                    f"Φ(|{m1['printed']} − {m0['printed']}| / sqrt({s1}² + {s0}²)) = "
                    f"Φ({d:.2f}) = {binormal:.3f} (normal groups; ±0.03 allowed)",
                )
            )
    return out


def _direction_checks(rep: _Reported) -> list[dict]:
    out = []
    for _, rho in rep.rows("rho").iterrows():
        item, sign = rho["item"], np.sign(rho["value"])
        if "~" in item:  # a correlation between two indicators, not with the outcome
            continue
        m1, m0 = rep.get(item, "mean", "cases"), rep.get(item, "mean", "controls")
        if m1 is not None and m0 is not None:
            table_sign = np.sign(m1["value"] - m0["value"])
            out.append(
                _row(
                    "direction: ρ vs means",
                    item,
                    f"ρ {rho['printed']}",
                    f"cases − controls = {m1['value'] - m0['value']:+.4g}",
                    sign == table_sign,
                    f"ρ {'>' if sign > 0 else '<'} 0 says cases have "
                    f"{'higher' if sign > 0 else 'lower'} values; Table 1 has cases "
                    f"{m1['printed']} vs controls {m0['printed']}",
                )
            )
        text = rep.get(item, "direction", "cases")
        if text is not None:
            out.append(
                _row(
                    "direction: text vs ρ",
                    item,
                    f"text: {text['printed']} in cases",
                    f"ρ {rho['printed']}",
                    np.sign(text["value"]) == sign,
                    f"the text says values are {text['printed']} in cases; the sign of "
                    f"ρ says {'higher' if sign > 0 else 'lower'}",
                )
            )
    return out


def audit_reported(published: pd.DataFrame | None = None, *, paired: bool = True) -> AuditResult:
    """Check published numbers for internal consistency.

    Parameters
    ----------
    published : pandas.DataFrame, optional
        Numbers in the layout of :mod:`ovcfstats.audit.published` (the default: the paper's,
        :data:`ovcfstats.PUBLISHED`), e.g. from :func:`ovcfstats.read_published`.
    paired : bool
        Whether Table 1's p-values come from a paired design (the paper: paired t).

    Returns
    -------
    AuditResult
        ``.table`` with ``check``, ``item``, ``reported``, ``recomputed``, ``consistent``,
        ``detail``.

    Examples
    --------
    >>> from ovcfstats import audit_reported
    >>> res = audit_reported()
    >>> res.table.query("check == 'χ² p'")["consistent"].all()
    np.True_
    """
    from .paper import PUBLISHED
    from .published import complete

    table = complete(PUBLISHED if published is None else published, "audit_reported")
    rep = _Reported(table)
    impossible, checked = attainable_checks(rep)
    rows = (
        _percent_checks(rep)
        + _ttest_checks(rep, paired)
        + _chi2_checks(rep)
        + _spearman_p_checks(rep)
        + _or_checks(rep)
        + _auc_checks(rep)
        + _direction_checks(rep)
        + _matrix_checks(rep)
        + impossible
    )
    return AuditResult(
        table=pd.DataFrame(rows, columns=list(COLUMNS)),
        settings={"paired": paired, "attainable_checked": checked},
    )
