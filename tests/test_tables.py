"""The integer tables: one generator for host and device, their invariants, and memory budgets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kwsc
from kwsc import FrontendConfig, reference, signals
from kwsc._kwsc_c import ffi, lib
from kwsc.frontend import _State
from kwsc.tables import dct_full, emit_c, make_tables

ROOT = Path(__file__).resolve().parents[1]

#: Budgets from the foundation issue (bytes), for the default config.
RAM_BUDGET = 16 * 1024  # state + scratch
TABLES_BUDGET = 16 * 1024
RAM_TARGET = 4 * 1024  # what we aim for (the Cortex-M4 frontend target)


def test_committed_c_tables_are_generated_from_the_default_config() -> None:
    committed = (ROOT / "csrc" / "kwsc_frontend_tables_default.c").read_text()
    assert committed == emit_c(make_tables(FrontendConfig())), "run: python scripts/gen_tables.py"


def test_compiled_c_tables_hold_the_same_integers() -> None:
    tables = make_tables(FrontendConfig())
    compiled = lib.kwsc_frontend_tables_default
    assert compiled.mel_first_bin == tables.mel_first_bin
    assert compiled.mel_num_bins == tables.mel_weight_q15.size
    for name, array in tables.arrays.items():
        ctype = {np.int16: "int16_t", np.int32: "int32_t", np.uint16: "uint16_t"}[array.dtype.type]
        values = ffi.unpack(ffi.cast(f"{ctype} *", getattr(compiled, name)), array.size)
        assert np.array_equal(np.array(values), array), name


class _CompiledTables:
    struct = ffi.addressof(lib.kwsc_frontend_tables_default)


def test_compiled_tables_give_the_same_features() -> None:
    """The device's compiled-in tables and the host's generated arrays give identical output."""
    frontend = kwsc.Frontend()
    state = _State(frontend._c_config, _CompiledTables(), frontend.memory_bytes)
    audio = signals.speech_like(1.0, seed=2)
    assert np.array_equal(frontend._push(state, audio), frontend.process(audio))


def test_init_refuses_tables_for_another_config() -> None:
    other = kwsc.Frontend(FrontendConfig(num_mel=32))
    with pytest.raises(kwsc.frontend.FrontendError, match="tables do not match"):
        _State(other._c_config, _CompiledTables(), other.memory_bytes)
    with pytest.raises(kwsc.frontend.FrontendError, match="memory too small"):
        _State(other._c_config, other._c_tables, other.memory_bytes - 8)


@pytest.mark.parametrize("config", [FrontendConfig(), FrontendConfig(fft_size=1024, num_mel=64, mel_high_hz=8000)])
def test_table_invariants(config: FrontendConfig) -> None:
    t = make_tables(config)
    window = reference.window(config)
    assert t.window_q31.size == config.window_samples // 2 + 2
    assert np.abs(t.window_q31 / 2**31 - window[: t.window_q31.size]).max() <= 2**-31
    np.testing.assert_allclose(window[1:], window[1:][::-1], atol=1e-15)  # symmetric: half a table is enough
    quarter = config.fft_size // 4
    assert t.twiddle_q31.size == quarter + 1
    angle = 2 * np.pi * np.arange(quarter + 1) / config.fft_size
    assert np.abs(t.twiddle_q31 / 2**31 - np.cos(angle)).max() <= 2**-31
    assert t.twiddle_q31[0] == 2**31 - 1 and t.twiddle_q31[quarter] == 0
    assert t.mel_segment_bins.size == config.num_mel + 1
    assert t.mel_segment_bins.sum() == t.mel_weight_q15.size
    assert t.mel_first_bin >= 1 and t.mel_first_bin + t.mel_weight_q15.size <= config.fft_size // 2
    assert t.mel_weight_q15.min() >= 0
    segment = np.repeat(np.arange(config.num_mel + 1), t.mel_segment_bins)
    # Rebuild the float filterbank from the integer tables: within one Q15 step of the reference.
    rebuilt = np.zeros((config.num_mel, config.fft_size // 2 + 1))
    for i, (j, w) in enumerate(zip(segment, t.mel_weight_q15 / 32768, strict=True)):
        if j < config.num_mel:
            rebuilt[j, t.mel_first_bin + i] = w
        if j > 0:
            rebuilt[j - 1, t.mel_first_bin + i] = 1 - w
    assert np.abs(rebuilt - reference.mel_filterbank(config)).max() <= 2**-15
    dct = dct_full(t.dct_half_q15, config.num_mel)  # the matrix the C code applies
    assert np.abs(dct / 2**15 - reference.dct_matrix(config)).max() <= 2**-16


@pytest.mark.parametrize("fft_size", [32, 64, 128, 256, 512, 1024, 2048, 4096])
def test_quarter_wave_sines_are_the_rounded_sines(fft_size: int) -> None:
    """The FFT reads sin(2 pi k / n) as cos(2 pi (n/4 - k) / n) from the one table: the same Q31
    integers as rounding the sines themselves (so the table halving changed no output)."""
    config = FrontendConfig(
        fft_size=fft_size, window_samples=fft_size, hop_samples=fft_size // 2, num_mel=8, num_ceps=4
    )
    cosine = make_tables(config).twiddle_q31.astype(np.int64)
    quarter = fft_size // 4
    sines = np.clip(np.rint(np.sin(2 * np.pi * np.arange(quarter + 1) / fft_size) * 2**31), -(2**31), 2**31 - 1)
    np.testing.assert_array_equal(cosine[::-1], sines.astype(np.int64))


def test_memory_budgets_default_config() -> None:
    frontend = kwsc.Frontend()
    c_upper_bound = lib.kwsc_frontend_tables_bytes(frontend._c_config)
    assert frontend.tables_bytes <= c_upper_bound
    assert frontend.memory_bytes <= RAM_TARGET <= RAM_BUDGET
    assert frontend.tables_bytes <= TABLES_BUDGET
    # The exact numbers the README reports; a change here must update README.md.
    assert (frontend.memory_bytes, frontend.tables_bytes) == (3576, 2702)
