"""The streaming detector (csrc/kwsc_detect.*, kwsc.detector, `kwsc detect` / `kwsc posteriors`).

The C detector's records are checked against an independent Python reference: features from
the frontend binding, windows cut in NumPy, raw int8 outputs from the runtime binding, and the
smoothing / threshold / refractory rules written out below in plain Python integers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from conftest import words_version, zoo_model_tflite
from kwsc import signals
from kwsc._kwsc_c import ffi, lib
from kwsc.cli import main
from kwsc.config import ConfigError, FrontendConfig
from kwsc.detector import (
    MAX_KEYWORDS,
    DetectConfig,
    DetectError,
    Detector,
    posteriors,
    posteriors_dict,
    threshold_q8,
)
from kwsc.frontend import Frontend, QuantParams
from kwsc.train import ModelConfig, TrainConfig, save, train

RATE = 16000


# ---------------------------------------------------------------------------------------------
# The reference


def quantize_reference(c_q6: np.ndarray, offset: int, scale: int, zero_point: int) -> np.ndarray:
    """kwsc_quant.h's rule in NumPy integers: round half away from zero, saturate to int8."""
    v = (c_q6.astype(np.int64) - offset) * scale
    r = np.where(v >= 0, (v + 32768) >> 16, -((-v + 32768) >> 16))
    return np.clip(r + zero_point, -128, 127).astype(np.int8)


def relative_c0_reference(window: np.ndarray, ceps: np.ndarray, quant: QuantParams) -> np.ndarray:
    """An int8 window with column 0 replaced by c0 minus its window mean (rounded half away from
    zero; the difference saturated to int16), quantised with coefficient 0's parameters: the
    header's rule, in NumPy."""
    total = int(ceps[:, 0].astype(np.int64).sum())
    frames = ceps.shape[0]
    mean = (2 * total + frames) // (2 * frames) if total >= 0 else -((-2 * total + frames) // (2 * frames))
    out = window.copy()
    out[:, 0] = quantize_reference(np.clip(ceps[:, 0].astype(np.int64) - mean, -32768, 32767), int(quant.offset_q6[0]),
                                   int(quant.scale_q16[0]), quant.zero_point)  # fmt: skip
    return out


