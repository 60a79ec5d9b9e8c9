"""What the app does with a table, without the page: open, map, configure, run, bundle.

Every function here is plain Python (no web framework), so that the app's logic is tested
without a browser. Errors are :class:`~ovcfstats.DataError` with a one-line message, shown on
the page next to the control that can fix them.
"""

from __future__ import annotations

import io
import shlex
import threading
import time
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._results import OvcfWarning
from .._validate import DataError
from ..data._patient_codes import COMORBIDITIES
from ..data.readers import FORMATS
from ..data.schema import INDICATORS, PATIENT_COLUMNS, VERTEBRAE
from ..study.config import StudyConfig

#: the largest upload the page takes; a larger file is given by its path
MAX_UPLOAD_MB = 200
#: every workbook sheet at once (one sheet per rater or session)
ALL_SHEETS = "__all__"
#: the choice that keeps a column aside as an extra column
ASIDE = "aside"
#: the values a coded patient field takes: value -> label of the code select boxes
CODE_VALUES: dict[str, dict[Any, str]] = {
    "sex": {"F": "F (female)", "M": "M (male)"},
    "case": {1: "1 (case)", 0: "0 (control)"},
    **{c: {1: "1 (yes)", 0: "0 (no)"} for c in COMORBIDITIES},
    "fracture_level": {**{v: v for v in VERTEBRAE}, "": "none"},
}
#: the code select box's value of a code not known yet
UNKNOWN = "?"
#: one pipeline at a time on this machine (the others wait for it)
_RUN_LOCK = threading.Lock()


def one_line(err: BaseException | str) -> str:
    """The error as the command line prints it: one line, no traceback."""
    if isinstance(err, OSError) and not isinstance(err, DataError):
        err = f"{getattr(err, 'filename', '') or ''}: {err.strerror or err}".lstrip(": ")
    return " ".join(str(err).split())


# -- the table -----------------------------------------------------------------------------------
@dataclass
class Source:
    """A table to analyse: its ``path``, shown ``name`` and the workbook's ``sheets``."""

    path: Path
    name: str
    sheets: list[str] = field(default_factory=list)

    def sheet_arg(self, choice: str | None) -> str | None:
        """The ``sheet`` argument of the readers for a choice of the sheet box."""
        if not self.sheets or choice in (None, "", ALL_SHEETS):
            return None
        return choice


def open_source(path: str | Path, name: str | None = None, size: int | None = None) -> Source:
    """Check a file given by upload or by path; list the sheets of a workbook."""
    path = Path(str(path).strip().strip('"').strip("'")).expanduser()
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        kinds = "Excel .xlsx, CSV, SPSS .sav, Stata .dta or Parquet"
        shown = suffix or "(no extension)"
        raise DataError(f"{name}: unknown kind of file {shown!r}; give {kinds}.")
    if size is not None and size > MAX_UPLOAD_MB * 2**20:
        raise DataError(
            f"{name} is {size / 2**20:.0f} MB, over the upload limit of {MAX_UPLOAD_MB} MB; give "
            "its path on this computer instead."
        )
    if not path.is_file():
        raise DataError(f"{path}: file not found. Give the full path of a file on this computer.")
    sheets: list[str] = []
    if FORMATS[suffix] == "excel":
        import pandas as pd

        try:
            with pd.ExcelFile(path) as book:
                sheets = [str(s) for s in book.sheet_names]
        except Exception:  # a broken or renamed file: one line, never a traceback
            raise DataError(
                f"{name}: not a readable Excel workbook. Save it again from Excel as .xlsx, or "
                "export it as CSV."
            ) from None
    return Source(path=path, name=name, sheets=sheets)


def guess(source: Source, sheet: str | None) -> Any:
    """The :class:`~ovcfstats.ColumnMapping` guessed for the table (or sheet) chosen."""
    from ..data.wide import guess_mapping

    try:
        return guess_mapping(source.path, sheet=source.sheet_arg(sheet))
    except DataError:
        raise
    except (ValueError, OSError, KeyError) as err:
        raise DataError(f"{source.name}: {one_line(err)}") from None


