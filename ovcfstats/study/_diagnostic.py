"""The pipeline's diagnostic-accuracy sections: the covariate-adjusted AUCs beside the pooled
ones (the paper's Fig. 5, continued) and, when the study states a prevalence, the accuracy at each
indicator's Youden cut-off (PPV, NPV, likelihood ratios).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._run import _Run
from .config import StudyConfig

#: bootstrap resamples of the adjusted AUCs and the Youden cut-offs in the report
N_BOOT = 1000


def matching_covariates(data: pd.DataFrame, cfg: StudyConfig) -> list[str]:
    """The covariates the controls were matched on (calipers, then exact), present in ``data``."""
    wanted = dict.fromkeys([*cfg.calipers, *cfg.exact])
    return [c for c in wanted if c in data.columns]


def diagnostic_sections(
    run: _Run, data: pd.DataFrame, cfg: StudyConfig, inds: list[str], directions: Any
) -> None:
    """Adjusted AUCs (always, on the matching covariates) and threshold tables (with a
    prevalence)."""
    from ..roc import adjusted_auc, roc_thresholds

    covariates = matching_covariates(data, cfg)
    if not covariates:
        run.skip("adjusted AUC", "", "none of the matching covariates is in the data")
    else:
        run.step(
            "adjusted AUC",
            "fig5_adjusted",
            "Covariate-adjusted AUCs beside the pooled AUCs",
            lambda: adjusted_auc(
                data,
                inds,
                covariates,
                direction=directions,
                n_boot=N_BOOT,
                seed=cfg.boot_seed,
                alpha=cfg.alpha,
            ),
            figure_caption="Pooled ROC curves (left) and covariate-adjusted ROC curves (right, "
            "Janes & Pepe) of the indicators.",
            paper="Fig. 5, continued",
        )
    if cfg.prevalence is not None:
        run.step(
            "threshold tables",
            "thresholds",
            f"Diagnostic accuracy at the Youden cut-off (prevalence {100 * cfg.prevalence:g}%)",
            lambda: roc_thresholds(
                data,
                inds,
                prevalence=cfg.prevalence,
                direction=directions,
                n_boot=N_BOOT,
                seed=cfg.boot_seed,
                alpha=cfg.alpha,
            ),
        )
