"""The real-speaker benchmark (bench/report_fsdd.py) end to end on a stand-in for FSDD made here:
8 kHz recordings named like FSDD's, of speakers the model never heard. It checks the plumbing and
the bookkeeping (every recording a trial, per-speaker counts adding up, the record tied to the
model's threshold and streams, the model report's section), not accuracy: the stand-in is not
real speech."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from kwsc import evaluate, signals
from kwsc.report import REAL_SPEAKERS_FILE, model_report
from test_detect import train_folder

BENCH = Path(__file__).resolve().parents[1] / "bench" / "report_fsdd.py"
SPEAKERS = ("ann", "bob", "cem")
TAKES = 3


def _bench_module():
    spec = importlib.util.spec_from_file_location("report_fsdd", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny DS-CNN whose keyword is the digit word "seven", evaluated (threshold chosen)."""
    folder = train_folder(tmp_path_factory.mktemp("real"), ["seven"], ("seven", "other"))
    evaluate.evaluate_model(folder, evaluate.EvalConfig(device_seconds=0))
    return folder


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """FSDD's layout: recordings/{digit}_{speaker}_{index}.wav at 8 kHz, plus a digit that is not
    the keyword and a file that does not match the naming, both to be ignored."""
    root = tmp_path_factory.mktemp("fsdd")
    folder = root / "recordings"
    folder.mkdir()
    for s, speaker in enumerate(SPEAKERS):
        for index in range(TAKES):
            seed = 40 + 10 * s + index  # the keyword's word_like seeds in the training corpus are 0..23
            take = signals.take(signals.word_like(0.5, -24.0, seed=seed), 0.05, 0.05, -60, seed=seed)
            narrow = soxr.resample(take.astype(np.float32) / 32768.0, 16000, 8000)
            soundfile.write(folder / f"7_{speaker}_{index}.wav", narrow, 8000, subtype="PCM_16")
        soundfile.write(folder / f"3_{speaker}_0.wav", np.zeros(4000, np.int16), 8000, subtype="PCM_16")
    soundfile.write(folder / "notes.wav", np.zeros(800, np.int16), 8000, subtype="PCM_16")
    (root / "speakers.json").write_text(json.dumps({"ann": {"accent": "USA"}, "bob": {"accent": "DEU"}}))
    return root


