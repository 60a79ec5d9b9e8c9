"""The study file: every analysis choice of :func:`~ovcfstats.analyze` in one TOML file.

``ovcfstats init study.toml`` writes a commented template whose values reproduce the paper;
a researcher edits it instead of code and runs ``ovcfstats analyze DATA --study study.toml``.
:class:`StudyConfig` holds the same choices in Python (``StudyConfig.from_toml(path)``).

Unknown keys are errors naming the key and the closest valid one, so that a typo
(``calliper``) never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ._format import VARIABLES
from ._validate import DataError
from .schema import COMORBIDITIES, INDICATORS, LABELS

#: what each choice means, printed beside its value in the report
CHOICES = {
    "indicators": "the indicators analysed (Tables 1–3, ORs, ROC)",
    "caliper": "matching caliper: years of age (the paper does not state one), or variable -> "
    "maximum difference",
    "exact": "variables a case and its controls must share",
    "ratio": "controls per case (1:k matching)",
    "method": "matching method: optimal (fewest unmatched, then least total age distance), "
    "nearest (greedy) or random (SPSS-style)",
    "seed": "seed of random matching",
    "or_per": "OR scale: 'unit', 'sd' (per SD in the analysed sample) or a number",
    "or_model": "'separate' (one model per indicator) or 'joint' (all indicators in one model)",
    "conditional": "conditional logistic regression on the matched sets (auto: only for 1:k)",
    "or_ci": "OR CI: 'wald' or 'profile' likelihood",
    "or_method": "'ml' (maximum likelihood) or 'firth' (penalised; finite under separation)",
    "adjust": "covariates of the logistic models (the paper: age, sex and BMI)",
    "roc_ci": "AUC CI: 'delong' or 'bootstrap'",
    "auc_adjust": "multiple-testing adjustment of the pairwise AUC comparisons",
    "matrix_adjust": "multiple-testing adjustment of the Table 3 p-values",
    "min_vertebrae": "fewest non-fractured vertebrae an average needs",
    "fi_weighting": "FI average: 'equal' (mean of ROI percentages) or 'area' weighted",
    "alpha": "1 − confidence level",
    "agreement": "Bland–Altman limits of agreement and Lin's CCC beside the ICC tables",
    "sample_size": "post-hoc power and sample size at the observed AUCs and ORs",
    "combined": "indicators of a combined logistic model (validated by bootstrap; empty: none)",
    "n_boot": "bootstrap resamples of the combined model's optimism correction",
    "boot_seed": "seed of the combined model's bootstrap and cross-validation",
    "ranges": "plausible ranges overridden for this study (name -> [low, high], or 'off')",
}

VARIABLE_KEYS = ("column", "label", "unit", "decimals", "direction")
DIRECTIONS = ("auto", "higher", "lower")


def _variable(name: str, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report's defaults for ``name`` (label, unit, decimals), then what the file gives."""
    shown = VARIABLES.get(name, {"label": LABELS.get(name, name), "unit": "", "decimals": 2})
    base = {"column": name, **shown, "direction": "auto"}
    base.update(dict(given or {}))
    return base


