"""The recording validator (C, through kwsc.validate): each defect gives exactly its reason."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kwsc import FrontendConfig, signals, validate
from kwsc._kwsc_c import ffi, lib
from kwsc.config import ConfigError

DEFECTS = sorted(signals.recording_defects(1))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("name", DEFECTS)
def test_each_defect_gives_exactly_its_reasons(name: str, seed: int) -> None:
    pcm, expected = signals.recording_defects(seed)[name]
    result = validate.validate_array(pcm)
    assert result.reasons == expected, result.metrics
    assert result.status == ("accepted" if not expected else "rejected")


def _espeak(text: str, voice: str, extra: list[str] | None = None) -> np.ndarray:
    """espeak-ng speech at 16 kHz int16 (espeak writes 22.05 kHz; resampled with soxr)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: scripts/setup.sh installs it")
    wav = subprocess.run(["espeak-ng", "-v", voice, *(extra or []), "--stdout", text], capture_output=True, check=True)
    audio, rate = soundfile.read(__import__("io").BytesIO(wav.stdout), dtype="float64")
    return np.clip(np.rint(soxr.resample(audio, rate, 16000) * 16384), -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("voice", ["en-us", "en-gb", "en-gb-scotland", "en-029"])
def test_real_tts_takes_pass_and_their_defects_are_caught(voice: str) -> None:
    word = _espeak("alexa", voice)
    good = signals.take(word, 0.5, 0.5, -60, seed=5)
    result = validate.validate_array(good)
    assert result.accepted, (result.reasons, result.metrics)
    assert 300 <= result.metrics["speech_end_ms"] - result.metrics["speech_start_ms"] <= 1200
    assert validate.validate_array(signals.upsampled_from_8k(good)).reasons == ("band_limited",)
    assert validate.validate_array(signals.take(word, 0.0, 0.5, -60, seed=5)).reasons == ("truncated_start",)


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(0, 25_000), max_size=8), name=st.sampled_from(DEFECTS))
def test_metrics_do_not_depend_on_chunking(cuts: list[int], name: str) -> None:
    pcm = signals.recording_defects(2)[name][0]
    validator = validate.Validator()
    whole = validator.raw(pcm)
    pieces = np.split(pcm, sorted(c for c in cuts if c <= pcm.size))
    validate_state = validator._v
    lib.kwsc_validate_reset(validate_state)
    for piece in pieces:
        lib.kwsc_validate_push(validate_state, ffi.from_buffer("int16_t[]", piece), piece.size)
    metrics = ffi.new("kwsc_validate_metrics *")
    lib.kwsc_validate_finish(validate_state, metrics)
    assert {k: int(getattr(metrics, k)) for k in whole} == whole
    assert validator.raw(pcm, chunk_samples=333) == whole


@settings(max_examples=40, deadline=None)
@given(pcm=hnp.arrays(np.int16, st.integers(0, 6000), elements=st.integers(-32768, 32767)))
def test_any_input_gives_a_verdict(pcm: np.ndarray) -> None:
    result = validate.validate_array(pcm)
    assert result.status in ("accepted", "rejected")
    assert set(result.reasons) <= set(validate.RECORDING_REASONS) | {"empty"}


def test_speech_span_is_the_validators_or_the_whole_recording() -> None:
    assert validate.speech_span_s(250.0, 900.0, 1.5) == (0.25, 0.9)
    for start, end in [(None, 900.0), (250.0, None), (float("nan"), 900.0), (500.0, 500.0), (600.0, 400.0)]:
        assert validate.speech_span_s(start, end, 1.5) == (0.0, 1.5)
    clean = signals.recording_defects(1)["clean"][0]
    found = validate.validate_array(clean)
    start_s, end_s = found.speech_span_s(clean.size / 16000)
    assert (start_s, end_s) == (found.metrics["speech_start_ms"] / 1000, found.metrics["speech_end_ms"] / 1000)
    assert 0 < start_s < end_s < clean.size / 16000
    silence = validate.validate_array(np.zeros(16000, np.int16))
    assert "no_speech" in silence.reasons
    assert silence.speech_span_s(1.0) == (0.0, 1.0)


def test_longer_than_analysed_is_too_long() -> None:
    config = validate.ValidateConfig(max_duration_s=1.0)
    pcm = signals.recording_defects(1)["clean"][0]
    assert "too_long" in validate.validate_array(np.tile(pcm, 2), config).reasons


def test_levels_dc_and_clipping_are_measured_in_the_stated_units() -> None:
    t = np.arange(16000) / 16000
    sine = np.rint(16384 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)  # amplitude -6.02 dBFS
    m = validate.validate_array(sine).metrics
    assert m["peak_dbfs"] == pytest.approx(-6.02, abs=0.02)
    assert m["rms_dbfs"] == pytest.approx(-9.03, abs=0.02)  # a sine's RMS is 3.01 dB under its peak
    assert m["dc_offset"] == pytest.approx(0.0, abs=1e-4)
    square = np.where(np.sin(2 * np.pi * 100 * t) >= 0, 32767, -32767).astype(np.int16)
    m = validate.validate_array(square).metrics
    assert m["clipped_fraction"] == 1.0 and m["max_clip_run"] == 16000  # |x| at full scale throughout
    burst = sine.copy()
    burst[1000:1005] = 32767
    burst[5000:5002] = -32768
    m = validate.validate_array(burst).metrics
    assert m["max_clip_run"] == 5 and m["clipped_fraction"] == pytest.approx(7 / 16000, abs=1e-6)
    offset = (np.zeros(8000) + 328 * 2).astype(np.int16)
    assert validate.validate_array(offset).metrics["dc_offset"] == pytest.approx(656 / 32768, rel=1e-3)