def test_benchmark_record_and_report_section(folder: Path, recordings: Path, tmp_path: Path) -> None:
    out = tmp_path / "fsdd.json"
    run = subprocess.run([sys.executable, str(BENCH), str(folder), str(recordings), "--json", str(out)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    record = json.loads(out.read_text())
    assert json.loads((folder / REAL_SPEAKERS_FILE).read_text()) == record  # left in the model folder too
    evaluation = json.loads((folder / "eval.json").read_text())
    assert record["threshold"] == evaluation["threshold"]
    assert record["dataset_version"] == evaluation["dataset_version"]
    entry = record["per_keyword"]["seven"]
    assert entry["trials"] == len(SPEAKERS) * TAKES  # every recording of the digit, nothing else
    assert sorted(entry["per_speaker"]) == sorted(SPEAKERS)
    assert sum(s["trials"] for s in entry["per_speaker"].values()) == entry["trials"]
    assert sum(s["misses"] for s in entry["per_speaker"].values()) == entry["misses"]
    assert entry["frr"] == pytest.approx(entry["misses"] / entry["trials"])
    assert entry["frr_ci"][0] <= entry["frr"] <= entry["frr_ci"][1]
    # A lower threshold can only find more: FRR never rises as the validation FA/h allowed grows.
    frrs = [p["frr"] for p in entry["operating_points"]]
    assert frrs == sorted(frrs, reverse=True)
    assert len(record["recordings_sha256"]) == 64

    text = model_report(folder, {}, [])
    assert "## Real speakers" in text and "Real speakers: see the section below." in text
    assert f"({entry['misses']} of {entry['trials']})" in text
    assert "| ann | USA |" in text and "| cem |  |" in text

    # The same recordings give the same record; a changed recording changes its hash.
    again = _bench_module().evaluate_fsdd(folder, recordings)
    assert again == record
    path = recordings / "recordings" / "7_ann_0.wav"
    pcm, rate = soundfile.read(path, dtype="int16")
    soundfile.write(path, np.roll(pcm, 1), rate, subtype="PCM_16")
    assert _bench_module().evaluate_fsdd(folder, recordings)["recordings_sha256"] != record["recordings_sha256"]
    soundfile.write(path, pcm, rate, subtype="PCM_16")


def test_stale_record_is_not_shown_as_current(folder: Path, recordings: Path, tmp_path: Path) -> None:
    """After the threshold moved (here: the record's threshold edited), the report says the
    record is stale instead of printing numbers for a threshold the model no longer has."""
    record = _bench_module().evaluate_fsdd(folder, recordings)
    record["threshold"] += 1 / 256
    (folder / REAL_SPEAKERS_FILE).write_text(json.dumps(record))
    text = model_report(folder, {}, [])
    assert "measured with another threshold than the current evaluation's" in text
    assert "| real-speaker FRR" not in text
    (folder / REAL_SPEAKERS_FILE).unlink()
    assert "## Real speakers" not in model_report(folder, {}, [])


def test_a_model_without_a_digit_keyword_is_refused(recordings: Path, tmp_path: Path) -> None:
    folder = train_folder(tmp_path, ["alexa"], ("alexa", "other"))
    evaluate.evaluate_model(folder, evaluate.EvalConfig(device_seconds=0))
    with pytest.raises(SystemExit, match="hold no digit word"):
        _bench_module().evaluate_fsdd(folder, recordings)


def test_seed_comparison_reads_the_records(folder: Path, recordings: Path, tmp_path: Path) -> None:
    """bench/report_seeds.py: columns taken from eval.json, det.json and real_speakers.json as
    they are; a recipe whose seeds all do worse than the baseline's is called worse."""
    spec = importlib.util.spec_from_file_location("report_seeds", BENCH.with_name("report_seeds.py"))
    seeds = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seeds)
    record = _bench_module().evaluate_fsdd(folder, recordings)
    (folder / REAL_SPEAKERS_FILE).write_text(json.dumps(record))
    row = seeds.model_numbers(folder)
    evaluation = json.loads((folder / "eval.json").read_text())
    assert row["test FRR"] == pytest.approx(100 * evaluation["test"]["frr"])
    point = record["per_keyword"]["seven"]["operating_points"][1]
    assert row["real FRR @2"] == pytest.approx(100 * point["misses"] / point["trials"])
    assert row["cross-voice FRR @0.5"] is None and row["cross-voice FRR"] is None  # no held-out voices here

    fake = {"real FRR @0.5": 30.0, "test FRR": 5.0}
    base = seeds.summarize([{**fake, "real FRR @0.5": v} for v in (30.0, 40.0, 50.0)])
    assert base["real FRR @0.5"] == {"mean": 40.0, "min": 30.0, "max": 50.0, "n": 3}
    worse = seeds.summarize([{**fake, "real FRR @0.5": v} for v in (45.0, 60.0, 70.0)])
    within = seeds.summarize([{**fake, "real FRR @0.5": v} for v in (20.0, 40.0, 60.0)])
    better = seeds.summarize([{**fake, "real FRR @0.5": v} for v in (20.0, 25.0, 31.0)])
    assert [seeds.verdict(s["real FRR @0.5"], base["real FRR @0.5"]) for s in (worse, within, better)] == [
        "worse", "within", "better"]  # fmt: skip
    assert seeds.verdict(None, base["test FRR"]) == "n/a"

    out = tmp_path / "seeds.json"
    seeds.main(["--recipe", "a", str(folder), "--recipe", "b", str(folder), "--json", str(out)])
    compared = json.loads(out.read_text())
    assert compared["baseline"] == "a" and "verdict" not in compared["recipes"]["a"]
    assert set(compared["recipes"]["b"]["verdict"].values()) <= {"within", "n/a"}  # the same model: never beyond
    with pytest.raises(SystemExit):
        seeds.main(["--recipe", "a", str(folder), "--baseline", "zzz"])
    (folder / REAL_SPEAKERS_FILE).unlink()
    assert seeds.model_numbers(folder)["real FRR @0.5"] is None


def test_seed_comparison_with_restarts_keeps_what_kwsc_would(tmp_path: Path) -> None:
    """bench/report_seeds.py --restarts: over every set of K models, the one kwsc.restarts keeps."""
    spec = importlib.util.spec_from_file_location("report_seeds", BENCH.with_name("report_seeds.py"))
    seeds = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seeds)
    folders = []
    for seed, (val_frr, test_frr) in enumerate([(0.30, 0.40), (0.10, 0.20), (0.20, 0.10)]):
        folder = tmp_path / f"model{seed}"
        folder.mkdir()
        split = {"threshold": 0.9, "frr": val_frr, "fa_per_hour": 0.4, "trials": 100, "negative_hours": 8.0}
        evaluation = {"validation": split, "test": {**split, "frr": test_frr}}
        (folder / "eval.json").write_text(json.dumps(evaluation))
        (folder / "det.json").write_text(json.dumps({"thresholds_q8": list(range(257))}))
        (folder / "lineage.json").write_text(json.dumps({"train": {"seed": seed}}))
        folders.append(folder)
    two = seeds.restarts_expectation(folders, 2)
    # sets {0,1} and {1,2} keep model1 (validation 10 %), {0,2} keeps model2 (20 %)
    assert two["sets"] == 3 and two["kept"] == {"model1": 2, "model2": 1}
    assert two["summary"]["test FRR"] == pytest.approx((20.0 + 20.0 + 10.0) / 3)
    assert seeds.restarts_expectation(folders, 1)["summary"]["test FRR"] == pytest.approx(70.0 / 3)  # one run
    record = seeds.compare({"r": folders}, "r")
    record["recipes"]["r"]["restarts"] = two
    assert "| r | 2 restarts, 3 sets (kept: model1 x2, model2 x1) | 0.40 | 16.7 |" in seeds.markdown(record)
