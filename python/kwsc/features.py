"""Features: every accepted clip (and augmented variant) as model windows of int8 C-frontend output.

Windowing. The model sees fixed windows of ``window_s`` (default 1 s = 49 frames at a 20 ms
hop). A keyword clip's window is placed by its speech span (from the validator): with
``keyword_anchor = "end"`` (the default) the window ends ``end_margin_s`` after the speech ends,
so the model learns to fire as soon as the word is complete, which is when a streaming detector
should (detection latency); with ``"centre"`` the window is centred on the span. Either way it
moves by a jitter drawn from the clip's content-derived seed (and by an augmentation recipe's
``shift_s``); anything the clip does not cover is zero, and then (``context = "background"``,
the default) a noise clip of the same split is laid under the whole window (:func:`context_beds`,
:func:`on_bed`), so no window holds digital silence a microphone never gives. A non-keyword
clip up to one window long sits at a seeded offset; a longer one is cut into windows every
``stride_s`` (at most ``max_windows_per_clip``).

Frontend. Each window goes through the C frontend's batch API (``kwsc.process_batch``; the C
call releases the GIL, so threads scale too) exactly as on the device. The int16 Q6 cepstra are cached under
``<store>/cache/features/<frontend config hash>/<key>.npy``, keyed by the window's audio hash
(plus its placement and bed), so changing the frontend config recomputes exactly what depends on it;
once the C frontend's numerics change (:mod:`kwsc.numerics`) the folder gets their fingerprint too.

Normalisation. Per-coefficient mean and standard deviation are learned on the training split's
windows only and turned into the frontend's int8 quantisation (:class:`kwsc.QuantParams`):
``q = round((c - mean) / step)``, ``step = 4 std / 128`` (+-4 standard deviations span int8), the
parameters the device applies to its own frontend output. Validation and test never influence
them. ``drop_coeffs`` holds chosen coefficients at 0; ``relative_c0`` takes c0 relative to its
window first (both travel in the normalisation, so the detector does the same).

Shards. ``<version>/features/part-NNNNN.parquet`` with one row per window: ``id``, ``clip_id``,
``label``, ``split``, ``group``, ``features`` (fixed-size binary, frames x coefficients int8,
row-major), ``frames``, ``coeffs``. Readable by pandas, polars and duckdb; :func:`iter_windows`
streams them as NumPy batches and :func:`tf_dataset` as a ``tf.data.Dataset``.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from kwsc import numerics
from kwsc._kwsc_c import ffi, lib
from kwsc.config import ConfigError, FrontendConfig, check_keys
from kwsc.frontend import CEPS_Q, Frontend, QuantParams, process_batch
from kwsc.ingest import atomic_write_bytes, load_pcm
from kwsc.sources import canonical_json, seed_from

#: Raise when a change to this module can change the windows it cuts, places or normalises: the
#: dataset version id includes it (the per-clip cepstra cache is keyed by the C numerics instead).
FEATURES_VERSION = 1


@dataclass(frozen=True)
class FeatureConfig:
    """``[features]``: model window (s), keyword jitter (s), stride and cap for long clips, rows
    per Parquet shard, and where a keyword sits in its window (``keyword_anchor`` "end" or
    "centre"; with "end", the window ends ``end_margin_s`` seconds after the speech).

    ``context``: what a window holds where it runs past its clip, and under the clip. "background"
    (default): a noise clip of the same split, looped under the whole window at
    ``context_snr_db`` (drawn per clip, dB below the clip's speech RMS), as the evaluation places
    keywords in context and as a microphone hears the world. "zeros": digital silence past the
    clip's ends (the old behaviour). Short keyword clips padded with exact zeros teach a model that
    "digital silence, then a word" is the keyword; a stream never holds digital silence, so it
    then misses real speech (measured: 85 % FSDD FRR with zeros, 1 % on the same model when the
    test context is digital silence too).

    ``drop_coeffs``: cepstral coefficients the model never sees: their int8 quantisation gets
    scale 0 and offset 0, so the device's features hold 0 there as the training windows do
    (default none). ``[0]`` drops c0, the only coefficient a change of input level moves (a gain
    adds the same constant to every log mel energy, and rows 1.. of the DCT sum to zero), so the
    features no longer say how loud the talker was (measured: the model then also loses the
    word's loudness contour).

    ``relative_c0``: c0 enters the model minus its mean over the window (rounded half away from
    zero, Q6; :func:`relative_c0_cepstra`), which drops the input level and keeps the contour.
    The normalisation is learned on those values, and the detector computes them the same way
    from its own ring (``kwsc_detect_relative_c0``, the C function both call)."""

    window_s: float = 1.0
    jitter_s: float = 0.1
    stride_s: float = 0.5
    max_windows_per_clip: int = 8
    shard_rows: int = 4096
    keyword_anchor: str = "end"
    end_margin_s: float = 0.1
    context: str = "background"
    context_snr_db: tuple[float, float] = (10.0, 40.0)
    drop_coeffs: tuple[int, ...] = ()
    relative_c0: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        """From a ``[features]`` table; unknown keys are an error."""
        check_keys(data, {f.name for f in fields(cls)}, "features")
        values = dict(data)
        if "context_snr_db" in values:
            values["context_snr_db"] = tuple(float(v) for v in values["context_snr_db"])
        if "drop_coeffs" in values:
            drop = values["drop_coeffs"]
            if not isinstance(drop, list) or not all(isinstance(k, int) and not isinstance(k, bool) for k in drop):
                raise ConfigError("features.drop_coeffs must be a list of coefficient indexes (integers)")
            if len(set(drop)) != len(drop) or any(k < 0 for k in drop):
                raise ConfigError("features.drop_coeffs: indexes must be distinct and >= 0")
            values["drop_coeffs"] = tuple(sorted(drop))
        if not isinstance(values.get("relative_c0", False), bool):
            raise ConfigError("features.relative_c0 must be true or false")
        config = cls(**values)
        if config.context not in ("background", "zeros"):
            raise ConfigError(f'features.context must be "background" or "zeros", got {config.context!r}')
        low, high = config.context_snr_db if len(config.context_snr_db) == 2 else (1.0, 0.0)
        if not low <= high:
            raise ConfigError("features.context_snr_db must be [low, high] in dB with low <= high")
        if config.window_s <= 0 or config.stride_s <= 0 or config.max_windows_per_clip < 1 or config.shard_rows < 1:
            raise ConfigError("features: window_s and stride_s must be > 0, the counts >= 1")
        if config.keyword_anchor not in ("end", "centre"):
            raise ConfigError(f'features.keyword_anchor must be "end" or "centre", got {config.keyword_anchor!r}')
        if not 0.0 <= config.end_margin_s < config.window_s:
            raise ConfigError("features.end_margin_s must be in [0, window_s)")
        return config

    def identity_dict(self) -> dict[str, Any]:
        """The config as dataset version ids see it: without ``drop_coeffs`` and ``relative_c0``
        while they are off, so configs that predate them keep their ids."""
        values = asdict(self)
        for name in ("drop_coeffs", "relative_c0"):
            if not values[name]:
                values.pop(name)
        return values

    def window_samples(self, frontend: FrontendConfig) -> int:
        """Samples per model window."""
        return round(self.window_s * frontend.sample_rate_hz)


@dataclass(frozen=True)
class WindowJob:
    """One clip's windows to compute: its cached audio, placement inputs, and the frontend."""

    clip_id: str
    sha256: str
    keyword: bool
    speech_start_s: float
    speech_end_s: float
    shift_s: float
    store: str
    frontend: FrontendConfig
    features: FeatureConfig
    bed_sha256: str | None = None  # background noise clip under the window (``context`` "background")
    bed_snr_db: float = 0.0  # its level: dB below the clip's speech RMS


def window_starts(job: WindowJob, num_samples: int) -> list[int]:
    """Start sample of each window of a clip (may be negative or run past the end: zero-filled)."""
    rate = job.frontend.sample_rate_hz
    width = job.features.window_samples(job.frontend)
    rng = np.random.default_rng(seed_from("window", job.sha256, job.clip_id))
    if job.keyword:
        jitter = rng.uniform(-job.features.jitter_s, job.features.jitter_s)
        if job.speech_end_s <= job.speech_start_s:  # no span: the clip's middle
            return [round((num_samples / 2 / rate + jitter + job.shift_s) * rate) - width // 2]
        if job.features.keyword_anchor == "end":
            end = job.speech_end_s + job.features.end_margin_s + jitter + job.shift_s
            return [round(end * rate) - width]
        centre = (job.speech_start_s + job.speech_end_s) / 2
        return [round((centre + jitter + job.shift_s) * rate) - width // 2]
    if num_samples <= width:
        return [-int(rng.integers(0, width - num_samples + 1))]
    stride = max(1, round(job.features.stride_s * rate))
    starts = list(range(0, num_samples - width + 1, stride))[: job.features.max_windows_per_clip]
    return starts


def cut(pcm: np.ndarray, start: int, width: int) -> np.ndarray:
    """``pcm[start:start + width]``, zero-filled where the window runs outside the clip."""
    window = np.zeros(width, np.int16)
    lo, hi = max(start, 0), min(start + width, pcm.size)
    if hi > lo:
        window[lo - start : hi - start] = pcm[lo:hi]
    return window


def context_beds(
    rows: list[dict[str, Any]], features: FeatureConfig, noise_label: str, seed: int = 0
) -> dict[str, tuple[str, float]]:
    """Per clip id (every row not labelled ``noise_label``): the background bed under its windows,
    (noise clip sha256, SNR in dB below its speech), when ``features.context`` is "background".
    The bed is a noise clip of the clip's own split (no audio crosses splits; the held-out
    cross-voice split has no noise of its own and borrows the test split's, as the evaluation
    does), picked and levelled by a seed from the clip id. Empty when there is no noise clip."""
    if features.context != "background":
        return {}
    pools: dict[str, list[str]] = {}
    for row in rows:
        if row["label"] == noise_label:
            pools.setdefault(row["split"], []).append(row["sha256"])
    for pool in pools.values():
        pool.sort()
    low, high = features.context_snr_db
    beds = {}
    for row in rows:
        pool = pools.get(row["split"]) or pools.get("test") or pools.get("train") or []
        if row["label"] == noise_label or not pool:
            continue
        rng = np.random.default_rng(seed_from("kwsc.features.context", seed, row["id"]))
        beds[row["id"]] = (pool[int(rng.integers(len(pool)))], round(float(rng.uniform(low, high)), 2))
    return beds


def rms(pcm: np.ndarray) -> float:
    """Root mean square of ``pcm`` in its own units (0 for an empty array)."""
    return float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64)))) if pcm.size else 0.0


