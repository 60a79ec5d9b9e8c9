"""The app's behaviour: one independent session per browser tab, its files in a private folder.

Each session keeps its table, mapping, choices and reports in its own temporary folder (made
readable by this user only), removed when the session ends. Errors are shown in one line next
to the control that can fix them; the session goes on.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from shiny import App, reactive, render, ui
from shiny.types import SilentException

from .._validate import DataError
from . import _page, _work

#: words of an error -> the place on the page, next to the control that can fix it
_WHERE = {
    "mapping": ("mapping", "read_wide", "column(s) to resolve", "unreviewed", "value code"),
    "options:caliper": ("caliper", "eligible control"),
    "options:ratio": ("ratio", "controls per case"),
    "options:exact": ("exact",),
    "options:matched_by": ("matched_by", "matched-by", "set id"),
    "options:indicators": ("indicators:", "indicator"),
    "options:adjust": ("covariate", "adjust"),
    "options:or_per": ("or_per", "or scale"),
    "options:confidence": ("confidence", "alpha"),
    "options:prevalence": ("prevalence",),
    "options:impute_m": ("imputations:",),
}  # fmt: skip


def _where(message: str) -> str:
    """Where an error is shown: ``mapping``, ``options:<control>`` or ``status``."""
    low = message.lower()
    for place, words in _WHERE.items():
        if any(w in low for w in words):
            return place
    return "status"


def build(host: str, port: int) -> App:
    """The Shiny app of the page and its server."""
    return App(_page.page(host, port), _server)


def _server(input: Any, output: Any, session: Any) -> None:
    work = Path(tempfile.mkdtemp(prefix="ovcfstats-app-"))  # mode 0700: this user only
    session.on_ended(lambda: shutil.rmtree(work, ignore_errors=True))

    source: reactive.Value[_work.Source | None] = reactive.Value(None)
    errors: reactive.Value[dict[str, str]] = reactive.Value({})
    job: reactive.Value[_work.Job | None] = reactive.Value(None)
    tick = reactive.Value(0)
    result: reactive.Value[dict[str, Any] | None] = reactive.Value(None)

    def fail(place: str, message: str | None) -> None:
        with reactive.isolate():
            before = errors.get()
        current = {k: v for k, v in before.items() if k != place}
        new = {**current, place: message} if message else current
        if new != before:
            errors.set(new)

    def take(path: Any, name: str | None = None, size: int | None = None) -> None:
        result.set(None)
        try:
            source.set(_work.open_source(path, name, size))
            fail("upload", None)
        except DataError as err:
            source.set(None)
            fail("upload", _work.one_line(err))

    @reactive.effect
    @reactive.event(input.upload)
    def _upload() -> None:
        files = input.upload()
        if not files:
            return
        info = files[0]
        target = work / "uploads" / Path(info["name"]).name
        target.parent.mkdir(exist_ok=True)
        shutil.move(info["datapath"], target)
        take(target, info["name"], info.get("size"))

    @reactive.effect
    @reactive.event(input.open_path)
    def _open_path() -> None:
        if not input.path().strip():
            fail("upload", "Give the path of a file on this computer, then press Open.")
            return
        take(input.path())

    def sheet_choice() -> str | None:
        src = source()
        if src is None or not src.sheets:
            return None
        default = _work.ALL_SHEETS if len(src.sheets) > 1 else src.sheets[0]
        try:
            chosen = input.sheet()
        except SilentException:
            return default
        return chosen if chosen in (*src.sheets, _work.ALL_SHEETS) else default  # not stale

    @reactive.calc
    def guessed() -> Any:
        src = source()
        if src is None:
            return None
        sheet = sheet_choice()
        try:
            found = _work.guess(src, sheet)
        except DataError as err:
            fail("upload", _work.one_line(err))
            return None
        fail("upload", None)
        return found

    @reactive.calc
    def indicators() -> tuple[str, ...]:
        found = guessed()
        return () if found is None else _work.indicator_names(found)

    def choices() -> dict[str, str]:
        found = guessed()
        out = {}
        for i, column in enumerate(found.columns if found is not None else ()):
            try:
                out[column] = input[f"col_{i}"]()
            except (SilentException, KeyError):
                continue
        return out

    def code_choices() -> dict[str, dict[str, str]]:
        found = guessed()
        if found is None:
            return {}
        index = {column: i for i, column in enumerate(found.columns)}
        out: dict[str, dict[str, str]] = {}
        for column, (_, codes) in _work.coded_columns(found).items():
            for j, text in enumerate(codes):
                try:
                    out.setdefault(column, {})[text] = input[f"code_{index[column]}_{j}"]()
                except (SilentException, KeyError):
                    continue
        return out

    @render.ui
    def upload_error() -> Any:
        return _page.error(errors().get("upload"))

    @render.ui
    def sheet_box() -> Any:
        src = source()
        if src is None:
            return ui.div()
        with reactive.isolate():
            return _page.sheet_box(src.sheets, sheet_choice())

    @render.ui
    def mapping_error() -> Any:
        return _page.error(errors().get("mapping"))

    @render.ui
    def options_error() -> Any:
        return _page.error(errors().get("options"))

    def error_slot(name: str) -> None:
        def slot() -> Any:
            return _page.error(errors().get(f"options:{name}"))

        slot.__name__ = f"err_{name}"  # the output id
        render.ui(slot)

    for name in _page.ERROR_SLOTS:
        error_slot(name)

    @render.ui
    def mapping() -> Any:
        found = guessed()
        if found is None:
            return ui.p("Give a table above: its columns appear here.", class_="help")
        return _page.mapping_table(found, indicators())

    @render.ui
    def options() -> Any:
        found = guessed()
        if found is None:
            return ui.p("The choices appear once a table is given.", class_="help")
        names = list(indicators())
        present = [e["indicator"] for e in found.columns.values() if "indicator" in e]
        chosen = present or list(_work.StudyConfig().indicators)
        columns = _work.extra_columns(found.to_dict(), {})
        return _page.options(names, chosen, _work.covariates(found), columns)

    def option_values() -> dict[str, Any]:
        given = input.matching() == "given"
        return {
            "indicators": input.indicators(),
            "adjust": input.adjust(),
            "exact": () if given else input.exact(),
            "matched_by": input.matched_by() if given else None,
            "ratio": input.ratio(),
            "caliper": input.caliper(),
            "method": input.method(),
            "seed": input.seed(),
            "or_per": input.or_per(),
            "or_number": input.or_number(),
            "or_model": input.or_model(),
            "or_ci": input.or_ci(),
            "or_method": input.or_method(),
            "roc_ci": input.roc_ci(),
            "confidence": input.confidence(),
            "prevalence": input.prevalence(),
            "missing_method": input.missing_method(),
            "impute_m": input.impute_m(),
        }

    @reactive.effect
    @reactive.event(input.run)
    def _run() -> None:
        running = job()
        if running is not None and not running.finished:
            return
        found, src = guessed(), source()
        for place in ("mapping", "options", "status", *(f"options:{n}" for n in _page.ERROR_SLOTS)):
            fail(place, None)
        if found is None or src is None:
            fail("status", "Give a table first (step 1).")
            return
        try:
            reviewed = _work.reviewed(found, choices(), code_choices())
        except DataError as err:
            fail("mapping", _work.one_line(err))
            fail("status", "Not run: resolve the mapping first (step 2).")
            return
        try:
            with reactive.isolate():
                config = _work.study_config(option_values(), reviewed)
        except (DataError, SilentException) as err:
            message = _work.one_line(err) or "Choose the options in step 3."
            place = _where(message)
            fail(place if place.startswith("options:") else "options", message)
            fail("status", f"Not run: {message}")
            return
        result.set(None)
        job.set(_work.start_job(src, sheet_choice(), config, work))

    @reactive.effect
    def _poll() -> None:
        current = job()
        if current is None:
            return
        if not current.finished:
            reactive.invalidate_later(0.25)
            with reactive.isolate():
                tick.set(tick() + 1)
            return
        with reactive.isolate():
            if current.error:
                place = _where(current.error)
                if place != "status":
                    fail(place, current.error)
                fail("status", f"Stopped: {current.error}")
            else:
                result.set(current.result)
            job.set(None)

    @render.ui
    def status() -> Any:
        tick()
        current, done = job(), result()
        message = errors().get("status")
        if current is not None and not current.finished:
            return ui.div(
                ui.tags.progress(value=str(current.done), max=str(len(current.steps))),
                ui.p(f"{current.step} … ({current.done}/{len(current.steps)}, "
                     f"{current.seconds:.0f} s)"),
                class_="running",
            )
        if message:
            return _page.error(message)
        if done is None:
            return ui.p("Press Run when the mapping is reviewed and the choices are made.",
                        class_="help")
        return _finished(done)

    @render.ui
    def actions() -> Any:
        if result() is None:
            return ui.p("The report appears here after a run.", class_="help")
        return ui.div(
            ui.download_button("download", "Download the report (zip)", class_="btn-success"),
            ui.div("report.docx, tables.xlsx, report.html, report.md, figures/ and the "
                   "study.toml that reproduces the run: 'ovcfstats analyze TABLE --study "
                   "study.toml'.", class_="help mt-2"),
        )

    @render.ui
    def report() -> Any:
        done = result()
        if done is None:
            return ui.div()
        return ui.tags.iframe(srcdoc=done["html"], class_="report-frame", title="report")

    @render.download(filename="ovcfstats-report.zip", media_type="application/zip")
    def download() -> Any:
        done = result()
        if done is None:
            return None
        return str(done["zip"])


def _finished(done: dict[str, Any]) -> Any:
    lines = [ui.p(f"Done in {done['seconds']:.1f} s.", class_="done")]
    if done["skipped"]:
        items = [
            ui.tags.li(f"{step}{f' ({item})' if item else ''}: {reason}")
            for step, item, reason in done["skipped"]
        ]
        lines += [ui.p("Skipped steps (every other step ran):"),
                  ui.tags.ul(*items, class_="skipped")]
    return ui.div(*lines)

