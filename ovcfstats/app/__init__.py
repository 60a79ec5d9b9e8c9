"""A local point-and-click app: spreadsheet in, mapping reviewed, report out (extra ``[app]``).

``ovcfstats app`` starts it on 127.0.0.1 and opens the browser. The page takes a table (upload
or a path), shows the mapping of its columns to review, the analysis choices with the study
file's defaults, runs the pipeline with its progress bar, shows the report and offers a zip of
report.docx, tables.xlsx, report.html, report.md, figures/ and the study.toml that reproduces
the run from the command line. Built on Shiny for Python; every asset is served locally.
"""

from __future__ import annotations

import os

from ._safety import LOOPBACK, announce, is_loopback

__all__ = ["LOOPBACK", "announce", "is_loopback", "make_app", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def make_app(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> object:
    """The Shiny app object (for ``shiny run`` or a test server)."""
    from ._server import build

    return build(host, port)


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, open_browser: bool = True) -> None:
    """Run the app until Ctrl+C; open the page in the default browser unless told not to."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures drawn off the main thread
    for line in announce(host, port):
        print(line, flush=True)
    from shiny import run_app

    run_app(
        make_app(host, port),  # type: ignore[arg-type]
        host=host,
        port=port,
        launch_browser=open_browser,
        log_level="warning",
        dev_mode=False,
    )
