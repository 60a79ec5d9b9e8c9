"""The layout of the study file: its sections and keys, reading its values, writing the template.

:class:`~ovcfstats.StudyConfig` reads a study file through :data:`SECTIONS` (unknown keys
are errors naming the closest valid one) and writes it back with :func:`_render`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from .._validate import DataError

if TYPE_CHECKING:
    from .config import StudyConfig

VARIABLE_KEYS = ("column", "label", "unit", "decimals", "direction", "reference")


# -- the file layout ---------------------------------------------------------------------------
#: file key -> field, or section -> {file key -> field}
SECTIONS: dict[str, Any] = {
    "title": "title",
    "alpha": "alpha",
    "audit": "audit",
    "ranges": "ranges",
    "mapping": "mapping",
    "indicators": "indicators",
    "variables": "variables",
    "table1": {"variables": "table1", "tests": "tests"},
    "matching": {
        "exact": "exact",
        "caliper": "caliper",
        "ratio": "ratio",
        "method": "method",
        "seed": "seed",
        "matched_by": "matched_by",
    },
    "odds_ratios": {
        "adjust": "adjust",
        "per": "or_per",
        "model": "or_model",
        "conditional": "conditional",
        "ci": "or_ci",
        "method": "or_method",
    },
    "roc": {"ci": "roc_ci", "compare_adjust": "auc_adjust"},
    "correlation": {"adjust": "matrix_adjust"},
    "indicator_rules": {"min_vertebrae": "min_vertebrae", "fi_weighting": "fi_weighting"},
    "missing": {
        "method": "missing_method",
        "m": "impute_m",
        "seed": "impute_seed",
        "predictors": "impute_predictors",
    },
    "design": {
        "agreement": "agreement",
        "sample_size": "sample_size",
        "combined": "combined",
        "n_boot": "n_boot",
        "seed": "boot_seed",
        "prevalence": "prevalence",
    },
    "contrast": {"phase": "contrast_phase", "handling": "contrast_handling"},
    "report": {"titles": "titles", "paper_choices": "paper_choices"},
}
#: fields TOML cannot hold as None: the word that stands for None in the file
NONE_WORDS = {
    "seed": "none",
    "matched_by": "none",
    "conditional": "auto",
    "auc_adjust": "none",
    "matrix_adjust": "none",
    "title": "",
    "audit": "",
    "table1": "default",
    "boot_seed": "none",
    "prevalence": "none",
    "contrast_phase": "none",
    "impute_seed": "none",
}


def _unknown(where: str, what: str, keys: Any, valid: Any) -> str:
    key = sorted(keys)[0]
    close = difflib.get_close_matches(key, list(valid), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    if not close and what == "study file":  # a setting written outside its section
        nested = {k: s for s, keys in SECTIONS.items() if isinstance(keys, dict) for k in keys}
        near = difflib.get_close_matches(key, list(nested), n=1)
        if near:
            hint = f" Did you mean {near[0]!r} in [{nested[near[0]]}]?"
    return f"{where}: unknown key {key!r} in {what}.{hint} Valid keys: {', '.join(valid)}."


def _check_keys(where: str, data: Mapping[str, Any], valid: Mapping[str, Any]) -> None:
    unknown = set(data) - set(valid)
    if unknown:
        raise DataError(_unknown("study file", where, unknown, valid))


def _from_toml_value(name: str, value: Any) -> Any:
    if name in NONE_WORDS and value == NONE_WORDS[name]:
        return None
    if name in ("exact", "adjust", "table1", "combined") and isinstance(value, list):
        return tuple(value)
    if name == "or_per" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _ranges(table: Any) -> dict[str, Any]:
    """``{name: [low, high] | "off"}`` of the study file -> ``{name: (low, high) | None}``."""
    if not isinstance(table, Mapping):
        raise DataError("study file: ranges is a table, e.g. ranges = { hu = [-1024, 4000] }.")
    return {
        str(k): None if v == "off" else tuple(v) if isinstance(v, list) else v
        for k, v in table.items()
    }


def _indicators(section: Any, key: str = "indicators") -> dict[str, Any]:
    if not isinstance(section, Mapping) or not section:
        raise DataError(
            f"study file: [{key}] lists each {key[:-1]} as [{key}.NAME] with label, unit, "
            "decimals, direction and column."
        )
    variables = {}
    for name, spec in section.items():
        if not isinstance(spec, Mapping):
            raise DataError(f"study file: [{key}.{name}] must be a table (label = ...).")
        _check_keys(f"[{key}.{name}]", spec, dict.fromkeys(VARIABLE_KEYS))
        variables[name] = dict(spec)
    return {"indicators": tuple(section), "variables": variables}


# -- the template ------------------------------------------------------------------------------
def _toml(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return "[" + ", ".join(_toml(v) for v in value) + "]"


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else _toml(name)


def _file_value(config: StudyConfig, name: str) -> Any:
    value = getattr(config, name)
    if value is None:
        return NONE_WORDS[name]
    if name == "caliper" and not isinstance(value, Mapping):
        return {"age": float(value)}
    return value


def _render(config: StudyConfig) -> str:
    v = {f.name: _file_value(config, f.name) for f in fields(config)}
    lines = [
        "# ovcfstats study file. Edit the values, keep the keys; run:",
        "#   ovcfstats analyze YOUR_TABLE.xlsx --study study.toml",
        "# These defaults reproduce the paper. Text after # is a comment.",
        "",
        f"title = {_toml(v['title'])}  # report title (empty: a default title)",
        f"alpha = {_toml(config.alpha)}  # 1 - confidence level of every CI",
        f"audit = {_toml(v['audit'])}  # a CSV of a paper's printed numbers to audit (empty: none)",
        '# plausible ranges to override, e.g. { hu = [-1024, 4000], bmi = "off" } (see README)',
        f"ranges = {_toml({k: 'off' if r is None else list(r) for k, r in config.ranges.items()})}",
        "",
        "# One [indicators.NAME] table per indicator, in report order. column: the column of your",
        "# table holding it; direction: expected side in cases (higher, lower or auto).",
        "# A clinic's spreadsheet (one row per patient, raw readings or indicators in columns",
        "# headed e.g. 'L1 HU R1'): run 'ovcfstats map TABLE --study study.toml' to add the",
        "# [mapping] of its columns to this file.",
    ]
    for name in config.indicators:
        spec = config.variable(name)
        lines += [f"[indicators.{_key(name)}]"]
        lines += [f"{k} = {_toml(spec[k])}" for k in VARIABLE_KEYS if k in spec]
        lines += [""]
    extra = {k: s for k, s in config.variables.items() if k not in config.indicators}
    comments = {
        "table1": "# Table 1: variables in order ('default': age, sex, BMI, comorbidities,\n"
        "# indicators) and tests per variable (paired_t, welch, student, wilcoxon, chi2,\n"
        "# fisher, mcnemar).",
        "matching": "# Matching: exact variables, calipers (variable = maximum difference),\n"
        "# controls per case (ratio), method (optimal, nearest, random), seed ('none': drawn).\n"
        "# matched_by: the set id column of an already matched table ('none': match here).",
        "odds_ratios": "# Logistic ORs: covariates, scale (per = 'sd', 'unit' or a number), model\n"
        "# (separate, joint), conditional (true, false, 'auto': for 1:k sets), ci (wald,\n"
        "# profile), method (ml, firth).",
        "roc": "# ROC: AUC CI (delong, bootstrap) and adjustment of the pairwise comparisons\n"
        "# (holm, bonferroni, none).",
        "correlation": "# Table 3: adjustment of the p-values (none, holm, bonferroni).",
        "indicator_rules": "# Raw readings only: fewest vertebrae per average; FI weighting\n"
        "# (equal, area).",
        "missing": "# Missing values: 'complete' (complete-case analysis) or 'mice' (multiple\n"
        "# imputation by chained equations, m imputations, seed ('none': drawn), extra\n"
        "# complete predictors; the complete-case analysis is kept as a sensitivity analysis).",
        "design": "# Around the study: Bland–Altman and Lin's CCC beside the ICCs (agreement),\n"
        "# post-hoc power at the observed AUCs/ORs (sample_size), a combined logistic model of\n"
        "# the listed indicators with bootstrap validation (combined; [] for none), its\n"
        "# resamples (n_boot) and seed ('none': drawn; also the seed of the adjusted AUCs' and\n"
        "# the Youden cut-offs' bootstraps). prevalence: the share with the outcome in the\n"
        "# population the indicators are meant for (PPV, NPV, net benefit; a matched sample's\n"
        "# share of cases is fixed by the design). 0.1 is a placeholder of the order of\n"
        "# morphometric vertebral fractures in older adults: replace it by the estimate for\n"
        "# your population and cite its source (e.g. Ballane G, et al. Worldwide prevalence\n"
        "# and incidence of osteoporotic vertebral fractures. Osteoporos Int. 2017;28:1531-42);\n"
        "# 'none': no PPV/NPV.",
        "contrast": "# Contrast phase of CT scans (contrast raises L1 HU by ~14–26 HU): the\n"
        "# column holding each patient's phase ('none': not used), and how the HU\n"
        "# indicator uses it: 'stratify' (HU rows of Table 1, OR and AUC per phase) or\n"
        "# 'adjust' (the phase as a covariate of the HU model).",
        "report": "# Report: headings by section key, e.g. titles = { table1 = \"Baseline\" }\n"
        "# (keys: methods, appendix, contents, matching, table1, table2_rho, table2_or,\n"
        "# table3, fig5, ...).\n"
        "# paper_choices: true analyses matched data as the paper did (unconditional ORs for 1:1\n"
        "# pairs, Pearson chi2 for binary rows, a p for matching variables); false: the matched\n"
        "# analyses (conditional logit, McNemar / conditional score tests, 'matched').",
    }
    for section, keys in SECTIONS.items():
        if not isinstance(keys, dict):
            continue
        lines += [comments[section], f"[{section}]"]
        lines += [f"{k} = {_toml(v[name])}" for k, name in keys.items()]
        lines += [""]
    if extra:
        lines += ["# Labels and units of other variables"]
        for name, spec in extra.items():
            lines += [f"[variables.{_key(name)}]"] + [f"{k} = {_toml(s)}" for k, s in spec.items()]
    if config.mapping:
        from ..data.wide import ColumnMapping

        lines += ["", ColumnMapping.from_dict(config.mapping).to_toml()]
    return "\n".join(lines).rstrip() + "\n"


def _file_key(name: str) -> str:
    """Where a field lives in the study file, e.g. ``[odds_ratios] model``."""
    for section, keys in SECTIONS.items():
        if isinstance(keys, dict):
            for key, field_name in keys.items():
                if field_name == name:
                    return f"study file: [{section}] {key}"
    return f"study file: {name}"
