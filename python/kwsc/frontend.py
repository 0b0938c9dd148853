"""Python binding of the fixed-point C frontend (csrc/kwsc_frontend.*), via cffi API mode.

The same C code runs here and on the Cortex-M device, so the features a model is trained on
are bit-identical to the features it sees in the field.

Units: input is 16-bit PCM (int16 Q0, or float in [-1, 1] converted by :func:`to_int16`);
output cepstra are int16 in Q6 log2 units (``value / 64`` = log2 units; ``10 log10 2`` dB per
log2 unit), and int8 after :meth:`Frontend.quantize`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from kwsc._kwsc_c import ffi, lib
from kwsc.config import ConfigError, FrontendConfig
from kwsc.tables import FrontendTables, make_tables

#: Fractional bits of the int16 cepstra: ``value / 2**CEPS_Q`` is in log2 units.
CEPS_Q = 6
#: Fractional bits of the log2 mel energies returned by :meth:`Frontend.process_log_mel`.
LOG_MEL_Q = 16

_STATUS = {
    -1: "a required pointer was NULL",
    -2: "config out of range",
    -3: "memory too small or misaligned",
    -4: "tables do not match the config",
    -5: "argument out of range",
}


class FrontendError(RuntimeError):
    """The C frontend reported an error status."""


def _check_status(status: int, what: str) -> None:
    if status != 0:
        raise FrontendError(f"{what}: {_STATUS.get(status, f'status {status}')}")


def to_int16(pcm: Any, *, allow_empty: bool = False) -> np.ndarray:
    """Validate mono PCM and return it as a C-contiguous int16 array.

    int16 input is used as is. float32/float64 input is full scale at [-1, 1): it is scaled by
    32768, rounded to nearest (ties to even) and saturated to [-32768, 32767]. Other dtypes,
    rank != 1, non-contiguous arrays, NaN/inf and (unless ``allow_empty``) empty input raise.
    """
    array = np.asarray(pcm)
    if array.ndim != 1:
        raise ValueError(f"PCM must be a 1-D mono array, got shape {array.shape}")
    if array.size == 0 and not allow_empty:
        raise ValueError("PCM is empty")
    if not array.flags.c_contiguous:
        raise ValueError("PCM must be contiguous; pass np.ascontiguousarray(pcm)")
    if array.dtype == np.int16:
        return array
    if array.dtype in (np.float32, np.float64):
        if not np.all(np.isfinite(array)):
            raise ValueError("float PCM contains NaN or inf")
        return np.clip(np.rint(array.astype(np.float64) * 32768.0), -32768, 32767).astype(np.int16)
    raise TypeError(f"PCM must be int16 or float32/float64 in [-1, 1], got dtype {array.dtype}")


def _c_config(config: FrontendConfig) -> Any:
    c = ffi.new("kwsc_frontend_config *", config.to_dict())
    _check_status(lib.kwsc_frontend_config_check(c), "frontend config")
    return c


class _CTables:
    """A kwsc_frontend_tables struct pointing into NumPy arrays that it keeps alive."""

    def __init__(self, tables: FrontendTables) -> None:
        c = tables.config
        self._keep = tables
        self.struct = ffi.new("kwsc_frontend_tables *")
        s = self.struct
        s.sample_rate_hz, s.window_samples, s.fft_size = c.sample_rate_hz, c.window_samples, c.fft_size
        s.num_mel, s.mel_low_hz, s.mel_high_hz, s.num_ceps = c.num_mel, c.mel_low_hz, c.mel_high_hz, c.num_ceps
        s.mel_first_bin = tables.mel_first_bin
        s.mel_num_bins = tables.mel_weight_q15.size
        self._buffers = []
        for name, array in tables.arrays.items():
            ctype = {np.int16: "int16_t[]", np.int32: "int32_t[]", np.uint16: "uint16_t[]"}[array.dtype.type]
            buffer = ffi.from_buffer(ctype, array if array.size else np.zeros(1, array.dtype))
            self._buffers.append(buffer)
            setattr(s, name, buffer)


class _State:
    """One frontend instance in caller-owned (NumPy) memory."""

    def __init__(self, c_config: Any, c_tables: _CTables, memory_bytes: int) -> None:
        self._tables = c_tables
        self._memory = np.zeros((memory_bytes + 7) // 8, dtype=np.uint64)  # 8-byte aligned
        handle = ffi.new("kwsc_frontend **")
        status = lib.kwsc_frontend_init(handle, ffi.from_buffer(self._memory), memory_bytes, c_config, c_tables.struct)
        _check_status(status, "kwsc_frontend_init")
        self.fe = handle[0]


@dataclass(frozen=True, eq=False)
class QuantParams:
    """int8 quantisation of cepstra: ``q = clamp(zp + round((c - offset) * scale / 2^16))``.

    ``offset_q6`` (int32, Q6 log2 units) and ``scale_q16`` (int32, Q16) have one entry per
    coefficient; rounding is half away from zero; ``zero_point`` is in -128..127.
    """

    offset_q6: np.ndarray
    scale_q16: np.ndarray
    zero_point: int = 0

    def __post_init__(self) -> None:
        offset = np.ascontiguousarray(self.offset_q6, dtype=np.int32)
        scale = np.ascontiguousarray(self.scale_q16, dtype=np.int32)
        if offset.ndim != 1 or offset.shape != scale.shape or offset.size == 0:
            raise ValueError("offset_q6 and scale_q16 must be 1-D arrays of equal, nonzero length")
        object.__setattr__(self, "offset_q6", offset)
        object.__setattr__(self, "scale_q16", scale)
        if lib.kwsc_quant_check(self._struct()) != 0:
            raise ValueError("quantisation parameters out of range (|scale_q16| < 2^24, zero_point in int8)")

    @classmethod
    def default(cls, num_ceps: int = 13) -> QuantParams:
        """Untrained default: no offset, one int8 step per 4 log2 units (scale_q16 = 256)."""
        return cls(np.zeros(num_ceps, np.int32), np.full(num_ceps, 256, np.int32), 0)

    @classmethod
    def from_affine(cls, offset_log2: Sequence[float], step_log2: Sequence[float], zero_point: int = 0) -> QuantParams:
        """From float parameters: ``q = round((c - offset) / step) + zero_point``, c in log2 units."""
        offset = np.rint(np.asarray(offset_log2, dtype=np.float64) * 2**CEPS_Q)
        scale = np.rint(2.0 ** (16 - CEPS_Q) / np.asarray(step_log2, dtype=np.float64))
        return cls(offset.astype(np.int32), scale.astype(np.int32), int(zero_point))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for model metadata and lineage."""
        return {
            "offset_q6": self.offset_q6.tolist(),
            "scale_q16": self.scale_q16.tolist(),
            "zero_point": self.zero_point,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuantParams:
        """Inverse of :meth:`to_dict`."""
        return cls(np.asarray(data["offset_q6"]), np.asarray(data["scale_q16"]), int(data["zero_point"]))

    def _struct(self) -> Any:
        s = ffi.new("kwsc_quant_params *")
        s.num_ceps = self.offset_q6.size
        s.offset_q6 = ffi.cast("const int32_t *", self.offset_q6.ctypes.data)
        s.scale_q16 = ffi.cast("const int32_t *", self.scale_q16.ctypes.data)
        s.zero_point = self.zero_point
        return s


class Frontend:
    """Streaming fixed-point MFCC frontend (the device's C code, run on the host).

    ``process`` handles a whole clip from a fresh state; ``push``/``reset`` stream chunks of any
    size with results identical to ``process`` on the concatenation. Output: int16 cepstra in
    Q6 log2 units, shape ``(frames, num_ceps)``.
    """

    def __init__(self, config: FrontendConfig | None = None) -> None:
        self.config = config or FrontendConfig()
        if not isinstance(self.config, FrontendConfig):
            raise ConfigError("config must be a kwsc.FrontendConfig")
        self.tables = make_tables(self.config)
        self._c_config = _c_config(self.config)
        self._c_tables = _CTables(self.tables)
        self.memory_bytes = int(lib.kwsc_frontend_memory_bytes(self._c_config))
        self._stream = _State(self._c_config, self._c_tables, self.memory_bytes)
        self._per_thread = threading.local()

    def _fresh_state(self) -> _State:
        """A reset state private to the calling thread, reused across calls (saves set-up time)."""
        state = getattr(self._per_thread, "state", None)
        if state is None:
            state = self._per_thread.state = _State(self._c_config, self._c_tables, self.memory_bytes)
        else:
            lib.kwsc_frontend_reset(state.fe)
        return state

    @property
    def tables_bytes(self) -> int:
        """Bytes of integer tables (flash on the device) for this config."""
        return self.tables.nbytes

    def _push(self, state: _State, pcm: np.ndarray) -> np.ndarray:
        c = self.config
        capacity = (pcm.size + c.window_samples) // c.hop_samples + 1
        out = np.empty((capacity, c.num_ceps), dtype=np.int16)
        consumed = ffi.new("size_t *")
        frames = lib.kwsc_frontend_push(
            state.fe,
            ffi.from_buffer("int16_t[]", pcm),
            pcm.size,
            consumed,
            ffi.from_buffer("int16_t[]", out, require_writable=True),
            capacity,
        )
        if consumed[0] != pcm.size:  # capacity is an upper bound, so this is a bug, not input
            raise FrontendError(f"frontend consumed {consumed[0]} of {pcm.size} samples")
        return out[:frames]

    def process(self, pcm: Any) -> np.ndarray:
        """Cepstra of one whole clip from a fresh state: int16 Q6, shape ``(frames, num_ceps)``.

        Does not touch the streaming state of :meth:`push`; safe to call from several threads.
        A clip shorter than one window gives zero frames; an empty clip raises ValueError.
        """
        return self._push(self._fresh_state(), to_int16(pcm))

    def push(self, chunk: Any) -> np.ndarray:
        """Stream a chunk (any length, empty allowed); returns the frames it completed."""
        return self._push(self._stream, to_int16(chunk, allow_empty=True))

    def reset(self) -> None:
        """Drop buffered samples; the next :meth:`push` starts a new stream."""
        lib.kwsc_frontend_reset(self._stream.fe)

    def process_log_mel(self, pcm: Any) -> np.ndarray:
        """Log2 mel energies of a clip, int32 Q16, shape ``(frames, num_mel)`` (diagnostics)."""
        samples = to_int16(pcm)
        state = self._fresh_state()
        c = self.config
        rows = []
        one = np.empty((1, c.num_ceps), dtype=np.int16)
        consumed = ffi.new("size_t *")
        offset = 0
        while True:
            frames = lib.kwsc_frontend_push(
                state.fe,
                ffi.from_buffer("int16_t[]", samples[offset:]),
                samples.size - offset,
                consumed,
                ffi.from_buffer("int16_t[]", one, require_writable=True),
                1,
            )
            offset += consumed[0]
            if frames == 0:
                break
            log_mel = lib.kwsc_frontend_log_mel_q16(state.fe)
            rows.append(np.frombuffer(ffi.buffer(log_mel, 4 * c.num_mel), dtype=np.int32).copy())
        return np.array(rows, dtype=np.int32).reshape(-1, c.num_mel)

    def quantize(self, ceps_q6: np.ndarray, params: QuantParams | None = None) -> np.ndarray:
        """int8 features from int16 Q6 cepstra with ``params`` (default: QuantParams.default)."""
        params = params or QuantParams.default(self.config.num_ceps)
        ceps = np.ascontiguousarray(ceps_q6, dtype=np.int16)
        if ceps.ndim != 2 or ceps.shape[1] != params.offset_q6.size:
            raise ValueError(f"cepstra must have shape (frames, {params.offset_q6.size}), got {ceps.shape}")
        out = np.empty(ceps.shape, dtype=np.int8)
        status = lib.kwsc_quantize_int8(
            ffi.from_buffer("int16_t[]", ceps),
            ceps.shape[0],
            params._struct(),
            ffi.from_buffer("int8_t[]", out, require_writable=True),
        )
        _check_status(status, "kwsc_quantize_int8")
        return out

    def process_int8(self, pcm: Any, params: QuantParams | None = None) -> np.ndarray:
        """int8 features of a whole clip: :meth:`process` then :meth:`quantize`."""
        return self.quantize(self.process(pcm), params)


def process_batch(
    clips: Iterable[Any], config: FrontendConfig | None = None, workers: int | None = None
) -> list[np.ndarray]:
    """Cepstra of many clips in parallel threads (the C call releases the GIL).

    ``workers`` defaults to the number of CPUs. Results are in input order and identical to
    ``Frontend(config).process(clip)`` for each clip.
    """
    frontend = Frontend(config)
    clips = list(clips)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(clips) < 2:
        return [frontend.process(clip) for clip in clips]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(frontend.process, clips))
