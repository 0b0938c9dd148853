"""Flash, RAM and cost of each firmware component on the Cortex-M4, checked against budgets.

Sizes come from the firmware's linker map (after --gc-sections, so only what is linked counts):
every input section is attributed to a component by the object file it came from. Flash is
.text + .rodata (+ the .data load image); RAM is .data + .bss + the component's declared
buffers (its caller-owned state, e.g. ``kwsc_frontend_state``) + the stack high-water mark of
a run. Instructions per frame are measured under QEMU (see :mod:`kwsc.firmware`).

The validator (csrc/kwsc_validate.c, kwsc_dtw.c) reads log-mel energies from the frontend, so
its RAM is what it needs beyond the frontend's: its .data + .bss, its declared state
(``kwsc_validator_state``, sized for the default 5 s) and the stack of a validate run.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kwsc import firmware, signals
from kwsc.config import BudgetConfig, FrontendConfig

if TYPE_CHECKING:
    from kwsc.detector import Detector

#: Object files (basename without .o) that make up each kwsc component on the device.
COMPONENT_OBJECTS: dict[str, tuple[str, ...]] = {
    "frontend": (
        "kwsc_window", "kwsc_fft", "kwsc_mel", "kwsc_log", "kwsc_dct", "kwsc_quant",
        "kwsc_frontend", "kwsc_frontend_tables_default",
    ),
    "validator": ("kwsc_validate", "kwsc_dtw"),
    "model runtime": ("kwsc_nn",),
    "model": ("kwsc_model",),
    "detector": ("kwsc_detect",),
}  # fmt: skip
#: Objects holding a component's generated tables (reported apart from its code): for the
#: model, its const weights, biases, requantisation parameters and op table.
TABLE_OBJECTS = {"frontend": ("kwsc_frontend_tables_default",), "model": ("kwsc_model",)}
#: Buffers a harness declares on a component's behalf (its caller-owned state), by symbol.
DECLARED_BUFFERS = {
    "frontend": ("kwsc_frontend_state",),
    "validator": ("kwsc_validator_state",),
    "model": ("kwsc_model_arena",),
    # The detector's one block: its state, feature ring and history, plus the frontend's memory
    # and the model's arena (a device running the detector needs it instead of those two).
    "detector": ("kwsc_detector_state",),
}
#: TensorFlow Lite Micro's own statement of its interpreter's size (its README): "The core
#: runtime just fits in 16 KB on an Arm Cortex M3", before any op kernels or the model.
TFLM_CORE_RUNTIME_FLASH_BYTES = 16 * 1024
HARNESS = "harness"
LIBRARY = "runtime library"
#: Functions of one component's objects that only another component (or the harness) calls, by
#: symbol: a firmware without that caller drops them (--gc-sections), so they count to it, and
#: the frontend's numbers stay those of a frontend-only device.
FUNCTION_OWNERS = {
    "kwsc_frontend_reset": "validator",
    "kwsc_frontend_log_mel_q16": "validator",
    "kwsc_frontend_config_default": HARNESS,  # the validate harness's default frontend
}
#: Target for the validator's RAM beyond the frontend's (BudgetConfig.validator_ram_target_bytes
#: when the budget config has it).
VALIDATOR_RAM_TARGET_BYTES = 4096


@dataclass
class ComponentFootprint:
    """Bytes of one component. ``flash_bytes`` = code + tables (+ .data image); RAM as above."""

    code_bytes: int = 0
    tables_bytes: int = 0
    data_bytes: int = 0
    bss_bytes: int = 0
    state_bytes: int = 0
    stack_bytes: int = 0
    instructions_per_frame: float | None = None
    instructions_per_second: float | None = None
    instructions_per_inference: float | None = None
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def flash_bytes(self) -> int:
        """Read-only bytes in flash: code, tables and the initial image of .data."""
        return self.code_bytes + self.tables_bytes + self.data_bytes

    @property
    def ram_bytes(self) -> int:
        """RAM bytes: .data + .bss + declared state + stack high-water mark."""
        return self.data_bytes + self.bss_bytes + self.state_bytes + self.stack_bytes

    def to_dict(self) -> dict[str, object]:
        """JSON form, including the derived flash and RAM totals."""
        data = asdict(self)
        data["flash_bytes"] = self.flash_bytes
        data["ram_bytes"] = self.ram_bytes
        return data


_SECTION = re.compile(r"^ (\.[\w.$]+|COMMON)\s*(?:\n\s+|\s+)0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)", re.MULTILINE)
_SYMBOL_SECTION = re.compile(r"^ \.bss\.([\w$]+)\s*(?:\n\s+|\s+)0x[0-9a-f]+\s+0x([0-9a-f]+)", re.MULTILINE)


def _component_of(obj_path: str) -> str:
    if ".a(" in obj_path:
        return LIBRARY
    name = Path(obj_path).name.removesuffix(".o")
    for component, objects in COMPONENT_OBJECTS.items():
        if name in objects:
            return component
    return HARNESS


def parse_map(map_text: str) -> dict[str, ComponentFootprint]:
    """Sizes per component from a GNU ld map file (the part after "Linker script and memory map")."""
    body = map_text.split("Linker script and memory map", 1)[-1]
    result: dict[str, ComponentFootprint] = {}
    declared = {symbol: component for component, symbols in DECLARED_BUFFERS.items() for symbol in symbols}
    for match in _SECTION.finditer(body):
        section, _address, size_hex, obj = match.groups()
        size = int(size_hex, 16)
        if size == 0 or not (obj.endswith(".o") or obj.endswith(")")):
            continue
        component = _component_of(obj)
        kind = section.split(".")[1] if section.startswith(".") else "bss"
        symbol = section.split(".", 2)[2] if section.count(".") >= 2 else ""
        if kind in ("text", "rodata") and symbol in FUNCTION_OWNERS and component != LIBRARY:
            component = FUNCTION_OWNERS[symbol]
        entry = result.setdefault(component, ComponentFootprint())
        if kind == "bss" and symbol in declared:
            result.setdefault(declared[symbol], ComponentFootprint()).state_bytes += size
        elif kind == "bss" or section == "COMMON":
            entry.bss_bytes += size
        elif kind == "data":
            entry.data_bytes += size
        elif kind == "rodata" and Path(obj).name.removesuffix(".o") in TABLE_OBJECTS.get(component, ()):
            entry.tables_bytes += size
        elif kind in ("text", "rodata", "isr_vector", "ARM"):
            entry.code_bytes += size
    return result


@dataclass(frozen=True)
class BudgetCheck:
    """One budget: the measured value, its limit, and whether it is a hard budget or a target."""

    component: str
    name: str
    value: float
    limit: float
    hard: bool

    @property
    def ok(self) -> bool:
        """Within the limit."""
        return self.value <= self.limit


def check_budgets(components: dict[str, ComponentFootprint], budget: BudgetConfig) -> list[BudgetCheck]:
    """Budgets (hard: exceeding one fails `kwsc footprint`) and targets (reported only)."""
    fe = components["frontend"]
    checks = [
        BudgetCheck("frontend", "RAM bytes", fe.ram_bytes, budget.frontend_ram_bytes, True),
        BudgetCheck("frontend", "tables bytes", fe.tables_bytes, budget.frontend_tables_bytes, True),
        BudgetCheck("frontend", "RAM bytes (target)", fe.ram_bytes, budget.frontend_ram_target_bytes, False),
        BudgetCheck("frontend", "flash bytes (target)", fe.flash_bytes, budget.frontend_flash_target_bytes, False),
    ]
    if fe.instructions_per_frame is not None:
        checks.append(
            BudgetCheck(
                "frontend", "instructions per frame (target)", round(fe.instructions_per_frame),
                budget.frontend_instructions_target, False,
            )
        )  # fmt: skip
    model = components.get("model")
    if model is not None and model.tables_bytes > 1024:  # a real model is compiled in
        flash = model.flash_bytes + components["model runtime"].flash_bytes
        checks.append(BudgetCheck("model", "flash bytes with the runtime", flash, budget.model_flash_bytes, True))
        checks.append(BudgetCheck("model", "RAM bytes (target)", model.ram_bytes, budget.model_ram_target_bytes, False))
    validator = components.get("validator")
    if validator is not None:
        limit = getattr(budget, "validator_ram_target_bytes", VALIDATOR_RAM_TARGET_BYTES)
        checks.append(
            BudgetCheck("validator", "RAM bytes beyond the frontend (target)", validator.ram_bytes, limit, False)
        )
    return checks


def measure(
    firmware_build: firmware.FirmwareBuild | None = None,
    config: FrontendConfig | None = None,
    seconds: float = 4.0,
    model_windows: np.ndarray | None = None,
    detector: Detector | None = None,
) -> dict[str, ComponentFootprint]:
    """Build (if needed) and measure the firmware: sizes from the map, stack and cost from QEMU runs.

    With ``model_windows`` (int8 windows for the model compiled into ``firmware_build``), the
    model's stack and instructions per inference are measured on them too; with ``detector``
    (a host detector for that model), the whole keyword path's instructions per second of
    audio (frontend + model + detector) on ``seconds`` of speech-like audio."""
    config = config or FrontendConfig()
    fw = firmware_build or firmware.build()
    components = parse_map(Path(fw.map_file).read_text())
    if model_windows is not None:
        inference = firmware.run_nn(fw, model_windows)
        model = components.setdefault("model", ComponentFootprint())
        model.stack_bytes = inference.stack_bytes
        model.instructions_per_inference = inference.instructions_per_inference
    audio = signals.speech_like(seconds, -26.0, seed=0)
    run = firmware.run_frontend(fw, audio, config)
    cost = firmware.measure_frontend_cost(fw, audio, config)
    fe = components["frontend"]
    fe.stack_bytes = run.stack_bytes
    fe.instructions_per_frame = cost.per_frame["frame"]
    fe.instructions_per_second = cost.per_second_of_audio
    fe.stages = {stage: round(value, 1) for stage, value in cost.per_frame.items() if stage != "frame"}
    if detector is not None:
        # 20 s at least: the first inference waits for a full window, so a short clip would
        # understate the steady rate (12.5 inferences per second at the default stride).
        stream = audio if seconds >= 20.0 else signals.speech_like(20.0, -26.0, seed=0)
        streamed = firmware.run_detect(fw, stream, detector)
        entry = components.setdefault("detector", ComponentFootprint())
        entry.stack_bytes = streamed.stack_bytes
        entry.instructions_per_second = streamed.instructions_per_second
    if "validator" in components:
        # One enrollment-style take (0.5 s, a 0.6 s word, 0.5 s) through the device validator.
        take = signals.take(signals.word_like(0.6, -20.0, seed=0), 0.5, 0.5, seed=1)
        components["validator"].stack_bytes = firmware.run_validator(fw, take).stack_bytes
    return components


def measure_model(
    folder: str | Path, config: FrontendConfig | None = None, export_dir: str | Path | None = None, windows: int = 4
) -> dict[str, ComponentFootprint]:
    """:func:`measure` with the model in ``folder`` (model.tflite) exported into the firmware:
    its flash, arena and stack, its instructions per inference on ``windows`` seeded random
    windows (the count barely depends on the values), and, when the folder has a meta.json, the
    streaming detector's. The C export goes to ``export_dir`` (default: the folder itself);
    ``config`` defaults to the model's frontend config."""
    from kwsc.detector import Detector
    from kwsc.export import export

    folder = Path(folder)
    target = Path(export_dir) if export_dir is not None else folder
    _, _, plan = export(folder / "model.tflite", target)
    detector = Detector.from_folder(folder) if (folder / "meta.json").is_file() else None
    model_windows = np.random.default_rng(0).integers(-128, 128, (windows, plan.input_bytes)).astype(np.int8)
    config = config or (detector.frontend_config if detector is not None else FrontendConfig())
    return measure(firmware.build(model_dir=target), config, model_windows=model_windows, detector=detector)


