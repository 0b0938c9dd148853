"""The kwsc validate and kwsc enroll commands: tables, JSON records, reasons, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from kwsc import signals
from kwsc.cli import main
from kwsc.validate import validate_array

RATE = signals.SAMPLE_RATE_HZ
LEAD_S = 0.4
#: The metric keys of a decoded file's record (the library's metric names).
METRICS = set(validate_array(signals.take(signals.word_like(0.6, seed=1))).metrics)
#: file name -> (status, reasons the record must contain)
EXPECTED = {
    "clean_1.wav": ("accepted", set()),
    "clean_2.wav": ("accepted", set()),
    "clean_3.wav": ("accepted", set()),
    "clipped.wav": ("rejected", {"clipped"}),
    "two_words.wav": ("rejected", {"multiple_utterances"}),
    "too_quiet.wav": ("rejected", {"too_quiet"}),
    "rate_8k.wav": ("rejected", {"wrong_sample_rate"}),
    "stereo.wav": ("rejected", {"multichannel"}),
    "notes.wav": ("rejected", {"unreadable"}),
    "empty.wav": ("rejected", {"empty"}),
}
FILE_LEVEL = {"rate_8k.wav", "stereo.wav", "notes.wav", "empty.wav"}


def _word(seed: int = 1, level_dbfs: float = -20.0) -> np.ndarray:
    return signals.word_like(0.6, level_dbfs, seed=seed)


def _write(path: Path, pcm: np.ndarray, rate: int = RATE) -> Path:
    soundfile.write(path, pcm, rate, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of three clean takes and seven defective files, one defect each."""
    folder = tmp_path_factory.mktemp("recordings")
    word = _word()
    for i in range(1, 4):
        _write(folder / f"clean_{i}.wav", signals.take(word, LEAD_S, seed=i))
    _write(folder / "clipped.wav", signals.take(signals.clipped(word, 20.0), LEAD_S))
    second = signals.take(_word(seed=3), 0.25, 0.4, seed=4)
    _write(folder / "two_words.wav", np.concatenate([signals.take(word, LEAD_S, 0.25), second]))
    _write(folder / "too_quiet.wav", signals.take(_word(level_dbfs=-55.0), LEAD_S, noise_dbfs=-90.0))
    _write(folder / "rate_8k.wav", signals.take(word, LEAD_S)[::2], 8000)
    _write(folder / "stereo.wav", np.stack([signals.take(word, LEAD_S)] * 2, axis=1))
    (folder / "notes.wav").write_text("this is not audio")
    _write(folder / "empty.wav", np.zeros(0, np.int16))
    return folder


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Enrollment takes: three of one phrase, one of another phrase, one noisy (SNR 12 dB)."""
    folder = tmp_path_factory.mktemp("takes")
    word = _word()
    # Leads a whole number of 20 ms hops apart: the same word at another frame phase can look
    # "inconsistent" to the DTW check (its ratio test is tight), which is not what this tests.
    out = {f"take_{i}": _write(folder / f"take_{i}.wav", signals.take(word, 0.2 + 0.1 * i, seed=i)) for i in (1, 2, 3)}
    out["other"] = _write(folder / "other.wav", signals.take(_word(seed=7), LEAD_S, seed=5))
    speech = slice(round(LEAD_S * RATE), round(LEAD_S * RATE) + word.size)
    noisy = signals.add_noise_at_snr(signals.take(word, LEAD_S, seed=6), 12.0, speech, seed=6)
    out["noisy"] = _write(folder / "noisy.wav", noisy)
    return out


def _run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_validate_prints_a_table_and_writes_json_records(recordings: Path, tmp_path: Path) -> None:
    out = tmp_path / "records.json"
    code, output = _run("validate", recordings, "--out", out)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].split()[:4] == ["file", "status", "speech", "dBFS"]
    for name, (status, reasons) in EXPECTED.items():
        (line,) = [line for line in lines if f"{name} " in line]
        assert line.split()[1] == status
        assert all(reason in line for reason in reasons)
    assert "10 files: 3 accepted, 7 rejected; rejects by reason:" in output
    for reason in ("unreadable 1", "empty 1", "wrong_sample_rate 1", "multichannel 1", "clipped 1"):
        assert reason in output

    records = json.loads(out.read_text())
    assert [Path(r["path"]).name for r in records] == sorted(EXPECTED)
    for record in records:
        name = Path(record["path"]).name
        status, reasons = EXPECTED[name]
        assert record["status"] == status, record
        assert reasons <= set(record["reasons"]) and bool(reasons) == bool(record["reasons"]), record
        if name in FILE_LEVEL:  # never reached the validator: the reason and its detail, no metrics
            assert set(record) == {"path", "status", "reasons", "error"}
            assert record["reasons"] == sorted(reasons)
        else:
            assert set(record) == {"path", "status", "reasons"} | METRICS
    by_name = {Path(r["path"]).name: r for r in records}
    assert by_name["clean_1.wav"]["speech_end_ms"] - by_name["clean_1.wav"]["speech_start_ms"] == pytest.approx(
        600, abs=60
    )
    assert by_name["clipped.wav"]["clipped_fraction"] > 0.001
    assert by_name["two_words.wav"]["speech_runs"] == 2
    assert "8000 Hz" in by_name["rate_8k.wav"]["error"] and "2 channels" in by_name["stereo.wav"]["error"]


def test_validate_exit_codes(recordings: Path, tmp_path: Path) -> None:
    code, output = _run("validate", recordings, "--strict", "--quiet")
    assert code == 1
    assert "clean_1.wav" not in output and "clipped.wav" in output  # --quiet lists rejects only
    assert "10 files: 3 accepted, 7 rejected" in output
    clean = [recordings / f"clean_{i}.wav" for i in (1, 2, 3)]
    code, output = _run("validate", *clean, "--strict")
    assert code == 0 and "3 files: 3 accepted, 0 rejected" in output
    (tmp_path / "empty_folder").mkdir()
    code, output = _run("validate", tmp_path / "empty_folder")
    assert code == 2 and "no audio files found" in output
    code, output = _run("validate", tmp_path / "missing.wav")
    assert code == 2 and "does not exist" in output


def test_validate_workers_give_the_same_records(recordings: Path, tmp_path: Path) -> None:
    documents = []
    for workers in (1, 3):
        out = tmp_path / f"w{workers}.json"
        code, _ = _run("validate", recordings, "--workers", workers, "--out", out)
        assert code == 0
        documents.append(json.loads(out.read_text()))
    assert documents[0] == documents[1]


def test_validate_resample_and_downmix_are_explicit(recordings: Path, tmp_path: Path) -> None:
    files = [recordings / "rate_8k.wav", recordings / "stereo.wav"]
    code, output = _run("validate", *files)
    assert "hint: --resample and --downmix" in output
    out = tmp_path / "converted.json"
    code, output = _run("validate", *files, "--resample", "--downmix", "--out", out)
    assert code == 0, output
    rate_8k, stereo = json.loads(out.read_text())
    assert "wrong_sample_rate" not in rate_8k["reasons"] and "speech_dbfs" in rate_8k
    assert stereo["status"] == "accepted", stereo
    assert "hint" not in output


def test_validate_config_table(recordings: Path, tmp_path: Path) -> None:
    files = [recordings / "clean_1.wav", recordings / "too_quiet.wav"]
    project = tmp_path / "project.toml"
    project.write_text('[validate]\nmin_speech_dbfs = -10.0\nchecks = ["too_quiet", "clipped"]\n')
    out = tmp_path / "records.json"
    code, output = _run("validate", *files, "--config", project, "--out", out)
    assert code == 0, output
    assert [r["reasons"] for r in json.loads(out.read_text())] == [["too_quiet"], ["too_quiet"]]
    project.write_text("[validate]\nmin_snr_db = 20.0\nbogus = 1\n")
    code, output = _run("validate", *files, "--config", project)
    assert code == 2 and "unknown field(s) in [validate]: bogus" in output
    project.write_text("[validate]\nmax_duration_s = 0\n")
    code, output = _run("validate", *files, "--config", project)
    assert code == 2 and "max_duration_s" in output
    project.write_text('[validate]\nchecks = "clipped"\n')
    code, output = _run("validate", *files, "--config", project)
    assert code == 2 and "validate.checks must be a list" in output
    project.write_text("[valdate]\nmin_snr_db = 10.0\n")
    code, output = _run("validate", *files, "--config", project)
    assert code == 2 and "unknown section(s): valdate" in output


def test_enroll_flags_only_the_other_phrase(takes: dict[str, Path]) -> None:
    code, output = _run("enroll", takes["take_1"], takes["take_2"], takes["take_3"])
    assert code == 0, output
    assert output.splitlines() == [
        "take 1: accepted",
        "take 2: accepted",
        "take 3: accepted",
        "enrollment can proceed: all 3 takes accepted and the same phrase",
    ]
    code, output = _run("enroll", takes["take_1"], takes["other"], takes["take_2"], takes["take_3"])
    assert code == 1
    lines = output.splitlines()
    assert lines[:4] == [
        "take 1: accepted",
        "take 2: re-record: not the same phrase as the other takes",
        "take 3: accepted",
        "take 4: accepted",
    ]
    assert lines[4].startswith("enrollment cannot proceed: re-record take 2")

    code, output = _run("enroll", "--json", takes["take_1"], takes["other"], takes["take_2"], takes["take_3"])
    document = json.loads(output)
    assert code == 1 and document["proceed"] is False and document["consistency_checked"] is True
    assert [t["reasons"] for t in document["takes"]] == [[], ["inconsistent_take"], [], []]
    assert [t["take"] for t in document["takes"]] == [1, 2, 3, 4]
    assert document["takes"][1]["nearest_distance"] > 2 * document["takes"][0]["nearest_distance"]


def test_enroll_explains_noise_in_plain_words(takes: dict[str, Path]) -> None:
    code, output = _run("enroll", takes["take_1"], takes["noisy"], takes["take_2"], takes["take_3"])
    assert code == 1
    line = output.splitlines()[1]
    match = re.match(r"take 2: re-record: too much background noise: SNR (\d+) dB, need 20 dB", line)
    assert match, output
    assert 9 <= int(match[1]) <= 15


def test_enroll_rejects_unusable_files_and_bad_usage(takes: dict[str, Path], recordings: Path) -> None:
    code, output = _run("enroll", takes["take_1"], recordings / "stereo.wav", recordings / "notes.wav")
    assert code == 1
    assert "take 2: re-record: more than one channel" in output
    assert "take 3: re-record: cannot read the file" in output
    assert "phrase was not checked" in output
    code, output = _run("enroll", takes["take_1"], recordings / "stereo.wav", takes["take_2"], "--downmix")
    assert code == 0, output
    code, output = _run("enroll", takes["take_1"], takes["take_2"])
    assert code == 2 and "need 3 to 16 takes" in output