def reference_raw(pcm: np.ndarray, detector: Detector, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(last frame of each inference window, raw int8 outputs (n, classes)) computed without the
    C detector: whole-clip features, windows cut in NumPy (c0 made relative in NumPy when the
    detector does it), the runtime run window by window."""
    frontend = Frontend(detector.frontend_config)
    ceps = frontend.process(pcm)
    features = frontend.quantize(ceps, detector.quant)
    w = detector.window_frames
    last = np.arange(w - 1, features.shape[0], stride)
    cut = [features[f - w + 1 : f + 1] for f in last]
    if detector.relative_c0:
        cut = [relative_c0_reference(cut[k], ceps[f - w + 1 : f + 1], detector.quant) for k, f in enumerate(last)]
    windows = np.stack(cut) if last.size else np.zeros((0, w, 13), np.int8)
    return last, detector.runtime.run(windows)


def reference_rules(
    raw: np.ndarray, frames: np.ndarray, keywords: int, smooth: int, threshold: int, refractory: int
) -> tuple[list[list[int]], list[int]]:
    """The header's rules in Python integers: (smoothed Q8 per inference and keyword, detected
    keyword per inference or -1)."""
    smoothed: list[list[int]] = []
    detected: list[int] = []
    previous: int | None = None
    for i in range(len(raw)):
        first = max(0, i + 1 - smooth)
        m = i + 1 - first
        row = []
        for k in range(keywords):
            total = sum(int(raw[j, k]) + 128 for j in range(first, i + 1))
            row.append((2 * total + m) // (2 * m))
        smoothed.append(row)
        candidates = [k for k in range(keywords) if row[k] >= threshold]
        keyword = -1
        if candidates and (previous is None or int(frames[i]) - previous >= refractory):
            keyword = max(candidates, key=lambda k: (row[k], -k))
            previous = int(frames[i])
        detected.append(keyword)
    return smoothed, detected


def assert_matches_reference(detector: Detector, pcm: np.ndarray) -> tuple[int, int]:
    """Run the C detector and the reference; returns (detections, qualifying inferences)."""
    c = detector.config
    result = detector.run(pcm)
    frames, raw = reference_raw(pcm, detector, c.stride_frames)
    smoothed, detected = reference_rules(
        raw, frames, detector.num_keywords, c.smooth_inferences, detector.threshold_q8, detector.refractory_frames
    )
    np.testing.assert_array_equal(result.frames, frames)
    np.testing.assert_array_equal(result.probs_q8, np.array(smoothed, np.uint8).reshape(-1, detector.num_keywords))
    np.testing.assert_array_equal(result.keywords, np.array(detected, np.int8))
    hop = detector.frontend_config.hop_samples
    np.testing.assert_allclose(result.times_s, (frames * hop + detector.frontend_config.window_samples) / RATE)
    qualifying = int((np.array(smoothed) >= detector.threshold_q8).any(axis=1).sum()) if smoothed else 0
    return int((result.keywords >= 0).sum()), qualifying


def threshold_at_quantile(detector: Detector, pcm: np.ndarray, quantile: float) -> float:
    """A threshold (probability) that the smoothed values of keyword 0 cross about ``1 - quantile``
    of the time on ``pcm`` (so tests detect something whatever a tiny model learned)."""
    probe = detector.run(pcm).probs_q8.max(axis=1)
    return float(np.quantile(probe, quantile)) / 256.0


# ---------------------------------------------------------------------------------------------
# Models and signals


def long_signal(seconds_per_part: float = 2.0, seed: int = 0) -> np.ndarray:
    """About 30 s of generated audio: keyword-like takes (the seeds of the training corpus's
    "alexa" words and unseen ones), other words, speech-like babble, noise, silence and a tone."""
    parts = []
    for i in range(4):
        parts.append(signals.take(signals.word_like(0.6, -22.0, seed=i), 0.3, 0.3, -60, seed=i))  # "alexa" spk i
        parts.append(signals.speech_like(seconds_per_part, -26.0, seed=seed + i))
        parts.append(signals.take(signals.word_like(0.6, -22.0, seed=500 + i), 0.3, 0.3, -60, seed=i))  # "other"
        parts.append(signals.take(signals.word_like(0.6, -18.0, seed=9000 + seed + i), 0.5, 0.2, -55, seed=i))
    parts += [signals.pink_noise(1.5, -35.0, seed=seed), signals.silence(0.7), signals.tone(0.8, 700.0, -20.0)]
    return np.concatenate([np.asarray(p, np.int16) for p in parts])


def train_folder(root: Path, keywords: list[str], words: tuple[str, ...]) -> Path:
    """A tiny DS-CNN trained on synthetic words (write_speech_commands_tree), saved in a store
    under ``root``; returns its model folder."""
    store, version_id = words_version(root, keywords, words)
    version = store.resolve(version_id)
    model_config, train_config = ModelConfig(filters=8, blocks=1), TrainConfig(epochs=2, batch_size=16)
    trained = train(version, keywords, model_config, train_config)
    return save(store.root, version_id, trained, model_config, train_config, keywords)


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny DS-CNN trained on synthetic "alexa" vs "other" words."""
    return train_folder(tmp_path_factory.mktemp("detect"), ["alexa"], ("alexa", "other"))


