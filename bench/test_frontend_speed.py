"""pytest-benchmark of frontend throughput: kwsc against librosa, python_speech_features and
pymicro-features (TFLite Micro's frontend) on the same audio, in two workloads:

* ``stream``: one 10 s, 16 kHz clip, one call;
* ``clips``: 50 distinct 1 s clips, one call per clip (a keyword-spotting dataset compiler's
  workload, where per-call overhead matters).

This is a benchmark, not a timed test: nothing here fails because something is slow. Each
benchmark records in ``benchmark.extra_info``:

* ``x_realtime``: seconds of audio processed per second of wall time (from the mean round),
  and ``x_realtime_best`` from the fastest round;
* ``frames_per_s``: feature frames produced per second of wall time;
* ``us_per_frame``: wall microseconds per feature frame (the fair per-frame cost when frame
  rates differ, as for pymicro-features' 10 ms step);
* ``us_per_clip``: wall microseconds per clip (per library call, except for process_batch);
* ``workload``, ``clips``, ``clip_s``, ``audio_s``, ``frames``, ``cores`` and the library version.

Run: ``.venv/bin/python -m pytest bench --benchmark-enable`` (see bench/README.md). Without
``--benchmark-enable`` (the repo default disables benchmarks) each function runs once, as a smoke
check. ``bench/report_frontend_speed.py`` prints the comparison tables and the 3x verdicts.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from frontend_impls import IMPLEMENTATIONS, SAMPLE_RATE_HZ, WORKLOADS, Implementation, Workload

CASES = list(itertools.product(WORKLOADS, IMPLEMENTATIONS))


def _record(
    benchmark: Any, workload: Workload, impl: Implementation, clips: tuple[np.ndarray, ...], frames: int, threads: str
) -> None:
    """Store throughput figures (units in the key names) in ``benchmark.extra_info``."""
    audio_s = impl.audio_seconds(clips)
    num_clips = len(impl.inputs(clips))
    info = benchmark.extra_info
    info.update(
        workload=workload.key,
        implementation=impl.label,
        version=impl.version(),
        clips=num_clips,
        clip_s=workload.clip_seconds,
        audio_s=audio_s,
        frames=frames,
        cores=impl.cores,
        blas_threads=threads,
        note=impl.note,
    )
    if benchmark.stats is None:  # --benchmark-disable: the function ran once, untimed
        return
    mean_s = benchmark.stats.stats.mean
    info.update(
        x_realtime=round(audio_s / mean_s, 1),
        x_realtime_best=round(audio_s / benchmark.stats.stats.min, 1),
        frames_per_s=round(frames / mean_s, 1),
        us_per_frame=round(1e6 * mean_s / frames, 3),
        us_per_clip=round(1e6 * mean_s / num_clips, 2),
    )


def test_workload_audio(workload_audio: dict[str, tuple[np.ndarray, ...]]) -> None:
    """Every workload has its number of distinct int16 clips of the stated length."""
    for workload in WORKLOADS:
        clips = workload_audio[workload.key]
        assert len(clips) == workload.num_clips
        for pcm in clips:
            assert pcm.dtype == np.int16 and pcm.size == round(workload.clip_seconds * SAMPLE_RATE_HZ)
        assert len({pcm.tobytes() for pcm in clips}) == len(clips), f"{workload.key}: repeated clips"


@pytest.mark.parametrize(("workload", "impl"), CASES, ids=[f"{workload.key}-{impl.key}" for workload, impl in CASES])
def test_frontend_throughput(
    benchmark: Any,
    workload_audio: dict[str, tuple[np.ndarray, ...]],
    single_core: str,
    workload: Workload,
    impl: Implementation,
) -> None:
    """Throughput of one implementation on one workload (one library call per clip)."""
    if not impl.available():
        pytest.skip(f"{impl.distribution} not installed")
    benchmark.group = f"frontend {workload.label}"
    clips = workload_audio[workload.key]
    run = impl.prepare(clips)
    run()  # warm-up outside the timing: lazy imports, first-touch memory, per-thread kwsc state
    frames = benchmark(run)
    expected, tolerance = impl.expected_frames(clips)
    assert abs(frames - expected) <= tolerance, f"{workload.key}/{impl.key}: {frames} frames, expected ~{expected}"
    _record(benchmark, workload, impl, clips, frames, single_core)
