"""The study's input tables: read from files, checked, renamed, matched sets taken as given.

Used by :func:`~ovcfstats.analyze`; every error names the function, the column, the rows and
the fix (and the file, when the table came from one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, make_excluded
from .._validate import DataError, describe_ids
from .config import StudyConfig

FUNC = "analyze"


@dataclass(frozen=True, eq=False)
class MatchedSetsResult(Result):
    """An already matched table: one row per set with ``pair_id``, ``n_cases``, ``n_controls``."""

    title: ClassVar[str] = "Matched sets (as given)"

    def notes(self) -> list[str]:
        s = self.settings
        return [
            f"{s['n_sets']} matched sets from column '{s['matched_by']}' "
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


def check_patients_table(table: pd.DataFrame) -> pd.DataFrame:
    """The indicator table: ``patient_id`` unique and present, ``case`` 0/1."""
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
    case = pd.to_numeric(table["case"], errors="coerce")
    bad = ~case.isin([0, 1])
    if bad.any():
        raise DataError(
            f"{FUNC}(): values other than 0/1 in column 'case' "
            f"({describe_ids(list(table.loc[bad, 'patient_id']))}). Code cases 1 and controls 0."
        )
    table["case"] = case.astype(int)
    if "sex" in table.columns:
        table["sex"] = _sex(table)
    return table


def _sex(table: pd.DataFrame) -> pd.Series:
    """``F``/``M`` from any case of f/m/female/male (SPSS/Stata labels); others are errors."""
    text = table["sex"].astype("string").str.strip().str.upper()
    sex = text.replace({"FEMALE": "F", "MALE": "M", "": pd.NA})
    bad = sex.notna() & ~sex.isin(["F", "M"])
    if bad.any():
        values = ", ".join(repr(v) for v in dict.fromkeys(table.loc[bad, "sex"]))
        raise DataError(
            f"{FUNC}(): values other than F/M in column 'sex' ({values}; "
            f"{describe_ids(list(table.loc[bad, 'patient_id']))}). Code sex as F or M (female, "
            "male and lower case are accepted)."
        )
    return sex.astype(object).where(sex.notna(), np.nan)


def renamed(table: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Columns named in the study file (``column = ...``) under the variable's name."""
    renames = {}
    for name, spec in config.labels.items():
        column = spec["column"]
        if column != name and column in table.columns:
            if name in table.columns:
                raise DataError(
                    f"{FUNC}(): both '{column}' and '{name}' are columns, and the study file "
                    f"reads {name} from '{column}'. Rename or drop one of them."
                )
            renames[column] = name
    return table.rename(columns=renames)



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
        if isinstance(source, str | Path):
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
