"""The study's progress bar: a line per step in a log, in place on a terminal, HTML in Jupyter."""

import io

import pytest

from ovcfstats import ProgressBar, analyze, load_sample
from ovcfstats.study._progress import study_steps


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_log_gets_one_line_per_step_with_the_share_done():
    out = io.StringIO()
    bar = ProgressBar(["a", "b", "c", "d"], stream=out, notebook=False, width=8)
    bar("a")
    bar("c")  # a step the run skipped (b) counts as done
    bar("d")
    bar.close()
    lines = out.getvalue().splitlines()
    assert [line.split("] ")[1].rsplit(" [", 1)[0] for line in lines] == [
        "0/4 a",
        "2/4 c",
        "3/4 d",
        "4/4 done",
    ]
    assert lines[1].startswith("ovcfstats: [####----]")
    assert lines[-1].startswith("ovcfstats: [########]")


def test_unplanned_steps_extend_the_bar():
    out = io.StringIO()
    bar = ProgressBar(["a"], stream=out, notebook=False)
    bar("a")
    bar("extra")
    assert bar.steps == ["a", "extra"]
    assert "1/2 extra" in out.getvalue()


def test_terminal_bar_is_redrawn_in_place_and_notes_go_above_it():
    out = Terminal()
    bar = ProgressBar(["a", "b"], stream=out, notebook=False)
    bar("a")
    bar.note("ovcfstats: warning: something")
    bar("b")
    bar.close()
    text = out.getvalue()
    assert "\n" not in text.split("warning: something\n")[1].rstrip("\n")  # one redrawn line
    assert text.count("\r\033[K") == 5 and text.endswith("\n")


def test_notebook_bar_is_one_html_element_updated(monkeypatch):
    pytest.importorskip("IPython")
    import IPython.display

    shown = []

    class Handle:
        def update(self, html):
            shown.append(("update", html.data))

    def display(html, display_id=None):
        shown.append(("display", html.data))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", display)
    bar = ProgressBar(["a", "b"], notebook=True)
    bar("a")
    bar("b")
    bar.close()
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    assert '<progress value="2" max="2"' in shown[-1][1] and "done" in shown[-1][1]


def test_analyze_progress_true_draws_a_bar_over_its_steps(capsys):
    patients, measurements = load_sample()
    analyze(patients, measurements, progress=True)
    err = capsys.readouterr().err.splitlines()
    steps = study_steps(readings=True)
    assert len(err) == len(steps) + 1
    for line, step in zip(err, steps, strict=False):
        assert f" {step} [" in line
    assert err[-1].startswith("ovcfstats: [########################] 8/8 done")
