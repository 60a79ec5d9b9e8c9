"""The optional design sections of ``analyze``: post-hoc power and the combined model."""

from __future__ import annotations

import pandas as pd

from ._run import _Run
from .config import StudyConfig


def design_sections(
    run: _Run,
    data: pd.DataFrame,
    cfg: StudyConfig,
    inds: list[str],
    adjust: list[str],
    pairs: bool,
) -> None:
    """The optional post-hoc power and combined-model sections (study file [design])."""
    from ..design.combined import combined_model
    from ..design.posthoc import sample_size_section

    items = {item.key: item.result for item in run.report.items}
    if cfg.sample_size and "fig5" in items:
        n_sets = int(data["pair_id"].nunique()) if "pair_id" in data.columns else None
        run.step(
            "sample size",
            "sample_size",
            "Post-hoc power and sample size at the observed AUCs and ORs",
            lambda: sample_size_section(
                items["fig5"],
                odds_ratios=items.get("table2_or"),
                n_sets=n_sets,
                controls_per_case=cfg.ratio,
                alpha=cfg.alpha,
            ),
        )
    if cfg.combined:
        missing = [i for i in cfg.combined if i not in inds]
        if missing:
            run.skip("combined model", ", ".join(missing), "not among the analysed indicators")
            return
        covariates = [a for a in adjust if not (pairs and a in cfg.exact)]
        run.step(
            "combined model",
            "combined",
            f"Combined model of {', '.join(cfg.variable(i)['label'] for i in cfg.combined)}",
            lambda: combined_model(
                data,
                list(cfg.combined),
                covariates=covariates,
                n_boot=cfg.n_boot,
                seed=cfg.boot_seed,
                prevalence=cfg.prevalence,
                alpha=cfg.alpha,
            ),
        )
