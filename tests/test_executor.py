"""The executor returns [f(x) for x in items] in input order, whatever runs it."""

from __future__ import annotations

import math

import pytest

from kwsc.executor import Executor, _chunk_size, map_items


def test_chunks_cover_items_with_about_eight_tasks_per_worker() -> None:
    assert _chunk_size(0, 2) == 1 and _chunk_size(10, 2) == 1
    assert _chunk_size(160, 2) == 10 and _chunk_size(10**6, 2) == 64


@pytest.mark.parametrize("count", [0, 1, 7, 161])
def test_local_map_keeps_order(count: int) -> None:
    items = list(range(count))
    assert map_items(math.isqrt, items, workers=2, progress=False) == [math.isqrt(i) for i in items]
    with Executor("local", workers=1) as runner:
        assert runner.map(math.isqrt, items, progress=False) == [math.isqrt(i) for i in items]


def test_dask_map_keeps_order_across_uneven_chunks() -> None:
    items = list(range(1, 203))  # 202 items: chunks of 12, the last one shorter
    with Executor("dask", workers=2) as runner:
        assert runner.map(math.isqrt, items, progress=False) == [math.isqrt(i) for i in items]
        assert runner.map(math.isqrt, [], progress=False) == []


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="local or dask"):
        Executor("ray")


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_one_item_per_task_keeps_order(backend: str) -> None:
    """chunk_size=1 (batches of uneven cost, e.g. ingest): every item is its own task, same result."""
    items = list(range(1, 40))
    with Executor(backend, workers=2) as runner:
        assert runner.map(math.isqrt, items, progress=False, chunk_size=1) == [math.isqrt(i) for i in items]