def test_c_defaults_equal_the_python_defaults_for_the_default_frontend() -> None:
    c = ffi.new("kwsc_validate_config *")
    lib.kwsc_validate_config_default(c)
    python = validate.ValidateConfig().to_c(FrontendConfig())
    for name in dir(c):
        assert getattr(c, name) == getattr(python, name), name


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown validate check"):
        validate.ValidateConfig(checks=("too_quiet", "loud"))
    with pytest.raises(ConfigError, match=r"unknown field\(s\) in \[validate\]"):
        validate.ValidateConfig.from_dict({"min_snr": 10})
    only_snr = validate.ValidateConfig(checks=("low_snr",))
    pcm, _ = signals.recording_defects(1)["two words"]
    assert validate.validate_array(pcm, only_snr).reasons == ()  # measured, but not a reason


def test_memory_budget() -> None:
    """RAM beyond the frontend's: <= 4 KB (the device's struct is a little smaller: 4-byte pointers)."""
    validator = validate.Validator()
    assert validator.memory_bytes <= 4096
    assert validator.memory_bytes == int(lib.kwsc_validate_memory_bytes(validator._c_config))


def test_files_get_reasons_not_exceptions(tmp_path: Path) -> None:
    clean = signals.recording_defects(1)["clean"][0]
    soundfile.write(tmp_path / "ok.wav", clean, 16000, subtype="PCM_16")
    soundfile.write(tmp_path / "8k.wav", clean[::2], 8000, subtype="PCM_16")
    soundfile.write(tmp_path / "stereo.wav", np.stack([clean, clean], axis=1), 16000, subtype="PCM_16")
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, np.int16), 16000, subtype="PCM_16")
    (tmp_path / "text.wav").write_text("not audio")
    expected = {
        "ok.wav": (),
        "8k.wav": ("wrong_sample_rate",),
        "stereo.wav": ("multichannel",),
        "empty.wav": ("empty",),
        "text.wav": ("unreadable",),
        "missing.wav": ("unreadable",),
    }
    results = validate.validate_files([tmp_path / name for name in expected], workers=2)
    assert [r.reasons for r in results] == list(expected.values())
    assert all(r.explain() for r in results if r.reasons)
    resampled = validate.validate_file(tmp_path / "8k.wav", resample=True)
    assert resampled.reasons == ("band_limited",)  # 8 kHz material, now at 16 kHz: caught by the bandwidth check
    assert validate.validate_file(tmp_path / "stereo.wav", downmix=True).accepted
    assert validate.expand_paths([tmp_path])[0].name == "8k.wav"


def test_parallel_equals_sequential(tmp_path: Path) -> None:
    paths = []
    for name, (pcm, _) in signals.recording_defects(3).items():
        paths.append(tmp_path / f"{name}.wav")
        soundfile.write(paths[-1], pcm, 16000, subtype="PCM_16")
    one = validate.validate_files(paths, workers=1)
    two = validate.validate_files(paths, workers=2)
    assert [r.raw for r in one] == [r.raw for r in two]
    assert sum(r.accepted for r in one) == 1


def test_enrollment_flags_the_take_that_is_a_different_phrase() -> None:
    takes = [
        signals.take(_espeak("alexa", "en-us", ["-s", speed, "-p", pitch]), lead, 0.5, -60, seed=i)
        for i, (speed, pitch, lead) in enumerate([("160", "50", 0.4), ("190", "40", 0.5), ("140", "60", 0.6)])
    ]
    different = signals.take(_espeak("computer", "en-us"), 0.5, 0.5, -60, seed=9)
    check = validate.check_enrollment([*takes, different])
    assert [t.reasons for t in check.takes] == [(), (), (), ("inconsistent_take",)]
    assert not check.consistent
    assert check.nearest_distance[3] > 2 * max(check.nearest_distance[:3])
    assert validate.check_enrollment(takes).consistent


def test_dtw_distance_properties() -> None:
    from kwsc import Frontend

    frontend = Frontend()
    word = signals.word_like(0.6, seed=4)
    a = frontend.process(word)
    slower = frontend.process(soxr.resample(word.astype(np.float64), 16000, 16000 / 0.9).astype(np.int16))
    other = frontend.process(signals.word_like(0.6, seed=5))
    assert validate.dtw_distance(a, a) == 0
    assert validate.dtw_distance(a, slower) < validate.dtw_distance(a, other) / 2
    # The band follows the line from the first to the last frame pair, so other lengths align,
    # and the distance does not depend on the argument order.
    longer = np.concatenate([a] * 5)
    assert validate.dtw_distance(a, longer, band=0) is not None
    assert validate.dtw_distance(a, longer, band=3) == validate.dtw_distance(longer, a, band=3)
    assert validate.dtw_distance(a[:1], other, band=1) == validate.dtw_distance(other, a[:1], band=1)
    assert validate.dtw_distance(a[:0], other) is None
