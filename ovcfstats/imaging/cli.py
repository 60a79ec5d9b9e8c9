"""``ovcfstats measure MANIFEST.csv --out measurements.csv``: images → the measurements table.

``--out`` ending in ``.csv`` names the table; any other ``--out`` is a folder that holds the
resumable shards (``shards/``) and, at the end, ``measurements.csv`` and its companions.
``--workers N`` measures N scans at a time on this machine, ``--scheduler tcp://…`` on a Dask
cluster, and ``--resume`` goes on with an interrupted run in the same folder.
"""

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
    p.add_argument("--out", type=Path, default=Path("measurements.csv"),
                   help="output CSV, or a folder for resumable shards and the tables")  # fmt: skip
    p.add_argument("--rule", choices=RULES, default="totalsegmentator",
                   help="vertebral ROI rule (default: totalsegmentator)")  # fmt: skip
    p.add_argument("--hu-statistic", choices=("mean", "median"), default="mean")
    p.add_argument("--rater", default="auto", help="rater written into each row (default auto)")
    p.add_argument("--qc", type=Path, default=None, help="folder for one QC PNG per patient")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=int, default=1,
                   help="scans measured at a time on this machine (default 1)")  # fmt: skip
    p.add_argument("--chunksize", type=int, default=None,
                   help="patients per chunk: the unit of work, shard and retry")  # fmt: skip
    p.add_argument("--resume", action="store_true",
                   help="with a folder --out: skip patients measured there")  # fmt: skip
    p.add_argument("--scheduler", default=None,
                   help="address of a Dask scheduler (tcp://host:port) that runs the chunks; "
                   "needs the 'distributed' package")  # fmt: skip
    return p


def _folder_mode(out: Path) -> bool:
    """A ``--out`` without the ``.csv`` suffix is a folder of shards and final tables."""
    return out.suffix.lower() != ".csv"


def _executor(address: str | None):
    """The Dask cluster at ``address`` as a concurrent.futures executor, or None."""
    if not address:
        return None
    from .._validate import DataError

    try:
        from distributed import Client
    except ImportError:
        raise DataError(
            "--scheduler needs the 'distributed' package (pip install distributed)."
        ) from None
    return Client(address).get_executor()


def _outputs(out: Path) -> list[Path]:
    """The files ``measure`` writes: the table, its details, heights, exclusions and QC flags."""
    stem = out.with_suffix("")
    parts = ("details", "heights", "excluded", "flags")
    return [out, *(Path(f"{stem}.{part}.csv") for part in parts)]


def _check_outputs(out: Path, manifest: Path, *, folder: bool = False) -> None:
    """Refuse an ``--out`` that would replace the manifest or an image or mask it lists.

    ``folder``: ``out`` is the folder of the shards (checked itself, and may be a directory).
    """
    import pandas as pd

    from .._validate import DataError

    inputs = {manifest.resolve(): "the manifest"}
    if manifest.is_file():
        try:
            listed = pd.read_csv(manifest, dtype=str, keep_default_na=False)
        except (OSError, ValueError, pd.errors.ParserError):
            listed = pd.DataFrame()
        for col in ("image", "mask"):
            for value in listed.get(col, []):
                path = Path(value) if Path(value).is_absolute() else manifest.parent / value
                inputs.setdefault(path.resolve(), f"an input listed in the manifest ({col})")
    for path in [out] if folder else _outputs(out):
        if path.resolve() in inputs:
            raise DataError(
                f"--out {out} would overwrite {inputs[path.resolve()]} ({path}). Give another "
                "--out, e.g. --out measurements.csv."
            )
        if not folder and path.exists() and path.is_dir():
            raise DataError(f"--out {out}: {path} is a directory. Give a file name.")


def _run_measure(args: argparse.Namespace) -> int:
    """Run ``measure``; write the table, the details and the exclusions next to ``--out``.

    The files are written whole (each to a temporary file moved into place), formula-like text
    is quoted (a cell starting with ``=``, ``+``, ``-`` or ``@`` gets a leading ``'``), and a
    run that measured nothing leaves an existing table as it was.
    """
    from .._validate import DataError
    from ..present._safe import csv_safe, write_atomic
    from .batch import measure_images

    folder = Path(args.out) if _folder_mode(Path(args.out)) else None
    out = folder / "measurements.csv" if folder is not None else Path(args.out)
    try:
        if args.resume and folder is None:
            raise DataError("--resume needs a folder --out (not a .csv file) for the shards.")
        if folder is not None:
            _check_outputs(folder, Path(args.manifest), folder=True)
            if folder.exists() and not folder.is_dir():
                raise DataError(
                    f"--out {folder} is a file. Give a .csv file name for the table, or a folder "
                    "for the shards and the tables."
                )
        _check_outputs(out, Path(args.manifest))
        result = measure_images(
            args.manifest,
            rule=args.rule,
            hu_statistic=args.hu_statistic,
            rater=args.rater,
            qc_dir=args.qc,
            progress=not args.no_progress,
            workers=args.workers,
            chunksize=args.chunksize,
            executor=_executor(args.scheduler),
            out=folder,
            resume=args.resume,
        )
    except (DataError, ValueError) as err:
        print(f"ovcfstats: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    for item in result.excluded.itertuples(index=False):
        print(f"ovcfstats: left out: {item.id} {item.variable}: {item.reason}", file=sys.stderr)
    if not len(result.table):
        kept = f"{out} left as it was" if out.exists() else f"{out} not written"
        print(
            f"ovcfstats: error: no reading measured in any of {result.settings['patients']} "
            f"patients (reasons above); {kept}.",
            file=sys.stderr,
        )
        return 2
    tables = (result.table, result.details, result.heights, result.excluded, result.flags)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for path, table in zip(_outputs(out), tables, strict=True):
            write_atomic(path, csv_safe(table).to_csv(index=False))
    except OSError as err:
        print(f"ovcfstats: error: cannot write {out} ({err.strerror or err}).", file=sys.stderr)
        return 2
    patients = result.table["patient_id"].nunique()
    print(f"{len(result.table)} readings of {patients} patients written to {out}")
    return 0
