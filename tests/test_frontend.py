"""Behaviour of the Python binding: shapes, streaming, input validation, batching, int8."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kwsc
from kwsc import FrontendConfig, QuantParams, reference, signals
from kwsc.config import ConfigError

int16_audio = hnp.arrays(np.int16, st.integers(0, 3000), elements=st.integers(-32768, 32767))


def test_frame_count_and_shape(frontend: kwsc.Frontend) -> None:
    c = frontend.config
    for n in (c.window_samples - 1, c.window_samples, c.window_samples + c.hop_samples - 1, 16000):
        ceps = frontend.process(np.zeros(n, np.int16) + 5)
        assert ceps.dtype == np.int16
        assert ceps.shape == (c.frame_count(n), c.num_ceps)
    assert c.frame_count(16000) == 49  # 1 s -> 49 frames with the 20 ms hop


def test_silence_gives_the_floor(frontend: kwsc.Frontend) -> None:
    """All bands at the log floor (log2 1 = 0) make every cepstral coefficient exactly 0."""
    ceps = frontend.process(signals.silence(0.5))
    assert ceps.shape[0] > 0
    assert not ceps.any()


@settings(max_examples=60, deadline=None)
@given(audio=int16_audio, cuts=st.lists(st.integers(0, 3000), max_size=12))
def test_any_chunking_gives_identical_frames(audio: np.ndarray, cuts: list[int]) -> None:
    frontend = kwsc.Frontend()
    whole = frontend.process(audio) if audio.size else np.zeros((0, 13), np.int16)
    pieces = np.split(audio, sorted(c for c in cuts if c <= audio.size))
    streamed = [frontend.push(piece) for piece in pieces]
    assert np.array_equal(np.concatenate(streamed), whole)


def test_single_sample_chunks_and_reset(frontend: kwsc.Frontend) -> None:
    audio = signals.speech_like(0.3, seed=3)
    frontend.reset()
    one_by_one = np.concatenate([frontend.push(audio[i : i + 1]) for i in range(audio.size)])
    assert np.array_equal(one_by_one, frontend.process(audio))
    frontend.push(audio[:1000])  # leave samples buffered, then start over
    frontend.reset()
    assert np.array_equal(frontend.push(audio), frontend.process(audio))
    frontend.reset()


def test_push_returns_empty_array_until_a_frame_completes(frontend: kwsc.Frontend) -> None:
    frontend.reset()
    first = frontend.push(np.ones(frontend.config.window_samples - 1, np.int16))
    assert first.shape == (0, 13) and first.dtype == np.int16
    assert frontend.push(np.zeros(0, np.int16)).shape == (0, 13)
    assert frontend.push(np.ones(1, np.int16)).shape == (1, 13)
    frontend.reset()


def test_process_does_not_disturb_the_stream(frontend: kwsc.Frontend) -> None:
    audio = signals.speech_like(0.5, seed=4)
    frontend.reset()
    head = frontend.push(audio[:5000])
    frontend.process(signals.white_noise(0.5))
    tail = frontend.push(audio[5000:])
    assert np.array_equal(np.concatenate([head, tail]), frontend.process(audio))
    frontend.reset()


@settings(max_examples=25, deadline=None)
@given(
    fft_log2=st.integers(6, 10),
    window_frac=st.floats(0.3, 1.0),
    hop_frac=st.floats(0.1, 1.0),
    num_mel=st.integers(4, 48),
    ceps_frac=st.floats(0.1, 1.0),
    preemph_q15=st.sampled_from([0, 31785, 32767]),
    mel_edges_hz=st.sampled_from([(60, 7600), (0, 8000), (300, 3400)]),
    seed=st.integers(0, 1000),
)
def test_other_configs_track_the_reference(
    fft_log2: int,
    window_frac: float,
    hop_frac: float,
    num_mel: int,
    ceps_frac: float,
    preemph_q15: int,
    mel_edges_hz: tuple[int, int],
    seed: int,
) -> None:
    """Tables generated for any valid config give log-mel energies within 0.02 log2 units of float64
    wherever the band is well above the floor and at least one bin wide (the generator, not
    hand-typed tables, is tested)."""
    fft_size = 2**fft_log2
    window = max(16, int(fft_size * window_frac))
    config = FrontendConfig(
        window_samples=window,
        hop_samples=max(1, int(window * hop_frac)),
        fft_size=fft_size,
        num_mel=num_mel,
        num_ceps=max(1, int(num_mel * ceps_frac)),
        preemph_q15=preemph_q15,
        mel_low_hz=mel_edges_hz[0],
        mel_high_hz=mel_edges_hz[1],
    )
    audio = signals.speech_like(0.4, level_dbfs=-30, seed=seed)
    fixed = kwsc.Frontend(config).process_log_mel(audio) / 2**16
    exact = reference.log_mel(audio, config)
    assert fixed.shape == exact.shape
    # Bands narrower than one FFT bin (total weight < 1) carry only a sliver of a bin, where
    # the Q15 weight's rounding is a larger relative error; they are held to a looser bound.
    wide = reference.mel_filterbank(config).sum(axis=1) >= 1.0
    error = np.abs(fixed - exact)[exact > 8]
    assert np.abs(fixed - exact)[(exact > 8) & wide].max(initial=0) < 0.02
    assert error.max(initial=0) < 0.25


def test_float_input_is_scaled_rounded_and_saturated(frontend: kwsc.Frontend) -> None:
    x = np.array([-1.5, -1.0, -0.5, 0.0, 0.5 / 32768, 1.5 / 32768, 0.25, 1.0, 7.0], dtype=np.float64)
    expected = np.array([-32768, -32768, -16384, 0, 0, 2, 8192, 32767, 32767], dtype=np.int16)
    assert np.array_equal(kwsc.to_int16(x), expected)  # ties to even, saturating
    audio = signals.speech_like(0.3, seed=5)
    assert np.array_equal(frontend.process(audio.astype(np.float32) / 32768), frontend.process(audio))


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.zeros((2, 800), np.int16), ValueError, "1-D"),
        (np.zeros(0, np.int16), ValueError, "empty"),
        (np.zeros(1600, np.int16)[::2], ValueError, "contiguous"),
        (np.array([0.0, np.nan] * 400), ValueError, "NaN"),
        (np.array([0.0, np.inf] * 400, np.float32), ValueError, "NaN or inf"),
        (np.zeros(800, np.int32), TypeError, "int16 or float"),
        (np.zeros(800, np.uint8), TypeError, "int16 or float"),
        ([1, 2, 3], TypeError, "int16 or float"),
    ],
)
def test_bad_input_raises_clear_errors(frontend: kwsc.Frontend, bad: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        frontend.process(bad)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fft_size": 500}, "power of two"),
        ({"window_samples": 600}, "window_samples"),
        ({"hop_samples": 0}, "hop_samples"),
        ({"num_mel": 0}, "num_mel"),
        ({"num_ceps": 41}, "num_ceps"),
        ({"mel_high_hz": 9000}, "mel_high_hz"),
        ({"mel_low_hz": 8000, "mel_high_hz": 7000}, "mel_low_hz"),
        ({"preemph_q15": 40000}, "preemph_q15"),
        ({"fft_size": 512.0}, "integer"),
    ],
)
def test_out_of_range_config_is_rejected(fields: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FrontendConfig(**fields)


def test_config_from_dict() -> None:
    config = FrontendConfig.from_dict({"num_mel": 32, "preemphasis": 0.97})
    assert config.num_mel == 32 and config.preemph_q15 == 31785
    with pytest.raises(ConfigError, match="unknown frontend field"):
        FrontendConfig.from_dict({"n_mels": 40})
    assert FrontendConfig().content_hash() != config.content_hash()


def test_c_rejects_what_python_rejects() -> None:
    """The C check agrees with the Python check on the config it is handed."""
    from kwsc._kwsc_c import ffi, lib

    c = ffi.new("kwsc_frontend_config *")
    lib.kwsc_frontend_config_default(c)
    assert lib.kwsc_frontend_config_check(c) == 0
    assert {f: getattr(c, f) for f in FrontendConfig().to_dict()} == FrontendConfig().to_dict()
    c.fft_size = 500
    assert lib.kwsc_frontend_config_check(c) == -2
    assert lib.kwsc_frontend_memory_bytes(c) == 0


def test_batch_equals_one_by_one() -> None:
    clips = [signals.speech_like(0.2 + 0.1 * i, seed=i) for i in range(9)]
    frontend = kwsc.Frontend()
    expected = [frontend.process(clip) for clip in clips]
    for workers in (1, 2, 4):
        got = kwsc.process_batch(clips, workers=workers)
        assert len(got) == len(expected)
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))


def _quantize_numpy(ceps: np.ndarray, params: QuantParams) -> np.ndarray:
    v = (ceps.astype(np.int64) - params.offset_q6) * params.scale_q16
    r = np.sign(v) * ((np.abs(v) + 32768) >> 16)
    return np.clip(r + params.zero_point, -128, 127).astype(np.int8)


@settings(max_examples=80, deadline=None)
@given(
    ceps=hnp.arrays(np.int16, st.tuples(st.integers(0, 20), st.just(13)), elements=st.integers(-32768, 32767)),
    offset=hnp.arrays(np.int32, 13, elements=st.integers(-(2**20), 2**20)),
    scale=hnp.arrays(np.int32, 13, elements=st.integers(-(2**24) + 1, 2**24 - 1)),
    zero_point=st.integers(-128, 127),
)
def test_int8_quantisation_matches_its_definition(
    ceps: np.ndarray, offset: np.ndarray, scale: np.ndarray, zero_point: int
) -> None:
    params = QuantParams(offset, scale, zero_point)
    got = kwsc.Frontend().quantize(ceps, params)
    assert got.dtype == np.int8
    assert np.array_equal(got, _quantize_numpy(ceps, params))


def test_quantisation_rounds_half_away_from_zero(frontend: kwsc.Frontend) -> None:
    params = QuantParams(np.zeros(13, np.int32), np.full(13, 32768, np.int32), 0)  # x / 2
    ceps = np.array([[1, -1, 3, -3, 255, 256, 300, -300, 0, 2, -2, 5, -5]], np.int16)
    expected = np.array([[1, -1, 2, -2, 127, 127, 127, -128, 0, 1, -1, 3, -3]], np.int8)
    assert np.array_equal(frontend.quantize(ceps, params), expected)


def test_quant_params_affine_and_round_trip() -> None:
    params = QuantParams.from_affine([1.0] * 13, [0.5] * 13, zero_point=-3)
    assert params.offset_q6[0] == 64 and params.scale_q16[0] == 2048
    again = QuantParams.from_dict(params.to_dict())
    assert np.array_equal(again.scale_q16, params.scale_q16) and again.zero_point == -3
    with pytest.raises(ValueError, match="out of range"):
        QuantParams(np.zeros(13), np.zeros(13), zero_point=200)
    with pytest.raises(ValueError, match="equal"):
        QuantParams(np.zeros(13), np.zeros(12))
