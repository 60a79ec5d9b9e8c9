"""Every public name has an entry on a reference page and documentation with a runnable example."""

from __future__ import annotations

import doctest
import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("apipages", ROOT / "docs" / "_ext" / "apipages.py")
apipages = importlib.util.module_from_spec(_spec)
sys.modules["apipages"] = apipages
_spec.loader.exec_module(apipages)

NAMES = [(pkg, name) for pkg in apipages.PACKAGES for name in apipages.public_names(pkg)]
EXAMPLES = re.compile(r"^Examples\n-{8,}\n(.*)", re.S | re.M)


def test_the_three_packages_are_covered_and_their_lists_are_complete():
    import ovcfstats

    packages = {pkg for pkg, _ in NAMES}
    assert packages == {"ovcfstats", "ovcfstats.design", "ovcfstats.imaging"}
    assert set(ovcfstats._LAZY) <= {n for p, n in NAMES if p == "ovcfstats"}
    assert len(NAMES) >= 100


@pytest.mark.parametrize("package, name", NAMES, ids=lambda x: x)
def test_public_name_has_a_reference_entry_and_an_example(package, name):
    page = apipages.page(package)
    entry = apipages.documented_at(package, name).removeprefix(f"{package}.")
    assert re.search(rf"^   ~?{re.escape(entry)}$", page, re.M), f"{package}.{name} not on its page"
    text = apipages.documentation(package, name)
    examples = EXAMPLES.search(text)
    assert examples and ">>>" in examples.group(1), f"{package}.{name}: no Examples section"


@pytest.mark.parametrize(
    "package, name",
    [
        (p, n)
        for p, n in NAMES
        if not (inspect.isclass(o := getattr(importlib.import_module(p), n)) or callable(o))
    ],
    ids=lambda x: x,
)
def test_examples_of_constants_run(package, name):
    """Constants are documented by a ``#:`` comment, which the doctests of the suite do not see."""
    module = importlib.import_module(package)
    test = doctest.DocTestParser().get_doctest(
        apipages.documentation(package, name), {package.split(".")[-1]: module}, name, None, 0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 0
