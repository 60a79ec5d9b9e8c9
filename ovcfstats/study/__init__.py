"""The whole study in one call: :func:`analyze` on one's own data, :func:`reproduce` on the sample.

- :mod:`.pipeline`: :func:`analyze`, :func:`reproduce`.
- :mod:`.config`: :class:`StudyConfig`, every analysis choice; :mod:`._file`: the study file;
  :mod:`._mapfile`: its ``[mapping]`` section written by ``ovcfstats map``.
- :mod:`.inputs`: the input tables read and checked.
- :mod:`._steps`, :mod:`._run`: the steps in order and the report being built.
- :mod:`._progress`: :class:`ProgressBar`.
"""

from ._progress import ProgressBar
from .config import StudyConfig
from .pipeline import SkippedStepWarning, analyze, reproduce

__all__ = ["ProgressBar", "SkippedStepWarning", "StudyConfig", "analyze", "reproduce"]
