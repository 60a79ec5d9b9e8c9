"""``ovcfstats map``: the ``[mapping]`` section of a study file written or updated in place.

Only that section changes; the rest of the file (every comment and value) is kept. Entries the
researcher marked ``status = "reviewed"``, the value codes, the missing codes, the vocabulary
and the rater initials of an existing ``[mapping]`` carry over to the new one.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .._validate import DataError
from .config import StudyConfig, template

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]\s]+)\s*\]\]?")
_OWN_COMMENT = "# Mapping of a wide table"


def without_mapping(text: str) -> str:
    """``text`` without its ``[mapping]`` and ``[mapping.*]`` tables (and their comments).

    Examples
    --------
    >>> from ovcfstats.study._mapfile import without_mapping
    >>> without_mapping('a = 1\\n[mapping]\\nmissing = []\\n# next\\n[roc]\\nci = "delong"\\n')
    'a = 1\\n# next\\n[roc]\\nci = "delong"\\n'
    """
    out: list[str] = []
    pending: list[str] = []  # comments and blank lines inside the mapping: whose are they?
    inside = False
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header:
            name = header.group(1)
            mapping = name == "mapping" or name.startswith("mapping.")
            if mapping and not inside:
                _drop_own_comment(out)
            elif not mapping:
                out += pending  # the comments before the next section are that section's
                out.append(line)
            pending, inside = [], mapping
        elif not inside:
            out.append(line)
        elif line.lstrip().startswith("#") or not line.strip():
            pending.append(line)
        else:
            pending = []
    return "".join(out)


def _drop_own_comment(out: list[str]) -> None:
    """Remove the comment block ``map`` writes above ``[mapping]`` from the end of ``out``."""
    i = len(out)
    while i > 0 and out[i - 1].startswith("#"):
        i -= 1
    if i < len(out) and out[i].startswith(_OWN_COMMENT):
        del out[i:]


def update_study_file(
    path: Path, table: Any, sheet: str | int | None = None
) -> tuple[Any, bool]:
    """Write the guessed (and carried-over) mapping of ``table`` into the study file ``path``.

    Returns the :class:`~ovcfstats.ColumnMapping` and whether the file existed before.
    """
    from ..data.wide import ColumnMapping, guess_mapping

    existed = path.is_file()
    old = ColumnMapping(columns={})
    if existed:
        config = StudyConfig.from_toml(path)
        if config.mapping:
            old = ColumnMapping.from_dict(config.mapping)
    new = guess_mapping(
        table,
        sheet=sheet,
        vocabulary=old.vocabulary,
        raters=old.raters,
        codes=old.codes,
        missing=old.missing,
    )
    for column, entry in old.columns.items():
        if entry.get("status") == "reviewed" and column in new.columns:
            new.columns[column] = dict(entry)
    text = path.read_text(encoding="utf-8") if existed else template()
    body = without_mapping(text).rstrip() + "\n\n" + new.to_toml()
    try:
        StudyConfig.from_dict(tomllib.loads(body))
    except (tomllib.TOMLDecodeError, DataError) as err:  # pragma: no cover - a writer bug
        raise DataError(f"{path}: the updated study file would not read back ({err}).") from err
    try:
        path.write_text(body, encoding="utf-8")
    except OSError as err:
        raise DataError(f"cannot write {path} ({err.strerror or err}).") from err
    return new, existed


def review(study: Path, table_path: Path, sheet: str | int | None) -> int:
    """``ovcfstats map``: write or update the mapping of ``study`` and print the review."""
    import pandas as pd

    mapping, existed = update_study_file(study, table_path, sheet)
    table = mapping.table
    shown = table[["column", "status", "understood_as", "codes"]].copy()
    shown["note"] = [
        "; ".join(x for x in (f"candidates: {c}" if c else "", n) if x)
        for c, n in zip(table["candidates"], table["note"], strict=True)
    ]
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 60,
                           "display.width", 200):  # fmt: skip
        print(shown.to_string(index=False))
    aside = table[~table["status"].isin(["recognised", "reviewed"])]
    for row in aside.itertuples(index=False):  # every column not placed, once more at the end
        why = row.note or (f"candidates: {row.candidates}" if row.candidates else "")
        print(f"{row.status}: '{row.column}'" + (f" — {why}" if why else ""))
    counts = table["status"].value_counts()
    print(f"{len(table)} columns: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".")
    if len(mapping.missing):
        codes = ", ".join(repr(m) if isinstance(m, str) else str(m) for m in mapping.missing)
        print(f"Missing-value codes (blanked in every column): {codes}.")
    print(f"Mapping {'updated in' if existed else 'written to'} {study} ([mapping]).")
    if mapping.refused:
        print(
            f"Review the {len(mapping.refused)} ambiguous or invalid column(s) in "
            f"[mapping.columns] (give the meaning and status = \"reviewed\"); analyze refuses "
            "them until then."
        )
    print(f"Then run:\n  ovcfstats analyze {table_path} --study {study}")
    return 0
