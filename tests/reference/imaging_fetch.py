"""Fetch TotalSegmentator's reference files into the cache and verify them file by file.

Run from the repository root: ``python tests/reference/imaging_fetch.py`` (``--write`` rewrites
``tests/reference/imaging_files.csv``, the SHA-256 of every file the imaging tests read). The
archive itself is pinned in ``ovcfstats/imaging/examples.py``; see imaging_README.md.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

from ovcfstats.imaging.examples import example_files

LIST = Path(__file__).with_name("imaging_files.csv")


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".complete"
    }


def main(argv: list[str]) -> int:
    root = example_files()
    found = digests(root)
    if "--write" in argv:
        with LIST.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "sha256"])
            writer.writerows(found.items())
        print(f"{len(found)} files listed in {LIST}")
        return 0
    with LIST.open() as handle:
        pinned = {row["file"]: row["sha256"] for row in csv.DictReader(handle)}
    bad = {f for f in pinned if found.get(f) != pinned[f]}
    print(f"{root}: {len(pinned) - len(bad)} of {len(pinned)} files match")
    for name in sorted(bad):
        print(f"  differs or missing: {name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
