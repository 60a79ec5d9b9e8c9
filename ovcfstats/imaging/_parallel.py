"""Many scans at once: chunks of a manifest run by any executor, finished chunks kept as shards.

:func:`~ovcfstats.imaging.measure_images` splits the manifest into chunks of ``chunksize``
patients and hands each chunk to a worker: in this process (``workers=1``), to a local process
pool (``workers > 1``), or to any :class:`concurrent.futures.Executor` given as ``executor`` — a
Dask cluster's ``Client.get_executor()``, a Slurm job array through submitit's executor, a
thread pool. None of these is a dependency: only the executor's ``submit`` is used.

With ``out=DIR`` every finished chunk is written as one Parquet shard per table (measurements
details, heights, exclusions) and then a record of the patients it holds, each file under a
temporary name renamed into place, so that a run killed at any moment leaves only whole shards.
``resume=True`` skips the patients of the records already there; the final tables are the
shards put together in manifest order, whether the run was interrupted or not.

A worker that dies (killed, out of memory) breaks a process pool: the chunks not yet returned
are run again, each in a process of its own (``workers`` at a time), and a chunk whose process
dies again is listed per patient in ``excluded`` while the batch goes on. An executor given by
the caller keeps its own retry policy (Dask retries, submitit requeues).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pandas as pd

from .._results import make_excluded
from .._validate import DataError

#: seconds between two looks at jobs that are not futures (submitit's, on a Slurm cluster)
POLL_SECONDS = 2.0
#: the tables of one chunk, in shard order
TABLES = ("details", "heights", "excluded", "flags")
#: thread-count variables of the numeric libraries: one thread per worker, N workers on N cores
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

Chunk = list[dict[str, Any]]  # manifest rows as plain dicts (cheap to pickle)
Measured = dict[str, pd.DataFrame]


def single_threaded() -> None:
    """Initializer of the pool's workers: numeric libraries limited to one thread each."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        return
    threadpool_limits(1)


