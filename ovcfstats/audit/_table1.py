"""Audit checks of Table 1's printed numbers from the group summaries: a percentage against
count / n, a p-value against Student's and Welch's t (and, for a paired design, the within-pair
correlation it requires), and against Pearson's χ² with and without Yates' correction.
"""

from __future__ import annotations

import numpy as np

from ._common import _agrees, _fmt, _half, _overlaps, _Reported, _row


def _percent_checks(rep: _Reported) -> list[dict]:
    out = []
    for _, pct in rep.rows("percent").iterrows():
        n = dict(zip(("cases", "controls"), rep.n(pct["source"]), strict=True))
        count = rep.get(pct["item"], "count", pct["group"])
        if count is None or n[pct["group"]] <= 0:  # attainability checks it alone
            continue
        value = 100 * count["value"] / n[pct["group"]]
        out.append(
            _row(
                "percent",
                f"{pct['item']} ({pct['group']})",
                pct["printed"],
                f"{value:.2f}%",
                _agrees(value, pct),
                f"{count['value']:.0f} / {n[pct['group']]} = {value:.3f}%",
            )
        )
    return out


def _ttest_checks(rep: _Reported, paired: bool) -> list[dict]:
    from scipy import optimize, stats

    out = []
    for _, p in rep.rows("p").iterrows():
        item = p["item"]
        n1, n0 = rep.n(p["source"])
        m1, m0 = rep.get(item, "mean", "cases"), rep.get(item, "mean", "controls")
        if m1 is None or m0 is None or min(n1, n0) < 2:
            continue
        s1, s0 = rep.get(item, "sd", "cases")["value"], rep.get(item, "sd", "controls")["value"]
        diff = m1["value"] - m0["value"]
        student = stats.ttest_ind_from_stats(m1["value"], s1, n1, m0["value"], s0, n0).pvalue
        welch = stats.ttest_ind_from_stats(
            m1["value"], s1, n1, m0["value"], s0, n0, equal_var=False
        ).pvalue
        # p is monotone in |Δ| and in the SDs: its extremes over the inputs' rounding box
        h_m = _half(m1) + _half(m0)
        h_s = max(_half(rep.get(item, "sd", "cases")), _half(rep.get(item, "sd", "controls")))
        wide = (max(abs(diff) - h_m, 0.0), s1 + h_s, s0 + h_s)
        narrow = (abs(diff) + h_m, max(s1 - h_s, 1e-12), max(s0 - h_s, 1e-12))
        ok = False
        for equal_var in (True, False):
            p_hi, p_lo = (
                stats.ttest_ind_from_stats(d, a, n1, 0.0, b, n0, equal_var=equal_var).pvalue
                for d, a, b in (wide, narrow)
            )
            ok = ok or _overlaps(p_lo, p_hi, p)
        detail = (
            f"Δ = {diff:.4g}; Student t p = {_fmt(student)}, Welch p = {_fmt(welch)} "
            f"(n = {n1} + {n0}; inputs varied within their rounding)"
        )
        if paired and n1 == n0:

            def paired_p(r: float, s1=s1, s0=s0, diff=diff, n1=n1) -> float:
                sd_d = np.sqrt(max(s1**2 + s0**2 - 2 * r * s1 * s0, 1e-300))
                return 2 * stats.t.sf(abs(diff) / (sd_d / np.sqrt(n1)), n1 - 1)

            if p["relation"] == "=" and p["value"] < 1:
                try:
                    r_exact = optimize.brentq(
                        lambda r, target=p["value"]: paired_p(r) - target, -0.99, 0.999
                    )
                    sd_d = np.sqrt(s1**2 + s0**2 - 2 * r_exact * s1 * s0)
                    detail += (
                        f"; a paired t gives p = {p['printed']} when the within-pair "
                        f"correlation is r = {r_exact:.2f} (SD of the pair differences "
                        f"{sd_d:.3g})"
                    )
                except ValueError:
                    detail += "; no within-pair correlation in (−0.99, 1) gives this paired p"
            ok = _overlaps(paired_p(0.999), paired_p(-0.99), p)  # p falls as r rises
        out.append(
            _row("t-test p", item, p["printed"], f"{_fmt(student)} / {_fmt(welch)}", ok, detail)
        )
    return out


def _chi2_checks(rep: _Reported) -> list[dict]:
    from scipy.stats import chi2_contingency

    out = []
    for _, p in rep.rows("p").iterrows():
        n1, n0 = rep.n(p["source"])
        c1, c0 = rep.get(p["item"], "count", "cases"), rep.get(p["item"], "count", "controls")
        if c1 is None or c0 is None:
            continue
        a, b = c1["value"], c0["value"]
        if not (0 <= a <= n1 and 0 <= b <= n0):  # impossible counts: attainability says so
            continue
        table = np.array([[a, n1 - a], [b, n0 - b]])
        plain = chi2_contingency(table, correction=False)
        yates = chi2_contingency(table, correction=True)
        ok = _agrees(plain.pvalue, p) or _agrees(yates.pvalue, p)
        which = (
            "Pearson χ² without correction"
            if _agrees(plain.pvalue, p)
            else "Yates-corrected χ²"
            if _agrees(yates.pvalue, p)
            else "neither"
        )
        out.append(
            _row(
                "χ² p",
                p["item"],
                p["printed"],
                f"{_fmt(plain.pvalue)} / {_fmt(yates.pvalue)}",
                ok,
                f"{a:.0f}/{n1} vs {b:.0f}/{n0}: χ² = {plain.statistic:.3f}, "
                f"p = {_fmt(plain.pvalue)} (Yates: p = {_fmt(yates.pvalue)}); "
                f"matches {which}",
            )
        )
    return out
