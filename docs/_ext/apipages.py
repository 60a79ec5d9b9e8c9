"""Write the reference pages (autosummary tables) from the package's own lists of public names.

``ovcfstats``: its ``__all__`` (the eager names and the lazy map), grouped by the stage that
exports each name; ``ovcfstats.design`` and ``ovcfstats.imaging``: their ``__all__``. A name
added to any of these lists appears in the reference without an edit here.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

PACKAGES = ("ovcfstats", "ovcfstats.design", "ovcfstats.imaging")
HERE = Path(__file__).resolve().parents[1]


def public_names(package: str) -> list[str]:
    """The public names of ``package`` (its ``__all__`` without dunder names)."""
    module = importlib.import_module(package)
    return [n for n in module.__all__ if not n.startswith("__")]


def _stage(package: str, name: str) -> str:
    lazy = getattr(importlib.import_module(package), "_LAZY", {})
    stage = lazy.get(name, "_results")
    stage = stage.split(".")[0] if package == "ovcfstats" else stage.lstrip("_")
    return "results, warnings and errors" if stage.startswith("_") else stage


def documented_at(package: str, name: str) -> str:
    """Where autodoc finds the documentation of ``package.name``.

    Functions and classes carry their docstring with them. A constant (a dict, a table, a tuple)
    does not: its documentation is the ``#:`` comment above its assignment, which autodoc reads
    only from the module that assigns it, so the entry names that module.
    """
    obj = getattr(importlib.import_module(package), name)
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return f"{package}.{name}"  # as the package exports it
    for modname, module in sorted(sys.modules.items()):
        mine = modname.startswith("ovcfstats.") and vars(module).get(name) is obj
        if mine and comment_doc(module, name):
            return f"{modname}.{name}"
    raise LookupError(f"{package}.{name}: no '#:' comment documents it where it is assigned")


def comment_doc(module, name: str) -> str:
    """The ``#:`` comment lines right above ``name = ...`` (or ``name: T = ...``) in ``module``."""
    lines = inspect.getsource(module).splitlines()
    pattern = re.compile(rf"^{re.escape(name)}\s*[:=]")
    for i, line in enumerate(lines):
        if pattern.match(line):
            doc = []
            while i > 0 and lines[i - 1].startswith("#:"):
                i -= 1
                doc.insert(0, lines[i][3:] if lines[i].startswith("#: ") else lines[i][2:])
            return "\n".join(doc)
    return ""


def documentation(package: str, name: str) -> str:
    """The text the reference page shows for ``package.name``: docstring or ``#:`` comment."""
    path = documented_at(package, name)
    obj = getattr(importlib.import_module(package), name)
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return inspect.getdoc(obj) or ""
    return comment_doc(importlib.import_module(path.rsplit(".", 1)[0]), name)


def page(package: str) -> str:
    """The reST text of one reference page: one autosummary table per stage."""
    title = f"``{package}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {package}", "   :no-members:", ""]
    groups: dict[str, list[str]] = {}
    for name in public_names(package):
        groups.setdefault(_stage(package, name), []).append(name)
    for stage in sorted(groups):
        heading = stage if package == "ovcfstats" else f"{package}.{stage}"
        lines += [heading, "-" * len(heading), "", f".. currentmodule:: {package}", ""]
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        names = sorted(groups[stage], key=str.lower)
        paths = [documented_at(package, name).removeprefix(f"{package}.") for name in names]
        lines += [f"   ~{path}" if "." in path else f"   {path}" for path in paths] + [""]
    return "\n".join(lines)


def write_pages(directory: Path = HERE / "reference" / "api") -> list[Path]:
    """Write one page per package (only when its text changed, so rebuilds stay incremental)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for package in PACKAGES:
        path = directory / f"{package}.rst"
        text = page(package)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def setup(app):  # the Sphinx extension hook: before autosummary reads the pages
    write_pages()
    return {"parallel_read_safe": True}
