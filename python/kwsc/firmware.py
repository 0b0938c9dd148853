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

import numpy as np

from kwsc.config import FrontendConfig
from kwsc.frontend import QuantParams, to_int16

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


def _sources_digest(csrc: Path, fw: Path, float_abi: str) -> str:
    digest = hashlib.sha256(float_abi.encode())
    for path in sorted([*csrc.glob("*.[ch]"), *fw.glob("*.[ch]"), fw / "Makefile", *fw.glob("*.ld")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def default_build_root() -> Path:
    """Where builds are cached: $KWSC_CACHE/firmware, else ~/.cache/kwsc/firmware."""
    base = os.environ.get("KWSC_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kwsc")
    return Path(base) / "firmware"


def build(build_root: Path | None = None, float_abi: str = "soft", force: bool = False) -> FirmwareBuild:
    """Build the firmware if its sources changed (cached by a hash of sources and flags).

    ``float_abi`` is ``"soft"`` or ``"hard"`` (-mfpu=fpv4-sp-d16); the numerics use no floating
    point, so both give the same results.
    """
    if float_abi not in ("soft", "hard"):
        raise FirmwareError(f"float_abi must be 'soft' or 'hard', got {float_abi!r}")
    require_tools(CC, "make")
    csrc, fw = source_dirs()
    build_dir = (build_root or default_build_root()) / f"{float_abi}-{_sources_digest(csrc, fw, float_abi)}"
    elf = build_dir / "kwsc_fw.elf"
    if force and build_dir.exists():
        shutil.rmtree(build_dir)
    if not elf.is_file():
        build_dir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["make", "-s", "-C", str(fw), f"BUILD={build_dir}", f"CSRC={csrc}", f"FLOAT_ABI={float_abi}"],
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
