"""Plant realistic one-line bugs, one at a time, and report which ones the tests miss.

Each mutant is (file, old, new, tests): the exact text ``old`` in ``file`` is replaced by ``new``
in a scratch copy of the repository, then ``tests`` run there with pytest. A mutant is

- **caught** when the tests fail (what we want),
- **survived** when they pass: a bug of this kind would go unnoticed, so add a test,
- **stale** when ``old`` is no longer in the file (the code moved on: update the entry),
- **ambiguous** when ``old`` occurs more than once (make it longer).

Only "caught" passes: a stale or ambiguous entry fails the run like a survivor, so that a bug
planted in code that has moved is not counted as caught. Each set of tests is first run on the
unchanged code; if one fails there, nothing is run (exit status 2): its failure would be counted
as catching every mutant.

Usage (from the repository root)::

    python tools/mutants.py            # all mutants; exit status 0 only if every one is caught
    python tools/mutants.py -k exact   # only mutants whose file or text contains "exact"
    python tools/mutants.py --list     # show the list without running it

The scratch copy lives in a temporary directory; the working tree is never modified.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]


class Mutant(NamedTuple):
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    what: str


G = ("tests/test_groups.py", "tests/test_groups_options.py")
C = ("tests/test_correlation.py",)
R = ("tests/test_roc.py",)
A = ("tests/test_audit.py",)
S = ("tests/test_study.py",)
MS = ("tests/test_missing.py",)
MI = ("tests/test_impute.py",)
SC = ("tests/test_groups_sets_ci.py",)

O = ("tests/test_own_report.py",)
DOCX_DENSE = (
    "tests/test_report_output.py::test_docx_dense_rows_and_figures_at_most_three_quarters_drawn"
)

MUTANTS: list[Mutant] = [
    # -- the report of one's own study (present/, study/, design/) --------------------------------
    Mutant(
        "ovcfstats/present/_present.py",
        'n = g["id"].nunique()',
        "n = len(g)",
        O,
        "exclusion summary counts rows, not patients",
    ),
    Mutant(
        "ovcfstats/present/_layouts.py",
        'fewer = (t["n_1"] != n1) | (t["n_0"] != n0)',
        'fewer = (t["n_1"] == n1) | (t["n_0"] != n0)',
        O,
        "Table 1 n analysed shown on the complete rows",
    ),
    Mutant(
        "ovcfstats/study/_steps.py",
        "top = sorted(counts.index[counts == counts.max()])[0] if len(counts) else None",
        "top = sorted(counts.index)[0] if len(counts) else None",
        O,
        "default reference level alphabetical instead of the most frequent",
    ),
    Mutant(
        "ovcfstats/design/_agreement_plot.py",
        "digits = max(0, 2 - int(np.floor(np.log10(spread)))) if spread > 0 else 2",
        "digits = max(0, 4 - int(np.floor(np.log10(spread)))) if spread > 0 else 2",
        O,
        "Bland–Altman labels with too many decimals",
    ),
    # -- Table 1 (table1/) -------------------------------------------------------------------------
    Mutant(
        "ovcfstats/table1/_matched_sets.py",
        "se = float(d.std(ddof=1)) / np.sqrt(d.size)",
        "se = float(d.std(ddof=0)) / np.sqrt(d.size)",
        SC,
        "matched-set difference CI with the n-denominator SD",
    ),
    Mutant(
        "ovcfstats/table1/_matched_sets.py",
        "special.stdtrit(d.size - 1, 1 - alpha / 2)",
        "special.stdtrit(d.size, 1 - alpha / 2)",
        SC,
        "matched-set difference CI on n_sets df instead of n_sets − 1",
    ),
    Mutant(
        "ovcfstats/table1/_matched_sets.py",
        "d = cases[used] - controls[used] / k[used]",
        "d = cases[used] - controls[used] / k[used].max()",
        SC,
        "matched-set difference divides by the full set size when controls are missing",
    ),
    Mutant(
        "ovcfstats/table1/_pooled.py",
        'df = np.array([r["n_pairs"] - 1 for r in rows], float)',
        'df = np.array([r["n_pairs"] for r in rows], float)',
        SC,
        "pooled matched-set difference CI: SE recovered on n_sets df",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "return n, mean, float(dev.sum() / (n - 1))",
        "return n, mean, float(dev.sum() / n)",
        G,
        "ddof of the group variance (SD and t-tests)",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        'pooled = np.sqrt((out["sd_1"] ** 2 + out["sd_0"] ** 2) / 2)',
        'pooled = np.sqrt(out["sd_1"] ** 2 + out["sd_0"] ** 2)',
        G,
        "SMD pooled SD without the /2",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "res = stats.chi2_contingency(occupied, correction=correct)",
        "res = stats.chi2_contingency(occupied, correction=True)",
        G,
        "Yates always on",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "EXACT_MAX_N = 50",
        "EXACT_MAX_N = 51",
        G,
        "exact Wilcoxon boundary n < 50",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "small = max(len(x1), len(x0)) < EXACT_MAX_N",
        "small = min(len(x1), len(x0)) < EXACT_MAX_N",
        G,
        "Mann-Whitney exact rule on the smaller group",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])",
        'q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75], method="hazen")',
        G,
        "quartiles of another quantile type",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "res = mcnemar(table, exact=False, correction=True)",
        "res = mcnemar(table, exact=False, correction=False)",
        G,
        "McNemar without continuity correction",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "df = int(used.sum())",
        "df = len(off)",
        G,
        "Bowker df counting level pairs without discordant pairs",
    ),
    Mutant(
        "ovcfstats/table1/_tests.py",
        "    z = stats.norm.ppf(1 - alpha / 2)\n    return diff - z * se",
        "    z = stats.norm.ppf(1 - alpha)\n    return diff - z * se",
        G,
        "one-sided quantile in the paired-proportion CI",
    ),
    Mutant(
        "ovcfstats/table1/_matched_sets.py",
        "info = (centred / size[codes][:, None]).T @ centred",
        "info = (centred / (size[codes][:, None] - 1)).T @ centred",
        ("tests/test_groups_sets.py",),
        "clogit score information with the sample (n − 1) variance",
    ),
    Mutant(
        "ovcfstats/table1/_matched_sets.py",
        "good = (cases == 1) & (size >= 2)",
        "good = (cases == 1) & (size >= 1)",
        ("tests/test_groups_sets.py",),
        "sets without controls kept",
    ),
    # -- exact p-values and estimates (table1/_exact.py, correlation/_exact.py) --------------------
    Mutant(
        "ovcfstats/table1/_exact.py",
        "R_UNIROOT_TOL = EPS**0.25",
        "R_UNIROOT_TOL = EPS**0.5",
        G,
        "root-finder tolerance tighter than R's",
    ),
    Mutant(
        "ovcfstats/correlation/_exact.py",
        "SPEARMAN_EXACT_MAX_N = 1290",
        "SPEARMAN_EXACT_MAX_N = 1289",
        C,
        "AS 89 boundary n <= 1290",
    ),
    Mutant(
        "ovcfstats/correlation/_exact.py",
        "SPEARMAN_ENUMERATE_MAX_N = 9",
        "SPEARMAN_ENUMERATE_MAX_N = 8",
        C,
        "AS 89 enumeration boundary n <= 9",
    ),
    Mutant(
        "ovcfstats/correlation/_exact.py",
        "pv = norm.cdf(x) - tail if lower else tail + norm.sf(x)",
        "pv = norm.cdf(x) + tail if lower else tail + norm.sf(x)",
        C,
        "sign of the Edgeworth correction in the lower tail",
    ),
    Mutant(
        "ovcfstats/table1/_exact.py",
        "    half = alpha / 2\n",
        "    half = alpha\n",
        G,
        "Fisher CI at the one-sided level",
    ),
    Mutant(
        "ovcfstats/correlation/_exact.py",
        "p = _prho(round(q) + 2, n, lower=True)",
        "p = _prho(round(q), n, lower=True)",
        C,
        "AS 89 lower tail off by one step of S",
    ),
    # -- Spearman (correlation/) -------------------------------------------------------------------
    Mutant(
        "ovcfstats/correlation/_rho.py",
        "se = np.sqrt((1 + rho**2 / 2) / (n - 3))",
        "se = np.sqrt((1 + rho**2 / 2) / (n - 2))",
        C,
        "df of the Bonett-Wright CI",
    ),
    Mutant(
        "ovcfstats/correlation/_rho.py",
        "se = np.sqrt((1 + rho**2 / 2) / (n - 3))",
        "se = np.sqrt(1 / (n - 3))",
        C,
        "Fisher variance instead of Bonett-Wright",
    ),
    Mutant(
        "ovcfstats/correlation/_rho.py",
        "return _rho_stats(rho, len(x), alpha, exact and not _has_ties(x, y))",
        "return _rho_stats(rho, len(x), alpha, exact)",
        C,
        "exact Spearman p despite ties",
    ),
    Mutant(
        "ovcfstats/correlation/_rho.py",
        "tied = {k: exact and bool(np.unique(r).size < n)",
        "tied = {k: False",
        C,
        "exact Spearman p despite ties (one-pass matrix)",
    ),
    Mutant(
        "ovcfstats/correlation/_rho.py",
        "rho = np.corrcoef(ranks)",
        "rho = np.corrcoef(np.vstack([columns[k] for k in full]))",
        C,
        "one-pass matrix correlates the values, not their ranks",
    ),
    # -- ROC / DeLong (roc/) -----------------------------------------------------------------------
    Mutant(
        "ovcfstats/roc/_delong.py",
        "return np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n",
        "return np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / m",
        R,
        "DeLong control term divided by the number of cases",
    ),
    Mutant(
        "ovcfstats/roc/_delong.py",
        "lcov = delong_covariance(comps, contrast)",
        "lcov = np.diag(np.diag(delong_covariance(comps, contrast)))",
        R,
        "omnibus ignores the covariances between contrasts",
    ),
    Mutant(
        "ovcfstats/roc/_delong.py",
        "df = var**2 / (va**2 / (na - 1) + vb**2 / (nb - 1)) if var > 0 else np.inf",
        "df = var**2 / (va**2 / na + vb**2 / nb) if var > 0 else np.inf",
        R,
        "Welch df of the unpaired DeLong test",
    ),
    Mutant(
        "ovcfstats/roc/_indicator.py",
        "low, high = max(auc - z * se, 0.0), min(auc + z * se, 1.0)",
        "low, high = auc - z * se, auc + z * se",
        R,
        "AUC CI not clipped to [0, 1]",
    ),
    Mutant(
        "ovcfstats/roc/_delong.py",
        "best = np.flatnonzero(score == score.max())",
        "best = np.flatnonzero(score == score.max())[:1]",
        R,
        "Youden tie-break keeps one optimum only",
    ),
    Mutant(
        "ovcfstats/roc/_indicator.py",
        "low = np.where(k > 0, beta.ppf(alpha / 2, k, n - k + 1), 0.0)",
        "low = np.where(k > 0, beta.ppf(alpha / 2, k, n - k), 0.0)",
        R,
        "Clopper-Pearson lower bound df",
    ),
    # -- audit -------------------------------------------------------------------------------------
    Mutant(
        "ovcfstats/audit/_common.py",
        'return bool(abs(recomputed - row["value"]) <= _half(row) + 1e-12)',
        'return bool(abs(recomputed - row["value"]) <= 2 * _half(row) + 1e-12)',
        A,
        "rounding tolerance doubled",
    ),
    Mutant(
        "ovcfstats/audit/_table1.py",
        "return 2 * stats.t.sf(abs(diff) / (sd_d / np.sqrt(n1)), n1 - 1)",
        "return 2 * stats.t.sf(abs(diff) / (sd_d / np.sqrt(n1)), 2 * n1 - 2)",
        A,
        "paired t on the unpaired df",
    ),
    Mutant(
        "ovcfstats/audit/_table1.py",
        "ok = _agrees(plain.pvalue, p) or _agrees(yates.pvalue, p)",
        "ok = _agrees(plain.pvalue, p)",
        A,
        "Yates-corrected χ² p not accepted",
    ),
    Mutant(
        "ovcfstats/audit/_matrix.py",
        "fixed = np.where(np.abs(mat) > 1, mat / 1000.0, mat)",
        "fixed = np.clip(mat, -1.0, 1.0)",
        A,
        "a dropped '0.' in the matrix clipped to ±1 instead of read as a decimal",
    ),
    Mutant(
        "ovcfstats/audit/reported.py",
        'abs(binormal - auc["value"]) <= 0.03',
        'abs(binormal - auc["value"]) <= 0.06',
        A,
        "binormal-AUC tolerance doubled",
    ),
    # -- adjusted ORs (regression/) ----------------------------------------------------------------
    Mutant(
        "ovcfstats/regression/_logit_fit.py",
        "z = ndtri(1 - alpha / 2)",
        "z = ndtri(1 - alpha)",
        ("tests/test_regression.py",),
        "one-sided quantile in the Wald CI",
    ),
    Mutant(
        "ovcfstats/regression/_logit_fit.py",
        "p = 2 * ndtr(-np.abs(zval))",
        "p = ndtr(-np.abs(zval))",
        ("tests/test_regression.py",),
        "one-sided Wald p",
    ),
    Mutant(
        "ovcfstats/regression/_logit_design.py",
        "div = float(unit * np.std(x / unit, ddof=1))",
        "div = float(unit * np.std(x / unit, ddof=0))",
        ("tests/test_regression.py",),
        "ddof of the SD of per='sd'",
    ),
    Mutant(
        "ovcfstats/regression/_logit_design.py",
        "return (g > 0) & (cases[g] > 0) & (cases[g] < size[g])",
        "return (g > 0) & (cases[g] >= 0) & (cases[g] < size[g])",
        ("tests/test_regression.py",),
        "matched sets without a case kept in the conditional model",
    ),
    Mutant(
        "ovcfstats/regression/_likelihood.py",
        "return self.X.T @ (self.y - pi + h * (0.5 - pi))",
        "return self.X.T @ (self.y - pi + h * (1.0 - pi))",
        ("tests/test_regression.py",),
        "Firth's modified score with the wrong hat-value term",
    ),
    Mutant(
        "ovcfstats/regression/_clogit.py",
        "return self.sets.score(b) + 0.5 * (d * (p * quad)[:, None]).sum(axis=0)",
        "return self.sets.score(b) + 1.0 * (d * (p * quad)[:, None]).sum(axis=0)",
        ("tests/test_regression.py",),
        "conditional Firth penalty gradient doubled",
    ),
    Mutant(
        "ovcfstats/regression/_profile.py",
        "crit = float(chi2.ppf(1 - alpha, 1))",
        "crit = float(chi2.ppf(1 - alpha / 2, 1))",
        ("tests/test_regression.py",),
        "profile-likelihood CI at the wrong χ² quantile",
    ),
    # -- the pipeline, the data contract, the study file and the layouts ---------------------------
    Mutant(
        "ovcfstats/data/_ranges.py",
        "below = values <= self.low if self.low_open else values < self.low",
        "below = values < self.low",
        ("tests/test_validation.py",),
        "open lower bound of a plausible range taken as closed",
    ),
    Mutant(
        "ovcfstats/data/schema.py",
        "(low_open & (values == low))",
        "(low_open & (values < low))",
        ("tests/test_validation.py",),
        "a zero muscle area accepted by the per-measure range check",
    ),
    Mutant(
        "ovcfstats/table1/_table.py",
        "return slice(int(pos[0]), int(pos[-1]) + 1, step)",
        "return slice(int(pos[0]), int(pos[-1]), step)",
        (*G, "tests/test_groups_fast.py"),
        "the last case or control left out of an evenly spaced view",
    ),
    Mutant(
        "ovcfstats/study/_steps.py",
        "if values.nunique(dropna=True) < 2:",
        "if values.nunique(dropna=True) < 1:",
        S,
        "a constant indicator analysed instead of skipped",
    ),
    Mutant(
        "ovcfstats/study/_steps.py",
        "matched_default = not (pairs and cfg.paper_choices)",
        "matched_default = not pairs",
        S,
        "the paper's unconditional ORs on 1:1 pairs lost from reproduce()",
    ),
    Mutant(
        "ovcfstats/study/_run.py",
        'position = 1 if self.report.items and self.report.items[0].key == "choices" else 0',
        "position = 0",
        S,
        "the skipped steps shown before the analysis choices",
    ),
    Mutant(
        "ovcfstats/study/_file.py",
        "elif ord(ch) < 0x20 or ord(ch) == 0x7F:",
        "elif ord(ch) < 0x0A or ord(ch) == 0x7F:",
        S,
        "tabs and line breaks written raw into a TOML string of the study file",
    ),
    Mutant(
        "ovcfstats/present/_layouts_roc.py",
        '"Cut-off": [\n                format_number(c, style.decimals(v) + 1)',
        '"Cut-off": [\n                format_number(c, style.decimals(v) + 2)',
        ("tests/test_report.py", "tests/test_report_output.py"),
        "ROC cut-offs printed with one decimal too many",
    ),
    # -- diagnostic accuracy in a matched design (roc/adjusted, roc/thresholds, E-values) ------
    Mutant(
        "ovcfstats/roc/_placement.py",
        "return (lo + (hi - lo) / 2) / cw[-1]",
        "return (lo + (hi - lo)) / cw[-1]",
        ("tests/test_adjusted_auc.py",),
        "tied control residuals counted 1 instead of ½",
    ),
    Mutant(
        "ovcfstats/roc/_placement.py",
        "np.where(d == 0, 0.5, 0.0)",
        "np.where(d == 0, 1.0, 0.0)",
        ("tests/test_adjusted_auc.py",),
        "ties within a matched set counted 1",
    ),
    Mutant(
        "ovcfstats/roc/_placement.py",
        "beta = wls(design[control], y[control], wc)",
        "beta = wls(design, y, w)",
        ("tests/test_adjusted_auc.py",),
        "control model fitted in every patient",
    ),
    Mutant(
        "ovcfstats/roc/_placement.py",
        "dc, target = design[control], np.abs(r[control])",
        "dc, target = design[control], r[control] ** 2",
        ("tests/test_adjusted_auc.py",),
        "scale model fitted to squared residuals",
    ),
    Mutant(
        "ovcfstats/roc/_placement.py",
        "wk[keep]) / wk.sum()), 1.0 - below",
        "wk[keep]) / wk.sum()), below",
        ("tests/test_adjusted_auc.py",),
        "placement value on the wrong side",
    ),
    Mutant(
        "ovcfstats/roc/_placement.py",
        'hi[tied] = cw[np.searchsorted(s, rk[tied], side="right")]',
        'hi[tied] = cw[np.searchsorted(s, rk[tied], side="left")]',
        ("tests/test_adjusted_auc.py",),
        "bootstrap fast path: ties with a control counted 0",
    ),
    Mutant(
        "ovcfstats/roc/_placement.py",
        "beta = np.linalg.solve(xw.T @ xc, xw.T @ yc)",
        "beta = np.linalg.solve(xc.T @ xc, xc.T @ yc)",
        ("tests/test_adjusted_auc.py",),
        "bootstrap fast path ignores the resample's weights in the fit",
    ),
    Mutant(
        "ovcfstats/roc/thresholds.py",
        'method="wilson"',
        'method="normal"',
        ("tests/test_roc_thresholds.py",),
        "Wald instead of Wilson CIs of Se and Sp",
    ),
    Mutant(
        "ovcfstats/roc/thresholds.py",
        "vp = (1 - se) / (se * m) + sp / ((1 - sp) * n)",
        "vp = (1 - se) / (se * m) + sp / ((1 - sp) * m)",
        ("tests/test_roc_thresholds.py",),
        "PPV logit variance with the cases' n for the controls",
    ),
    Mutant(
        "ovcfstats/roc/thresholds.py",
        "ppv = se * pi / (se * pi + (1 - sp) * (1 - pi))",
        "ppv = se * pi / (se * pi + (1 - sp) * pi)",
        ("tests/test_roc_thresholds.py",),
        "PPV with π in place of 1 − π",
    ),
    Mutant(
        "ovcfstats/roc/thresholds.py",
        "s_pos = np.sqrt(1 / tp - 1 / m + 1 / fp - 1 / n)",
        "s_pos = np.sqrt(1 / tp + 1 / fp)",
        ("tests/test_roc_thresholds.py",),
        "LR+ log-SE without Simel's −1/m − 1/n",
    ),
    Mutant(
        "ovcfstats/roc/thresholds.py",
        "best = int(np.argmax(tp * n + tn * m))",
        "best = int(np.argmax(tp * m + tn * n))",
        ("tests/test_roc_thresholds.py",),
        "Youden's J weighted by the wrong group sizes",
    ),
    Mutant(
        "ovcfstats/design/decision.py",
        "return se * prevalence - fpr * (1 - prevalence) * odds",
        "return se * prevalence - fpr * prevalence * odds",
        ("tests/test_decision_prevalence.py",),
        "net benefit's false positives weighted by π instead of 1 − π",
    ),
    Mutant(
        "ovcfstats/regression/evalue.py",
        "return r + np.sqrt(r * (r - 1))",
        "return r + np.sqrt(r * (r + 1))",
        ("tests/test_evalue.py",),
        "E-value formula",
    ),
    Mutant(
        "ovcfstats/regression/evalue.py",
        "nearer = np.where(est >= 1, low, high)",
        "nearer = np.where(est >= 1, high, low)",
        ("tests/test_evalue.py",),
        "E-value of the CI limit farther from 1",
    ),
    Mutant(
        "ovcfstats/regression/evalue.py",
        "        return np.sqrt(v)",
        "        return v",
        ("tests/test_evalue.py",),
        "common-outcome OR not converted to √OR",
    ),
    Mutant(
        "ovcfstats/raters/raters.py",
        "sd = float(np.std(np.asarray(y, dtype=float), ddof=1))",
        "sd = float(np.std(np.asarray(y, dtype=float), ddof=0))",
        ("tests/test_sem_mdc.py",),
        "SEM's SD with ddof 0",
    ),
    Mutant(
        "ovcfstats/raters/raters.py",
        '"mdc95": 1.96 * np.sqrt(2.0) * sem',
        '"mdc95": 1.96 * sem',
        ("tests/test_sem_mdc.py",),
        "MDC95 without √2",
    ),
    Mutant(
        "ovcfstats/audit/_attainable.py",
        "pq = n_cases * n_controls / n**2",
        "pq = n_cases * n_controls / n",
        ("tests/test_audit.py",),
        "maximum attainable ρ with a binary outcome",
    ),
    Mutant(
        "ovcfstats/audit/_attainable.py",
        "return abs(row[\"value\"]) <= bound + slack, (",
        "return abs(row[\"value\"]) <= 1 + slack, (",
        ("tests/test_audit.py",),
        "ρ checked against 1, not the bound at the study's n",
    ),
    # -- stable modules of other steps -------------------------------------------------------------
    Mutant(
        "ovcfstats/raters/_icc.py",
        "df_r, df_c, df_e = n - 1, k - 1, (n - 1) * (k - 1)",
        "df_r, df_c, df_e = n - 1, k - 1, n * (k - 1)",
        ("tests/test_reliability.py",),
        "residual df of the two-way ICC",
    ),
    Mutant(
        "ovcfstats/matching/_algorithms.py",
        "tol = widths[0] * (1 + 1e-12)\n    lows = np.searchsorted(values, case_x",
        "tol = widths[0] * (1 - 1e-12)\n    lows = np.searchsorted(values, case_x",
        ("tests/test_matching.py",),
        "strict upper caliper boundary of nearest/random matching",
    ),
    Mutant(
        "ovcfstats/matching/_algorithms.py",
        "dist[(diff > 1 + 1e-12).any(axis=2)] = np.inf",
        "dist[(diff >= 1).any(axis=2)] = np.inf",
        ("tests/test_matching.py",),
        "strict caliper boundary of optimal matching",
    ),
    # -- one set of rules on every path (codes, ranges, names) ------------------------------------
    Mutant(
        "ovcfstats/data/_patient_codes.py",
        '"FEMALE": "F", "MALE": "M"}',
        '"FEMALE": "F", "MALE": "F"}',
        ("tests/test_rules.py",),
        "male read as female",
    ),
    Mutant(
        "ovcfstats/data/_patient_codes.py",
        'out["case"] = clean_yes_no(out, "case", func, id_col, required=True)',
        'out["case"] = clean_yes_no(out, "case", func, id_col, required=False)',
        ("tests/test_rules.py",),
        "blank case accepted",
    ),
    Mutant(
        "ovcfstats/data/_ranges.py",
        "    for col in dict.fromkeys(columns):",
        "    for col in list(columns)[:1]:",
        ("tests/test_rules.py",),
        "a step checks the range of its first column only",
    ),
    Mutant(
        "ovcfstats/study/inputs.py",
        "    check_ranges(table.assign(**numbers), named, FUNC, override=STUDY_OVERRIDE)",
        "    pass",
        ("tests/test_rules.py",),
        "indicator table not checked against the ranges",
    ),
    Mutant(
        "ovcfstats/study/_steps.py",
        "if tuple(names) == tuple(StudyConfig.__dataclass_fields__[field].default):",
        "if tuple(names) != tuple(StudyConfig.__dataclass_fields__[field].default):",
        ("tests/test_rules.py",),
        "a misspelt indicator skipped instead of refused",
    ),
    Mutant(
        "ovcfstats/_validate.py",
        "found = difflib.get_close_matches(key(name), list(keyed), n=1, cutoff=0.6)",
        "found = difflib.get_close_matches(key(name), list(keyed), n=1, cutoff=0.99)",
        ("tests/test_rules.py",),
        "no closest name suggested for a near miss",
    ),
    # -- imaging at cohort scale (shards, resume, segmentation checks) ----------------------------
    Mutant(
        "ovcfstats/imaging/_seg_qc.py",
        "        if centre[upper] <= centre[lower]:",
        "        if centre[upper] >= centre[lower]:",
        ("tests/test_imaging_scale.py",),
        "cranio-caudal order read with the superior axis reversed",
    ),
    Mutant(
        "ovcfstats/imaging/_seg_qc.py",
        "        first, last = rank[lumbar[0]], rank[lumbar[-1]]",
        "        first, last = rank[lumbar[min(1, len(lumbar) - 1)]], rank[lumbar[-1]]",
        ("tests/test_imaging_scale.py",),
        "a gap right below the first lumbar level missed",
    ),
    Mutant(
        "ovcfstats/imaging/_seg_qc.py",
        "    return (residual - np.median(residual)) / max(1.4826 * mad, floor)",
        "    return (residual - np.median(residual)) / max(1.4826 * mad, 10 * floor)",
        ("tests/test_imaging_scale.py",),
        "robust z floored ten times too high",
    ),
    Mutant(
        "ovcfstats/imaging/batch.py",
        '        todo = frame[~frame["patient_id"].isin(done)]',
        '        todo = frame',
        ("tests/test_imaging_scale.py",),
        "resume measures the done patients again",
    ),
    Mutant(
        "ovcfstats/imaging/_parallel.py",
        '    return frame.iloc[position.argsort(kind="stable")].reset_index(drop=True)',
        '    return frame.reset_index(drop=True)',
        ("tests/test_imaging_scale.py",),
        "shards put together in the order of their files, not the manifest",
    ),
    # -- the missing-data section (missing/, present/_layouts_missing.py) ------------------------
    Mutant(
        "ovcfstats/missing/_describe.py",
        "order = np.lexsort([*keys, holes, -counts])",
        "order = np.lexsort([*keys, holes, counts])",
        MS,
        "patterns least frequent first",
    ),
    Mutant(
        "ovcfstats/missing/_describe.py",
        "order = np.lexsort([*keys, holes, -counts])",
        "order = np.lexsort([*keys, -counts])",
        MS,
        "pattern ties not broken by the number of holes",
    ),
    Mutant(
        "ovcfstats/missing/_describe.py",
        'out[f"pct{suffix}"] = 100.0 * counts / rows.sum() if rows.any() else np.nan',
        'out[f"pct{suffix}"] = 100.0 * counts / len(missing) if rows.any() else np.nan',
        MS,
        "per-group % of all patients instead of the group's",
    ),
    Mutant(
        "ovcfstats/missing/_describe.py",
        "rows = t.drop_duplicates(item_col) if item_col else t",
        "rows = t",
        MS,
        "Table 1's n counted once per level of a categorical row",
    ),
    Mutant(
        "ovcfstats/present/_layouts_missing.py",
        "rest = patterns.iloc[MAX_PATTERNS:]",
        "rest = patterns.iloc[MAX_PATTERNS + 1 :]",
        MS,
        "the other patterns' row leaves one pattern out",
    ),
    Mutant(
        "ovcfstats/missing/_describe.py",
        "wide[:, : packed.shape[1]] = packed",
        "wide[:, :1] = packed[:, :1]",
        MS,
        "pattern codes from the first 8 variables only",
    ),
    # -- documentation and packaging -------------------------------------------------------------
    Mutant(
        "docs/_ext/apipages.py",
        "    for name in public_names(package):",
        "    for name in public_names(package)[1:]:",
        ("tests/test_reference_docs.py",),
        "a public name left off its reference page",
    ),
    Mutant(
        "docs/_ext/apipages.py",
        '    return [n for n in module.__all__ if not n.startswith("__")]',
        '    return [n for n in module.__all__ if not n.startswith("__") and not n.isupper()]',
        ("tests/test_reference_docs.py",),
        "constants (RANGES, PUBLISHED) not documented",
    ),
    Mutant(
        "ovcfstats/report/_methods.py",
        "        f\"Analyses were run with {_versions()} {_cite(used, 'ovcfstats')}.\"",
        "        f\"Analyses were run with {_versions()}.\"",
        ("tests/test_report_output.py",),
        "the Methods paragraph does not cite ovcfstats",
    ),
    Mutant(
        "ovcfstats/datasets/sample.py",
        'SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"',
        'SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"',
        ("tests/test_packaging.py",),
        "the sample read from outside the package (missing from an installed wheel)",
    ),
    # -- per-scan speed: label boxes inside the non-zero box, the composed QC picture ------------
    Mutant(
        "ovcfstats/imaging/_io.py",
        "                slice(b.start + s, b.stop + s) for b, s in zip(box, start, strict=True)",
        "                slice(b.start, b.stop) for b, s in zip(box, start, strict=True)",
        ("tests/test_imaging_synthetic.py",),
        "label boxes left in the crop's coordinates",
    ),
    Mutant(
        "ovcfstats/imaging/_io.py",
        "        crop = tuple(slice(s, int(n[-1]) + 1) for s, n",
        "        crop = tuple(slice(s, int(n[-1])) for s, n",
        ("tests/test_imaging_synthetic.py",),
        "the crop drops the last non-zero plane",
    ),
    Mutant(
        "ovcfstats/imaging/_io.py",
        "for axes in ((1, 2), (0, 2), (0, 1))]",
        "for axes in ((0, 2), (1, 2), (0, 1))]",
        ("tests/test_imaging_synthetic.py",),
        "the crop's x and y extents swapped",
    ),
    Mutant(
        "ovcfstats/imaging/qc.py",
        "    shown = _view(np.asarray(roi, dtype=bool))",
        "    shown = np.asarray(roi, dtype=bool).T",
        ("tests/test_imaging_synthetic.py",),
        "QC outlines not turned to the radiological view",
    ),
    Mutant(
        "ovcfstats/imaging/_inflate.py",
        "            pending = inflater.unconsumed_tail",
        '            pending = b""',
        ("tests/test_imaging_synthetic.py",),
        "input left over by a bounded inflate step dropped",
    ),
    Mutant(
        "ovcfstats/imaging/_inflate.py",
        "                pending, inflater = inflater.unused_data, zlib.decompressobj(wbits=31)",
        '                pending, inflater = b"", zlib.decompressobj(wbits=31)',
        ("tests/test_imaging_synthetic.py",),
        "a second gzip member of a .nii.gz ignored",
    ),
    Mutant(
        "ovcfstats/imaging/_inflate.py",
        '    return out[offset:].view(dtype).reshape(shape, order="F")',
        '    return out[: out.size - offset].view(dtype).reshape(shape, order="F")',
        ("tests/test_imaging_synthetic.py",),
        "the NIfTI header read as voxels",
    ),
    # -- HU by contrast phase (study/_phase.py) ---------------------------------------------------
    Mutant(
        "ovcfstats/study/_phase.py",
        "    adjust = [*or_options[\"adjust\"], cfg.contrast_phase]",
        "    adjust = list(or_options[\"adjust\"])",
        ("tests/test_contrast_phase.py",),
        "the adjusted HU OR without the phase",
    ),
    Mutant(
        "ovcfstats/study/_phase.py",
        "        part = data[data[phase].astype(str).str.strip() == level]",
        "        part = data",
        ("tests/test_contrast_phase.py",),
        "every stratum holds the whole cohort",
    ),
    Mutant(
        "ovcfstats/study/_phase.py",
        "    return bool(((counts[\"sum\"] == 1) & (counts[\"count\"] >= 2)).all())",
        "    return bool(((counts[\"sum\"] == 1) & (counts[\"count\"] >= 2)).any())",
        ("tests/test_contrast_phase.py",),
        "a stratum of split matched sets analysed as matched",
    ),
    Mutant(
        "ovcfstats/study/_phase.py",
        "        _stratified(run, data[~blank], cfg, or_options)",
        "        _stratified(run, data, cfg, or_options)",
        ("tests/test_contrast_phase.py",),
        "patients without a phase made a stratum of their own",
    ),
    Mutant(
        "ovcfstats/imaging/_parallel.py",
        "            yield i, job.result()",
        "            yield done[0][1], job.result()",
        ("tests/test_imaging_scale.py",),
        "polled jobs' results put at the wrong positions",
    ),
    # -- multiple imputation and Rubin's rules (_pool.py, missing/, */_pooled.py) ----------------
    Mutant(
        "ovcfstats/_pool.py",
        "t = ubar + (1 + 1 / m) * b",
        "t = ubar + b",
        MI,
        "Rubin's total variance without the (1 + 1/m) factor",
    ),
    Mutant(
        "ovcfstats/_pool.py",
        "df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)",
        "df_obs = dfcom * (1 - lam)",
        MI,
        "Barnard–Rubin observed-data df without its (ν + 1)/(ν + 3) factor",
    ),
    Mutant(
        "ovcfstats/_pool.py",
        "b = (q - q[0]).var(axis=0, ddof=1)",
        "b = (q - q[0]).var(axis=0)",
        MI,
        "between-imputation variance with ddof 0",
    ),
    Mutant(
        "ovcfstats/_pool.py",
        "r = (1 + 1 / m) * np.var(np.sqrt(x), ddof=1)",
        "r = (1 + 1 / m) * np.var(x, ddof=1)",
        MI,
        "D2 on the variance of the χ² rather than of their square roots",
    ),
    Mutant(
        "ovcfstats/regression/_pooled.py",
        "dfcom = np.maximum(size - n_terms, 1.0)",
        "dfcom = np.maximum(size - n_terms + 1, 1.0)",
        MI,
        "complete-data df of the logistic model off by one",
    ),
    Mutant(
        "ovcfstats/regression/_pooled.py",
        "for d in imputed.datasets]))\n        for name, value in mapping.items()",
        "for d in imputed.datasets[:1]]))\n        for name, value in mapping.items()",
        MI,
        "OR per SD scaled by the first completed table's SD only",
    ),
    Mutant(
        "ovcfstats/roc/_pooled.py",
        "pooled = rubin(logit(auc), (se / (auc * (1 - auc))) ** 2, alpha=alpha)",
        "pooled = rubin(logit(auc), se**2, alpha=alpha)",
        MI,
        "logit AUC pooled with the AUC-scale variance (no delta method)",
    ),
    Mutant(
        "ovcfstats/correlation/_pooled.py",
        "pooled = rubin(np.arctanh(rho), (1 + rho**2 / 2) / (n - 3),",
        "pooled = rubin(rho, (1 + rho**2 / 2) / (n - 3),",
        MI,
        "ρ pooled on its own scale instead of Fisher's z",
    ),
    Mutant(
        "ovcfstats/table1/_pooled.py",
        "np.sqrt(np.mean([t[f\"sd_{g}\"].to_numpy(float) ** 2 for t in tables]",
        "np.sqrt(np.mean([t[f\"sd_{g}\"].to_numpy(float) for t in tables]",
        MI,
        "pooled SD averaging SDs inside the square root",
    ),
    Mutant(
        "ovcfstats/missing/_fcs.py",
        "return order[window[np.arange(len(pred_mis)), pick]]",
        "return window[np.arange(len(pred_mis)), pick]",
        MI,
        "PMM donor as a place in the sorted predictions, not a row (donors unrelated)",
    ),
    Mutant(
        "ovcfstats/missing/_fcs.py",
        "prob = 1 / (1 + np.exp(-(x_mis @ beta_star)))",
        "prob = 1 / (1 + np.exp(x_mis @ beta_star))",
        MI,
        "logistic imputation with the sign of the linear predictor flipped",
    ),
    Mutant(
        "ovcfstats/missing/_fcs.py",
        "x_mis = x[gap_rows[j]][:, cols[j]]",
        "x_mis = x[seen_rows[j][: gap_rows[j].size]][:, cols[j]]",
        MI,
        "the missing rows predicted from the observed rows' predictors",
    ),
    Mutant(
        "ovcfstats/report/_methods.py",
        'if chosen.get("LogisticResult") not in (None, "wald"):',
        'if chosen.get("LogisticResult") not in (None, "profile"):',
        ("tests/test_impute_study.py",),
        "the Methods keep silent that the pooled ORs have Wald CIs",
    ),
    # -- the Word report's density (what keeps the sample on 12 pages) ------------------------
    Mutant(
        "ovcfstats/report/docx.py",
        "FIGURE_SCALE = 0.75",
        "FIGURE_SCALE = 1.0",
        (DOCX_DENSE,),
        "figures printed at their full drawn size (the sample grows past 12 pages)",
    ),
    Mutant(
        "ovcfstats/report/docx.py",
        "scale = min(FIGURE_SCALE, width / fig_w, (room - LEGEND_IN) / fig_h)",
        "scale = min(1.0, width / fig_w, (room - LEGEND_IN) / fig_h)",
        (DOCX_DENSE,),
        "the figure scale cap not applied",
    ),
    Mutant(
        "ovcfstats/report/docx.py",
        "paragraph_format.line_spacing, paragraph_format.space_after = 1.0, 0",
        "paragraph_format.space_after = 0",
        (DOCX_DENSE,),
        "table rows and pictures at the default 1.15 line spacing",
    ),
]


def _copy(dest: Path) -> None:
    """The tracked and new files of the working tree (no .git, no virtualenv, no caches)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        src = ROOT / name
        if src.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _run(scratch: Path, mutant: Mutant, timeout: float) -> str:
    path = scratch / mutant.file
    if not path.exists():
        return "stale"
    original = path.read_text()
    found = original.count(mutant.old)
    if found == 0:
        return "stale"
    if found > 1:
        return "ambiguous"
    path.write_text(original.replace(mutant.old, mutant.new))
    try:
        passed = _passes(scratch, mutant.tests, timeout)
    finally:
        path.write_text(original)
    return {True: "survived", False: "caught", None: "caught (timeout)"}[passed]


