"""Streaming evaluation: false accepts per hour, false rejects, latency and the DET curve.

Everything runs through the streaming C detector (:mod:`kwsc.detector`), the code the device
runs, on audio from the model's dataset version:

* **Negative stream**: every non-keyword clip of a split (accepted and augmented ``_negative``
  speech and ``_noise`` clips), in id order, joined end to end into one continuous stream
  (10 ms fades at the joins, so a join is not a click). FA/h = detections / hours of stream.
* **Positive trials**: every keyword clip of the split (accepted and augmented), placed in a
  context: ``lead_s`` of background before and ``tail_s`` after, with background under the whole
  trial at ``positive_snr_db`` below the clip's speech level (a ``_noise`` clip of the same split,
  chosen by the clip's hash). Each trial is its own stream (the detector is reset). A trial is
  detected when a detection of its keyword falls in [speech start, speech end + ``max_latency_s``]
  (times are window ends); FRR = trials without one. Latency = the first such detection's time
  minus the end of the speech span.
* **Quieter talkers**: the positive trials again with each whole trial (speech and background
  alike) scaled by each of ``level_gains_db`` (a talker further away, a microphone with less
  gain), reported as FRR at the chosen threshold (``frr_by_gain_db``). A model that takes loudness
  for a cue misses quiet talkers; the negative streams are not rescaled, so this is FRR only.
* **Detection rule**: the detector's (see csrc/kwsc_detect.h): an inference detects when its
  smoothed keyword probability reaches the threshold and at least the refractory period has
  passed since the previous detection. Smoothed probabilities do not depend on the threshold, so
  one detector run per stream gives every threshold on the Q8 grid (``detections``); the
  chosen threshold is re-run through the C detector and must give the same events.
* **Threshold**: the lowest (most sensitive) Q8 threshold whose validation FA/h is at most
  ``target_fa_per_hour``; the test numbers are reported at that threshold.
* **User recordings**: a folder of the user's own long recordings with no keyword in them
  (``kwsc eval --negatives DIR``: every .wav/.flac/.ogg under it, sorted, resampled to 16 kHz
  and downmixed, joined like the split streams) is streamed the same way and reported as
  ``user_negatives``: FA/h with its interval at the chosen threshold and over the sweep. It
  never chooses the threshold.
* **Cross-voice**: when the dataset holds voices out (``[split] holdout``: whole TTS engines or
  voice families never trained or tuned on), their ``crossvoice`` split is evaluated the same
  way at the same threshold and reported apart from the in-distribution test split.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from kwsc.build import speech_span_s
from kwsc.config import ConfigError, FrontendConfig, check_keys
from kwsc.detector import DetectConfig, Detector
from kwsc.features import gain_below, on_bed, rms, speech_part
from kwsc.ingest import load_pcm
from kwsc.split import HOLDOUT_SPLIT

#: Statuses of manifest rows whose audio is part of a split's data.
USABLE = ("accepted", "augmented")
#: Samples of the fade at each join of the negative stream (10 ms at 16 kHz).
JOIN_FADE_SAMPLES = 160
#: Confidence level of the intervals in reports.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class EvalConfig:
    """``[eval]``: the target FA/h that picks the threshold, how positives are placed in context,
    and an optional cap on hours of negative stream per split (None: all of it)."""

    target_fa_per_hour: float = 0.5
    positive_snr_db: float = 20.0
    lead_s: float = 1.5
    tail_s: float = 1.0
    max_latency_s: float = 1.0
    negative_hours: float | None = None
    latency_target_s: float = 0.2
    seed: int = 0
    device_seconds: float = 20.0  # audio run on the Cortex-M4 under QEMU as well (0: skip)
    level_gains_db: tuple[float, ...] = (-10.0, -20.0, -30.0)  # positive trials rerun this much quieter (dB)

    def __post_init__(self) -> None:
        if self.target_fa_per_hour <= 0 or self.max_latency_s <= 0 or self.latency_target_s <= 0:
            raise ConfigError("eval: target_fa_per_hour, max_latency_s and latency_target_s must be > 0")
        if self.lead_s < 1.0 or self.tail_s < 0:
            raise ConfigError("eval: lead_s must be >= 1 s (one window of context), tail_s >= 0")
        if self.device_seconds < 0:
            raise ConfigError("eval: device_seconds must be >= 0")
        if self.negative_hours is not None and self.negative_hours <= 0:
            raise ConfigError("eval: negative_hours must be > 0 (or absent: all of it)")
        object.__setattr__(self, "level_gains_db", tuple(float(g) for g in self.level_gains_db))
        if any(not -60.0 <= g <= 20.0 for g in self.level_gains_db):
            raise ConfigError("eval: level_gains_db must be in [-60, 20] dB")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalConfig:
        """Build from an ``[eval]`` table; unknown keys are an error."""
        check_keys(data, {f.name for f in fields(cls)}, "eval")
        return cls(**data)


@dataclass
class StreamRun:
    """Smoothed keyword probabilities of one stream (or trial), per inference."""

    frames: np.ndarray  # int64 (n,), last frame of each window
    times_s: np.ndarray  # float64 (n,), end of each window
    probs_q8: np.ndarray  # uint8 (n, K)
    seconds: float  # audio streamed


def detections(frames: np.ndarray, probs_q8: np.ndarray, threshold: int, refractory_frames: int) -> np.ndarray:
    """Indices of the inferences that detect at Q8 ``threshold``: the detector's rule (the
    largest smoothed keyword probability reaches the threshold, and ``refractory_frames`` have
    passed since the previous detection; the first is always allowed)."""
    peak = probs_q8.max(axis=1) if probs_q8.ndim == 2 else probs_q8
    candidates = np.flatnonzero(peak >= threshold)
    if candidates.size == 0:
        return candidates
    at = frames[candidates]
    chosen = []
    pos = 0
    while pos < candidates.size:
        chosen.append(candidates[pos])
        pos = max(pos + 1, int(np.searchsorted(at, at[pos] + refractory_frames, side="left")))
    return np.array(chosen, np.int64)


def detected_keywords(probs_q8: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Keyword index of each detection: the largest smoothed value, ties to the lowest index."""
    return probs_q8[indices].argmax(axis=1) if probs_q8.ndim == 2 else np.zeros(indices.size, np.int64)


