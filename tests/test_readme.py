"""The README as a newcomer uses it: Python blocks run, commands exist, links resolve."""

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
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.S | re.M)


def _blocks(language: str) -> list[str]:
    out = []
    for indent, lang, body in BLOCK.findall(README):
        if lang == language:
            out.append("\n".join(line[len(indent) :] for line in body.splitlines()))
    return out


def _commands() -> list[list[str]]:
    lines = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                lines.append(shlex.split(line))
    return lines


def test_readme_has_the_expected_blocks():
    assert len(_blocks("python")) >= 1
    assert len(_commands()) >= 10


def test_python_blocks_run(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "data" / "examples", tmp_path / "data" / "examples")  # as in the repo
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {}
    with warnings.catch_warnings():  # the README shows calls, not the warnings they may print
        warnings.simplefilter("ignore", OvcfWarning)
        for block in _blocks("python"):
            exec(compile(block, "README.md", "exec"), namespace)
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


def test_readme_links_resolve():
    anchors = {
        re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", README, re.M)
    }
    for target in re.findall(r"\]\(([^)]+)\)", README):
        if target.startswith("#"):
            assert target[1:] in anchors, f"README links to missing section {target}"
        elif not target.startswith("http"):
            assert (ROOT / target).exists(), f"README links to missing file {target}"


def test_no_reference_to_documents_outside_the_repository():
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in ("ovcfstats", "notebooks", "data", "benchmarks"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md", ".ipynb")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for word in ("SPEC", "§", "shared/", "PEERS.md", "STYLE.md"):
            assert word not in text, f"{path.relative_to(ROOT)} mentions {word!r}"