# -- the mapping review --------------------------------------------------------------------------
def describe(entry: Mapping[str, Any]) -> str:
    """A mapping entry in words (``"patient field age"``, ``"hu × L1 × rater R1"``)."""
    if "field" in entry:
        return f"patient field {entry['field']}"
    if "indicator" in entry:
        return f"indicator {entry['indicator']}"
    keys = ("measure", "level", "muscle", "side", "rater", "session")
    parts = []
    for key in keys:
        if key in entry and entry[key] not in ("", None):
            value = entry[key]
            parts.append(f"{key} {value}" if key in ("rater", "session") else str(value))
    return " × ".join(parts)


def _meaning(entry: Mapping[str, Any]) -> dict[str, Any]:
    drop = {"status", "candidates", "note", "missing"}
    return {k: v for k, v in entry.items() if k not in drop}


def meanings(entry: Mapping[str, Any], indicators: tuple[str, ...]) -> dict[str, str]:
    """The select box of one column: choice value -> label (the guess, candidates, others)."""
    out: dict[str, str] = {}
    if entry.get("status") not in ("ambiguous", "invalid", "extra", "unplaced"):
        meaning = _meaning(entry)
        if meaning:
            out["guess"] = describe(meaning)
    for i, candidate in enumerate(entry.get("candidates", [])):
        out[f"candidate:{i}"] = describe(candidate)
    out[ASIDE] = "keep aside (an extra column)"
    out |= {f"field:{f}": f"patient field {f}" for f in PATIENT_COLUMNS}
    out |= {f"indicator:{i}": f"indicator {i}" for i in indicators}
    return out


def default_choice(entry: Mapping[str, Any]) -> str:
    """The select box's first value: the guess, or nothing for a column to resolve."""
    status = entry.get("status")
    if status in ("ambiguous", "invalid"):
        return ""
    if status in ("extra", "unplaced") or not _meaning(entry):
        return ASIDE
    return "guess"


def indicator_names(mapping: Any) -> tuple[str, ...]:
    """The paper's indicators and any other indicator column of the table."""
    own = [e["indicator"] for e in mapping.columns.values() if "indicator" in e]
    return tuple(dict.fromkeys([*INDICATORS, *own]))


