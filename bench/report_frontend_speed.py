"""Frontend throughput report: kwsc against librosa, python_speech_features and pymicro-features.

Usage::

    .venv/bin/python bench/report_frontend_speed.py [--json out.json] [--workload stream|clips]
        [--repeat 7] [--min-time 0.2] [--seconds 10] [--clips 50] [--clip-seconds 1]

Times each implementation on each workload of deterministic speech-like 16 kHz audio from
``kwsc.signals.speech_like`` (see ``frontend_impls.WORKLOADS``):

* ``stream``: one 10 s clip, one call;
* ``clips``: 50 distinct 1 s clips, one call per clip (a keyword-spotting dataset compiler's
  workload, where per-call overhead matters).

Timing is timeit-style: each repeat runs the timed call ``number`` times (chosen so a repeat lasts
at least ``--min-time`` seconds) and the best repeat is kept. Within a workload the repeats of the
implementations are interleaved (round-robin), so a burst of load from another process slows
every implementation alike instead of one of them. Prints, per workload, a Markdown table (x
realtime, frames/s, µs/frame, µs/clip, CPU cores actually used, speed relative to kwsc
single-core) and the verdict on the target "kwsc on one core >= 3x the fastest competitor". This is
a report, not a test: the exit status is 0 whatever the verdicts; a competitor that is not installed
is listed as "not installed".
"""

from __future__ import annotations

import os

# Pin BLAS/OpenMP pools to one thread before NumPy loads (threadpoolctl also applies at run time).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from frontend_impls import (  # noqa: E402
    AUDIO_LEVEL_DBFS,
    CLIPS,
    IMPLEMENTATIONS,
    SAMPLE_RATE_HZ,
    STREAM,
    WORKLOADS,
    Workload,
    single_threaded,
)

#: Target from the issue: kwsc on one core at least this many times the fastest competitor.
TARGET_FACTOR = 3.0


@dataclass
class Result:
    """Timing of one implementation on one workload.

    Attributes:
        workload: key of the workload.
        key, label, version, note: from :class:`frontend_impls.Implementation`.
        installed: False when the competitor's package is missing (other fields then None).
        competitor: True for the libraries kwsc is compared against.
        cores_allowed: cores the implementation is meant to use (1 except process_batch).
        clips: clips one timed call processes (one library call each, except process_batch).
        best_s: best wall time of one timed call (all its clips), seconds.
        audio_s: seconds of audio one timed call processes.
        frames: feature frames one timed call produces.
        x_realtime: ``audio_s / best_s`` (seconds of audio per wall second).
        frames_per_s: ``frames / best_s``.
        us_per_frame: ``1e6 * best_s / frames``, wall microseconds per frame.
        us_per_clip: ``1e6 * best_s / clips``, wall microseconds per clip.
        cpu_cores: process CPU time / wall time in the best repeat (~1.0 = one core busy).
        vs_kwsc: ``x_realtime`` divided by kwsc single-core ``x_realtime`` on the same workload.
    """

    workload: str
    key: str
    label: str
    version: str | None
    note: str
    installed: bool
    competitor: bool
    cores_allowed: int
    clips: int | None = None
    best_s: float | None = None
    audio_s: float | None = None
    frames: int | None = None
    x_realtime: float | None = None
    frames_per_s: float | None = None
    us_per_frame: float | None = None
    us_per_clip: float | None = None
    cpu_cores: float | None = None
    vs_kwsc: float | None = None


def calibrate(run: Callable[[], int], min_time_s: float) -> int:
    """Calls per repeat so that one repeat lasts at least ``min_time_s`` (like timeit's autorange)."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            run()
        if time.perf_counter() - start >= min_time_s:
            return number
        number *= 2


def time_repeat(run: Callable[[], int], number: int) -> tuple[float, float]:
    """One repeat: (wall seconds per call, process CPU time / wall time).

    CPU time counts all threads of the process, so ~1.0 means one core busy, ~2.0 two.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(number):
        run()
    wall = time.perf_counter() - start
    return wall / number, (time.process_time() - cpu_start) / wall


