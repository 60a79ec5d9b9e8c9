"""The steps of the study pipeline: reliability, indicators, matching, Tables 1–3, ROC, design.

Each helper adds its sections to the report being built (:class:`~ovcfstats.study._run._Run`)
or records why a step or an indicator was skipped; :func:`_pipeline` runs them in order under
the study's plausible ranges.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import pandas as pd

from .._pool import Imputed
from .._results import Result
from .._validate import DataError, describe_ids, did_you_mean
from ..data._readings import Readings
from ._design_sections import design_sections
from ._phase import check_phase, phase_sections
from ._run import _progress, _Run
from .config import StudyConfig
from .inputs import check_patients_table, given_sets, is_pairs, named, renamed

FUNC = "analyze"
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def _reliability(run: _Run, measurements: Readings, cfg: StudyConfig) -> None:
    """Inter- and intra-rater ICCs (and agreement); what the data cannot give is skipped."""
    from ..design.readings import agreement_section
    from ..raters import DEFAULT_MEASURES, reliability

    alpha = cfg.alpha

    present = set(measurements.combos["measure"])
    measures = [m for m in DEFAULT_MEASURES if m in present]
    for kind in ("inter", "intra"):
        name = f"{kind}-rater reliability"
        if not measures:
            run.skip(name, "", "no rated measure in the measurements table")
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = reliability(measurements, measures=measures, kind=kind, alpha=alpha)
            except DataError as err:
                run.skip(name, "", str(err))
                continue
        for w in caught:  # a skipped measure is reported once, as a skipped step
            if "ICC skipped" not in str(w.message):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        skipped = result.skipped
        if len(result.table) == 0:
            reasons = "; ".join(dict.fromkeys(skipped["reason"].astype(str)))
            run.skip(name, "", reasons or "no measure could be computed")
            continue
        for row in skipped.itertuples(index=False):
            run.skip(name, str(row.measure), str(row.reason))
        run.report.add(result, title=f"Reliability ({kind}-rater ICC)", key=f"reliability_{kind}")
        if cfg.agreement:
            ok = [m for m in measures if m in set(result.table["measure"])]
            run.step(
                f"{kind}-rater agreement",
                f"agreement_{kind}",
                f"Agreement ({kind}-rater): Bland–Altman limits and Lin's CCC",
                lambda ok=ok, kind=kind: agreement_section(
                    measurements, measures=ok, kind=kind, alpha=alpha
                ),
                figure_caption=f"Bland–Altman plots of the {kind}-rater readings per measure: "
                "difference against mean, with the bias and the limits of agreement (dashed) "
                f"and their {100 * (1 - alpha):g}% confidence intervals (shaded).",
            )


def _usable_indicators(run: _Run, data: pd.DataFrame, indicators: tuple[str, ...]) -> list[str]:
    """The indicators that can be analysed; the others are skipped with their reason."""
    usable = []
    for name in indicators:
        if name not in data.columns:
            run.skip("indicator", name, f"no column '{name}' in the data")
            continue
        values = pd.to_numeric(data[name], errors="coerce")
        text = values.isna() & data[name].notna()
        if text.any():
            ids = list(data.loc[text, "patient_id"]) if "patient_id" in data else []
            run.skip(
                "indicator",
                name,
                f"non-numeric values ({describe_ids(ids)}); correct or blank them",
            )
            continue
        data[name] = values
        for group, label_ in ((1, "cases"), (0, "controls")):
            if values[data["case"] == group].notna().sum() == 0:
                run.skip("indicator", name, f"all values missing in the {label_}")
                break
        else:
            if values.nunique(dropna=True) < 2:
                run.skip("indicator", name, f"constant ({values.dropna().iloc[0]:g} in everyone)")
            else:
                usable.append(name)
    return usable


def _require(data: pd.DataFrame, cfg: StudyConfig, field: str, what: str) -> None:
    """Names the study gave (not the defaults) must be columns: a typo is an error, not a skip.

    The defaults (the paper's indicators, covariates and exact variables) that a table lacks are
    skipped with their reason instead, so that the paper's study file runs on any table.
    """
    names = getattr(cfg, field)
    if tuple(names) == tuple(StudyConfig.__dataclass_fields__[field].default):
        return
    lacking = [n for n in names if n not in data.columns]
    if lacking:
        hints = "".join(did_you_mean(n, data.columns) for n in lacking)
        raise DataError(
            f"{FUNC}(): {what} {', '.join(map(repr, lacking))} not found in the data.{hints} "
            f"The columns are {', '.join(map(str, data.columns))}. Name existing columns, or "
            "map yours in the study file (column = ...)."
        )


# -- entry points ------------------------------------------------------------------------------
def _match(run: _Run, table: pd.DataFrame, cfg: StudyConfig) -> pd.DataFrame:
    from ..matching import match_controls

    _require(table, cfg, "exact", "the exact-matching variable(s) (--exact; [matching] exact)")
    exact = [v for v in cfg.exact if v in table.columns]
    for v in cfg.exact:
        if v not in table.columns:
            run.skip("matching", v, f"no column '{v}': not matched exactly on it")
    calipers = cfg.calipers
    lacking = [v for v in calipers if v not in table.columns]
    if lacking:
        raise DataError(
            f"{FUNC}(): the matching caliper names {', '.join(lacking)}, which the data lack "
            f"(columns: {', '.join(map(str, table.columns))}). Give a caliper on a column that "
            "exists (command line --caliper; study file [matching] caliper)."
        )
    if "pair_id" in table.columns:
        table = table.rename(columns={"pair_id": "pair_id_input"})
    try:
        matching = match_controls(
            table, exact=exact, caliper=calipers, method=cfg.method, seed=cfg.seed, ratio=cfg.ratio
        )
    except DataError as err:
        if "no case has an eligible control" not in str(err):
            raise
        raise DataError(
            f"{err} On the command line: --caliper (e.g. --caliper 5) and --exact (e.g. --exact "
            "none); in the study file: caliper and exact under [matching]."
        ) from None
    if len(matching.pairs) == 0:
        n_cases = int((table["case"] == 1).sum())
        n_controls = int((table["case"] == 0).sum())
        reasons = "; ".join(dict.fromkeys(matching.unmatched["reason"].astype(str)))
        on = " and ".join(exact) or "nothing"
        raise DataError(
            f"{FUNC}(): no case has an eligible control ({n_cases} cases, {n_controls} controls; "
            f"{reasons or 'no controls'}). Relax the matching: a wider caliper (--caliper, e.g. "
            f"--caliper 5; study file [matching] caliper, now {calipers}), fewer exact "
            f"variables (--exact none; now {on}), or check that controls are coded case = 0."
        )
    words = [f"{w}-" for w in [*calipers, *exact]]
    what = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    run.report.add(matching, title=f"1:{cfg.ratio} {what}matched controls", key="matching")
    return matching.matched


def _analyses(
    run: _Run, data: pd.DataFrame, cfg: StudyConfig, imputed: Any = None
) -> None:
    """Table 1, Table 2 (ρ and ORs), Table 3 and the ROC analysis on the matched data.

    With ``imputed`` (an :class:`~ovcfstats.Imputed` of matched tables) these are pooled over
    the imputations and the complete-case ORs and AUCs follow as a sensitivity analysis.
    """
    from ..correlation import spearman_matrix, spearman_outcome
    from ..regression import logistic_or
    from ..roc import compare_auc, roc_auc

    pairs = is_pairs(data)
    _require(data, cfg, "indicators", "the indicator(s) (--indicators; [indicators])")
    _require(data, cfg, "adjust", "the covariate(s) (study file [odds_ratios] adjust)")
    check_phase(data, cfg)
    inds = _usable_indicators(run, data, cfg.indicators)
    count = NUMBERS.get(len(inds), str(len(inds)))
    pooled = " (pooled over the imputations)" if imputed else ""
    _progress(run.progress, "Table 1")
    left_out = {item for step, item, _ in run.skipped if step == "indicator"}
    table1 = [v for v in cfg.table1_variables(data.columns) if v not in left_out]
    run.step(
        "patient characteristics",
        "table1",
        f"Patient characteristics and indicators{pooled}",
        lambda: _table1(imputed or data, table1, cfg),
        paper="Table 1",
    )
    if not inds:
        run.skip(
            "correlations, odds ratios and ROC", "", "no indicator can be analysed (see above)"
        )
        return
    _progress(run.progress, "Table 2")
    run.step(
        "Spearman ρ with OVCF",
        "table2_rho",
        f"Spearman correlation of each indicator with OVCF{pooled}",
        lambda: spearman_outcome(imputed or data, inds, alpha=cfg.alpha),
        paper="Table 2",
    )
    adjust = [a for a in cfg.adjust if a in data.columns and a not in inds]
    for a in cfg.adjust:
        if a not in data.columns:
            run.skip("odds ratios", a, f"no column '{a}': the ORs are not adjusted for it")
        elif a in inds:
            run.skip("odds ratios", a, "an indicator itself: the ORs are not adjusted for it")
    matched_default = not (pairs and cfg.paper_choices)  # the matched analysis of the design
    conditional = matched_default if cfg.conditional is None else cfg.conditional
    if conditional:  # constant within the matched sets: the conditioning accounts for it
        adjust = [a for a in adjust if a not in cfg.exact]
    kind = "Conditional logistic regression" if conditional else "Logistic regression"
    names = [cfg.variable(a)["label"] for a in adjust]
    names = [n if n.isupper() else n.lower() for n in names]
    what = f"adjusted for {', '.join(names)}" if adjust else "unadjusted"
    references = _references(data, adjust, cfg)
    or_options = {
        "adjust": adjust,
        "model": cfg.or_model,
        "conditional": conditional,
        "per": cfg.or_per,
        "ci": cfg.or_ci,
        "method": cfg.or_method,
        "alpha": cfg.alpha,
        "evalue": True,
    }

    def odds_ratios(source: Any) -> Result:
        ci = "wald" if isinstance(source, Imputed) else cfg.or_ci
        return _with_references(
            logistic_or(source, inds, **{**or_options, "ci": ci}), references
        )

    run.step(
        "odds ratios",
        "table2_or",
        f"{kind} {what}{pooled}",
        lambda: odds_ratios(imputed or data),
        paper="Table 2, continued",
    )
    _progress(run.progress, "Table 3")
    if len(inds) < 2:  # with one indicator by design, Tables 3 and the comparison do not apply
        if len(cfg.indicators) >= 2:
            run.skip(
                "correlations among the indicators and AUC comparison",
                "",
                "fewer than two indicators left",
            )
    else:
        run.step(
            "correlations among the indicators",
            "table3",
            f"Spearman correlations among the {count} indicators{pooled}",
            lambda: spearman_matrix(
                imputed or data, inds, adjust=cfg.matrix_adjust, alpha=cfg.alpha
            ),
            paper="Table 3",
        )
    _progress(run.progress, "ROC")
    directions = cfg.directions()
    if isinstance(directions, dict):
        directions = {k: v for k, v in directions.items() if k in inds}
    def aucs(source: Any) -> Result:
        ci = "delong" if isinstance(source, Imputed) else cfg.roc_ci
        return roc_auc(source, inds, direction=directions, ci=ci, seed=cfg.seed, alpha=cfg.alpha)

    run.step(
        "ROC",
        "fig5",
        f"ROC curves of the {count} indicators{pooled}",
        lambda: aucs(imputed or data),
        figure_caption=f"ROC curves of the {count} indicators for OVCF, with the AUC "
        f"({100 * (1 - cfg.alpha):g}% CI) of each and its Youden cut-off (dot).",
        paper="Fig. 5",
    )
    phase_sections(run, data, cfg, inds, or_options)
    from ._diagnostic import diagnostic_sections

    diagnostic_sections(run, data, cfg, inds, directions)
    if len(inds) >= 2:
        run.step(
            "AUC comparison",
            "auc_comparison",
            "Pairwise comparison of the AUCs (DeLong)",
            lambda: compare_auc(imputed or data, inds, adjust=cfg.auc_adjust, alpha=cfg.alpha),
        )
    if imputed:
        from ._impute import complete_case

        run.step("complete-case ORs", "sensitivity_or", "Sensitivity analysis: complete-case "
                 f"{kind.lower()} {what}", lambda: complete_case(odds_ratios(data)))
        run.step("complete-case AUCs", "sensitivity_auc", "Sensitivity analysis: complete-case "
                 "AUCs", lambda: complete_case(aucs(data)))
    design_sections(run, data, cfg, inds, adjust, pairs)


def _references(data: pd.DataFrame, adjust: list[str], cfg: StudyConfig) -> dict[str, Any]:
    """The reference level of each non-numeric covariate: the study file's, or the most
    frequent (ties: the first sorted); ``data``'s column becomes categorical in that order."""
    out = {}
    for a in adjust:
        column = data[a]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        text = column.dropna().astype(str)
        counts = text.value_counts()
        chosen = cfg.variable(a).get("reference")
        if chosen is not None and str(chosen) not in set(counts.index):
            raise DataError(
                f"{FUNC}(): the reference level {chosen!r} of '{a}' ([variables.{a}] reference) "
                f"is not among its values ({', '.join(sorted(counts.index))}); name one of them."
            )
        top = sorted(counts.index[counts == counts.max()])[0] if len(counts) else None
        level = str(chosen) if chosen is not None else top
        if level is None:
            continue
        order = [level, *sorted(set(counts.index) - {level})]
        data[a] = pd.Categorical(column.where(column.isna(), column.astype(str)), order)
        out[a] = (level, "chosen" if chosen is not None else "most frequent")
    return out


def _with_references(result: Result, references: dict[str, Any]) -> Result:
    """``result`` with the covariates' reference levels in its settings (for its footnote)."""
    return replace(result, settings={**result.settings, "references": references})


def _table1(data: pd.DataFrame | Imputed, variables: list[str], cfg: StudyConfig) -> Result:
    """Table 1; a variable matched on exactly has no within-set test by design (no warning).

    With imputed data the tests are chosen on the first completed table (the same rows and
    levels in every table) and the Table is pooled over all of them.
    """
    from .._results import DegenerateDataWarning
    from ..table1.groups import compare_groups

    source, data = data, data.datasets[0] if isinstance(data, Imputed) else data
    with warnings.catch_warnings():
        for v in cfg.exact:
            warnings.filterwarnings(
                "ignore", f".*'{v}' does not vary within any matched set", DegenerateDataWarning
            )
        tests = dict(cfg.tests)
        if not cfg.paper_choices and is_pairs(data):  # McNemar for the binary rows of pairs
            for v in variables:
                binary = data[v].dropna().nunique() == 2
                matched = v in cfg.exact or v in cfg.calipers
                if binary and v not in tests and not matched and not _continuous(data[v]):
                    tests[v] = "mcnemar"
        result = compare_groups(source, variables, pair="pair_id", tests=tests, alpha=cfg.alpha)
    if cfg.paper_choices:
        return result
    on = tuple(v for v in (*cfg.exact, *cfg.calipers) if v in variables)
    kept = tuple(w for w in result.warnings if not any(f"'{v}'" in w for v in on))
    return replace(result, warnings=kept, settings={**result.settings, "matched_on": on})


def _continuous(column: pd.Series) -> bool:
    """A numeric column with other values than 0 and 1 (Table 1 gives it a mean)."""
    values = pd.to_numeric(column, errors="coerce").dropna()
    return bool(len(values)) and not values.isin([0, 1]).all()


def _pipeline(
    run: _Run,
    data: pd.DataFrame,
    measurements: pd.DataFrame | None,
    cfg: StudyConfig,
    matched_by: str | None,
    sources: tuple[Any, Any] = (None, None),
) -> None:
    from ..data._ranges import ranges_in_force

    with ranges_in_force(cfg.ranges):  # the study file's [ranges] hold for every step
        _steps(run, data, measurements, cfg, matched_by, sources)


def _steps(
    run: _Run,
    data: pd.DataFrame,
    measurements: pd.DataFrame | None,
    cfg: StudyConfig,
    matched_by: str | None,
    sources: tuple[Any, Any],
) -> None:
    from ..data._readings import scan_readings
    from ..data.schema import validate_patients
    from ..indicators import derive_indicators

    if measurements is not None:
        patients = named(sources[0], lambda: validate_patients(data))
        _progress(run.progress, "reading and checking the readings")
        readings = named(sources[1], lambda: scan_readings(measurements, patients))
        _progress(run.progress, "indicators")
        # before the reliability step codes the readings for its matrices: a lower peak
        indicators = derive_indicators(
            patients, readings, min_vertebrae=cfg.min_vertebrae, fi_weighting=cfg.fi_weighting
        )
        _progress(run.progress, "reliability (ICC)")
        _reliability(run, readings, cfg)
        run.report.add(indicators, title="Indicators per patient", key="indicators", appendix=True)
        derived = set(indicators.table.columns) - set(patients.columns)
        table = named(sources[0], lambda: renamed(indicators.table, cfg, derived))
    else:
        table = named(sources[0], lambda: check_patients_table(renamed(data, cfg)))
    _progress(run.progress, "matching")
    mice, within = cfg.missing_method == "mice", False
    if matched_by:
        matched, sets = given_sets(table, matched_by)
        run.report.add(sets, key="matching")
    elif mice:
        from ._impute import complete_for_matching, needs_within

        within = needs_within(table, cfg)
        matched = _match(run, complete_for_matching(run, table, cfg) if within else table, cfg)
    else:
        matched = _match(run, table, cfg)
    imputed = None
    if mice:
        from ._impute import imputed_data

        def match(d: pd.DataFrame) -> pd.DataFrame:
            return _match(_Run(type(run.report)()), d, cfg)

        imputed = imputed_data(run, table, None if within else matched, cfg, match)
    _analyses(run, matched.copy(), cfg, imputed)
    _missing(run, matched, cfg)


#: the analyses whose n the missing-data section lists: report key -> column heading
ANALYSED = {"table1": "Table 1", "table2_rho": "Spearman ρ", "table2_or": "OR", "fig5": "ROC"}
#: with multiple imputation: the complete-case sensitivity analyses, whose n the holes limit
COMPLETE_CASE = {"sensitivity_or": "OR, complete cases", "sensitivity_auc": "ROC, complete cases"}


def _missing(run: _Run, data: pd.DataFrame, cfg: StudyConfig) -> None:
    """The missing-data section of the analysed patients, placed before the results."""
    from ..missing import describe_missing

    wanted = [*cfg.table1_variables(data.columns), *cfg.indicators, *cfg.adjust]
    columns = [c for c in dict.fromkeys(wanted) if c in data.columns and c != "case"]
    done = {item.key: item.result for item in run.report.items}
    if "imputation" in done:  # the pooled analyses keep everyone: the complete-case n instead
        models = {h: done[k] for k, h in COMPLETE_CASE.items() if k in done}
    else:
        models = {head: done[key] for key, head in ANALYSED.items() if key in done}
    result = run.step(
        "missing data", "missing", "Missing data",
        lambda: describe_missing(data, columns, models=models),
    )  # fmt: skip
    if result is None:
        return
    keys = run.report.keys()
    after = keys.index("matching") + 1 if "matching" in keys else keys.index("missing")
    run.report.items.insert(after, run.report.items.pop())
