"""Outputs that never lose or leak data: text stays text, nothing runs, files written whole."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ovcfstats import Report
from ovcfstats._results import Result
from ovcfstats.present._format import markdown_text

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "=HYPERLINK(\"http://evil\")",
    "a\n# forged heading",
    "\\<b>bold</b>",
    "&lt;i&gt;",
]


def _listing() -> Result:
    return Result(table=pd.DataFrame({"patient_id": HOSTILE, "x": range(len(HOSTILE))}))


def test_markdown_carries_no_raw_html_and_titles_forge_no_headings():
    report = Report("Study\n# Forged title\n<script>x</script>", intro="intro\n## forged")
    report.add(_listing(), title="Listing <b>\n## forged section")
    md = report.to_markdown("figures")
    ours = re.sub(r'<a id="[a-z0-9_]+"></a>', "", md)  # the anchors the writer makes
    assert not re.search(r"<[A-Za-z/!?]", ours)
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == [
        "# Study # Forged title &lt;script>x&lt;/script>",
        "## Contents",
        "## Statistical analysis",
        "## Listing &lt;b> ## forged section",
    ]
    assert "[x\\](javascript:" in md and "&amp;lt;i&amp;gt;" in md


def test_markdown_text_undoes_nothing():
    for text in HOSTILE:
        out = markdown_text(text)
        assert "\n" not in out and not re.search(r"<[A-Za-z/!?]", out)
        assert not re.search(r"(?<!\\)(\\\\)*\]\(", out)  # no unescaped ](


def test_html_escapes_the_same_text():
    report = Report("Study <script>x</script>").add(_listing(), title="Listing")
    html = report.to_html()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("key", ["../x", "/abs", "a b", ".hidden", "x" * 61, '"><script>'])
def test_report_keys_cannot_name_paths_or_markup(key):
    with pytest.raises(ValueError, match="letters, digits"):
        Report().add(_listing(), key=key)