def measure_workload(workload: Workload, clips: Sequence[np.ndarray], repeat: int, min_time_s: float) -> list[Result]:
    """Time every implementation on ``clips`` with BLAS pinned to one thread, repeats interleaved."""
    results: list[Result] = []
    timed: list[tuple[Result, Callable[[], int], int]] = []
    with single_threaded():
        for impl in IMPLEMENTATIONS:
            result = Result(
                workload=workload.key,
                key=impl.key,
                label=impl.label,
                version=impl.version(),
                note=impl.note,
                installed=impl.available(),
                competitor=impl.competitor,
                cores_allowed=impl.cores,
            )
            results.append(result)
            if not result.installed:
                continue
            print(f"  calibrating {impl.label} ...", file=sys.stderr, flush=True)
            run = impl.prepare(clips)
            result.frames = run()  # warm-up: imports, caches, first-touch memory
            result.clips = len(impl.inputs(clips))
            result.audio_s = impl.audio_seconds(clips)
            timed.append((result, run, calibrate(run, min_time_s)))
        best = {id(result): (float("inf"), 0.0) for result, _, _ in timed}
        for _ in range(repeat):
            for result, run, number in timed:
                per_call, cpu_cores = time_repeat(run, number)
                if per_call < best[id(result)][0]:
                    best[id(result)] = (per_call, cpu_cores)
    for result, _, _ in timed:
        result.best_s, result.cpu_cores = best[id(result)]
        result.x_realtime = result.audio_s / result.best_s
        result.frames_per_s = result.frames / result.best_s
        result.us_per_frame = 1e6 * result.best_s / result.frames
        result.us_per_clip = 1e6 * result.best_s / result.clips
    kwsc = _find(results, "kwsc")
    for result in results:
        if kwsc is not None and kwsc.x_realtime and result.x_realtime is not None:
            result.vs_kwsc = result.x_realtime / kwsc.x_realtime
    return results


def _find(results: list[Result], key: str) -> Result | None:
    return next((r for r in results if r.key == key and r.installed and r.x_realtime is not None), None)


