"""``ovcfstats measure MANIFEST.csv --out measurements.csv``: images → the measurements table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: the vertebral ROI rules (``ovcfstats.imaging.vertebrae.ROI_RULES``, kept here so that the
#: command line starts without loading the imaging modules)
RULES = ("totalsegmentator", "comp2comp", "midslice")


def _add_measure_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``measure`` subcommand on the main parser's subparsers."""
    p = subparsers.add_parser(
        "measure",
        help="measure images + masks listed in a manifest into a measurements table (CSV)",
        description="Read each patient's image and mask (manifest columns: patient_id, image, "
        "mask, modality) and write the readings as rows of the measurements table. "
        "Failures are listed per patient; the batch never stops on one.",
    )
    p.add_argument("manifest", type=Path, help="manifest CSV: patient_id, image, mask, modality")
    p.add_argument("--out", type=Path, default=Path("measurements.csv"), help="output CSV")
    p.add_argument("--rule", choices=RULES, default="totalsegmentator",
                   help="vertebral ROI rule (default: totalsegmentator)")  # fmt: skip
    p.add_argument("--hu-statistic", choices=("mean", "median"), default="mean")
    p.add_argument("--rater", default="auto", help="rater written into each row (default auto)")
    p.add_argument("--qc", type=Path, default=None, help="folder for one QC PNG per patient")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _run_measure(args: argparse.Namespace) -> int:
    """Run ``measure``; write the table, the details and the exclusions next to ``--out``."""
    from .._validate import DataError
    from .batch import measure_images

    try:
        result = measure_images(
            args.manifest,
            rule=args.rule,
            hu_statistic=args.hu_statistic,
            rater=args.rater,
            qc_dir=args.qc,
            progress=not args.no_progress,
        )
    except (DataError, ValueError) as err:
        print(f"ovcfstats: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out, index=False)
    stem = out.with_suffix("")
    result.details.to_csv(f"{stem}.details.csv", index=False)
    result.heights.to_csv(f"{stem}.heights.csv", index=False)
    result.excluded.to_csv(f"{stem}.excluded.csv", index=False)
    for item in result.excluded.itertuples(index=False):
        print(f"ovcfstats: left out: {item.id} {item.variable}: {item.reason}", file=sys.stderr)
    patients = result.table["patient_id"].nunique()
    print(f"{len(result.table)} readings of {patients} patients written to {out}")
    return 0 if len(result.table) else 1
