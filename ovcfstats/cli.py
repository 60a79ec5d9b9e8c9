"""Command line: ``ovcfstats reproduce`` and ``ovcfstats analyze PATIENTS.csv MEASUREMENTS.csv``.

Both write report.html, report.md, tables.xlsx, report.docx and figures/ (PNG + SVG) to ``--out``,
print one progress line per step, and exit with status 2 and a one-line error on bad input.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from ._results import OvcfWarning
from ._validate import DataError
from .imaging.cli import _add_measure_parser, _run_measure


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ovcfstats", description="The OVCF case–control study pipeline."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run the paper's pipeline on the bundled sample")
    ana = sub.add_parser("analyze", help="run the pipeline on your own two tables (CSV)")
    _add_measure_parser(sub)
    ana.add_argument("patients", type=Path, help="patients table (CSV, SPEC §1)")
    ana.add_argument("measurements", type=Path, help="measurements table (CSV, SPEC §1)")
    for p in (rep, ana):
        p.add_argument(
            "--out",
            type=Path,
            default=Path("ovcfstats-output"),
            help="output directory (default: ovcfstats-output)",
        )
        p.add_argument("--caliper", type=float, default=2.0, help="age caliper in years")
        p.add_argument("--method", choices=("optimal", "nearest", "random"), default="optimal")
        p.add_argument("--seed", type=int, default=None, help="seed of random matching")
        p.add_argument("--or-per", default="sd", help="OR scale: unit, sd or a number")
        p.add_argument("--model", choices=("separate", "joint"), default="separate")
        p.add_argument("--firth", action="store_true", help="Firth's penalised logistic regression")
        p.add_argument(
            "--conditional",
            action="store_true",
            help="conditional logistic regression on the pairs",
        )
    return parser


def _read(path: Path):
    import pandas as pd

    if not path.is_file():
        raise DataError(f"file not found: {path}")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path}: not a readable CSV file ({err}).") from err


def _tables(args: argparse.Namespace):
    from .schema import validate_measurements, validate_patients

    patients, measurements = _read(args.patients), _read(args.measurements)
    try:
        patients = validate_patients(patients)
    except DataError as err:
        raise DataError(f"{args.patients}: {err}") from err
    try:
        validate_measurements(measurements, patients)
    except DataError as err:
        raise DataError(f"{args.measurements}: {err}") from err
    return patients, measurements


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ovcfstats`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "measure":
        return _run_measure(args)
    from .study import StudyConfig, reproduce

    per: str | float = args.or_per
    if per not in ("unit", "sd"):
        try:
            per = float(per)
        except ValueError:
            print(
                f"ovcfstats: error: --or-per must be unit, sd or a number; got {per!r}.",
                file=sys.stderr,
            )
            return 2
    config = StudyConfig(
        caliper=args.caliper,
        method=args.method,
        seed=args.seed,
        or_per=per,
        or_model=args.model,
        conditional=args.conditional,
        or_method="firth" if args.firth else "ml",
    )

    def progress(step: str) -> None:
        print(f"ovcfstats: {step}", file=sys.stderr, flush=True)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", OvcfWarning)
            if args.command == "reproduce":
                report = reproduce(config=config, progress=progress)
            else:
                patients, measurements = _tables(args)
                report = reproduce(patients, measurements, config=config, progress=progress)
        for w in caught:  # also in the report, under the step that raised them
            print(f"ovcfstats: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
        progress("writing the report")
        paths = report.save(args.out)
    except (DataError, ValueError) as err:
        print(f"ovcfstats: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    print(f"Report written to {args.out.resolve()}:")
    for kind, path in paths.items():
        print(f"  {kind:9} {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
