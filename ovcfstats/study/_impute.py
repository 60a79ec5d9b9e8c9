"""``[missing] method = "mice"``: multiple imputation before the analyses, pooled results.

- Matching variables complete: the patients are matched once and the missing values imputed
  within the matched table (the matched sets kept as they are).
- Matching variables incomplete: the whole table is imputed and the controls matched within each
  completed table (MatchThem's "within" approach), so that the m analyses differ in their sets.

The complete-case analysis (matched on the patients complete in the matching variables) stays
the data of the sections that do not pool (adjusted AUCs, thresholds, design) and is reported as a
sensitivity analysis beside the pooled ORs and AUCs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from .._pool import Imputed
from .._validate import describe_ids
from ..missing import impute
from ._run import _progress, _Run
from .config import StudyConfig

WITHIN = (
    "The matching variables ({names}) had missing values: the table was imputed first and "
    "the controls matched within each completed table (the 'within' approach of MatchThem)."
)
ONCE = (
    "The matching variables ({names}) were complete: the patients were matched once and the "
    "missing values imputed within the matched table."
)


def matching_variables(table: pd.DataFrame, cfg: StudyConfig) -> list[str]:
    """The exact and caliper variables of the study that are columns of ``table``."""
    return [v for v in dict.fromkeys([*cfg.exact, *cfg.calipers]) if v in table.columns]


def needs_within(table: pd.DataFrame, cfg: StudyConfig) -> bool:
    """Whether matching has to wait for the imputation (a matching variable has a hole)."""
    return bool(table[matching_variables(table, cfg)].isna().any().any())


def targets(table: pd.DataFrame, cfg: StudyConfig) -> list[str]:
    """The analysed columns with a missing value: indicators, covariates, Table 1 variables."""
    wanted = [*cfg.indicators, *cfg.adjust, *cfg.table1_variables(table.columns),
              *matching_variables(table, cfg)]
    return [
        c for c in dict.fromkeys(wanted)
        if c in table.columns and c != "case" and table[c].isna().any()
        and (pd.api.types.is_numeric_dtype(table[c]) or table[c].nunique() == 2)
    ]


def imputed_data(
    run: _Run, table: pd.DataFrame, matched: pd.DataFrame | None, cfg: StudyConfig, match: Any
) -> Imputed | None:
    """The completed tables to pool over (matched), or None with the reason as a skip.

    ``matched``: the complete-case matched table when matching comes first; ``match`` matches
    one completed table (the "within" approach).
    """
    _progress(run.progress, "multiple imputation")
    within = matched is None
    source = table if within else matched
    names = ", ".join(matching_variables(table, cfg)) or "none"
    columns = targets(source, cfg)
    if not columns:
        run.skip("multiple imputation", "", "no analysed variable has a missing value, so the "
                 "complete-case analysis is the whole analysis")
        return None
    try:
        imputed = impute(
            source,
            columns,
            m=cfg.impute_m,
            seed=cfg.impute_seed,
            predictors=_predictors(source, cfg),
            matched_on=[c for c in matching_variables(source, cfg)
                        if source[c].notna().all()],
        )
    except (ValueError, KeyError) as err:
        run.skip("multiple imputation", "", f"{err} The analyses are complete-case.")
        return None
    how = (WITHIN if within else ONCE).format(names=names)
    imputed = replace(imputed, settings={**imputed.settings, "matching": how,
                                         "matching_order": "within" if within else "once"})
    run.report.add(imputed, title=f"Multiple imputation (m = {imputed.m})", key="imputation",
                   figure_caption="Observed (grey) and imputed (red) values of each imputed "
                   "variable, per imputation.")
    if not within:
        return imputed
    return replace(imputed, datasets=tuple(match(d) for d in imputed.datasets))


def _predictors(table: pd.DataFrame, cfg: StudyConfig) -> list[str]:
    """The study file's predictors and every complete analysed column (indicators, covariates):
    the analysis models' variables belong in the imputation models."""
    wanted = [*cfg.impute_predictors, *cfg.indicators, *cfg.adjust]
    return [c for c in dict.fromkeys(wanted)
            if c in table.columns and c != "case" and table[c].notna().all()]


def complete_for_matching(run: _Run, table: pd.DataFrame, cfg: StudyConfig) -> pd.DataFrame:
    """The rows complete in the matching variables (the complete-case analysis's patients)."""
    names = matching_variables(table, cfg)
    gone = table[names].isna().any(axis=1)
    if gone.any():
        ids = list(table.loc[gone, "patient_id"]) if "patient_id" in table else []
        run.skip("complete-case matching", "", f"missing a matching variable ({describe_ids(ids)})"
                 "; matched in the imputed analysis only")
    return table.loc[~gone].reset_index(drop=True)


def complete_case(result: Any) -> Any:
    """``result`` marked as the complete-case sensitivity analysis (its Methods sentence is the
    pooled one's)."""
    return replace(result, settings={**result.settings, "complete_case": True})
