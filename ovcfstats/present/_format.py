"""Numbers, labels and units as journals print them; result tables keep the raw values.

One formatting layer for every renderer (HTML, Markdown, Word, ``summary()``, Jupyter):

- :data:`VARIABLES`: label, unit and decimals of the study's variables; a study can override any
  of them with a mapping ``{column: {"label": ..., "unit": ..., "decimals": ...}}``
  (:func:`variable_info` merges the two);
- :class:`Style`: the variables and the p-value style (:data:`P_STYLES`) of one rendering;
- cell formatters: :func:`format_p`, :func:`format_number`, :func:`format_estimate_ci`,
  :func:`format_mean_sd`, :func:`format_count_pct`.

A minus is printed as "−" (U+2212) and a CI with a negative bound as "a to b": a hyphen or an en
dash beside a minus sign is misread, and Word never breaks a line at U+2212.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MINUS = "\u2212"

#: label, unit and decimals (of means, SDs and the like) of the paper's variables
VARIABLES: dict[str, dict[str, Any]] = {
    "age": {"label": "Age", "unit": "years", "decimals": 1},
    "sex": {"label": "Sex", "unit": "", "decimals": 0},
    "bmi": {"label": "BMI", "unit": "kg/m²", "decimals": 1},
    "hypertension": {"label": "Hypertension", "unit": "", "decimals": 0},
    "diabetes": {"label": "Diabetes", "unit": "", "decimals": 0},
    "hyperlipidemia": {"label": "Hyperlipidemia", "unit": "", "decimals": 0},
    "fracture_level": {"label": "Fracture level", "unit": "", "decimals": 0},
    "t_score": {"label": "T-score", "unit": "", "decimals": 2},
    "hu": {"label": "HU", "unit": "HU", "decimals": 1},
    "vbq": {"label": "VBQ", "unit": "", "decimals": 2},
    "rcsa": {"label": "rCSA", "unit": "", "decimals": 2},
    "fi": {"label": "FI", "unit": "%", "decimals": 1},
    # the raw readings of the reliability study
    "si_vertebra": {"label": "Vertebral SI (MRI)", "unit": "", "decimals": 1},
    "si_csf": {"label": "CSF SI (MRI)", "unit": "", "decimals": 1},
    "csa_muscle": {"label": "Muscle CSA (MRI)", "unit": "mm²", "decimals": 1},
    "csa_disc": {"label": "Disc CSA (MRI)", "unit": "mm²", "decimals": 1},
    "fat_fraction": {"label": "Muscle fat fraction", "unit": "%", "decimals": 1},
}

#: level labels of categorical variables
LEVELS: dict[tuple[str, str], str] = {
    ("sex", "F"): "Female",
    ("sex", "M"): "Male",
}

P_STYLES = {
    "default": "“< 0.001” below a thousandth, else 3 decimals",
    "nejm": "“< 0.001”; 3 decimals below 0.01, else 2 (NEJM)",
    "apa": "no leading zero: “< .001”, else 3 decimals (APA)",
    "exact": "3 significant digits, scientific notation below 0.001",
}


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 exclusion``, ``2 exclusions``; ``words`` for an irregular plural.

    Examples
    --------
    >>> plural(1, "unmatched case"), plural(3, "exclusion"), plural(2, "match", "matches")
    ('1 unmatched case', '3 exclusions', '2 matches')
    """
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


#: the study's variables while a report draws its figures (:func:`drawing_with`)
_DRAWING: ContextVar[Mapping[str, Mapping[str, Any]] | None] = ContextVar("variables", default=None)