def _fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def markdown_table(results: list[Result]) -> str:
    """One workload's results as a Markdown table (one row per implementation)."""
    lines = [
        "| implementation | version | x realtime | frames/s | µs/frame | µs/clip | CPU cores used | vs kwsc 1-core |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        if not r.installed:
            lines.append(f"| {r.label} | not installed | — | — | — | — | — | — |")
            continue
        vs = "—" if r.vs_kwsc is None else f"{r.vs_kwsc:.2f}x"
        lines.append(
            f"| {r.label} | {r.version} | {_fmt(r.x_realtime)} | {_fmt(r.frames_per_s)} "
            f"| {_fmt(r.us_per_frame, 2)} | {_fmt(r.us_per_clip, 0)} | {_fmt(r.cpu_cores, 2)} | {vs} |"
        )
    return "\n".join(lines)


def verdict(results: list[Result]) -> dict[str, Any]:
    """Whether kwsc single-core x-realtime is >= TARGET_FACTOR x the fastest competitor's."""
    kwsc = _find(results, "kwsc")
    competitors = [r for r in results if r.competitor and r.installed and r.x_realtime is not None]
    if kwsc is None or not competitors:
        return {"met": None, "reason": "kwsc or every competitor missing"}
    fastest = max(competitors, key=lambda r: r.x_realtime or 0.0)
    factor = (kwsc.x_realtime or 0.0) / (fastest.x_realtime or 1.0)
    # Per-frame view: the same comparison in microseconds per frame (matters for pymicro-features).
    fastest_per_frame = min(competitors, key=lambda r: r.us_per_frame or float("inf"))
    distribution = {impl.key: impl.distribution for impl in IMPLEMENTATIONS}
    return {
        "met": factor >= TARGET_FACTOR,
        "target_factor": TARGET_FACTOR,
        "kwsc_x_realtime": kwsc.x_realtime,
        "fastest_competitor": fastest.key,
        "fastest_competitor_name": distribution[fastest.key],
        "fastest_competitor_x_realtime": fastest.x_realtime,
        "factor": factor,
        "fastest_per_frame_competitor": fastest_per_frame.key,
        "per_frame_factor": (fastest_per_frame.us_per_frame or 0.0) / (kwsc.us_per_frame or 1.0),
    }


def verdict_line(result: dict[str, Any]) -> str:
    """The one-line verdict, e.g. "kwsc single-core is 3.4x the fastest competitor (librosa) — ..."."""
    if result["met"] is None:
        return f"Cannot decide: {result['reason']}."
    return (
        f"kwsc single-core is {result['factor']:.1f}x the fastest competitor ({result['fastest_competitor_name']})"
        f" — target {TARGET_FACTOR:g}x {'met' if result['met'] else 'not met'}"
    )


def machine_info() -> dict[str, Any]:
    """Where the numbers come from: Python, platform, CPUs, thread environment."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numpy": np.__version__,
        "thread_env": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }


def _load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def print_workload(workload: Workload, results: list[Result], result: dict[str, Any]) -> None:
    """One workload's section: heading, table, warnings and verdict."""
    print(f"## {workload.label} ({workload.audio_seconds:g} s of audio)\n")
    print(f"{workload.description[0].upper()}{workload.description[1:]}.\n")
    print(markdown_table(results))
    busy = [r.label for r in results if r.cores_allowed == 1 and r.cpu_cores is not None and r.cpu_cores < 0.9]
    if busy:
        print(
            "\nWarning: CPU time / wall time was below 0.9 for the single-core "
            + "; ".join(busy)
            + ". The process was descheduled (another load or CPU steal); rerun on an idle machine."
        )
    print(f"\n**Verdict ({workload.key}):** {verdict_line(result)}.")
    if result["met"] is not None:
        print(
            f"Per frame: kwsc is {result['per_frame_factor']:.2f}x the fastest competitor per frame"
            f" ({result['fastest_per_frame_competitor']})."
        )
    kwsc, batch = _find(results, "kwsc"), _find(results, "kwsc_batch")
    if batch is not None and kwsc is not None and batch.x_realtime and kwsc.x_realtime:
        print(
            f"process_batch over {batch.clips} clips with {batch.cores_allowed} workers:"
            f" {batch.x_realtime / kwsc.x_realtime:.2f}x the single-core throughput"
            f" ({batch.cpu_cores:.2f} CPU cores busy on average)."
        )
    print()


def main(argv: list[str] | None = None) -> int:
    """Run the report; returns the exit status (always 0: a report, not a test)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--workload",
        action="append",
        choices=[w.key for w in WORKLOADS],
        help="workload to run (repeatable; default: all)",
    )
    parser.add_argument("--repeat", type=int, default=7, help="repeats per implementation (best kept)")
    parser.add_argument("--min-time", type=float, default=0.2, help="minimum seconds per repeat")
    parser.add_argument("--seconds", type=float, default=STREAM.clip_seconds, help="stream clip length, seconds")
    parser.add_argument("--clips", type=int, default=CLIPS.num_clips, help="number of clips of the clips workload")
    parser.add_argument(
        "--clip-seconds", type=float, default=CLIPS.clip_seconds, help="clip length of the clips workload, seconds"
    )
    args = parser.parse_args(argv)

    workloads = {
        "stream": dataclasses.replace(STREAM, clip_seconds=args.seconds),
        "clips": dataclasses.replace(CLIPS, num_clips=args.clips, clip_seconds=args.clip_seconds),
    }
    selected = [workloads[w.key] for w in WORKLOADS if args.workload is None or w.key in args.workload]

    with single_threaded() as how:
        thread_limit = how
    info = machine_info()
    load_start = _load_average()
    sections = []
    for workload in selected:
        print(f"timing workload {workload.label} ...", file=sys.stderr, flush=True)
        results = measure_workload(workload, workload.make_audio(), args.repeat, args.min_time)
        sections.append((workload, results, verdict(results)))
    load_end = _load_average()

    print(f"# Frontend throughput, speech-like audio at {SAMPLE_RATE_HZ} Hz\n")
    print(
        f"{info['cpu_count']} CPUs, Python {info['python']}, NumPy {info['numpy']}; BLAS: {thread_limit}; "
        f"best of {args.repeat} interleaved repeats of >= {args.min_time:g} s; "
        f"load average (1/5/15 min) {load_start} at start, {load_end} at end.\n"
    )
    for workload, results, result in sections:
        print_workload(workload, results, result)

    print("Notes:\n")
    for impl in IMPLEMENTATIONS:
        if impl.available() and impl.note:
            print(f"- {impl.label}: {impl.note}")
    print(
        "\nx realtime = seconds of audio per wall-clock second; µs/clip = wall time per clip (one library"
        " call per clip; process_batch takes all clips in one call). pymicro-features has a fixed 10 ms"
        " step, so it computes 2x the frames per second of audio of the others (20 ms hop); compare"
        " µs/frame for per-frame cost."
    )

    if args.json:
        payload = {
            "machine": info,
            "thread_limit": thread_limit,
            "repeat": args.repeat,
            "min_time_s": args.min_time,
            "load_average": {"start": load_start, "end": load_end},
            "target_factor": TARGET_FACTOR,
            "workloads": {
                workload.key: {
                    "label": workload.label,
                    "description": workload.description,
                    "clip_seconds": workload.clip_seconds,
                    "num_clips": workload.num_clips,
                    "audio_seconds": workload.audio_seconds,
                    "seeds": [workload.first_seed, workload.first_seed + workload.num_clips - 1],
                    "level_dbfs": AUDIO_LEVEL_DBFS,
                    "results": [asdict(r) for r in results],
                    "verdict": result,
                    "verdict_line": verdict_line(result),
                }
                for workload, results, result in sections
            },
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
