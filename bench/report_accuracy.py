"""Accuracy report: the C frontend against the float64 reference on the generated signal corpus.

Usage: python bench/report_accuracy.py [--seconds 3] [--json OUT.json]
Prints a Markdown table (the one in README.md) of SNR in dB of C cepstra vs reference cepstra:
total over all frames and coefficients, and per coefficient with the reference's mean removed
(minimum and median over the 13 coefficients), plus the largest absolute error in log2 units.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import kwsc
from kwsc import reference, signals
from kwsc.frontend import CEPS_Q


def measure(seconds: float) -> list[dict[str, float | str]]:
    """One row per corpus signal: total/per-coefficient SNR (dB) and max |error| (log2 units)."""
    frontend = kwsc.Frontend()
    rows = []
    for name, audio in signals.corpus(seconds).items():
        fixed = frontend.process(audio) / 2**CEPS_Q
        exact = reference.mfcc(audio, frontend.config)
        per = reference.coefficient_snr_db(exact, fixed)
        finite = per[np.isfinite(per)]
        rows.append(
            {
                "signal": name,
                "snr_total_db": reference.snr_db(exact, fixed),
                "snr_coef_min_db": float(finite.min()) if finite.size else float("nan"),
                "snr_coef_median_db": float(np.median(finite)) if finite.size else float("nan"),
                "max_abs_error_log2": float(np.abs(fixed - exact).max()),
            }
        )
    return rows


def _fmt(value: float) -> str:
    if np.isnan(value):
        return "n/a"
    return "exact" if np.isinf(value) else f"{value:.1f}"


def main() -> None:
    """Print the table; optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each signal in seconds")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    rows = measure(args.seconds)
    print("| signal | SNR total (dB) | SNR per coef., min (dB) | median (dB) | max abs error (log2 units) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['signal']} | {_fmt(row['snr_total_db'])} | {_fmt(row['snr_coef_min_db'])} "
            f"| {_fmt(row['snr_coef_median_db'])} | {row['max_abs_error_log2']:.4f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
