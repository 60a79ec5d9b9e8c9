"""What one column header means: a patient field, an indicator, or one reading of the contract.

:func:`understand` reads the tokens of :mod:`._vocabulary` and returns an entry of the mapping
(``{"field": "age"}``, ``{"indicator": "vbq"}`` or ``{"measure": "hu", "level": "L1",
"rater": "R1", "session": 1}``) with its status: ``recognised``; ``ambiguous`` (several
readings fit: the candidates are listed); ``extra`` (a level outside the study, such as T12 or
L5: kept aside as an extra column); ``invalid`` (a reading that breaks the contract, e.g. a
level no spine has, or a muscle measure without a side); ``unplaced`` (not recognised).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._validate import DataError
from ._vocabulary import tokens
from .schema import DISCS, MEASURES, VERTEBRAE

#: levels of the spine outside the study's: recognised, kept aside as extra columns
EXTRA_LEVELS = (
    *(f"T{i}" for i in range(1, 13)),
    "L5",
    "T12-L1",
    "L5-S1",
)
#: study indicators (one value per patient) by the measure word of a header without a level
INDICATOR_OF = {"t_score": "t_score", "hu": "hu", "fat": "fi"}
READING_KEYS = ("measure", "level", "muscle", "side", "rater", "session")


@dataclass
class Understood:
    """One header read: ``entry`` (mapping entry), ``status``, ``candidates``, ``note``."""

    entry: dict[str, Any]
    status: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def describe(entry: Mapping[str, Any]) -> str:
    """An entry in words: ``"hu × L1 × rater R1 × session 1"``, ``"patient field age"``.

    Examples
    --------
    >>> from ovcfstats.data._understand import describe
    >>> describe({"measure": "csa_muscle", "level": "L1-2", "muscle": "PM", "side": "L",
    ...           "rater": "R1", "session": 1})
    'csa_muscle × L1-2 × PM × L × rater R1 × session 1'
    """
    if "field" in entry:
        return f"patient field {entry['field']}"
    if "indicator" in entry:
        return f"indicator {entry['indicator']}"
    if "measure" not in entry:
        return ""
    parts = [str(entry["measure"]), str(entry.get("level", "?"))]
    parts += [str(entry[k]) for k in ("muscle", "side") if entry.get(k)]
    if entry.get("rater"):
        parts.append(f"rater {entry['rater']}")
    parts.append(f"session {entry.get('session', 1)}")
    return " × ".join(parts)


def _measures(words: set[str], muscle: bool, disc: bool) -> list[str]:
    """The contract measures the measure words can mean."""
    out = []
    if "t_score" in words:
        out.append("t_score")
    if "hu" in words:
        out.append("hu")
    if "csf" in words:
        out.append("si_csf")
    elif "si" in words:
        out.append("si_vertebra")
    if "csa" in words or ("disc" in words and not muscle):
        if muscle:
            out.append("csa_muscle")
        elif "disc" in words or disc:
            out.append("csa_disc")
    if "fat" in words:
        out.append("fat_fraction")
    return out


def _one(found: list[tuple[str, Any]], kind: str) -> list[Any]:
    return list(dict.fromkeys(v for k, v in found if k == kind))


def understand(
    header: Any,
    vocabulary: Mapping[str, tuple[str, Any]] | None = None,
    raters: Mapping[str, str] | None = None,
    context: list[tuple[str, Any]] | None = None,
) -> Understood:
    """Read one header; ``context`` adds tokens of the sheet's name (e.g. its rater).

    Examples
    --------
    >>> from ovcfstats.data._understand import understand
    >>> understand("L2 HU R1").entry
    {'measure': 'hu', 'level': 'L2', 'rater': 'R1', 'session': 1}
    >>> understand("L1 HU T").status, len(understand("L1 HU T").candidates)
    ('ambiguous', 2)
    >>> understand("Geschlecht").entry
    {'field': 'sex'}
    """
    found = tokens(header, vocabulary, raters)
    unknown = _one(found, "unknown")
    fields, indicators = _one(found, "field"), _one(found, "indicator")
    measure_words = set(_one(found, "measure"))
    levels, discs = _one(found, "level"), _one(found, "disc")
    if len(levels) > 1 and ({"T1", "T2"} & set(levels)) and "si" in measure_words:
        levels = [lv for lv in levels if lv not in ("T1", "T2")]  # T1/T2: the MRI weighting
    muscles, sides = _one(found, "muscle"), _one(found, "side")
    own_raters, own_sessions = _one(found, "rater"), _one(found, "session")
    extra = context or []
    raters_ = own_raters or _one(extra, "rater")
    if measure_words == {"t_score"} and not own_raters:
        raters_ = []  # the DXA read-out has no rater, whatever the sheet's rater
    sessions = own_sessions or _one(extra, "session")
    if unknown:
        words = ", ".join(repr(w) for w in unknown)
        return Understood(
            {}, "unplaced", note=f"unknown word(s) {words}: add them to [mapping] vocabulary, "
            "or give the column's meaning by hand"
        )  # fmt: skip
    reading = bool(measure_words or levels or discs or muscles)
    if fields or indicators:
        meant = [{"field": f} for f in fields] + [{"indicator": i} for i in indicators]
        if len(meant) == 1 and not reading and not sides and not own_raters:
            return Understood(meant[0], "recognised")
        if len(meant) > 1 or reading:
            return Understood({}, "ambiguous", meant, "the header names several things")
    if not reading:
        return Understood({}, "unplaced", note="no patient field, indicator or reading recognised")
    if not levels and not discs and not muscles and not sides and not raters_:
        named = [INDICATOR_OF[w] for w in ("t_score", "hu", "fat") if w in measure_words]
        if len(named) == 1 and measure_words <= {"t_score", "hu", "fat"}:
            return Understood({"indicator": named[0]}, "recognised")
        return Understood({}, "unplaced", note="a measure without a level")
    return _reading(measure_words, levels, discs, muscles, sides, raters_, sessions)


def _reading(
    words: set[str],
    levels: list[str],
    discs: list[str],
    muscles: list[str],
    sides: list[str],
    raters: list[Any],
    sessions: list[Any],
) -> Understood:
    measures = _measures(words, bool(muscles), bool(discs))
    all_levels = levels + discs
    if not measures:
        return Understood({}, "unplaced", note="a level or muscle but no measure (T, HU, SI, …)")
    if not all_levels:
        return Understood({}, "invalid", note="no vertebral or disc level (L1, L1-2, …)")
    options = [
        (m, lv, mu, si, ra, se)
        for m in measures
        for lv in all_levels
        for mu in (muscles or [""])
        for si in (sides or [""])
        for ra in (raters or [""])
        for se in (sessions or [1])
    ]
    entries = [_entry(*o) for o in options]
    if len(entries) > 1:
        return Understood({}, "ambiguous", entries, "the header matches several readings")
    entry = entries[0]
    return Understood(entry, *_check(entry))


def _entry(measure: str, level: str, muscle: str, side: str, rater: Any, session: Any) -> dict:
    entry: dict[str, Any] = {"measure": measure, "level": level}
    if muscle:
        entry["muscle"] = muscle
    if side:
        entry["side"] = side
    if rater:
        entry["rater"] = str(rater)
    entry["session"] = int(session)
    return entry


def _check(entry: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]], str]:
    """(status, candidates, note) of one reading entry against the contract."""
    measure, level = entry["measure"], entry.get("level", "")
    allowed, needs_muscle = MEASURES[measure]
    if level not in allowed:
        if level in EXTRA_LEVELS and (level in DISCS or "-" in level) == (allowed is DISCS):
            return "extra", [], f"level {level} is outside the study: kept as an extra column"
        known = ", ".join(allowed)
        what = "disc" if allowed is DISCS else "vertebral"
        return "invalid", [], f"level {level!r} is not a {what} level of the study ({known})"
    if needs_muscle and not (entry.get("muscle") and entry.get("side")):
        lacking = "muscle" if not entry.get("muscle") else "side"
        return "invalid", [], f"{measure} needs a muscle and a side; no {lacking} in the header"
    if not needs_muscle and (entry.get("muscle") or entry.get("side")):
        return "invalid", [], f"{measure} has no muscle or side"
    if allowed is VERTEBRAE and measure == "t_score" and entry.get("rater"):
        return "recognised", [], "a rater for the DXA read-out"
    return "recognised", [], ""


def check_reading(column: str, entry: Mapping[str, Any], func: str) -> None:
    """A reading entry of the mapping against the contract; DataError naming the column."""
    measure = entry.get("measure")
    fix = (
        "Correct the entry in the study file's [mapping.columns], or set status = "
        '"unplaced" to keep the column aside as an extra column.'
    )
    if measure not in MEASURES:
        raise DataError(
            f"{func}(): column '{column}' is mapped to the measure {measure!r}, which is not "
            f"one of {', '.join(MEASURES)}. {fix}"
        )
    status, _, note = _check(dict(entry))
    if status != "recognised":
        raise DataError(f"{func}(): column '{column}': {note}. {fix}")
