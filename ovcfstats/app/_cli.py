"""``ovcfstats app``: the subcommand that starts the page (kept light: shiny loads on start)."""

from __future__ import annotations

import argparse
from typing import Any

from .._validate import DataError


def add_app_parser(sub: Any, formatter: type) -> None:
    """Register the ``app`` subcommand on the main parser's subparsers."""
    app = sub.add_parser(
        "app",
        help="open the point-and-click app in the browser (extra [app])",
        description="Start the local app: upload a table (or give its path), review the mapping "
        "of its columns, make the choices, run, read the report and download it with the "
        "study.toml that reproduces the run. It listens on 127.0.0.1 (this computer only) "
        "unless --host says otherwise; nothing is sent anywhere. Needs the [app] extra: "
        "pip install 'ovcfstats[app]'.",
        epilog="Examples:\n  ovcfstats app\n  ovcfstats app --port 8800 --no-browser",
        formatter_class=formatter,
    )
    app.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    app.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only); another address "
        "makes the page and its data reachable from other computers",
    )
    app.add_argument(
        "--no-browser", action="store_true", help="do not open the browser (default: open it)"
    )


def run_app(args: argparse.Namespace) -> int:
    """Run ``app``: serve the page until Ctrl+C (a one-line error when shiny is missing)."""
    try:
        from . import serve
    except ImportError as err:  # shiny missing: say how to install it
        raise DataError(
            f"the app needs the [app] extra ({err.name or err} is not installed): "
            "pip install 'ovcfstats[app]'."
        ) from None
    serve(args.host, args.port, open_browser=not args.no_browser)
    return 0