def speech_part(pcm: np.ndarray, span_s: tuple[float, float], rate: int) -> np.ndarray:
    """The samples of ``pcm`` (at ``rate`` Hz) in the speech span ``span_s`` (s), at least one."""
    start = int(span_s[0] * rate)
    return pcm[start : max(int(span_s[1] * rate), start + 1)]


def gain_below(speech: np.ndarray, bed: np.ndarray, snr_db: float) -> float:
    """The factor that puts ``bed`` ``snr_db`` dB below the RMS of ``speech`` (0 when either is silent)."""
    speech_rms, bed_rms = rms(speech), rms(bed)
    if speech_rms == 0.0 or bed_rms == 0.0:
        return 0.0
    return speech_rms / bed_rms * 10.0 ** (-snr_db / 20.0)


def on_bed(window: np.ndarray, bed: np.ndarray, offset: int, gain: float) -> np.ndarray:
    """int16 ``window`` plus ``bed`` (int16, looped from sample ``offset``) times ``gain``,
    rounded to nearest and saturated to int16."""
    if bed.size == 0 or gain == 0.0:
        return window
    looped = np.resize(np.roll(bed, -(offset % bed.size)), window.size).astype(np.float64)
    mixed = np.round(window.astype(np.float64) + looped * gain)
    return np.clip(mixed, -32768, 32767).astype(np.int16)


