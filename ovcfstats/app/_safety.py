"""Where the app listens: this computer only unless told otherwise, and the warning if not."""

from __future__ import annotations

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