def _fade_edges(pcm: np.ndarray) -> np.ndarray:
    n = min(JOIN_FADE_SAMPLES, pcm.size // 2)
    if n == 0:
        return pcm
    out = pcm.astype(np.float64)
    ramp = np.linspace(0.0, 1.0, n, endpoint=False)
    out[:n] *= ramp
    out[-n:] *= ramp[::-1]
    return np.round(out).astype(np.int16)


def usable_rows(rows: Iterable[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """A split's rows whose audio is in the dataset (accepted and augmented), in id order."""
    return sorted((r for r in rows if r["split"] == split and r["status"] in USABLE), key=lambda r: r["id"])


def negative_rows(rows: Iterable[dict[str, Any]], split: str, keywords: Iterable[str]) -> list[dict[str, Any]]:
    """A split's usable rows whose label is none of ``keywords``, in id order: the clips its
    negative stream plays (for evaluation, for hard-negative mining, for the feature screen)."""
    keyword_set = set(keywords)
    return [r for r in usable_rows(rows, split) if r["label"] not in keyword_set]


class LeakageError(ValueError):
    """A dataset version would score a model on voices or audio it was trained on."""


def check_not_trained_on(trained: list[dict[str, Any]], evaluated: list[dict[str, Any]]) -> None:
    """Raise :class:`LeakageError` if ``evaluated``'s validation, test or crossvoice rows hold a
    speaker/voice group or a clip (same audio hash) of ``trained``'s training split."""
    training = usable_rows(trained, "train")
    scored = [r for r in evaluated if r["split"] != "train" and r["status"] in USABLE]
    for what, key in (("voice groups", "group"), ("clips", "sha256")):
        leaked = sorted({r[key] for r in scored} & {r[key] for r in training})
        if leaked:
            named = ", ".join(leaked[:3]) + (f" and {len(leaked) - 3} more" if len(leaked) > 3 else "")
            raise LeakageError(f"the model was trained on {what} this dataset evaluates on: {named}")


def run_stream(detector: Detector, chunks: Iterable[np.ndarray]) -> StreamRun:
    """The detector's smoothed probabilities over ``chunks`` (int16 PCM) as one stream, from a
    fresh state."""
    detector.reset()
    parts, samples = [], 0
    for chunk in chunks:
        samples += chunk.size
        parts.append(detector.push(chunk))
    frames = np.concatenate([p.frames for p in parts]) if parts else np.zeros(0, np.int64)
    probs = np.concatenate([p.probs_q8 for p in parts]) if parts else np.zeros((0, detector.num_keywords), np.uint8)
    return StreamRun(frames, detector.time_s(frames), probs, samples / detector.frontend_config.sample_rate_hz)


def negative_stream(
    detector: Detector,
    store: Path,
    rows: list[dict[str, Any]],
    max_hours: float | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    clips: list[tuple[float, dict[str, Any]]] | None = None,
) -> StreamRun:
    """Run ``rows`` (non-keyword clips, in order) through ``detector`` as one continuous stream,
    stopping after ``max_hours`` of audio if given. ``clips``, if given, receives (start in the
    stream in s, row) of every clip streamed, for :func:`false_accept_sources`."""
    rate = detector.frontend_config.sample_rate_hz
    wrapped = progress(rows, "negative stream") if progress else rows

    def chunks() -> Iterable[np.ndarray]:
        samples = 0
        for row, pcm in stream_chunks(store, wrapped, rate, max_hours):
            if clips is not None:
                clips.append((samples / rate, row))
            samples += pcm.size
            yield pcm

    return run_stream(detector, chunks())


#: A false accept is put down to the clip playing this long (s) before the detection: a keyword
#: model fires just after the word it heard, which may already be followed by the next clip.
FA_LOOKBACK_S = 0.2


def clip_name(row: dict[str, Any]) -> str:
    """What a negative clip says, for attributing false accepts: its text, else its label and source."""
    return str(row.get("text") or f"{row['label']} ({row['source']})")


def false_accept_sources(
    run: StreamRun, clips: list[tuple[float, dict[str, Any]]], threshold: int, refractory_frames: int
) -> dict[str, int]:
    """False accepts at Q8 ``threshold`` per clip text (:func:`clip_name`), most first: each
    detection goes to the clip that was playing :data:`FA_LOOKBACK_S` before it."""
    if not clips:
        return {}
    starts = np.array([start for start, _ in clips])
    found = detections(run.frames, run.probs_q8, threshold, refractory_frames)
    index = np.searchsorted(starts, np.maximum(run.times_s[found] - FA_LOOKBACK_S, 0.0), side="right") - 1
    counts: dict[str, int] = {}
    for k in index:
        name = clip_name(clips[max(int(k), 0)][1])
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def stream_chunks(
    store: Path, rows: Iterable[dict[str, Any]], rate: int, max_hours: float | None = None
) -> Iterable[tuple[dict[str, Any], np.ndarray]]:
    """(row, int16 PCM) of each clip of a negative stream, in order, faded at the joins and cut
    after ``max_hours`` of audio at ``rate`` Hz if given: the stream's audio is their concatenation."""
    limit = None if max_hours is None else int(max_hours * 3600 * rate)
    total = 0
    for row in rows:
        pcm = _fade_edges(load_pcm(store, row["sha256"]))
        if limit is not None and total + pcm.size > limit:
            pcm = pcm[: limit - total]
        total += pcm.size
        yield row, pcm
        if limit is not None and total >= limit:
            break


@dataclass
class Trial:
    """One keyword clip in context and the detector's output on it."""

    clip_id: str
    keyword: int
    speech_start_s: float  # in the trial's time
    speech_end_s: float
    run: StreamRun = field(repr=False)
    group: str = ""  # the clip's speaker/voice group, for the per-group miss counts


def trial_audio(
    store: Path,
    row: dict[str, Any],
    backgrounds: list[dict[str, Any]],
    config: EvalConfig,
    rate: int,
    noise_cache: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, float, float]:
    """A keyword clip in context (see the module doc): (int16 PCM, speech start s, speech end s)."""
    return place_in_context(load_pcm(store, row["sha256"]), speech_span_s(row), row["sha256"], store, backgrounds,
                            config, rate, noise_cache)  # fmt: skip


def place_in_context(
    clip_pcm: np.ndarray,
    span_s: tuple[float, float],
    key: str,
    store: Path,
    backgrounds: list[dict[str, Any]],
    config: EvalConfig,
    rate: int,
    noise_cache: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, float, float]:
    """int16 ``clip_pcm`` at ``rate`` Hz with speech at ``span_s`` (s) between ``lead_s`` and
    ``tail_s`` of silence, with a background clip of ``backgrounds`` (store rows, picked by a hash
    of ``key``) under the whole trial at ``positive_snr_db`` below the speech's RMS: (int16 PCM,
    speech start s, speech end s) in the trial's time. Also used for recordings from outside the
    store (the FSDD benchmark)."""
    start_s, end_s = span_s
    lead, tail = round(config.lead_s * rate), round(config.tail_s * rate)
    pcm = np.zeros(lead + clip_pcm.size + tail, np.int16)
    pcm[lead : lead + clip_pcm.size] = clip_pcm
    speech = speech_part(clip_pcm, span_s, rate)
    if backgrounds and rms(speech) > 0:
        pick = int(hashlib.sha256(f"{config.seed}:{key}".encode()).hexdigest()[:8], 16)
        noise_row = backgrounds[pick % len(backgrounds)]
        cache = noise_cache if noise_cache is not None else {}
        if noise_row["sha256"] not in cache:
            cache[noise_row["sha256"]] = load_pcm(store, noise_row["sha256"]).astype(np.float64)
        noise = cache[noise_row["sha256"]]
        if noise.size:
            bed = np.resize(noise, pcm.size)  # repeated if shorter than the trial
            pcm = on_bed(pcm, bed, 0, gain_below(speech, bed, config.positive_snr_db))
    return pcm, config.lead_s + start_s, config.lead_s + end_s


def at_gain(pcm: np.ndarray, gain_db: float) -> np.ndarray:
    """int16 ``pcm`` scaled by ``gain_db`` (dB), rounded to nearest and saturated."""
    scaled = np.rint(pcm.astype(np.float64) * 10.0 ** (gain_db / 20.0))
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def positive_trials(
    detector: Detector,
    store: Path,
    rows: list[dict[str, Any]],
    backgrounds: list[dict[str, Any]],
    config: EvalConfig,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    gains_db: tuple[float, ...] = (),
) -> tuple[list[Trial], dict[float, list[Trial]]]:
    """Each keyword clip in ``rows`` placed in background context (see the module doc) and run;
    and the same trials run again scaled by each of ``gains_db`` (dB), by gain."""
    rate = detector.frontend_config.sample_rate_hz
    keyword_index = {label: i for i, label in enumerate(detector.labels)}
    noise_cache: dict[str, np.ndarray] = {}
    trials = []
    quieter: dict[float, list[Trial]] = {gain: [] for gain in gains_db}
    for row in progress(rows, "positive trials") if progress else rows:
        pcm, start_s, end_s = trial_audio(store, row, backgrounds, config, rate, noise_cache)
        label, group = keyword_index[row["label"]], row.get("group", "")
        trials.append(Trial(row["id"], label, start_s, end_s, run_stream(detector, [pcm]), group))
        for gain, runs in quieter.items():
            runs.append(Trial(row["id"], label, start_s, end_s, run_stream(detector, [at_gain(pcm, gain)]), group))
    return trials, quieter


def trial_outcomes(
    trials: list[Trial], threshold: int, refractory_frames: int, max_latency_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """(hit per trial (bool), latency in s per trial (NaN when missed)) at Q8 ``threshold``."""
    hits = np.zeros(len(trials), bool)
    latency = np.full(len(trials), np.nan)
    for i, trial in enumerate(trials):
        run = trial.run
        found = detections(run.frames, run.probs_q8, threshold, refractory_frames)
        keywords = detected_keywords(run.probs_q8, found)
        times = run.times_s[found]
        in_span = (times >= trial.speech_start_s) & (times <= trial.speech_end_s + max_latency_s)
        ok = (keywords == trial.keyword) & in_span
        if ok.any():
            hits[i] = True
            latency[i] = float(times[ok][0] - trial.speech_end_s)
    return hits, latency


def false_accept_counts(run: StreamRun, refractory_frames: int) -> np.ndarray:
    """Detections on a negative stream at every Q8 threshold 0..256 (index = threshold)."""
    return np.array([detections(run.frames, run.probs_q8, t, refractory_frames).size for t in range(257)])


def poisson_rate_interval(count: int, hours: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Garwood) interval for a rate per hour from ``count`` events in ``hours``."""
    from scipy.stats import chi2

    alpha = 1 - confidence
    low = chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    high = chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low / hours), float(high / hours)


def proportion_interval(failures: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Clopper-Pearson interval for a proportion (FRR) of ``failures`` out of ``trials``."""
    from scipy.stats import beta

    if trials == 0:
        return 0.0, 1.0
    alpha = 1 - confidence
    low = beta.ppf(alpha / 2, failures, trials - failures + 1) if failures > 0 else 0.0
    high = beta.ppf(1 - alpha / 2, failures + 1, trials - failures) if failures < trials else 1.0
    return float(low), float(high)


def choose_threshold(fa_counts: np.ndarray, hours: float, target_fa_per_hour: float) -> int:
    """The lowest Q8 threshold whose false accepts per hour are at most the target (256, which
    never fires, if none is)."""
    ok = np.flatnonzero(fa_counts / hours <= target_fa_per_hour) if hours > 0 else np.zeros(0, int)
    return int(ok[0]) if ok.size else 256


@dataclass
class SplitResult:
    """FA/h and FRR of one split at every Q8 threshold."""

    split: str
    negative_hours: float
    fa_counts: np.ndarray  # (257,)
    trials: int
    misses: np.ndarray  # (257,)
    latency_at: Callable[[int], np.ndarray] = field(repr=False)
    trial_groups: tuple[str, ...] = ()  # each trial's speaker/voice group, in trial order
    fa_sources: Callable[[int], dict[str, int]] | None = field(default=None, repr=False)
    misses_by_gain: dict[float, np.ndarray] = field(default_factory=dict)  # gain (dB) -> (257,), quieter trials

    def fa_per_hour(self, threshold: int) -> float:
        return float(self.fa_counts[threshold] / self.negative_hours) if self.negative_hours else math.nan

    def frr(self, threshold: int) -> float:
        return float(self.misses[threshold] / self.trials) if self.trials else math.nan


def evaluate_split(
    detector: Detector,
    store: Path,
    rows: list[dict[str, Any]],
    split: str,
    config: EvalConfig,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
) -> SplitResult:
    """Negative stream and positive trials of one split, swept over every threshold."""
    keywords = set(detector.labels)
    usable = usable_rows(rows, split)
    negatives = negative_rows(usable, split, keywords)
    positives = [r for r in usable if r["label"] in keywords]
    backgrounds = [r for r in usable if r["label"] == "_noise"]
    if not backgrounds:  # held-out voices bring no noise clips: the test split's background
        backgrounds = [r for r in usable_rows(rows, "test") if r["label"] == "_noise"]
    refractory = detector.refractory_frames
    clips: list[tuple[float, dict[str, Any]]] = []
    stream = negative_stream(detector, store, negatives, config.negative_hours, progress, clips)
    fa_counts = false_accept_counts(stream, refractory)
    trials, quieter = positive_trials(detector, store, positives, backgrounds, config, progress, config.level_gains_db)

    def misses_of(runs: list[Trial]) -> np.ndarray:
        return np.array([len(runs) - int(trial_outcomes(runs, t, refractory, config.max_latency_s)[0].sum())
                         for t in range(257)])  # fmt: skip

    misses = misses_of(trials)

    def latency_at(threshold: int) -> np.ndarray:
        return trial_outcomes(trials, threshold, refractory, config.max_latency_s)[1]

    def fa_sources(threshold: int) -> dict[str, int]:
        return false_accept_sources(stream, clips, threshold, refractory)

    groups = tuple(t.group for t in trials)
    return SplitResult(split, stream.seconds / 3600.0, fa_counts, len(trials), misses, latency_at, groups, fa_sources,
                       {gain: misses_of(runs) for gain, runs in quieter.items()})  # fmt: skip


def det_points(result: SplitResult) -> list[dict[str, float]]:
    """The DET curve: per Q8 threshold, FA/h and FRR with their confidence intervals."""
    points = []
    for t in range(257):
        fa_low, fa_high = poisson_rate_interval(int(result.fa_counts[t]), result.negative_hours)
        frr_low, frr_high = proportion_interval(int(result.misses[t]), result.trials)
        points.append({"threshold": t / 256, "threshold_q8": t, "false_accepts": int(result.fa_counts[t]),
                       "fa_per_hour": result.fa_per_hour(t), "fa_per_hour_ci": [fa_low, fa_high],
                       "misses": int(result.misses[t]), "frr": result.frr(t),
                       "frr_ci": [frr_low, frr_high]})  # fmt: skip
    return points


def summary_at(result: SplitResult, threshold: int, config: EvalConfig) -> dict[str, Any]:
    """FA/h, FRR and latency of one split at one threshold, with intervals."""
    latency = result.latency_at(threshold)
    hit = latency[np.isfinite(latency)]
    count = int(result.fa_counts[threshold])
    by_group: dict[str, list[int]] = {}
    for group, found in zip(result.trial_groups, np.isfinite(latency), strict=False):
        counts = by_group.setdefault(group, [0, 0])
        counts[0] += int(not found)
        counts[1] += 1
    return {
        "split": result.split,
        "threshold": threshold / 256,
        "negative_hours": result.negative_hours,
        "false_accepts": count,
        "fa_per_hour": result.fa_per_hour(threshold),
        "fa_per_hour_ci": list(poisson_rate_interval(count, result.negative_hours)),
        "trials": result.trials,
        "misses": int(result.misses[threshold]),
        "frr": result.frr(threshold),
        "frr_ci": list(proportion_interval(int(result.misses[threshold]), result.trials)),
        "latency_median_s": float(np.median(hit)) if hit.size else None,
        "latency_p95_s": float(np.percentile(hit, 95)) if hit.size else None,
        "latency_target_s": config.latency_target_s,
        # Which voices the misses come from: group -> [misses, trials] (eval.json sorts the keys).
        "misses_by_group": dict(sorted(by_group.items(), key=lambda kv: (-kv[1][0] / kv[1][1], kv[0]))),
        # What the false accepts were heard on: negative clip text -> count (eval.json sorts the keys).
        "false_accepts_by_text": result.fa_sources(threshold) if result.fa_sources else {},
        # The same trials this many dB quieter: FRR at this threshold (str keys: JSON).
        "frr_by_gain_db": {
            f"{gain:g}": float(m[threshold] / result.trials) if result.trials else math.nan
            for gain, m in result.misses_by_gain.items()
        },
    }


def plot_det(curves: dict[str, list[dict[str, float]]], hours: dict[str, float], chosen: dict[str, float]) -> bytes:
    """DET curves (FRR vs FA/h, log FA/h axis): 95 % interval bands on FRR, 95 % interval bars on
    FA/h at every 32nd threshold; PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kwsc.quality import _png

    figure, axis = plt.subplots(figsize=(6.4, 4.8))
    for name, points in curves.items():
        fa = np.array([p["fa_per_hour"] for p in points])
        floor = 0.5 / hours[name]
        fa_plot = np.maximum(fa, floor)  # 0 FA/h drawn at half of one event, to fit a log axis
        frr = np.array([p["frr"] for p in points])
        low = np.array([p["frr_ci"][0] for p in points])
        high = np.array([p["frr_ci"][1] for p in points])
        (line,) = axis.step(fa_plot, frr, where="post", label=name)
        axis.fill_between(fa_plot, low, high, step="post", alpha=0.2, color=line.get_color())
        # FA/h intervals as horizontal bars at every 32nd threshold (a band would hide the curve).
        marks = [p for p in points[::32] if p["fa_per_hour"] is not None and 0 < p["frr"] < 1]
        if marks:
            centre = np.array([max(p["fa_per_hour"], floor) for p in marks])
            bounds = np.array([[max(p["fa_per_hour_ci"][0], floor), p["fa_per_hour_ci"][1]] for p in marks])
            xerr = np.abs(np.stack([centre - bounds[:, 0], bounds[:, 1] - centre]))
            axis.errorbar(centre, [p["frr"] for p in marks], xerr=xerr, fmt="none", ecolor=line.get_color(),
                          alpha=0.6, capsize=2)  # fmt: skip
        if name in chosen:
            axis.plot([max(chosen[name + "_fa"], floor)], [chosen[name]], "o", color=line.get_color())
    axis.set_xscale("log")
    axis.set_xlabel("false accepts per hour")
    axis.set_ylabel("false reject rate")
    axis.set_ylim(0, 1)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    axis.set_title("DET (95 % intervals: bands on FRR, bars on FA/h; dot: chosen threshold)")
    return _png(figure)


def device_check_audio(
    store: Path, rows: list[dict[str, Any]], labels: tuple[str, ...], config: EvalConfig, rate: int
) -> np.ndarray:
    """About ``device_seconds`` of a split's evaluation audio: half from the start of its negative
    stream, then its first keyword trials in context, end to end."""
    negatives = [r for r in rows if r["label"] not in labels]
    positives = [r for r in rows if r["label"] in labels]
    backgrounds = [r for r in rows if r["label"] == "_noise"]
    budget = int(config.device_seconds * rate)
    parts, total = [], 0
    for row in negatives:
        if total >= budget // 2:
            break
        parts.append(_fade_edges(load_pcm(store, row["sha256"]))[: budget // 2 - total])
        total += parts[-1].size
    for row in positives:
        if total >= budget:
            break
        parts.append(trial_audio(store, row, backgrounds, config, rate)[0])
        total += parts[-1].size
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def device_check(folder: Path, detector: Detector, pcm: np.ndarray) -> dict[str, Any]:
    """Run ``pcm`` through the detector on the Cortex-M4 (QEMU, the model exported into the
    firmware) and on the host; the records must be identical."""
    from kwsc import firmware
    from kwsc.export import export

    if not (folder / "kwsc_model.c").is_file():
        export(folder / "model.tflite", folder)
    build = firmware.build(model_dir=folder)
    host = detector.run(pcm)
    device = firmware.run_detect(build, pcm, detector)
    k = detector.num_keywords
    identical = bool(
        np.array_equal(device.records["frame"], host.frames)
        and np.array_equal(device.records["prob_q8"][:, :k], host.probs_q8)
        and np.array_equal(device.records["keyword"], host.keywords)
    )
    return {"seconds": pcm.size / detector.frontend_config.sample_rate_hz, "inferences": len(host),
            "detections": len(host.events), "device_detections": int((device.records["keyword"] >= 0).sum()),
            "identical": identical, "instructions_per_second": device.instructions_per_second,
            "stack_bytes": device.stack_bytes, "memory_bytes": device.memory_bytes}  # fmt: skip


def to_json(data: Any) -> str:
    """JSON with NaN written as null."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, np.generic):
            return clean(value.item())
        return value

    return json.dumps(clean(data), indent=2, sort_keys=True) + "\n"


#: Audio file suffixes read from a folder of user recordings.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


def user_negative_stream(
    detector: Detector, folder: Path, progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None
) -> tuple[StreamRun, int]:
    """(the run of every audio file under ``folder`` (sorted, resampled to the detector's rate,
    downmixed, faded at the joins) as one stream, number of files). DetectError when the folder
    holds no audio or a file cannot be read."""
    from kwsc.detector import DetectError
    from kwsc.detector import load_pcm as load_file

    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    if not files:
        raise DetectError(f"{folder}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    rate = detector.frontend_config.sample_rate_hz
    wrapped = progress(files, "your recordings") if progress else files
    chunks = (_fade_edges(load_file(path, rate, resample=True, downmix=True)) for path in wrapped)
    return run_stream(detector, chunks), len(files)


def sweep_detector(folder: Path, detect_config: DetectConfig | None = None) -> Detector:
    """The model's detector with ``detect_config``'s rule at threshold 1.0: it never fires, and
    every threshold is swept from its records afterwards."""
    return Detector.from_folder(folder, DetectConfig(**{**asdict(detect_config or DetectConfig()), "threshold": 1.0}))


def validation_point(
    folder: str | Path,
    config: EvalConfig | None = None,
    detect_config: DetectConfig | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
) -> dict[str, float]:
    """The model in ``folder`` on its version's validation split only, streamed through the C
    detector as :func:`evaluate_model` does: ``threshold`` (keyword probability, Q8 / 256) chosen
    for the target FA/h, ``frr`` and ``fa_per_hour`` at it, ``trials`` and ``negative_hours``.
    No test or held-out audio is read, so choosing among models by it leaves those splits unseen."""
    from kwsc.store import Store

    folder = Path(folder)
    config = config or EvalConfig()
    store = Store(folder.parents[1])
    rows = store.manifest(json.loads((folder / "lineage.json").read_text())["dataset_version"])
    unscaled = replace(config, level_gains_db=())  # the point needs no quieter reruns
    result = evaluate_split(sweep_detector(folder, detect_config), store.root, rows, "validation", unscaled, progress)
    chosen = choose_threshold(result.fa_counts, result.negative_hours, config.target_fa_per_hour)
    return {"threshold": chosen / 256, "frr": result.frr(chosen), "fa_per_hour": result.fa_per_hour(chosen),
            "trials": result.trials, "negative_hours": result.negative_hours}  # fmt: skip


def evaluate_model(
    folder: str | Path,
    config: EvalConfig | None = None,
    detect_config: DetectConfig | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    log: Callable[[str], None] | None = None,
    user_negatives: str | Path | None = None,
    dataset_version: str | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Evaluate the model in ``folder`` (in a store's models/) on its dataset version: choose the
    threshold on validation, report test, write eval.json, det.json and det.png into the folder
    and the threshold into meta.json. ``user_negatives``: a folder of the user's recordings with
    no keyword, streamed as an extra negative stream (FA/h only). ``dataset_version``: evaluate on
    the streams of another version in the same store instead (e.g. one with more evaluation
    audio); refused (:class:`LeakageError`) if its evaluation splits hold a voice group or a
    clip of the model's training split. ``workers``: threads that stream the splits side by side
    (default: one per CPU, at most one per split); each split has its own detector and the C
    detector runs without the GIL, so the results are those of one thread. Returns eval.json's
    content."""
    from kwsc.ingest import atomic_write_bytes
    from kwsc.store import Store

    folder = Path(folder)
    config = config or EvalConfig()
    lineage = json.loads((folder / "lineage.json").read_text())
    store = Store(folder.parents[1])
    version = lineage["dataset_version"]
    rows = store.manifest(version)
    other_version = store.resolve(dataset_version).name if dataset_version is not None else version
    if other_version != version:
        other = store.manifest(other_version)
        check_not_trained_on(rows, other)
        version, rows = other_version, other
    base = detect_config or DetectConfig()
    detector = sweep_detector(folder, base)
    splits = ["validation", "test"]
    if any(r["split"] == HOLDOUT_SPLIT and r["label"] in detector.labels for r in usable_rows(rows, HOLDOUT_SPLIT)):
        splits.append(HOLDOUT_SPLIT)
    threads = max(1, min(workers or os.cpu_count() or 1, len(splits)))
    if log:
        log(f"{', '.join(splits)}: streaming negatives and positive trials through the C detector"
            + (f" ({threads} threads)" if threads > 1 else ""))  # fmt: skip

    def one_split(split: str) -> SplitResult:
        own = sweep_detector(folder, base)
        return evaluate_split(own, store.root, rows, split, config, progress)

    if threads == 1:
        results = {split: one_split(split) for split in splits}
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = dict(zip(splits, pool.map(one_split, splits), strict=True))
    validation, test = results["validation"], results["test"]
    chosen = choose_threshold(validation.fa_counts, validation.negative_hours, config.target_fa_per_hour)
    curves = {split: det_points(result) for split, result in results.items()}
    report = {
        "model": folder.name,
        "dataset_version": version,
        "config": asdict(config),
        "detector": {**asdict(base), "threshold": chosen / 256, "refractory_frames": detector.refractory_frames},
        "threshold": chosen / 256,
        "threshold_q8": chosen,
        "validation": summary_at(validation, chosen, config),
        "test": summary_at(test, chosen, config),
        **({HOLDOUT_SPLIT: summary_at(results[HOLDOUT_SPLIT], chosen, config)} if HOLDOUT_SPLIT in results else {}),
        "rule": "detection: smoothed keyword probability >= threshold and >= refractory since the previous "
        "detection; a trial is detected by its keyword within [speech start, speech end + max_latency_s]",
    }
    if user_negatives is not None:
        if log:
            log(f"your recordings: streaming {user_negatives} through the C detector")
        run, files = user_negative_stream(detector, Path(user_negatives), progress)
        counts = false_accept_counts(run, detector.refractory_frames)
        hours = run.seconds / 3600.0
        report["user_negatives"] = {
            "folder": str(Path(user_negatives).resolve()), "files": files, "negative_hours": hours,
            "false_accepts": int(counts[chosen]), "fa_per_hour": counts[chosen] / hours if hours else 0.0,
            "fa_per_hour_ci": list(poisson_rate_interval(int(counts[chosen]), hours)) if hours else [0.0, 0.0],
            "fa_per_hour_by_threshold_q8": (counts / hours).tolist() if hours else [0.0] * 257,
        }  # fmt: skip
    if config.device_seconds > 0 and detector.frontend_config != FrontendConfig():
        # The firmware's detector is compiled with the default frontend's tables: say so, don't fail.
        report["device_check_skipped"] = "the firmware's detector runs the default frontend config only"
        if log:
            log(f"device check skipped: {report['device_check_skipped']}")
    elif config.device_seconds > 0:
        if log:
            log(f"device check: {config.device_seconds:g} s of test audio on the Cortex-M4 (QEMU) and the host")
        chosen_detector = Detector.from_folder(folder, DetectConfig(**{**asdict(base), "threshold": chosen / 256}))
        rate = detector.frontend_config.sample_rate_hz
        audio = device_check_audio(store.root, usable_rows(rows, "test"), detector.labels, config, rate)
        report["device_check"] = device_check(folder, chosen_detector, audio)
    (folder / "det.json").write_text(to_json({"thresholds_q8": list(range(257)), **curves}))
    marks = {"validation": validation.frr(chosen), "validation_fa": validation.fa_per_hour(chosen),
             "test": test.frr(chosen), "test_fa": test.fa_per_hour(chosen)}  # fmt: skip
    hours = {split: result.negative_hours for split, result in results.items()}
    (folder / "det.png").write_bytes(plot_det(curves, hours, marks))
    (folder / "eval.json").write_text(to_json(report))
    meta = json.loads((folder / "meta.json").read_text())
    meta["threshold"] = chosen / 256
    meta["detector"] = report["detector"]
    atomic_write_bytes(folder / "meta.json", json.dumps(meta, indent=2, sort_keys=True).encode())
    return report
