"""Cortex-M4 firmware under QEMU: build it, run components on it, compare with the host.

The firmware (firmware_sim/) is the kwsc C core compiled unchanged for a Cortex-M4 with
Debian's arm-none-eabi-gcc, plus a small semihosting harness, run on QEMU's ``mps2-an386``.
A run writes a job file, starts ``qemu-system-arm`` with the component's name and the job and
output paths as its semihosting command line, and reads the output file back.

Instruction counts: QEMU has no timing model, so with ``-icount shift=0`` (one virtual ns per
instruction) the 25 MHz SysTick ticks once per 40 executed instructions; the firmware sums ticks
over many frames (see firmware_sim/fw_counter.c). Counts are identical from run to run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kwsc._kwsc_c import ffi
from kwsc.config import FrontendConfig
from kwsc.frontend import CEPS_Q, QuantParams, to_int16
from kwsc.validate import DTW_DIMS, DTW_FIRST, ValidateConfig

if TYPE_CHECKING:
    from kwsc.detector import Detector

QEMU = "qemu-system-arm"
CC = "arm-none-eabi-gcc"
MACHINE = "mps2-an386"
INSTRUCTIONS_PER_TICK = 40
#: Exit codes of the firmware harness (firmware_sim/fw.h).
EXIT_CODES = {
    3: "the firmware faulted (hard fault or another exception)",
    10: "bad command line or unknown component",
    11: "a host file could not be read or written",
    12: "the job file is malformed (or its config does not match the compiled-in tables)",
    13: "a kwsc C function returned an error status",
}
_INSTALL_HINT = "install it with: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm make"


class FirmwareError(RuntimeError):
    """The toolchain or QEMU is missing, the build failed, or a firmware run failed."""


def source_dirs() -> tuple[Path, Path]:
    """(csrc, firmware_sim) directories: a source checkout's, else the copies installed with kwsc."""
    package = Path(__file__).resolve().parent
    for root in (package.parents[1], package / "_sources"):
        if (root / "csrc" / "kwsc_frontend.h").is_file() and (root / "firmware_sim" / "Makefile").is_file():
            return root / "csrc", root / "firmware_sim"
    raise FirmwareError("cannot find csrc/ and firmware_sim/ (neither a source checkout nor installed copies)")


