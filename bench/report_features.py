"""Throughput of augmentation + features (C frontend), local process pool vs Dask, 1 and 2 workers,
and the projected cost at multilingual-corpus scale.

Usage: python bench/report_features.py [--clips 300] [--variants 2] [--json OUT.json]

A Speech-Commands-layout corpus of one-second clips is generated (kwsc.signals) and ingested
once; then, per configuration, the whole build runs again with ingest cached and the
augmentation and feature caches emptied (augmented audio and feature windows are recomputed;
the near-duplicate fingerprints are too). A "clip" is a source clip or a variant: each goes
through the C frontend once. The projection scales the measured rates to MSWC's 23.4 million
one-second clips: wall hours at the best rate here, core-hours from the one-worker rate.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from kwsc.build import build
from kwsc.config import load_project
from kwsc.executor import Executor
from kwsc.store import Store
from report_build import make_corpus  # bench/ is on the path when this script runs

MSWC_CLIPS = 23_400_000


def make_project(root: Path, clips: int, variants: int) -> Path:
    """report_build's corpus plus noise clips (the augmentation's noise pool), with ``variants``
    augmented variants per corpus clip (none when 0)."""
    project = make_corpus(root, clips)
    text = project.read_text() + '[sources.noise]\ntype = "noise"\nwhite = 10\npink = 10\nbrown = 10\n'
    if variants:
        text += f"[augment]\nvariants = {{ real = {variants} }}\n"
    project.write_text(text)
    return project


def main() -> None:
    """Time the augmentation + feature stages per executor and worker count."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=300)
    parser.add_argument("--variants", type=int, default=2, help="augmented variants per clip (0: none)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kwsc-bench-") as tmp:
        project = make_project(Path(tmp), args.clips, args.variants)
        config = load_project(project)
        store = Store(Path(tmp) / "store")
        ingest_start = time.perf_counter()
        first = build(config, store, workers=2, progress=False)
        warm = time.perf_counter() - ingest_start
        for backend in ("local", "dask"):
            for workers in (1, 2):
                for stage in ("features", "augmented"):
                    shutil.rmtree(store.root / "cache" / stage, ignore_errors=True)
                shutil.rmtree(store.root / "datasets", ignore_errors=True)
                with Executor(backend, workers) as runner:
                    start = time.perf_counter()
                    result = build(config, store, progress=False, executor=runner)
                    seconds = time.perf_counter() - start
                clips = result.counts["accepted"] + result.counts["augmented"]
                rows.append({"executor": backend, "workers": workers, "clips": clips, "seconds": seconds,
                             "clips_per_s": clips / seconds})  # fmt: skip
        assert first.version_id == result.version_id
    print(f"cold build with ingest (2 workers): {warm:.1f} s for {args.clips} inputs\n")
    print("| executor | workers | clips (+ variants) | seconds | clips/s |")
    print("|---|--:|--:|--:|--:|")
    for row in rows:
        print(f"| {row['executor']} | {row['workers']} | {row['clips']} | {row['seconds']:.2f} | "
              f"{row['clips_per_s']:.0f} |")  # fmt: skip
    best = max(row["clips_per_s"] for row in rows)
    single = max(row["clips_per_s"] for row in rows if row["workers"] == 1)
    hours, core_hours = MSWC_CLIPS / best / 3600, MSWC_CLIPS / single / 3600
    print(f"\nprojected for {MSWC_CLIPS:,} one-second clips: {hours:.0f} h at the best rate here ({best:.0f} clips/s, "
          f"2 cores); {core_hours:.0f} core-hours at the one-worker rate ({single:.0f} clips/s), e.g. "
          f"{core_hours / 64:.1f} h on 64 cores if it scales linearly.")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
