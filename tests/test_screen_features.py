"""bench/screen_features.py: the window-level feature screen's parts (variants, quantisation, the
recall metric) and one run end to end on a small dataset version made here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from conftest import words_version
from kwsc import Frontend
from kwsc.build import window_jobs
from kwsc.config import load_project
from kwsc.features import window_audio

BENCH = Path(__file__).resolve().parents[1] / "bench" / "screen_features.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("screen_features", BENCH)
    module = importlib.util.module_from_spec(spec)
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

    results = screen_features.screen(config, store, version, ["cepstra", "log_mel", "pcen", "cmn"], [0], epochs=1)
    assert list(results) == ["cepstra", "log_mel", "pcen", "cmn"]
    for by_seed in results.values():
        scored = by_seed[0]
        assert list(scored) == ["test"]  # no held-out voices in this project: no crossvoice split
        test = scored["test"]
        assert test["keyword_windows"] == int(np.sum((splits == "test") & (labels == "alexa")))
        assert 0.0 <= test["recall_at_0.001"] <= test["recall_at_0.01"] <= 100.0
    table = screen_features.markdown(results)
    assert table.count("\n") == 1 + 4 and "| pcen | 0 |" in table and "n/a" in table  # crossvoice columns empty
    with pytest.raises(ValueError, match="unknown variants"):
        screen_features.screen(config, store, version, ["mfcc"], [0], epochs=1)