def require_tools(*tools: str) -> None:
    """Raise FirmwareError naming any of ``tools`` that is not on PATH."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise FirmwareError(f"{', '.join(missing)} not found; {_INSTALL_HINT}")


@dataclass(frozen=True)
class FirmwareBuild:
    """A built firmware: the ELF, its linker map, and the directory holding the objects."""

    elf: Path
    map_file: Path
    build_dir: Path
    float_abi: str


def _sources_digest(csrc: Path, fw: Path, float_abi: str, model_dir: Path) -> str:
    digest = hashlib.sha256(float_abi.encode())
    for path in sorted([*csrc.glob("*.[ch]"), *fw.glob("*.[ch]"), fw / "Makefile", *fw.glob("*.ld")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for path in (model_dir / "kwsc_model.h", model_dir / "kwsc_model.c"):
        digest.update(b"model/" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def default_build_root() -> Path:
    """Where builds are cached: $KWSC_CACHE/firmware, else ~/.cache/kwsc/firmware."""
    base = os.environ.get("KWSC_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kwsc")
    return Path(base) / "firmware"


def build(
    build_root: Path | None = None, float_abi: str = "soft", force: bool = False, model_dir: Path | None = None
) -> FirmwareBuild:
    """Build the firmware if its sources changed (cached by a hash of sources, model and flags).

    ``float_abi`` is ``"soft"`` or ``"hard"`` (-mfpu=fpv4-sp-d16); the numerics use no floating
    point, so both give the same results. ``model_dir`` holds ``kwsc_model.c``/``.h`` from
    ``kwsc export`` (symbol ``kwsc_model``); without it the "nn" component has no model.
    """
    if float_abi not in ("soft", "hard"):
        raise FirmwareError(f"float_abi must be 'soft' or 'hard', got {float_abi!r}")
    require_tools(CC, "make")
    csrc, fw = source_dirs()
    model = Path(model_dir).resolve() if model_dir is not None else fw / "no_model"
    if not (model / "kwsc_model.c").is_file() or not (model / "kwsc_model.h").is_file():
        raise FirmwareError(f"{model} has no kwsc_model.c/.h (export the model with `kwsc export`)")
    build_dir = (build_root or default_build_root()) / f"{float_abi}-{_sources_digest(csrc, fw, float_abi, model)}"
    elf = build_dir / "kwsc_fw.elf"
    if force and build_dir.exists():
        shutil.rmtree(build_dir)
    if not elf.is_file():
        build_dir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                "make",
                "-s",
                "-C",
                str(fw),
                f"BUILD={build_dir}",
                f"CSRC={csrc}",
                f"FLOAT_ABI={float_abi}",
                f"MODEL_DIR={model}",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise FirmwareError(f"firmware build failed:\n{result.stdout}{result.stderr}")
        if "warning" in result.stderr.lower():
            raise FirmwareError(f"firmware build produced warnings:\n{result.stderr}")
    return FirmwareBuild(elf=elf, map_file=build_dir / "kwsc_fw.map", build_dir=build_dir, float_abi=float_abi)


def run(firmware: FirmwareBuild, component: str, job: bytes, timeout_s: float = 120.0) -> bytes:
    """Run ``component`` on the firmware under QEMU with ``job`` as its input; returns its output."""
    require_tools(QEMU)
    with tempfile.TemporaryDirectory(prefix="kwsc-qemu-") as tmp:
        (Path(tmp) / "job.bin").write_bytes(job)
        command = [
            QEMU, "-M", MACHINE, "-nographic", "-monitor", "none", "-serial", "none",
            "-icount", "shift=0",
            "-semihosting-config", f"enable=on,target=native,arg={component},arg=job.bin,arg=out.bin",
            "-kernel", str(firmware.elf),
        ]  # fmt: skip
        try:
            result = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise FirmwareError(f"QEMU run of {component!r} timed out after {timeout_s:.0f} s") from exc
        if result.returncode != 0:
            reason = EXIT_CODES.get(result.returncode, "unexpected exit")
            raise FirmwareError(
                f"firmware component {component!r} failed with exit code {result.returncode}: {reason}\n"
                f"{result.stdout}{result.stderr}".rstrip()
            )
        out = Path(tmp) / "out.bin"
        if not out.is_file():
            raise FirmwareError(f"firmware component {component!r} wrote no output")
        return out.read_bytes()


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def frontend_job(
    pcm: np.ndarray, config: FrontendConfig | None = None, quant: QuantParams | None = None, chunk_samples: int = 320
) -> bytes:
    """The job file for the "frontend" and "frontend-cost" components (layout: fw_frontend.c)."""
    config = config or FrontendConfig()
    quant = quant or QuantParams.default(config.num_ceps)
    samples = to_int16(pcm)
    if chunk_samples < 1:
        raise ValueError("chunk_samples must be >= 1")
    fields = [config.sample_rate_hz, config.window_samples, config.hop_samples, config.fft_size, config.num_mel,
              config.mel_low_hz, config.mel_high_hz, config.num_ceps, config.preemph_q15]  # fmt: skip
    n = quant.offset_q6.size
    return b"".join(
        [
            b"KWF1",
            struct.pack("<I9i", chunk_samples, *fields),
            struct.pack("<Ii", n, quant.zero_point),
            quant.offset_q6.astype("<i4").tobytes(),
            quant.scale_q16.astype("<i4").tobytes(),
            struct.pack("<I", samples.size),
            _pad4(samples.astype("<i2").tobytes()),
        ]
    )


@dataclass(frozen=True)
class DeviceFeatures:
    """What the firmware's frontend produced for one job."""

    ceps: np.ndarray  # int16 Q6, (frames, num_ceps)
    int8: np.ndarray  # int8, (frames, num_ceps)
    stack_bytes: int  # stack high-water mark of the whole firmware run, bytes
    memory_bytes: int  # kwsc_frontend_memory_bytes on the device


