"""A progress bar over the study's steps, for the terminal and for Jupyter.

:func:`~ovcfstats.analyze` calls its ``progress`` callable with the name of each step as it
starts; :class:`ProgressBar` is such a callable that knows the steps ahead and shows where the
run is and how long it has taken: a bar redrawn in place on a terminal, one line per step in a
log file, an HTML ``<progress>`` element updated in place in a notebook.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

#: the steps of :func:`~ovcfstats.analyze`, in order (some depend on the input)
READING_STEPS = ("reading and checking the readings", "indicators", "reliability (ICC)")
ANALYSIS_STEPS = ("matching", "Table 1", "Table 2", "Table 3", "ROC")
AUDIT_STEP = "audit of the published numbers"


def study_steps(readings: bool = True, audit: bool = False, report: bool = False) -> list[str]:
    """The steps :func:`~ovcfstats.analyze` reports, in order.

    >>> study_steps(readings=False, report=True)
    ['matching', 'Table 1', 'Table 2', 'Table 3', 'ROC', 'writing the report']
    """
    steps = [*(READING_STEPS if readings else ()), *ANALYSIS_STEPS]
    return steps + [AUDIT_STEP] * audit + ["writing the report"] * report


class ProgressBar:
    """Shows which of ``steps`` is running, how far along and the time so far.

    Parameters
    ----------
    steps : sequence of str
        The step names in order (:func:`study_steps`); a name not in it counts as the next.
    stream : file, optional
        Where the text bar goes (default: standard error). On a terminal it is redrawn in place;
        otherwise each step is one line (a log stays readable).
    notebook : bool, optional
        Draw an HTML bar updated in place (default: when running in a Jupyter kernel).
    width : int, default 24
        Characters of the text bar.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar(["matching", "ROC"], stream=out, notebook=False)
    >>> bar("matching"); bar("ROC"); bar.close()
    >>> print(out.getvalue().splitlines()[1].split(" [")[1])
    ############------------] 1/2 ROC
    """

    def __init__(
        self,
        steps: Sequence[str],
        *,
        stream: TextIO | None = None,
        notebook: bool | None = None,
        width: int = 24,
    ) -> None:
        self.steps = list(steps)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.start = time.perf_counter()
        self.notebook = _in_notebook() if notebook is None else notebook
        self._handle: Any = None
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, step: str) -> None:
        """Step ``step`` starts: the bar moves to it."""
        if step in self.steps[self.done :]:
            self.done = self.steps.index(step, self.done) + 1
        else:
            self.done += 1
            if self.done > len(self.steps):
                self.steps.append(step)
        self._show(step)

    def note(self, line: str) -> None:
        """Print ``line`` above the bar (a warning), then draw the bar again."""
        if self.notebook or not self._tty:
            self.stream.write(line + "\n")
        else:
            self.stream.write("\r\033[K" + line + "\n")
            self._show(self.steps[self.done - 1] if self.done else "starting")
        self.stream.flush()

    def close(self) -> None:
        """All steps done: a full bar with the total time."""
        self.done = len(self.steps)
        self._show("done")
        if not self.notebook and self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self, step: str) -> None:
        seconds = time.perf_counter() - self.start
        total = max(len(self.steps), 1)
        # the step that starts is under way, not done: the bar shows the steps before it
        finished = self.done if step == "done" else self.done - 1
        if self.notebook:
            self._show_html(step, finished, total, seconds)
            return
        filled = round(self.width * finished / total)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"ovcfstats: [{bar}] {finished}/{total} {step} [{seconds:.1f} s]"
        if self._tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _show_html(self, step: str, finished: int, total: int, seconds: float) -> None:
        from html import escape

        from IPython.display import HTML, display

        html = HTML(
            f'<progress value="{finished}" max="{total}" style="width:16em"></progress> '
            f"<code>{finished}/{total} {escape(step)} · {seconds:.1f} s</code>"
        )
        if self._handle is None:
            self._handle = display(html, display_id=True)
        else:
            self._handle.update(html)


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (an HTML bar can be shown)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:  # pragma: no cover - a stub IPython module
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})
