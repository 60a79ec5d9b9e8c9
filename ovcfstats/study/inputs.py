"""The study's input tables: read from files, checked, renamed, matched sets taken as given.

Used by :func:`~ovcfstats.analyze`; every error names the function, the column, the rows and
the fix (and the file, when the table came from one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, make_excluded
from .._validate import DataError, closest, describe_ids
from ..data._patient_codes import clean_codes
from ..data._ranges import RANGES, STUDY_OVERRIDE, _check_infinite, check_ranges
from .config import StudyConfig

FUNC = "analyze"


@dataclass(frozen=True, eq=False)
class MatchedSetsResult(Result):
    """An already matched table: one row per set with ``pair_id``, ``n_cases``, ``n_controls``."""

    title: ClassVar[str] = "Matched sets (as given)"

    def notes(self) -> list[str]:
        s = self.settings
        return [
            f"{s['n_sets']} matched sets from column {s['matched_by']} "
            f"({s['design']}); the analyses use the sets as given.",
            *super().notes(),
        ]



def load(data: Any, what: str, sheet: str | int | None) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data.copy()
    if isinstance(data, str | Path):
        from ..data.readers import read_table

        return read_table(data, sheet=sheet)
    raise TypeError(f"{FUNC}(): `{what}` must be a DataFrame or a file path; got {type(data)}.")


def mapped(
    data: Any, config: StudyConfig, sheet: str | int | None
) -> tuple[pd.DataFrame, pd.DataFrame | None, Result]:
    """A wide table under the study file's ``[mapping]``: (patients, readings or None, counts).

    An unreviewed ambiguous or invalid column is refused (DataError naming it and the fix);
    without reading columns the patients table is the indicator table.
    """
    from ..data.wide import read_wide_counted

    if isinstance(data, pd.DataFrame):
        data = data.copy()
    elif not isinstance(data, str | Path):
        raise TypeError(f"{FUNC}(): `data` must be a DataFrame or a file path; got {type(data)}.")
    patients, readings, counts = named(
        data, lambda: read_wide_counted(data, config.mapping, sheet=sheet, func=FUNC)
    )
    return patients, (readings if len(readings) else None), counts


def has_readings(config: StudyConfig) -> bool:
    """Whether the study file's ``[mapping]`` maps columns to raw readings."""
    columns = (config.mapping or {}).get("columns", {})
    return any(
        "measure" in e and e.get("status") not in ("extra", "unplaced") for e in columns.values()
    )


def check_patients_table(table: pd.DataFrame) -> pd.DataFrame:
    """The indicator table: ``patient_id`` unique and present; codes and plausible values checked.

    ``case``, ``sex`` and the comorbidities are cleaned by the rules of the raw path (one
    definition, :mod:`ovcfstats.data._patient_codes`), and every column named in
    :data:`~ovcfstats.RANGES` (``age``, ``bmi``, ``t_score``, ``hu``, ``vbq``, ``rcsa``, ``fi``, …)
    is checked against the ranges in force (the study file's ``ranges`` override them).
    """
    for col, fix in (
        ("patient_id", "one text id per patient"),
        ("case", "1 = case, 0 = control"),
    ):
        if col not in table.columns:
            raise DataError(
                f"{FUNC}(): no column '{col}' ({fix}); the columns are "
                f"{', '.join(map(str, table.columns))}. Rename the column in the file, or name it "
                "in the study file."
            )
    table["patient_id"] = table["patient_id"].astype("string").str.strip().astype(object)
    missing = table["patient_id"].isna()
    if missing.any():
        rows = ", ".join(str(int(i) + 1) for i in np.flatnonzero(missing)[:5])
        raise DataError(f"{FUNC}(): blank 'patient_id' in data rows {rows}. Give every row an id.")
    dup = table["patient_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"{FUNC}(): duplicate ids in column 'patient_id' "
            f"({describe_ids(sorted(set(table.loc[dup, 'patient_id'])))}). One row per patient."
        )
    table = clean_codes(table, FUNC)
    table["case"] = table["case"].astype(int)
    # the ranges in force, as on the raw-readings path; text in an indicator column is left to
    # the indicator step, which skips that indicator with its reason
    named = [c for c in table.columns if c in RANGES]
    numbers = table[named].apply(pd.to_numeric, errors="coerce")
    check_ranges(table.assign(**numbers), named, FUNC, override=STUDY_OVERRIDE)
    _check_infinite(FUNC, table.reset_index(drop=True), skip=("patient_id",))
    return table


