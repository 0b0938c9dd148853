"""kwsc.drift: PSI / KS / KL against hand-computed values, and planted shifts against a resample."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
from scipy import stats

from kwsc import Frontend, FrontendConfig, QuantParams, drift, signals

EPS = drift.DEFAULT_EPSILON  # 1e-4
CLIPS = 200  # one-second speech-like clips per set (one 49-frame window each)
COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


# ---------------------------------------------------------------------------------------------
# Statistics on tiny fixed inputs


def test_psi_kl_ks_two_bins() -> None:
    base = np.array([0, 0, 1, 1], np.int8)  # p = [1/2, 1/2]
    current = np.array([0, 1, 1, 1], np.int8)  # q = [1/4, 3/4]
    # PSI = (1/4 - 1/2) ln(1/4 / 1/2) + (3/4 - 1/2) ln(3/4 / 1/2) = 1/4 ln 2 + 1/4 ln 3/2 = 1/4 ln 3
    assert drift.psi(base, current) == pytest.approx(0.25 * math.log(3), abs=1e-12)
    assert drift.psi(base, current) == pytest.approx(0.2746530722, abs=1e-9)
    # KL(base || current) = 1/2 ln(1/2 / 1/4) + 1/2 ln(1/2 / 3/4) = 1/2 ln 2 + 1/2 ln 2/3 = 1/2 ln 4/3
    assert drift.kl_divergence(base, current) == pytest.approx(0.5 * math.log(4 / 3), abs=1e-12)
    # KL(current || base) = 1/4 ln 1/2 + 3/4 ln 3/2; PSI is the sum of both directions
    assert drift.kl_divergence(current, base) == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    assert drift.psi(base, current) == pytest.approx(
        drift.kl_divergence(base, current) + drift.kl_divergence(current, base)
    )
    # CDFs at 0: base 2/4, current 1/4; at 1: both 1 -> D = 1/4
    assert drift.ks_statistic(base, current) == 0.25
    assert drift.psi(base, base) == 0.0
    assert drift.kl_divergence(base, base) == 0.0
    assert drift.ks_statistic(base, base) == 0.0


def test_empty_bin_uses_epsilon() -> None:
    base = np.array([0, 0, 0, 1], np.int8)  # p = [3/4, 1/4, 0 -> eps]
    current = np.array([0, 1, 2, 2], np.int8)  # q = [1/4, 1/4, 1/2]
    # PSI = (1/4 - 3/4) ln(1/3) + 0 + (1/2 - eps) ln(1/2 / eps) = 1/2 ln 3 + (1/2 - 1e-4) ln 5000
    expected = 0.5 * math.log(3) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert expected == pytest.approx(4.807051, abs=1e-6)
    assert drift.psi(base, current) == pytest.approx(expected, abs=1e-12)
    # KL(base || current) = 3/4 ln 3 + 1/4 ln 1 + eps ln(eps / (1/2))
    assert drift.kl_divergence(base, current) == pytest.approx(0.75 * math.log(3) + 1e-4 * math.log(2e-4), abs=1e-12)
    # a larger epsilon softens the empty bin: (1/2 - 0.01) ln 50
    assert drift.psi(base, current, epsilon=0.01) == pytest.approx(0.5 * math.log(3) + 0.49 * math.log(50))
    # CDFs at 0, 1, 2: base 3/4, 1, 1; current 1/4, 1/2, 1 -> D = 1/2
    assert drift.ks_statistic(base, current) == 0.5
    with pytest.raises(ValueError, match="epsilon"):
        drift.psi(base, current, epsilon=0.0)


def test_natural_bins_span_int8() -> None:
    base = np.array([-128, -128, 127], np.int8)  # p = 2/3 at -128, 1/3 at 127, 254 bins empty on both
    current = np.array([-128, 127, 127], np.int8)  # q = 1/3, 2/3
    # PSI = (1/3 - 2/3) ln(1/2) + (2/3 - 1/3) ln 2 = 2/3 ln 2; bins empty on both sides add 0
    assert drift.psi(base, current) == pytest.approx(2 / 3 * math.log(2), abs=1e-12)
    all_256 = np.arange(-128, 129) - 0.5  # the explicit 256 natural bins give the same
    assert drift.psi(base, current, bins=all_256) == pytest.approx(2 / 3 * math.log(2), abs=1e-12)
    assert drift.bin_edges(base, current).size == 257
    with pytest.raises(ValueError, match="integer"):
        drift.psi(np.array([0.5, 1.0]), np.array([1.0, 2.0]))


def test_fixed_edges_have_open_outer_bins() -> None:
    base = np.array([0.1, 0.2, 0.6, 0.9])  # [0, 0.5): 2, [0.5, 1]: 2 -> p = [1/2, 1/2]
    current = np.array([-3.0, 0.55, 0.7, 5.0])  # -3 -> first bin, 5 -> last bin -> q = [1/4, 3/4]
    assert drift.psi(base, current, bins=[0.0, 0.5, 1.0]) == pytest.approx(0.25 * math.log(3), abs=1e-12)
    assert drift.kl_divergence(base, current, bins=[0.0, 0.5, 1.0]) == pytest.approx(0.5 * math.log(4 / 3))
    with pytest.raises(ValueError, match="increasing"):
        drift.psi(base, current, bins=[0.0, 0.0, 1.0])


def test_quantile_bins() -> None:
    base = np.array([1, 2, 3, 4])  # median 2 (F(2) = 1/2): bins {..2} and {3..}; p = [1/2, 1/2]
    current = np.array([3, 4, 5, 6])  # q = [0 -> eps, 1]
    assert drift.bin_edges(base, current, 2).tolist() == [0.5, 2.5, 6.5]
    # PSI = (eps - 1/2) ln(eps / (1/2)) + (1 - 1/2) ln(1 / (1/2)) = (1/2 - eps) ln 5000 + 1/2 ln 2
    expected = (0.5 - 1e-4) * math.log(5000) + 0.5 * math.log(2)
    assert drift.psi(base, current, bins=2) == pytest.approx(expected, abs=1e-12)
    # ties merge bins: the base takes 2 values, so 10 requested bins become 2 ({0} and {1..5})
    assert drift.bin_edges(np.array([0, 0, 0, 5]), np.array([0, 5]), 10).tolist() == [-0.5, 0.5, 5.5]
    # non-integer values: interpolated quantiles (median 0.25 of [0, 0.5]) inside the pooled range
    assert drift.bin_edges(np.array([0.0, 0.5]), np.array([1.5]), 2).tolist() == [0.0, 0.25, 1.5]


def test_ks_statistic_matches_scipy_with_ties() -> None:
    rng = np.random.default_rng(3)
    for n, m in ((50, 70), (400, 300), (7, 1000)):
        a = rng.integers(-5, 6, n).astype(np.int8)
        b = (rng.integers(-5, 6, m) + rng.integers(0, 2, m)).astype(np.int8)
        assert drift.ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
        assert drift.psi(a, b) == pytest.approx(drift.kl_divergence(a, b) + drift.kl_divergence(b, a))


def test_ks_critical_formula() -> None:
    # c(0.05) = sqrt(-ln(0.025) / 2) = sqrt(3.688879 / 2) = 1.358102; sqrt((100 + 50) / (100 * 50)) = 0.173205
    assert drift.ks_critical(100, 50) == pytest.approx(1.358102 * 0.173205, abs=1e-6)
    assert drift.ks_critical(100, 50) == pytest.approx(0.235230, abs=1e-6)
    # c(0.01) = sqrt(-ln(0.005) / 2) = 1.627624; n = m = 1000: sqrt(2 / 1000) = 0.044721
    assert drift.ks_critical(1000, 1000, 0.01) == pytest.approx(1.627624 * 0.0447214, abs=1e-6)
    # c(alpha) is the upper alpha point of the Kolmogorov distribution (to its first term)
    for alpha in (0.1, 0.05, 0.01, 0.05 / 13):
        c = drift.ks_critical(1, 1, alpha) / math.sqrt(2)
        assert c == pytest.approx(stats.kstwobign.isf(alpha), rel=1e-4)
    with pytest.raises(ValueError):
        drift.ks_critical(0, 5)
    with pytest.raises(ValueError):
        drift.ks_critical(5, 5, 1.5)


def test_frames_and_sampling() -> None:
    features = np.arange(10 * 49 * 13, dtype=np.int64).reshape(10, 49, 13)
    frames = drift.frames_of(features)
    assert frames.shape == (490, 13) and np.array_equal(frames[49], features[1, 0])
    assert drift.frames_of(frames) is frames
    # fewer windows than requested frames: 25 or 26 frames from every window, none twice
    sample = drift.sample_frames(features, 255, seed=1)
    assert sample.shape == (255, 13)
    window_of = sample[:, 0] // (49 * 13)
    assert set(np.bincount(window_of, minlength=10)) == {25, 26}
    assert np.unique(sample[:, 0]).size == 255
    assert np.array_equal(sample, drift.sample_frames(features, 255, seed=1))  # deterministic
    assert not np.array_equal(sample, drift.sample_frames(features, 255, seed=2))
    # more windows than requested frames: one frame each from distinct windows
    many = np.arange(500 * 49, dtype=np.int64).reshape(500, 49, 1)
    picked = drift.sample_frames(many, 100, seed=0)[:, 0] // 49
    assert picked.size == 100 and np.unique(picked).size == 100
    assert drift.sample_frames(features, None).shape == (490, 13)
    assert drift.sample_frames(frames, 7, seed=0).shape == (7, 13)


def test_ks_sample_size_counts_windows() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(-20, 20, (30, 49, 2)).astype(np.int8)
    current = rng.integers(-20, 20, (40, 49, 2)).astype(np.int8)
    report = drift.compare(base, current, subsample=None)
    assert (report.base_used, report.current_used) == (30 * 49, 40 * 49)
    assert (report.base_effective_n, report.current_effective_n) == (30, 40)
    assert report.results[0].ks_critical == pytest.approx(drift.ks_critical(30, 40, 0.05 / 2))
    flat = drift.compare(drift.frames_of(base), drift.frames_of(current), subsample=None)
    assert flat.base_effective_n == 30 * 49  # 2-D rows are taken as independent


# ---------------------------------------------------------------------------------------------
# Planted shifts (features from the C frontend, QuantParams.default())


def _features(clips: list[np.ndarray]) -> np.ndarray:
    frontend = Frontend()
    return np.stack([frontend.process_int8(clip, QuantParams.default()) for clip in clips])


@pytest.fixture(scope="module")
def clips() -> list[np.ndarray]:
    return [signals.speech_like(1.0, -26.0, seed=k) for k in range(CLIPS)]


@pytest.fixture(scope="module")
def base(clips: list[np.ndarray]) -> np.ndarray:
    return _features(clips)


@pytest.fixture(scope="module")
def resample_report(base: np.ndarray) -> drift.DriftReport:
    # new draws from the same generator: other clips, same distribution
    other = _features([signals.speech_like(1.0, -26.0, seed=10_000 + k) for k in range(CLIPS)])
    return drift.compare(base, other, base_label="speech A", current_label="speech B")


@pytest.fixture(scope="module")
def gain_report(base: np.ndarray, clips: list[np.ndarray]) -> drift.DriftReport:
    louder = _features([signals.clipped(clip, 6.0) for clip in clips])  # +6 dB, same audio
    return drift.compare(base, louder, base_label="speech", current_label="speech +6 dB")


def test_resample_is_ok(base: np.ndarray, resample_report: drift.DriftReport) -> None:
    assert base.shape == (CLIPS, 49, 13) and base.dtype == np.int8
    report = resample_report
    assert report.level == "ok", report.format_table()
    assert report.exit_code == 0
    assert max(r.psi for r in report.results) < 0.08  # measured 0.057 (c0)
    assert all(r.ks < r.ks_critical for r in report.results)
    assert (report.base_effective_n, report.current_effective_n) == (CLIPS, CLIPS)


def test_gain_change_is_flagged(gain_report: drift.DriftReport) -> None:
    report = gain_report
    assert report.level == "critical" and report.exit_code == 1
    c0 = report.results[0]
    assert report.worst(1)[0].name == "c0"
    assert c0.level == "critical" and c0.psi > 0.5 and c0.ks > c0.ks_critical
    # 6 dB = 2 log2 units of power in each of the 40 mel bands: c0 (their DCT-II sum, 40 x 2 /
    # sqrt(40) = 12.6 log2 units at most, less where frames sit at the log floor) at 4 log2 units
    # per int8 step moves by ~3 steps (measured 33.1 -> 36.0)
    assert 2.0 < c0.current_mean - c0.base_mean < 3.5
    # a pure gain moves c0 only: the spectral shape coefficients stay put
    assert all(r.level == "ok" for r in report.results[1:]), report.format_table()


def test_ks_alone_raises_a_warning_only(base: np.ndarray, clips: list[np.ndarray]) -> None:
    louder = _features([signals.clipped(clip, 6.0) for clip in clips])
    report = drift.compare(base, louder, psi_warning=50.0, psi_critical=100.0)
    assert report.results[0].ks > report.results[0].ks_critical
    assert report.level == "warning" and report.exit_code == 0


def test_added_noise_is_flagged(base: np.ndarray, clips: list[np.ndarray]) -> None:
    noisy = _features([signals.add_noise_at_snr(c, 10.0, slice(None), seed=k) for k, c in enumerate(clips)])
    report = drift.compare(base, noisy)
    assert report.level == "critical"
    assert sum(r.level == "critical" for r in report.results) >= 6, report.format_table()
    assert report.results[0].psi > 1.0 and report.results[0].ks > 0.5


def _synthesize(engine: str, voice: str, word: str, path: Path) -> Path:
    if engine == "espeak-ng":
        command = ["espeak-ng", "-a", "50", "-v", voice, "-w", str(path), word]
    else:
        command = ["flite", "-voice", voice, "-t", word, "-o", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return path


@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("flite")), reason="needs espeak-ng and flite")
def test_other_tts_engine_is_flagged(tmp_path: Path) -> None:
    words = COMMANDS + DIGITS
    espeak = [
        _synthesize("espeak-ng", voice, word, tmp_path / f"espeak-{voice}-{word}.wav")
        for voice in ("en-us", "en", "en-us+m3", "en+f2")
        for word in words
    ]
    flite = [
        _synthesize("flite", voice, word, tmp_path / f"flite-{voice}-{word}.wav")
        for voice in ("kal16", "awb", "rms", "slt")
        for word in words
    ]
    # espeak-ng writes 22.05 kHz: resampled to the frontend's 16 kHz; words < 1 s: one window each
    a = drift.features_of_recordings(espeak, resample=True)
    b = drift.features_of_recordings(flite, resample=True)
    assert a.shape == b.shape == (80, 49, 13)
    report = drift.compare(a, b, base_label="espeak-ng", current_label="flite")
    assert report.level == "critical"
    # not only loudness (c0): the spectral shape differs
    assert max(r.psi for r in report.results[1:]) >= 0.25, report.format_table()
    # control: the espeak-ng words split in two halves (alternate files) do not drift
    assert drift.compare(a[::2], a[1::2]).level == "ok"


# ---------------------------------------------------------------------------------------------
# Recordings, report output


def test_features_of_recordings(tmp_path: Path) -> None:
    config = FrontendConfig()
    frontend = Frontend(config)
    pcm = signals.speech_like(2.5, -26.0, seed=5)
    soundfile.write(tmp_path / "long.wav", pcm, 16000, subtype="PCM_16")
    short = signals.word_like(0.6, -20.0, seed=1)
    soundfile.write(tmp_path / "short.wav", short, 16000)
    width = config.window_samples + 48 * config.hop_samples  # 15840 samples = 49 frames
    windows = drift.features_of_recordings([tmp_path / "long.wav"], stride_frames=24)
    # starts every 24 hops (7680 samples) while a whole window fits: 0, 7680, 15360, 23040
    assert windows.shape == (4, 49, 13) and windows.dtype == np.int8
    assert np.array_equal(windows[1], frontend.process_int8(pcm[7680 : 7680 + width]))
    one = drift.features_of_recordings([tmp_path / "short.wav"])
    centred = np.zeros(width, np.int16)
    offset = (width - short.size) // 2
    centred[offset : offset + short.size] = short
    assert np.array_equal(one[0], frontend.process_int8(centred))
    assert drift.features_of_recordings([tmp_path]).shape == (4 + 1, 49, 13)  # a folder; default stride 24 frames
    learned = QuantParams.from_affine([100.0] + [0.0] * 12, [0.5] * 13)
    assert not np.array_equal(drift.features_of_recordings([tmp_path / "short.wav"], quant_params=learned), one)
    soundfile.write(tmp_path / "rate.wav", short, 8000)
    with pytest.raises(ValueError, match="wrong_sample_rate"):
        drift.features_of_recordings([tmp_path / "rate.wav"])
    assert drift.features_of_recordings([tmp_path / "rate.wav"], resample=True).shape == (1, 49, 13)


def test_json_round_trip(gain_report: drift.DriftReport) -> None:
    text = gain_report.to_json()
    data = json.loads(text)
    assert data["level"] == "critical"
    assert data["results"][0]["name"] == "c0" and data["results"][0]["level"] == "critical"
    assert set(data["results"][0]) >= {"psi", "ks", "ks_critical", "kl", "level"}
    again = drift.DriftReport.from_json(text)
    assert again == gain_report
    assert again.to_json() == text


def test_table_and_plot(gain_report: drift.DriftReport, resample_report: drift.DriftReport, tmp_path: Path) -> None:
    table = gain_report.format_table()
    lines = table.splitlines()
    assert "**critical**" in lines[0] and "speech +6 dB" in lines[0]
    assert lines[2].startswith("| coefficient | PSI | KS | KS critical | KL")
    assert len([line for line in lines if line.startswith("| c") and line[3].isdigit()]) == 13
    assert lines[4].startswith(f"| c0 | {gain_report.results[0].psi:.4f} |")
    for report, name in ((gain_report, "gain.png"), (resample_report, "resample.png")):
        report.plot(tmp_path / name)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_checks_its_input() -> None:
    a = np.zeros((5, 3), np.int8)
    with pytest.raises(ValueError, match="coefficients"):
        drift.compare(a, np.zeros((5, 4), np.int8))
    with pytest.raises(ValueError, match="names"):
        drift.compare(a, a, names=["x"])
    with pytest.raises(ValueError, match="psi_warning"):
        drift.compare(a, a, psi_warning=0.3, psi_critical=0.2)
    report = drift.compare(a, a, names=["x", "y", "z"], bins=None)
    assert [r.name for r in report.results] == ["x", "y", "z"] and report.level == "ok"
