"""Cortex-M4 cost and footprint of the frontend, measured under QEMU (mps2-an386).

Usage: python bench/report_firmware.py [--seconds 4] [--json OUT.json]

Prints instructions per frame (total and per stage) and per second of audio, flash and RAM per
component, and the comparison points from the issue. QEMU counts instructions, not cycles: with
`-icount shift=0` its SysTick ticks once per 40 executed instructions; the firmware sums ticks
over every frame of the clip, so the average is stable and identical from run to run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kwsc import firmware, footprint
from kwsc.config import BudgetConfig

#: Comparison points from the firmware issue: (instructions per frame, frame hop in ms), same counting.
REFERENCE_POINTS = {
    "CMSIS-DSP arm_mfcc_q15 (512 FFT, 40 mel, 13 MFCC), at a 20 ms hop": (73_500, 20),
    "TFLite Micro microfrontend, per 10 ms frame": (89_000, 10),
}


def main() -> None:
    """Measure and print; optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the measured clip (>= 2 s: 100 frames)")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    args = parser.parse_args()

    build = firmware.build()
    components = footprint.measure(build, seconds=args.seconds)
    checks = footprint.check_budgets(components, BudgetConfig())
    frontend = components["frontend"]
    print(f"firmware {build.elf} ({build.float_abi}-float, -O2 -fno-schedule-insns, arm-none-eabi-gcc)\n")
    print(footprint.format_table(components, checks))
    print("\n| frontend stage | instructions / frame | share |")
    print("|---|---:|---:|")
    total = frontend.instructions_per_frame or 1.0
    for stage, value in frontend.stages.items():
        print(f"| {stage} | {value:,.0f} | {100 * value / total:.0f}% |")
    print(f"| **frame (kwsc_frontend_push: the stages above but quant, plus buffering)** | **{total:,.0f}** | |")
    print(f"\nper second of audio: {frontend.instructions_per_second / 1e6:.2f} M instructions "
          f"({frontend.instructions_per_second / 1e6:.1f} MHz at one instruction per cycle)")  # fmt: skip
    for name, (value, hop_ms) in REFERENCE_POINTS.items():
        per_second = value * 1000 / hop_ms
        ratio = per_second / frontend.instructions_per_second
        print(f"- {name}: {value:,} per frame, {per_second / 1e6:.2f} M per second of audio ({ratio:.2f}x ours)")
    if args.json:
        document = {name: c.to_dict() for name, c in components.items()}
        document["reference_points"] = {k: {"per_frame": v, "hop_ms": h} for k, (v, h) in REFERENCE_POINTS.items()}
        args.json.write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