def bed_gain(pcm: np.ndarray, job: WindowJob, bed: np.ndarray) -> float:
    """The factor that puts ``bed`` ``job.bed_snr_db`` dB below the RMS of the clip's speech span
    (the whole clip when it has no span; 0 for a silent clip or bed)."""
    speech = pcm
    if job.speech_end_s > job.speech_start_s:
        speech = speech_part(pcm, (job.speech_start_s, job.speech_end_s), job.frontend.sample_rate_hz)
    return gain_below(speech, bed, job.bed_snr_db)


def _cache_path(job: WindowJob, start: int) -> Path:
    parts: list[Any] = [job.sha256, start, job.features.window_samples(job.frontend)]
    if job.bed_sha256 is not None:
        parts += [job.bed_sha256, job.bed_snr_db]
    key = hashlib.sha256(canonical_json(parts).encode())
    numerics_key = numerics.numerics_key()  # features of other C numerics go elsewhere (None: the original folder)
    config_folder = job.frontend.content_hash()[:16] + (f"-{numerics_key}" if numerics_key else "")
    return Path(job.store) / "cache" / "features" / config_folder / key.hexdigest()[:2] / f"{key.hexdigest()}.npy"


def _audio_at(job: WindowJob, pcm: np.ndarray, starts: list[int]) -> list[np.ndarray]:
    """int16 audio of the windows of clip ``pcm`` starting at ``starts`` (samples), on the bed."""
    width = job.features.window_samples(job.frontend)
    windows = [cut(pcm, start, width) for start in starts]
    if job.bed_sha256 is not None and windows:
        bed = load_pcm(Path(job.store), job.bed_sha256)
        gain = bed_gain(pcm, job, bed)
        # The bed runs on in the clip's time, so overlapping windows of one clip hear the same noise.
        windows = [on_bed(w, bed, start, gain) for start, w in zip(starts, windows, strict=True)]
    return windows


