"""The words of a clinic's column headers and cell codes, in English, German and Chinese.

A header is read as *tokens*: letter case, accents' width and the separators (space, ``_``,
``-``, ``.``, ``/``, brackets) do not matter, nor does the order of the words. :func:`tokens`
turns a header into ``(kind, value)`` pairs — ``("measure", "hu")``, ``("level", "L1")``,
``("disc", "L1-2")``, ``("muscle", "PM")``, ``("side", "L")``, ``("rater", "R1")``,
``("session", 2)``, ``("field", "age")``, ``("indicator", "vbq")``, ``("ignore", word)`` — and
``("unknown", word)`` for a word it does not know. A study extends the vocabulary with
``{"phrase": "kind:value"}`` (study file ``[mapping] vocabulary``) and rater initials with
``{"ZM": "R1"}`` (``[mapping] raters``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

#: the kinds a vocabulary entry may have (``"kind:value"``)
KINDS = ("field", "indicator", "measure", "level", "muscle", "side", "rater", "session", "ignore")

_MEASURE_WORDS = {
    "t": "t_score", "t score": "t_score", "tscore": "t_score", "t wert": "t_score",
    "hu": "hu", "ct hu": "hu", "hounsfield": "hu", "ct value": "hu", "ct值": "hu",
    "si": "si", "signal": "si", "signal intensity": "si", "信号": "si", "信号强度": "si",
    "signalintensität": "si",
    "csf": "csf", "脑脊液": "csf", "liquor": "csf",
    "csa": "csa", "area": "csa", "cross sectional area": "csa", "面积": "csa", "fläche": "csa",
    "querschnittsfläche": "csa",
    "fi": "fat", "fat": "fat", "ff": "fat", "fat fraction": "fat", "fat infiltration": "fat",
    "脂肪": "fat", "脂肪浸润": "fat", "fett": "fat", "fettanteil": "fat", "verfettung": "fat",
    "disc": "disc", "disk": "disc", "椎间盘": "disc", "bandscheibe": "disc",
}  # fmt: skip
_FIELD_WORDS = {
    "id": "patient_id", "patient": "patient_id", "patient id": "patient_id", "pid": "patient_id",
    "patient no": "patient_id", "case id": "patient_id", "mrn": "patient_id", "编号": "patient_id",
    "病历号": "patient_id", "住院号": "patient_id", "患者编号": "patient_id",
    "patienten id": "patient_id", "patientennummer": "patient_id", "nr": "patient_id",
    "age": "age", "年龄": "age", "alter": "age",
    "sex": "sex", "gender": "sex", "性别": "sex", "geschlecht": "sex",
    "bmi": "bmi", "body mass index": "bmi", "体重指数": "bmi",
    "case": "case", "fracture": "case", "ovcf": "case", "group": "case", "骨折": "case",
    "分组": "case", "组别": "case", "fraktur": "case", "gruppe": "case",
    "fracture level": "fracture_level", "level of fracture": "fracture_level",
    "fractured level": "fracture_level", "fractured vertebra": "fracture_level",
    "fracture vertebra": "fracture_level", "骨折节段": "fracture_level",
    "骨折椎体": "fracture_level", "frakturhöhe": "fracture_level",
    "fraktur höhe": "fracture_level", "frakturlevel": "fracture_level",
    "fraktur level": "fracture_level", "frakturierter wirbel": "fracture_level",
    "hypertension": "hypertension", "htn": "hypertension", "高血压": "hypertension",
    "bluthochdruck": "hypertension", "hypertonie": "hypertension",
    "diabetes": "diabetes", "dm": "diabetes", "糖尿病": "diabetes",
    "diabetes mellitus": "diabetes",
    "hyperlipidemia": "hyperlipidemia", "dyslipidemia": "hyperlipidemia",
    "hyperlipidaemia": "hyperlipidemia", "高脂血症": "hyperlipidemia",
    "hyperlipidämie": "hyperlipidemia",
}  # fmt: skip
_INDICATOR_WORDS = {
    "vbq": "vbq", "vbq score": "vbq", "rcsa": "rcsa", "relative csa": "rcsa",
    "relative cross sectional area": "rcsa",
}  # fmt: skip
_MUSCLE_WORDS = {
    "pm": "PM", "psoas": "PM", "psoas major": "PM", "腰大肌": "PM",
    "mf": "MF", "multifidus": "MF", "多裂肌": "MF",
    "es": "ES", "erector spinae": "ES", "erector": "ES", "竖脊肌": "ES",
}  # fmt: skip
_SIDE_WORDS = {
    "l": "L", "left": "L", "lt": "L", "links": "L", "左": "L", "左侧": "L",
    "r": "R", "right": "R", "rt": "R", "rechts": "R", "右": "R", "右侧": "R",
}  # fmt: skip
_SESSION_WORDS = {
    "repeat": 2, "repeated": 2, "retest": 2, "rescan": 2, "second": 2, "wiederholung": 2,
    "zweite": 2, "重复": 2, "复测": 2, "first": 1, "initial": 1, "erste": 1,
}  # fmt: skip
_IGNORE_WORDS = tuple(
    " ".join(
        (
            "mean average avg value val score mm mm2 cm2 % kg m2 years year yrs y jahre 岁",
            "muscle musculus m vertebra vertebral body level side roi ct mri mr dxa t1w t2w",
            "hu值 reading measurement 值 均值 平均 mittelwert wert durchschnitt in of the",
        )
    ).split()
)

#: the built-in vocabulary: phrase (lower case, words separated by one space) -> (kind, value)
VOCABULARY: dict[str, tuple[str, Any]] = {
    **{w: ("measure", v) for w, v in _MEASURE_WORDS.items()},
    **{w: ("field", v) for w, v in _FIELD_WORDS.items()},
    **{w: ("indicator", v) for w, v in _INDICATOR_WORDS.items()},
    **{w: ("muscle", v) for w, v in _MUSCLE_WORDS.items()},
    **{w: ("side", v) for w, v in _SIDE_WORDS.items()},
    **{w: ("session", v) for w, v in _SESSION_WORDS.items()},
    **{w: ("ignore", w) for w in _IGNORE_WORDS},
}

#: cell codes understood without a study file: field -> {code (casefolded) -> value}
SEX_CODES = {
    "f": "F", "female": "F", "w": "F", "weiblich": "F", "frau": "F", "女": "F", "女性": "F",
    "m": "M", "male": "M", "männlich": "M", "mann": "M", "男": "M", "男性": "M",
}  # fmt: skip
YES_NO = {
    "1": 1, "yes": 1, "y": 1, "ja": 1, "j": 1, "是": 1, "有": 1, "true": 1, "+": 1,
    "0": 0, "no": 0, "n": 0, "nein": 0, "否": 0, "无": 0, "false": 0,
}  # fmt: skip
CASE_CODES = {
    **YES_NO, "case": 1, "fracture": 1, "ovcf": 1, "fx": 1, "fraktur": 1, "病例": 1, "骨折": 1,
    "control": 0, "ctrl": 0, "kontrolle": 0, "对照": 0, "非骨折": 0, "no fracture": 0,
}  # fmt: skip
NO_LEVEL = ("none", "-", "无", "keine", "kein", "no", "0", "n/a")
#: missing-value codes proposed when found in a column
MISSING_WORDS = ("n/a", "na", ".", "-", "--", "missing", "unknown", "k.a.", "fehlt", "缺失", "?")
MISSING_NUMBERS = (999, 9999, -99, -999, -9999)

_SPINE = ("T12", "L1", "L2", "L3", "L4", "L5", "S1")
_SEPARATORS = re.compile(r"[\s_\-./\\()\[\]{}<>,;:|+#*=~'\"`–—]+")
_DISC = re.compile(
    r"(?<![a-z0-9])(t12|l[1-5])(?:\s*[-/–]\s*|[_.](?=l)|\.|)(l[1-5]|s1|[1-5])(?![0-9a-z])"
)
_LEVEL_RANGE = re.compile(r"(?<![a-z0-9])(l[1-5])\s*[-–/]\s*(l?[1-5])(?![0-9a-z])")
_RATER = re.compile(
    r"(?<![a-z0-9])(?:(?:rater|reader|observer|obs|radiologist|untersucher|befunder|leser|"
    r"评估者|观察者|测量者|阅片者)\s*[-_#.]?\s*([0-9]+|[a-z](?![a-z]))|r([0-9]+)(?![0-9a-z]))"
)
_SESSION = re.compile(
    r"(?<![a-z0-9])(?:(?:session|sess|visit|messung|time|第)\s*[-_#.]?\s*([0-9]+)(?:次)?|"
    r"s([0-9]+)(?![0-9a-z])|([0-9]+)(?:st|nd|rd|th|\.?\s*(?:messung|mal)|次)(?![a-z]))"
)
_LEVEL = re.compile(r"^([tl])([0-9]{1,2})$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalise(text: Any) -> str:
    """Casefolded NFKC text (``²`` is ``2``, full-width letters are ASCII), stripped."""
    return unicodedata.normalize("NFKC", str(text)).casefold().strip()


def _words(text: str, vocabulary: Mapping[str, tuple[str, Any]]) -> list[str]:
    """Split on separators; Chinese phrases of the vocabulary stand apart first."""
    if _CJK.search(text):
        phrases = sorted((p for p in vocabulary if _CJK.search(p)), key=len, reverse=True)
        if phrases:  # one alternation, longest first: 骨折节段 is not 骨折 + 节段
            pattern = "|".join(re.escape(p) for p in phrases)
            text = re.sub(pattern, lambda m: f" {m.group(0).replace(' ', '_')} ", text)
    text = text.replace("%", " % ")
    return [w.replace("_", " ") for w in _SEPARATORS.split(text) if w]


def vocabulary_with(extra: Mapping[str, str] | None = None) -> dict[str, tuple[str, Any]]:
    """The built-in vocabulary with a study's entries ``{"phrase": "kind:value"}`` on top.

    Raises ``ValueError`` (with the fix) for an entry whose kind is not one of :data:`KINDS`.
    """
    vocab = dict(VOCABULARY)
    for phrase, meaning in (extra or {}).items():
        kind, _, value = str(meaning).partition(":")
        if kind not in KINDS or (not value and kind != "ignore"):
            raise ValueError(
                f"vocabulary entry {phrase!r} = {meaning!r}: write 'kind:value' with kind one "
                f"of {', '.join(KINDS)}, e.g. \"wirbel\" = \"ignore\" or \"lws1\" = \"level:L1\"."
            )
        parsed: Any = int(value) if kind == "session" and value.isdigit() else value
        key = " ".join(_words(normalise(phrase), {}))
        vocab[key] = (kind, parsed if kind != "ignore" else key)
    return vocab


def _compounds(text: str) -> tuple[str, list[tuple[str, Any]]]:
    """Disc levels, level ranges, raters and sessions written with separators or digits."""
    found: list[tuple[str, Any]] = []

    def disc(m: re.Match[str]) -> str:
        first, second = m.group(1).upper(), m.group(2).upper()
        if second[0].isdigit():
            second = first[0] + second
        i = _SPINE.index(first) if first in _SPINE else -1
        if i < 0 or i + 1 >= len(_SPINE) or _SPINE[i + 1] != second:
            return m.group(0)  # not two adjacent vertebrae: a range such as L1-4
        found.append(("disc", f"{first}-{second[1:] if second[0] == first[0] else second}"))
        return " "

    def level_range(m: re.Match[str]) -> str:
        found.append(("ignore", m.group(0)))  # "HU L1-L4": an average over levels
        return " "

    def rater(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        found.append(("rater", f"R{int(code)}" if code.isdigit() else code.upper()))
        return " "

    def session(m: re.Match[str]) -> str:
        found.append(("session", int(next(g for g in m.groups() if g))))
        return " "

    text = _DISC.sub(disc, text)
    text = _LEVEL_RANGE.sub(level_range, text)
    text = _RATER.sub(rater, text)
    text = _SESSION.sub(session, text)
    return text, found


def tokens(
    header: Any,
    vocabulary: Mapping[str, tuple[str, Any]] | None = None,
    raters: Mapping[str, str] | None = None,
) -> list[tuple[str, Any]]:
    """The ``(kind, value)`` tokens of one column header.

    Parameters
    ----------
    header : str
        The column header as written.
    vocabulary : mapping, optional
        Phrase -> (kind, value); default :data:`VOCABULARY` (see :func:`vocabulary_with`).
    raters : mapping, optional
        Rater initials or names -> rater code, e.g. ``{"ZM": "R1"}``.

    Examples
    --------
    >>> from ovcfstats.data._vocabulary import tokens
    >>> sorted(tokens("CSA_PM-left (L3/4) rater 2"))
    [('disc', 'L3-4'), ('measure', 'csa'), ('muscle', 'PM'), ('rater', 'R2'), ('side', 'L')]
    >>> tokens("Age (years)")
    [('field', 'age'), ('ignore', 'years')]
    >>> tokens("L1 HU ZM", raters={"ZM": "R1"})
    [('level', 'L1'), ('measure', 'hu'), ('rater', 'R1')]
    """
    vocab = VOCABULARY if vocabulary is None else vocabulary
    text = normalise(header)
    initials = {normalise(k): str(v) for k, v in (raters or {}).items()}
    text, found = _compounds(text)
    words = _words(text, vocab)
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):  # the longest phrase first: "fracture level" before "fracture"
            phrase = " ".join(words[i : i + size])
            if len(words) - i >= size and (phrase in vocab or (size == 1 and phrase in initials)):
                break
        else:
            size, phrase = 1, words[i]
        if phrase in initials:
            found.append(("rater", initials[phrase]))
        elif phrase in vocab:
            found.append(vocab[phrase])
        elif (level := _LEVEL.match(phrase)) is not None:
            found.append(("level", f"{level.group(1).upper()}{int(level.group(2))}"))
        else:
            found.append(("unknown", phrase))
        i += size
    return found
