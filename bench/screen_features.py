"""Window-level screen of model input features: which representation is worth building?

Usage: python bench/screen_features.py CONFIG VERSION [--store DIR] [--variants cepstra,log_mel,pcen,cmn]
       [--seeds 0,1] [--epochs 6] [--real DIR --real-glob '7_*.wav'] [--stream-fa-per-hour 0.5,5,20]
       [--stream-hours H] [--json OUT.json]

The JSON record names the dataset version and code version the numbers came from.

Before a feature goes into the C frontend and the detector (same code on the device), screen it
here on a dataset version's own windows: the same clips, placement and background bed as its
int8 windows. Each variant is standardised per channel on the training split and quantised to
int8 like the dataset's features (+-4 standard deviations onto +-128), then the project's model
(``[model]``; two classes: any keyword against the rest) gets a plain fit: no mining, no
restarts, no threshold from a stream. Per split (test, crossvoice) the score is the keyword
windows' recall at the scores that pass 0.1 % and 1 % of that split's negative windows. With
``--real``, recordings of the keyword by real people (one utterance a file, any rate; e.g. FSDD's
``7_*.wav`` for the digits example, kept as a test set: screen with it, never train on it) get one
window each, placed as a keyword window is (ending ``end_margin_s`` after the speech the
validator finds, on a bed of the test split's noise), and are scored against the test split's
negatives. The screen ranks ideas roughly; `kwsc train` and `kwsc eval` decide.

With ``--stream-fa-per-hour`` (e.g. 0.5,5,20), the validation split's negative clips also run as
one continuous stream, as `kwsc eval` streams them: a window every ``[detect] stride_frames``
at every alignment, the probabilities averaged over ``smooth_inferences``, detections
``refractory_s`` apart. The score threshold that keeps that stream at each rate given is
applied to the keyword windows of every scored split (key ``stream``: recall per split and rate).
At 0.5 FA/h that is the pipeline's operating point, about a hundred times stricter than 0.1 %
of the negative windows. Scores stay float: the detector's Q8 would tie a plain fit (no
hard-negative mining) at its top scores. The keyword windows are scored one each, unsmoothed.

Variants:
  cepstra  the dataset's int8 windows (the C frontend's MFCC, as the model is trained on)
  log_mel  the C frontend's log2 mel energies per frame (Q16, all num_mel channels)
  pcen     per-channel energy normalisation (Wang et al. 2017) of those energies, float64
  cmn      the cepstra minus each window's mean per coefficient
  cmn_c1   the same for c1 and up; c0 (the level) kept as it is
  rel_c0   c0 minus its window's mean; c1 and up kept (the full pipeline's ``relative_c0``, in float)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from kwsc import build as build_stage
from kwsc import features as feature_stage
from kwsc.config import ProjectConfig, load_project
from kwsc.executor import map_items
from kwsc.frontend import LOG_MEL_Q, Frontend, QuantParams
from kwsc.lineage import code_version
from kwsc.sources import NOISE, seed_from
from kwsc.store import Store

VARIANTS = ("cepstra", "log_mel", "pcen", "cmn", "cmn_c1", "rel_c0")
#: Fractions of a split's negative windows let through at the scored operating points.
PASS_RATES = (0.001, 0.01)
SCORED_SPLITS = ("test", "crossvoice", "real")
#: The split of ``--real`` windows, scored against the negatives of:
REAL_SPLIT, REAL_NEGATIVES = "real", "test"
#: The windows of the validation split's negative stream (``--stream-fa-per-hour``): they set the
#: stream operating point and are neither trained on nor scored as a split.
STREAM_SPLIT, STREAM_LABEL = "stream", "_stream"


@dataclass
class Stream:
    """The validation negative stream's windows: where they end (frame index) and the detector's
    rule that `kwsc eval` applies to them."""

    last_frames: np.ndarray  # int64 (windows,)
    seconds: float
    smooth_inferences: int
    refractory_frames: int
    fa_per_hour: tuple[float, ...]


def stream_windows(config: ProjectConfig, store: Store, version: str, window_frames: int, hours: float | None,
                   with_log_mel: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, float]:  # fmt: skip
    """int8 model windows (and, ``with_log_mel``, the frontend's log-mel windows) of the
    validation split's negative clips streamed one after another as `kwsc eval` streams them (at
    most ``hours``), one window every ``[detect] stride_frames``; their last frames; the seconds
    streamed."""
    from kwsc.evaluate import negative_rows, stream_chunks

    negatives = negative_rows(store.manifest(version), "validation", config.labels)
    rate = config.frontend.sample_rate_hz
    pcm = np.concatenate([chunk for _, chunk in stream_chunks(store.root, negatives, rate, hours)])
    frontend = Frontend(config.frontend)
    ceps = frontend.process(pcm)
    starts = np.arange(0, ceps.shape[0] - window_frames + 1, config.detect.stride_frames)
    index = starts[:, None] + np.arange(window_frames)
    normalization = store.lineage(version)["features"]["normalization"]
    quant = QuantParams.from_dict(normalization["quant"])
    if normalization.get("relative_c0", False):  # c0 relative to each window: per window, by the C rule
        windows = np.stack([feature_stage.quantize_window(frontend, ceps[a : a + window_frames], quant, True)
                            for a in starts])  # fmt: skip
    else:
        windows = frontend.quantize(ceps, quant)[index]
    log_mel = frontend.process_log_mel(pcm)[index] if with_log_mel else None
    return windows, log_mel, starts + window_frames - 1, pcm.size / rate


def stream_point(model: Any, x: np.ndarray, splits: np.ndarray, stream: Stream,
                 keyword_scores: dict[str, np.ndarray]) -> dict[str, Any]:  # fmt: skip
    """The stream operating points: per rate in ``stream.fa_per_hour``, the lowest score
    threshold that keeps the validation stream at that rate under the detector's rule, and each
    split's keyword recall (%) there (``keyword_scores``: the keyword windows' probabilities per
    split). Scores stay float (the device's Q8 would tie a plain fit's top scores at 255)."""
    from kwsc.evaluate import detections

    chosen = np.flatnonzero(splits == STREAM_SPLIT)
    probs = np.concatenate([model.predict(x[part].astype(np.float32) / 32.0, batch_size=1024, verbose=0)[:, 1]
                            for part in np.array_split(chosen, max(1, chosen.size // 50_000))])  # fmt: skip
    total = np.cumsum(np.concatenate([[0.0], probs.astype(np.float64)]))
    count = np.minimum(np.arange(1, probs.size + 1), stream.smooth_inferences)
    smoothed = (total[1:] - total[np.arange(1, probs.size + 1) - count]) / count  # the detector's moving average
    candidates = np.unique(smoothed)
    hours = stream.seconds / 3600.0

    def fires(threshold: float) -> int:
        return int(detections(stream.last_frames, smoothed, threshold, stream.refractory_frames).size)

    points = []
    for rate in stream.fa_per_hour:
        allowed = int(np.floor(rate * hours))
        low, high = 0, candidates.size  # the lowest candidate index that fires at most `allowed` times
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if fires(float(candidates[middle])) <= allowed else (middle + 1, high)
        threshold = float(candidates[low]) if low < candidates.size else float(np.nextafter(candidates[-1], 2.0))
        recall = {name: round(100.0 * float(np.mean(p >= threshold)), 1) for name, p in keyword_scores.items()}
        points.append({"fa_per_hour": rate, "threshold": threshold, "recall": recall})
    return {"hours": round(hours, 3), "points": points}


def pcen(log_mel_q16: np.ndarray, smooth: float = 0.05, alpha: float = 0.98, delta: float = 2.0,
         root: float = 0.5, eps: float = 1e-6) -> np.ndarray:  # fmt: skip
    """PCEN of log2 Q16 mel energies (windows, frames, channels): E / (eps + M)^alpha with M a
    first-order smoother of E per channel (coefficient ``smooth`` a frame; 0.05 at a 20 ms hop is a
    time constant of about 0.4 s; M starts at the window's first frame), then (. + delta)^root -
    delta^root."""
    energy = np.exp2(log_mel_q16.astype(np.float64) / 2**LOG_MEL_Q)
    smoothed = np.empty_like(energy)
    smoothed[:, 0] = energy[:, 0]
    for t in range(1, energy.shape[1]):
        smoothed[:, t] = (1.0 - smooth) * smoothed[:, t - 1] + smooth * energy[:, t]
    return (energy / (eps + smoothed) ** alpha + delta) ** root - delta**root


def window_mean_removed(windows: np.ndarray, channels: slice = slice(None)) -> np.ndarray:
    """Each window (windows, frames, channels) minus its own mean per channel, float64; only the
    ``channels`` chosen (the others as they are)."""
    values = windows.astype(np.float64)
    values[..., channels] -= values[..., channels].mean(axis=1, keepdims=True)
    return values


def to_int8(values: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Per-channel standardisation learned on the windows where ``train`` is set, +-4 standard
    deviations onto int8 (round to nearest, saturate): the dataset's quantisation rule."""
    frames = values[train].reshape(-1, values.shape[-1])
    mean, std = frames.mean(axis=0), np.maximum(frames.std(axis=0), 1e-9)
    return np.clip(np.round((values - mean) / (4.0 * std) * 128.0), -128, 127).astype(np.int8)


def recall_at_pass_rates(scores: np.ndarray, is_keyword: np.ndarray) -> dict[str, float]:
    """Keyword recall (%) at the score threshold that lets ``PASS_RATES`` of the negatives through
    (a window counts when its score is above the threshold)."""
    negatives, positives = scores[~is_keyword], scores[is_keyword]
    out = {}
    for rate in PASS_RATES:
        threshold = np.quantile(negatives, 1.0 - rate)
        out[f"recall_at_{rate:g}"] = round(100.0 * float(np.mean(positives > threshold)), 1)
    return out


def fit_and_score(config: ProjectConfig, x8: np.ndarray, is_keyword: np.ndarray, splits: np.ndarray, seed: int,
                  epochs: int, stream: Stream | None = None) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Fit the project's model on the train windows (int8 / 32, as kwsc trains) and score the
    splits in ``SCORED_SPLITS`` that have keyword and negative windows; with ``stream``, also the
    stream operating point (:func:`stream_point`)."""
    import tensorflow as tf

    from kwsc.train import build_model

    tf.keras.utils.set_random_seed(seed)
    train = splits == "train"
    model = build_model(config.model, x8.shape[1:], 2)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(x8[train].astype(np.float32) / 32.0, is_keyword[train].astype(np.int32), batch_size=128,
              epochs=epochs, shuffle=True, verbose=0)  # fmt: skip
    result: dict[str, dict[str, Any]] = {}
    keyword_scores = {}
    for name in SCORED_SPLITS:
        chosen = splits == name
        if name == REAL_SPLIT:  # real keyword windows against the test split's negatives
            chosen = chosen | ((splits == REAL_NEGATIVES) & ~is_keyword)
        if not (is_keyword[chosen].any() and (~is_keyword[chosen]).any()):
            continue
        scores = model.predict(x8[chosen].astype(np.float32) / 32.0, batch_size=512, verbose=0)[:, 1]
        keyword_scores[name] = scores[is_keyword[chosen]]
        result[name] = {**recall_at_pass_rates(scores, is_keyword[chosen]),
                        "keyword_windows": int(is_keyword[chosen].sum()), "windows": int(chosen.sum())}  # fmt: skip
    if stream is not None:
        result[STREAM_SPLIT] = stream_point(model, x8, splits, stream, keyword_scores)
    return result


def dataset_windows(store: Store, version: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The version's int8 windows, their labels, their clips' splits and the window ids."""
    folder = store.resolve(version)
    parts, labels, ids = [], [], []
    for features, names, window_ids in feature_stage.iter_windows(folder):
        parts.append(features)
        labels.extend(str(name) for name in names)
        ids.extend(window_ids)
    split_of = {row["id"]: row["split"] for row in store.manifest(version)}
    splits = np.array([split_of[i.split("#")[0]] for i in ids])
    return np.concatenate(parts), np.array(labels), splits, ids


def real_windows(config: ProjectConfig, store: Store, version: str, paths: list[Path]) -> list[np.ndarray]:
    """One int16 keyword window per recording in ``paths`` (resampled to the frontend's rate),
    placed by :func:`kwsc.features.window_audio` as a training keyword window is but without
    jitter (with the default anchor: ending ``end_margin_s`` after the speech span the validator
    finds, or the whole file when it finds none), on a bed of one of the test split's noise clips
    at an SNR drawn from ``context_snr_db`` (both picked by a seed from the file name)."""
    from kwsc.validate import load_audio, validate_array

    rate = config.frontend.sample_rate_hz
    features = replace(config.features, jitter_s=0.0)  # a test window, placed the same way every time
    rows = store.manifest(version)
    noise = sorted(r["sha256"] for r in rows if r["status"] == "accepted" and r["label"] == NOISE
                   and r["split"] == REAL_NEGATIVES)  # fmt: skip
    windows = []
    for path in paths:
        pcm = load_audio(path, rate, resample=True, downmix=True)
        check = validate_array(pcm)
        span = check.speech_span_s(pcm.size / rate)
        bed, snr_db = None, 0.0
        if noise and features.context == "background":
            rng = np.random.default_rng(seed_from("screen.real", path.name))
            bed, snr_db = noise[int(rng.integers(len(noise)))], float(rng.uniform(*features.context_snr_db))
        job = feature_stage.WindowJob(path.name, "", True, *span, 0.0, str(store.root), config.frontend, features,
                                      bed, snr_db)  # fmt: skip
        windows.extend(feature_stage.window_audio(job, pcm))
    return windows


def log_mel_by_window(config: ProjectConfig, store: Store, version: str, workers: int) -> dict[str, np.ndarray]:
    """Log-mel windows of every accepted clip and variant of the version, keyed by window id."""
    rows = [r for r in store.manifest(version) if r["status"] in ("accepted", "augmented")]
    jobs = build_stage.window_jobs(config, store, rows)
    per_clip = map_items(feature_stage.window_log_mel, jobs, workers, "log-mel windows", None)
    return {f"{job.clip_id}#w{k}": window for job, windows in zip(jobs, per_clip, strict=True)
            for k, window in enumerate(windows)}  # fmt: skip


def variant_windows(name: str, cepstra8: np.ndarray, log_mel: np.ndarray | None, train: np.ndarray) -> np.ndarray:
    """int8 model windows of a variant (``log_mel``: the log-mel windows, for the variants that need them)."""
    if name == "cepstra":
        return cepstra8
    if name == "cmn":
        return to_int8(window_mean_removed(cepstra8), train)
    if name == "cmn_c1":
        return to_int8(window_mean_removed(cepstra8, slice(1, None)), train)
    if name == "rel_c0":
        return to_int8(window_mean_removed(cepstra8, slice(0, 1)), train)
    if log_mel is None:
        raise ValueError(f"variant {name!r} needs the log-mel windows")
    if name == "log_mel":
        return to_int8(log_mel.astype(np.float64), train)
    if name == "pcen":
        return to_int8(pcen(log_mel), train)
    raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")


def screen(config: ProjectConfig, store: Store, version: str, variants: list[str], seeds: list[int], epochs: int,
           workers: int = 1, real: list[np.ndarray] | None = None, stream_fa_per_hour: tuple[float, ...] = (),
           stream_hours: float | None = None) -> dict[str, dict[int, dict]]:  # fmt: skip
    """Results per variant and seed (see the module doc); ``real``: int16 keyword windows of real
    speakers (:func:`real_windows`), scored as split "real"; ``stream_fa_per_hour``: also the
    stream operating points at these rates, on at most ``stream_hours`` of the validation
    negative stream."""
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    cepstra8, labels, splits, ids = dataset_windows(store, version)
    real = real or []
    frontend = Frontend(config.frontend)
    if real:  # the real windows' int8 cepstra by the dataset's own quantisation, as the device gets them
        normalization = store.lineage(version)["features"]["normalization"]
        quant = QuantParams.from_dict(normalization["quant"])
        relative_c0 = bool(normalization.get("relative_c0", False))
        extra = [feature_stage.quantize_window(frontend, frontend.process(w), quant, relative_c0) for w in real]
        cepstra8 = np.concatenate([cepstra8, np.stack(extra)])
        labels = np.concatenate([labels, np.full(len(real), config.labels[0])])
        splits = np.concatenate([splits, np.full(len(real), REAL_SPLIT)])
    needs_log_mel = bool({"log_mel", "pcen"} & set(variants))
    log_mel = None
    if needs_log_mel:  # before TensorFlow starts threads: the workers are forked
        by_id = log_mel_by_window(config, store, version, workers)
        log_mel = np.stack([by_id.pop(i) for i in ids] + [frontend.process_log_mel(w) for w in real])
    stream = None
    if stream_fa_per_hour:
        windows, stream_log_mel, last_frames, seconds = stream_windows(config, store, version, cepstra8.shape[1],
                                                                       stream_hours, needs_log_mel)  # fmt: skip
        cepstra8 = np.concatenate([cepstra8, windows])
        labels = np.concatenate([labels, np.full(len(windows), STREAM_LABEL)])
        splits = np.concatenate([splits, np.full(len(windows), STREAM_SPLIT)])
        if log_mel is not None and stream_log_mel is not None:
            log_mel = np.concatenate([log_mel, stream_log_mel])
        refractory = config.detect.refractory_frames(config.frontend)
        stream = Stream(last_frames, seconds, config.detect.smooth_inferences, refractory, stream_fa_per_hour)
    is_keyword = np.isin(labels, list(config.labels))
    train = splits == "train"
    results: dict[str, dict[int, dict]] = {}
    for name in variants:
        x8 = variant_windows(name, cepstra8, log_mel, train)
        results[name] = {seed: fit_and_score(config, x8, is_keyword, splits, seed, epochs, stream) for seed in seeds}
        print(f"{name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    return results


def markdown(results: dict[str, dict[int, dict]]) -> str:
    """One row per variant and seed: recall at each pass rate per scored split, then (when
    measured) at the stream operating point."""
    columns = [(split, f"recall_at_{rate:g}") for split in SCORED_SPLITS for rate in PASS_RATES]
    head = " | ".join(f"{split} recall at {float(key.rsplit('_', 1)[1]) * 100:g} % negatives" for split, key in columns)
    rates = sorted({p["fa_per_hour"] for by_seed in results.values() for r in by_seed.values()
                    for p in r.get(STREAM_SPLIT, {}).get("points", [])})  # fmt: skip
    stream_columns = [(split, rate) for split in SCORED_SPLITS for rate in rates]
    head += "".join(f" | {split} recall at {rate:g} FA/h on the stream" for split, rate in stream_columns)
    lines = [f"| variant | seed | {head} |", "|---|---:|" + "---:|" * (len(columns) + len(stream_columns))]
    for name, by_seed in results.items():
        for seed, result in by_seed.items():
            cells = [f"{result[s][k]:.1f} %" if s in result else "n/a" for s, k in columns]
            points = {p["fa_per_hour"]: p["recall"] for p in result.get(STREAM_SPLIT, {}).get("points", [])}
            cells += [f"{points[r][s]:.1f} %" if s in points.get(r, {}) else "n/a" for s, r in stream_columns]
            lines.append(f"| {name} | {seed} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Screen and print a Markdown table; optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", type=Path, help="the project TOML the version was built from")
    parser.add_argument("version", help="dataset version id (or a unique prefix)")
    parser.add_argument("--store", type=Path, default=Path(os.environ.get("KWSC_STORE", "kwsc-store")))
    parser.add_argument("--variants", default=",".join(VARIANTS[:3]), help=f"comma-separated: {', '.join(VARIANTS)}")
    parser.add_argument("--seeds", default="0", help="comma-separated training seeds")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the log-mel windows")
    parser.add_argument("--real", type=Path, help="a folder of real recordings of the keyword (test only)")
    parser.add_argument("--real-glob", default="*.wav", help="which files of --real (e.g. '7_*.wav' in FSDD)")
    parser.add_argument("--stream-fa-per-hour", default="", help="also score at these FA/h on the validation stream "
                        "(comma-separated, e.g. 0.5,5,20)")  # fmt: skip
    parser.add_argument("--stream-hours", type=float, help="cap on the validation stream's hours (default: all)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    config, store = load_project(args.config), Store(args.store)
    rates = tuple(float(r) for r in args.stream_fa_per_hour.split(",") if r.strip())
    real = None
    if args.real:
        paths = sorted(args.real.glob(args.real_glob))
        if not paths:
            raise SystemExit(f"{args.real}: no files match {args.real_glob!r}")
        real = real_windows(config, store, args.version, paths)
    results = screen(config, store, args.version, args.variants.split(","), [int(s) for s in args.seeds.split(",")],
                     args.epochs, args.workers, real, rates, args.stream_hours)  # fmt: skip
    print(markdown(results))
    if args.json:  # with what produced the numbers
        real_record = None if real is None else {"folder": str(args.real), "glob": args.real_glob, "windows": len(real)}
        record = {"dataset_version": store.resolve(args.version).name, "config": str(args.config),
                  "code_version": code_version(), "epochs": args.epochs, "real": real_record,
                  "results": results}  # fmt: skip
        args.json.write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