def run_frontend(
    firmware: FirmwareBuild,
    pcm: np.ndarray,
    config: FrontendConfig | None = None,
    quant: QuantParams | None = None,
    chunk_samples: int = 320,
) -> DeviceFeatures:
    """The device frontend's int16 and int8 features of ``pcm``, fed in chunks of ``chunk_samples``."""
    out = run(firmware, "frontend", frontend_job(pcm, config, quant, chunk_samples))
    frames, num_ceps = struct.unpack_from("<II", out, 0)
    count = frames * num_ceps
    offset = 8
    ceps = np.frombuffer(out, "<i2", count, offset).reshape(frames, num_ceps)
    offset += (2 * count + 3) & ~3
    int8 = np.frombuffer(out, np.int8, count, offset).reshape(frames, num_ceps)
    offset += (count + 3) & ~3
    stack_bytes, memory_bytes = struct.unpack_from("<II", out, offset)
    return DeviceFeatures(ceps.astype(np.int16), int8.copy(), stack_bytes, memory_bytes)


#: Stages measured by the "frontend-cost" component, in its output order.
COST_STAGES = ("frame", "window", "fft", "mel", "log", "dct", "quant")


@dataclass(frozen=True)
class FrontendCost:
    """Instructions per frame on the Cortex-M4 (QEMU), total and per stage, over ``frames`` frames."""

    frames: int
    per_frame: dict[str, float]
    hop_samples: int
    sample_rate_hz: int

    @property
    def per_second_of_audio(self) -> float:
        """Instructions per second of audio for the whole frontend."""
        return self.per_frame["frame"] * self.sample_rate_hz / self.hop_samples


def measure_frontend_cost(
    firmware: FirmwareBuild, pcm: np.ndarray, config: FrontendConfig | None = None
) -> FrontendCost:
    """Average instructions per frame of the frontend on the device, and per stage.

    Each region's SysTick ticks (40 instructions each) are summed over all frames; the cost of an
    empty measured region is subtracted. Use >= 100 frames (2 s of audio) for a stable average.
    """
    config = config or FrontendConfig()
    out = run(firmware, "frontend-cost", frontend_job(pcm, config))
    frames = struct.unpack_from("<I", out, 0)[0]
    ticks = struct.unpack_from(f"<{len(COST_STAGES) + 1}I", out, 4)
    if frames == 0:
        raise FirmwareError("the cost job held no complete frame")
    empty = ticks[-1]
    per_frame = {
        stage: (count - empty) * INSTRUCTIONS_PER_TICK / frames
        for stage, count in zip(COST_STAGES, ticks, strict=False)
    }
    return FrontendCost(frames, per_frame, config.hop_samples, config.sample_rate_hz)


#: Blocks the device validator holds (FW_VALIDATE_MAX_FRAMES in firmware_sim/fw_validate.c):
#: the default max_frames, 5 s of audio at the default 20 ms hop.
VALIDATE_MAX_FRAMES = 250
#: Largest Sakoe-Chiba band and row stride the device "dtw" component takes (fw_validate.c).
DTW_MAX_BAND = 200
DTW_MAX_STRIDE = 256
DTW_MAX_TAKES = 16


def _c_fields(ctype: str) -> list[tuple[str, str]]:
    """(name, struct format "i" or "I") of each field of a C struct, in declaration order."""
    return [(name, "I" if field.type.cname.startswith("u") else "i") for name, field in ffi.typeof(ctype).fields]


