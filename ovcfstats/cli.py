"""Command line: ``ovcfstats reproduce``, ``analyze DATA [MEASUREMENTS]``, ``init``, ``map``,
``app``.

``reproduce`` and ``analyze`` write report.html, report.md, tables.xlsx, report.docx and figures/
(PNG + SVG) to ``--out``, print one progress line per step and one warning line per skipped
step, and exit with status 2 and a one-line error on bad input.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

from ._results import OvcfWarning
from ._validate import DataError
from .app._cli import add_app_parser, run_app
from .imaging.cli import _add_measure_parser, _run_measure

DATA_HELP = (
    "The layout of the tables (columns, codes) is described in the documentation, page 'Data "
    "contract', and in ovcfstats/datasets/sample_data/README.md."
)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Wraps paragraphs without line breaks; keeps the examples' line breaks."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return super()._fill_text(text, width, indent)
        return argparse.HelpFormatter._fill_text(self, text, width, indent)


def _analysis_options(p: argparse.ArgumentParser) -> None:
    """Options shared by reproduce and analyze; unset ones keep the study file's values."""
    p.add_argument(
        "--out",
        type=Path,
        default=Path("ovcfstats-output"),
        metavar="DIR",
        help="output directory, created if needed; an existing one must be empty unless "
        "--force (default: ovcfstats-output)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the report in an existing --out folder as a whole (default: refuse a "
        "folder that is not empty)",
    )
    p.add_argument(
        "--deidentify",
        action="store_true",
        help="replace patient IDs by study codes (P0001, ...) and leave out dates and free "
        "text in every output file (default: the IDs as given)",
    )
    p.add_argument(
        "--caliper",
        metavar="WIDTH",
        help="matching caliper: years of age ('2') or variable=width pairs ('age=2,bmi=3') "
        "(default: 2 years of age)",
    )
    p.add_argument(
        "--exact",
        metavar="VARS",
        help="variables matched exactly, comma-separated, or 'none' (default: sex)",
    )
    p.add_argument("--ratio", type=int, metavar="K", help="controls per case, 1:K (default: 1)")
    p.add_argument(
        "--method",
        choices=("optimal", "nearest", "random"),
        help="matching method: optimal (most pairs, then least total distance), nearest "
        "(greedy, data order) or random (SPSS FUZZY) (default: optimal)",
    )
    p.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed of random matching, of bootstrap CIs and of the imputations (default: "
        "none: drawn and printed)",
    )
    p.add_argument(
        "--impute",
        type=int,
        metavar="M",
        help="multiple imputation of missing values, M completed tables, the analyses pooled "
        "by Rubin's rules and the complete-case analysis kept as a sensitivity analysis "
        "(default: complete-case only; study file [missing])",
    )
    p.add_argument(
        "--or-per",
        metavar="SCALE",
        help="OR per 'sd', per 'unit' or per a number of units, e.g. 10 (default: sd)",
    )
    p.add_argument(
        "--model",
        choices=("separate", "joint"),
        help="one logistic model per indicator, or all indicators in one (default: separate)",
    )
    p.add_argument(
        "--firth",
        action="store_true",
        default=None,
        help="Firth's penalised logistic regression, finite under separation (default: off)",
    )
    p.add_argument(
        "--conditional",
        action="store_true",
        default=None,
        help="conditional logistic regression on the matched sets (default: only for 1:k sets)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ovcfstats",
        description="Matched case–control study of osteoporotic vertebral fractures: "
        "indicators, reliability, matching, Tables 1–3, ROC and a report.",
        epilog="Examples:\n  ovcfstats reproduce\n  ovcfstats init study.toml\n"
        "  ovcfstats map clinic.xlsx --study study.toml\n"
        "  ovcfstats analyze indicators.xlsx --study study.toml\n  ovcfstats app\n\n"
        + textwrap.fill(DATA_HELP, 79),
        formatter_class=_Formatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rep = sub.add_parser(
        "reproduce",
        help="run the paper's pipeline on the bundled synthetic sample",
        description="Run the paper's pipeline on the bundled synthetic sample (ov.load_sample()), "
        "with the audit of the paper's printed numbers and the replication table.",
        epilog="Example:\n  ovcfstats reproduce --out ovcfstats-output",
        formatter_class=_Formatter,
    )
    _analysis_options(rep)
    ana = sub.add_parser(
        "analyze",
        help="run the pipeline on your own data",
        description="Run the pipeline on your own data. Give one table of indicators (one row "
        "per patient: patient_id, case 1/0, age, sex, covariates, indicator columns), or the "
        "patients and measurements tables of raw readings. Files: CSV (comma, semicolon or "
        "tab), Excel .xlsx, SPSS .sav, Stata .dta, Parquet. Options given here override the "
        "study file. " + DATA_HELP,
        epilog="Examples:\n"
        "  ovcfstats analyze indicators.xlsx --study study.toml\n"
        "  ovcfstats analyze patients.csv measurements.csv --caliper 3\n"
        "  ovcfstats analyze matched.sav --matched-by set_id --out report-1to2\n"
        "  ovcfstats analyze indicators.csv --audit published.csv",
        formatter_class=_Formatter,
    )
    ana.add_argument("data", type=Path, help="indicator table, or the patients table")
    ana.add_argument(
        "measurements",
        type=Path,
        nargs="?",
        help="measurements table of raw readings; then DATA is the patients table (default: "
        "none, DATA holds the indicators)",
    )
    ana.add_argument(
        "--study",
        type=Path,
        metavar="FILE",
        help="study file (TOML) with the analysis choices; write one with 'ovcfstats init' "
        "(default: the paper's choices)",
    )
    ana.add_argument(
        "--matched-by",
        metavar="COLUMN",
        help="column of matched-set ids of an already matched table (1:1 or 1:k); no "
        "matching is done (default: match here)",
    )
    ana.add_argument(
        "--indicators",
        metavar="COLS",
        help="indicator columns to analyse, comma-separated (default: the study file's, or "
        "t_score,hu,vbq,rcsa,fi)",
    )
    ana.add_argument(
        "--audit",
        type=Path,
        metavar="FILE",
        help="table of a paper's printed numbers to audit for consistency (default: none)",
    )
    ana.add_argument(
        "--sheet",
        metavar="NAME",
        help="Excel sheet to read, name or 0-based number (default: the first)",
    )
    ana.add_argument(
        "--contrast-phase",
        metavar="COLUMN",
        help="column of each CT's contrast phase: HU rows of Table 1, OR and AUC per phase "
        "(default: the study file's [contrast] phase, or none)",
    )
    ana.add_argument(
        "--adjust-phase",
        action="store_const",
        const="adjust",
        help="with a contrast phase: the phase as a covariate of the HU OR (default: strata)",
    )
    _analysis_options(ana)
    _add_measure_parser(sub)
    ini = sub.add_parser(
        "init",
        help="write a commented study file to edit",
        description="Write a commented study file (TOML) whose values reproduce the paper; "
        "edit it and pass it to 'ovcfstats analyze --study'.",
        epilog="Examples:\n  ovcfstats init study.toml\n"
        "  ovcfstats init study.toml --published published.csv",
        formatter_class=_Formatter,
    )
    ini.add_argument(
        "path", type=Path, nargs="?", default=Path("study.toml"),
        help="where to write it (default: study.toml)",
    )  # fmt: skip
    ini.add_argument(
        "--published",
        type=Path,
        metavar="FILE",
        help="also write a CSV of a paper's printed numbers to fill in for --audit, holding "
        "the paper's own as the example (default: none)",
    )
    ini.add_argument(
        "--force", action="store_true", help="overwrite existing files (default: refuse)"
    )
    _add_map_parser(sub)
    add_app_parser(sub, _Formatter)
    return parser


def _add_map_parser(sub: Any) -> None:
    mp = sub.add_parser(
        "map",
        help="recognise the columns of a clinic's wide spreadsheet; write the study file's mapping",
        description="Read a wide table (one row per patient; headers such as 'ID', 'Age (years)', "
        "'L1 HU R1', 'CSA PM left L3/4'; codes such as Female/Male, yes/no; missing codes such "
        "as 999), recognise its columns and write (or update) the [mapping] section of the study "
        "file, keeping the rest of the file and every entry marked status = \"reviewed\". "
        "Prints the review: each column, what it was understood as, the value codes found and "
        "how they map, and every column it could not place. analyze then reads the table "
        "through the mapping, and refuses an ambiguous or invalid column until it is reviewed.",
        epilog="Examples:\n  ovcfstats map data/examples/clinic_wide.xlsx --study study.toml\n"
        "  ovcfstats map clinic.xlsx --sheet Rater1 --study study.toml\n"
        "  ovcfstats analyze data/examples/clinic_wide.xlsx --study study.toml",
        formatter_class=_Formatter,
    )
    mp.add_argument("table", type=Path, help="the wide table (CSV, Excel, SPSS, Stata, Parquet)")
    mp.add_argument(
        "--sheet",
        metavar="NAME",
        help="Excel sheet to read, name or 0-based number (default: every sheet, e.g. one sheet "
        "per rater or session)",
    )
    mp.add_argument(
        "--study",
        type=Path,
        metavar="FILE",
        default=Path("study.toml"),
        help="study file to write or update; created from the template if it does not exist "
        "(default: study.toml)",
    )


def _map(args: argparse.Namespace) -> int:
    from .study._mapfile import review

    sheet = int(args.sheet) if args.sheet is not None and args.sheet.isdigit() else args.sheet
    return review(args.study, args.table, sheet)


# -- options -> config -------------------------------------------------------------------------
def _caliper(text: str) -> float | dict[str, float]:
    try:
        if "=" not in text:
            return float(text)
        pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
        return {k.strip(): float(v) for k, v in pairs}
    except ValueError:
        raise DataError(
            f"--caliper takes years of age (e.g. 2) or variable=width pairs (e.g. age=2,bmi=3); "
            f"got {text!r}."
        ) from None


def _names(text: str) -> tuple[str, ...]:
    return (
        ()
        if text.strip().lower() == "none"
        else tuple(t.strip() for t in text.split(",") if t.strip())
    )


def _config(args: argparse.Namespace) -> Any:
    from .study.config import StudyConfig

    study = getattr(args, "study", None)
    config = StudyConfig.from_toml(study) if study else StudyConfig()
    changes: dict[str, Any] = {}
    if args.caliper is not None:
        changes["caliper"] = _caliper(args.caliper)
    if args.exact is not None:
        changes["exact"] = _names(args.exact)
    if getattr(args, "indicators", None):
        changes["indicators"] = _names(args.indicators)
    per = args.or_per
    if per is not None:
        if per not in ("unit", "sd"):
            try:
                per = float(per)
            except ValueError:
                raise DataError(f"--or-per must be unit, sd or a number; got {per!r}.") from None
        changes["or_per"] = per
    for flag, name in (("ratio", "ratio"), ("method", "method"), ("seed", "seed"),
                       ("model", "or_model"), ("conditional", "conditional"),
                       ("contrast_phase", "contrast_phase"),
                       ("adjust_phase", "contrast_handling")):  # fmt: skip
        if getattr(args, flag, None) is not None:
            changes[name] = getattr(args, flag)
    if args.firth:
        changes["or_method"] = "firth"
    if getattr(args, "impute", None) is not None:
        changes |= {"missing_method": "mice", "impute_m": args.impute}
        if args.seed is not None:
            changes["impute_seed"] = args.seed
    return replace(config, **changes) if changes else config


#: Python keywords in library messages -> the command line's flags
_FLAGS = [
    (re.compile(r"caliper=\{'age': ([\d.]+)\}"), r"--caliper \1"),
    (
        re.compile(r"caliper=\{([^}]*)\}"),
        lambda m: "--caliper " + re.sub(r"['\s]", "", m.group(1)).replace(":", "="),
    ),
    (
        re.compile(r"\bexact=\(([^)]*)\)"),
        lambda m: "--exact " + (re.sub(r"['\s]", "", m.group(1)).rstrip(",") or "none"),
    ),
    (re.compile(r"method='firth'"), "--firth"),
    (re.compile(r"\bratio=(\d+)"), r"--ratio \1"),
    (re.compile(r"\bseed=(\w+)"), r"--seed \1"),
    (re.compile(r"\bmatched_by="), "--matched-by "),
    (re.compile(r"\bconditional=True"), "--conditional"),
    (re.compile(r"\bmodel='joint'"), "--model joint"),
    (
        re.compile(r"\btests=\{'(\w+)': '(\w+)'\}"),
        r'tests = { \1 = "\2" } under [table1] in the study file (--study)',
    ),
]


def _advice(message: str) -> str:
    message = " ".join(str(message).split())
    for pattern, flag in _FLAGS:
        message = pattern.sub(flag, message)
    return message


def _out_dir(out: Path, force: bool, inputs: tuple[Path | None, ...] = ()) -> None:
    """Check ``out`` before the analysis; raise one clear error (a file, not empty without
    ``--force``, an input inside it, no permission, an impossible path)."""
    from .report._folder import check_target

    check_target(out, force, flag="--force")
    if force and out.is_dir():
        for path in inputs:
            if path is not None and out.resolve() in Path(path).resolve().parents:
                raise DataError(
                    f"--out {out} holds the input {path}; --force would delete it. Give "
                    "another --out folder."
                )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"--out {out}: cannot create the directory ({err.strerror or err}). Choose another "
            "place, e.g. --out ./ovcfstats-output."
        ) from err
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise DataError(f"--out {out}: no permission to write there. Choose another directory.")


