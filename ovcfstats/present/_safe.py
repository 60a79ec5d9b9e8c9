"""Safe output: text that stays text, files written whole, paths that stay in their folder.

Every writer of the package (the report, the measurements of :mod:`ovcfstats.imaging`) goes
through these helpers, so that

- a text cell that a spreadsheet would read as a formula (``=HYPERLINK(...)``, ``+1``, ``@x``)
  is written as text (:func:`csv_safe`; the Excel writer marks such cells as quoted text);
- a file is written to a temporary sibling and moved into place, so that a failing or killed
  run never leaves a half-written file where a reader expects a whole one
  (:func:`write_atomic`);
- a file name made from data (a patient ID) cannot point outside its folder
  (:func:`safe_name`, :func:`inside`).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

#: a plain decimal number (ASCII digits: the same in Python and in Arrow strings)
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?")
#: the first characters by which a spreadsheet reads typed text as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: characters kept in a file name made from data; any other becomes ``_``
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: the longest file-name stem made from data (file systems allow 255 bytes)
MAX_STEM = 100


#: characters that XML 1.0 (Word, Excel, SVG) cannot hold, lone surrogates included
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def printable(text: Any) -> str:
    r"""``text`` without the control characters no document format can hold (tab, line
    breaks kept).

    Examples
    --------
    >>> printable("a\x08b\x00c\td")
    'abc\td'
    """
    return _NOT_XML.sub("", str(text))


def formula_like(value: str) -> bool:
    """Whether a spreadsheet would read the text ``value``, typed in, as a formula.

    A plain number (``-0.5``) is not: it is only text that starts like a formula.

    Examples
    --------
    >>> [formula_like(v) for v in ("=HYPERLINK(1)", "+1", "-0.5", "-", "@x", "P1")]
    [True, True, False, True, True, False]
    """
    return value.startswith(FORMULA_START) and not NUMBER.fullmatch(value)


def csv_safe(frame: Any) -> Any:
    """A copy of ``frame`` whose formula-like text cells start with ``'`` (shown as text).

    Numbers, and text that is a plain number, are unchanged: a negative value stays a number.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_safe(pd.DataFrame({"id": ["=1+1", "007", "-2"], "x": [-1.5, 2, 3]})).to_dict("list")
    {'id': ["'=1+1", '007', '-2'], 'x': [-1.5, 2.0, 3.0]}
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            out[column] = values.map(
                lambda v: "'" + v if isinstance(v, str) and formula_like(v) else v,
                na_action="ignore",
            )
    return out


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary sibling moved into place whole.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.txt", "one").read_text()
    'one'
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt']
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def safe_name(text: str) -> str:
    """``text`` as one file-name component: no separators, no ``..``, nothing hidden.

    Letters, digits, ``.``, ``_`` and ``-`` are kept, anything else becomes ``_``; a name of
    dots only, or one that starts with a dot, is prefixed with ``_``; at most
    :data:`MAX_STEM` characters.

    Examples
    --------
    >>> [safe_name(t) for t in ("P001", "../../etc/x", "/abs/p", "..", "a b", "")]
    ['P001', '_.._.._etc_x', '_abs_p', '_..', 'a_b', '_']
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    name = _UNSAFE.sub("_", ascii_text)[:MAX_STEM] or "_"
    return "_" + name if name.startswith(".") else name


def inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` (resolved, links followed) is ``folder`` or lies within it.

    Examples
    --------
    >>> inside("/tmp/out/qc/a.png", "/tmp/out"), inside("/tmp/out/../b.png", "/tmp/out")
    (True, False)
    """
    root = Path(folder).resolve()
    target = Path(path).resolve()
    return target == root or root in target.parents