def format_table(components: dict[str, ComponentFootprint], checks: list[BudgetCheck]) -> str:
    """A Markdown table of the components and a list of the budget checks."""
    lines = [
        "| component | flash (B) | code | tables | RAM (B) | .data+.bss | state | stack | instr/frame "
        "| instr/s audio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, c in components.items():
        per_frame = f"{c.instructions_per_frame:,.0f}" if c.instructions_per_frame is not None else ""
        per_second = f"{c.instructions_per_second / 1e6:.2f} M" if c.instructions_per_second is not None else ""
        lines.append(
            f"| {name} | {c.flash_bytes:,} | {c.code_bytes:,} | {c.tables_bytes:,} | {c.ram_bytes:,} | "
            f"{c.data_bytes + c.bss_bytes:,} | {c.state_bytes:,} | {c.stack_bytes:,} | {per_frame} | {per_second} |"
        )
    fe = components.get("frontend")
    if fe is not None and fe.stages:
        lines.append("")
        lines.append(
            "frontend instructions per frame by stage: " + ", ".join(f"{k} {v:,.0f}" for k, v in fe.stages.items())
        )
    model = components.get("model")
    if model is not None and model.instructions_per_inference is not None:
        lines.append("")
        lines.append(f"model: {model.instructions_per_inference:,.0f} instructions per inference (QEMU counts "
                     "instructions, not cycles)")  # fmt: skip
    detector = components.get("detector")
    if detector is not None and detector.state_bytes:
        lines.append("")
        lines.append("detector state is one block holding the detector, the frontend's memory and the model "
                     "arena (a device needs it instead of those two buffers)")  # fmt: skip
        if detector.instructions_per_second:
            rate = detector.instructions_per_second / 1e6
            lines.append(f"keyword path (frontend + model + detector), streaming: {rate:,.1f} M instructions "
                         "per second of audio")  # fmt: skip
    lines.append("")
    for check in checks:
        verdict = "ok" if check.ok else ("OVER BUDGET" if check.hard else "above target")
        lines.append(f"- {check.component} {check.name}: {check.value:,.0f} (limit {check.limit:,.0f}): {verdict}")
    return "\n".join(lines)


@dataclass(frozen=True)
class TfliteMicroComparison:
    """What the TensorFlow Lite Micro interpreter would need for the same model."""

    arena_bytes: int  # its tensor arena, measured by its recording allocator (x86-64 host build)
    flatbuffer_bytes: int  # the .tflite it keeps in flash
    core_runtime_flash_bytes: int = TFLM_CORE_RUNTIME_FLASH_BYTES  # its stated interpreter size

    @property
    def flash_bytes(self) -> int:
        """A lower bound: the flatbuffer plus the core runtime, before any op kernels."""
        return self.flatbuffer_bytes + self.core_runtime_flash_bytes


_ARENA_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


def tflite_micro_comparison(tflite_path: Path) -> TfliteMicroComparison:
    """Measure TFLite Micro's arena for a model with PyPI ``tflite-micro``'s recording allocator.

    It prints from C, so it runs in a subprocess whose stdout is read. The host build has 8-byte
    pointers, so its per-tensor structs are larger than on a 32-bit Cortex-M; its activation
    plan is the same size."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom tflite_micro.python.tflite_micro import runtime\n"
        "runtime.Interpreter.from_bytes(open(sys.argv[1], 'rb').read()).print_allocations()\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tflite_path)], capture_output=True, text=True, timeout=300)
    match = _ARENA_TOTAL.search(result.stdout + result.stderr)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"tflite-micro could not load {tflite_path}: {result.stderr.strip()[-500:]}")
    return TfliteMicroComparison(int(match.group(1)), tflite_path.stat().st_size)
