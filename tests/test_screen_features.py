"""bench/screen_features.py: the window-level feature screen's parts (variants, quantisation, the
recall metric) and one run end to end on a small dataset version made here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from conftest import words_version
from kwsc import Frontend, signals
from kwsc.build import window_jobs
from kwsc.config import load_project
from kwsc.features import window_audio
from kwsc.validate import load_audio

BENCH = Path(__file__).resolve().parents[1] / "bench" / "screen_features.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("screen_features", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there while it executes
    spec.loader.exec_module(module)
    return module


screen_features = _bench_module()


def test_pcen_matches_its_definition_frame_by_frame() -> None:
    rng = np.random.default_rng(0)
    log_mel = rng.integers(-20 * 65536, 20 * 65536, size=(2, 6, 3)).astype(np.int32)
    got = screen_features.pcen(log_mel, smooth=0.25, alpha=0.9, delta=2.0, root=0.5)
    for w in range(2):
        for c in range(3):
            smoothed = None
            for t in range(6):
                energy = 2.0 ** (log_mel[w, t, c] / 65536.0)
                smoothed = energy if smoothed is None else 0.75 * smoothed + 0.25 * energy
                expected = (energy / (1e-6 + smoothed) ** 0.9 + 2.0) ** 0.5 - 2.0**0.5
                assert got[w, t, c] == pytest.approx(expected, rel=1e-12)


def test_to_int8_standardises_on_the_training_windows_only() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(5.0, 2.0, (400, 10, 2)), np.full((10, 10, 2), 1e6)])
    train = np.arange(410) < 400  # the outliers are not training windows: they must not move the scale
    q = screen_features.to_int8(values, train)
    assert q.dtype == np.int8
    assert abs(float(q[train].mean())) < 1.0  # the training mean is int8 0
    assert float(q[train].std()) == pytest.approx(32.0, rel=0.02)  # one standard deviation is 128 / 4
    assert np.all(q[~train] == 127)  # saturated, never wrapped


def test_window_mean_removed() -> None:
    windows = np.arange(24, dtype=np.int8).reshape(2, 4, 3)
    removed = screen_features.window_mean_removed(windows)
    assert np.allclose(removed.mean(axis=1), 0.0)
    assert np.allclose(removed[0, :, 0], [-4.5, -1.5, 1.5, 4.5])


def test_recall_counts_keywords_above_the_negatives_quantile() -> None:
    negatives = np.linspace(0.0, 1.0, 10001)  # 0.1 % pass above 0.999, 1 % above 0.99
    positives = np.array([0.9995, 0.995, 0.995, 0.5])
    scores = np.concatenate([negatives, positives])
    is_keyword = np.arange(scores.size) >= negatives.size
    assert screen_features.recall_at_pass_rates(scores, is_keyword) == {"recall_at_0.001": 25.0, "recall_at_0.01": 75.0}


@pytest.mark.slow
def test_screen_end_to_end(tmp_path: Path) -> None:
    store, version = words_version(tmp_path, ["alexa"])
    config = load_project(tmp_path / "project.toml")
    rows = [r for r in store.manifest(version) if r["status"] in ("accepted", "augmented")]
    # The log-mel windows are the frontend's on the very audio the dataset's windows were cut from.
    by_id = screen_features.log_mel_by_window(config, store, version, workers=1)
    cepstra, labels, splits, ids = screen_features.dataset_windows(store, version)
    assert sorted(by_id) == sorted(ids) and len(ids) == cepstra.shape[0] == labels.size == splits.size
    first = window_jobs(config, store, rows[:1])[0]
    audio = window_audio(first)[0]
    assert np.array_equal(by_id[f"{first.clip_id}#w0"], Frontend(config.frontend).process_log_mel(audio))
    assert by_id[ids[0]].shape == (cepstra.shape[1], config.frontend.num_mel)

    # "Real" recordings at 8 kHz: 0.3 s of silence, a word, 0.2 s of silence. One window each, ending
    # end_margin_s (0.1 s) after the speech, so 0.9 s into the file (no bed: this project has no noise).
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    for k in range(3):
        word = signals.word_like(0.5, -24.0, seed=60 + k)
        take = np.concatenate([np.zeros(4800, np.int16), word, np.zeros(3200, np.int16)])
        soundfile.write(
            real_dir / f"7_spk{k}_0.wav", soxr.resample(take / 32768.0, 16000, 8000), 8000, subtype="PCM_16"
        )
    real = screen_features.real_windows(config, store, version, sorted(real_dir.glob("*.wav")))
    width = config.features.window_samples(config.frontend)
    assert len(real) == 3 and all(w.dtype == np.int16 and w.size == width for w in real)
    pcm = load_audio(real_dir / "7_spk0_0.wav", 16000, resample=True, downmix=True)
    start = int(np.argmax(pcm != 0)) - int(np.argmax(real[0] != 0))  # the window's first sample in the file
    assert np.array_equal(real[0][-start:], pcm[: width + start])  # zeros, then the file from its start
    assert 0.85 <= (start + width) / 16000 <= 1.0  # the word ends at 0.8 s (+- the validator's frames)

    results = screen_features.screen(config, store, version, ["cepstra", "log_mel", "pcen", "cmn"], [0], 1, 1, real)
    assert list(results) == ["cepstra", "log_mel", "pcen", "cmn"]
    for by_seed in results.values():
        scored = by_seed[0]
        assert list(scored) == ["test", "real"]  # no held-out voices in this project: no crossvoice split
        test = scored["test"]
        assert test["keyword_windows"] == int(np.sum((splits == "test") & (labels == "alexa")))
        assert 0.0 <= test["recall_at_0.001"] <= test["recall_at_0.01"] <= 100.0
        # the real windows against the test split's negatives
        assert scored["real"]["keyword_windows"] == 3
        assert scored["real"]["windows"] == 3 + int(np.sum((splits == "test") & (labels != "alexa")))
    table = screen_features.markdown(results)
    assert table.count("\n") == 1 + 4 and "| pcen | 0 |" in table and "n/a" in table  # crossvoice columns empty
    with pytest.raises(ValueError, match="unknown variants"):
        screen_features.screen(config, store, version, ["mfcc"], [0], epochs=1)