def _validate_c_config(config: ValidateConfig | None) -> object:
    # The device carries the default frontend tables only, so band indexes come from the default config.
    return (config or ValidateConfig()).to_c(FrontendConfig())


def validate_job(pcm: np.ndarray, config: ValidateConfig | None = None, chunk_samples: int = 320) -> bytes:
    """The job file for the "validate" component (layout: fw_validate.c): every kwsc_validate_config
    field in struct order, then the PCM, pushed in chunks of ``chunk_samples``."""
    if chunk_samples < 1:
        raise ValueError("chunk_samples must be >= 1")
    samples = to_int16(pcm, allow_empty=True)
    c = _validate_c_config(config)
    fields = _c_fields("kwsc_validate_config")
    return b"".join(
        [
            b"KWV1",
            struct.pack("<I", chunk_samples),
            struct.pack("<" + "".join(fmt for _, fmt in fields), *(getattr(c, name) for name, _ in fields)),
            struct.pack("<I", samples.size),
            _pad4(samples.astype("<i2").tobytes()),
        ]
    )


@dataclass(frozen=True)
class DeviceValidation:
    """What the firmware's validator produced for one recording."""

    metrics: dict[str, int]  # the kwsc_validate_metrics fields, as kwsc.validate.Validator.raw gives them
    stack_bytes: int  # stack used below the component's frame (validator and frontend calls), bytes
    memory_bytes: int  # kwsc_validate_memory_bytes of the config on the device


def run_validator(
    firmware: FirmwareBuild, pcm: np.ndarray, config: ValidateConfig | None = None, chunk_samples: int = 320
) -> DeviceValidation:
    """The device validator's metrics for ``pcm`` (fed in chunks of ``chunk_samples``), its stack
    use and memory. The device runs the default frontend and holds VALIDATE_MAX_FRAMES blocks."""
    c = _validate_c_config(config)
    if c.max_frames > VALIDATE_MAX_FRAMES:
        raise FirmwareError(
            f"the device validator holds at most {VALIDATE_MAX_FRAMES} blocks "
            f"({VALIDATE_MAX_FRAMES * c.hop_samples / 16000:g} s); this config needs {c.max_frames} "
            "(lower max_duration_s)"
        )
    out = run(firmware, "validate", validate_job(pcm, config, chunk_samples))
    fields = _c_fields("kwsc_validate_metrics")
    layout = "<" + "".join(fmt for _, fmt in fields) + "II"
    if len(out) != struct.calcsize(layout):
        raise FirmwareError(
            f"the validate component wrote {len(out)} bytes, expected {struct.calcsize(layout)}: "
            "firmware_sim/fw_validate.c and kwsc_validate_metrics disagree"
        )
    *values, stack_bytes, memory_bytes = struct.unpack(layout, out)
    metrics = {name: int(value) for (name, _), value in zip(fields, values, strict=True)}
    return DeviceValidation(metrics, stack_bytes, memory_bytes)


def run_validate(
    firmware: FirmwareBuild, pcm: np.ndarray, config: ValidateConfig | None = None, chunk_samples: int = 320
) -> dict[str, int]:
    """The device validator's C metrics for ``pcm``: the same keys and integers as
    ``kwsc.validate.Validator(config).raw(pcm)`` gives on the host."""
    return run_validator(firmware, pcm, config, chunk_samples).metrics


