"""The study file: every analysis choice of :func:`~ovcfstats.analyze` in one TOML file.

``ovcfstats init study.toml`` writes a commented template whose values reproduce the paper;
a researcher edits it instead of code and runs ``ovcfstats analyze DATA --study study.toml``.
:class:`StudyConfig` holds the same choices in Python (``StudyConfig.from_toml(path)``).

Unknown keys are errors naming the key and the closest valid one, so that a typo
(``calliper``) never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .._validate import DataError
from ..data._patient_codes import COMORBIDITIES
from ..data.schema import INDICATORS, LABELS
from ..present._format import VARIABLES
from ._checks import check_values, is_number, shown
from ._file import (
    NONE_WORDS,
    SECTIONS,
    VARIABLE_KEYS,
    _check_keys,
    _file_key,
    _from_toml_value,
    _indicators,
    _ranges,
    _render,
    _unknown,
)

#: what each choice means, printed beside its value in the report
CHOICES = {
    "indicators": "the indicators analysed (Tables 1–3, ORs, ROC)",
    "caliper": "matching caliper: years of age, or the largest difference per variable",
    "exact": "variables a case and its controls must share",
    "ratio": "controls per case (1:k matching)",
    "method": "matching method: optimal (fewest unmatched, then least total age distance), "
    "nearest (greedy) or random (SPSS-style)",
    "seed": "seed of random matching",
    "or_per": "OR scale: unit, sd (per SD in the analysed sample) or a number",
    "or_model": "separate (one model per indicator) or joint (all indicators in one model)",
    "conditional": "conditional logistic regression on the matched sets (auto: yes, unless "
    "paper_choices for 1:1 pairs)",
    "or_ci": "OR CI: wald or profile likelihood",
    "or_method": "ml (maximum likelihood) or firth (penalised; finite under separation)",
    "adjust": "covariates of the logistic models",
    "roc_ci": "AUC CI: delong or bootstrap",
    "auc_adjust": "multiple-testing adjustment of the pairwise AUC comparisons",
    "matrix_adjust": "multiple-testing adjustment of the Table 3 p-values",
    "min_vertebrae": "fewest non-fractured vertebrae an average needs",
    "fi_weighting": "FI average: equal (mean of ROI percentages) or area weighted",
    "alpha": "1 − confidence level",
    "agreement": "Bland–Altman limits of agreement and Lin's CCC beside the ICC tables",
    "sample_size": "post-hoc power and sample size at the observed AUCs and ORs",
    "combined": "indicators of a combined logistic model (validated by bootstrap; empty: none)",
    "n_boot": "bootstrap resamples of the combined model's optimism correction",
    "boot_seed": "seed of the combined model's bootstrap and cross-validation",
    "missing_method": "missing values: complete (complete-case) or mice (multiple "
    "imputation, pooled by Rubin's rules)",
    "impute_m": "number of imputations",
    "impute_seed": "seed of the imputations",
    "impute_predictors": "complete columns added as predictors of the imputation models",
    "prevalence": "prevalence of the outcome in the population the indicators are meant for "
    "(PPV/NPV and net benefit; none: not given)",
    "ranges": "plausible ranges overridden for this study (per variable: lowest and highest "
    "value, or off)",
    "contrast_phase": "column holding each patient's contrast phase, for the HU indicator "
    "(none: not used)",
    "contrast_handling": "HU by contrast phase: stratify (Table 1 rows, OR and AUC per phase) "
    "or adjust (the phase as a covariate of the HU model)",
    "paper_choices": "analyses of the paper on matched data (unconditional ORs for 1:1 pairs, "
    "Pearson χ² for binary rows, a p for the matching variables) instead of the matched ones",
    "mapping": "the columns of a wide table mapped to the data contract ([mapping]; "
    "'ovcfstats map' writes it)",
}

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
    prevalence: float | None = 0.1
    missing_method: str = "complete"
    impute_m: int = 20
    impute_seed: int | None = None
    impute_predictors: tuple[str, ...] = ()
    ranges: Mapping[str, Any] = field(default_factory=dict, repr=False)
    mapping: Mapping[str, Any] = field(default_factory=dict, repr=False)
    contrast_phase: str | None = None
    contrast_handling: str = "stratify"
    titles: Mapping[str, str] = field(default_factory=dict, repr=False)
    paper_choices: bool = False

    def __post_init__(self) -> None:
        check_values(self)
        names = ("indicators", "exact", "adjust", "combined", "impute_predictors")
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
                    f"{', '.join(DIRECTIONS)}; got {shown(spec['direction'])}."
                )
        _check_ranges(self.ranges)
        if self.mapping:  # checked and normalised: unknown keys name the closest valid one
            from ..data.wide import ColumnMapping

            object.__setattr__(self, "mapping", ColumnMapping.from_dict(self.mapping).to_dict())
        for name, allowed in OPTIONS.items():
            if getattr(self, name) not in allowed:
                raise DataError(
                    f"StudyConfig(): {name} ({_file_key(name)}) must be one of "
                    f"{', '.join(map(str, allowed))}; got {shown(getattr(self, name))}."
                )
        per = self.or_per
        if not (per in ("unit", "sd") or (is_number(per) and per > 0)):
            raise DataError(
                f"StudyConfig(): or_per ({_file_key('or_per')}) must be 'unit', 'sd' or a "
                f"positive number; got {shown(per)}."
            )
        if not (is_number(self.alpha) and 0 < self.alpha < 1):
            raise DataError(
                f"StudyConfig(): alpha must be between 0 and 1; got {shown(self.alpha)}."
            )
        prevalence = self.prevalence
        if prevalence is not None and not (is_number(prevalence) and 0 < prevalence < 1):
            raise DataError(
                f"StudyConfig(): prevalence ([design] prevalence) must be a number between 0 and "
                f"1, or 'none'; got {self.prevalence!r}."
            )

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
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataError(
                f"{path}: {path.stat().st_size:,} bytes is not a study file (at most "
                f"{MAX_FILE_BYTES:,} bytes); pass the data table as DATA and the study file "
                "with --study."
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise DataError(f"{path}: not a valid TOML study file ({err}).") from err
        except RecursionError:
            raise DataError(
                f"{path}: not a valid study file: lists or tables nested too deeply (a study "
                "file needs at most a list of names or of two numbers)."
            ) from None
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
                more = _indicators(data[key], "variables")["variables"]
                kwargs["variables"] = {**more, **kwargs.get("variables", {})}
            else:
                kwargs[target] = _from_toml_value(target, data[key])
        return cls(**kwargs)

    def to_toml(self) -> str:
        """The study file of this config, commented (``from_toml`` reads it back equal)."""
        return _render(self)


#: a study file is a page of settings; anything larger is the wrong file
MAX_FILE_BYTES = 1_000_000

#: the allowed values of the choice-like settings
OPTIONS: dict[str, tuple[Any, ...]] = {
    "method": ("optimal", "nearest", "random"),
    "or_model": ("separate", "joint"),
    "or_ci": ("wald", "profile"),
    "or_method": ("ml", "firth"),
    "roc_ci": ("delong", "bootstrap"),
    "fi_weighting": ("equal", "area"),
    "conditional": (None, True, False),
    "contrast_handling": ("stratify", "adjust"),
    "missing_method": ("complete", "mice"),
}


def _check_ranges(ranges: Mapping[str, Any]) -> None:
    from ..data._ranges import RANGES, resolve_ranges

    unknown = sorted(set(ranges) - set(RANGES))
    if unknown:
        raise DataError(_unknown("StudyConfig", "[ranges]", unknown, RANGES))
    try:
        resolve_ranges(ranges, "StudyConfig")
    except ValueError as err:
        raise DataError(f"study file [ranges]: {err}") from None


def _replace(config: StudyConfig, **changes: Any) -> StudyConfig:
    values = {f.name: getattr(config, f.name) for f in fields(config)}
    values.update(changes)
    return StudyConfig(**values)


def template() -> str:
    """The commented study file with the paper's defaults (what ``ovcfstats init`` writes).

    Examples
    --------
    >>> from ovcfstats.study.config import template
    >>> template().splitlines()[0]
    '# ovcfstats study file. Edit the values, keep the keys; run:'
    """
    return StudyConfig().to_toml()


#: what the paper says of a choice, in the paper's own report (:func:`~ovcfstats.reproduce`)
PAPER_NOTES = {
    "caliper": " (the paper does not state one)",
    "adjust": " (the paper: age, sex and BMI)",
}


def settings_table(config: StudyConfig, paper: bool = False) -> list[tuple[str, str, str]]:
    """(setting, value, meaning) rows for the report; ``paper`` adds what the paper says."""
    values = asdict(config)
    shown = {k: NONE_WORDS.get(k, v) if v is None else v for k, v in values.items()}
    notes = PAPER_NOTES if paper else {}
    rows = [
        (k, repr(shown[k]), CHOICES[k] + notes.get(k, "")) for k in CHOICES if k != "mapping"
    ]
    if config.mapping:
        columns = config.mapping.get("columns", {})
        rows.append(("mapping", f"{len(columns)} columns", CHOICES["mapping"]))
    return rows
