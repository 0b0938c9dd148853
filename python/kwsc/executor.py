"""Run a pure per-item function over many items: in-process, or on a local process pool.

Stages hand this module module-level functions (picklable) with their parameters bound by
functools.partial; results come back in input order, so the output never depends on how the
work was scheduled. A progress bar goes to stderr when it is a terminal (tqdm).
"""

from __future__ import annotations

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
        chunk = chunk_size or max(1, min(64, len(items) // (workers * 8) or 1))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(function, items, chunksize=chunk):
                results.append(result)
                bar.update(1)
        return results
    finally:
        bar.close()