@contextmanager
def drawing_with(variables: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """Within the block every :class:`Style` (figures too) knows the study's ``variables``.

    A figure is drawn by its result's ``plot()``, which knows no report; the report draws it
    inside this block so that its labels, units and decimals are the study's.

    Examples
    --------
    >>> with drawing_with({"tbs": {"label": "TBS"}}):
    ...     Style().label("tbs")
    'TBS'
    >>> Style().label("tbs")
    'tbs'
    """
    token = _DRAWING.set(dict(variables))
    try:
        yield
    finally:
        _DRAWING.reset(token)


def variable_info(variables: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict]:
    """The defaults of :data:`VARIABLES` updated, per key, by ``variables``.

    Examples
    --------
    >>> info = variable_info({"hu": {"decimals": 0}, "crp": {"label": "CRP", "unit": "mg/L"}})
    >>> info["hu"]["label"], info["hu"]["decimals"], info["crp"]["decimals"]
    ('HU', 0, 2)
    """
    merged = {name: dict(spec) for name, spec in VARIABLES.items()}
    for name, spec in {**(_DRAWING.get() or {}), **dict(variables or {})}.items():
        unknown = set(spec) - {"label", "unit", "decimals"}
        if unknown:
            raise ValueError(
                f"variables[{name!r}]: unknown keys {sorted(unknown)}; "
                "use 'label', 'unit' and 'decimals'."
            )
        base = merged.get(name, {"label": name, "unit": "", "decimals": 2})
        merged[name] = {**base, **spec}
    return merged


@dataclass(frozen=True)
class Style:
    """How one rendering prints: the variables' labels/units/decimals and the p style.

    Examples
    --------
    >>> s = Style(p_style="apa")
    >>> s.p(0.0123), s.label("bmi"), s.heading("bmi")
    ('.012', 'BMI', 'BMI, kg/m²')
    """

    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    p_style: str = "default"

    def __post_init__(self) -> None:
        if self.p_style not in P_STYLES:
            raise ValueError(f"`p_style` must be one of {list(P_STYLES)}; got {self.p_style!r}.")
        object.__setattr__(self, "_info", variable_info(self.variables))

    def info(self, name: str) -> dict[str, Any]:
        """Label, unit and decimals of ``name`` (the name itself and 2 decimals if unknown)."""
        return self._info.get(name, {"label": name, "unit": "", "decimals": 2})  # type: ignore[attr-defined]

    def known(self, name: str) -> bool:
        """Whether ``name`` has a label (a default or the study's)."""
        return name in self._info  # type: ignore[attr-defined]

    def label(self, name: str) -> str:
        """The display label of a variable."""
        return str(self.info(name)["label"])

    def heading(self, name: str) -> str:
        """Label with its unit, as a table row or axis shows it: ``BMI, kg/m²``."""
        info = self.info(name)
        unit = info["unit"]
        return f"{info['label']}, {unit}" if unit and unit != info["label"] else info["label"]

    def decimals(self, name: str) -> int:
        """The decimals of a variable's means and SDs."""
        return int(self.info(name)["decimals"])

    def level(self, name: str, level: Any) -> str:
        """The label of one level of a categorical variable."""
        return LEVELS.get((name, str(level)), str(level))

    def p(self, p: Any) -> str:
        """A p-value in this style."""
        return format_p(p, self.p_style)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x)) or x is pd.NA


def format_p(p: Any, style: str = "default") -> str:
    """A p-value in a journal style (:data:`P_STYLES`); blanks stay blank.

    Examples
    --------
    >>> [format_p(p) for p in (0.0004, 0.0123, 0.5)]
    ['< 0.001', '0.012', '0.500']
    >>> [format_p(p, "nejm") for p in (0.0004, 0.0056, 0.5)]
    ['< 0.001', '0.006', '0.50']
    >>> format_p(5.28e-56, "exact")
    '5.28 × 10^−56'
    """
    if _missing(p):
        return ""
    p = float(p)
    if style == "exact":
        if p >= 0.001:
            return f"{p:.3g}" if p < 0.9995 else "1.00"
        mantissa, exponent = f"{p:.2e}".split("e")
        return f"{mantissa} × 10^{MINUS}{int(exponent[1:])}"
    if p < 0.001:
        return "< .001" if style == "apa" else "< 0.001"
    text = f"{p:.2f}" if style == "nejm" and p >= 0.01 else f"{p:.3f}"
    return text[1:] if style == "apa" and text.startswith("0") else text