@pytest.fixture(scope="module")
def two_keyword_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny DS-CNN with two keywords: "alexa" and "stop" (the seeds of long_signal's "other")."""
    return train_folder(tmp_path_factory.mktemp("detect2"), ["alexa", "stop"], ("alexa", "stop", "other"))


@pytest.fixture(scope="module")
def zoo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 12-class kernel zoo model with a hand-written meta.json: classes 0..7 are keywords,
    the quantisation is learned from the test signal so the outputs move."""
    folder = tmp_path_factory.mktemp("zoo")
    (folder / "model.tflite").write_bytes(zoo_model_tflite())
    ceps = Frontend().process(long_signal()) / 64.0
    quant = QuantParams.from_affine(ceps.mean(axis=0), 4.0 * np.maximum(ceps.std(axis=0), 1e-3) / 128.0)
    labels = [f"word{k}" for k in range(12)]
    meta = {"labels": labels, "keywords": labels[:MAX_KEYWORDS], "frontend": {"config": FrontendConfig().to_dict()},
            "normalization": {"quant": quant.to_dict()}}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


def with_meta(src: Path, dst: Path, **changes: object) -> Path:
    """A copy of model folder ``src`` at ``dst`` with meta.json entries replaced."""
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "model.tflite").write_bytes((src / "model.tflite").read_bytes())
    meta = json.loads((src / "meta.json").read_text())
    meta.update(changes)
    (dst / "meta.json").write_text(json.dumps(meta))
    return dst


# ---------------------------------------------------------------------------------------------
# The C detector against the reference


@pytest.mark.parametrize(
    ("stride", "smooth", "refractory_s", "quantile"),
    [(4, 3, 1.0, 0.5), (1, 1, 0.0, 0.7), (3, 5, 0.5, 0.3), (7, 64, 2.0, 0.5)],
)
def test_trained_model_matches_reference(
    trained_folder: Path, stride: int, smooth: int, refractory_s: float, quantile: float
) -> None:
    pcm = long_signal()
    probe = Detector.from_folder(trained_folder, DetectConfig(stride, smooth, None, refractory_s))
    threshold = threshold_at_quantile(probe, pcm, quantile)
    detector = Detector.from_folder(trained_folder, DetectConfig(stride, smooth, threshold, refractory_s))
    assert detector.labels == ("alexa",) and detector.window_frames == 49
    detections, qualifying = assert_matches_reference(detector, pcm)
    assert detections >= 2  # the comparison has teeth: events happen ...
    if refractory_s > 0:
        assert qualifying > detections  # ... and the refractory period suppresses some


@pytest.mark.parametrize(("stride", "smooth"), [(4, 3), (1, 1), (7, 5)])
def test_relative_c0_matches_reference(trained_folder: Path, tmp_path: Path, stride: int, smooth: int) -> None:
    """A model whose training windows had c0 relative to their window (``normalization.relative_c0``
    in meta.json) gets the same from the detector's c0 ring, at every ring position."""
    meta = json.loads((trained_folder / "meta.json").read_text())
    folder = with_meta(
        trained_folder, tmp_path / "relative", normalization={**meta["normalization"], "relative_c0": True}
    )
    pcm = long_signal()
    probe = Detector.from_folder(folder, DetectConfig(stride, smooth, None, 0.5))
    assert probe.relative_c0 and probe.c_config_fields()[-1] == 1
    detector = Detector.from_folder(folder, DetectConfig(stride, smooth, threshold_at_quantile(probe, pcm, 0.5), 0.5))
    detections, _ = assert_matches_reference(detector, pcm)
    assert detections >= 2
    plain = Detector.from_folder(trained_folder, DetectConfig(stride, smooth, None, 0.5))
    assert not np.array_equal(plain.run(pcm).probs_q8, detector.run(pcm).probs_q8)  # the option does something


def test_trained_model_extreme_thresholds(trained_folder: Path) -> None:
    pcm = long_signal()
    never = Detector.from_folder(trained_folder, DetectConfig(threshold=1.0))
    assert never.threshold_q8 == 256 and assert_matches_reference(never, pcm)[0] == 0
    always = Detector.from_folder(trained_folder, DetectConfig(threshold=0.0, refractory_s=0.0))
    result = always.run(pcm)
    assert (result.keywords == 0).all() and len(result) > 300
    spaced = Detector.from_folder(trained_folder, DetectConfig(threshold=0.0, refractory_s=1.0))
    events = spaced.run(pcm).events
    # Every inference qualifies: detections come exactly every 52 frames (the first inference
    # at or after 50 frames on the 4-frame grid), starting with the first window.
    assert [e.frame for e in events] == list(range(48, 48 + 52 * len(events), 52))
    assert events[1].time_s == pytest.approx(events[0].time_s + 52 * 0.02)


def test_two_keyword_model_matches_reference(two_keyword_folder: Path) -> None:
    pcm = long_signal(seed=1)
    probe = Detector.from_folder(two_keyword_folder, DetectConfig(threshold=0.0, refractory_s=0.0))
    assert probe.labels == ("alexa", "stop")
    winners = probe.run(pcm).probs_q8.argmax(axis=1)
    assert set(np.unique(winners)) == {0, 1}  # each keyword leads somewhere: the choice matters
    for quantile, smooth in ((0.5, 3), (0.8, 1)):
        threshold = threshold_at_quantile(probe, pcm, quantile)
        config = DetectConfig(stride_frames=2, smooth_inferences=smooth, threshold=threshold, refractory_s=0.4)
        detector = Detector.from_folder(two_keyword_folder, config)
        detections, qualifying = assert_matches_reference(detector, pcm)
        assert detections >= 2 and qualifying > detections
        assert detector.run(pcm).probs_q8.shape[1] == 2
    # With no threshold or refractory the detected keyword is the argmax, ties to the lower index.
    result = probe.run(pcm)
    np.testing.assert_array_equal(result.keywords, result.probs_q8.argmax(axis=1))
    assert {e.keyword for e in result.events} == {"alexa", "stop"}


@pytest.mark.parametrize("keywords", [MAX_KEYWORDS, 3])
def test_zoo_model_keywords_match_reference(zoo_folder: Path, tmp_path: Path, keywords: int) -> None:
    meta = json.loads((zoo_folder / "meta.json").read_text())
    folder = with_meta(zoo_folder, tmp_path / "m", keywords=meta["labels"][:keywords])
    pcm = long_signal(seed=1)
    probe = Detector.from_folder(folder, DetectConfig(threshold=0.0))
    threshold = threshold_at_quantile(probe, pcm, 0.4)
    detector = Detector.from_folder(folder, DetectConfig(stride_frames=2, smooth_inferences=4, threshold=threshold))
    detections, qualifying = assert_matches_reference(detector, pcm)
    assert detector.num_keywords == keywords and detections >= 2 and qualifying > detections
    result = detector.run(pcm)
    assert result.probs_q8.shape == (len(result), keywords)
    assert len(np.unique(result.probs_q8, axis=0)) > 5  # the probabilities move


# ---------------------------------------------------------------------------------------------
# Streaming


def _stream(detector: Detector, pcm: np.ndarray, chunk: int) -> tuple[np.ndarray, ...]:
    detector.reset()
    parts = [detector.push(pcm[i : i + chunk]) for i in range(0, pcm.size, chunk)]
    return tuple(np.concatenate([getattr(p, name) for p in parts]) for name in ("frames", "probs_q8", "keywords"))


@pytest.mark.parametrize("chunk", [1, 7, 320, 481, 10**9])
@pytest.mark.parametrize("records_per_call", [1, 3, 1 << 16])
def test_any_chunking_gives_identical_records(zoo_folder: Path, chunk: int, records_per_call: int) -> None:
    pcm = long_signal(0.5, seed=2)[: 8 * RATE]
    detector = Detector.from_folder(zoo_folder, DetectConfig(stride_frames=3, threshold=0.1, refractory_s=0.3))
    whole = detector.run(pcm)
    assert len(whole) > 80 and (whole.keywords >= 0).sum() >= 2
    detector.records_per_call = records_per_call  # exercises "out is full: stop before the frame"
    frames, probs, keywords = _stream(detector, pcm, chunk)
    np.testing.assert_array_equal(frames, whole.frames)
    np.testing.assert_array_equal(probs, whole.probs_q8)
    np.testing.assert_array_equal(keywords, whole.keywords)


def test_push_stops_when_out_is_full(zoo_folder: Path) -> None:
    detector = Detector.from_folder(zoo_folder)
    pcm = long_signal(0.5)[: 3 * RATE]
    records = ffi.new("kwsc_detect_record[2]")
    consumed = ffi.new("size_t *")
    lib.kwsc_detect_reset(detector._det)
    n = lib.kwsc_detect_push(detector._det, ffi.from_buffer("int16_t[]", pcm), pcm.size, consumed, records, 2)
    assert n == 2 and [records[0].frame, records[1].frame] == [48, 52]
    # Frame 56 would need a record: the frontend stops after frame 55 (it takes no part of the
    # samples that would complete a frame it cannot emit).
    assert consumed[0] == 55 * 320 + 480
    assert lib.kwsc_detect_frames(detector._det) == 56
    n = lib.kwsc_detect_push(detector._det, ffi.from_buffer("int16_t[]", pcm), pcm.size, consumed, ffi.NULL, 0)
    assert n == 0 and consumed[0] == 0  # still no room for frame 56's record
    assert lib.kwsc_detect_push(ffi.NULL, ffi.from_buffer("int16_t[]", pcm), 10, consumed, records, 2) == 0
    assert consumed[0] == 0


def test_reset_starts_a_new_stream(zoo_folder: Path) -> None:
    pcm = long_signal(0.5, seed=3)[: 6 * RATE]
    detector = Detector.from_folder(zoo_folder, DetectConfig(threshold=0.1))
    first = detector.run(pcm)
    detector.reset()
    detector.push(pcm[: 3 * RATE + 17])  # a partial stream, with detections and smoothing history
    detector.reset()
    again = detector.push(pcm)
    np.testing.assert_array_equal(again.frames, first.frames)
    np.testing.assert_array_equal(again.probs_q8, first.probs_q8)
    np.testing.assert_array_equal(again.keywords, first.keywords)
    # Without a reset, frames and times continue.
    more = detector.push(pcm)
    assert more.frames[0] > first.frames[-1] and more.times_s[0] > first.times_s[-1]


def test_short_and_empty_input(zoo_folder: Path) -> None:
    detector = Detector.from_folder(zoo_folder)
    assert len(detector.run(np.zeros(RATE - 161, np.int16))) == 0  # 48 frames: one short of a window
    assert len(detector.run(np.zeros(RATE - 160, np.int16))) == 1  # 49 frames
    assert len(detector.push(np.zeros(0, np.int16))) == 0
    with pytest.raises(ValueError, match="empty"):
        detector.run(np.zeros(0, np.int16))
    one = detector.run(signals.speech_like(1.0))
    assert one.times_s.tolist() == [pytest.approx(0.99)]


# ---------------------------------------------------------------------------------------------
# Configuration and errors


def test_threshold_q8_rounding() -> None:
    assert [threshold_q8(p) for p in (0.0, 0.5, 1.0, 0.3, 1 / 512, 0.999)] == [0, 128, 256, 77, 1, 256]


def test_a_model_of_other_frontend_numerics_is_refused(trained_folder: Path, tmp_path: Path) -> None:
    from kwsc.numerics import numerics_fingerprint

    frontend = json.loads((trained_folder / "meta.json").read_text())["frontend"]
    assert frontend["numerics"] == numerics_fingerprint()  # training records what made its features
    other = with_meta(trained_folder, tmp_path / "other", frontend={**frontend, "numerics": "0" * 64})
    with pytest.raises(DetectError, match="other frontend numerics"):
        Detector.from_folder(other)
    # A model from before the fingerprint records none and is not checked.
    unrecorded = with_meta(trained_folder, tmp_path / "unrecorded", frontend={"config": frontend["config"]})
    assert Detector.from_folder(unrecorded).labels == Detector.from_folder(trained_folder).labels


def test_threshold_from_meta_and_override(trained_folder: Path, tmp_path: Path) -> None:
    assert Detector.from_folder(trained_folder).threshold == 0.5  # no "threshold" in meta.json
    folder = with_meta(trained_folder, tmp_path / "m", threshold=0.3)
    assert Detector.from_folder(folder).threshold_q8 == 77
    assert Detector.from_folder(folder, DetectConfig(threshold=0.9)).threshold_q8 == 230
    with pytest.raises(DetectError, match="threshold"):
        Detector.from_folder(with_meta(trained_folder, tmp_path / "bad", threshold=1.5))
    with pytest.raises(DetectError, match="not a number"):
        Detector.from_folder(with_meta(trained_folder, tmp_path / "text", threshold="high"))


@pytest.mark.parametrize(
    "kwargs",
    [{"stride_frames": 0}, {"stride_frames": 1025}, {"smooth_inferences": 0}, {"smooth_inferences": 65},
     {"threshold": -0.1}, {"threshold": 1.01}, {"refractory_s": -1.0}, {"refractory_s": float("nan")}],
)  # fmt: skip
def test_config_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        DetectConfig(**kwargs)  # type: ignore[arg-type]


def test_refractory_conversion() -> None:
    c = FrontendConfig()
    assert DetectConfig().refractory_frames(c) == 50
    assert DetectConfig(refractory_s=0.03).refractory_frames(c) == 2  # 1.5 frames, half up
    with pytest.raises(ConfigError, match="65535"):
        DetectConfig(refractory_s=1400.0).refractory_frames(c)


def test_c_config_check_and_init_errors(zoo_folder: Path) -> None:
    config = ffi.new("kwsc_detect_config *")
    lib.kwsc_detect_config_default(config)
    assert (config.stride_frames, config.smooth_inferences, config.threshold_q8) == (4, 3, 128)
    assert (config.refractory_frames, config.num_keywords) == (50, 1)
    assert lib.kwsc_detect_config_check(config) == 0
    assert lib.kwsc_detect_config_check(ffi.NULL) == -1
    for field, value in [("stride_frames", 0), ("smooth_inferences", 65), ("threshold_q8", 257),
                         ("num_keywords", 0), ("num_keywords", MAX_KEYWORDS + 1)]:  # fmt: skip
        bad = ffi.new("kwsc_detect_config *", config[0])
        setattr(bad, field, value)
        assert lib.kwsc_detect_config_check(bad) == -2, field

    detector = Detector.from_folder(zoo_folder)
    fe = detector._frontend
    model = detector.runtime.model_pointer
    need = lib.kwsc_detect_memory_bytes(config, fe._c_config, model)
    eight = ffi.new("kwsc_detect_config *", config[0])
    eight.num_keywords = 8
    assert lib.kwsc_detect_memory_bytes(eight, fe._c_config, model) == detector.memory_bytes == need + 16
    arena = detector.runtime.plan.arena_bytes
    assert need >= fe.memory_bytes + arena + 49 * 13
    memory = np.zeros(need // 8 + 2, np.uint64)
    base = ffi.from_buffer(memory)
    handle = ffi.new("kwsc_detect **")
    quant = detector.quant._struct()

    def init(ptr: object = base, size: int = need, cfg: object = config, q: object = quant) -> int:
        return lib.kwsc_detect_init(handle, ptr, size, cfg, fe._c_config, fe._c_tables.struct, q, model)

    assert init() == 0
    assert init(size=need - 1) == -3
    assert init(ptr=ffi.cast("char *", base) + 4) == -3  # not 8-byte aligned
    assert init(q=ffi.NULL) == -1
    short = ffi.new("kwsc_quant_params *", {"num_ceps": 12, "offset_q6": quant.offset_q6,
                                            "scale_q16": quant.scale_q16, "zero_point": 0})  # fmt: skip
    assert init(q=short) == -5
    twelve = ffi.new("kwsc_detect_config *", config[0])
    twelve.num_keywords = 8
    assert init(cfg=twelve) == -3 and init(cfg=twelve, size=need + 16) == 0  # 8 of the 12 classes
    # A frontend with 12 coefficients: 637 input bytes are not whole frames -> the model does not fit.
    fe12 = ffi.new("kwsc_frontend_config *", fe._c_config[0])
    fe12.num_ceps = 12
    assert lib.kwsc_detect_memory_bytes(config, fe12, model) == 0


def test_model_folder_errors(zoo_folder: Path, trained_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(DetectError, match=r"model\.tflite"):
        Detector.from_folder(tmp_path)
    labels = [f"word{k}" for k in range(12)]
    with pytest.raises(DetectError, match=r"1\.\.8 keywords"):
        Detector.from_folder(with_meta(zoo_folder, tmp_path / "nine", keywords=labels[:9]))
    with pytest.raises(DetectError, match="do not start with"):
        Detector.from_folder(with_meta(zoo_folder, tmp_path / "order", keywords=["word3"]))
    with pytest.raises(DetectError, match="2 outputs"):
        Detector.from_folder(with_meta(trained_folder, tmp_path / "two", keywords=["alexa", "_negative", "x"],
                                       labels=["alexa", "_negative", "x"]))  # fmt: skip
    with pytest.raises(DetectError, match="normalization"):
        Detector.from_folder(with_meta(zoo_folder, tmp_path / "q", normalization={"quant": {"offset_q6": [0]}}))
    broken = with_meta(zoo_folder, tmp_path / "json")
    (broken / "meta.json").write_text("{")
    with pytest.raises(DetectError, match="JSON"):
        Detector.from_folder(broken)


# ---------------------------------------------------------------------------------------------
# posteriors and the CLI


def test_posteriors_format(trained_folder: Path, zoo_folder: Path) -> None:
    pcm = long_signal(0.5)
    single = posteriors(trained_folder, pcm)
    assert set(single) == {"times_s", "probs", "labels", "threshold"}
    assert single["times_s"].dtype == np.float64 and single["probs"].dtype == np.float32
    assert single["probs"].shape == single["times_s"].shape and single["probs"].ndim == 1
    assert single["labels"].tolist() == ["alexa"] and float(single["threshold"]) == 0.5
    assert single["probs"].min() >= 0.0 and single["probs"].max() < 1.0
    detector = Detector.from_folder(trained_folder)
    np.testing.assert_array_equal(single["probs"] * 256, detector.run(pcm).probs_q8[:, 0])
    multi = posteriors(zoo_folder, pcm, DetectConfig(threshold=0.25))
    assert multi["probs"].shape == (multi["times_s"].size, MAX_KEYWORDS) and multi["labels"].shape == (8,)
    assert float(multi["threshold"]) == 0.25
    assert posteriors_dict(detector.run(pcm))["times_s"][0] == pytest.approx(0.99)


def _write_wav(path: Path, pcm: np.ndarray, rate: int = RATE) -> Path:
    soundfile.write(path, pcm, rate, subtype="PCM_16")
    return path


def test_cli_detect_end_to_end(trained_folder: Path, tmp_path: Path) -> None:
    pcm = long_signal()
    wav = _write_wav(tmp_path / "long.wav", pcm)
    probe = Detector.from_folder(trained_folder, DetectConfig(threshold=0.0))
    threshold = round(threshold_at_quantile(probe, pcm, 0.5), 4)
    expected = Detector.from_folder(trained_folder, DetectConfig(threshold=threshold)).run(pcm).events
    assert len(expected) >= 2
    store = trained_folder.parent.parent
    runner = CliRunner()
    args = [
        "detect",
        "--model",
        trained_folder.name[:10],
        "--store",
        str(store),
        str(wav),
        "--threshold",
        str(threshold),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(expected) + 1
    for line, event in zip(lines, expected, strict=False):
        time_s, unit, keyword, probability = line.split()
        assert (float(time_s), unit, keyword) == (pytest.approx(event.time_s, abs=1e-3), "s", "alexa")
        assert float(probability) == pytest.approx(event.probability, abs=1e-3)
    assert f"{len(expected)} detections (alexa {len(expected)})" in lines[-1]

    result = runner.invoke(main, [*args, "--json", "--smooth", "1", "--stride-frames", "2", "--refractory-s", "0.5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    config = DetectConfig(stride_frames=2, smooth_inferences=1, threshold=threshold, refractory_s=0.5)
    events = Detector.from_folder(trained_folder, config).run(pcm).events
    assert [(d["time_s"], d["frame"], d["keyword"], d["probability"]) for d in data["detections"]] == [
        (round(e.time_s, 6), e.frame, e.keyword, e.probability) for e in events
    ]
    frames = (pcm.size - 480) // 320 + 1
    assert data["inferences"] == (frames - 49) // 2 + 1 and data["refractory_s"] == pytest.approx(0.5)


def test_cli_posteriors_end_to_end(trained_folder: Path, zoo_folder: Path, tmp_path: Path) -> None:
    pcm = long_signal(0.5)
    wav = _write_wav(tmp_path / "a.wav", pcm)
    runner = CliRunner()
    out = tmp_path / "single.npz"
    result = runner.invoke(main, ["posteriors", "--model", str(trained_folder), str(wav), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with np.load(out) as data:
        assert sorted(data.files) == ["labels", "probs", "threshold", "times_s"]
        n = data["times_s"].size
        assert data["times_s"].dtype == np.float64 and data["probs"].dtype == np.float32
        assert data["probs"].shape == (n,) and data["threshold"].shape == () and data["threshold"] == 0.5
        assert data["labels"].tolist() == ["alexa"]
        np.testing.assert_array_equal(data["probs"], posteriors(trained_folder, pcm)["probs"])
    out = tmp_path / "multi.npz"
    result = runner.invoke(main, ["posteriors", "--model", str(zoo_folder), str(wav), "--out", str(out),
                                  "--threshold", "0.3", "--smooth", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    with np.load(out) as data:
        assert data["probs"].shape == (data["times_s"].size, 8) and data["labels"].shape == (8,)
        assert float(data["threshold"]) == 77 / 256  # 0.3 on the Q8 grid


def test_cli_input_errors(trained_folder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    pcm = signals.speech_like(1.5)
    cases = {
        "8000 Hz": _write_wav(tmp_path / "low.wav", pcm[::2], 8000),
        "2 channels": _write_wav(tmp_path / "stereo.wav", np.stack([pcm, pcm], axis=1)),
        "cannot decode|unreadable": tmp_path / "junk.wav",
    }
    (tmp_path / "junk.wav").write_bytes(b"not audio")
    for message, wav in cases.items():
        result = runner.invoke(main, ["detect", "--model", str(trained_folder), str(wav)])
        assert result.exit_code == 2 and any(m in result.output for m in message.split("|")), result.output
    low = cases["8000 Hz"]
    assert "--resample" in runner.invoke(main, ["detect", "--model", str(trained_folder), str(low)]).output
    result = runner.invoke(main, ["detect", "--model", str(trained_folder), str(low), "--resample"])
    assert result.exit_code == 0 and "1.50 s" in result.output
    result = runner.invoke(main, ["detect", "--model", str(tmp_path / "none"), str(low)])
    assert result.exit_code == 2 and "no model" in result.output
    result = runner.invoke(main, ["detect", "--model", str(trained_folder), str(low), "--threshold", "2"])
    assert result.exit_code == 2


def test_firmware_detector_equals_host(two_keyword_folder: Path, tmp_path: Path) -> None:
    """The detector on the Cortex-M4 under QEMU (frontend, exported model, smoothing, threshold,
    refractory, all compiled from the same C) gives the host's records bit for bit, with
    detections of both keywords in the stream."""
    from kwsc import firmware
    from kwsc.export import export

    pcm = long_signal(seed=1)
    export(two_keyword_folder / "model.tflite", tmp_path)
    build = firmware.build(model_dir=tmp_path)
    probe = Detector.from_folder(two_keyword_folder)
    threshold = threshold_at_quantile(probe, pcm, 0.8)
    detector = Detector.from_folder(two_keyword_folder, DetectConfig(threshold=threshold, refractory_s=0.3))
    host = detector.run(pcm)
    assert len(host.events) >= 2
    device = firmware.run_detect(build, pcm, detector, chunk_samples=777)
    np.testing.assert_array_equal(device.records["frame"], host.frames)
    np.testing.assert_array_equal(device.records["prob_q8"][:, : detector.num_keywords], host.probs_q8)
    np.testing.assert_array_equal(device.records["keyword"], host.keywords)
    assert device.frames == pcm.size // 320 - 1 and device.memory_bytes < detector.memory_bytes  # 32-bit pointers
    assert device.instructions_per_second > 0 and 0 < device.stack_bytes < 2048
    # The same model with c0 relative to its window (``[features] relative_c0``): the device's c0 ring.
    meta = json.loads((two_keyword_folder / "meta.json").read_text())
    folder = with_meta(two_keyword_folder, tmp_path / "relative",
                       normalization={**meta["normalization"], "relative_c0": True})  # fmt: skip
    relative = Detector.from_folder(folder, DetectConfig(threshold=threshold, refractory_s=0.3))
    host = relative.run(pcm)
    device = firmware.run_detect(build, pcm, relative, chunk_samples=777)
    np.testing.assert_array_equal(device.records["prob_q8"][:, : relative.num_keywords], host.probs_q8)
    np.testing.assert_array_equal(device.records["keyword"], host.keywords)
    assert not np.array_equal(host.probs_q8, detector.run(pcm).probs_q8)
