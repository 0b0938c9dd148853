"""Generator of the frontend's integer tables: one source for host arrays and device C code.

Every table the C frontend reads (window, FFT twiddles, mel weights, DCT, log2) is computed
here from the float definitions in :mod:`kwsc.reference`, rounded to integers once, and then
either handed to the host binding as NumPy arrays or emitted as C source for the device
(``python scripts/gen_tables.py`` writes csrc/kwsc_frontend_tables_default.c). Both therefore hold
the same integers; tests/test_tables.py checks the committed C file is current.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from kwsc import reference
from kwsc.config import FrontendConfig

#: log2 table resolution; must equal KWSC_LOG2_LUT_BITS in csrc/kwsc_log.h.
LOG2_LUT_BITS = 5


@dataclass(frozen=True)
class FrontendTables:
    """Integer tables for one :class:`FrontendConfig` (field meanings as in kwsc_frontend.h)."""

    config: FrontendConfig
    window_q31: np.ndarray  # int32, window_samples // 2 + 2 (w[0..half + 1])
    twiddle_q31: np.ndarray  # int32, fft_size // 4 + 1: cos(2 pi k / fft_size), the sines read backwards
    mel_first_bin: int
    mel_segment_bins: np.ndarray  # uint16, num_mel + 1 bin counts per segment
    mel_weight_q15: np.ndarray  # int16, one per weighted bin
    dct_half_q15: np.ndarray  # int16, num_ceps * ceil(num_mel / 2): each DCT-II row's left half, row-major
    log2_lut_q16: np.ndarray  # int32, 2**LOG2_LUT_BITS + 1

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The table arrays by C field name."""
        return {
            "window_q31": self.window_q31,
            "twiddle_q31": self.twiddle_q31,
            "mel_segment_bins": self.mel_segment_bins,
            "mel_weight_q15": self.mel_weight_q15,
            "dct_half_q15": self.dct_half_q15,
            "log2_lut_q16": self.log2_lut_q16,
        }

    @property
    def nbytes(self) -> int:
        """Bytes of read-only table data (flash on the device)."""
        return sum(a.nbytes for a in self.arrays.values())


def _round_to(values: np.ndarray, scale: float, dtype: type[np.integer]) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.clip(np.rint(np.asarray(values) * scale), info.min, info.max).astype(dtype)


def mel_bins(config: FrontendConfig) -> tuple[int, np.ndarray, np.ndarray]:
    """First weighted bin, the segment index (0..num_mel) of each bin and its Q15 rising weight."""
    points = reference.mel_points_hz(config)
    freqs = np.arange(config.fft_size // 2 + 1) * config.sample_rate_hz / config.fft_size
    # Strictly inside the range, and never the packed DC or Nyquist bin (their weights are 0).
    inside = np.flatnonzero((freqs > points[0]) & (freqs < points[-1]))
    inside = inside[(inside > 0) & (inside < config.fft_size // 2)]
    if inside.size == 0:
        return 1, np.zeros(0, np.int64), np.zeros(0, np.int16)
    bins = np.arange(inside[0], inside[-1] + 1)
    segment = np.searchsorted(points, freqs[bins], side="right") - 1
    rising = (freqs[bins] - points[segment]) / (points[segment + 1] - points[segment])
    weight = np.rint(rising * 32768).astype(np.int64)
    # A weight that rounds to 1.0 belongs to the next segment with weight 0 (same split).
    full = (weight >= 32768) & (segment < config.num_mel)
    segment = np.where(full, segment + 1, segment)
    weight = np.where(full, 0, np.minimum(weight, 32767))
    return int(bins[0]), segment.astype(np.int64), weight.astype(np.int16)


def dct_half(config: FrontendConfig) -> np.ndarray:
    """Left halves of the orthonormal DCT-II rows, shape ``(num_ceps, ceil(num_mel / 2))``.

    The C frontend mirrors them (D[i][M-1-m] = (-1)^i D[i][m]); see :func:`dct_full`.
    """
    return reference.dct_matrix(config)[:, : (config.num_mel + 1) // 2]


def dct_full(half: np.ndarray, num_mel: int) -> np.ndarray:
    """The full ``(num_ceps, num_mel)`` matrix the C code applies, from a table of row halves."""
    rows = half.reshape(-1, (num_mel + 1) // 2)
    sign = np.where(np.arange(rows.shape[0]) % 2 == 0, 1, -1)[:, None]
    return np.concatenate([rows, sign * rows[:, : num_mel // 2][:, ::-1]], axis=1)


@functools.lru_cache(maxsize=32)
def make_tables(config: FrontendConfig) -> FrontendTables:
    """Compute the integer tables for ``config`` (cached; arrays are read-only)."""
    half_window = reference.window(config)[: config.window_samples // 2 + 2]
    twiddle = np.cos(2.0 * np.pi * np.arange(config.fft_size // 4 + 1) / config.fft_size)
    first_bin, segment, weight = mel_bins(config)
    segment_bins = np.bincount(segment, minlength=config.num_mel + 1).astype(np.uint16)
    lut = np.log2(1.0 + np.arange(2**LOG2_LUT_BITS + 1) / 2**LOG2_LUT_BITS)
    tables = FrontendTables(
        config=config,
        window_q31=_round_to(half_window, 2.0**31, np.int32),
        twiddle_q31=_round_to(twiddle, 2.0**31, np.int32),
        mel_first_bin=first_bin,
        mel_segment_bins=segment_bins,
        mel_weight_q15=weight,
        dct_half_q15=_round_to(dct_half(config).reshape(-1), 2.0**15, np.int16),
        log2_lut_q16=_round_to(lut, 2.0**16, np.int32),
    )
    for array in tables.arrays.values():
        array.setflags(write=False)
    return tables


_C_TYPES = {np.dtype(np.int16): "int16_t", np.dtype(np.int32): "int32_t", np.dtype(np.uint16): "uint16_t"}


def emit_c(tables: FrontendTables, name: str = "kwsc_frontend_tables_default") -> str:
    """C source defining ``const kwsc_frontend_tables <name>`` with these tables."""
    c = tables.config
    lines = [
        "/* Generated by scripts/gen_tables.py from kwsc.tables: do not edit. */",
        f"/* Config: {', '.join(f'{k}={v}' for k, v in c.to_dict().items())} */",
        '#include "kwsc_frontend.h"',
        "",
    ]
    for field, array in tables.arrays.items():
        values = [str(int(v)) for v in array]
        lines.append(f"static const {_C_TYPES[array.dtype]} {name}_{field}[{max(len(values), 1)}] = {{")
        for start in range(0, len(values), 12):
            lines.append("    " + ", ".join(values[start : start + 12]) + ",")
        lines.append("};")
    lines += [
        "",
        f"const kwsc_frontend_tables {name} = {{",
        f"    {c.sample_rate_hz}u, {c.window_samples}u, {c.fft_size}u, {c.num_mel}u,",
        f"    {c.mel_low_hz}u, {c.mel_high_hz}u, {c.num_ceps}u,",
        f"    {name}_window_q31,",
        f"    {name}_twiddle_q31,",
        f"    {tables.mel_first_bin}u, {tables.mel_weight_q15.size}u,",
        f"    {name}_mel_segment_bins,",
        f"    {name}_mel_weight_q15,",
        f"    {name}_dct_half_q15,",
        f"    {name}_log2_lut_q16,",
        "};",
        "",
    ]
    return "\n".join(lines)