def _passes(scratch: Path, tests: tuple[str, ...], timeout: float) -> bool | None:
    """Whether ``tests`` pass in ``scratch`` (None: still running after ``timeout`` s)."""
    env = {**os.environ, "PYTHONPATH": str(scratch), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", default="", help="only mutants whose file or text contain this")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if args.k in m.file or args.k in m.old or args.k in m.what]
    if args.list:
        for i, m in enumerate(chosen, 1):
            print(f"{i:3d}  {m.file:28s} {m.what}")
        return 0
    failures = []
    with tempfile.TemporaryDirectory(prefix="ovcfstats-mutants-") as tmp:
        scratch = Path(tmp)
        _copy(scratch)
        # a test set that fails without any mutant would "catch" every mutant: refuse to run
        broken = [s for s in dict.fromkeys(m.tests for m in chosen) if not _passes(scratch, s, 600)]
        if broken:
            for tests in broken:
                print(f"FAILS WITHOUT A MUTANT: {' '.join(tests)} (fix it first)")
            return 2
        for i, m in enumerate(chosen, 1):
            start = time.perf_counter()
            status = _run(scratch, m, args.timeout)
            took = time.perf_counter() - start
            print(f"{i:3d}/{len(chosen)} {status:16s} {took:5.1f}s  {m.file}: {m.what}", flush=True)
            if not status.startswith("caught"):
                failures.append((status, m))
    print(f"\n{len(chosen) - len(failures)} of {len(chosen)} mutants caught.")
    for status, m in failures:
        print(f"{status.upper()}: {m.file}: {m.what}\n    {m.old!r} -> {m.new!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
