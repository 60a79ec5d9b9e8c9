"""Public names loaded on first use, so that importing a package stays light."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any


def lazy(
    package: str, names: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``names`` maps a name to its module.

    A name is imported from ``package.<module>`` when first asked for and kept in the package's
    namespace, so the next access is an ordinary attribute.

    Examples
    --------
    >>> import ovcfstats.design as design
    >>> design.power_auc.__module__
    'ovcfstats.design.power'
    """
    shown = sorted(public)

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return shown

    return __getattr__, __dir__
