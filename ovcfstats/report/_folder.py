"""A report folder written whole: into a temporary sibling, then moved into place.

A run that fails or is killed while writing leaves the folder as it was (an earlier report
stays complete) and at most a hidden ``.<name>.*.partial`` sibling, never a mix of new and old
files. An existing folder that is not empty is replaced only when asked (``force``), and only
when it holds nothing but a report: a folder with other files (the data, a study file) is
never deleted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .._validate import DataError

#: the files and folders :meth:`ovcfstats.Report.save` writes
REPORT_FILES = ("report.html", "report.md", "report.docx", "tables.xlsx", "figures")


def _is_report_file(path: Path) -> bool:
    name = path.name
    return name in REPORT_FILES or (name.startswith("tables_") and name.endswith(".csv"))


def check_target(directory: str | Path, force: bool, *, flag: str = "force=True") -> Path:
    """Raise a :class:`DataError` unless a report may be written to ``directory``.

    It may when it does not exist or is empty; with ``force`` also when it holds an earlier
    report only. ``flag`` names the option in the message (``--force`` on the command line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_target(folder / "new", force=False).name
    'new'
    >>> _ = (folder / "data.csv").write_text("x")
    >>> check_target(folder, force=False)
    Traceback (most recent call last):
    ovcfstats._validate.DataError: ... is not empty (it holds data.csv); give a new folder, ...
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise DataError(f"{directory} is a file, not a directory. Give a directory name.")
    if not directory.is_dir():
        return directory
    entries = sorted(directory.iterdir())
    if not entries:
        return directory
    others = [p.name for p in entries if not _is_report_file(p)]
    names = ", ".join((others or [p.name for p in entries])[:3])
    if not force:
        raise DataError(
            f"{directory} is not empty (it holds {names}); give a new folder, or {flag} to "
            "replace the report in it."
        )
    if others:
        raise DataError(
            f"{directory} holds files that are not a report ({names}); {flag} replaces only "
            "a folder holding an earlier report. Give a new or empty folder."
        )
    return directory


@contextmanager
def staged(directory: str | Path, force: bool = False) -> Iterator[Path]:
    """A temporary sibling of ``directory`` to write into; moved into place when the block ends.

    On an error the sibling is removed and ``directory`` is left as it was.
    """
    directory = check_target(directory, force)
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".partial", dir=parent))
    except OSError as err:
        raise DataError(
            f"{directory}: cannot create the directory ({err.strerror or err}). Choose "
            "another place, e.g. ./ovcfstats-output."
        ) from err
    try:
        yield tmp
        tmp.chmod(0o755 & ~_umask())
        _move_into_place(tmp, directory, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _move_into_place(tmp: Path, directory: Path, force: bool) -> None:
    """Rename ``tmp`` to ``directory``; an earlier report there is set aside, then removed."""
    check_target(directory, force)  # again: something may have appeared while writing
    if directory.is_dir() and any(directory.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".old", dir=tmp.parent))
        os.replace(directory, old / directory.name)
        try:
            os.replace(tmp, directory)
        except BaseException:
            os.replace(old / directory.name, directory)  # put the earlier report back
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, directory)  # replaces an empty directory too


def relocate(paths: dict[str, Path], tmp: Path, directory: Path) -> dict[str, Path]:
    """``paths`` under ``tmp`` as the same paths under ``directory``."""
    return {kind: directory / path.relative_to(tmp) for kind, path in paths.items()}


__all__ = ["REPORT_FILES", "check_target", "relocate", "staged"]
