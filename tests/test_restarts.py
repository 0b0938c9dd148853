"""Training restarts: every seed is an ordinary stored model, the choice follows the validation
stream alone, the chosen model is copied byte for byte with the candidates in its lineage, and a
second run trains nothing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kwsc.lineage
import kwsc.train
from conftest import words_version
from kwsc import restarts
from kwsc.cli import main
from kwsc.config import ConfigError
from kwsc.evaluate import EvalConfig, validation_point
from kwsc.report import _restart_lines as report_restart_lines
from kwsc.restarts import Candidate, choose, train_with_restarts
from kwsc.train import ModelConfig, TrainConfig, model_id

SMALL = ModelConfig(filters=8, blocks=1)
QUICK = TrainConfig(epochs=2, batch_size=16, hard_negatives_per_round=5, hard_negative_min_prob=0.0)
EVAL = EvalConfig(target_fa_per_hour=50.0, device_seconds=0.0)  # the tiny streams last minutes


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(store root, version folder) of synthetic "alexa" vs "other" words from 24 speakers."""
    store, version_id = words_version(tmp_path_factory.mktemp("restarts"), ["alexa"])
    return store.root, store.resolve(version_id)


def candidate(seed: int, frr: float, fa: float) -> Candidate:
    return Candidate(seed, f"m{seed}", False, 0.5, frr, fa, 10, 1.0)


def test_choice_by_hand() -> None:
    assert choose([candidate(0, 0.3, 0.1), candidate(1, 0.2, 0.5), candidate(2, 0.25, 0.0)]).seed == 1
    assert choose([candidate(3, 0.2, 0.5), candidate(4, 0.2, 0.1)]).seed == 4  # FRR tie: fewer false accepts
    assert choose([candidate(6, 0.2, 0.1), candidate(5, 0.2, 0.1)]).seed == 5  # full tie: the lower seed
    with pytest.raises(ValueError, match="no candidates"):
        choose([])


def test_restarts_are_checked_and_stay_out_of_the_model_id_at_one() -> None:
    with pytest.raises(ConfigError, match=r"restarts must be 1\.\.32"):
        TrainConfig(restarts=0)
    one, two = (model_id("v", SMALL, dataclasses.replace(QUICK, restarts=n), ["alexa"]) for n in (1, 2))
    assert one == model_id("v", SMALL, QUICK, ["alexa"]) != two


def test_a_new_training_version_renames_every_model(monkeypatch: pytest.MonkeyPatch) -> None:
    before = model_id("v", SMALL, QUICK, ["alexa"])
    monkeypatch.setattr(kwsc.train, "TRAIN_VERSION", 2)  # reuse by id never meets weights of older code
    assert model_id("v", SMALL, QUICK, ["alexa"]) != before


