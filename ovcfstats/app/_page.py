"""The page: five steps top to bottom (table, mapping, choices, run, report), stable ids.

The ids ``upload``, ``sheet``, ``mapping``, ``run``, ``status``, ``report`` and ``download`` stay
as they are, for the tests and for users' own scripts. Every asset is served by the app itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shiny import ui

from ..study.config import CHOICES, StudyConfig
from ._safety import is_loopback
from ._work import (
    ALL_SHEETS,
    CODE_VALUES,
    MAX_UPLOAD_MB,
    UNKNOWN,
    coded_columns,
    default_choice,
    meanings,
)

#: the choices that show their own error under them (``err_<name>``)
ERROR_SLOTS = ("indicators", "adjust", "matched_by", "ratio", "caliper", "exact", "or_per",
               "confidence", "prevalence", "impute_m")  # fmt: skip
ACCEPT = [".xlsx", ".xlsm", ".csv", ".tsv", ".txt", ".sav", ".zsav", ".dta", ".parquet", ".pq"]

CSS = """
body { background: #f6f7f9; }
.container-fluid.app { max-width: 1180px; padding: 12px; }
.app h1 { font-size: 1.5rem; margin: 0.4rem 0 0.2rem; }
.app .card { margin-bottom: 14px; }
.app .card-header { font-weight: 600; }
.app .help { color: #5a6270; font-size: 0.85rem; margin-top: -0.4rem; margin-bottom: 0.6rem; }
.app .error { color: #a4161a; background: #fdecea; border-left: 4px solid #a4161a;
  padding: 6px 10px; margin: 6px 0; font-size: 0.95rem; overflow-wrap: anywhere; }
.app .safety { font-size: 0.9rem; color: #36404f; }
.app .warning-host { color: #7a4b00; background: #fff4d6; border-left: 4px solid #d99500;
  padding: 6px 10px; }
.map-scroll { max-height: 60vh; overflow: auto; border: 1px solid #dde1e6; }
.map-table { width: 100%; font-size: 0.88rem; margin: 0; }
.map-table th { position: sticky; top: 0; background: #eef1f4; z-index: 1; }
.map-table td, .map-table th { padding: 4px 6px; vertical-align: top; }
.map-table select { max-width: 100%; min-width: 12rem; font-size: 0.88rem; }
.map-table tr.resolve td { background: #fff4d6; }
.map-table .code-row { display: flex; align-items: center; gap: 6px; margin-bottom: 2px; }
.map-table .code-row .form-group { margin: 0; width: auto; }
.map-table .code-row select { width: 9rem; min-width: 9rem; padding-top: 1px; padding-bottom: 1px; }
.map-table .code-from { white-space: nowrap; min-width: 4.5rem; }
.map-table td.codes, .map-table td.note { overflow-wrap: anywhere; max-width: 18rem; }
.app progress { width: 100%; height: 1.1rem; }
.report-frame { width: 100%; height: 80vh; border: 1px solid #dde1e6; background: white; }
.app .disabled-note { color: #8a919c; }
@media (max-width: 576px) {
  .container-fluid.app { padding: 6px; }
  .app h1 { font-size: 1.2rem; }
  .app .card-body { padding: 10px; }
  .map-table thead { display: none; }
  .map-table tr { display: block; border-bottom: 1px solid #dde1e6; padding: 4px 0; }
  .map-table td { display: block; max-width: none !important; border: 0; padding: 2px 6px; }
  .map-table td[data-label]::before { content: attr(data-label) ": "; color: #5a6270; }
  .map-table td:empty { display: none; }
  .map-table select { min-width: 0; width: 100%; }
  .map-table .code-row select { width: 9rem; }
  .report-frame { height: 70vh; }
}
"""


def help_text(text: str) -> Any:
    return ui.div(text, class_="help")


def page(host: str, port: int) -> Any:
    """The whole page, before any table is given."""
    return ui.page_fluid(
        ui.tags.head(ui.tags.title("ovcfstats app"), ui.tags.style(CSS)),
        ui.h1("ovcfstats: your study, from spreadsheet to report"),
        _safety(host, port),
        ui.card(
            ui.card_header("1. Your table"),
            ui.input_file(
                "upload",
                "Upload a file: Excel .xlsx, CSV, SPSS .sav, Stata .dta or Parquet",
                accept=ACCEPT,
                button_label="Choose file…",
                placeholder="no file yet",
                width="100%",
            ),
            help_text(
                f"Up to {MAX_UPLOAD_MB} MB. A larger file (a registry): give its path on this "
                "computer below; it is read where it is."
            ),
            ui.layout_columns(
                ui.input_text("path", "…or the path of a file on this computer", width="100%",
                              placeholder="e.g. C:\\study\\clinic.xlsx or /data/clinic.parquet"),
                ui.input_action_button("open_path", "Open", class_="btn-outline-primary mt-4"),
                col_widths={"sm": (12, 12), "md": (10, 2)},
            ),
            ui.output_ui("upload_error"),
            ui.output_ui("sheet_box"),
        ),
        ui.card(
            ui.card_header("2. Review the mapping"),
            help_text(
                "Each column of the table, what it was understood as and its value codes. "
                "Change a meaning in its select box; the highlighted columns must be resolved "
                "before running."
            ),
            ui.output_ui("mapping"),
            ui.output_ui("mapping_error"),
        ),
        ui.card(
            ui.card_header("3. Choices"),
            help_text("The defaults are the study file's ('ovcfstats init'): the paper's choices."),
            ui.output_ui("options"),
            ui.output_ui("options_error"),
        ),
        ui.card(
            ui.card_header("4. Run"),
            ui.div(ui.input_action_button("run", "Run the analysis", class_="btn-primary btn-lg",
                                          width="auto")),
            ui.output_ui("status"),
        ),
        ui.card(
            ui.card_header("5. Report"),
            ui.output_ui("actions"),
            ui.output_ui("report"),
        ),
        class_="app",
    )


def _safety(host: str, port: int) -> Any:
    if is_loopback(host):
        where = (
            f"Running on this computer only ({host}:{port}): no other computer can open this "
            "page."
        )
        banner = ui.div(where, class_="safety")
    else:
        banner = ui.div(
            f"Warning: listening on {host}:{port}: other computers on the network can open this "
            "page and read the data you give it.",
            class_="warning-host",
        )
    return ui.div(
        banner,
        ui.div(
            "Nothing is sent anywhere. Uploaded files are kept in a private temporary folder "
            "that is deleted when you close this tab; each tab is its own session.",
            class_="safety",
        ),
        class_="mb-2",
    )


def sheet_box(sheets: list[str], selected: str | None) -> Any:
    """The sheet select box of a workbook (empty for other files)."""
    if not sheets:
        return ui.div()
    choices = {s: s for s in sheets}
    if len(sheets) > 1:
        choices = {ALL_SHEETS: "every sheet (one sheet per rater or session)", **choices}
    return ui.div(
        ui.input_select("sheet", "Sheet", choices, selected=selected),
        help_text("The sheet to read; every sheet when each holds one rater or session."),
    )


def mapping_table(mapping: Any, indicators: tuple[str, ...]) -> Any:
    """One row per source column: name, meaning (select box), status, value codes, note."""
    table = mapping.table
    rows = []
    order = sorted(
        range(len(table)), key=lambda i: table.loc[i, "status"] not in ("ambiguous", "invalid")
    )
    entries = list(mapping.columns.values())
    coded = coded_columns(mapping)
    for i in order:
        entry = entries[i]
        choices = meanings(entry, indicators)
        selected = default_choice(entry)
        if not selected:
            choices = {"": "— choose what this column is —", **choices}
        resolve = table.loc[i, "status"] in ("ambiguous", "invalid")
        note = table.loc[i, "note"]
        if table.loc[i, "candidates"]:
            note = "; ".join(x for x in (f"candidates: {table.loc[i, 'candidates']}", note) if x)
        rows.append(
            ui.tags.tr(
                ui.tags.td(ui.tags.code(table.loc[i, "column"])),
                ui.tags.td(
                    ui.input_select(f"col_{i}", None, choices, selected=selected,
                                    width="100%")
                ),
                ui.tags.td(table.loc[i, "status"], data_label="Status"),
                _codes_cell(i, coded.get(table.loc[i, "column"]), table.loc[i, "codes"]),
                ui.tags.td(note, class_="note"),
                class_="resolve" if resolve else None,
            )
        )
    head = ui.tags.tr(
        *(ui.tags.th(h) for h in ("Column", "Understood as", "Status", "Value codes")),
        ui.tags.th("Note", class_="note"),
    )
    counts = table["status"].value_counts()
    summary = f"{len(table)} columns: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + "."
    if mapping.missing:
        codes = ", ".join(repr(m) if isinstance(m, str) else str(m) for m in mapping.missing)
        summary += f" Missing-value codes (blanked in every column): {codes}."
    return ui.div(
        ui.p(summary),
        ui.div(
            ui.tags.table(ui.tags.thead(head), ui.tags.tbody(*rows),
                          class_="table table-sm map-table"),
            class_="map-scroll",
        ),
    )


def _codes_cell(i: int, coded: tuple[str, dict[str, Any]] | None, shown: str) -> Any:
    """The value codes of a column: a select box per code of a coded field, else the text."""
    if coded is None:
        return ui.tags.td(shown, class_="codes", data_label="Codes")
    fld, found = coded
    boxes = []
    for j, (text, value) in enumerate(found.items()):
        choices = {str(v): label for v, label in CODE_VALUES[fld].items()}
        if str(value) == UNKNOWN:
            choices = {UNKNOWN: "— choose —", **choices}
        boxes.append(
            ui.div(
                ui.tags.span(f"{text} →", class_="code-from"),
                ui.input_select(f"code_{i}_{j}", None, choices, selected=str(value)),
                class_="code-row",
            )
        )
    return ui.tags.td(*boxes, class_="codes", data_label="Codes")


def options(
    indicators: list[str], chosen: list[str], covariates: list[str], columns: list[str]
) -> Any:
    """The analysis choices with the study file's defaults and help texts."""
    d = StudyConfig()
    exact = [c for c in covariates if c not in ("age", "bmi")]
    return ui.layout_columns(
        ui.div(
            ui.input_checkbox_group("indicators", "Indicators", indicators, selected=chosen),
            help_text(CHOICES["indicators"]),
            ui.output_ui("err_indicators"),
            ui.input_checkbox_group(
                "adjust", "Covariates", covariates,
                selected=[c for c in d.adjust if c in covariates],
            ),
            help_text(CHOICES["adjust"]),
            ui.output_ui("err_adjust"),
        ),
        ui.div(
            ui.input_radio_buttons(
                "matching", "Matching",
                {"here": "match controls to cases here", "given": "already matched by column …"},
            ),
            ui.panel_conditional(
                "input.matching === 'given'",
                ui.input_select("matched_by", "Set id column", columns or {"": "(none found)"}),
                help_text("The column of matched-set ids (one case with 1 to k controls per set)."),
                ui.output_ui("err_matched_by"),
            ),
            ui.panel_conditional(
                "input.matching === 'here'",
                ui.input_numeric("ratio", "Controls per case (1:k)", d.ratio, min=1, step=1),
                help_text(CHOICES["ratio"]),
                ui.output_ui("err_ratio"),
                ui.input_numeric("caliper", "Caliper, years of age", d.caliper, min=0, step=0.5),
                help_text(CHOICES["caliper"]),
                ui.output_ui("err_caliper"),
                ui.input_checkbox_group("exact", "Matched exactly", exact,
                                        selected=[c for c in d.exact if c in exact]),
                help_text(CHOICES["exact"]),
                ui.output_ui("err_exact"),
                ui.input_select("method", "Method", ["optimal", "nearest", "random"],
                                selected=d.method),
                help_text(CHOICES["method"]),
                ui.input_numeric("seed", "Seed (random matching)", None, min=0, step=1),
                help_text(CHOICES["seed"] + " (empty: drawn)"),
            ),
        ),
        ui.div(
            ui.input_radio_buttons(
                "or_per", "OR scale",
                {"sd": "per SD", "unit": "per unit", "number": "per a number of units"},
                selected=str(d.or_per),
            ),
            ui.panel_conditional(
                "input.or_per === 'number'",
                ui.input_numeric("or_number", "Units", 10, min=0),
            ),
            help_text(CHOICES["or_per"]),
            ui.output_ui("err_or_per"),
            _select("or_model", "OR model", ["separate", "joint"], d.or_model),
            _select("or_ci", "OR CI", ["wald", "profile"], d.or_ci),
            _select("or_method", "OR fit", {"ml": "maximum likelihood", "firth": "Firth"},
                    d.or_method),
            _select("roc_ci", "AUC CI", ["delong", "bootstrap"], d.roc_ci),
            ui.input_numeric("confidence", "Confidence level, %", round(100 * (1 - d.alpha), 6),
                             min=50, max=99.9, step=1),
            help_text(f"alpha = {CHOICES['alpha']}"),
            ui.output_ui("err_confidence"),
            ui.input_text("prevalence", "Population prevalence",
                          "" if d.prevalence is None else f"{d.prevalence:g}"),
            help_text(f"{CHOICES['prevalence']}; blank: none."),
            ui.output_ui("err_prevalence"),
            _select("missing_method", "Missing values",
                    {"complete": "complete-case", "mice": "multiple imputation"},
                    d.missing_method),
            ui.panel_conditional(
                "input.missing_method === 'mice'",
                ui.input_numeric("impute_m", "Imputations (m)", d.impute_m, min=2, max=500),
                help_text(CHOICES["impute_m"] + "; the seed is the one above (empty: drawn)."),
                ui.output_ui("err_impute_m"),
            ),
        ),
        col_widths={"sm": 12, "md": 6, "lg": 4},
    )


def _select(name: str, label: str, choices: Mapping[str, str] | list[str], selected: str) -> Any:
    return ui.div(
        ui.input_select(name, label, choices, selected=selected),
        help_text(CHOICES[name]),
    )


def error(message: str | None) -> Any:
    """A one-line error next to the control that can fix it (nothing when ``None``)."""
    return ui.div(message, class_="error", role="alert") if message else ui.div()
