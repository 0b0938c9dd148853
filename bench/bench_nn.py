"""INT8 model runtime cost: Cortex-M4 instructions per inference (QEMU) and host ms per inference.

Usage: python bench/bench_nn.py [--windows 64] [--json OUT.json]

Builds every architecture of kwsc.config.ARCHITECTURES (the DS-CNN, "cnn" and "tcn"; default
width and depth, e.g. 64 filters and 4 blocks) with seeded random weights
(kwsc.train.build_model, converted to full INT8 with kwsc.train.to_int8_tflite), exports each
(kwsc.export), compiles it into the firmware (kwsc.firmware.build(model_dir=...)) and runs it
under QEMU (mps2-an386). The instruction count does not depend on the weights; outputs are
checked equal to the host runtime's (kwsc.runtime.Runtime, the same C compiled for this machine).
Host time is the best of five runs over the windows, one kwsc_nn_invoke per window.
Set KWSC_CACHE to keep firmware builds apart from other checkouts.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kwsc import firmware
from kwsc.config import ARCHITECTURES
from kwsc.export import export
from kwsc.runtime import Runtime

INPUT_SHAPE = (49, 13)


def int8_model(arch: str, windows: np.ndarray) -> bytes:
    """The default-config model of ``arch`` with seeded random weights, as full-INT8 .tflite."""
    import tensorflow as tf

    from kwsc.train import ModelConfig, build_model, to_int8_tflite

    tf.keras.utils.set_random_seed(0)
    return to_int8_tflite(build_model(ModelConfig(arch=arch), INPUT_SHAPE, 3), windows)


def host_ms(runtime: Runtime, windows: np.ndarray, repeats: int = 5) -> float:
    """Best-of-``repeats`` host milliseconds per inference."""
    runtime.run(windows[:2])  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        runtime.run(windows)
        best = min(best, time.perf_counter() - start)
    return 1e3 * best / len(windows)


def measure(arch: str, windows: np.ndarray, root: Path) -> dict[str, object]:
    """Instructions per inference on the M4, host ms per inference, MACs, device == host."""
    tflite = root / f"{arch}.tflite"
    tflite.write_bytes(int8_model(arch, windows))
    _, _, plan = export(str(tflite), root / arch)
    build = firmware.build(model_dir=root / arch)
    device = firmware.run_nn(build, windows)
    runtime = Runtime(plan)
    bit_exact = bool((device.outputs == runtime.run(windows)).all())
    macs = plan.macs()
    return {
        "arch": arch,
        "macs": macs,
        "instructions_per_inference": device.instructions_per_inference,
        "instructions_per_mac": device.instructions_per_inference / macs,
        "host_ms": host_ms(runtime, windows),
        "device_equals_host": bit_exact,
        "stack_bytes": device.stack_bytes,
        "arena_bytes": device.arena_bytes,
    }


def main() -> None:
    """Measure both architectures; print a Markdown table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=64, help="input windows per measurement")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    windows = rng.normal(0, 40, (args.windows, *INPUT_SHAPE)).clip(-128, 127).astype(np.int8)
    with tempfile.TemporaryDirectory(prefix="kwsc-bench-nn-") as tmp:
        rows = [measure(arch, windows, Path(tmp)) for arch in ARCHITECTURES]
    print("| model | MACs | M4 instructions / inference | per MAC | host ms / inference | device == host "
          "| stack (B) | arena (B) |")  # fmt: skip
    print("|---|--:|--:|--:|--:|:-:|--:|--:|")
    for row in rows:
        print(
            f"| {row['arch']} | {row['macs']:,} | {row['instructions_per_inference']:,.0f} "
            f"| {row['instructions_per_mac']:.2f} | {row['host_ms']:.3f} | {row['device_equals_host']} "
            f"| {row['stack_bytes']:,} | {row['arena_bytes']:,} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
