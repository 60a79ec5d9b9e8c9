"""Every value of :class:`~ovcfstats.StudyConfig` checked for its type and range before any step.

A wrong type or an out-of-range number in a study file (``decimals = 1e9``, ``ratio = 10**18``,
``exact = 5``) is one :class:`~ovcfstats.DataError` naming the setting, where it lives in the
study file, the allowed values and what was given, never a traceback deep inside a step.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Iterable, Mapping
from typing import Any

from .._validate import DataError
from ..correlation.spearman import ADJUST_METHODS
from ..data.schema import VERTEBRAE
from ..table1._rows import CATEGORICAL_TESTS, CONTINUOUS_TESTS
from ._file import _file_key

#: whole-number settings: field -> (lowest, highest, what the number counts)
WHOLE = {
    "ratio": (1, 20, "controls per case"),
    "n_boot": (10, 10_000, "bootstrap resamples"),
    "impute_m": (2, 500, "imputations"),
    "min_vertebrae": (1, len(VERTEBRAE), f"non-fractured vertebrae of {'–'.join(VERTEBRAE[::3])}"),
}
#: decimals shown for a variable in the report
DECIMALS = (0, 10)
#: seeds: numpy accepts any whole number ≥ 0; TOML integers end at 2**63 − 1
SEED_MAX = 2**63 - 1
#: settings that list column names
NAME_LISTS = ("indicators", "exact", "adjust", "combined", "table1", "impute_predictors")
#: settings that are yes/no
FLAGS = ("agreement", "sample_size", "paper_choices")
#: settings holding one text (or none)
TEXTS = ("title", "audit", "matched_by", "contrast_phase")
#: the tests Table 1 knows
TESTS = CONTINUOUS_TESTS + CATEGORICAL_TESTS

_short = reprlib.Repr()
_short.maxstring, _short.maxother, _short.maxlevel = 60, 60, 3


def shown(value: Any) -> str:
    """A short, safe ``repr`` of a given value (long or deeply nested values cut).

    Examples
    --------
    >>> from ovcfstats.study._checks import shown
    >>> shown([[[[1]]]])
    '[[[[...]]]]'
    """
    return _short.repr(value)


def _key(name: str) -> str:
    """``"ratio ([matching] ratio in the study file)"``; top-level keys are their own name."""
    where = _file_key(name).removeprefix("study file: ")
    return name if where == name else f"{name} ({where} in the study file)"


def _fail(name: str, wanted: str, value: Any) -> DataError:
    return DataError(f"StudyConfig(): {_key(name)} must be {wanted}; got {shown(value)}.")


def is_whole(value: Any) -> bool:
    """An integer that is not ``True``/``False`` (numpy integers count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite real number that is not ``True``/``False``."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def check_values(config: Any) -> None:
    """Raise one :class:`DataError` for the first setting of ``config`` of a wrong type/range.

    Runs before any conversion, so that e.g. ``exact = 5`` is named rather than failing in
    ``tuple(5)``.

    Examples
    --------
    >>> from ovcfstats import DataError, StudyConfig
    >>> try:
    ...     StudyConfig(ratio=10**18)
    ... except DataError as err:
    ...     print(err)  # doctest: +NORMALIZE_WHITESPACE
    StudyConfig(): ratio ([matching] ratio in the study file) must be a whole number from 1 to
    20 (controls per case); got 1000000000000000000.
    """
    for name in NAME_LISTS:
        _names(name, getattr(config, name), optional=name == "table1")
    _whole_numbers(config)
    for name in ("seed", "boot_seed", "impute_seed"):
        value = getattr(config, name)
        if value is not None and not (is_whole(value) and 0 <= value <= SEED_MAX):
            raise _fail(name, "a whole number ≥ 0 or 'none' (drawn for the run)", value)
    for name in FLAGS:
        if not isinstance(getattr(config, name), bool):
            raise _fail(name, "true or false", getattr(config, name))
    for name in TEXTS:
        value = getattr(config, name)
        if value is not None and not isinstance(value, str):
            raise _fail(name, "a text in quotes", value)
    for name in ("auc_adjust", "matrix_adjust"):
        value = getattr(config, name)
        if value is not None and value not in ADJUST_METHODS:
            raise _fail(name, f"'none' or one of {', '.join(ADJUST_METHODS)}", value)
    _caliper(config.caliper)
    _tests(config.tests)
    titles = config.titles
    if not isinstance(titles, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in titles.items()
    ):
        raise _fail("titles", 'a table of section = "heading" ([report.titles])', titles)
    _variables(config.variables, config.indicators)


def _whole_numbers(config: Any) -> None:
    for name, (low, high, what) in WHOLE.items():
        value = getattr(config, name)
        if not (is_whole(value) and low <= value <= high):
            raise _fail(name, f"a whole number from {low} to {high:,} ({what})", value)


def _names(name: str, value: Any, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, str):
        value = [value]
    wanted = "a list of column names in quotes, e.g. [\"sex\"] ([] for none)"
    if isinstance(value, Mapping | bytes) or not isinstance(value, Iterable):
        raise _fail(name, wanted, value)
    items = list(value)
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise _fail(name, wanted, value)


def _caliper(caliper: Any) -> None:
    wanted = "a positive number of years, or a table of variable = positive number"
    if isinstance(caliper, Mapping):
        for var, width in caliper.items():
            if not isinstance(var, str) or not (is_number(width) and width > 0):
                raise _fail("caliper", wanted, {var: width})
    elif not (is_number(caliper) and caliper > 0):
        raise _fail("caliper", wanted, caliper)


def _tests(tests: Any) -> None:
    wanted = f"a table of variable = test, the tests: {', '.join(TESTS)}"
    if not isinstance(tests, Mapping):
        raise _fail("tests", wanted, tests)
    for var, test in tests.items():
        if not isinstance(var, str) or test not in TESTS:
            raise _fail("tests", wanted, {var: test})


def _variables(variables: Any, indicators: Any) -> None:
    if not isinstance(variables, Mapping):
        raise _fail("variables", "a table of [variables.NAME] tables", variables)
    indicators = set(indicators) if isinstance(indicators, Iterable) else set()
    low, high = DECIMALS
    wanted = {
        "label": ("a text in quotes", lambda v: isinstance(v, str)),
        "unit": ("a text in quotes", lambda v: isinstance(v, str)),
        "column": ("a column name in quotes", lambda v: isinstance(v, str) and v.strip()),
        "decimals": (
            f"a whole number from {low} to {high}",
            lambda v: is_whole(v) and low <= v <= high,
        ),
    }
    for name, spec in variables.items():
        section = "indicators" if name in indicators else "variables"
        if not isinstance(spec, Mapping):
            raise DataError(
                f"StudyConfig(): variables.{name} ([{section}.{name}] in the study file) must "
                f"be a table of label, unit, decimals, direction and column; got {shown(spec)}."
            )
        for key, (what, ok) in wanted.items():
            if key in spec and not ok(spec[key]):
                raise DataError(
                    f"StudyConfig(): variables.{name}.{key} ([{section}.{name}] {key} in the "
                    f"study file) must be {what}; got {shown(spec[key])}."
                )
