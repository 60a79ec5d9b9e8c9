"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any


def best_of(func: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall-clock time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def r_seconds(code: str) -> float | None:
    """Seconds R reports for ``code``, which must ``cat()`` the elapsed time; None without R."""
    if shutil.which("Rscript") is None:
        return None
    out = subprocess.run(
        ["Rscript", "-e", code], capture_output=True, text=True, check=False, timeout=3600
    )
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def row(
    benchmark: str,
    ours: float,
    peer: str,
    peer_s: float | None,
    target: str,
    ok,
    peak_gib: float | None = None,
) -> dict:
    """One result row; ``ok`` maps the ratio ours/peer to whether the target is met;
    ``peak_gib``: our peak RSS where the benchmark measures it."""
    ratio = ours / peer_s if peer_s else float("nan")
    return {
        "benchmark": benchmark,
        "ours_s": round(ours, 4),
        "peer": peer,
        "peer_s": round(peer_s, 4) if peer_s else None,
        "ratio": round(ratio, 3),
        "target": target,
        "met": bool(ok(ratio)) if peer_s else None,
        "peak_gib": round(peak_gib, 2) if peak_gib is not None else None,
    }
