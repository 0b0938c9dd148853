"""Streaming evaluation: the threshold sweep reproduces the C detector's rule exactly, the
statistics are right, and `kwsc eval` writes a well-formed report, DET curve and threshold, with
the device (QEMU) agreeing with the host."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from kwsc import evaluate, signals
from kwsc.cli import main
from kwsc.config import ConfigError, load_project
from kwsc.detector import DetectConfig, Detector
from test_detect import long_signal, train_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny DS-CNN trained on synthetic "alexa" vs "other" words, in its store."""
    return train_folder(tmp_path_factory.mktemp("evaluate"), ["alexa"], ("alexa", "other"))


@pytest.mark.parametrize(("stride", "smooth", "refractory_s"), [(4, 3, 1.0), (2, 1, 0.3), (1, 5, 0.0)])
def test_sweep_rule_equals_the_c_detector(folder: Path, stride: int, smooth: int, refractory_s: float) -> None:
    pcm = long_signal(seed=4)
    settings = {"stride_frames": stride, "smooth_inferences": smooth, "refractory_s": refractory_s}
    free = Detector.from_folder(folder, DetectConfig(threshold=1.0, **settings)).run(pcm)
    assert (free.keywords == -1).all()  # threshold 256 never fires
    tried = 0
    for q8 in sorted({int(v) for v in np.quantile(free.probs_q8[:, 0], [0.2, 0.5, 0.8, 0.95])} | {0, 1}):
        detector = Detector.from_folder(folder, DetectConfig(threshold=q8 / 256, **settings))
        expected = np.flatnonzero(detector.run(pcm).keywords >= 0)
        found = evaluate.detections(free.frames, free.probs_q8, q8, detector.refractory_frames)
        np.testing.assert_array_equal(found, expected)
        tried += expected.size > 0
    assert tried >= 2  # the comparison saw real detections


def test_detections_rule_by_hand() -> None:
    frames = np.array([0, 4, 8, 12, 60, 64, 200])
    probs = np.array([[10], [200], [210], [90], [180], [255], [130]], np.uint8)
    np.testing.assert_array_equal(evaluate.detections(frames, probs, 128, 50), [1, 4, 6])  # 8 and 64 refractory
    np.testing.assert_array_equal(evaluate.detections(frames, probs, 128, 0), [1, 2, 4, 5, 6])
    np.testing.assert_array_equal(evaluate.detections(frames, probs, 256, 0), [])
    two = np.array([[10, 200], [220, 220], [0, 0]], np.uint8)
    np.testing.assert_array_equal(evaluate.detected_keywords(two, np.array([0, 1])), [1, 0])  # ties: lowest


def test_negative_rows_are_a_splits_usable_non_keyword_clips_in_id_order() -> None:
    rows = [
        {"id": "c", "split": "test", "status": "accepted", "label": "_negative"},
        {"id": "a", "split": "test", "status": "augmented", "label": "_noise"},
        {"id": "b", "split": "test", "status": "accepted", "label": "seven"},
        {"id": "d", "split": "test", "status": "rejected", "label": "_negative"},
        {"id": "e", "split": "train", "status": "accepted", "label": "_negative"},
        {"id": "f", "split": "test", "status": "duplicate", "label": "_negative"},
    ]
    assert [r["id"] for r in evaluate.negative_rows(rows, "test", ["seven"])] == ["a", "c"]
    assert [r["id"] for r in evaluate.negative_rows(rows, "test", [])] == ["a", "b", "c"]
    assert [r["id"] for r in evaluate.negative_rows(rows, "train", ("seven",))] == ["e"]


def test_intervals_and_threshold_choice() -> None:
    assert evaluate.poisson_rate_interval(0, 1.0)[1] == pytest.approx(3.689, abs=1e-3)  # the "rule of 3.7"
    low, high = evaluate.poisson_rate_interval(10, 2.0)
    assert low < 5.0 < high and low == pytest.approx(2.398, abs=1e-3) and high == pytest.approx(9.195, abs=1e-3)
    assert evaluate.proportion_interval(0, 10) == pytest.approx((0.0, 0.3085), abs=1e-4)
    assert evaluate.proportion_interval(10, 10)[1] == 1.0
    counts = np.array([50] * 100 + [3] * 100 + [0] * 57)
    assert evaluate.choose_threshold(counts, 2.0, 1.5) == 100  # 3 in 2 h = 1.5 FA/h
    assert evaluate.choose_threshold(counts, 2.0, 1.0) == 200
    assert evaluate.choose_threshold(np.full(257, 9), 1.0, 0.5) == 256  # never fires