def window_audio(job: WindowJob, pcm: np.ndarray | None = None) -> list[np.ndarray]:
    """int16 audio of every model window of a clip, as the frontend hears it in
    :func:`window_cepstra`: cut at :func:`window_starts`, zero-filled outside the clip, on the
    background bed when the job has one. ``pcm``: the clip's int16 audio at the frontend's rate
    when it is not in the store (None: the store's copy of ``job.sha256``)."""
    if pcm is None:
        pcm = load_pcm(Path(job.store), job.sha256)
    return _audio_at(job, pcm, window_starts(job, pcm.size))


def window_log_mel(job: WindowJob) -> np.ndarray:
    """int32 Q16 log2 mel energies (:meth:`kwsc.Frontend.process_log_mel`) of every model window
    of a clip, shape (windows, frames, num_mel): the frontend's stage before the DCT, on the
    audio of :func:`window_audio` (not cached; for screening other model inputs)."""
    frontend = Frontend(job.frontend)
    frames = job.frontend.frame_count(job.features.window_samples(job.frontend))
    windows = [frontend.process_log_mel(audio) for audio in window_audio(job)]
    return np.stack(windows) if windows else np.zeros((0, frames, job.frontend.num_mel), np.int32)


def window_cepstra(job: WindowJob) -> np.ndarray:
    """int16 Q6 cepstra of every window of a clip, shape (windows, frames, coeffs) (cached).

    The windows not in the cache go through the C frontend in one :func:`kwsc.process_batch`
    call on one thread: the build's executor already runs one clip per worker process."""
    pcm = load_pcm(Path(job.store), job.sha256)
    width = job.features.window_samples(job.frontend)
    starts = window_starts(job, pcm.size)
    paths = [_cache_path(job, start) for start in starts]
    out: list[np.ndarray | None] = [np.load(path) if path.is_file() else None for path in paths]
    todo = [k for k, ceps in enumerate(out) if ceps is None]
    windows = _audio_at(job, pcm, [starts[k] for k in todo])
    computed = process_batch(windows, job.frontend, workers=1)
    for k, ceps in zip(todo, computed, strict=True):
        buffer = io.BytesIO()
        np.save(buffer, ceps)
        atomic_write_bytes(paths[k], buffer.getvalue())
        out[k] = ceps
    frames = job.frontend.frame_count(width)
    done = [ceps for ceps in out if ceps is not None]
    return np.stack(done) if done else np.zeros((0, frames, job.frontend.num_ceps), np.int16)


@dataclass(frozen=True)
class Normalization:
    """Per-coefficient statistics of the training windows (log2 units) and the int8 quantisation
    derived from them; ``relative_c0``: c0 is taken relative to its window first."""

    mean_log2: list[float]
    std_log2: list[float]
    windows: int
    quant: QuantParams
    relative_c0: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form for lineage.json and model metadata (``relative_c0`` only when set)."""
        out = {"mean_log2": self.mean_log2, "std_log2": self.std_log2, "windows": self.windows,
               "quant": self.quant.to_dict()}  # fmt: skip
        if self.relative_c0:
            out["relative_c0"] = True
        return out

    def quantize(self, frontend: Frontend, window_q6: np.ndarray) -> np.ndarray:
        """int8 model window (frames, coeffs) of one window's int16 Q6 cepstra (:func:`quantize_window`)."""
        return quantize_window(frontend, window_q6, self.quant, self.relative_c0)


