"""The point-and-click app: its logic without a browser, the command, and the page in Chromium.

The browser tests start ``ovcfstats app`` on 127.0.0.1 and a free port and drive the system
Chromium with Playwright: the sample indicator table and the example wide sheet go in, the
mapping is reviewed, the study runs, the zip comes back and its report.docx opens. With
``OVCFSTATS_APP_SHOTS=DIR`` each step is also saved as a screenshot at 1280 and 390 px.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

shiny = pytest.importorskip("shiny", reason="the [app] extra (shiny) is not installed")

from ovcfstats import DataError, StudyConfig, derive_indicators, load_sample  # noqa: E402
from ovcfstats.app import _work, announce, is_loopback  # noqa: E402
from ovcfstats.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WIDE = ROOT / "data" / "examples" / "clinic_wide.xlsx"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = os.environ.get("OVCFSTATS_APP_SHOTS")


@pytest.fixture(scope="module")
def indicator_csv(tmp_path_factory) -> Path:
    patients, measurements = load_sample()
    path = tmp_path_factory.mktemp("app") / "indicators.csv"
    derive_indicators(patients, measurements).table.to_csv(path, index=False)
    return path


# -- the logic, without a browser --------------------------------------------------------------
def test_mapping_review_refuses_until_resolved(indicator_csv):
    source = _work.open_source(indicator_csv)
    mapping = _work.guess(source, None)
    assert list(mapping.refused) == ["vbq_csf_level"]  # 'vbq' and 'level': to resolve
    with pytest.raises(DataError, match=r"1 column\(s\) to resolve: 'vbq_csf_level'"):
        _work.reviewed(mapping, {})
    done = _work.reviewed(mapping, {"vbq_csf_level": _work.ASIDE, "age": "field:bmi"})
    assert done["columns"]["vbq_csf_level"] == {"status": "unplaced"}
    assert done["columns"]["age"] == {"field": "bmi", "status": "reviewed"}
    assert done["columns"]["hu"]["indicator"] == "hu"  # the guess is kept
    choices = _work.meanings(mapping.columns["vbq_csf_level"], _work.indicator_names(mapping))
    assert choices["candidate:0"] == "indicator vbq" and "field:age" in choices


def test_value_codes_are_chosen_per_column(tmp_path):
    table = tmp_path / "clinic.csv"
    table.write_text("ID,Fracture,Age,Sex,BMI\nP1,yes,70,Female,22\nP2,no,71,X,23\n")
    mapping = _work.guess(_work.open_source(table), None)
    assert _work.coded_columns(mapping)["Sex"] == ("sex", {"Female": "F", "X": "?"})
    with pytest.raises(DataError, match=r"1 value code\(s\) to choose: 'X' in 'Sex'"):
        _work.reviewed(mapping, {})
    done = _work.reviewed(mapping, {}, {"Sex": {"X": "M"}, "Fracture": {"no": "1"}})
    assert done["codes"]["Sex"] == {"X": "M"} and done["codes"]["Fracture"] == {"no": 1}


def test_options_defaults_and_study_file_round_trip(indicator_csv, tmp_path):
    source = _work.open_source(indicator_csv)
    mapping = _work.reviewed(_work.guess(source, None), {"vbq_csf_level": _work.ASIDE})
    config = _work.study_config({"indicators": ("hu", "fi"), "adjust": ("age", "sex", "bmi"),
                                 "exact": ("sex",)}, mapping)  # fmt: skip
    default = StudyConfig()
    assert (config.caliper, config.ratio, config.method, config.or_per, config.alpha) == (
        default.caliper, default.ratio, default.method, default.or_per, default.alpha
    )  # fmt: skip
    text = _work.study_file(config, source, None)
    assert text.startswith("# Written by 'ovcfstats app'")
    assert "ovcfstats analyze indicators.csv --study study.toml" in text
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    assert StudyConfig.from_toml(tmp_path / "study.toml") == config
    bad_options = [
        ({"caliper": 0}, "Caliper"),
        ({"ratio": 1.5}, "Controls per case"),
        ({"or_per": "number", "or_number": None}, "OR scale"),
        ({"indicators": ()}, "Indicators"),
        ({"confidence": 120}, "Confidence"),
    ]
    for bad, match in bad_options:
        with pytest.raises(DataError, match=match):
            _work.study_config({"indicators": ("hu",), **bad}, mapping)


def test_bad_files_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match=r"unknown kind of file '\.pdf'"):
        _work.open_source(tmp_path / "scan.pdf")
    with pytest.raises(DataError, match="file not found"):
        _work.open_source(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="over the upload limit of 200 MB"):
        _work.open_source(tmp_path / "big.csv", size=300 * 2**20)
    (tmp_path / "text.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(DataError, match="not a readable Excel workbook"):
        _work.open_source(tmp_path / "text.xlsx")


# -- the command -------------------------------------------------------------------------------
def test_app_help(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["app", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert all(flag in out for flag in ("--port", "--host", "--no-browser", "127.0.0.1"))


def test_loopback_by_default_and_a_warning_for_another_host(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(shiny, "run_app", lambda app, **kw: calls.append(kw))
    assert main(["app", "--no-browser"]) == 0
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8765
    assert calls[-1]["launch_browser"] is False
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8765" in out and "warning" not in out
    assert main(["app", "--host", "0.0.0.0", "--port", "9000"]) == 0
    assert calls[-1]["host"] == "0.0.0.0" and calls[-1]["launch_browser"] is True
    assert "warning: listening on 0.0.0.0: other computers" in capsys.readouterr().out
    assert is_loopback("localhost") and not is_loopback("192.0.2.1")
    assert "warning" in announce("::", 1)[1]


def test_import_and_help_stay_light():
    code = "import sys, ovcfstats, ovcfstats.cli; print('shiny' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the page in Chromium ----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("playwright", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed")
    port = _free_port()
    start = time.perf_counter()
    temp = tmp_path_factory.mktemp("server-tmp")  # the server's temporary folders go here
    env = {**os.environ, "MPLBACKEND": "Agg", "TMPDIR": str(temp)}
    command = [sys.executable, "-m", "ovcfstats", "app", "--port", str(port), "--no-browser"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - start > 30:
                    raise RuntimeError(proc.stdout.read().decode()) from None
                time.sleep(0.05)
        took = time.perf_counter() - start
        yield {"url": url, "pid": proc.pid, "port": port, "start": took, "tmp": temp}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stdout.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def _page(browser, server, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    page.set_default_timeout(60_000)
    outside = []
    page.on("request", lambda r: r.url.startswith(server["url"]) or outside.append(r.url))
    page.goto(server["url"])
    page.wait_for_selector("#upload")
    return page, outside


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(Path(SHOTS) / f"{width}-{name}.png"), full_page=True)


def _run_and_download(page, name: str) -> zipfile.ZipFile:
    page.click("#run")
    page.wait_for_selector("#status progress, #status .done, #status .error")
    _shot(page, f"{name}-3-running")
    page.wait_for_selector("#download")
    assert page.locator("#status .error").count() == 0, page.inner_text("#status")
    _shot(page, f"{name}-4-report")
    frame = page.frame_locator("#report iframe")
    assert "Statistical analysis" in frame.locator("body").inner_text()
    with page.expect_download() as download:
        page.click("#download")
    return zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))


def _docx_text(archive: zipfile.ZipFile) -> str:
    from docx import Document

    document = Document(io.BytesIO(archive.read("report.docx")))
    return "\n".join(p.text for p in document.paragraphs)


def test_server_listens_on_loopback_only(server):
    psutil = pytest.importorskip("psutil")
    listening = [
        c.laddr
        for c in psutil.Process(server["pid"]).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening and {a.ip for a in listening} == {"127.0.0.1"}
    assert {a.port for a in listening} == {server["port"]}
    assert server["start"] < 15  # ≈ 2–3 s on an idle machine; generous under a loaded CI


@pytest.mark.parametrize("width", [1280, 390])
def test_indicator_table_end_to_end(browser, server, indicator_csv, tmp_path, width):
    page, outside = _page(browser, server, width)
    _shot(page, "table-0-start")
    page.set_input_files("#upload", str(indicator_csv))
    page.wait_for_selector("#mapping select")
    assert page.locator("#sheet").count() == 0  # a CSV has no sheets
    _shot(page, "table-1-mapping")
    page.click("#run")  # the ambiguous column is not resolved yet
    page.wait_for_selector("#mapping_error .error")
    assert "vbq_csf_level" in page.inner_text("#mapping_error")
    _shot(page, "table-2-unresolved")
    page.locator("#mapping tr.resolve select").select_option(_work.ASIDE)
    if width == 390 and not SHOTS:  # the narrow page: the mapping, the rest as at 1280 px
        page.close()
        return
    archive = _run_and_download(page, "table")
    names = set(archive.namelist())
    assert {"report.docx", "tables.xlsx", "report.html", "report.md", "study.toml"} <= names
    assert any(n.startswith("figures/") and n.endswith(".png") for n in names)
    assert "Statistical analysis" in _docx_text(archive)
    (tmp_path / "study.toml").write_bytes(archive.read("study.toml"))
    config = StudyConfig.from_toml(tmp_path / "study.toml")
    assert config.mapping["columns"]["vbq_csf_level"]["status"] == "unplaced"
    assert outside == []  # every asset from the app itself
    page.close()


def test_wide_sheet_end_to_end(browser, server):
    page, _ = _page(browser, server)
    page.set_input_files("#upload", str(WIDE))
    page.wait_for_selector("#sheet")
    assert page.locator("#sheet option").all_inner_texts() == ["Patients"]
    page.wait_for_selector("#mapping select")
    assert "198 columns" in page.inner_text("#mapping")
    assert page.locator("#mapping tr.resolve").count() == 0
    assert page.locator("#mapping select[id^=code_]").count() >= 8  # Sex, Fracture, …
    _shot(page, "wide-1-mapping")
    for box in ("hu", "vbq", "rcsa", "fi"):  # one indicator keeps the run short
        page.locator(f"#indicators input[value='{box}']").uncheck()
    archive = _run_and_download(page, "wide")
    assert "Reliability" in _docx_text(archive) or "ICC" in _docx_text(archive)
    assert "--sheet Patients" in archive.read("study.toml").decode()
    page.close()


def test_bad_input_shows_its_error_and_the_page_recovers(browser, server, indicator_csv, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook", encoding="utf-8")
    page, _ = _page(browser, server, 390)
    other, _ = _page(browser, server)  # a second tab: its own session
    page.set_input_files("#upload", str(broken))
    page.wait_for_selector("#upload_error .error")
    assert "broken.xlsx: not a readable Excel workbook" in page.inner_text("#upload_error")
    assert "Traceback" not in page.content()
    _shot(page, "bad-1-file")
    page.fill("#path", str(tmp_path / "nowhere.csv"))
    page.click("#open_path")
    page.wait_for_selector("#upload_error .error:has-text('file not found')")
    page.set_input_files("#upload", str(indicator_csv))  # recovers
    page.wait_for_selector("#mapping select")
    assert page.locator("#upload_error .error").count() == 0
    page.locator("#mapping tr.resolve select").select_option(_work.ASIDE)
    page.fill("#caliper", "0")
    page.click("#run")
    page.wait_for_selector("#err_caliper .error")  # under the caliper box
    assert "Caliper" in page.inner_text("#err_caliper")
    assert "Caliper" in page.inner_text("#status")
    _shot(page, "bad-2-option")
    page.fill("#caliper", "2")  # fixed; sets that are not matched sets: a step is skipped
    page.check("#matching input[value='given']")
    page.select_option("#matched_by", "n_rois_fi")
    for box in ("t_score", "vbq", "rcsa", "fi"):
        page.locator(f"#indicators input[value='{box}']").uncheck()
    page.click("#run")
    page.wait_for_selector("#download")
    assert not page.locator("#err_caliper .error").is_visible()
    assert "Skipped steps" in page.inner_text("#status")
    assert "more than one case" in page.inner_text("#status ul.skipped")
    _shot(page, "bad-3-skipped")
    assert other.locator("#mapping select").count() == 0  # the other tab saw nothing
    page.close()
    other.close()


def test_a_session_folder_is_removed_when_its_tab_closes(browser, server, indicator_csv):
    def folders() -> set[Path]:
        return set(server["tmp"].glob("ovcfstats-app-*"))

    before = folders()
    page, _ = _page(browser, server)
    page.set_input_files("#upload", str(indicator_csv))
    page.wait_for_selector("#mapping select")
    (mine,) = folders() - before
    assert (mine / "uploads" / "indicators.csv").is_file()
    assert mine.stat().st_mode & 0o077 == 0  # readable by this user only
    page.close()
    deadline = time.perf_counter() + 10
    while mine.exists() and time.perf_counter() < deadline:
        time.sleep(0.1)
    assert not mine.exists()


def test_the_prevalence_box_reaches_the_study_settings():
    from ovcfstats import StudyConfig
    from ovcfstats.app import _work

    base = {"indicators": ("hu",), "confidence": 95}
    assert _work.study_config(base, {}).prevalence == StudyConfig().prevalence
    assert _work.study_config({**base, "prevalence": "0.25"}, {}).prevalence == 0.25
    assert _work.study_config({**base, "prevalence": " "}, {}).prevalence is None
    for bad in ("1.5", "ten", "0"):
        with pytest.raises(DataError, match="Prevalence: give the share"):
            _work.study_config({**base, "prevalence": bad}, {})


def test_the_imputation_choice_reaches_the_study_settings():
    from ovcfstats import StudyConfig
    from ovcfstats.app import _work

    base = {"indicators": ("hu",), "confidence": 95, "seed": 7}
    assert _work.study_config(base, {}).missing_method == "complete"
    config = _work.study_config({**base, "missing_method": "mice", "impute_m": 10}, {})
    assert (config.missing_method, config.impute_m, config.impute_seed) == ("mice", 10, 7)
    assert StudyConfig.from_dict({"missing": {"method": "mice", "m": 10, "seed": 7}}).impute_m == 10
    for bad in (1, 2.5, None):
        with pytest.raises(DataError, match="Imputations: give a whole number"):
            _work.study_config({**base, "missing_method": "mice", "impute_m": bad}, {})
