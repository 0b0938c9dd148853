"""Recording validation: the C validator (csrc/kwsc_validate.*) on the host.

The same C code gates every recording that enters a dataset and checks a user's enrollment
takes on the device, so both accept the same recordings. This module wraps it: thresholds in
human units (:class:`ValidateConfig`), results as dataclasses (:class:`Validation`) and as
manifest rows, files (with clear reasons for undecodable, empty, wrong-rate or multichannel
input), many files in parallel, and enrollment sets (:func:`check_enrollment`), whose takes are
compared with the C fixed-point DTW.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from kwsc import reference
from kwsc._kwsc_c import ffi, lib
from kwsc.config import ConfigError, FrontendConfig, check_keys
from kwsc.frontend import CEPS_Q, Frontend, FrontendError, to_int16

#: Checks of one recording, in bit order of KWSC_REASON_* (csrc/kwsc_validate.h).
RECORDING_REASONS = (
    "too_quiet",
    "too_loud",
    "clipped",
    "dc_offset",
    "no_speech",
    "multiple_utterances",
    "too_short",
    "too_long",
    "truncated_start",
    "truncated_end",
    "low_snr",
    "band_limited",
    "hum",
    "tonal_noise",
)
#: Enrollment: this take is not the same phrase as the others.
INCONSISTENT = "inconsistent_take"
#: Host-side reasons: the file never reached the validator.
FILE_REASONS = ("unreadable", "empty", "wrong_sample_rate", "multichannel")


@dataclass(frozen=True)
class ValidateConfig:
    """Validator thresholds, in dBFS, dB, ms and fractions (converted to the C config's Q8).

    ``checks`` names the checks that may reject a recording (default: all); metrics are
    measured either way. Band-dependent checks are placed by the frontend config's mel bands.
    """

    min_speech_dbfs: float = -40.0
    max_speech_dbfs: float = -6.0
    clip_level: int = 32000
    max_clip_run: int = 3
    max_clipped_fraction: float = 0.001
    max_dc_offset: float = 0.01
    min_speech_ms: int = 300
    max_speech_ms: int = 1200
    min_lead_ms: int = 100
    min_trail_ms: int = 100
    vad_merge_ms: int = 200
    vad_min_run_ms: int = 60
    vad_floor_percentile: int = 10
    vad_min_rise_db: float = 6.0
    vad_rise_fraction: float = 0.3
    min_snr_db: float = 20.0
    high_band_hz: float = 4000.0
    min_high_band_db: float = -55.0
    hum_below_hz: float = 300.0
    max_tonality_db: float = 15.0
    min_background_dbfs: float = -70.0
    max_duration_s: float = 5.0
    checks: tuple[str, ...] = RECORDING_REASONS

    def __post_init__(self) -> None:
        unknown = sorted(set(self.checks) - set(RECORDING_REASONS))
        if unknown:
            raise ConfigError(f"unknown validate check(s): {', '.join(unknown)}")
        if not 0 < self.max_duration_s <= 600:
            raise ConfigError("validate.max_duration_s must be in (0, 600]")
        if not 0 <= self.vad_rise_fraction <= 1 or not 0 <= self.max_clipped_fraction <= 1:
            raise ConfigError("validate fractions must be in [0, 1]")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidateConfig:
        """From a ``[validate]`` table; unknown keys are an error."""
        check_keys(data, {f.name for f in fields(cls)}, "validate")
        data = dict(data)
        if "checks" in data:
            data["checks"] = tuple(data["checks"])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, for lineage."""
        data = asdict(self)
        data["checks"] = list(self.checks)
        return data

    def to_c(self, frontend: FrontendConfig) -> Any:
        """The C kwsc_validate_config for a frontend config (band indexes from its mel bands)."""
        centres = reference.mel_points_hz(frontend)[1:-1]
        high = np.flatnonzero(centres >= self.high_band_hz)
        low = np.flatnonzero(centres < self.hum_below_hz)
        if high.size == 0 or low.size == 0 or low[-1] >= high[0]:
            raise ConfigError("validate: high_band_hz and hum_below_hz must fall inside the mel range, in order")
        c = ffi.new("kwsc_validate_config *")
        c.checks = sum(1 << RECORDING_REASONS.index(name) for name in self.checks)
        c.max_frames = round(self.max_duration_s * frontend.sample_rate_hz / frontend.hop_samples)
        c.hop_samples = frontend.hop_samples
        c.min_speech_dbfs_q8 = round(self.min_speech_dbfs * 256)
        c.max_speech_dbfs_q8 = round(self.max_speech_dbfs * 256)
        c.clip_level = self.clip_level
        c.max_clip_run = self.max_clip_run
        c.max_clipped_ppm = round(self.max_clipped_fraction * 1e6)
        c.max_dc_offset = round(self.max_dc_offset * 32768)
        c.min_speech_ms, c.max_speech_ms = self.min_speech_ms, self.max_speech_ms
        c.min_lead_ms, c.min_trail_ms = self.min_lead_ms, self.min_trail_ms
        c.vad_merge_ms, c.vad_min_run_ms = self.vad_merge_ms, self.vad_min_run_ms
        c.vad_floor_percentile = self.vad_floor_percentile
        c.vad_min_rise_db_q8 = round(self.vad_min_rise_db * 256)
        c.vad_rise_q15 = round(self.vad_rise_fraction * 32768)
        c.min_snr_db_q8 = round(self.min_snr_db * 256)
        c.high_band_first = int(high[0])
        c.min_high_band_db_q8 = round(self.min_high_band_db * 256)
        c.hum_band_last = int(low[-1])
        c.max_tonality_db_q8 = round(self.max_tonality_db * 256)
        c.min_background_dbfs_q8 = round(self.min_background_dbfs * 256)
        if lib.kwsc_validate_config_check(c) != 0:
            raise ConfigError("validate config out of range")
        return c


#: Metric name -> (C field, scale to human units). Q8 fields become dB / dBFS.
_METRICS = {
    "duration_ms": None,
    "rms_dbfs": ("rms_dbfs_q8", 1 / 256),
    "peak_dbfs": ("peak_dbfs_q8", 1 / 256),
    "speech_dbfs": ("speech_dbfs_q8", 1 / 256),
    "background_dbfs": ("background_dbfs_q8", 1 / 256),
    "snr_db": ("snr_db_q8", 1 / 256),
    "dc_offset": ("dc_offset_q8", 1 / 256 / 32768),
    "clipped_fraction": ("clipped_ppm", 1e-6),
    "max_clip_run": ("max_clip_run", 1),
    "speech_runs": ("speech_runs", 1),
    "speech_start_ms": ("speech_start_ms", 1),
    "speech_end_ms": ("speech_end_ms", 1),
    "lead_ms": ("lead_ms", 1),
    "trail_ms": ("trail_ms", 1),
    "high_band_db": ("high_band_db_q8", 1 / 256),
    "tonality_db": ("tonality_db_q8", 1 / 256),
    "tonal_band": ("tonal_band", 1),
}


@dataclass(frozen=True)
class Validation:
    """Verdict on one recording: ``status`` "accepted" or "rejected", every failed reason
    (codes from RECORDING_REASONS, FILE_REASONS or "inconsistent_take"), and metrics in human
    units (dBFS, dB, ms, fractions); ``raw`` holds the C metrics' integers for bit-exact checks."""

    path: str | None
    status: str
    reasons: tuple[str, ...]
    metrics: dict[str, float] = field(default_factory=dict)
    raw: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def accepted(self) -> bool:
        """True when no check failed."""
        return self.status == "accepted"

    def to_record(self) -> dict[str, Any]:
        """JSON-ready record: path, status, reasons, metrics (and the error for unreadable files)."""
        record: dict[str, Any] = {"path": self.path, "status": self.status, "reasons": list(self.reasons)}
        record.update(self.metrics)
        if self.error:
            record["error"] = self.error
        return record

    def to_row(self) -> dict[str, Any]:
        """A dataset-manifest row: status, reason (";"-joined codes, "" when accepted), metrics."""
        row: dict[str, Any] = {"status": self.status, "reason": ";".join(self.reasons)}
        row.update({f"v_{k}": v for k, v in self.metrics.items()})
        return row

    def explain(self, config: ValidateConfig | None = None) -> list[str]:
        """Plain-language sentences, one per failed reason, quoting ``config``'s thresholds."""
        return [explain(reason, self.metrics, self.error, config) for reason in self.reasons]

    def speech_span_s(self, duration_s: float) -> tuple[float, float]:
        """The speech the validator found, as (start, end) in seconds, or the whole recording of
        ``duration_s`` seconds when it found none (see :func:`speech_span_s`)."""
        return speech_span_s(self.metrics.get("speech_start_ms"), self.metrics.get("speech_end_ms"), duration_s)


def speech_span_s(start_ms: float | None, end_ms: float | None, duration_s: float) -> tuple[float, float]:
    """A validator speech span (ms) as (start, end) in seconds; the whole recording (0, ``duration_s``)
    when there is none: a missing, NaN or empty span (the validator found no speech, or a manifest
    row predates the metrics). Keyword windows, augmentation and evaluation trials are placed by it."""
    if start_ms is None or end_ms is None or not (np.isfinite(start_ms) and np.isfinite(end_ms)) or end_ms <= start_ms:
        return 0.0, float(duration_s)
    return start_ms / 1000, end_ms / 1000


def explain(
    reason: str, metrics: dict[str, float], error: str | None = None, config: ValidateConfig | None = None
) -> str:
    """One sentence a user can act on, e.g. "too much background noise: SNR 12 dB, need 20 dB",
    quoting the thresholds of ``config`` (the defaults when None)."""
    m = metrics
    defaults = config or ValidateConfig()
    text = {
        "too_quiet": f"too quiet: speech at {m.get('speech_dbfs', 0):.0f} dBFS, need at least "
        f"{defaults.min_speech_dbfs:.0f} dBFS; speak up or move closer",
        "too_loud": f"too loud: speech at {m.get('speech_dbfs', 0):.0f} dBFS, at most "
        f"{defaults.max_speech_dbfs:.0f} dBFS; move back a little",
        "clipped": f"distorted: {100 * m.get('clipped_fraction', 0):.2f} % of samples at full scale "
        f"(longest run {m.get('max_clip_run', 0):.0f}); speak softer or lower the gain",
        "dc_offset": f"microphone offset: the signal sits {100 * m.get('dc_offset', 0):.1f} % off zero",
        "no_speech": "no speech found",
        "multiple_utterances": f"{m.get('speech_runs', 0):.0f} separate utterances; say the phrase once",
        "too_short": f"too short: {m.get('speech_end_ms', 0) - m.get('speech_start_ms', 0):.0f} ms of speech",
        "too_long": f"too long: {m.get('speech_end_ms', 0) - m.get('speech_start_ms', 0):.0f} ms of speech "
        "(or the recording is longer than the validator analyses)",
        "truncated_start": f"cut off at the start: only {m.get('lead_ms', 0):.0f} ms before the speech; "
        "wait a moment before speaking",
        "truncated_end": f"cut off at the end: only {m.get('trail_ms', 0):.0f} ms after the speech; "
        "wait a moment before stopping",
        "low_snr": f"too much background noise: SNR {m.get('snr_db', 0):.0f} dB, need {defaults.min_snr_db:.0f} dB",
        "band_limited": f"sounds band-limited (phone or 8 kHz audio): above {defaults.high_band_hz / 1000:.0f} kHz "
        f"only {m.get('high_band_db', 0):.0f} dB, need {defaults.min_high_band_db:.0f} dB",
        "hum": f"mains hum in the background ({m.get('tonality_db', 0):.0f} dB above the rest)",
        "tonal_noise": f"a tone in the background ({m.get('tonality_db', 0):.0f} dB above the rest)",
        INCONSISTENT: "not the same phrase as the other takes",
        "unreadable": f"cannot read the file ({error})",
        "empty": "the file has no audio",
        "wrong_sample_rate": f"wrong sample rate: {error}",
        "multichannel": f"more than one channel: {error}",
    }
    return text.get(reason, reason)


class Validator:
    """The C validator with its own frontend, reusable across recordings (one per thread)."""

    def __init__(self, config: ValidateConfig | None = None, frontend_config: FrontendConfig | None = None) -> None:
        self.config = config or ValidateConfig()
        self.frontend = Frontend(frontend_config)
        self._c_config = self.config.to_c(self.frontend.config)
        size = int(lib.kwsc_validate_memory_bytes(self._c_config))
        self._memory = np.zeros((size + 7) // 8, dtype=np.uint64)
        self._fe_state = self.frontend._fresh_state()
        handle = ffi.new("kwsc_validator **")
        status = lib.kwsc_validate_init(
            handle, ffi.from_buffer(self._memory), size, self._c_config, self._fe_state.fe,
            self.frontend._c_tables.struct.log2_lut_q16,
        )  # fmt: skip
        if status != 0:
            raise FrontendError(f"kwsc_validate_init failed with status {status}")
        self._v = handle[0]
        self.memory_bytes = size

    def raw(self, pcm: Any, chunk_samples: int | None = None) -> dict[str, int]:
        """The C metrics struct of one recording, as integers; pushed in chunks of
        ``chunk_samples`` if given (the result does not depend on the chunking)."""
        samples = to_int16(pcm, allow_empty=True)
        step = chunk_samples or max(samples.size, 1)
        lib.kwsc_validate_reset(self._v)
        for start in range(0, samples.size, step):
            piece = samples[start : start + step]
            lib.kwsc_validate_push(self._v, ffi.from_buffer("int16_t[]", piece), piece.size)
        metrics = ffi.new("kwsc_validate_metrics *")
        lib.kwsc_validate_finish(self._v, metrics)
        return {name: int(getattr(metrics, name)) for name in dir(metrics)}

    def validate(self, pcm: Any, path: str | None = None) -> Validation:
        """Validate one 16 kHz mono recording (int16, or float in [-1, 1])."""
        raw = self.raw(pcm)
        reasons = tuple(name for bit, name in enumerate(RECORDING_REASONS) if raw["reasons"] >> bit & 1)
        if raw["num_samples"] == 0:
            reasons = ("empty",)
        metrics = {
            name: (raw[spec[0]] * spec[1] if spec else raw["num_samples"] * 1000 / self.frontend.config.sample_rate_hz)
            for name, spec in _METRICS.items()
        }
        return Validation(path, "rejected" if reasons else "accepted", reasons, metrics, raw)


_local = threading.local()


def _validator(config: ValidateConfig, frontend_config: FrontendConfig) -> Validator:
    cache = getattr(_local, "validators", None)
    if cache is None:
        cache = _local.validators = {}
    key = (config, frontend_config)
    if key not in cache:
        cache[key] = Validator(config, frontend_config)
    return cache[key]


def validate_array(
    pcm: Any, config: ValidateConfig | None = None, frontend_config: FrontendConfig | None = None
) -> Validation:
    """Validate one recording given as an array (16 kHz mono)."""
    return _validator(config or ValidateConfig(), frontend_config or FrontendConfig()).validate(pcm)


def _rejected(path: str, reason: str, error: str) -> Validation:
    return Validation(path, "rejected", (reason,), {}, {}, error)


def load_audio(
    path: str | os.PathLike[str], sample_rate_hz: int = 16000, resample: bool = False, downmix: bool = False
) -> np.ndarray:
    """Decode a file to mono int16 at ``sample_rate_hz``.

    Raises ValueError("<reason>: <detail>") with a reason from FILE_REASONS. Resampling (soxr,
    high quality) and downmixing (channel mean) happen only when asked for.
    """
    import soundfile

    try:
        data, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    except Exception as exc:  # soundfile raises several types for unreadable files
        raise ValueError(f"unreadable: {exc}") from exc
    if data.shape[0] == 0:
        raise ValueError("empty: no samples")
    if data.shape[1] > 1:
        if not downmix:
            raise ValueError(f"multichannel: {data.shape[1]} channels (downmix not enabled)")
        data = data.mean(axis=1, keepdims=True)
    mono = data[:, 0]
    if rate != sample_rate_hz:
        if not resample:
            raise ValueError(f"wrong_sample_rate: {rate} Hz, need {sample_rate_hz} Hz (resampling not enabled)")
        import soxr

        mono = soxr.resample(mono, rate, sample_rate_hz, quality="VHQ")
    return np.clip(np.rint(mono * 32768.0), -32768, 32767).astype(np.int16)


def validate_file(
    path: str | os.PathLike[str],
    config: ValidateConfig | None = None,
    frontend_config: FrontendConfig | None = None,
    resample: bool = False,
    downmix: bool = False,
) -> Validation:
    """Validate one audio file; undecodable, empty, wrong-rate or multichannel files are rejected
    with that reason (never an exception)."""
    frontend_config = frontend_config or FrontendConfig()
    try:
        pcm = load_audio(path, frontend_config.sample_rate_hz, resample, downmix)
    except ValueError as exc:
        reason, _, detail = str(exc).partition(": ")
        return _rejected(str(path), reason, detail)
    result = _validator(config or ValidateConfig(), frontend_config).validate(pcm, str(path))
    return result


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, and the audio files under folders (sorted); a missing path is kept, so
    it is reported as unreadable rather than silently skipped."""
    suffixes = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au"}
    out: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            out.extend(sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        else:
            out.append(item)
    return out


def validate_files(
    paths: Sequence[str | os.PathLike[str]],
    config: ValidateConfig | None = None,
    frontend_config: FrontendConfig | None = None,
    resample: bool = False,
    downmix: bool = False,
    workers: int | None = None,
) -> list[Validation]:
    """Validate many files in parallel threads (decoding and the C validator release the GIL);
    results in input order."""
    files = list(paths)

    def one(path: str | os.PathLike[str]) -> Validation:
        return validate_file(path, config, frontend_config, resample, downmix)

    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(files) < 2:
        return [one(p) for p in files]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, files))


#: Cepstra compared between enrollment takes: c1..c12 (c0 is the level).
DTW_FIRST, DTW_DIMS = 1, 12


@dataclass(frozen=True)
class EnrollmentCheck:
    """Per-take verdicts (with "inconsistent_take" added to the odd one out) and distances."""

    takes: list[Validation]
    nearest_distance: list[float | None]  # DTW distance to the closest other take, log2 units
    consistent: bool  # compared, and no take is the odd one out
    compared: bool  # at least three takes passed their own checks, so they could be compared


def _speech_cepstra(frontend: Frontend, pcm: np.ndarray, result: Validation) -> np.ndarray:
    ceps = frontend.process(pcm) if pcm.size >= frontend.config.window_samples else np.zeros((0, 13), np.int16)
    if result.raw.get("speech_runs", 0) == 0:
        return ceps
    hop_ms = frontend.config.hop_samples * 1000 / frontend.config.sample_rate_hz
    start = int(result.raw["speech_start_ms"] / hop_ms)
    end = int(np.ceil(result.raw["speech_end_ms"] / hop_ms))
    return np.ascontiguousarray(ceps[start : max(end, start + 1)])


def dtw_distance_raw(a: np.ndarray, b: np.ndarray, first: int = DTW_FIRST, dims: int = DTW_DIMS, band: int = 50) -> int:
    """kwsc_dtw_distance on two int16 sequences (frames, stride) of equal stride: the Q8 value
    the C returns (KWSC_DTW_INFINITE for an empty sequence or invalid arguments)."""
    a = np.ascontiguousarray(a, dtype=np.int16)
    b = np.ascontiguousarray(b, dtype=np.int16)
    scratch = np.zeros(2 * (2 * band + 1), np.int32)
    return int(
        lib.kwsc_dtw_distance(
            ffi.from_buffer("int16_t[]", a), a.shape[0], ffi.from_buffer("int16_t[]", b), b.shape[0],
            a.shape[1], first, dims, band, ffi.from_buffer("int32_t[]", scratch),
        )
    )  # fmt: skip


def dtw_distance(a: np.ndarray, b: np.ndarray, band: int = 50) -> float | None:
    """Fixed-point DTW distance (C) between two cepstra sequences (int16 Q6), c1..c12, mean-
    normalised; log2 units per path step, or None for an empty sequence."""
    value = dtw_distance_raw(a, b, DTW_FIRST, DTW_DIMS, band)
    return None if value == lib.KWSC_DTW_INFINITE else value / 256 / 2**CEPS_Q


def enroll_consistency_raw(
    sequences: Sequence[np.ndarray], first: int, dims: int, band: int, ratio_q8: int, min_distance_q8: int
) -> tuple[list[int], int]:
    """kwsc_enroll_consistency on int16 sequences (frames, stride): the Q8 nearest distances and
    the outlier bit mask, exactly as the C returns them (the device runs the same call)."""
    seqs = [np.ascontiguousarray(s, dtype=np.int16) for s in sequences]
    ptrs = ffi.new("int16_t *[]", [ffi.from_buffer("int16_t[]", s) for s in seqs])
    frames = ffi.new("uint16_t[]", [s.shape[0] for s in seqs])
    scratch = np.zeros(2 * (2 * band + 1), np.int32)
    near = ffi.new("int32_t[]", len(seqs))
    outliers = ffi.new("uint32_t *")
    status = lib.kwsc_enroll_consistency(
        ffi.cast("const int16_t *const *", ptrs), frames, len(seqs), seqs[0].shape[1], first, dims, band, ratio_q8,
        min_distance_q8, ffi.from_buffer("int32_t[]", scratch), near, outliers,
    )  # fmt: skip
    if status != 0:
        raise FrontendError(f"kwsc_enroll_consistency failed with status {status}")
    return [int(near[k]) for k in range(len(seqs))], int(outliers[0])


def check_enrollment(
    takes: Sequence[Any],
    config: ValidateConfig | None = None,
    frontend_config: FrontendConfig | None = None,
    band: int = 50,
    ratio: float = 2.0,
    min_distance: float = 12.0,
) -> EnrollmentCheck:
    """Validate each take (an array or a file path) and check they are the same phrase.

    With three or more takes that pass their own checks, a take whose DTW distance to its
    nearest other take exceeds ``ratio`` times the median of those nearest distances is
    "inconsistent_take": the others agree with each other, it agrees with none of them; it must
    also be more than ``min_distance`` log2 units away (DTW per path step over c1..c12): two
    takes of one word by one voice measure 5-10, another word 20-45. Resampling and downmixing
    are off.
    """
    config = config or ValidateConfig()
    frontend_config = frontend_config or FrontendConfig()
    validator = _validator(config, frontend_config)
    results: list[Validation] = []
    cepstra: list[np.ndarray] = []
    for take in takes:
        if isinstance(take, (str, os.PathLike)):
            try:
                pcm = load_audio(take, frontend_config.sample_rate_hz)
            except ValueError as exc:
                reason, _, detail = str(exc).partition(": ")
                results.append(_rejected(str(take), reason, detail))
                cepstra.append(np.zeros((0, frontend_config.num_ceps), np.int16))
                continue
            name: str | None = str(take)
        else:
            pcm, name = to_int16(take), None
        result = validator.validate(pcm, name)
        results.append(result)
        cepstra.append(_speech_cepstra(validator.frontend, pcm, result))
    nearest: list[float | None] = [None] * len(results)
    # Only takes that pass their own checks are compared: a noisy or band-limited take's cepstra
    # would make it look like another phrase, which is the wrong advice to give.
    usable = [i for i, c in enumerate(cepstra) if c.shape[0] > 0 and results[i].accepted]
    if 3 <= len(usable) <= lib.KWSC_ENROLL_MAX_TAKES:
        near, outliers = enroll_consistency_raw(
            [cepstra[i] for i in usable], DTW_FIRST, DTW_DIMS, band, round(ratio * 256),
            round(min_distance * 256 * 2**CEPS_Q),
        )  # fmt: skip
        for k, i in enumerate(usable):
            nearest[i] = None if near[k] == lib.KWSC_DTW_INFINITE else near[k] / 256 / 2**CEPS_Q
            if outliers >> k & 1:
                r = results[i]
                results[i] = Validation(r.path, "rejected", (*r.reasons, INCONSISTENT), r.metrics, r.raw, r.error)
    compared = 3 <= len(usable) <= lib.KWSC_ENROLL_MAX_TAKES
    return EnrollmentCheck(results, nearest, compared and not any(INCONSISTENT in r.reasons for r in results), compared)
