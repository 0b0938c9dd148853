"""Ingestion: an item's audio -> 16 kHz mono int16 -> content-addressed FLAC -> validator verdict.

For every :class:`~kwsc.sources.SourceItem`: produce its audio (decode a file or synthesize),
downmix if the source allows it, resample to 16 kHz with soxr (VHQ) when needed, convert to
int16 (x * 32768, rounded to nearest with ties to even, saturated), store it as FLAC under
``<store>/cache/audio/<sha256 of the int16 samples>.flac`` and run the C validator with the
thresholds of the item's kind. An item that cannot be produced or decoded is a rejected record
with its error (reasons "unreadable", "source_error", "empty", "multichannel"), never a crash.

Every result is cached under a key of (input content, ingest parameters, validator config,
frontend config, INGEST_VERSION), written atomically, so a rebuild reuses it and an
interrupted build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kwsc import numerics
from kwsc.config import FrontendConfig
from kwsc.sources import Audio, SourceItem, canonical_json, load_items
from kwsc.validate import ValidateConfig, validate_array

#: Bump when ingest's output for the same input and config changes (invalidates the cache).
INGEST_VERSION = 1


@dataclass(frozen=True)
class IngestParams:
    """How audio is normalised: target rate (Hz) and whether multichannel input is downmixed."""

    sample_rate_hz: int = 16000
    downmix: bool = False


@dataclass(frozen=True)
class IngestResult:
    """One item's ingestion: PCM hash (None if no audio), duration (s), verdict and metrics."""

    id: str
    input_key: str
    cache_key: str
    sha256: str | None
    duration_s: float
    status: str
    reasons: tuple[str, ...]
    metrics: dict[str, float] = field(default_factory=dict)
    raw: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    from_cache: bool = field(default=False, compare=False)  # read from the cache, not computed


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename: readers never see half a file,
    and two writers of the same content cannot corrupt it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def audio_path(store: Path, sha256: str) -> Path:
    """Where the FLAC with this PCM hash lives in the store's cache."""
    return store / "cache" / "audio" / sha256[:2] / f"{sha256}.flac"


def load_pcm(store: Path, sha256: str) -> np.ndarray:
    """The cached int16 samples with this hash (FLAC is lossless, so they are exact)."""
    import soundfile

    data, _ = soundfile.read(str(audio_path(store, sha256)), dtype="int16")
    return data


def store_pcm(store: Path, pcm: np.ndarray, sample_rate_hz: int) -> str:
    """Put int16 samples into the store's audio cache (FLAC, written atomically); their sha256
    (of the little-endian int16 bytes), which names them there."""
    import soundfile

    sha = hashlib.sha256(np.asarray(pcm, dtype="<i2").tobytes()).hexdigest()
    flac = audio_path(store, sha)
    if not flac.is_file():
        flac.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=flac.parent, prefix=f".{sha}.", suffix=".flac")
        os.close(fd)
        try:
            soundfile.write(tmp, pcm, sample_rate_hz, format="FLAC", subtype="PCM_16")
            os.replace(tmp, flac)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return sha


def to_int16(samples: np.ndarray) -> np.ndarray:
    """float in [-1, 1) -> int16: * 32768, round half to even, saturate."""
    return np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)


def cache_key(item: SourceItem, params: IngestParams, validate: ValidateConfig, frontend: FrontendConfig) -> str:
    """Key of an item's ingest result: its input content and everything that shapes the result."""
    parts = {
        "input": item.input_key(),
        "params": asdict(params),
        "validate": validate.to_dict(),
        "frontend": frontend.to_dict(),
        "version": INGEST_VERSION,
    }
    parts.update(numerics.changed_numerics())  # results of other C numerics (validator, frontend) are not reused
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()


def _result_path(store: Path, key: str) -> Path:
    return store / "cache" / "ingest" / key[:2] / f"{key}.json"