def renamed(
    table: pd.DataFrame, config: StudyConfig, derived: Iterable[str] = ()
) -> pd.DataFrame:
    """Columns named in the study file (``column = ...``) under the variable's name.

    A named column missing from the table is an error naming the setting, the column and the
    closest existing column; the column named like the variable is never analysed in its stead.
    ``derived`` are variables computed from the readings (their ``column`` is not looked for).

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import StudyConfig
    >>> cfg = StudyConfig(indicators=("hu",), variables={"hu": {"column": "HU_L1L4"}})
    >>> list(renamed(pd.DataFrame({"HU_L1L4": [90.0]}), cfg).columns)
    ['hu']
    >>> renamed(pd.DataFrame({"HU_L1_L4": [90.0], "hu": [1.0]}), cfg)
    Traceback (most recent call last):
    ...
    ovcfstats._validate.DataError: analyze(): [indicators.hu] column = 'HU_L1L4' in the study file names no column of the table. Did you mean 'HU_L1_L4'? ...
    """  # noqa: E501
    renames = {}
    for name, spec in config.labels.items():
        column = spec["column"]
        if column == name:
            continue
        if column not in table.columns:
            if name not in set(derived):
                raise DataError(_no_column(table, config, name, column))
            continue
        if name in table.columns:
            raise DataError(
                f"{FUNC}(): both '{column}' and '{name}' are columns, and the study file "
                f"reads {name} from '{column}'. Rename or drop one of them."
            )
        renames[column] = name
    return table.rename(columns=renames)


def _no_column(table: pd.DataFrame, config: StudyConfig, name: str, column: str) -> str:
    section = "indicators" if name in config.indicators else "variables"
    columns = [str(c) for c in table.columns]
    near = closest(column, columns)
    hint = (
        f" Did you mean {near!r}?"
        if near
        else f" The columns are {', '.join(columns[:20])}{', ...' if len(columns) > 20 else ''}."
    )
    return (
        f"{FUNC}(): [{section}.{name}] column = {column!r} in the study file names no column "
        f"of the table.{hint} Correct the column name in the study file (the column "
        f"{name!r} is not analysed in its place)."
    )


def given_sets(table: pd.DataFrame, column: str) -> tuple[pd.DataFrame, MatchedSetsResult]:
    """The rows of complete matched sets (``column`` renamed ``pair_id``) and their summary."""
    if column not in table.columns:
        raise DataError(
            f"{FUNC}(): no matched-set column '{column}' (--matched-by / matched_by); the "
            f"columns are {', '.join(map(str, table.columns))}."
        )
    if column != "pair_id" and "pair_id" in table.columns:
        table = table.drop(columns="pair_id")
    data = table.rename(columns={column: "pair_id"})
    excluded = []
    none = data["pair_id"].isna()
    excluded += [(pid, column, "no matched set id") for pid in data.loc[none, "patient_id"]]
    data = data[~none]
    sets = data.groupby("pair_id", sort=False)["case"].agg(["size", "sum"])
    incomplete = sets.index[(sets["sum"] == 0) | (sets["sum"] == sets["size"])]
    gone = data["pair_id"].isin(incomplete)
    for pid, sid, case in data.loc[gone, ["patient_id", "pair_id", "case"]].itertuples(
        index=False
    ):
        other = "case" if case == 0 else "control"
        excluded.append((pid, column, f"set {sid} has no {other}"))
    data = data[~gone].reset_index(drop=True)
    if len(data) == 0:
        raise DataError(
            f"{FUNC}(): no matched set in column '{column}' has both a case and a control. "
            "Check the set ids and the case column (1 = case, 0 = control)."
        )
    sets = data.groupby("pair_id", sort=False)["case"].agg(n_cases="sum", size="size")
    sets["n_controls"] = sets["size"] - sets["n_cases"]
    sets = sets.drop(columns="size").reset_index()
    shape = sorted({f"{a}:{b}" for a, b in zip(sets["n_cases"], sets["n_controls"], strict=True)})
    result = MatchedSetsResult(
        table=sets,
        excluded=make_excluded(
            [e[0] for e in excluded], [e[1] for e in excluded], [e[2] for e in excluded]
        ),
        settings={"matched_by": column, "n_sets": len(sets), "design": ", ".join(shape)},
    )
    return data, result


def is_pairs(data: pd.DataFrame) -> bool:
    sizes = data.groupby("pair_id")["case"].agg(["size", "sum"])
    return bool(((sizes["size"] == 2) & (sizes["sum"] == 1)).all())



def named(source: Any, check: Callable[[], Any]) -> Any:
    """``check()``, its DataError prefixed with the file it came from."""
    try:
        return check()
    except DataError as err:
        if isinstance(source, str | Path) and not str(err).startswith(f"{source}:"):
            raise DataError(f"{source}: {err}") from err
        raise



def published_table(audit: Any) -> pd.DataFrame | None:
    if audit is None or isinstance(audit, pd.DataFrame):
        return audit
    from ..data.readers import read_table

    text = ("source", "item", "statistic", "group", "printed", "relation")
    table = read_table(audit, text=text)
    for col in text:
        if col in table.columns:
            table[col] = table[col].fillna("").astype(str)
    return table
