"""Fixtures of the frontend-throughput benchmarks (run with ``--benchmark-enable``; see README.md)."""

from __future__ import annotations

import os

# Single-core fairness for NumPy-based competitors: pin BLAS/OpenMP pools to one thread when
# they start. This only works if NumPy has not been imported yet; the ``single_core`` fixture
# also applies threadpoolctl at run time, which works either way.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from collections.abc import Iterator  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from frontend_impls import WORKLOADS, single_threaded  # noqa: E402


@pytest.fixture(scope="session")
def workload_audio() -> dict[str, tuple[np.ndarray, ...]]:
    """Each workload's clips (int16 speech-like PCM at 16 kHz), by workload key, made once."""
    return {workload.key: workload.make_audio() for workload in WORKLOADS}


@pytest.fixture
def single_core() -> Iterator[str]:
    """Limit BLAS/OpenMP pools to one thread during a benchmark; yields how it was applied."""
    with single_threaded() as how:
        yield how