def test_restarts_keep_the_best_validation_model_and_resume(
    version: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, version_dir = version
    config = dataclasses.replace(QUICK, seed=3, restarts=2)
    lines: list[str] = []
    chosen_run = train_with_restarts(root, version_dir, ["alexa"], SMALL, config, EVAL, log=lines.append)
    folder, candidates, chosen = chosen_run

    assert [c.seed for c in candidates] == [3, 4] and not any(c.reused for c in candidates)
    for c in candidates:  # each seed is the model a single training with that seed makes
        single = dataclasses.replace(QUICK, seed=c.seed)
        assert c.model == model_id(version_dir.name, SMALL, single, ["alexa"])
        point = validation_point(root / "models" / c.model, EVAL)
        assert (point["frr"], point["fa_per_hour"], point["threshold"]) == (
            c.validation_frr, c.validation_fa_per_hour, c.threshold)  # fmt: skip
        assert point["fa_per_hour"] <= EVAL.target_fa_per_hour
    assert chosen == min(candidates, key=lambda c: (c.validation_frr, c.validation_fa_per_hour, c.seed))
    assert folder.name == model_id(version_dir.name, SMALL, config, ["alexa"])
    source = root / "models" / chosen.model
    for name in ("model.tflite", "kwsc_model.c", "kwsc_model.h"):
        assert (folder / name).read_bytes() == (source / name).read_bytes()
    lineage = json.loads((folder / "lineage.json").read_text())
    assert lineage["train"]["restarts"] == 2 and lineage["train"]["seed"] == 3
    assert lineage["restarts"]["chosen"] == {"seed": chosen.seed, "model": chosen.model}
    assert lineage["restarts"]["code_version"] == kwsc.lineage.code_version()
    assert [c["model"] for c in lineage["restarts"]["candidates"]] == [c.model for c in candidates]
    assert "threshold" not in json.loads((folder / "meta.json").read_text())
    (line,) = report_restart_lines(lineage)  # the model report says what it was chosen from
    assert "among 2 training restarts" in line and f"**seed {chosen.seed}: " in line
    assert any(f"kept seed {chosen.seed}" in line for line in lines)

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(kwsc.train, "train", no_training)
    again = train_with_restarts(root, version_dir, ["alexa"], SMALL, config, EVAL)
    assert again[0] == folder and again[2].model == chosen.model
    # One more restart reuses both seeds and trains only the third.
    trained: list[int] = []
    original = restarts.train_or_reuse

    def counting(store_root, version_dir, keywords, model_config, train_config, log=None):  # type: ignore[no-untyped-def]
        if not (store_root / "models" / model_id(version_dir.name, model_config, train_config, keywords)).is_dir():
            trained.append(train_config.seed)
        return original(store_root, version_dir, keywords, model_config, train_config, log)

    monkeypatch.undo()
    monkeypatch.setattr(restarts, "train_or_reuse", counting)
    more = dataclasses.replace(config, restarts=3)
    _, three, _ = train_with_restarts(root, version_dir, ["alexa"], SMALL, more, EVAL)
    assert trained == [5] and [c.reused for c in three] == [True, True, False]


def test_a_stored_single_training_is_reused(version: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, version_dir = version
    args = ["train", version_dir.name[:8], "--store", str(root), "--filters", "8", "--blocks", "1", "--epochs", "1",
            "--batch-size", "16", "--seed", "7"]  # fmt: skip
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    folder = Path(first.output.strip().splitlines()[-1])
    assert "already trained" not in first.output and "1 of 1 chosen" in first.output
    with pytest.raises(ValueError, match="restarts must be 1"):
        kwsc.train.train_or_reuse(root, version_dir, ["alexa"], SMALL, dataclasses.replace(QUICK, restarts=2))

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(kwsc.train, "train", no_training)
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert f"model {folder.name} already trained: reused" in second.output
    assert Path(second.output.strip().splitlines()[-1]) == folder and "1 of 1 chosen" in second.output


def test_cli_train_restarts(version: tuple[Path, Path]) -> None:
    root, version_dir = version
    args = ["train", version_dir.name[:8], "--store", str(root), "--filters", "8", "--blocks", "1", "--epochs", "2",
            "--batch-size", "16", "--seed", "3", "--restarts", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    folder = Path(result.output.strip().splitlines()[-1])
    lineage = json.loads((folder / "lineage.json").read_text())
    assert lineage["train"]["restarts"] == 2 and len(lineage["restarts"]["candidates"]) == 2
    assert "restart 2 of 2: seed 4" in result.output
    bad = CliRunner().invoke(main, [*args[:-1], "0"])
    assert bad.exit_code == 2


def test_an_evaluated_candidate_is_not_streamed_again(
    version: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kwsc.detector import DetectConfig
    from kwsc.evaluate import evaluate_model

    root, version_dir = version
    config = dataclasses.replace(QUICK, seed=3, restarts=2)
    _, candidates, _ = train_with_restarts(root, version_dir, ["alexa"], SMALL, config, EVAL)
    folder = root / "models" / candidates[0].model
    evaluated = evaluate_model(folder, EVAL)["validation"]

    def no_streaming(*args: object, **kwargs: object) -> None:
        raise AssertionError("streamed again")

    monkeypatch.setattr(restarts, "validation_point", no_streaming)
    point = restarts.scored_validation(folder, EVAL, DetectConfig())
    assert point == {k: evaluated[k] for k in ("threshold", "frr", "fa_per_hour", "trials", "negative_hours")}
    assert (point["frr"], point["threshold"]) == (candidates[0].validation_frr, candidates[0].threshold)
    quieter = dataclasses.replace(EVAL, level_gains_db=(-6.0,))  # only the quieter reruns differ: still served
    assert restarts.scored_validation(folder, quieter, DetectConfig()) == point
    for other_eval, other_detect in ((dataclasses.replace(EVAL, target_fa_per_hour=10.0), DetectConfig()),
                                     (EVAL, DetectConfig(smooth_inferences=1))):  # fmt: skip
        with pytest.raises(AssertionError, match="streamed again"):  # another config: eval.json does not say
            restarts.scored_validation(folder, other_eval, other_detect)
