"""Package metadata: one version everywhere, the sample data in the wheel, a valid citation."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import ovcfstats

ROOT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _cff() -> dict[str, str]:
    """The top-level scalar keys of CITATION.cff (a YAML subset: ``key: value`` lines)."""
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    return {m[1]: m[2].strip().strip('"') for m in re.finditer(r"^([a-z-]+):[ ]*(.*)$", text, re.M)}


def test_the_version_has_one_source():
    assert "version" in PYPROJECT["project"]["dynamic"] and "version" not in PYPROJECT["project"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "ovcfstats.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", ovcfstats.__version__)


def test_citation_and_changelog_carry_the_version():
    cff = _cff()
    assert cff["cff-version"] == "1.2.0" and cff["version"] == ovcfstats.__version__
    assert {"message", "title", "authors", "type", "license", "date-released"} <= set(cff)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cff["date-released"])
    assert re.search(
        r"^authors:\n  - (name|family-names): ", (ROOT / "CITATION.cff").read_text(), re.M
    )
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{ovcfstats.__version__}] - {cff['date-released']}" in changelog
    assert "## [Unreleased]" in changelog


def test_the_sample_data_are_package_data():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["ovcfstats"]
    folder = ROOT / "ovcfstats" / "datasets" / "sample_data"
    files = [p.relative_to(ROOT / "ovcfstats").as_posix() for p in folder.iterdir()]
    assert {"datasets/sample_data/patients.csv", "datasets/sample_data/measurements.csv"} <= set(
        files
    )
    for file in files:
        assert any(fnmatch.fnmatch(file, p) for p in patterns), f"{file} would not be in the wheel"
    from ovcfstats.datasets import SAMPLE_DIR

    assert folder == SAMPLE_DIR  # load_sample reads them from inside the package


def test_metadata_for_an_index():
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.11"
    versions = {c.rsplit(" ", 1)[-1] for c in project["classifiers"] if "Python :: 3." in c}
    assert versions == {"3.11", "3.12", "3.13"}
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(project["urls"])
    assert len(project["keywords"]) >= 5 and project["license"] == "MIT"
    assert {"docs", "release"} <= set(project["optional-dependencies"])
