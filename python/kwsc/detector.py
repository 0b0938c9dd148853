"""Streaming keyword detection with the device's C detector (csrc/kwsc_detect.*).

PCM goes through the same C code the firmware runs: the fixed-point frontend, the int8
quantisation, a ring of the last W frames (W = the model's input frames, 49 for 1 s windows),
the INT8 model every N frames, a moving average of the keyword probabilities, and a threshold
with a refractory period. Host results are therefore the device's, bit for bit.

The rules (exactly what csrc/kwsc_detect.h implements; frames are 0-based since the start):

* **Inference** after frame ``f`` when ``f + 1 >= W`` and ``(f + 1 - W) % N == 0``; the window
  is frames ``f - W + 1 .. f``. Its time is the end of the window in seconds:
  ``(f * hop_samples + window_samples) / sample_rate_hz`` (0.99 s for the first one with
  the defaults: frame 48, then every 80 ms).
* **Smoothing**: an int8 softmax output ``q`` is the probability ``(q + 128) / 256``. The
  smoothed probability of keyword ``k`` in Q8 (0..255) is the mean of ``q_k + 128`` over the
  last ``m = min(smooth_inferences, inferences so far)`` inferences, rounded half up in integers:
  ``(2 * sum + m) // (2 * m)``. As a probability it is that value / 256.
* **Detection** of keyword ``k`` when its smoothed Q8 value ``>= threshold_q8`` (the threshold
  probability x 256, rounded half up) and, unless it is the first detection, at least
  ``refractory_frames`` frames have passed since the previous detection's frame. If several
  keywords qualify, the largest smoothed value wins, ties to the lowest index.

Keywords are the model's first K classes (``meta.json`` ``"keywords"``, which lead
``"labels"``); at most :data:`MAX_KEYWORDS`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from kwsc import numerics
from kwsc._kwsc_c import ffi, lib
from kwsc.config import ConfigError, FrontendConfig, check_keys
from kwsc.frontend import Frontend, QuantParams, to_int16
from kwsc.runtime import Runtime

#: Most keywords one detector tracks (``KWSC_DETECT_MAX_KEYWORDS``).
MAX_KEYWORDS = int(lib.KWSC_DETECT_MAX_KEYWORDS)
#: Longest moving average, in inferences (``KWSC_DETECT_MAX_SMOOTH``).
MAX_SMOOTH = int(lib.KWSC_DETECT_MAX_SMOOTH)
#: Threshold used when neither the config nor the model's meta.json gives one (probability).
DEFAULT_THRESHOLD = 0.5

_STATUS = {
    -1: "a required pointer was NULL",
    -2: "config out of range, or the model does not fit the frontend/detector",
    -3: "memory too small or misaligned",
    -4: "frontend tables do not match the config",
    -5: "quantisation parameters out of range or of the wrong length",
}

#: NumPy view of ``kwsc_detect_record`` (16 bytes, the same on host and Cortex-M4).
RECORD_DTYPE = np.dtype(
    [("frame", "<u4"), ("prob_q8", "u1", (MAX_KEYWORDS,)), ("keyword", "i1"), ("reserved", "u1", (3,))]
)
assert RECORD_DTYPE.itemsize == ffi.sizeof("kwsc_detect_record")


class DetectError(ValueError):
    """A model folder, audio input or configuration the detector cannot use."""


def threshold_q8(threshold: float) -> int:
    """Probability in [0, 1] -> the detector's Q8 threshold (x 256, rounded half up; 256 never fires)."""
    return math.floor(threshold * 256.0 + 0.5)