@dataclass(frozen=True)
class StudyConfig:
    """The analysis choices of :func:`~ovcfstats.analyze`; the defaults reproduce the paper.

    ``caliper`` is the age caliper in years, or a mapping variable -> width. ``indicators``
    are the analysed columns; ``variables`` maps a name to its ``label``, ``unit``,
    ``decimals``, expected ``direction`` in cases (``"higher"``, ``"lower"`` or ``"auto"``) and
    the ``column`` of the input table holding it. ``table1`` ``None`` means age, sex, BMI,
    the comorbidities present and the indicators. ``conditional`` ``None`` fits conditional
    logistic regression for 1:k sets (k > 1) and the paper's unconditional model for pairs.

    Examples
    --------
    >>> from ovcfstats import StudyConfig
    >>> StudyConfig(caliper=1.0).caliper
    1.0
    >>> cfg = StudyConfig(indicators=("hu", "tbs"), variables={"tbs": {"label": "TBS"}})
    >>> cfg.variable("tbs")["label"], cfg.variable("hu")["unit"]
    ('TBS', 'HU')
    """

    indicators: tuple[str, ...] = INDICATORS
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    caliper: float | Mapping[str, float] = 2.0
    exact: tuple[str, ...] = ("sex",)
    ratio: int = 1
    method: str = "optimal"
    seed: int | None = None
    matched_by: str | None = None
    or_per: str | float = "sd"
    or_model: str = "separate"
    conditional: bool | None = None
    or_ci: str = "wald"
    or_method: str = "ml"
    adjust: tuple[str, ...] = ("age", "sex", "bmi")
    roc_ci: str = "delong"
    auc_adjust: str | None = "holm"
    matrix_adjust: str | None = None
    min_vertebrae: int = 2
    fi_weighting: str = "equal"
    alpha: float = 0.05
    table1: tuple[str, ...] | None = field(default=None, repr=False)
    tests: Mapping[str, str] = field(default_factory=dict, repr=False)
    title: str | None = None
    audit: str | None = None
    agreement: bool = True
    sample_size: bool = False
    combined: tuple[str, ...] = ()
    n_boot: int = 200
    boot_seed: int | None = 1
    ranges: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        names = ("indicators", "exact", "adjust", "combined")
        for name in names + (("table1",) if self.table1 else ()):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))
        given = {str(k): dict(v) for k, v in self.variables.items()}
        names = dict.fromkeys([*self.indicators, *given])
        object.__setattr__(self, "variables", {n: _variable(n, given.get(n)) for n in names})
        if isinstance(self.caliper, Mapping) and set(self.caliper) == {"age"}:
            object.__setattr__(self, "caliper", float(self.caliper["age"]))
        for name, spec in self.variables.items():
            unknown = set(spec) - set(VARIABLE_KEYS)
            if unknown:
                where = f"variables.{name}"
                raise DataError(_unknown("StudyConfig", where, unknown, VARIABLE_KEYS))
            if spec.get("direction", "auto") not in DIRECTIONS:
                raise DataError(
                    f"StudyConfig(): variables.{name}.direction must be one of "
                    f"{', '.join(DIRECTIONS)}; got {spec['direction']!r}."
                )
        _check_ranges(self.ranges)
        if not isinstance(self.n_boot, int) or isinstance(self.n_boot, bool) or self.n_boot < 10:
            raise DataError(
                f"StudyConfig(): n_boot ([design] n_boot) must be a whole number ≥ 10; got "
                f"{self.n_boot!r}."
            )
        if not isinstance(self.ratio, int) or self.ratio < 1:
            raise DataError(f"StudyConfig(): ratio must be a whole number ≥ 1; got {self.ratio!r}.")
        for name, allowed in OPTIONS.items():
            if getattr(self, name) not in allowed:
                raise DataError(
                    f"StudyConfig(): {name} ({_file_key(name)}) must be one of "
                    f"{', '.join(map(str, allowed))}; got {getattr(self, name)!r}."
                )
        per = self.or_per
        if not (per in ("unit", "sd") or (_number(per) and per > 0)):
            raise DataError(
                f"StudyConfig(): or_per ({_file_key('or_per')}) must be 'unit', 'sd' or a "
                f"positive number; got {per!r}."
            )
        if not (_number(self.alpha) and 0 < self.alpha < 1):
            raise DataError(f"StudyConfig(): alpha must be between 0 and 1; got {self.alpha!r}.")

    # -- derived -------------------------------------------------------------------------------
    def variable(self, name: str) -> dict[str, Any]:
        """``column``, ``label``, ``unit``, ``decimals`` and ``direction`` of one variable."""
        return dict(self.variables.get(name) or _variable(name))

    @property
    def labels(self) -> dict[str, dict[str, Any]]:
        """Every indicator and covariate -> its label, unit, decimals, direction and column."""
        names = dict.fromkeys(["age", "bmi", *self.indicators, *self.variables])
        return {name: self.variable(name) for name in names}

    @property
    def calipers(self) -> dict[str, float]:
        """The calipers as a mapping (a number is the age caliper)."""
        if isinstance(self.caliper, Mapping):
            return {str(k): float(v) for k, v in self.caliper.items()}
        return {"age": float(self.caliper)}

    def table1_variables(self, columns: Any) -> list[str]:
        """The Table 1 variables present in ``columns``."""
        wanted = self.table1 or ("age", "sex", "bmi", *COMORBIDITIES, *self.indicators)
        return [v for v in dict.fromkeys(wanted) if v in set(columns)]

    def directions(self) -> str | dict[str, str]:
        """ROC directions: ``"auto"``, or indicator -> expected side when any is stated."""
        stated = {i: self.variable(i)["direction"] for i in self.indicators}
        if all(d == "auto" for d in stated.values()):
            return "auto"
        return stated

    # -- files ---------------------------------------------------------------------------------
    @classmethod
    def from_toml(cls, path: str | Path) -> StudyConfig:
        """Load a study file (see ``ovcfstats init``); unknown keys are errors."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"StudyConfig.from_toml(): study file not found: {path}.")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise DataError(f"{path}: not a valid TOML study file ({err}).") from err
        try:
            config = cls.from_dict(data)
        except DataError as err:
            raise DataError(f"{path}: {err}") from err
        if config.audit and not Path(config.audit).is_absolute():
            config = _replace(config, audit=str(path.parent / config.audit))
        return config

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudyConfig:
        """Build from the nested layout of the study file."""
        kwargs: dict[str, Any] = {}
        _check_keys("study file", data, SECTIONS)
        for key, target in SECTIONS.items():
            if key not in data:
                continue
            if isinstance(target, dict):
                section = data[key]
                if not isinstance(section, Mapping):
                    raise DataError(f"study file: [{key}] must be a table of settings.")
                _check_keys(f"[{key}]", section, target)
                for sub, name in target.items():
                    if sub in section:
                        kwargs[name] = _from_toml_value(name, section[sub])
            elif key == "indicators":
                kwargs.update(_indicators(data[key]))
            elif key == "ranges":
                kwargs["ranges"] = _ranges(data[key])
            elif key == "variables":
                more = _indicators(data[key])["variables"]
                kwargs["variables"] = {**more, **kwargs.get("variables", {})}
            else:
                kwargs[target] = _from_toml_value(target, data[key])
        return cls(**kwargs)

    def to_toml(self) -> str:
        """The study file of this config, commented (``from_toml`` reads it back equal)."""
        return _render(self)


#: the allowed values of the choice-like settings
OPTIONS: dict[str, tuple[Any, ...]] = {
    "method": ("optimal", "nearest", "random"),
    "or_model": ("separate", "joint"),
    "or_ci": ("wald", "profile"),
    "or_method": ("ml", "firth"),
    "roc_ci": ("delong", "bootstrap"),
    "fi_weighting": ("equal", "area"),
    "conditional": (None, True, False),
}


def _check_ranges(ranges: Mapping[str, Any]) -> None:
    from .schema import RANGES, resolve_ranges

    unknown = sorted(set(ranges) - set(RANGES))
    if unknown:
        raise DataError(_unknown("StudyConfig", "[ranges]", unknown, RANGES))
    try:
        resolve_ranges(ranges, "StudyConfig")
    except ValueError as err:
        raise DataError(f"study file [ranges]: {err}") from None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _file_key(name: str) -> str:
    """Where a field lives in the study file, e.g. ``[odds_ratios] model``."""
    for section, keys in SECTIONS.items():
        if isinstance(keys, dict):
            for key, field_name in keys.items():
                if field_name == name:
                    return f"study file: [{section}] {key}"
    return f"study file: {name}"


def _replace(config: StudyConfig, **changes: Any) -> StudyConfig:
    values = {f.name: getattr(config, f.name) for f in fields(config)}
    values.update(changes)
    return StudyConfig(**values)


# -- the file layout ---------------------------------------------------------------------------
#: file key -> field, or section -> {file key -> field}
SECTIONS: dict[str, Any] = {
    "title": "title",
    "alpha": "alpha",
    "audit": "audit",
    "ranges": "ranges",
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
    "design": {
        "agreement": "agreement",
        "sample_size": "sample_size",
        "combined": "combined",
        "n_boot": "n_boot",
        "seed": "boot_seed",
    },
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
        raise DataError('study file: ranges is a table, e.g. ranges = { hu = [-1024, 4000] }.')
    return {str(k): None if v == "off" else tuple(v) for k, v in table.items()}


def _indicators(section: Any) -> dict[str, Any]:
    if not isinstance(section, Mapping) or not section:
        raise DataError(
            "study file: [indicators] lists each indicator as [indicators.NAME] with label, unit, "
            "decimals, direction and column."
        )
    variables = {}
    for name, spec in section.items():
        if not isinstance(spec, Mapping):
            raise DataError(f"study file: [indicators.{name}] must be a table (label = ...).")
        _check_keys(f"[indicators.{name}]", spec, dict.fromkeys(VARIABLE_KEYS))
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
        "# plausible ranges to override, e.g. { hu = [-1024, 4000], bmi = \"off\" } (see README)",
        f"ranges = {_toml({k: 'off' if r is None else list(r) for k, r in config.ranges.items()})}",
        "",
        "# One [indicators.NAME] table per indicator, in report order. column: the column of your",
        "# table holding it; direction: expected side in cases (higher, lower or auto).",
    ]
    for name in config.indicators:
        spec = config.variable(name)
        lines += [f"[indicators.{_key(name)}]"]
        lines += [f"{k} = {_toml(spec[k])}" for k in VARIABLE_KEYS]
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
        "design": "# Around the study: Bland–Altman and Lin's CCC beside the ICCs (agreement),\n"
        "# post-hoc power at the observed AUCs/ORs (sample_size), a combined logistic model of\n"
        "# the listed indicators with bootstrap validation (combined; [] for none), its\n"
        "# resamples (n_boot) and seed ('none': drawn).",
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
    return "\n".join(lines).rstrip() + "\n"


def template() -> str:
    """The commented study file with the paper's defaults (what ``ovcfstats init`` writes).

    Examples
    --------
    >>> from ovcfstats.config import template
    >>> template().splitlines()[0]
    '# ovcfstats study file. Edit the values, keep the keys; run:'
    """
    return StudyConfig().to_toml()


def settings_table(config: StudyConfig) -> list[tuple[str, str, str]]:
    """(setting, value, meaning) rows for the report."""
    values = asdict(config)
    shown = {k: NONE_WORDS.get(k, v) if v is None else v for k, v in values.items()}
    return [(k, repr(shown[k]), CHOICES[k]) for k in CHOICES]