def test_eval_cli_writes_report_det_and_threshold(folder: Path) -> None:
    result = CliRunner().invoke(main, ["eval", str(folder), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "identical" in result.output
    assert "quieter talkers (the trials scaled): FRR" in result.output and " at -30 dB" in result.output
    report = json.loads((folder / "eval.json").read_text())
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["threshold"] == report["threshold"] == report["threshold_q8"] / 256
    for split in ("validation", "test"):
        r = report[split]
        assert r["negative_hours"] > 0 and r["trials"] > 0
        assert 0 <= r["misses"] <= r["trials"] and r["frr"] == r["misses"] / r["trials"]
        assert r["fa_per_hour"] == pytest.approx(r["false_accepts"] / r["negative_hours"])
        assert r["fa_per_hour_ci"][0] <= r["fa_per_hour"] <= r["fa_per_hour_ci"][1]
        assert r["frr_ci"][0] <= r["frr"] <= r["frr_ci"][1]
        by_group = r["misses_by_group"]  # the misses add up over the voices they come from
        assert by_group and all(g and 0 <= m <= n for g, (m, n) in by_group.items())
        assert sum(m for m, _ in by_group.values()) == r["misses"]
        assert sum(n for _, n in by_group.values()) == r["trials"]
        assert sum(r["false_accepts_by_text"].values()) == r["false_accepts"]  # every false accept attributed
    assert report["validation"]["fa_per_hour"] <= report["config"]["target_fa_per_hour"]
    det = json.loads((folder / "det.json").read_text())
    assert det["thresholds_q8"] == list(range(257))
    for split in ("validation", "test"):
        points = det[split]
        assert len(points) == 257 and points[0]["misses"] == 0 and points[256]["false_accepts"] == 0
        assert points[256]["misses"] == report[split]["trials"]  # the threshold that never fires
        assert all(set(p) >= {"fa_per_hour", "fa_per_hour_ci", "frr", "frr_ci", "threshold"} for p in points)
        chosen = points[report["threshold_q8"]]
        assert chosen["false_accepts"] == report[split]["false_accepts"] and chosen["misses"] == report[split]["misses"]
    assert (folder / "det.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    check = report["device_check"]
    assert check["identical"] and check["inferences"] > 100 and check["seconds"] >= 15
    assert Detector.from_folder(folder).threshold == report["threshold"]  # the model now carries it


def test_at_gain_rounds_and_saturates() -> None:
    pcm = np.array([0, 1, -1, 3, 1000, -1000, 32767, -32768], np.int16)
    np.testing.assert_array_equal(evaluate.at_gain(pcm, -20.0), [0, 0, 0, 0, 100, -100, 3277, -3277])
    np.testing.assert_array_equal(evaluate.at_gain(pcm, 6.0)[-2:], [32767, -32768])  # saturated, not wrapped
    assert evaluate.at_gain(pcm, 0.0).tolist() == pcm.tolist()
    with pytest.raises(ConfigError, match="level_gains_db"):
        evaluate.EvalConfig(level_gains_db=(-70.0,))


def test_quieter_talkers_are_the_same_trials_scaled(folder: Path) -> None:
    """``frr_by_gain_db``: at 0 dB the trials' own FRR; at -30 dB what the scaled trials of the
    split give at the chosen threshold, recomputed here from the trial audio."""
    from kwsc.report import headline_table
    from kwsc.store import Store

    config = evaluate.EvalConfig(device_seconds=0, level_gains_db=(0.0, -30.0))
    report = evaluate.evaluate_model(folder, config)
    for split in ("validation", "test"):
        assert set(report[split]["frr_by_gain_db"]) == {"0", "-30"}
        assert report[split]["frr_by_gain_db"]["0"] == report[split]["frr"]
    detector = Detector.from_folder(folder)
    store = Store(folder.parents[1])
    rows = evaluate.usable_rows(store.manifest(report["dataset_version"]), "test")
    positives = [r for r in rows if r["label"] in detector.labels]
    backgrounds = [r for r in rows if r["label"] == "_noise"]
    misses = 0
    for row in positives:
        pcm, start_s, end_s = evaluate.trial_audio(store.root, row, backgrounds, config, 16000)
        run = evaluate.run_stream(detector, [evaluate.at_gain(pcm, -30.0)])
        trial = evaluate.Trial(row["id"], detector.labels.index(row["label"]), start_s, end_s, run)
        misses += not evaluate.trial_outcomes([trial], report["threshold_q8"], detector.refractory_frames,
                                              config.max_latency_s)[0][0]  # fmt: skip
    assert report["test"]["frr_by_gain_db"]["-30"] == misses / len(positives)
    assert any("every trial -30 dB (a quieter talker)" in row for row in headline_table(report))


def test_splits_streamed_side_by_side_give_the_same_evaluation(folder: Path) -> None:
    """Threads (one detector per split, the C detector without the GIL) change nothing: eval.json
    and det.json are the same as one thread's, byte for byte."""
    quick = evaluate.EvalConfig(device_seconds=0)
    outputs = []
    for workers in (1, 2):
        report = evaluate.evaluate_model(folder, quick, workers=workers)
        outputs.append((report, (folder / "eval.json").read_bytes(), (folder / "det.json").read_bytes()))
    assert outputs[0][0]["test"]["trials"] > 0 and outputs[0][0]["validation"]["negative_hours"] > 0
    assert outputs[0] == outputs[1]


def test_eval_streams_the_users_own_recordings(folder: Path, tmp_path: Path) -> None:
    recordings = tmp_path / "mine"
    (recordings / "day2").mkdir(parents=True)
    soundfile.write(recordings / "a.wav", signals.speech_like(4.0, seed=31), 16000)
    soundfile.write(recordings / "day2" / "b.flac", signals.speech_like(1.5, seed=32), 8000)  # 3 s at 8 kHz
    (recordings / "notes.txt").write_text("not audio")
    result = CliRunner().invoke(main, ["eval", str(folder), "--quiet", "--negatives", str(recordings)])
    assert result.exit_code == 0, result.output
    user = json.loads((folder / "eval.json").read_text())["user_negatives"]
    assert user["files"] == 2 and user["negative_hours"] == pytest.approx(7.0 / 3600, abs=1e-4)
    assert user["fa_per_hour"] == pytest.approx(user["false_accepts"] / user["negative_hours"])
    assert len(user["fa_per_hour_by_threshold_q8"]) == 257 and user["fa_per_hour_by_threshold_q8"][256] == 0
    assert f"your recordings: {user['fa_per_hour']:.2f} FA/h" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = CliRunner().invoke(main, ["eval", str(folder), "--quiet", "--negatives", str(empty)])
    assert bad.exit_code == 2 and "no audio files" in bad.output


def test_eval_on_another_dataset_version_refuses_training_voices(folder: Path) -> None:
    """``--dataset``: the streams of another version in the store (here a copy of the model's own,
    so the numbers must be the same), refused once one of its evaluation voices or clips was
    trained on."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    store = folder.parents[1]
    own = json.loads((folder / "lineage.json").read_text())["dataset_version"]
    copy = store / "datasets" / ("f" * 24)
    shutil.copytree(store / "datasets" / own, copy)
    quick = evaluate.EvalConfig(device_seconds=0)
    expected = evaluate.evaluate_model(folder, quick)
    result = CliRunner().invoke(main, ["eval", str(folder), "--quiet", "--dataset", "fff"])
    assert result.exit_code == 0, result.output
    report = evaluate.evaluate_model(folder, quick, dataset_version="fff")
    assert report["dataset_version"] == copy.name != expected["dataset_version"]
    for split in ("validation", "test"):
        assert report[split] == expected[split]
    from kwsc.report import model_report

    assert f"Evaluated on the streams of dataset version `{copy.name}`" in model_report(folder, {}, [])
    rows = pq.read_table(copy / "manifest.parquet").to_pylist()
    trained = next(r["group"] for r in rows if r["split"] == "train" and r["status"] == "accepted")
    evaluated = next(r for r in rows if r["split"] == "validation" and r["status"] == "accepted")
    evaluated["group"] = trained
    pq.write_table(pa.Table.from_pylist(rows), copy / "manifest.parquet")
    refused = CliRunner().invoke(main, ["eval", str(folder), "--quiet", "--dataset", copy.name])
    assert refused.exit_code == 2 and "trained on voice groups" in refused.output and trained in refused.output
    evaluated["group"] = "a voice of its own"  # a training clip's audio under another voice: refused too
    evaluated["sha256"] = next(r["sha256"] for r in rows if r["split"] == "train" and r["status"] == "accepted")
    pq.write_table(pa.Table.from_pylist(rows), copy / "manifest.parquet")
    with pytest.raises(evaluate.LeakageError, match="trained on clips"):
        evaluate.evaluate_model(folder, quick, dataset_version=copy.name)
    shutil.rmtree(copy)


def test_eval_config_in_the_project_file(tmp_path: Path) -> None:
    project = tmp_path / "p.toml"
    project.write_text(
        '[keyword]\nphrases = ["alexa"]\n[eval]\ntarget_fa_per_hour = 0.1\n[detect]\nsmooth_inferences = 5\n'
    )
    config = load_project(project)
    assert config.eval.target_fa_per_hour == 0.1 and config.detect.smooth_inferences == 5
    project.write_text('[keyword]\nphrases = ["alexa"]\n[eval]\ntarget = 0.1\n')
    with pytest.raises(ConfigError, match="eval"):
        load_project(project)
    with pytest.raises(ConfigError, match="lead_s"):
        evaluate.EvalConfig(lead_s=0.5)


def test_report_says_which_voices_are_missed() -> None:
    from kwsc.report import false_accepts_by_text, misses_by_voice

    report = {
        "test": {"misses_by_group": {"espeak-ng:en-us": [1, 12], "flite:slt": [0, 12], "espeak-ng:en-029": [9, 12]}},
        "crossvoice": {"misses_by_group": {"festival:kal_diphone": [12, 12]}},
    }
    rows = misses_by_voice(report, shown=1)
    assert rows[2] == "| test | 3 | 1 | `espeak-ng:en-029` 9/12 |"  # worst first, only the shown ones
    assert rows[3] == "| crossvoice | 1 | 0 | `festival:kal_diphone` 12/12 |"
    assert misses_by_voice({"test": {"frr": 0.5}}) == []  # an older eval.json without the counts
    validation = {"false_accepts": 3, "false_accepts_by_text": {"alexia": 1, "lexus": 2}}
    heard = false_accepts_by_text({"validation": validation, "test": {"false_accepts": 0, "false_accepts_by_text": {}}})
    assert heard[2:] == ["| validation | 3 | 'lexus' 2, 'alexia' 1 |", "| test | 0 | none |"]  # most first


def test_false_accepts_are_put_down_to_the_clip_heard_just_before() -> None:
    frames = np.arange(1, 11) * 10  # an inference every 10 frames (0.2 s), windows ending at 0.2 .. 2.0 s
    times = frames * 0.02
    probs = np.zeros((10, 1), np.uint8)
    probs[[1, 5, 6, 9], 0] = 200  # detections at 0.4 s, 1.2 s, (1.4 s: refractory) and 2.0 s
    run = evaluate.StreamRun(frames, times, probs, 2.0)
    clips = [(0.0, {"text": "severns", "label": "_negative", "source": "tts"}),
             (1.1, {"text": None, "label": "_noise", "source": "noise"}),
             (1.5, {"text": "leaven", "label": "_negative", "source": "tts"})]  # fmt: skip
    # 1.2 s - 0.2 s falls in the first clip though the detection lands in the second
    sources = evaluate.false_accept_sources(run, clips, 128, refractory_frames=15)
    assert sources == {"severns": 2, "leaven": 1}
    assert evaluate.false_accept_sources(run, clips, 201, 15) == {}
    assert evaluate.false_accept_sources(run, clips, 128, 0) == {"severns": 2, "_noise (noise)": 1, "leaven": 1}


def test_device_check_is_skipped_with_a_reason_for_another_frontend(folder: Path) -> None:
    """The firmware's detector is built with the default frontend tables: a model on another
    frontend config is evaluated on the host, and the report says the device check was skipped."""
    import shutil

    other = folder.parent / f"{folder.name}-narrowband"
    shutil.copytree(folder, other)
    meta = json.loads((other / "meta.json").read_text())
    meta["frontend"]["config"]["mel_high_hz"] = 3800
    (other / "meta.json").write_text(json.dumps(meta))
    report = evaluate.evaluate_model(other, evaluate.EvalConfig(negative_hours=0.01))
    assert "device_check" not in report and "default frontend" in report["device_check_skipped"]
    assert report["test"]["trials"] > 0
