"""The README and the documentation pages as a newcomer uses them.

Every ```python block of README.md and of docs/**/*.md runs (the blocks of one page in order, in
one namespace), every shell command exists with valid options, and every link resolves.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from ovcfstats import OvcfWarning
from ovcfstats.cli import _config, _parser

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
GENERATED = ("_build", "auto_examples", "reference/api")  # written by the site's build
PAGES = [
    ROOT / "README.md",
    *sorted(
        p
        for p in DOCS.rglob("*.md")
        if not any(p.relative_to(DOCS).as_posix().startswith(g) for g in GENERATED)
    ),
]
BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.S | re.M)


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _blocks(language: str, page: Path = ROOT / "README.md") -> list[str]:
    out = []
    for indent, lang, body in BLOCK.findall(page.read_text(encoding="utf-8")):
        if lang == language:
            out.append("\n".join(line[len(indent) :] for line in body.splitlines()))
    return out


def _commands(pages: list[Path] = PAGES) -> list[list[str]]:
    lines = []
    for page in pages:
        for block in _blocks("sh", page):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line and not line.startswith("#"):
                    lines.append(shlex.split(line))
    return lines


def test_pages_have_the_expected_blocks():
    assert len(_blocks("python")) >= 1
    assert len(_commands([ROOT / "README.md"])) >= 5
    assert len(_commands()) >= 20
    assert {"howto", "explanation", "reference", "tutorial"} <= {p.parent.name for p in PAGES}


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks("python", p)], ids=_name)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "data", tmp_path / "data")  # run as from the repository root
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {}
    with warnings.catch_warnings():  # the pages show calls, not the warnings they may print
        warnings.simplefilter("ignore", OvcfWarning)
        for block in _blocks("python", page):
            exec(compile(block, _name(page), "exec"), namespace)
    if 'report.save("my-report")' in page.read_text(encoding="utf-8"):
        assert (tmp_path / "my-report" / "report.html").is_file()


@pytest.mark.parametrize("argv", _commands(), ids=lambda a: " ".join(a)[:60])
def test_shell_commands_exist(argv, tmp_path):
    program, args = argv[0], argv[1:]
    if program == "make":
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        for target in args:
            assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"no make target {target}"
        return
    if program == ".venv/bin/python":
        assert args[0] == "-c"
        subprocess.run([sys.executable, *args], check=True, cwd=tmp_path, timeout=120)
        return
    assert program in (".venv/bin/ovcfstats", "ovcfstats"), f"unknown command {program}"
    if args == ["--help"]:
        with pytest.raises(SystemExit) as exit_:
            _parser().parse_args(args)
        assert exit_.value.code == 0
        return
    parsed = _parser().parse_args(args)  # unknown flags or bad values exit here
    if parsed.command in ("analyze", "reproduce") and getattr(parsed, "study", None) is None:
        _config(parsed)  # values of --caliper, --or-per, ... are valid


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_links_resolve(page):
    text = BLOCK.sub("", page.read_text(encoding="utf-8"))
    anchors = {
        re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, re.M)
    }
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, f"{_name(page)} links to missing section {target}"
        elif not target.startswith("http"):
            path = target.split("#")[0]
            if path.startswith("auto_examples/"):  # the gallery's build output; check its source
                path = "examples/" + ("README.txt" if path.endswith("index.rst") else "")
            assert (page.parent / path).exists(), f"{_name(page)} links to missing file {target}"


def test_no_reference_to_documents_outside_the_repository():
    files = [ROOT / n for n in ("Makefile", "pyproject.toml", "CITATION.cff", ".ci/run")]
    files += [ROOT / n for n in ("CONTRIBUTING.md", "CHANGELOG.md")] + PAGES
    for folder in ("ovcfstats", "notebooks", "data", "benchmarks", "docs"):
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.suffix in (".py", ".md", ".ipynb", ".txt") and "_build" not in p.parts
        ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for word in ("SPEC", "§", "shared/", "PEERS.md", "STYLE.md"):
            assert word not in text, f"{path.relative_to(ROOT)} mentions {word!r}"