def dtw_job(
    sequences: list[np.ndarray],
    first: int = DTW_FIRST,
    dims: int = DTW_DIMS,
    band: int = 50,
    ratio: float = 2.0,
    min_distance: float = 12.0,
) -> bytes:
    """The job file for the "dtw" component (layout: fw_validate.c): 1..16 int16 sequences of
    equal row width (frames, stride), e.g. the frontend's Q6 cepstra."""
    seqs = [np.ascontiguousarray(s, dtype=np.int16) for s in sequences]
    if not 1 <= len(seqs) <= DTW_MAX_TAKES:
        raise ValueError(f"dtw needs 1..{DTW_MAX_TAKES} sequences, got {len(seqs)}")
    if any(s.ndim != 2 or s.shape[1] != seqs[0].shape[1] for s in seqs):
        raise ValueError("dtw sequences must be 2-D (frames, stride) with the same stride")
    if any(s.shape[0] > 0xFFFF for s in seqs) or not 0 <= round(ratio * 256) <= 0xFFFF:
        raise ValueError("dtw sequences must have < 65536 frames and ratio must be in [0, 256)")
    if min(first, dims, band) < 0 or max(first, dims) > 0xFFFF:
        raise ValueError("dtw first, dims and band must be non-negative 16-bit values")
    stride = seqs[0].shape[1]
    min_distance_q8 = round(min_distance * 256 * 2**CEPS_Q)  # log2 units -> Q8 of Q6 cepstra
    parts = [b"KWD1", struct.pack("<5IiI", stride, first, dims, band, round(ratio * 256), min_distance_q8, len(seqs))]
    for s in seqs:
        parts += [struct.pack("<I", s.shape[0]), _pad4(s.astype("<i2").tobytes())]
    return b"".join(parts)


@dataclass(frozen=True)
class DeviceDtw:
    """What the firmware's DTW produced: raw Q8 distances (INT32_MAX = no path in the band)."""

    distances: np.ndarray  # int32 (n, n): kwsc_dtw_distance of sequence i against sequence j
    nearest_q8: list[int] | None  # kwsc_enroll_consistency's nearest distances (None below 3 sequences)
    outliers: int | None  # its outlier bit mask
    stack_bytes: int


def run_dtw(
    firmware: FirmwareBuild,
    sequences: list[np.ndarray],
    first: int = DTW_FIRST,
    dims: int = DTW_DIMS,
    band: int = 50,
    ratio: float = 2.0,
    min_distance: float = 12.0,
) -> DeviceDtw:
    """Every pairwise kwsc_dtw_distance between ``sequences`` on the device, and (with three or
    more) kwsc_enroll_consistency's nearest distances and outliers, as kwsc.validate.check_enrollment
    computes them on the host."""
    if band > DTW_MAX_BAND:
        raise FirmwareError(f"the device dtw scratch holds a band of at most {DTW_MAX_BAND} frames, got {band}")
    job = dtw_job(sequences, first, dims, band, ratio, min_distance)
    if struct.unpack_from("<I", job, 4)[0] > DTW_MAX_STRIDE:
        raise FirmwareError(f"the device dtw takes rows of at most {DTW_MAX_STRIDE} values")
    out = run(firmware, "dtw", job)
    n = len(sequences)
    expected = 4 * (1 + n * n + 1 + n + 2)
    if len(out) != expected or struct.unpack_from("<I", out, 0)[0] != n:
        raise FirmwareError(f"the dtw component wrote {len(out)} bytes, expected {expected}")
    distances = np.frombuffer(out, "<i4", n * n, 4).reshape(n, n).astype(np.int32)
    offset = 4 + 4 * n * n
    ran = struct.unpack_from("<I", out, offset)[0]
    nearest = [int(v) for v in struct.unpack_from(f"<{n}i", out, offset + 4)]
    outliers, stack_bytes = struct.unpack_from("<II", out, offset + 4 + 4 * n)
    return DeviceDtw(distances, nearest if ran else None, outliers if ran else None, stack_bytes)


NN_MAGIC = b"KWN1"


def nn_job(windows: np.ndarray) -> bytes:
    """The job file for the "nn" component (layout: fw_nn.c): int8 windows (n, frames, coeffs)."""
    windows = np.ascontiguousarray(windows)
    if windows.dtype != np.int8 or windows.ndim < 2:
        raise ValueError(f"windows must be int8 (n, ...), got {windows.dtype} {windows.shape}")
    return NN_MAGIC + struct.pack("<I", len(windows)) + b"".join(_pad4(w.tobytes()) for w in windows)


