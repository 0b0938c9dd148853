"""Shared fixtures: the default frontend and the generated signal corpus."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

import kwsc
from kwsc import signals

# In CI, property tests are derandomised so a run is reproducible; locally they explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def frontend() -> kwsc.Frontend:
    """A default-config frontend (its streaming state is reset by tests that use push)."""
    return kwsc.Frontend()


@pytest.fixture(scope="session")
def corpus() -> dict[str, np.ndarray]:
    """Named 2 s test signals: speech-like at several levels, noise, sweep, tone, clipped, silence."""
    return signals.corpus(2.0)
