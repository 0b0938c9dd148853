"""Streaming FA/h and FRR of a trained model on kwsc's own held-out streams, with the ids that
produced them.

Usage: python bench/report_eval.py MODEL [--store DIR] [--rerun] [--json OUT.json]

MODEL is a model folder or a model id in the store (``kwsc demo`` leaves the default example's
there). The numbers come from the model's eval.json (``kwsc eval``; ``--rerun`` evaluates again):
the threshold chosen on the validation split for the target FA/h (0.5 by default), and at it,
on the test split's negative stream and keyword trials, FA/h and FRR with 95 % intervals and the
detection latency; plus the test DET curve's FRR at 0.5, 1, 5 and 10 FA/h. The record names the
dataset version and model id, the code version and the evaluation settings, so a number can
always be traced to what produced it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kwsc.evaluate import evaluate_model
from kwsc.report import operating_points
from kwsc.store import Store


def record(folder: Path) -> dict[str, object]:
    """The benchmark record of an evaluated model folder."""
    evaluation = json.loads((folder / "eval.json").read_text())
    lineage = json.loads((folder / "lineage.json").read_text())
    det = json.loads((folder / "det.json").read_text())
    return {
        "model": folder.name,
        "dataset_version": evaluation["dataset_version"],
        "code_version": lineage["code_version"],
        "model_config": lineage["model"],
        "eval_config": evaluation["config"],
        "detector": evaluation["detector"],
        "threshold": evaluation["threshold"],
        "test": evaluation["test"],
        "validation": evaluation["validation"],
        "test_operating_points": [
            {k: p[k] for k in ("target_fa_per_hour", "threshold", "fa_per_hour", "fa_per_hour_ci", "frr", "frr_ci")}
            for p in operating_points(det["test"])
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--rerun", action="store_true", help="evaluate again instead of reading eval.json")
    parser.add_argument("--json", type=Path, help="also write the record here")
    args = parser.parse_args()
    folder = Store(args.store).resolve_model(args.model)
    if args.rerun or not (folder / "eval.json").is_file():
        evaluate_model(folder)
    rec = record(folder)
    test = rec["test"]
    print(f"model {rec['model']} on dataset version {rec['dataset_version']} (code {rec['code_version']})")
    print(f"threshold {rec['threshold']:.4f}, chosen on validation for {rec['eval_config']['target_fa_per_hour']} FA/h")
    print("| split | FA/h (95 % CI) | FRR (95 % CI) | latency median / p95 |")
    print("|---|---|---|---|")
    for split in ("validation", "test"):
        r = rec[split]
        latency = "n/a"
        if r["latency_p95_s"] is not None:
            latency = f"{r['latency_median_s'] * 1e3:.0f} / {r['latency_p95_s'] * 1e3:.0f} ms"
        fa = f"{r['fa_per_hour']:.2f} [{r['fa_per_hour_ci'][0]:.2f}, {r['fa_per_hour_ci'][1]:.2f}]"
        frr = f"{100 * r['frr']:.1f} % [{100 * r['frr_ci'][0]:.1f}, {100 * r['frr_ci'][1]:.1f}]"
        print(f"| {split} | {fa} ({r['false_accepts']} in {r['negative_hours']:.2f} h) | {frr} ({r['misses']} of "
              f"{r['trials']}) | {latency} |")  # fmt: skip
    print("\ntest DET operating points:")
    for p in rec["test_operating_points"]:
        print(f"  <= {p['target_fa_per_hour']:g} FA/h: threshold {p['threshold']:.4f}, {p['fa_per_hour']:.2f} FA/h, "
              f"FRR {100 * p['frr']:.1f} %")  # fmt: skip
    if test["trials"] == 0:
        print("(no keyword trials in the test split)")
    if args.json:
        args.json.write_text(json.dumps(rec, indent=2) + "\n")


if __name__ == "__main__":
    main()
