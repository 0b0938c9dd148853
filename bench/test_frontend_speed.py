"""pytest-benchmark of frontend throughput: kwsc against librosa, python_speech_features and
pymicro-features (TFLite Micro's frontend) on the same 10 s, 16 kHz clip.

This is a benchmark, not a timed test: nothing here fails because something is slow. Each
benchmark records in ``benchmark.extra_info``:

* ``x_realtime``: seconds of audio processed per second of wall time (from the mean round),
  and ``x_realtime_best`` from the fastest round;
* ``frames_per_s``: feature frames produced per second of wall time;
* ``us_per_frame``: wall microseconds per feature frame (the fair per-frame cost when frame
  rates differ, as for pymicro-features' 10 ms step);
* ``audio_s``, ``frames``, ``cores`` and the library version.

Run: ``.venv/bin/python -m pytest bench --benchmark-enable`` (see bench/README.md). Without
``--benchmark-enable`` (the repo default disables benchmarks) each function runs once, as a smoke
check. ``bench/report_frontend_speed.py`` prints the comparison table and the 3x verdict.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from frontend_impls import IMPLEMENTATIONS, SAMPLE_RATE_HZ, Implementation

# pytest-benchmark groups by this name so the table shows all implementations together.
GROUP = "frontend 10 s clip"


def _record(benchmark: Any, impl: Implementation, pcm: np.ndarray, frames: int, threads: str) -> None:
    """Store throughput figures (units in the key names) in ``benchmark.extra_info``."""
    audio_s = impl.audio_seconds(pcm)
    info = benchmark.extra_info
    info.update(
        implementation=impl.label, version=impl.version(), audio_s=audio_s, frames=frames,
        cores=impl.cores, blas_threads=threads, note=impl.note,
    )
    if benchmark.stats is None:  # --benchmark-disable: the function ran once, untimed
        return
    mean_s = benchmark.stats.stats.mean
    info.update(
        x_realtime=round(audio_s / mean_s, 1),
        x_realtime_best=round(audio_s / benchmark.stats.stats.min, 1),
        frames_per_s=round(frames / mean_s, 1),
        us_per_frame=round(1e6 * mean_s / frames, 3),
    )


@pytest.mark.parametrize("impl", IMPLEMENTATIONS, ids=[impl.key for impl in IMPLEMENTATIONS])
def test_frontend_throughput(
    benchmark: Any, audio: np.ndarray, single_core: str, impl: Implementation
) -> None:
    """Throughput of one implementation on the shared clip (one call = the whole clip)."""
    if not impl.available():
        pytest.skip(f"{impl.distribution} not installed")
    benchmark.group = GROUP
    run = impl.prepare(audio)
    run()  # warm-up outside the timing: imports, librosa's filter-bank cache, first-touch memory
    frames = benchmark(run)
    expected = round(impl.clips * impl.frames_per_second * audio.size / SAMPLE_RATE_HZ)
    assert abs(frames - expected) <= 2 * impl.clips, f"{impl.key}: {frames} frames, expected ~{expected}"
    _record(benchmark, impl, audio, frames, single_core)
