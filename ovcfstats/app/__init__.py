"""A local point-and-click app: spreadsheet in, mapping reviewed, report out (extra ``[app]``).

``ovcfstats app`` starts it on 127.0.0.1 and opens the browser. The page takes a table (upload
or a path), shows the mapping of its columns to review, the analysis choices with the study
file's defaults, runs the pipeline with its progress bar, shows the report and offers a zip of
report.docx, tables.xlsx, report.html, report.md, figures/ and the study.toml that reproduces
the run from the command line. Built on Shiny for Python; every asset is served locally.
"""

from __future__ import annotations

import os

__all__ = ["announce", "is_loopback", "make_app", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer only."""
    return host in LOOPBACK or host.startswith("127.")


def announce(host: str, port: int) -> list[str]:
    """The lines ``ovcfstats app`` prints at start: where, and a warning off the loopback."""
    shown = f"[{host}]" if ":" in host else host
    lines = [f"ovcfstats app: open http://{shown}:{port} in your browser (Ctrl+C stops it)."]
    if is_loopback(host):
        lines.append("Listening on this computer only; nothing is sent anywhere.")
    else:
        lines.append(
            f"ovcfstats: warning: listening on {host}: other computers on the network can open "
            "the page and read the data given to it. Use the default 127.0.0.1 unless they must."
        )
    return lines


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
