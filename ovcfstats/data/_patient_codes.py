"""The allowed codes of the patient columns: one definition for the raw and the indicator path.

``sex`` is ``F``/``M`` (``female``/``male`` and any letter case accepted, blank = unknown);
``case`` is 1 = case, 0 = control (required); the comorbidities (``hypertension``, ``diabetes``,
``hyperlipidemia``) are 1 = yes, 0 = no, blank = unknown, and optional: a table without them is
analysed without them. :func:`~ovcfstats.validate_patients` (raw readings) and the indicator
table of :func:`~ovcfstats.analyze` both clean these columns here, so they accept and refuse
the same values with the same messages, which list the values found and the values allowed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import DataError, check_numeric, describe_ids, describe_rows
from ._codes import encode

SEX_FIX = "Code sex as F or M (female, male and any letter case are accepted; blank = unknown)."
#: the comorbidities of the data contract: optional columns, 1 = yes, 0 = no, blank = unknown
COMORBIDITIES = ("hypertension", "diabetes", "hyperlipidemia")


def _ids(frame: pd.DataFrame, bad: np.ndarray, id_col: str) -> str:
    ids = list(frame.loc[bad, id_col]) if id_col in frame.columns else list(np.flatnonzero(bad))
    return f"{describe_ids(ids, id_col if id_col in frame.columns else None)}; {describe_rows(bad)}"


def _found(values: pd.Series) -> str:
    plain = (v.item() if isinstance(v, np.generic) else v for v in values)
    return ", ".join(repr(v) for v in dict.fromkeys(plain))


def clean_sex(frame: pd.DataFrame, func: str, id_col: str = "patient_id") -> pd.Series:
    """``sex`` as ``"F"``/``"M"`` (NaN where blank); any other value is a DataError.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"patient_id": ["A", "B", "C"], "sex": ["Female", " m", None]})
    >>> clean_sex(df, "f").tolist()
    ['F', 'M', nan]
    >>> clean_sex(df.assign(sex=["F", "x", "2"]), "f")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ovcfstats._validate.DataError: f(): values other than F/M in column 'sex' ('x', '2'; ...
    """
    code = encode(frame["sex"], True).series(frame.index).replace({"FEMALE": "F", "MALE": "M"})
    bad = (~code.isin(["F", "M", ""])).to_numpy(dtype=bool)
    if bad.any():
        raise DataError(
            f"{func}(): values other than F/M in column 'sex' ({_found(frame.loc[bad, 'sex'])}; "
            f"{_ids(frame, bad, id_col)}). {SEX_FIX}"
        )
    return code.replace("", np.nan)


def clean_yes_no(
    frame: pd.DataFrame,
    column: str,
    func: str,
    id_col: str = "patient_id",
    *,
    required: bool = False,
) -> pd.Series:
    """A 0/1 column as nullable integers; other values, or blanks where ``required``, refused.

    ``case`` is required (1 = case, 0 = control); comorbidities may be blank (unknown).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"patient_id": ["A", "B", "C"], "diabetes": [1, None, "0"]})
    >>> clean_yes_no(df, "diabetes", "f").tolist()
    [1, <NA>, 0]
    >>> clean_yes_no(df.assign(diabetes=[1, 2, 0]), "diabetes", "f")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ovcfstats._validate.DataError: f(): values other than 0/1 in column 'diabetes' (2; ...
    """
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        values = check_numeric(frame, column, func, id_col if id_col in frame.columns else None)
        given = ~np.isnan(values)
    else:
        text = raw.astype("string").str.strip()
        given = (text.notna() & (text != "")).to_numpy(dtype=bool)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(values).any():  # refused with the message of every other column
            check_numeric(frame.assign(**{column: values}), column, func, id_col)
    bad = given & ~np.isin(values, (0.0, 1.0))
    if bad.any():
        fix = "Code cases 1 and controls 0" if column == "case" else "Code it as 1 = yes, 0 = no"
        raise DataError(
            f"{func}(): values other than 0/1 in column '{column}' "
            f"({_found(frame.loc[bad, column])}; {_ids(frame, bad, id_col)}). {fix} "
            "(blank = unknown; a study file maps other codes, e.g. yes/no or 1/2)."
        )
    if required and np.isnan(values).any():
        missing = np.isnan(values)
        raise DataError(
            f"{func}(): missing values in column '{column}' ({_ids(frame, missing, id_col)}). "
            "Every patient needs 1 (case) or 0 (control)."
        )
    return pd.Series(
        pd.array(np.where(np.isnan(values), pd.NA, values), dtype="Int64"), index=frame.index
    )


def clean_codes(frame: pd.DataFrame, func: str, id_col: str = "patient_id") -> pd.DataFrame:
    """``case``, ``sex`` and the comorbidities present, cleaned in place of the raw values."""
    out = frame
    out["case"] = clean_yes_no(out, "case", func, id_col, required=True)
    if "sex" in out.columns:
        out["sex"] = clean_sex(out, func, id_col)
    for col in COMORBIDITIES:
        if col in out.columns:
            out[col] = clean_yes_no(out, col, func, id_col)
    return out