def quantize_window(frontend: Frontend, window_q6: np.ndarray, quant: QuantParams, relative_c0: bool) -> np.ndarray:
    """int8 model window (frames, coeffs) of one window's int16 Q6 cepstra, as the detector feeds
    its model: the frontend's quantisation, then with ``relative_c0`` column 0 rewritten by the
    detector's C function from the window's c0."""
    q = frontend.quantize(window_q6, quant)
    if relative_c0:
        c0 = np.ascontiguousarray(window_q6[:, 0], np.int16)
        frames, coeffs = q.shape
        lib.kwsc_detect_relative_c0(ffi.from_buffer("int16_t[]", c0), frames, 0, quant._struct(),
                                    ffi.from_buffer("int8_t[]", q), coeffs)  # fmt: skip
    return q


def relative_c0_cepstra(windows_q6: np.ndarray) -> np.ndarray:
    """int32 copy of int16 Q6 cepstra windows (..., frames, coeffs) with c0 minus its window mean
    (the mean rounded half away from zero, the difference saturated to int16): what
    ``kwsc_detect_relative_c0`` quantises."""
    out = windows_q6.astype(np.int32)
    frames = out.shape[-2]
    total = out[..., 0].sum(axis=-1, dtype=np.int64)
    mean = np.sign(total) * ((2 * np.abs(total) + frames) // (2 * frames))
    out[..., 0] = np.clip(out[..., 0] - mean[..., None], -32768, 32767)
    return out


def learn_normalization(
    train_cepstra: list[np.ndarray], drop_coeffs: tuple[int, ...] = (), relative_c0: bool = False
) -> Normalization:
    """Mean/std per coefficient over all frames of the training windows (int16 Q6, each
    (windows, frames, coeffs)) -> QuantParams mapping +-4 standard deviations onto int8 (zero
    point 0); the coefficients in ``drop_coeffs`` get scale 0 and offset 0 (int8 value 0 whatever
    the input), their statistics still recorded; with ``relative_c0`` c0's statistics are those of
    c0 minus its window mean (:func:`relative_c0_cepstra`)."""
    prepared = [relative_c0_cepstra(c) if relative_c0 else c for c in train_cepstra if c.size]
    frames = np.concatenate([c.reshape(-1, c.shape[-1]) for c in prepared]) / 2**CEPS_Q
    if any(k >= frames.shape[1] for k in drop_coeffs):
        count = frames.shape[1]
        raise ConfigError(f"features.drop_coeffs {list(drop_coeffs)}: the frontend gives {count} coefficients")
    mean = frames.mean(axis=0)
    std = np.maximum(frames.std(axis=0), 1e-3)
    mean_r = [round(float(m), 6) for m in mean]
    std_r = [round(float(s), 6) for s in std]
    quant = QuantParams.from_affine(mean_r, [4.0 * s / 128.0 for s in std_r], zero_point=0)
    if drop_coeffs:
        keep = np.ones(frames.shape[1], bool)
        keep[list(drop_coeffs)] = False
        quant = QuantParams(np.where(keep, quant.offset_q6, 0), np.where(keep, quant.scale_q16, 0), quant.zero_point)
    return Normalization(mean_r, std_r, int(sum(c.shape[0] for c in train_cepstra)), quant, relative_c0)


def shard_tables(rows: list[dict[str, Any]], shard_rows: int) -> list[bytes]:
    """Parquet bytes of the window rows, ``shard_rows`` per shard (deterministic: rows in id order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shards = []
    for start in range(0, len(rows), shard_rows):
        part = rows[start : start + shard_rows]
        size = len(part[0]["features"]) if part else 0
        table = pa.table({
            "id": pa.array([r["id"] for r in part], pa.string()),
            "clip_id": pa.array([r["clip_id"] for r in part], pa.string()),
            "label": pa.array([r["label"] for r in part], pa.string()),
            "split": pa.array([r["split"] for r in part], pa.string()),
            "group": pa.array([r["group"] for r in part], pa.string()),
            "features": pa.array([r["features"] for r in part], pa.binary(size)),
            "frames": pa.array([r["frames"] for r in part], pa.int32()),
            "coeffs": pa.array([r["coeffs"] for r in part], pa.int32()),
        })  # fmt: skip
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        shards.append(buffer.getvalue())
    return shards


def iter_windows(
    version_dir: str | Path, split: str | None = None, batch_rows: int = 1024
) -> Iterator[tuple[np.ndarray, np.ndarray, list[str]]]:
    """Stream (features int8 (n, frames, coeffs), labels (n,) str, ids) batches from the shards
    of a dataset version, without loading everything (one row group at a time)."""
    import pyarrow.parquet as pq

    for shard in sorted((Path(version_dir) / "features").glob("part-*.parquet")):
        parquet = pq.ParquetFile(shard)
        for batch in parquet.iter_batches(batch_size=batch_rows):
            table = batch.to_pydict()
            keep = [k for k, s in enumerate(table["split"]) if split is None or s == split]
            if not keep:
                continue
            frames, coeffs = table["frames"][keep[0]], table["coeffs"][keep[0]]
            data = np.frombuffer(b"".join(table["features"][k] for k in keep), np.int8)
            yield (data.reshape(len(keep), frames, coeffs), np.array([table["label"][k] for k in keep]),
                   [table["id"][k] for k in keep])  # fmt: skip


def load_windows(version_dir: str | Path, split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All windows of a split as one (features, labels) pair (for small datasets and tests)."""
    parts = list(iter_windows(version_dir, split))
    if not parts:
        return np.zeros((0, 0, 0), np.int8), np.zeros(0, str)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def window_ids(version_dir: str | Path, split: str) -> list[str]:
    """The ids (``<clip id>#w<k>``) of a split's windows, in :func:`load_windows` order."""
    import pyarrow.parquet as pq

    ids: list[str] = []
    for shard in sorted((Path(version_dir) / "features").glob("part-*.parquet")):
        table = pq.read_table(shard, columns=["id", "split"]).to_pydict()
        ids.extend(i for i, s in zip(table["id"], table["split"], strict=True) if s == split)
    return ids


def tf_dataset(
    version_dir: str | Path,
    split: str,
    labels: list[str],
    batch_rows: int = 1024,
    spec_augment: Any = None,
    seed: int = 0,
) -> Any:
    """A ``tf.data.Dataset`` of (int8 features (frames, coeffs), label index) streamed from the
    shards, one Parquet row group at a time (requires TensorFlow).

    Args:
        version_dir: the dataset version's folder.
        split: "train", "validation" or "test".
        labels: label names in class-index order (e.g. the keywords, then "_negative", "_noise").
        batch_rows: rows read per step from the shards (memory bound, not the training batch).
        spec_augment: a :class:`kwsc.augment.AugmentConfig` to mask time frames and coefficients
            of every window (SpecAugment, training only; masks filled with int8 0, the learned mean).
        seed: seed of the masks; iteration ``k`` over the dataset (epoch ``k``) draws from
            ``(seed, k)``, so epochs differ and a rerun repeats them.
    """
    import tensorflow as tf

    from kwsc.augment import spec_augment as mask

    index = {name: k for k, name in enumerate(labels)}
    first = next(iter_windows(version_dir, split, 1), None)
    if first is None:
        raise ValueError(f"no {split} windows in {version_dir}")
    frames, coeffs = first[0].shape[1:]
    epochs = itertools.count()

    def generate() -> Iterator[tuple[np.ndarray, int]]:
        rng = np.random.default_rng([seed, next(epochs)])
        for features, names, _ids in iter_windows(version_dir, split, batch_rows):
            if spec_augment is not None:
                features = mask(features, rng, spec_augment)
            for window, name in zip(features, names, strict=True):
                if str(name) not in index:
                    raise ValueError(f"label {name!r} of {split} windows is not in labels {labels}")
                yield window, index[str(name)]

    signature = (tf.TensorSpec((frames, coeffs), tf.int8), tf.TensorSpec((), tf.int32))
    return tf.data.Dataset.from_generator(generate, output_signature=signature)


def config_dict(config: FeatureConfig) -> dict[str, Any]:
    """Plain dict, for lineage."""
    return asdict(config)
