"""Dataset-compiler throughput: clips per second through ingest + validate + dedup.

Usage: python bench/report_build.py [--clips 400] [--json OUT.json]

Generates a Speech-Commands-layout corpus of one-second clips (kwsc.signals; nothing is
downloaded), then builds it from scratch (fresh store, empty cache) with 1 and 2 worker
processes and prints clips per second for each, and the scaling. Decoding, resampling, FLAC
caching, the C validator, fingerprints and the near-duplicate search are all inside the timing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import soundfile

from kwsc import signals
from kwsc.build import build
from kwsc.config import load_project
from kwsc.store import Store


def make_corpus(root: Path, clips: int) -> Path:
    """``clips`` one-second takes in a Speech Commands tree, and a project file for it."""
    for n in range(clips):
        word = "alexa" if n % 2 == 0 else "other"
        take = signals.take(signals.word_like(0.6, -22, seed=n), 0.2, 0.2, -60, seed=n)
        path = root / "sc" / word / f"spk{n % 40:02d}_nohash_{n}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, take, 16000, subtype="PCM_16")
    project = root / "project.toml"
    project.write_text('[keyword]\nphrases = ["alexa"]\n[sources.sc]\ntype = "corpus"\nlayout = "speech_commands"\n'
                       'path = "sc"\n')  # fmt: skip
    return project


def main() -> None:
    """Build the corpus with 1 and 2 workers from an empty cache; print clips per second."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=400, help="number of one-second clips")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kwsc-bench-") as tmp:
        project = make_corpus(Path(tmp), args.clips)
        config = load_project(project)
        rows = []
        for workers in (1, 2):
            store = Store(Path(tmp) / f"store-{workers}")
            start = time.perf_counter()
            result = build(config, store, workers=workers, progress=False)
            seconds = time.perf_counter() - start
            rows.append({"workers": workers, "clips": result.counts["inputs"], "seconds": seconds,
                         "clips_per_s": result.counts["inputs"] / seconds})  # fmt: skip
    print("| worker processes | clips | seconds | clips/s | vs 1 worker |")
    print("|--:|--:|--:|--:|--:|")
    for row in rows:
        speedup = row["clips_per_s"] / rows[0]["clips_per_s"]
        print(
            f"| {row['workers']} | {row['clips']} | {row['seconds']:.2f} | {row['clips_per_s']:.0f} | {speedup:.2f}x |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