def format_number(x: Any, decimals: int) -> str:
    """A number with fixed decimals and a true minus sign; blanks stay blank.

    Examples
    --------
    >>> format_number(-1.2345, 2), format_number(float("inf"), 2), format_number(None, 2)
    ('−1.23', '∞', '')
    >>> format_number(6.573e37, 2)
    '6.57 × 10^37'
    """
    if _missing(x):
        return ""
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else f"{MINUS}∞"
    if abs(x) >= 1e6:  # an OR under separation: 6.57 × 10^37, not 38 digits
        mantissa, exponent = f"{x:.2e}".split("e")
        return f"{mantissa} × 10^{int(exponent)}".replace("-", MINUS)
    text = f"{x:.{decimals}f}"
    if text.startswith("-"):
        # −0.00 is printed as 0.00
        text = text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def format_estimate_ci(est: Any, low: Any, high: Any, decimals: int) -> str:
    """``est (low–high)``; ``est (low to high)`` when a bound is negative.

    Examples
    --------
    >>> format_estimate_ci(0.3393, 0.2211, 0.5206, 2)
    '0.34 (0.22–0.52)'
    >>> format_estimate_ci(-0.448, -0.570, -0.306, 3)
    '−0.448 (−0.570 to −0.306)'
    """
    if _missing(est):
        return ""
    e = format_number(est, decimals)
    if _missing(low) or _missing(high):
        return e
    sep = " to " if min(float(low), float(high)) < 0 else "–"
    return f"{e} ({format_number(low, decimals)}{sep}{format_number(high, decimals)})"


def format_mean_sd(mean: Any, sd: Any, decimals: int) -> str:
    """``mean ± SD``.

    Examples
    --------
    >>> format_mean_sd(72.2692, 10.4654, 1)
    '72.3 ± 10.5'
    """
    if _missing(mean):
        return ""
    return f"{format_number(mean, decimals)} ± {format_number(sd, decimals)}"


def format_count_pct(count: Any, pct: Any) -> str:
    """``n (%)`` with one decimal of the percentage.

    Examples
    --------
    >>> format_count_pct(50.0, 64.10256)
    '50 (64.1)'
    """
    if _missing(count):
        return ""
    return f"{round(float(count))} ({format_number(pct, 1)})"


