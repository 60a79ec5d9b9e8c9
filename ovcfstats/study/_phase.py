"""The HU indicator by contrast phase: stratified (Table 1 rows, OR, AUC per phase) or adjusted.

Intravenous contrast raises trabecular attenuation (by roughly 14–26 HU at L1 in the portal
venous phase), so a cohort that mixes native and contrast-enhanced scans mixes two HU scales.
The study file's ``[contrast] phase`` names the column holding each patient's phase (e.g. the
``contrast_agent`` that ``measure_images`` reads from the DICOM header, or any coded column);
``handling`` chooses:

``"stratify"``
    The HU rows of Table 1, the OR and the AUC within each phase. A phase whose matched sets
    are whole (each with its case and a control, e.g. when the phase is an exact matching
    variable) keeps the matched analysis; one whose sets are split by the phase is analysed
    unpaired, and its titles say so.
``"adjust"``
    The HU OR with the phase as one more covariate of its logistic model (non-numeric phases
    one-hot encoded, the first sorted one the reference).

Patients without a phase are in no stratum: the skipped steps list them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._validate import DataError, describe_ids, did_you_mean
from ._run import _Run
from .config import StudyConfig

#: the indicator read on the CT's attenuation scale
HU = "hu"


def check_phase(data: pd.DataFrame, cfg: StudyConfig) -> None:
    """The phase column the study names must be in the data (a typo is an error, not a skip)."""
    phase = cfg.contrast_phase
    if phase is not None and phase not in data.columns:
        raise DataError(
            f"analyze(): the contrast phase column {phase!r} ([contrast] phase; "
            f"--contrast-phase) is not in the data.{did_you_mean(phase, data.columns)} The "
            f"columns are {', '.join(map(str, data.columns))}."
        )


def phase_sections(
    run: _Run, data: pd.DataFrame, cfg: StudyConfig, inds: list[str], or_options: dict[str, Any]
) -> None:
    """Add the HU-by-phase sections (module notes) when the study names a phase column."""
    phase = cfg.contrast_phase
    if phase is None:
        return
    if HU not in inds:
        run.skip("contrast phase", HU, "HU is not among the analysed indicators")
        return
    blank = data[phase].isna() | (data[phase].astype(str).str.strip() == "")
    if blank.any():
        ids = describe_ids(list(data.loc[blank, "patient_id"])) if "patient_id" in data else ""
        run.skip("contrast phase", phase, f"{int(blank.sum())} patients without a phase ({ids})")
    if cfg.contrast_handling == "adjust":
        _adjusted(run, data[~blank], cfg, or_options)
    else:
        _stratified(run, data[~blank], cfg, or_options)


def _adjusted(run: _Run, data: pd.DataFrame, cfg: StudyConfig, or_options: dict) -> None:
    from ..regression import logistic_or

    adjust = [*or_options["adjust"], cfg.contrast_phase]
    run.step(
        "OR of HU adjusted for the contrast phase",
        "hu_phase_or",
        f"Table 2 (HU). OR of HU adjusted for {', '.join(adjust)} (contrast phase: "
        f"'{cfg.contrast_phase}')",
        lambda: logistic_or(data, [HU], **{**or_options, "adjust": adjust}),
    )


def _stratified(run: _Run, data: pd.DataFrame, cfg: StudyConfig, or_options: dict) -> None:
    from ..regression import logistic_or
    from ..roc import roc_auc
    from ..table1.groups import compare_groups

    phase = cfg.contrast_phase
    levels = sorted(data[phase].astype(str).str.strip().unique())
    for number, level in enumerate(levels, 1):
        part = data[data[phase].astype(str).str.strip() == level]
        whole = _whole_sets(part)
        how = "matched sets" if whole else "unpaired: matched sets split by the phase"
        where = f"{phase} = {level} ({len(part)} patients; {how})"
        key = f"hu_phase{number}"
        options = {**or_options, "conditional": or_options["conditional"] and whole}
        run.step(
            f"Table 1 (HU, {where})",
            f"{key}_table1",
            f"Table 1 (HU) within {where}",
            lambda p=part, w=whole: compare_groups(
                p, [HU], pair="pair_id" if w else None, tests=cfg.tests, alpha=cfg.alpha
            ),
        )
        run.step(
            f"OR of HU ({where})",
            f"{key}_or",
            f"Table 2 (HU) within {where}",
            lambda p=part, o=options: logistic_or(p, [HU], **o),
        )
        run.step(
            f"ROC of HU ({where})",
            f"{key}_roc",
            f"ROC of HU within {where}",
            lambda p=part: roc_auc(
                p, [HU], direction=_direction(cfg), ci=cfg.roc_ci, seed=cfg.seed, alpha=cfg.alpha
            ),
            figure_caption=f"ROC curve of HU for OVCF within {where}.",
        )


def _whole_sets(part: pd.DataFrame) -> bool:
    """Whether every matched set of ``part`` still holds its case and at least one control."""
    if "pair_id" not in part.columns:
        return False
    counts = part.groupby("pair_id")["case"].agg(["sum", "count"])
    return bool(((counts["sum"] == 1) & (counts["count"] >= 2)).all())


def _direction(cfg: StudyConfig) -> str:
    return cfg.variable(HU)["direction"]
