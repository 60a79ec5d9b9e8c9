"""Whole-process timings: ``import ovcfstats`` and ``ovcfstats reproduce`` on the sample."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

import pandas as pd
from _timing import row


def _process(args: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def run() -> list[dict]:
    bare = _process(["-c", "pass"])
    pandas = _process(["-c", "import pandas"]) - bare
    ours = _process(["-c", "import ovcfstats"]) - bare
    with tempfile.TemporaryDirectory() as out:
        whole = _process(["-m", "ovcfstats", "reproduce", "--out", out], repeat=1)
    return [
        row(
            "import ovcfstats (minus interpreter start)",
            ours,
            "import pandas alone",
            pandas,
            "ours <= 0.4 s",
            lambda r: ours <= 0.4,
        ),
        row(
            "ovcfstats reproduce, whole process, all exports",
            whole,
            "absolute target 10 s",
            10.0,
            "< 1.0",
            lambda r: r < 1.0,
        ),
    ]


if __name__ == "__main__":
    print(pd.DataFrame(run()).to_string(index=False))