def coded_columns(mapping: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Source column -> (coded field, {code as written: value it maps to, ``"?"``: unknown})."""
    out = {}
    for column, found in mapping.found.items():
        fld = mapping.columns.get(column, {}).get("field")
        if fld in CODE_VALUES and found:
            out[column] = (fld, dict(found))
    return out


def _apply_codes(
    mapping: Any, data: dict[str, Any], codes: Mapping[str, Mapping[str, str]]
) -> None:
    """Write the code select boxes' choices into ``data["codes"]`` (per source column)."""
    unknown = []
    for column, (fld, found) in coded_columns(mapping).items():
        if data["columns"][column].get("field") != fld:
            continue  # the column was given another meaning
        for text, was in found.items():
            given = codes.get(column, {}).get(text, str(was))
            if given == UNKNOWN:
                unknown.append(f"{text!r} in '{column}'")
                continue
            value = next(v for v in CODE_VALUES[fld] if str(v) == given)
            if str(was) != given:
                data["codes"].setdefault(column, {})[text] = value
    if unknown:
        raise DataError(
            f"{len(unknown)} value code(s) to choose: {', '.join(unknown[:5])}. Choose what each "
            "value means in its select box under Value codes, then run."
        )


def reviewed(
    mapping: Any,
    choices: Mapping[str, str],
    codes: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The ``[mapping]`` dict with each column's choice applied (refused if one is unresolved).

    ``choices`` maps a source column to the value of its select box; a column not in it keeps
    its guess. ``codes`` maps a coded column to {code as written: the value chosen for it}.
    """
    data = mapping.to_dict()
    unresolved = []
    names = indicator_names(mapping)
    for column, entry in data["columns"].items():
        choice = choices.get(column, default_choice(entry))
        if choice and choice not in meanings(entry, names):  # a box of an earlier table
            choice = default_choice(entry)
        if choice == "guess":
            continue
        if not choice:
            unresolved.append(column)
            continue
        if choice == ASIDE:
            new = {"status": "unplaced"}
        elif choice.startswith("candidate:"):
            new = {**_meaning(entry["candidates"][int(choice.split(":")[1])]), "status": "reviewed"}
        else:
            kind, value = choice.split(":", 1)
            new = {kind: value, "status": "reviewed"}
        data["columns"][column] = new
    if unresolved:
        shown = ", ".join(f"'{c}'" for c in unresolved[:5])
        more = f" and {len(unresolved) - 5} more" if len(unresolved) > 5 else ""
        raise DataError(
            f"{len(unresolved)} column(s) to resolve: {shown}{more}. Choose what each one is in "
            "its select box (or 'keep aside'), then run."
        )
    _apply_codes(mapping, data, codes or {})
    return data


def extra_columns(mapping: Mapping[str, Any], choices: Mapping[str, str]) -> list[str]:
    """Columns kept aside: candidates for 'already matched by column …'."""
    out = []
    for column, entry in mapping.get("columns", {}).items():
        choice = choices.get(column, default_choice(entry))
        if choice == ASIDE or entry.get("status") in ("extra", "unplaced"):
            out.append(column.split("!", 1)[-1])
    return list(dict.fromkeys(out))


def covariates(mapping: Any) -> list[str]:
    """Covariates a model can adjust for: age, sex, BMI and the comorbidities present."""
    fields = {e.get("field") for e in mapping.columns.values()}
    return [c for c in ("age", "sex", "bmi", *COMORBIDITIES) if c in fields]


# -- the study -----------------------------------------------------------------------------------
def study_config(options: Mapping[str, Any], mapping: Mapping[str, Any]) -> StudyConfig:
    """The :class:`~ovcfstats.StudyConfig` of the page's choices (defaults: the study file's)."""
    per = options.get("or_per", "sd")
    if per == "number":
        per = options.get("or_number")
        if not isinstance(per, int | float) or per <= 0:
            raise DataError("OR scale: give a positive number of units, e.g. 10.")
        per = float(per)
    level = options.get("confidence", 95)
    if not isinstance(level, int | float) or not 50 <= level < 100:
        raise DataError("Confidence level: give a percentage from 50 to 99.9, e.g. 95.")
    caliper = options.get("caliper", 2.0)
    if not isinstance(caliper, int | float) or caliper <= 0:
        raise DataError("Caliper: give the largest age difference in years, e.g. 2.")
    ratio = options.get("ratio", 1)
    if not isinstance(ratio, int | float) or ratio < 1 or int(ratio) != ratio:
        raise DataError("Controls per case: give a whole number from 1, e.g. 1 for 1:1 pairs.")
    seed = options.get("seed")
    prevalence = _prevalence(options.get("prevalence", StudyConfig().prevalence))
    indicators = tuple(options.get("indicators", ()))
    if not indicators:
        raise DataError("Indicators: choose at least one indicator to analyse.")
    missing = options.get("missing_method", "complete")
    m = options.get("impute_m", StudyConfig().impute_m)
    if missing == "mice" and (not isinstance(m, int | float) or int(m) != m or not 2 <= m <= 500):
        raise DataError("Imputations: give a whole number of imputations from 2 to 500, e.g. 20.")
    return StudyConfig(
        indicators=indicators,
        adjust=tuple(options.get("adjust", ())),
        exact=tuple(options.get("exact", ())),
        matched_by=options.get("matched_by") or None,
        ratio=int(ratio),
        caliper=float(caliper),
        method=options.get("method", "optimal"),
        seed=int(seed) if isinstance(seed, int | float) else None,
        or_per=per,
        or_model=options.get("or_model", "separate"),
        or_ci=options.get("or_ci", "wald"),
        or_method=options.get("or_method", "ml"),
        roc_ci=options.get("roc_ci", "delong"),
        alpha=round(1 - float(level) / 100, 6),
        prevalence=prevalence,
        missing_method=missing,
        impute_m=int(m) if missing == "mice" else StudyConfig().impute_m,
        impute_seed=int(seed) if missing == "mice" and isinstance(seed, int | float) else None,
        mapping=mapping,
    )


def _prevalence(value: Any) -> float | None:
    """The prevalence box: blank (or ``none``) for none, else a share between 0 and 1.

    Examples
    --------
    >>> _prevalence(" 0.1 "), _prevalence(""), _prevalence(None)
    (0.1, None, None)
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = float("nan")
    if not 0 < share < 1:
        raise DataError(
            "Prevalence: give the share of cases in the population the indicators are meant "
            f"for, between 0 and 1 (e.g. 0.1), or leave it blank; got {value!r}."
        )
    return share


def study_file(config: StudyConfig, source: Source, sheet: str | None) -> str:
    """The study file of the run, headed by the command that reproduces it."""
    sheet_arg = source.sheet_arg(sheet)
    option = f" --sheet {shlex.quote(sheet_arg)}" if sheet_arg is not None else ""
    head = (
        "# Written by 'ovcfstats app'. The same analysis from the command line:\n"
        f"#   ovcfstats analyze {shlex.quote(source.name)}{option} --study study.toml\n"
    )
    return head + config.to_toml()


@dataclass
class Job:
    """One run of the pipeline in a background thread, with its progress."""

    steps: list[str]
    done: int = 0
    step: str = "waiting for another run to finish"
    start: float = field(default_factory=time.perf_counter)
    result: dict[str, Any] | None = None
    error: str | None = None
    finished: bool = False

    def __call__(self, step: str) -> None:
        """``progress`` callback of :func:`~ovcfstats.analyze`."""
        if step in self.steps[self.done :]:
            self.done = self.steps.index(step, self.done) + 1
        else:
            self.done = min(self.done + 1, len(self.steps))
        self.step = step

    @property
    def fraction(self) -> float:
        return self.done / max(len(self.steps), 1)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


def start_job(source: Source, sheet: str | None, config: StudyConfig, out: Path) -> Job:
    """Start the pipeline in a thread; the returned :class:`Job` shows where it is."""
    from ..study._progress import study_steps
    from ..study.inputs import has_readings

    job = Job(study_steps(has_readings(config), audit=False, report=True))
    thread = threading.Thread(target=_work, args=(job, source, sheet, config, out), daemon=True)
    thread.start()
    return job


def _work(job: Job, source: Source, sheet: str | None, config: StudyConfig, out: Path) -> None:
    try:
        with _RUN_LOCK:
            job.start = time.perf_counter()
            job.step = "starting"
            job.result = run_study(source, sheet, config, out, job)
    except Exception as err:  # shown on the page in one line; the app goes on
        job.error = one_line(err) if isinstance(err, DataError | ValueError | OSError) else (
            f"unexpected error, please report it: {type(err).__name__}: {one_line(err)}"
        )
    finally:
        job.finished = True


def run_study(
    source: Source, sheet: str | None, config: StudyConfig, out: Path, progress: Any = None
) -> dict[str, Any]:
    """Run :func:`~ovcfstats.analyze` and write the report and the zip to ``out``.

    Returns ``html`` (the report page), ``skipped`` (step, item, reason rows), ``zip`` (the
    path of the bundle) and ``seconds``.
    """
    from ..study import analyze

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OvcfWarning)  # in the report's Skipped steps section
        report = analyze(
            source.path, config=config, sheet=source.sheet_arg(sheet), progress=progress
        )
        if progress is not None:
            progress("writing the report")
        target = out / f"report-{time.strftime('%Y%m%d-%H%M%S')}-{time.perf_counter_ns()}"
        report.save(target)
    (target / "study.toml").write_text(study_file(config, source, sheet), encoding="utf-8")
    skipped = []
    if "skipped" in set(report.keys()):
        skipped = report["skipped"].table.astype(str).to_numpy().tolist()
    return {
        "html": (target / "report.html").read_text(encoding="utf-8"),
        "skipped": skipped,
        "zip": bundle(target),
        "seconds": time.perf_counter() - start,
    }


def bundle(directory: Path) -> Path:
    """Zip the report files, the figures and study.toml of ``directory`` beside it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    target = directory.with_suffix(".zip")
    target.write_bytes(buffer.getvalue())
    return target