def format_setting(value: Any, style: Style | None = None) -> str:
    """A setting in words: no quotes, ``none``, ``yes``/``no``, lists joined by commas.

    Strings holding a Python literal (``"'optimal'"``, ``"('age', 'sex')"``) are read first.

    Examples
    --------
    >>> format_setting("('age', 'sex', 'bmi')", Style()), format_setting(None), format_setting(True)
    ('Age, Sex, BMI', 'none', 'yes')
    """
    if isinstance(value, str):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return _name(value, style)
        if isinstance(parsed, str):
            return parsed
        return format_setting(parsed, style)
    if value is None:
        return "none"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{_name(k, style)}: {format_setting(v, style)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(format_setting(v, style) for v in value) if value else "none"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return _name(value, style)


def _name(value: Any, style: Style | None) -> str:
    text = str(value)
    return style.label(text) if style is not None and style.known(text) else text


_NUMERIC_CHARS = set("0123456789.,:()<>=≥≤+-−–±%*×^∞/ \u00a0")
_NUMERIC_WORDS = re.compile(r"\b(to|SD|e|n|p)\b")


def is_numeric_cell(text: str) -> bool:
    """Whether a formatted cell is a number (or numbers: CI, mean ± SD, n (%), p, df).

    Renderers keep such a cell on one line; other text may wrap between words.

    Examples
    --------
    >>> [is_numeric_cell(t) for t in ("−0.448 (−0.570 to −0.306)", "< 0.001", "Age, years")]
    [True, True, False]
    """
    stripped = _NUMERIC_WORDS.sub("", text)
    return any(c.isdigit() for c in stripped) and set(stripped) <= _NUMERIC_CHARS


def is_numeric_column(values: list[str]) -> bool:
    """Whether a column of formatted cells is right-aligned: at least half its non-empty cells
    are numbers (:func:`is_numeric_cell`)."""
    shown = [v for v in values if v]
    return bool(shown) and sum(map(is_numeric_cell, shown)) >= len(shown) / 2


# -- generic tables (results with no dedicated layout) ------------------------------------------
THREE_DECIMALS = ("rho", "auc", "icc", "sensitivity", "specificity", "se", "smd", "youden", "diff")
TWO_DECIMALS = ("or", "mean", "sd", "median", "q1", "q3", "statistic", "chi2", "z", "F", "t")
INTEGER = ("n", "count", "events", "pair_id")


def _rule(column: str) -> str:
    name = column.lower()
    parts = name.split("_")
    if name == "p" or parts[0] == "p" or parts[-1] == "p":
        return "p"
    if name in ("df", "df1", "df2"):
        return "df"
    if name in INTEGER or name.startswith(("n_", "count_")):
        return "int"
    if "pct" in parts or "percent" in parts:
        return "1"
    if parts[0] == "or":
        return "2"
    if any(p in THREE_DECIMALS for p in parts) or name.startswith(("sens_", "spec_")):
        return "3"
    if any(p.lower() in TWO_DECIMALS for p in parts):
        return "2"
    return "g"


def format_value(value: Any, rule: str, p_style: str = "default") -> str:
    """One cell by rule ("p", "int", "df", "1", "2", "3", "g")."""
    if _missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    x = float(value)
    if rule == "p":
        return format_p(x, p_style)
    if rule == "int" or (rule == "df" and x.is_integer()):
        return format_number(x, 0)
    if rule == "df":
        return format_number(x, 1)
    if rule == "g":
        return f"{x:.4g}".replace("-", MINUS)
    return format_number(x, int(rule))


def format_table(table: pd.DataFrame, p_style: str = "default") -> pd.DataFrame:
    """A copy of ``table`` with every cell as text, by column name.

    p-values in ``p_style``; ORs two decimals; ρ, AUC, ICC, sensitivities, specificities three;
    counts as integers; ``ci_low``/``ci_high`` as the statistic they belong to; anything else
    four significant digits.

    Examples
    --------
    >>> frame = pd.DataFrame({"auc": [0.8712], "ci_low": [0.81], "p": [1e-9]})
    >>> format_table(frame).iloc[0].tolist()
    ['0.871', '0.810', '< 0.001']
    """
    out = pd.DataFrame(index=table.index)
    ci_rule = "2" if "or" in table.columns else "3" if {"rho", "auc", "icc"} & set(table) else "g"
    for column in table.columns:
        rule = ci_rule if column in ("ci_low", "ci_high") else _rule(str(column))
        out[column] = [format_value(v, rule, p_style) for v in table[column].tolist()]
    return out


_MD_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_MD_LINE = re.compile(r"\s*[\r\n]+\s*")


def markdown_text(text: Any, *, link: bool = False) -> str:
    """``text`` as Markdown that shows the text and nothing else, as the HTML escapes it.

    No raw HTML or autolink passes (``<`` before a letter, ``/``, ``!`` or ``?`` is ``&lt;``),
    an entity shows as written, a line break is a space (so a title cannot start a heading),
    a leading ``#`` or ``>`` is literal, and no link can be formed (``](`` is escaped; with
    ``link=True``, for the text of a link we make, every bracket is). Backslashes are doubled
    first, so an escape cannot be undone.

    Examples
    --------
    >>> markdown_text("<script>alert(1)</script> p < 0.05 & 1")
    '&lt;script>alert(1)&lt;/script> p < 0.05 & 1'
    >>> markdown_text("Title\\n# forged")
    'Title # forged'
    >>> markdown_text("# x"), markdown_text("[a](javascript:x)"), markdown_text("[1]", link=True)
    ('\\\\# x', '[a\\\\](javascript:x)', '\\\\[1\\\\]')
    """
    out = str(text).replace("\\", "\\\\")
    out = _MD_LINE.sub(" ", out)
    out = _MD_ENTITY.sub("&amp;", out)
    out = _MD_TAG.sub("&lt;", out)
    out = re.sub(r"[\[\]]", lambda m: "\\" + m.group(0), out) if link else out.replace("](", "\\](")
    return "\\" + out if out.startswith(("#", ">")) else out


def markdown_table(table: pd.DataFrame) -> str:
    """A GitHub-flavoured pipe table: number columns right-aligned, text columns left.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"Indicator": ["VBQ"], "p": ["< 0.001"]})))
    | Indicator | p |
    |:---|---:|
    | VBQ | < 0.001 |
    """
    cells = table.astype(str).map(lambda s: markdown_text(s).replace("|", "\\|"))
    header = "| " + " | ".join(markdown_text(c).replace("|", "\\|") for c in table.columns) + " |"
    right = [
        j > 0 and sum(map(is_numeric_cell, cells[c])) >= max(1, len(cells)) / 2
        for j, c in enumerate(cells.columns)
    ]
    rule = "|" + "|".join("---:" if r else ":---" for r in right) + "|"
    rows = ["| " + " | ".join(row) + " |" for row in cells.to_numpy().tolist()]
    return "\n".join([header, rule, *rows])