@dataclass(frozen=True)
class DeviceInference:
    """What the firmware's model runtime produced for one job."""

    outputs: np.ndarray  # int8 (windows, classes)
    instructions_per_inference: float  # from SysTick under -icount (40 instructions a tick)
    stack_bytes: int  # stack used below the component's frame, bytes
    arena_bytes: int  # the exported model's arena


def run_nn(firmware: FirmwareBuild, windows: np.ndarray, timeout_s: float = 600.0) -> DeviceInference:
    """The device model's int8 outputs for int8 windows, and its cost (firmware built with a model)."""
    out = run(firmware, "nn", nn_job(windows), timeout_s=timeout_s)
    count, classes = struct.unpack_from("<II", out, 0)
    stride = (classes + 3) & ~3
    rows = np.frombuffer(out, np.int8, count * stride, 8).reshape(count, stride)[:, :classes]
    ticks, stack_bytes, arena_bytes = struct.unpack_from("<III", out, 8 + count * stride)
    per_inference = ticks * INSTRUCTIONS_PER_TICK / count if count else 0.0
    return DeviceInference(rows.copy(), per_inference, stack_bytes, arena_bytes)


DETECT_MAGIC = b"KWT2"
#: Records the "detect" component holds (fw_detect.c): 4,096 inferences, 5.5 min at 80 ms.
DETECT_MAX_RECORDS = 4096


def detect_job(pcm: np.ndarray, detector: Detector, chunk_samples: int = 320) -> bytes:
    """The job file for the "detect" component (layout: fw_detect.c), for ``detector``'s config
    and quantisation (its model must be the one compiled into the firmware)."""
    samples = to_int16(pcm)
    if chunk_samples < 1:
        raise ValueError("chunk_samples must be >= 1")
    if detector.frontend_config != FrontendConfig():
        raise FirmwareError("the firmware's detector runs the default frontend config")
    quant = detector.quant
    fields = detector.c_config_fields()
    return b"".join(
        [
            DETECT_MAGIC,
            struct.pack("<I6I", chunk_samples, *fields),
            struct.pack("<Ii", quant.offset_q6.size, quant.zero_point),
            quant.offset_q6.astype("<i4").tobytes(),
            quant.scale_q16.astype("<i4").tobytes(),
            struct.pack("<I", samples.size),
            _pad4(samples.astype("<i2").tobytes()),
        ]
    )


@dataclass(frozen=True)
class DeviceDetection:
    """What the firmware's detector produced for one job."""

    records: np.ndarray  # kwsc.detector.RECORD_DTYPE, one per inference
    frames: int  # frames the device's frontend produced
    instructions: float  # over all kwsc_detect_push calls (frontend + model + detector)
    stack_bytes: int
    memory_bytes: int  # kwsc_detect_memory_bytes: detector + frontend + model arena

    @property
    def instructions_per_second(self) -> float:
        """Instructions per second of audio at the default 20 ms hop."""
        return self.instructions / (self.frames * 0.02) if self.frames else 0.0


def run_detect(
    firmware: FirmwareBuild, pcm: np.ndarray, detector: Detector, chunk_samples: int = 320, timeout_s: float = 600.0
) -> DeviceDetection:
    """The device detector's records for ``pcm`` (firmware built with ``detector``'s model)."""
    from kwsc.detector import RECORD_DTYPE

    out = run(firmware, "detect", detect_job(pcm, detector, chunk_samples), timeout_s=timeout_s)
    (count,) = struct.unpack_from("<I", out, 0)
    records = np.frombuffer(out, RECORD_DTYPE, count, 4).copy()
    frames, ticks, stack_bytes, memory_bytes = struct.unpack_from("<IIII", out, 4 + count * RECORD_DTYPE.itemsize)
    return DeviceDetection(records, frames, ticks * INSTRUCTIONS_PER_TICK, stack_bytes, memory_bytes)
