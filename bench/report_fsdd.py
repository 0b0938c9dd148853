"""Real-speaker benchmark: a model trained on kwsc's synthetic speech, tested on real people.

Usage: python bench/report_fsdd.py MODEL FSDD_DIR [--store DIR] [--json OUT.json] [--no-record]

MODEL is a model folder or id whose keyword is a digit word ("zero" .. "nine"; ``kwsc demo
--config examples/digits.toml`` trains one). FSDD_DIR is the Free Spoken Digit Dataset (a folder
holding ``recordings/{digit}_{speaker}_{index}.wav``, 8 kHz mono, and optionally
``speakers.json``). It is read here and nowhere else: never trained on, never used as negatives,
never used to pick a threshold.

Each recording of the model's digit is resampled to 16 kHz (soxr), its speech span found by
kwsc's validator (the whole clip if it finds none), and placed in context exactly as the
evaluation places a keyword clip (``kwsc.evaluate.place_in_context``: lead and tail of
background from the model's own test-split noise at the evaluation's SNR), then streamed
through the C detector at the threshold ``kwsc eval`` chose on the synthetic validation stream.
A recording is detected when the detector fires for the keyword inside [speech start, speech
end + max_latency_s]. The false accepts per hour that threshold gives are the evaluation's,
on kwsc's synthetic test stream; FSDD holds no long negative audio.

The same trials are also scored at the thresholds the validation stream picks for 2, 5 and 20
FA/h, and at the threshold for the evaluation's target FA/h that each synthetic negative stream
would pick (validation, test, both): the spread shows how much of a real-speaker number is the
threshold's (on a 1.5 h stream one false accept more or less sets it; the example projects
now give validation and test 7-8 h each).

Reported with 95 % Clopper-Pearson intervals: FRR over all recordings and per speaker, next to
the in-distribution test FRR and the cross-voice FRR from eval.json, with the model id,
dataset version and code version; and what the validator says about the recordings (FSDD is
band-limited to 4 kHz and trimmed tight). The record (with a sha256 over the recordings used) is
also left in the model folder as ``real_speakers.json`` (unless ``--no-record``), where ``kwsc
report`` shows it in a "Real speakers" section, next to the synthetic numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from kwsc.detector import DetectConfig, Detector
from kwsc.evaluate import (
    EvalConfig,
    Trial,
    choose_threshold,
    place_in_context,
    proportion_interval,
    run_stream,
    trial_outcomes,
    usable_rows,
)
from kwsc.report import REAL_SPEAKERS_FILE
from kwsc.store import Store
from kwsc.validate import load_audio, validate_array

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
FILE_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")


def recordings(fsdd: Path, digit: int) -> list[tuple[Path, str]]:
    """(path, speaker) of every recording of ``digit``, sorted by name."""
    folder = fsdd / "recordings" if (fsdd / "recordings").is_dir() else fsdd
    found = []
    for path in sorted(folder.glob("*.wav")):
        match = FILE_NAME.match(path.name)
        if match and int(match.group(1)) == digit:
            found.append((path, match.group(2)))
    return found


#: FA/h targets on the synthetic validation stream at which the FSDD FRR is also reported.
OPERATING_FA_PER_HOUR = (0.5, 2.0, 5.0, 20.0)


def frr_entry(misses: int, trials: int) -> dict[str, Any]:
    """FRR of ``misses`` out of ``trials`` with its 95 % interval."""
    return {"trials": trials, "misses": misses, "frr": misses / trials if trials else None,
            "frr_ci": list(proportion_interval(misses, trials))}  # fmt: skip


def stream_thresholds_q8(det: dict[str, Any], evaluation: dict[str, Any], target_fa_per_hour: float) -> dict[str, int]:
    """The Q8 threshold ``kwsc eval``'s rule (:func:`kwsc.evaluate.choose_threshold`) picks for
    ``target_fa_per_hour`` on each synthetic negative stream: validation, test, and the two
    played back to back. How far it moves with the audio that picks it (on 1.5 h, at 0.5 FA/h,
    one false accept more or less decides)."""
    counts = {split: np.array([p["false_accepts"] for p in det[split]]) for split in ("validation", "test")}
    hours = {split: float(evaluation[split]["negative_hours"]) for split in counts}
    return {
        **{split: choose_threshold(counts[split], hours[split], target_fa_per_hour) for split in counts},
        "validation+test": choose_threshold(sum(counts.values()), sum(hours.values()), target_fa_per_hour),
    }


def evaluate_fsdd(folder: Path, fsdd: Path) -> dict[str, Any]:
    """The benchmark record for the model in ``folder`` (evaluated by ``kwsc eval``) on FSDD."""
    meta = json.loads((folder / "meta.json").read_text())
    evaluation = json.loads((folder / "eval.json").read_text())
    det = json.loads((folder / "det.json").read_text())
    lineage = json.loads((folder / "lineage.json").read_text())
    keywords = [str(k) for k in meta["keywords"]]
    digit_words = [k for k in keywords if k in DIGITS]
    if not digit_words:
        raise SystemExit(f"{folder}: keywords {keywords} hold no digit word ({', '.join(DIGITS)})")
    config = EvalConfig(**evaluation["config"])
    settings = {k: v for k, v in evaluation["detector"].items() if k in DetectConfig.__dataclass_fields__}
    detector = Detector.from_folder(folder, DetectConfig(**{**settings, "threshold": None}))  # meta.json's threshold
    store = Store(folder.parents[1])
    rows = usable_rows(store.manifest(evaluation["dataset_version"]), "test")
    backgrounds = [r for r in rows if r["label"] == "_noise"]
    rate = detector.frontend_config.sample_rate_hz
    per_keyword: dict[str, Any] = {}
    validator_reasons: Counter[str] = Counter()
    data_hash = hashlib.sha256()  # over the recordings used: names and bytes, in order
    for word in digit_words:
        keyword_index = detector.labels.index(word)
        files = recordings(fsdd, DIGITS.index(word))
        if not files:
            raise SystemExit(f"{fsdd}: no recordings of digit {DIGITS.index(word)} ({word})")
        trials = []
        for path, _ in files:
            data_hash.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
            pcm = load_audio(path, rate, resample=True, downmix=True)
            check = validate_array(pcm)
            validator_reasons.update(check.reasons or ("accepted",))
            span = check.speech_span_s(pcm.size / rate)
            audio, start_s, end_s = place_in_context(pcm, span, path.name, store.root, backgrounds, config, rate)
            trials.append(Trial(path.name, keyword_index, start_s, end_s, run_stream(detector, [audio])))
        # The evaluation's own rule: a detection of the keyword in [speech start, end + max latency].
        hits, latency = trial_outcomes(trials, detector.threshold_q8, detector.refractory_frames,
                                       config.max_latency_s)  # fmt: skip
        speakers = np.array([speaker for _, speaker in files])
        found = latency[hits]
        # The same trials at the thresholds the synthetic validation stream picks for other FA/h
        # targets: how the real-speaker FRR trades against false accepts.
        sweep = []
        for target in OPERATING_FA_PER_HOUR:
            q8 = stream_thresholds_q8(det, evaluation, target)["validation"]
            at = trial_outcomes(trials, q8, detector.refractory_frames, config.max_latency_s)[0]
            test = det["test"][q8]
            sweep.append({"validation_fa_per_hour": target, "threshold": q8 / 256, "synthetic_test_fa_per_hour":
                          test["fa_per_hour"], "synthetic_test_frr": test["frr"],
                          **frr_entry(int((~at).sum()), len(trials))})  # fmt: skip
        # The same trials at the threshold each synthetic stream would pick for the target FA/h.
        stability = []
        for stream, q8 in stream_thresholds_q8(det, evaluation, config.target_fa_per_hour).items():
            at = trial_outcomes(trials, q8, detector.refractory_frames, config.max_latency_s)[0]
            stability.append({"stream": stream, "threshold": q8 / 256, **frr_entry(int((~at).sum()), len(trials))})
        per_speaker = {s: frr_entry(int((~hits[speakers == s]).sum()), int((speakers == s).sum()))
                       for s in sorted(set(speakers))}  # fmt: skip
        per_keyword[word] = {
            **frr_entry(int((~hits).sum()), len(trials)),
            "per_speaker": per_speaker,
            "latency_median_s": float(np.median(found)) if found.size else None,
            "latency_p95_s": float(np.percentile(found, 95)) if found.size else None,
            "operating_points": sweep,
            "threshold_stability": stability,
        }
    speaker_info = json.loads((fsdd / "speakers.json").read_text()) if (fsdd / "speakers.json").is_file() else {}
    return {
        "benchmark": "FSDD (Free Spoken Digit Dataset)",
        "recordings_sha256": data_hash.hexdigest(),
        "model": folder.name,
        "dataset_version": evaluation["dataset_version"],
        "code_version": lineage["code_version"],
        "threshold": detector.threshold,
        "target_fa_per_hour": config.target_fa_per_hour,
        "synthetic_test": {k: evaluation["test"][k] for k in ("fa_per_hour", "fa_per_hour_ci", "frr", "frr_ci")},
        "crossvoice": {k: evaluation["crossvoice"][k] for k in ("fa_per_hour", "frr", "frr_ci")}
        if "crossvoice" in evaluation
        else None,
        "per_keyword": per_keyword,
        "fsdd_validator": dict(sorted(validator_reasons.items())),
        "speakers": speaker_info,
    }


def _pct(entry: dict[str, Any]) -> str:
    if entry["frr"] is None:
        return "n/a"
    low, high = entry["frr_ci"]
    return f"{100 * entry['frr']:.1f} % [{100 * low:.1f}, {100 * high:.1f}] ({entry['misses']} of {entry['trials']})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("fsdd", type=Path)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--json", type=Path, help="also write the record here")
    parser.add_argument("--no-record", action="store_true",
                        help=f"do not leave {REAL_SPEAKERS_FILE} in the model folder")  # fmt: skip
    args = parser.parse_args()
    folder = Store(args.store).resolve_model(args.model)
    if not (folder / "eval.json").is_file():
        raise SystemExit(f"{folder}: no eval.json; run `kwsc eval {folder}` first (it chooses the threshold)")
    rec = evaluate_fsdd(folder, args.fsdd)
    print(f"model {rec['model']} on dataset version {rec['dataset_version']} (code {rec['code_version']})")
    print(f"threshold {rec['threshold']:.4f}, chosen on synthetic validation for {rec['target_fa_per_hour']} FA/h; "
          f"synthetic test stream {rec['synthetic_test']['fa_per_hour']:.2f} FA/h")  # fmt: skip
    print("\n| keyword | synthetic test FRR | cross-voice FRR | FSDD real-speaker FRR (95 % CI) | FSDD latency p95 |")
    print("|---|---|---|---|---|")
    cross = rec["crossvoice"]
    for word, entry in rec["per_keyword"].items():
        test_frr = f"{100 * rec['synthetic_test']['frr']:.1f} %"
        cross_frr = f"{100 * cross['frr']:.1f} %" if cross else "n/a"
        p95 = "n/a" if entry["latency_p95_s"] is None else f"{entry['latency_p95_s'] * 1000:.0f} ms"
        print(f"| {word} | {test_frr} | {cross_frr} | {_pct(entry)} | {p95} |")
        print(f"\noperating points ({word}): threshold for a validation FA/h -> synthetic test FA/h, FRR; FSDD FRR")
        for point in entry["operating_points"]:
            print(f"  <= {point['validation_fa_per_hour']:g} FA/h: threshold {point['threshold']:.3f}, test "
                  f"{point['synthetic_test_fa_per_hour']:.2f} FA/h, {100 * point['synthetic_test_frr']:.1f} %; "
                  f"FSDD {_pct(point)}")  # fmt: skip
        print(f"\nthe threshold for {rec['target_fa_per_hour']:g} FA/h picked on each synthetic stream ({word}):")
        for point in entry["threshold_stability"]:
            print(f"  {point['stream']:16s} threshold {point['threshold']:.3f}: FSDD {_pct(point)}")
        print(f"\nper speaker ({word}):")
        for speaker, sub in entry["per_speaker"].items():
            accent = rec["speakers"].get(speaker, {}).get("accent", "")
            print(f"  {speaker:10s} {accent:12s} {_pct(sub)}")
    print(f"\nkwsc's validator on the FSDD recordings: {rec['fsdd_validator']}")
    text = json.dumps(rec, indent=2) + "\n"
    if args.json:
        args.json.write_text(text)
    if not args.no_record:
        (folder / REAL_SPEAKERS_FILE).write_text(text)
        print(f"\nrecorded in {folder / REAL_SPEAKERS_FILE}; `kwsc report {folder}` shows it")


if __name__ == "__main__":
    main()