def _rejected(item: SourceItem, key: str, reason: str, error: str) -> IngestResult:
    return IngestResult(item.id, item.input_key(), key, None, 0.0, "rejected", (reason,), error=error)


def ingest_item(
    item: SourceItem,
    store: str | Path,
    params: IngestParams,
    validate: ValidateConfig,
    frontend: FrontendConfig,
) -> IngestResult:
    """Ingest one item (pure and cached: a second call with the same inputs reads the cache)."""
    return ingest_batch([item], store, [params], [validate], frontend)[0]


def ingest_batch(
    items: list[SourceItem],
    store: str | Path,
    params: list[IngestParams],
    validate: list[ValidateConfig],
    frontend: FrontendConfig,
) -> list[IngestResult]:
    """Ingest several items: cached ones are read back; the others' audio is produced together
    (batch loaders, e.g. one festival process per voice) and each is finished and cached."""
    store = Path(store)
    keys = [cache_key(i, p, v, frontend) for i, p, v in zip(items, params, validate, strict=True)]
    results: list[IngestResult | None] = []
    for item, key in zip(items, keys, strict=True):
        cached = _result_path(store, key)
        if cached.is_file():
            data = json.loads(cached.read_text())
            data["reasons"] = tuple(data["reasons"])
            results.append(IngestResult(**{**data, "id": item.id, "from_cache": True}))
        else:
            results.append(None)
    todo = [k for k, r in enumerate(results) if r is None]
    for k, audio in zip(todo, load_items([items[k] for k in todo]), strict=True):
        result = _finish(items[k], audio, store, keys[k], params[k], validate[k], frontend)
        record = asdict(result)
        record.pop("from_cache")
        atomic_write_bytes(_result_path(store, keys[k]), json.dumps(record, sort_keys=True).encode())
        results[k] = result
    return [r for r in results if r is not None]


def _finish(
    item: SourceItem,
    audio: Audio | Exception,
    store: Path,
    key: str,
    params: IngestParams,
    validate: ValidateConfig,
    frontend: FrontendConfig,
) -> IngestResult:
    """Normalise produced audio (or record why there is none), store it, validate it."""
    import soxr

    if isinstance(audio, ValueError):
        reason, _, detail = str(audio).partition(": ")
        if reason in ("unreadable", "empty", "multichannel"):
            return _rejected(item, key, reason, detail)
        return _rejected(item, key, "source_error", str(audio))
    if isinstance(audio, Exception):  # a failing engine or a broken recipe: recorded, never a crash
        return _rejected(item, key, "source_error", f"{type(audio).__name__}: {audio}")
    samples = np.asarray(audio.samples, dtype=np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.shape[0] == 0:
        return _rejected(item, key, "empty", "no samples")
    if samples.shape[1] > 1:
        if not params.downmix:
            return _rejected(item, key, "multichannel", f"{samples.shape[1]} channels (downmix not enabled)")
        samples = samples.mean(axis=1, keepdims=True)
    mono = samples[:, 0]
    if audio.sample_rate_hz != params.sample_rate_hz:
        mono = soxr.resample(mono, audio.sample_rate_hz, params.sample_rate_hz, quality="VHQ")
    pcm = to_int16(mono)
    sha = store_pcm(store, pcm, params.sample_rate_hz)
    verdict = validate_array(pcm, validate, frontend)
    metrics = {k: float(v) for k, v in verdict.metrics.items()}
    return IngestResult(
        item.id, item.input_key(), key, sha, pcm.size / params.sample_rate_hz, verdict.status, verdict.reasons,
        metrics, verdict.raw,
    )  # fmt: skip


def ingest_call(
    args: tuple[list[SourceItem], str, list[IngestParams], list[ValidateConfig], FrontendConfig],
) -> list[IngestResult]:
    """ingest_batch on a tuple of arguments: the picklable unit of work for kwsc.executor."""
    return ingest_batch(*args)
