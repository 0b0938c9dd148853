"""Training: a small version trains, converts to full INT8 with the frontend's input quantisation,
respects the size budget, and is reproducible from its seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import words_version
from kwsc import signals
from kwsc.config import load_project
from kwsc.train import (
    BudgetError,
    ModelConfig,
    TrainConfig,
    false_accepts_per_hour,
    input_quantization,
    run_int8,
    save,
    train,
)

SMALL = ModelConfig(arch="dscnn", filters=8, blocks=1)


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A dataset of synthetic "alexa" and "other" words from 24 speakers."""
    store, version_id = words_version(tmp_path_factory.mktemp("train"), ["alexa"])
    return store.resolve(version_id), version_id


def test_int8_model_takes_frontend_int8_and_is_reproducible(version: tuple[Path, str]) -> None:
    path, version_id = version
    config = TrainConfig(epochs=3, batch_size=16, seed=1)
    first = train(path, ["alexa"], SMALL, config)
    assert first.labels == ["alexa", "_negative"]
    assert first.input_quantization == (1 / 32, 0)
    assert input_quantization(first.tflite) == (1 / 32, 0)
    assert len(first.tflite) <= config.max_model_bytes
    assert 1 <= first.epoch <= 3 and len(first.history) == 3
    assert 0.0 <= first.int8_test_accuracy <= 1.0
    assert first.runtime_checked_windows > 0 and first.runtime_mismatches == 0  # kwsc_nn == TFLite Micro
    assert first.arena_bytes > 0 and first.macs_per_inference > 0
    second = train(path, ["alexa"], SMALL, config)
    assert second.tflite == first.tflite  # same seed, same machine: same bytes
    folder = save(path.parents[1], version_id, first, SMALL, config, ["alexa"])
    assert (folder / "kwsc_model.c").is_file() and (folder / "kwsc_model.h").is_file()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["input_quantization"] == [1 / 32, 0] and meta["labels"] == ["alexa", "_negative"]
    assert json.loads((folder / "lineage.json").read_text())["dataset_version"] == version_id
    out = run_int8((folder / "model.tflite").read_bytes(), np.zeros((2, 49, 13), np.int8))
    assert out.dtype == np.int8 and out.shape == (2, 2)


def test_over_budget_fails_with_the_numbers(version: tuple[Path, str]) -> None:
    with pytest.raises(BudgetError, match=r"INT8 model is [\d,]+ B, budget 1,000 B"):
        train(version[0], ["alexa"], SMALL, TrainConfig(epochs=1, max_model_bytes=1000))


def test_false_accepts_per_hour_by_hand() -> None:
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8]])
    y = np.array([0, 0, 1, 1])  # two keyword windows (one hit), two negatives (one false accept)
    fa_h, recall = false_accepts_per_hour(probs, y, keywords=1, stride_s=0.5)
    assert fa_h == pytest.approx(1 / (2 * 0.5 / 3600)) and recall == 0.5


def test_cli_train_stores_the_model(version: tuple[Path, str]) -> None:
    from click.testing import CliRunner

    from kwsc.cli import main

    path, version_id = version
    args = ["train", version_id[:8], "--store", str(path.parents[1]), "--filters", "8", "--blocks", "1",
            "--epochs", "2", "--batch-size", "16"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    folder = Path(result.output.strip().splitlines()[-1])
    assert (folder / "model.tflite").stat().st_size > 1000 and (folder / "meta.json").is_file()
    over = CliRunner().invoke(main, [*args, "--max-model-bytes", "1000"])
    assert over.exit_code == 1 and "budget 1,000 B" in over.output
    missing = CliRunner().invoke(main, ["train", "nope", "--store", str(path.parents[1])])
    assert missing.exit_code == 2


def test_epoch_choice_needs_recall_before_few_false_accepts() -> None:
    from kwsc.train import choose_epoch

    history = [
        {"epoch": 1, "val_fa_per_hour": 0.0, "val_recall": 0.0},  # never fires: not a candidate
        {"epoch": 2, "val_fa_per_hour": 9.0, "val_recall": 0.95},
        {"epoch": 3, "val_fa_per_hour": 3.0, "val_recall": 0.90},  # >= 0.9 x best recall, fewest FA/h
        {"epoch": 4, "val_fa_per_hour": 1.0, "val_recall": 0.80},  # below the recall floor
    ]
    assert choose_epoch(history, 0.9) == 3
    assert choose_epoch(history, 0.0) == 1 and choose_epoch(history, 1.0) == 2


def test_cli_train_from_a_project_file(tmp_path: Path) -> None:
    """A project file: its dataset is built (or reused), its [model] and [train] apply."""
    from click.testing import CliRunner

    from kwsc.cli import main

    signals.write_speech_commands_tree(tmp_path, [f"spk{k:02d}" for k in range(12)])
    project = tmp_path / "p.toml"
    project.write_text('[keyword]\nphrases = ["alexa"]\n[sources.sc]\ntype = "corpus"\nlayout = "speech_commands"\n'
                       'path = "sc"\n[model]\narch = "cnn"\nfilters = 4\n'
                       '[train]\nepochs = 2\nbatch_size = 8\n')  # fmt: skip
    result = CliRunner().invoke(main, ["train", str(project), "--store", str(tmp_path / "store"), "--seed", "3"])
    assert result.exit_code == 0, result.output
    record = json.loads((Path(result.output.strip().splitlines()[-1]) / "lineage.json").read_text())
    assert record["model"]["arch"] == "cnn" and record["model"]["filters"] == 4
    assert record["train"]["epochs"] == 2 and record["train"]["seed"] == 3
    from kwsc.build import version_id

    retrained = load_project(project)
    project.write_text(project.read_text().replace("epochs = 2", "epochs = 5"))
    assert version_id(load_project(project), []) == version_id(retrained, [])  # the dataset is the same
    project.write_text(project.read_text().replace("filters = 4", 'filters = "four"'))
    bad = CliRunner().invoke(main, ["train", str(project), "--store", str(tmp_path / "store")])
    assert bad.exit_code == 2 and "model.filters must be int" in bad.output