@dataclass(frozen=True)
class DetectConfig:
    """Detector settings.

    ``stride_frames``: frames between inferences (1..1024; 4 = 80 ms at a 20 ms hop).
    ``smooth_inferences``: moving-average length in inferences (1..:data:`MAX_SMOOTH`).
    ``threshold``: detection probability in [0, 1]; None = the model's meta.json ``"threshold"``
    if it has one, else :data:`DEFAULT_THRESHOLD`. Applied in Q8 (see :func:`threshold_q8`).
    ``refractory_s``: seconds after a detection during which no other fires (>= 0; converted to
    frames by rounding half up, at most 65535 frames).
    """

    stride_frames: int = 4
    smooth_inferences: int = 3
    threshold: float | None = None
    refractory_s: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.stride_frames <= 1024:
            raise ConfigError(f"detect: stride_frames must be 1..1024, got {self.stride_frames}")
        if not 1 <= self.smooth_inferences <= MAX_SMOOTH:
            raise ConfigError(f"detect: smooth_inferences must be 1..{MAX_SMOOTH}, got {self.smooth_inferences}")
        if self.threshold is not None and not (0.0 <= self.threshold <= 1.0):
            raise ConfigError(f"detect: threshold must be a probability in [0, 1], got {self.threshold}")
        if not (self.refractory_s >= 0.0 and math.isfinite(self.refractory_s)):
            raise ConfigError(f"detect: refractory_s must be >= 0 seconds, got {self.refractory_s}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectConfig:
        """Build from a ``[detect]`` table; unknown keys are an error."""
        check_keys(data, {f.name for f in fields(cls)}, "detect")
        return cls(**data)

    def refractory_frames(self, frontend: FrontendConfig) -> int:
        """The refractory period in frames of ``frontend``'s hop (rounded half up)."""
        frames = math.floor(self.refractory_s * frontend.sample_rate_hz / frontend.hop_samples + 0.5)
        if frames > 65535:
            raise ConfigError(f"detect: refractory_s {self.refractory_s} is over 65535 frames")
        return frames


@dataclass(frozen=True)
class Detection:
    """One detection event: ``time_s`` (end of its window, seconds from the stream start), the
    frame index ``frame`` of the window's last frame, the keyword (label and index) and its
    smoothed probability in [0, 1)."""

    time_s: float
    frame: int
    keyword: str
    index: int
    probability: float


@dataclass(frozen=True)
class Inferences:
    """Per-inference arrays, in stream order (n inferences, K keywords).

    ``frames`` int64 (n,): frame index of each window's last frame. ``times_s`` float64 (n,):
    end of each window in seconds. ``probs_q8`` uint8 (n, K): smoothed probability x 256.
    ``keywords`` int8 (n,): detected keyword index, or -1. ``labels``: the K keyword labels.
    """

    frames: np.ndarray
    times_s: np.ndarray
    probs_q8: np.ndarray
    keywords: np.ndarray
    labels: tuple[str, ...]
    threshold: float = field(default=DEFAULT_THRESHOLD)

    @property
    def probs(self) -> np.ndarray:
        """Smoothed probabilities in [0, 1), float32 (n, K): ``probs_q8 / 256``."""
        return self.probs_q8.astype(np.float32) / np.float32(256.0)

    @property
    def events(self) -> list[Detection]:
        """The detections, in time order."""
        rows = np.flatnonzero(self.keywords >= 0)
        return [
            Detection(
                float(self.times_s[i]),
                int(self.frames[i]),
                self.labels[int(self.keywords[i])],
                int(self.keywords[i]),
                float(self.probs_q8[i, self.keywords[i]]) / 256.0,
            )
            for i in rows
        ]

    def __len__(self) -> int:
        return int(self.frames.size)


def _check(status: int, what: str) -> None:
    if status != 0:
        raise DetectError(f"{what}: {_STATUS.get(status, f'status {status}')}")


def read_meta(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """A model folder's meta.json (see kwsc.train.save), with a clear error if missing or broken."""
    path = Path(folder) / "meta.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise DetectError(f"{path}: missing (a model folder holds model.tflite and meta.json)") from exc
    except json.JSONDecodeError as exc:
        raise DetectError(f"{path}: not valid JSON ({exc})") from exc
    for key in ("labels", "keywords", "frontend", "normalization"):
        if key not in meta:
            raise DetectError(f"{path}: no {key!r} entry")
    return meta


class Detector:
    """The C streaming detector for one model, with its state in memory owned by this object.

    Build one with :meth:`from_folder` (a model folder written by ``kwsc train``). :meth:`run`
    and :meth:`run_file` process a whole recording from a fresh state; :meth:`push` streams
    chunks of any size (results identical to :meth:`run` on the concatenation) and
    :meth:`reset` starts a new stream. Not thread-safe: use one Detector per thread.
    """

    #: Records fetched per C call; the C loop consumes as much PCM as fits in them.
    records_per_call = 1 << 16

    def __init__(
        self,
        runtime: Runtime,
        frontend_config: FrontendConfig,
        quant: QuantParams,
        keywords: Sequence[str],
        config: DetectConfig | None = None,
        model_threshold: float | None = None,
        relative_c0: bool = False,
    ) -> None:
        self.config = config or DetectConfig()
        self.labels = tuple(str(k) for k in keywords)
        if not 1 <= len(self.labels) <= MAX_KEYWORDS:
            raise DetectError(f"a detector tracks 1..{MAX_KEYWORDS} keywords, the model has {len(self.labels)}")
        if len(self.labels) > runtime.num_classes:
            raise DetectError(f"{len(self.labels)} keywords but the model has {runtime.num_classes} outputs")
        if quant.offset_q6.size != frontend_config.num_ceps:
            raise DetectError(
                f"quantisation has {quant.offset_q6.size} coefficients, the frontend {frontend_config.num_ceps}"
            )
        shape = tuple(runtime.plan.input_shape)
        if len(shape) < 2 or shape[1] != frontend_config.num_ceps or int(np.prod(shape[2:], dtype=int)) != 1:
            raise DetectError(f"model input {shape} is not frames x {frontend_config.num_ceps} coefficients")
        threshold = self.config.threshold
        if threshold is None:
            try:
                threshold = DEFAULT_THRESHOLD if model_threshold is None else float(model_threshold)
            except (TypeError, ValueError) as exc:
                raise DetectError(f"the model's threshold {model_threshold!r} is not a number") from exc
            if not 0.0 <= threshold <= 1.0:
                raise DetectError(f"the model's threshold {threshold} is not a probability in [0, 1]")
        self.runtime = runtime
        self.frontend_config = frontend_config
        self.quant = quant
        self.relative_c0 = bool(relative_c0)
        self.window_frames = int(shape[0])
        self.threshold_q8 = threshold_q8(threshold)
        self.refractory_frames = self.config.refractory_frames(frontend_config)

        self._frontend = Frontend(frontend_config)  # its C config and tables
        self._quant_struct = quant._struct()
        self._c_config = ffi.new(
            "kwsc_detect_config *",
            {
                "stride_frames": self.config.stride_frames,
                "smooth_inferences": self.config.smooth_inferences,
                "threshold_q8": self.threshold_q8,
                "refractory_frames": self.refractory_frames,
                "num_keywords": len(self.labels),
                "relative_c0": int(self.relative_c0),
            },
        )
        _check(lib.kwsc_detect_config_check(self._c_config), "detector config")
        fe_config = self._frontend._c_config
        self.memory_bytes = int(lib.kwsc_detect_memory_bytes(self._c_config, fe_config, runtime.model_pointer))
        if self.memory_bytes == 0:
            raise DetectError("the model does not fit the detector (input shape, softmax output, keywords)")
        self._memory = np.zeros(-(-self.memory_bytes // 8), np.uint64)  # 8-byte aligned
        handle = ffi.new("kwsc_detect **")
        status = lib.kwsc_detect_init(
            handle,
            ffi.from_buffer(self._memory),
            self.memory_bytes,
            self._c_config,
            fe_config,
            self._frontend._c_tables.struct,
            self._quant_struct,
            runtime.model_pointer,
        )
        _check(status, "kwsc_detect_init")
        self._det = handle[0]
        self._buffer = np.zeros(0, RECORD_DTYPE)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str], config: DetectConfig | None = None) -> Detector:
        """A detector for the model in ``folder`` (model.tflite + meta.json, as ``kwsc train`` writes).

        meta.json supplies the frontend config, the int8 quantisation (``normalization.quant``,
        and ``normalization.relative_c0`` when the training windows had c0 relative to their
        window), the keyword labels and, if present, the model's chosen ``threshold``. A model whose
        features came from other frontend numerics (``frontend.numerics``, see
        :mod:`kwsc.numerics`) is refused: on this code it would see other features than in training.
        """
        folder = Path(folder)
        tflite = folder / "model.tflite"
        if not tflite.is_file():
            raise DetectError(f"{folder}: no model.tflite")
        meta = read_meta(folder)
        try:
            frontend_config = FrontendConfig.from_dict(meta["frontend"]["config"])
            quant = QuantParams.from_dict(meta["normalization"]["quant"])
            relative_c0 = bool(meta["normalization"].get("relative_c0", False))
        except (KeyError, TypeError, ValueError) as exc:
            raise DetectError(f"{folder}/meta.json: bad frontend or normalization entry ({exc})") from exc
        trained_on = meta["frontend"].get("numerics")
        if trained_on is not None and trained_on != numerics.numerics_fingerprint():
            raise DetectError(
                f"{folder}: the model was trained on features from other frontend numerics (fingerprint "
                f"{trained_on[:16]}, this kwsc computes {numerics.numerics_fingerprint()[:16]}): its features would "
                "differ from training; retrain it, or use the kwsc that trained it"
            )
        keywords = [str(k) for k in meta["keywords"]]
        labels = [str(label) for label in meta["labels"]]
        if labels[: len(keywords)] != keywords:
            raise DetectError(f"{folder}/meta.json: labels {labels} do not start with the keywords {keywords}")
        try:
            runtime = Runtime.from_tflite(tflite)
        except Exception as exc:  # the planner raises several types for unsupported models
            raise DetectError(f"{tflite}: cannot load the model ({exc})") from exc
        return cls(runtime, frontend_config, quant, keywords, config, meta.get("threshold"), relative_c0)

    @property
    def threshold(self) -> float:
        """The threshold in effect, as a probability: ``threshold_q8 / 256``."""
        return self.threshold_q8 / 256.0

    @property
    def num_keywords(self) -> int:
        return len(self.labels)

    def c_config_fields(self) -> tuple[int, int, int, int, int, int]:
        """The C ``kwsc_detect_config`` in struct order: stride_frames, smooth_inferences,
        threshold_q8, refractory_frames, num_keywords, relative_c0 (what the firmware's job carries)."""
        c = self._c_config
        return (c.stride_frames, c.smooth_inferences, c.threshold_q8, c.refractory_frames, c.num_keywords,
                c.relative_c0)  # fmt: skip

    def time_s(self, frames: np.ndarray) -> np.ndarray:
        """End time in seconds (float64) of windows whose last frame indices are ``frames``."""
        c = self.frontend_config
        return (np.asarray(frames, np.float64) * c.hop_samples + c.window_samples) / c.sample_rate_hz

    def reset(self) -> None:
        """Start a new stream: buffered samples, frame count, smoothing and refractory state go."""
        lib.kwsc_detect_reset(self._det)

    def push(self, pcm: Any) -> Inferences:
        """Stream a chunk of 16 kHz mono PCM (int16, or float in [-1, 1]; any length, empty
        allowed); returns the inferences it completed. Frame indices and times continue from
        the previous chunks."""
        samples = to_int16(pcm, allow_empty=True)
        capacity = self.records_per_call
        if self._buffer.size != capacity:
            self._buffer = np.zeros(capacity, RECORD_DTYPE)
        buffer = self._buffer
        out_ptr = ffi.cast("kwsc_detect_record *", ffi.from_buffer(buffer, require_writable=True))
        consumed = ffi.new("size_t *")
        parts = []
        offset = 0
        while True:
            rest = samples[offset:]
            n = lib.kwsc_detect_push(
                self._det, ffi.from_buffer("int16_t[]", rest), rest.size, consumed, out_ptr, capacity
            )
            offset += consumed[0]
            if n:
                parts.append(buffer[:n].copy())
            if offset >= samples.size:
                break
            if n == 0:  # no progress with room for records: a bug, not input
                raise DetectError(f"detector consumed {offset} of {samples.size} samples")
        records = np.concatenate(parts) if parts else np.zeros(0, RECORD_DTYPE)
        k = self.num_keywords
        frames = records["frame"].astype(np.int64)
        return Inferences(
            frames=frames,
            times_s=self.time_s(frames),
            probs_q8=np.ascontiguousarray(records["prob_q8"][:, :k]),
            keywords=records["keyword"].copy(),
            labels=self.labels,
            threshold=self.threshold,
        )

    def run(self, pcm: Any) -> Inferences:
        """All inferences of a whole recording (16 kHz mono PCM) from a fresh state.

        Resets the detector first; a recording shorter than one window gives none; an empty one
        raises ValueError.
        """
        samples = to_int16(pcm)
        self.reset()
        return self.push(samples)

    def run_file(self, path: str | os.PathLike[str], resample: bool = False, downmix: bool = False) -> Inferences:
        """:meth:`run` on an audio file. It must be mono at the frontend's rate (16 kHz), unless
        ``resample`` (soxr) or ``downmix`` (channel mean) allow converting it."""
        return self.run(load_pcm(path, self.frontend_config.sample_rate_hz, resample, downmix))


def load_pcm(
    path: str | os.PathLike[str], sample_rate_hz: int = 16000, resample: bool = False, downmix: bool = False
) -> np.ndarray:
    """Mono int16 PCM of an audio file at ``sample_rate_hz``; DetectError naming the file and the
    problem (unreadable, empty, wrong rate, multichannel) otherwise."""
    from kwsc.validate import load_audio

    try:
        return load_audio(path, sample_rate_hz, resample, downmix)
    except ValueError as exc:
        raise DetectError(f"{path}: {exc}") from exc


def posteriors_dict(result: Inferences) -> dict[str, np.ndarray]:
    """The ``kwsc posteriors`` output of a run, a stable format read by outside benchmarks:

    * ``times_s``: float64 (n,), seconds at the end of each inference window.
    * ``probs``: float32 smoothed keyword probability in [0, 1) per inference, the detector's Q8
      value / 256: shape (n,) for a single-keyword model, (n, K) for K keywords.
    * ``labels``: str (K,), the keyword labels (the columns of ``probs``).
    * ``threshold``: float64 scalar, the threshold in effect (the model's chosen one unless
      overridden), already on the Q8 grid, so ``probs >= threshold`` is the detector's test
      (detections additionally obey the refractory period).
    """
    probs = result.probs
    return {
        "times_s": result.times_s.astype(np.float64),
        "probs": probs[:, 0].copy() if len(result.labels) == 1 else probs,
        "labels": np.array(result.labels, dtype=str),
        "threshold": np.float64(result.threshold),
    }


def posteriors(
    model: str | os.PathLike[str] | Detector,
    audio: str | os.PathLike[str] | np.ndarray,
    config: DetectConfig | None = None,
    resample: bool = False,
    downmix: bool = False,
) -> dict[str, np.ndarray]:
    """Smoothed keyword posteriors of a recording, as :func:`posteriors_dict` describes
    (what ``kwsc posteriors`` saves with ``numpy.savez``).

    ``model``: a model folder or a :class:`Detector` (then ``config`` must be None). ``audio``:
    a file path or a 1-D PCM array (16 kHz mono, int16 or float in [-1, 1]).
    """
    if isinstance(model, Detector):
        if config is not None:
            raise ValueError("pass config when building the Detector, not with one")
        detector = model
    else:
        detector = Detector.from_folder(model, config)
    run = detector.run(audio) if isinstance(audio, np.ndarray) else detector.run_file(audio, resample, downmix)
    return posteriors_dict(run)
