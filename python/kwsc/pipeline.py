"""The main job, as a library call: a project file becomes a dataset version, an INT8 model
verified against TFLite Micro and on the device, a streaming evaluation and a report.

``kwsc demo`` is a thin layer over :func:`compile_model`; each stage is also its own command
(``kwsc build``, ``train``, ``export``, ``eval``, ``footprint``, ``report``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kwsc.config import ProjectConfig
from kwsc.store import Store


class PipelineError(RuntimeError):
    """A stage's check failed (model over budget, device output not the host's)."""


@dataclass
class PipelineResult:
    """Where everything went, and how long each stage took (seconds)."""

    version_id: str
    model_folder: Path
    report: Path
    evaluation: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    device_windows: int = 0  # test windows run on the Cortex-M4 and compared with the host
    dataset_reused: bool = False  # the dataset version was already in the store


def compile_model(
    project: ProjectConfig,
    store: Store,
    log: Callable[[str], None] = lambda _: None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    device_windows: int = 64,
) -> PipelineResult:
    """Build the project's dataset (or reuse it), train and quantize its model, verify it against
    TFLite Micro (every test window, in training) and on the Cortex-M4 under QEMU (the first
    ``device_windows`` test windows), evaluate it on streaming audio and write the report."""
    from kwsc import firmware
    from kwsc import footprint as fp
    from kwsc.build import build
    from kwsc.evaluate import evaluate_model
    from kwsc.features import load_windows
    from kwsc.report import write_report
    from kwsc.restarts import trained_model
    from kwsc.runtime import Runtime

    timings: dict[str, float] = {}
    start = time.perf_counter()
    result = build(project, store, log=log)
    timings["dataset"] = time.perf_counter() - start
    version_dir = store.resolve(result.version_id)
    keywords = list(project.labels)

    start = time.perf_counter()
    log(f"training {project.model.arch} ({project.model.filters} filters, {project.model.blocks} blocks), "
        f"{project.train.epochs} epochs")  # fmt: skip
    folder = trained_model(store.root, version_dir, keywords, project.model, project.train, project.eval,
                           project.detect, log=log, progress=progress)  # fmt: skip
    mismatches = json.loads((folder / "lineage.json").read_text())["runtime_mismatches"]
    if mismatches:
        raise PipelineError(f"kwsc runtime differs from TFLite Micro on {mismatches} test windows")
    tflite = (folder / "model.tflite").read_bytes()
    timings["train"] = time.perf_counter() - start

    start = time.perf_counter()
    windows, _ = load_windows(version_dir, "test")
    windows = windows[:device_windows]
    log(f"device: {len(windows)} test windows through the model on the Cortex-M4 (QEMU)")
    device = firmware.run_nn(firmware.build(model_dir=folder), windows)
    if not np.array_equal(device.outputs, Runtime.from_tflite(tflite).run(windows)):
        raise PipelineError("the model's outputs on the Cortex-M4 differ from the host's")
    timings["device"] = time.perf_counter() - start

    start = time.perf_counter()
    evaluation = evaluate_model(folder, project.eval, project.detect, progress=progress, log=log)
    if "device_check" in evaluation and not evaluation["device_check"]["identical"]:
        raise PipelineError("the detector's records on the Cortex-M4 differ from the host's")
    timings["evaluate"] = time.perf_counter() - start

    start = time.perf_counter()
    log("footprint: the model and the detector in the firmware, measured under QEMU")
    components = fp.measure_model(folder)
    checks = fp.check_budgets(components, project.budget)
    report = write_report(folder, components, checks)
    timings["report"] = time.perf_counter() - start
    over = [c for c in checks if c.hard and not c.ok]
    if over:
        raise PipelineError("over budget: " + "; ".join(f"{c.component} {c.name} {c.value:,.0f} > {c.limit:,.0f}"
                                                        for c in over))  # fmt: skip
    return PipelineResult(result.version_id, folder, report, evaluation, timings, len(windows), result.reused)