def _init(args: argparse.Namespace) -> int:
    from .study.config import template

    path: Path = args.path
    if path.is_dir():
        path = path / "study.toml"
    for target in (path, args.published):
        if target is not None and target.exists() and not args.force:
            raise DataError(f"{target} exists; use --force to overwrite it, or give another name.")
    try:
        path.write_text(template(), encoding="utf-8")
        if args.published is not None:
            from .audit.paper import PUBLISHED

            PUBLISHED.to_csv(args.published, index=False)
    except OSError as err:
        raise DataError(f"cannot write {err.filename or path} ({err.strerror or err}).") from err
    print(f"Study file written to {path}. Edit it, then run:")
    print(f"  ovcfstats analyze YOUR_TABLE.xlsx --study {path}")
    print("A clinic's spreadsheet (one row per patient, readings in columns such as 'L1 HU R1',")
    print("codes such as Female/Male or 999 for missing)? Map its columns into the study file:")
    print(f"  ovcfstats map YOUR_TABLE.xlsx --study {path}")
    if args.published is not None:
        print(f"Published numbers to fill in: {args.published} (use with --audit).")
    return 0


def _run(args: argparse.Namespace) -> int:
    from .study import analyze, reproduce

    config = _config(args)
    sheet = getattr(args, "sheet", None)
    if sheet is not None and sheet.isdigit():
        args.sheet = int(sheet)
    inputs = tuple(getattr(args, name, None) for name in ("data", "measurements", "study", "audit"))
    _out_dir(args.out, args.force, inputs)

    from .study._progress import ProgressBar, study_steps
    from .study.inputs import has_readings

    readings = args.command == "reproduce" or args.measurements is not None
    readings = readings or has_readings(config)
    audit = args.command == "reproduce" or bool(getattr(args, "audit", None) or config.audit)
    progress = ProgressBar(study_steps(readings, audit, report=True), notebook=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OvcfWarning)
        if args.command == "reproduce":
            report = reproduce(config=config, progress=progress, deidentify=args.deidentify)
        else:
            report = analyze(
                args.data,
                args.measurements,
                config=config,
                matched_by=args.matched_by,
                audit=args.audit,
                sheet=args.sheet,
                progress=progress,
                deidentify=args.deidentify,
            )
    for w in caught:  # also in the report, under the step that raised them
        if issubclass(w.category, OvcfWarning):
            progress.note(f"ovcfstats: warning: {_advice(str(w.message))}")
    progress("writing the report")
    paths = report.save(args.out, force=args.force)
    for key, why in report.skipped_figures().items():  # the report says so too
        progress.note(f"ovcfstats: warning: figure of '{key}' not drawn: {why}")
    progress.close()
    print(f"Report written to {args.out.resolve()}:")
    for kind, path in paths.items():
        print(f"  {kind:9} {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ovcfstats`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "measure":
        return _run_measure(args)
    try:
        if args.command == "map":
            return _map(args)
        if args.command == "app":
            return run_app(args)
        return _init(args) if args.command == "init" else _run(args)
    except (DataError, ValueError, OSError) as err:
        if isinstance(err, OSError) and not isinstance(err, DataError):
            err = f"{getattr(err, 'filename', '') or ''}: {err.strerror or err}".lstrip(": ")
        print(f"ovcfstats: error: {_advice(str(err))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
