"""How the study pipeline degrades per step: the report being built, the skipped steps and progress.

A step that cannot be computed on the data is recorded (and warned about with
:class:`SkippedStepWarning`) instead of stopping the run; :meth:`_Run.finish` adds the
*Skipped steps* section right after the analysis choices.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .._results import OvcfWarning, Result
from .._validate import DataError

if TYPE_CHECKING:
    from ..report import Report

Progress = Callable[[str], None] | bool | None


class SkippedStepWarning(OvcfWarning):
    """A step or an indicator of the pipeline could not be computed on the data and was left out.

    Examples
    --------
    >>> from ovcfstats import OvcfWarning, SkippedStepWarning
    >>> issubclass(SkippedStepWarning, OvcfWarning)
    True
    """


@dataclass(frozen=True, eq=False)
class SkippedResult(Result):
    """What the pipeline left out: ``step``, ``item``, ``reason``."""

    title: ClassVar[str] = "Skipped steps"

    def notes(self) -> list[str]:
        return [
            "Every other step ran. Each row names a step or an indicator that could not be "
            "computed on these data and why.",
            *super().notes(),
        ]


def _bar(progress: Progress, readings: bool, audit: bool) -> tuple[Any, bool]:
    """``progress=True``: a :class:`~ovcfstats.ProgressBar` over the steps of this run (and
    whether this call made it, so closes it)."""
    if progress is True:
        from ._progress import ProgressBar, study_steps

        return ProgressBar(study_steps(readings=readings, audit=audit)), True
    return progress or None, False


def _progress(callback: Progress, message: str) -> None:
    if callback is not None:
        callback(message)


# -- degrading per step ------------------------------------------------------------------------
@dataclass
class _Run:
    """The report being built and what was skipped."""

    report: Report
    progress: Progress = None
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    #: the paper's run (:func:`~ovcfstats.reproduce`): headings name the paper's tables too
    paper: bool = False

    def skip(self, step: str, item: str, reason: str) -> None:
        reason = " ".join(str(reason).split())
        self.skipped.append((step, item, reason))
        what = f"{step} ({item})" if item else step
        warnings.warn(f"skipped {what}: {reason}", SkippedStepWarning, stacklevel=3)

    def step(
        self,
        name: str,
        key: str,
        title: str,
        compute: Callable[[], Result],
        figure_caption: str = "",
        paper: str = "",
    ) -> Any:
        """Add ``compute()`` under ``key``, or record ``name`` as skipped with the error.

        ``paper`` names the paper's table or figure of this section (e.g. ``"Fig. 5"``); only
        the paper's own run prints it.
        """
        try:
            result = compute()
        except (DataError, ValueError, np.linalg.LinAlgError) as err:
            self.skip(name, "", str(err))
            return None
        except Exception as err:  # one failing step must not take the others with it
            self.skip(name, "", f"unexpected error, please report it: {type(err).__name__}: {err}")
            return None
        if self.paper and paper:
            title = f"{title} (the paper's {paper})"
        self.report.add(result, title=title, key=key, figure_caption=figure_caption)
        return result

    def finish(self) -> Report:
        if self.skipped:
            table = pd.DataFrame(self.skipped, columns=["step", "item", "reason"])
            self.report.add(SkippedResult(table=table), key="skipped")
            moved = self.report.items.pop()  # shown right after the choices
            position = 1 if self.report.items and self.report.items[0].key == "choices" else 0
            self.report.items.insert(position, moved)
        return self.report