def chunks(frame: pd.DataFrame, size: int) -> list[Chunk]:
    """The manifest's rows in chunks of ``size`` (the last one shorter), in manifest order."""
    rows = frame.to_dict("records")
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def run_chunks(
    work: Callable[[Chunk], Measured],
    parts: Sequence[Chunk],
    *,
    executor: Executor | None,
    workers: int,
) -> Iterator[tuple[int, Measured]]:
    """``(position, work(chunk))`` for every chunk, in the order they finish."""
    if executor is None and workers <= 1:
        for i, part in enumerate(parts):
            yield i, work(part)
        return
    if executor is not None:
        yield from _finished([(executor.submit(work, part), i) for i, part in enumerate(parts)])
        return
    broken: dict[int, Chunk] = {}
    with ProcessPoolExecutor(max_workers=workers, initializer=single_threaded) as pool:
        futures = {pool.submit(work, part): i for i, part in enumerate(parts)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                measured = future.result()
            except BrokenProcessPool:  # a worker died: this chunk and all unfinished ones
                broken[i] = parts[i]
                continue
            yield i, measured
    yield from _isolated(work, broken, workers)


def _finished(jobs: list[tuple[Any, int]]) -> Iterator[tuple[int, Any]]:
    """``(position, result)`` of each submitted job as it finishes.

    Futures (a process pool's, Dask's ``get_executor()``) are waited for; submitit's jobs are
    not :class:`~concurrent.futures.Future` objects, so any other job is polled by its
    ``done()`` every :data:`POLL_SECONDS` (its ``result()`` then raises the job's error, if any).
    """
    if all(isinstance(job, Future) for job, _ in jobs):
        positions = dict(jobs)
        for future in as_completed(positions):
            yield positions[future], future.result()
        return
    pending = list(jobs)
    while pending:
        done = [(job, i) for job, i in pending if job.done()]
        for job, i in done:
            yield i, job.result()
        pending = [(job, i) for job, i in pending if all(job is not d for d, _ in done)]
        if pending and not done:
            time.sleep(POLL_SECONDS)


def _isolated(
    work: Callable[[Chunk], Measured], parts: dict[int, Chunk], workers: int
) -> Iterator[tuple[int, Measured]]:
    """Each chunk in a process of its own, ``workers`` at a time: a death loses that chunk only.

    After a worker has died the pool cannot tell whose chunk killed it; run alone, the chunks
    that were merely pending finish, and the one that kills its worker again is listed.
    """
    queue = list(parts.items())
    running: dict[Future, tuple[int, Chunk, ProcessPoolExecutor]] = {}
    while queue or running:
        while queue and len(running) < workers:
            i, part = queue.pop(0)
            pool = ProcessPoolExecutor(max_workers=1, initializer=single_threaded)
            running[pool.submit(work, part)] = (i, part, pool)
        future = next(as_completed(running))
        i, part, pool = running.pop(future)
        try:
            measured = future.result()
        except BrokenProcessPool:
            measured = died(part)
        finally:
            pool.shutdown(wait=True)
        yield i, measured


def died(part: Chunk) -> Measured:
    """The tables of a chunk whose process died even when run alone: every patient excluded."""
    ids = [row["patient_id"] for row in part]
    reason = "the process measuring it died (killed or out of memory), also when run alone"
    return {
        "details": pd.DataFrame(),
        "heights": pd.DataFrame(),
        "excluded": make_excluded(ids, "images", reason),
        "flags": pd.DataFrame(),
    }


class Shards:
    """A folder of finished chunks: one Parquet file per table and a record of the patients.

    Parameters
    ----------
    folder : Path
        Created when missing; its ``shards/`` subfolder holds the chunks.
    settings : mapping
        The measuring settings; a resumed run must use the same ones (recorded in
        ``settings.json``).
    """

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise DataError(
                "measure_images(out=...): the shards are Parquet files, which need pyarrow "
                "(pip install ovcfstats[files])."
            ) from None
        self.folder = Path(folder)
        self.root = self.folder / "shards"
        self.root.mkdir(parents=True, exist_ok=True)
        self.settings = json.loads(json.dumps(settings, default=str))  # as the file keeps it

    # -- settings -------------------------------------------------------------------------------
    def start(self, resume: bool) -> None:
        """Record the settings; refuse a new run over old shards, or a resume with others."""
        path = self.folder / "settings.json"
        old = json.loads(path.read_text()) if path.exists() else None
        if old is not None and not resume and self.done():
            raise DataError(
                f"measure_images(): {self.root} already holds the shards of a run. Pass "
                "resume=True (command line --resume) to go on with it, or give another folder."
            )
        if resume and old is not None and old != self.settings:
            keys = {*old, *self.settings}
            changed = sorted(k for k in keys if old.get(k) != self.settings.get(k))
            raise DataError(
                f"measure_images(): cannot resume {self.folder}: it was measured with other "
                f"settings ({', '.join(changed)}). Resume with the same settings, or give "
                "another folder."
            )
        _write_whole(path, json.dumps(self.settings, indent=1, sort_keys=True).encode())

    # -- chunks ---------------------------------------------------------------------------------
    def done(self) -> dict[str, list[str]]:
        """Chunk key -> the patients of every finished chunk (a record exists only when whole)."""
        return {
            p.name.removesuffix(".done.json"): json.loads(p.read_text())["patients"]
            for p in sorted(self.root.glob("*.done.json"))
        }

    def write(self, part: Chunk, measured: Measured) -> None:
        """One finished chunk: its tables, then the record that makes it count."""
        ids = [str(row["patient_id"]) for row in part]
        key = hashlib.sha256("\x1f".join(ids).encode()).hexdigest()[:16]
        for name in TABLES:
            table = _as_text(measured[name])
            path = self.root / f"{key}.{name}.parquet"
            tmp = path.with_name(path.name + ".tmp")
            table.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        _write_whole(self.root / f"{key}.done.json", json.dumps({"patients": ids}).encode())

    def read(self, order: Sequence[str]) -> Measured:
        """Every finished chunk's tables, patients in ``order`` (the manifest's), rows as kept."""
        rank = {pid: i for i, pid in enumerate(order)}
        out: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
        seen: set[str] = set()
        for key, ids in self.done().items():
            if seen & set(ids):  # a patient is measured once: the first shard holding it
                continue
            seen |= set(ids)
            for name in TABLES:
                out[name].append(pd.read_parquet(self.root / f"{key}.{name}.parquet"))
        return {name: _in_order(out[name], rank) for name in TABLES}


def _in_order(parts: list[pd.DataFrame], rank: dict[str, int]) -> pd.DataFrame:
    """The tables stacked, rows sorted stably by the manifest position of their patient."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    frame = pd.concat(parts, ignore_index=True)
    col = "patient_id" if "patient_id" in frame.columns else "id"
    position = frame[col].astype(str).map(rank).fillna(len(rank))
    return frame.iloc[position.argsort(kind="stable")].reset_index(drop=True)


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Columns of mixed Python objects as text, so that Parquet keeps them (IDs stay text)."""
    table = table.copy()
    for col in table.columns:
        if table[col].dtype == object:
            table[col] = table[col].map(_text_or_missing)
    return table


def _text_or_missing(value: Any) -> Any:
    return value if isinstance(value, str) or pd.isna(value) else str(value)


def _write_whole(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
