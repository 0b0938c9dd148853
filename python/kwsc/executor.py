"""Run a pure per-item function over many items: in-process, on a local process pool, or on a
Dask cluster.

Stages hand this module module-level functions (picklable) and picklable items; results come
back in input order, so the output never depends on how or where the work was scheduled. With
``Executor("dask", scheduler=None)`` a ``distributed.LocalCluster`` of worker processes is
started (and closed); with a scheduler address, an existing cluster runs the same functions
unchanged (its workers need kwsc installed). A progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """One worker per CPU this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Executor:
    """Where stages run: ``backend`` "local" (process pool; 1 worker: this process) or "dask"
    (``scheduler`` address, or None for a LocalCluster of ``workers`` processes)."""

    def __init__(self, backend: str = "local", workers: int | None = None, scheduler: str | None = None) -> None:
        if backend not in ("local", "dask"):
            raise ValueError(f"executor must be local or dask, got {backend!r}")
        self.backend = backend
        self.workers = workers or default_workers()
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Executor:
        if self.backend == "dask":
            from distributed import Client, LocalCluster

            if self.scheduler:
                self._client = Client(self.scheduler)
            else:
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                             dashboard_address=":0", silence_logs=logging.WARNING)  # fmt: skip
                self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def map(
        self,
        function: Callable[[T], R],
        items: Sequence[T],
        description: str = "",
        progress: bool | None = None,
        chunk_size: int | None = None,
    ) -> list[R]:
        """``[function(item) for item in items]`` on this executor, in input order.

        On Dask, items go in chunks (one task each, as many as the local pool's chunks): a task
        costs milliseconds of scheduling, more than one clip's work. ``chunk_size`` overrides the
        chunking: 1 for items that are already batches of uneven cost, so idle workers take the
        next one instead of a neighbour's long run of slow items waiting in its chunk."""
        if self.backend == "local" or self._client is None:
            return map_items(function, items, self.workers, description, progress, chunk_size)
        from distributed import as_completed

        show = sys.stderr.isatty() if progress is None else progress
        workers = len(self._client.scheduler_info().get("workers", {})) or self.workers
        size = chunk_size or _chunk_size(len(items), workers)
        chunks = [list(items[start : start + size]) for start in range(0, len(items), size)]
        futures = self._client.map(_apply_chunk, [function] * len(chunks), chunks, pure=False)
        bar: Any = tqdm(total=len(items), desc=description, disable=not show, unit="item", leave=False)
        sizes = {future.key: len(chunk) for future, chunk in zip(futures, chunks, strict=True)}
        for future in as_completed(futures):
            bar.update(sizes[future.key])
        bar.close()
        return [result for chunk in self._client.gather(futures) for result in chunk]


def _chunk_size(items: int, workers: int) -> int:
    """Items per task: about 8 tasks per worker, at most 64 items each."""
    return max(1, min(64, items // (workers * 8) or 1))


def _apply_chunk(function: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [function(item) for item in chunk]


def map_items(
    function: Callable[[T], R],
    items: Sequence[T],
    workers: int | None = None,
    description: str = "",
    progress: bool | None = None,
    chunk_size: int | None = None,
) -> list[R]:
    """``[function(item) for item in items]``, on ``workers`` processes (1: in this process).

    ``progress`` None shows a bar only when stderr is a terminal.
    """
    workers = workers or default_workers()
    show = sys.stderr.isatty() if progress is None else progress
    bar: Any = tqdm(total=len(items), desc=description, disable=not show, unit="item", leave=False)
    results: list[R] = []
    try:
        if workers <= 1 or len(items) < 2:
            for item in items:
                results.append(function(item))
                bar.update(1)
            return results
        chunk = chunk_size or _chunk_size(len(items), workers)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(function, items, chunksize=chunk):
                results.append(result)
                bar.update(1)
        return results
    finally:
        bar.close()
