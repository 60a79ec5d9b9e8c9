"""Journal layouts of the paper checks: the audit of printed numbers and the replication.

Registered in :data:`ovcfstats.present._layouts.LAYOUTS` by class name, like the
other steps' layouts.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ._format import Style, format_number
from ._table import Presentation, Table, _text


def _audit(result: Any, style: Style) -> Presentation:
    t = result.table

    def frame(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "Check": rows["check"].astype(str),
                "Item": [style.label(str(v)) for v in rows["item"]],
                "Reported": rows["reported"].astype(str),
                "Recomputed": rows["recomputed"].astype(str),
                "Consistent": ["yes" if bool(v) else "no" for v in rows["consistent"]],
                "Detail": rows["detail"].astype(str),
            }
        )

    bad = t[~t["consistent"].astype(bool)]
    return Presentation(
        main=[Table("inconsistencies", frame(bad), caption="Checks that find an inconsistency")],
        appendix=[Table("audit checks", frame(t))],
    )


def _decimals_of(printed: Any) -> int:
    match = re.search(r"\.(\d+)", str(printed))
    return len(match.group(1)) if match else 0


def _replication(result: Any, style: Style) -> Presentation:
    t = result.table

    def frame(rows: pd.DataFrame, notes: bool) -> pd.DataFrame:
        d = [_decimals_of(p) + 1 for p in rows["published"]]
        out = pd.DataFrame(
            {
                "Source": rows["source"].astype(str),
                "Item": rows["item"].astype(str),
                "Statistic": rows["statistic"].astype(str),
                "Group": rows["group"].astype(str),
                "Published": rows["published"].astype(str),
                "Reproduced": [
                    style.p(v) if str(s).startswith("p") else format_number(v, k)
                    for v, k, s in zip(rows["reproduced"], d, rows["statistic"], strict=True)
                ],
                "Agrees": [
                    "" if v is None or pd.isna(v) else "yes" if v else "no" for v in rows["agrees"]
                ],
            }
        )
        if notes:
            out["Note"] = rows["note"].map(_text).to_numpy()
        return out

    bad = t[t["agrees"].map(lambda v: v is False or (v is not None and v == 0))]
    return Presentation(
        main=[
            Table("not reproduced", frame(bad, True), caption="Published numbers not reproduced")
        ],
        appendix=[Table("replication", frame(t, True))],
    )


LAYOUTS = {"AuditResult": _audit, "ReplicationResult": _replication}
