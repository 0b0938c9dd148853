"""The kwsc command line: demo (the README's main job) and features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile
from click.testing import CliRunner

import kwsc
from kwsc import signals
from kwsc.cli import main


def test_demo_prints_a_summary_and_writes_a_plot(tmp_path: Path) -> None:
    plot = tmp_path / "features.png"
    result = CliRunner().invoke(main, ["demo", "--seconds", "1.5", "--plot", str(plot), "--skip-build"])
    assert result.exit_code == 0, result.output
    assert "74 frames x 13 int16 Q6 cepstra" in result.output
    assert "identical frames: yes" in result.output
    snr = float(result.output.split("SNR ")[1].split(" dB")[0])
    assert snr > 60
    assert plot.stat().st_size > 10_000 and plot.read_bytes()[:4] == b"\x89PNG"


def test_demo_compiles_the_project(tmp_path: Path) -> None:
    signals.write_speech_commands_tree(tmp_path, [f"spk{k}" for k in range(6)])
    project = tmp_path / "p.toml"
    project.write_text('[keyword]\nphrases = ["alexa"]\n[sources.sc]\ntype = "corpus"\nlayout = "speech_commands"\n'
                       'path = "sc"\n[augment]\nvariants = { real = 1 }\n')  # fmt: skip
    args = ["demo", "--seconds", "1", "--config", str(project), "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "12 inputs = 12 accepted + 0 rejected + 0 duplicates; 12 variants; 24 int8 windows" in result.output
    assert "report.md" in result.output and "threshold" in result.output
    page = Path(result.output.split("report     ")[1].split(" ")[0]).with_suffix(".html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page and '<img src="det.png" alt="DET curve"' in page
    again = CliRunner().invoke(main, args)
    assert "(already built: reused)" in again.output
    missing = CliRunner().invoke(main, ["demo", "--seconds", "1", "--config", str(tmp_path / "none.toml")])
    assert missing.exit_code == 2 and "no such project file" in missing.output


def test_features_writes_the_frontend_output(tmp_path: Path) -> None:
    audio = signals.speech_like(1.0, seed=9)
    wav = tmp_path / "clip.wav"
    soundfile.write(wav, audio, 16000, subtype="PCM_16")
    out = tmp_path / "clip.npy"
    result = CliRunner().invoke(main, ["features", str(wav), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.load(out), kwsc.Frontend().process(audio))
    result = CliRunner().invoke(main, ["features", str(wav), "--out", str(out), "--int8"])
    assert result.exit_code == 0 and np.load(out).dtype == np.int8


def test_features_rejects_bad_files_with_exit_code_2(tmp_path: Path) -> None:
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is not audio")
    stereo = tmp_path / "stereo.wav"
    soundfile.write(stereo, np.zeros((1600, 2), np.int16), 16000)
    rate = tmp_path / "8k.wav"
    soundfile.write(rate, np.zeros(800, np.int16), 8000)
    for path, message in [(not_audio, "cannot decode"), (stereo, "2 channels"), (rate, "sample rate 8000")]:
        result = CliRunner().invoke(main, ["features", str(path), "--out", str(tmp_path / "x.npy")])
        assert result.exit_code == 2, result.output
        assert message in result.output
