"""Training: a small version trains, converts to full INT8 with the frontend's input quantisation,
respects the size budget, and is reproducible from its seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import words_version
from kwsc import signals
from kwsc.augment import AugmentConfig
from kwsc.config import ConfigError, load_project
from kwsc.train import (
    BudgetError,
    ModelConfig,
    TrainConfig,
    WeightAverage,
    adversarial_model,
    build_model,
    domain_targets,
    domain_weights,
    epoch_learning_rate,
    false_accepts_per_hour,
    input_quantization,
    mine_hard_negatives,
    mining_epochs,
    mixup,
    model_id,
    negative_stream_features,
    prior_domain_loss,
    recall_at_false_accepts,
    run_int8,
    save,
    spec_augment_config,
    train,
    weighted_domain_loss,
    window_domains,
)

SMALL = ModelConfig(arch="dscnn", filters=8, blocks=1)


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A dataset of synthetic "alexa" and "other" words from 24 speakers."""
    store, version_id = words_version(tmp_path_factory.mktemp("train"), ["alexa"])
    return store.resolve(version_id), version_id


def test_int8_model_takes_frontend_int8_and_is_reproducible(version: tuple[Path, str]) -> None:
    path, version_id = version
    config = TrainConfig(epochs=3, batch_size=16, seed=1, hard_negatives_per_round=5, hard_negative_min_prob=0.0)
    first = train(path, ["alexa"], SMALL, config)
    assert first.labels == ["alexa", "_negative"]
    assert first.input_quantization == (1 / 32, 0)
    assert input_quantization(first.tflite) == (1 / 32, 0)
    assert len(first.tflite) <= config.max_model_bytes
    assert 1 <= first.epoch <= 3 and len(first.history) == 3
    assert 0.0 <= first.int8_test_accuracy <= 1.0
    assert first.runtime_checked_windows > 0 and first.runtime_mismatches == 0  # kwsc_nn == TFLite Micro
    assert first.arena_bytes > 0 and first.macs_per_inference > 0
    assert [m["epoch"] for m in first.mining] == mining_epochs(3, config.hard_negative_rounds) == [1, 2]
    assert all(m["mined"] == 5 and m["windows"] > 10 for m in first.mining), first.mining
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


def test_label_smoothing_trains_on_softened_targets(version: tuple[Path, str]) -> None:
    hard, smooth = (
        train(version[0], ["alexa"], SMALL, TrainConfig(epochs=1, hard_negative_rounds=0, label_smoothing=eps))
        for eps in (0.0, 0.5)
    )
    # Targets 0.75 / 0.25: cross-entropy cannot go below their entropy, whatever the model.
    entropy = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    assert smooth.history[0]["loss"] >= entropy
    assert smooth.history[0]["loss"] != hard.history[0]["loss"]
    for bad in (-0.1, 1.0):
        with pytest.raises(ConfigError, match="label_smoothing"):
            TrainConfig(label_smoothing=bad)


def test_weight_average_is_an_exponential_moving_average() -> None:
    import tensorflow as tf

    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    average = WeightAverage(model, decay=0.5)
    assert [w.tolist() for w in average.weights()] == [w.tolist() for w in model.get_weights()]  # nothing yet
    kernel, bias = (np.array([[1.0], [2.0]], np.float32), np.array([4.0], np.float32))
    model.set_weights([kernel, bias])
    average.update()  # the first update is the weights themselves
    model.set_weights([3 * kernel, 0 * bias])
    average.update()  # warm-up decay min(0.5, 2 / 11) = 2 / 11
    d = 2 / 11
    got_kernel, got_bias = average.weights()
    assert got_kernel.dtype == np.float32
    np.testing.assert_allclose(got_kernel, d * kernel + (1 - d) * 3 * kernel, rtol=1e-6)
    np.testing.assert_allclose(got_bias, d * bias, rtol=1e-6)
    for _ in range(20):  # past the warm-up the decay is 0.5: the average halves its distance to 3 kernel
        average.update()
    np.testing.assert_allclose(average.weights()[0], 3 * kernel, rtol=1e-5)
    model.set_weights([kernel, bias])
    with average.applied():  # the model holds the average inside the block, its own weights after it
        np.testing.assert_allclose(model.get_weights()[0], average.weights()[0])
        assert not np.allclose(model.get_weights()[0], kernel)
    np.testing.assert_array_equal(model.get_weights()[0], kernel)


def test_weight_averaging_keeps_the_average(version: tuple[Path, str]) -> None:
    base = TrainConfig(epochs=2, batch_size=16, hard_negative_rounds=0)
    plain = train(version[0], ["alexa"], SMALL, base)
    averaged = train(version[0], ["alexa"], SMALL, TrainConfig(**{**vars(base), "weight_averaging": 0.9}))
    assert [h["loss"] for h in averaged.history] == [h["loss"] for h in plain.history]  # same training
    assert averaged.tflite != plain.tflite  # ... but another model kept
    assert averaged.runtime_mismatches == 0 and len(averaged.tflite) <= base.max_model_bytes
    for bad in (-0.1, 1.0):
        with pytest.raises(ConfigError, match="weight_averaging"):
            TrainConfig(weight_averaging=bad)


def test_cosine_schedule_decays_the_learning_rate(version: tuple[Path, str]) -> None:
    cosine = TrainConfig(epochs=4, learning_rate=2e-3, lr_schedule="cosine")
    rates = [epoch_learning_rate(cosine, e) for e in range(4)]
    np.testing.assert_allclose(rates, [2e-3, 2e-3 * (1 + np.sqrt(0.5)) / 2, 1e-3, 2e-3 * (1 - np.sqrt(0.5)) / 2])
    assert [epoch_learning_rate(TrainConfig(epochs=4), e) for e in range(4)] == [1e-3] * 4
    base = TrainConfig(epochs=2, batch_size=16, hard_negative_rounds=0)
    plain = train(version[0], ["alexa"], SMALL, base)
    decayed = train(version[0], ["alexa"], SMALL, TrainConfig(**{**vars(base), "lr_schedule": "cosine"}))
    # Epoch 1 runs at the full rate under both schedules, epoch 2 at half of it under cosine.
    assert decayed.history[0]["loss"] == plain.history[0]["loss"]
    assert decayed.history[1]["loss"] != plain.history[1]["loss"]
    assert decayed.runtime_mismatches == 0
    with pytest.raises(ConfigError, match="lr_schedule must be one of constant, cosine"):
        TrainConfig(lr_schedule="step")


def test_mixup_blends_windows_and_targets_alike() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 5, 2)).astype(np.float32)
    targets = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 64)]
    mixed_x, mixed_t = mixup(x, targets, np.random.default_rng(7), 0.4)
    draw = np.random.default_rng(7)  # the same draws, by hand
    partner = draw.permutation(64)
    lam = draw.beta(0.4, 0.4, 64).astype(np.float32)
    np.testing.assert_allclose(mixed_x, lam[:, None, None] * x + (1 - lam[:, None, None]) * x[partner], rtol=1e-6)
    np.testing.assert_allclose(mixed_t, lam[:, None] * targets + (1 - lam[:, None]) * targets[partner], rtol=1e-6)
    np.testing.assert_allclose(mixed_t.sum(axis=1), 1.0, rtol=1e-6)  # still a distribution
    assert 0 < np.mean((mixed_t > 0) & (mixed_t < 1)) < 1  # some windows blended across classes


def test_mixup_trains_on_blended_windows(version: tuple[Path, str]) -> None:
    base = TrainConfig(epochs=1, batch_size=16, hard_negative_rounds=0)
    plain = train(version[0], ["alexa"], SMALL, base)
    mixed = train(version[0], ["alexa"], SMALL, TrainConfig(**{**vars(base), "mixup": 0.4}))
    assert mixed.history[0]["loss"] != plain.history[0]["loss"]
    assert mixed.runtime_mismatches == 0 and len(mixed.tflite) <= base.max_model_bytes
    for bad in (-0.1, 11.0):
        with pytest.raises(ConfigError, match="mixup"):
            TrainConfig(mixup=bad)


def test_spec_augment_masks_come_from_the_dataset_version(version: tuple[Path, str], tmp_path: Path) -> None:
    import shutil

    lineage = json.loads((version[0] / "lineage.json").read_text())
    assert lineage["augment"] is None and spec_augment_config(lineage) == AugmentConfig()  # built without [augment]
    wide = AugmentConfig(freq_masks=3, freq_mask_coeffs=4)
    got = spec_augment_config({"augment": {"config": wide.to_dict()}})
    assert (got.time_masks, got.time_mask_frames, got.freq_masks, got.freq_mask_coeffs) == (2, 8, 3, 4)
    # A version whose [augment] asks for no masks trains exactly as with SpecAugment off.
    copy = tmp_path / "no-masks"
    shutil.copytree(version[0], copy)
    lineage["augment"] = {"config": AugmentConfig(time_masks=0, freq_masks=0).to_dict()}
    (copy / "lineage.json").write_text(json.dumps(lineage))
    base = TrainConfig(epochs=1, batch_size=16, hard_negative_rounds=0)
    unmasked = train(copy, ["alexa"], SMALL, base)
    off = train(version[0], ["alexa"], SMALL, TrainConfig(**{**vars(base), "spec_augment": False}))
    masked = train(version[0], ["alexa"], SMALL, base)
    assert unmasked.history[0]["loss"] == off.history[0]["loss"] != masked.history[0]["loss"]


def test_model_id_leaves_out_later_options_when_off() -> None:
    import hashlib
    from dataclasses import asdict

    from kwsc.sources import canonical_json

    config = TrainConfig(epochs=3)
    later = ("label_smoothing", "weight_averaging", "mixup", "checkpoint_fa_per_hour", "lr_schedule", "restarts",
             "adversary", "adversary_weight", "adversary_balance")  # fmt: skip
    before_the_options = {k: v for k, v in asdict(config).items() if k not in later}
    payload = {"dataset": "v1", "model": asdict(SMALL), "train": before_the_options, "keywords": ["alexa"]}
    assert model_id("v1", SMALL, config, ["alexa"]) == hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:24]
    ids = {model_id("v1", SMALL, TrainConfig(epochs=3, **option), ["alexa"])
           for option in ({}, {"weight_averaging": 0.99}, {"label_smoothing": 0.1}, {"mixup": 0.3},
                          {"checkpoint_fa_per_hour": 5.0}, {"lr_schedule": "cosine"}, {"restarts": 2},
                          {"adversary": "voice"}, {"adversary": "voice", "adversary_weight": 1.0},
                          {"adversary": "voice", "adversary_balance": 0.5})}  # fmt: skip
    assert len(ids) == 10


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


def test_mining_schedule_and_choice_by_hand() -> None:
    assert mining_epochs(8, 2) == [3, 5] and mining_epochs(20, 2) == [7, 13]
    assert mining_epochs(1, 2) == [] and mining_epochs(3, 5) == [1, 2] and mining_epochs(10, 0) == []
    windows = np.arange(6, dtype=np.int8).reshape(6, 1, 1)  # model input x = window / 32
    scores = np.array([0.05, 0.9, 0.3, 0.6, 0.95, 0.2])

    def predict(x: np.ndarray) -> np.ndarray:  # keyword probability looked up by the window's value
        keyword = scores[np.rint(x[:, 0, 0] * 32).astype(int)]
        return np.stack([keyword, 1 - keyword], axis=1)

    taken = np.array([False, False, False, False, True, False])
    chosen, firing = mine_hard_negatives(predict, windows, 1, taken, count=2, min_prob=0.25, batch=4)
    assert chosen.tolist() == [1, 3] and firing == 3  # 0.95 is taken; 0.9 and 0.6 beat 0.3
    chosen, _ = mine_hard_negatives(predict, windows, 1, taken, count=10, min_prob=0.25)
    assert chosen.tolist() == [1, 2, 3]  # 0.05 and 0.2 are below the floor


def test_negative_stream_features_are_the_detector_input(version: tuple[Path, str]) -> None:
    """The training negative stream: the split's non-keyword clips joined as the evaluation joins
    them, through one continuous C frontend and the version's quantisation."""
    from kwsc import Frontend, FrontendConfig
    from kwsc.evaluate import stream_chunks, usable_rows
    from kwsc.frontend import QuantParams
    from kwsc.store import Store

    path, version_id = version
    stream = negative_stream_features(path, "train", ["alexa"])
    store = Store(path.parents[1])
    rows = [r for r in usable_rows(store.manifest(version_id), "train") if r["label"] != "alexa"]
    audio = np.concatenate([pcm for _, pcm in stream_chunks(store.root, rows, 16000)])
    lineage = json.loads((path / "lineage.json").read_text())
    frontend = Frontend(FrontendConfig.from_dict(lineage["frontend"]["config"]))
    quant = QuantParams.from_dict(lineage["features"]["normalization"]["quant"])
    assert stream.seconds == audio.size / 16000 and len(rows) > 5
    assert np.array_equal(stream.frames, frontend.quantize(frontend.process(audio), quant))
    assert set(stream.frame_labels) == {"_negative"} and len(stream.frame_labels) == len(stream.frames)
    windows, ends = stream.windows(49, 8)
    assert windows.shape[1:] == (49, 13) and np.array_equal(windows[1], stream.frames[8:57]) and ends[1] == 56
    short = negative_stream_features(path, "train", ["alexa"], max_hours=2.0 / 3600)
    assert short.seconds == 2.0 and np.array_equal(short.frames, stream.frames[: len(short.frames)])


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
    at_target = [{**h, "val_recall_at_target": r} for h, r in zip(history, (0.0, 0.7, 0.8, 0.8), strict=True)]
    assert choose_epoch(at_target, 0.9) == 3  # the highest recall at the DET point, the earlier of a tie


def test_recall_at_false_accepts_by_hand() -> None:
    # 3,600 s of negatives at 1 s per window: 5 FA/h lets the 5 highest of 3,600 negative windows through.
    negative_scores = np.concatenate([[0.95, 0.9, 0.85, 0.8, 0.75, 0.7], np.full(3594, 0.1)])
    keyword_scores = np.array([0.99, 0.72, 0.69, 0.3])  # above 0.7: the first two
    probs = np.column_stack([np.concatenate([keyword_scores, negative_scores]), np.zeros(3604)])
    probs[:, 1] = 1 - probs[:, 0]
    y = np.concatenate([np.zeros(4, int), np.ones(3600, int)])
    assert recall_at_false_accepts(probs, y, 1, 1.0, 5.0) == 0.5
    assert recall_at_false_accepts(probs, y, 1, 1.0, 0.0) == 0.25  # only above 0.95
    assert recall_at_false_accepts(probs, y, 1, 1.0, 3600.0) == 1.0  # every negative allowed
    with pytest.raises(ConfigError, match="checkpoint_fa_per_hour"):
        TrainConfig(checkpoint_fa_per_hour=-1.0)


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


def test_window_domains_follow_the_manifest(version: tuple[Path, str]) -> None:
    from kwsc.features import load_windows, window_ids
    from kwsc.store import Store

    x, labels = load_windows(version[0], "train")
    ids = window_ids(version[0], "train")
    domains, names = window_domains(version[0], "train", "voice")
    assert len(ids) == len(domains) == len(x)
    rows = {r["id"]: r for r in Store(version[0].parents[1]).manifest(version[1])}
    for window, label, domain in zip(ids, labels, domains, strict=True):
        row = rows[window.rsplit("#", 1)[0]]
        assert row["label"] == label  # the same order as the windows
        assert (domain == -1) == (row["kind"] == "noise")
        if domain >= 0:
            assert names[domain] == row["group"]
    speech = [rows[w.rsplit("#", 1)[0]] for w in ids]
    assert names == sorted({r["group"] for r in speech if r["kind"] != "noise"}) and len(names) >= 2
    engines, engine_names = window_domains(version[0], "train", "engine")
    assert len(engine_names) == 1 and ((engines == -1) == (domains == -1)).all()  # one corpus: one source


def test_domain_weights_even_out_the_voices_by_hand() -> None:
    domains = np.array([-1, 0, 0, 0, 1, -1, 2], np.int32)  # counts 3, 1, 1 over five speech windows
    np.testing.assert_array_equal(domain_weights(domains, 0.0), [0, 1, 1, 1, 1, 0, 1])
    np.testing.assert_allclose(domain_weights(domains, 1.0), [0, 5 / 9, 5 / 9, 5 / 9, 5 / 3, 0, 5 / 3], rtol=1e-6)
    half = domain_weights(domains, 0.5)  # n^-0.5: 3^-0.5 three times, 1 twice, averaging 1 over speech
    scale = 5 / (3 * 3**-0.5 + 2)
    np.testing.assert_allclose(half[[1, 4]], [3**-0.5 * scale, scale], rtol=1e-6)
    assert domain_weights(np.full(3, -1, np.int32), 1.0).tolist() == [0, 0, 0]  # no speech: no NaN
    # Chance level: the entropy of the weighted domain frequencies (3/5, 1/5, 1/5 unbalanced; even at 1).
    assert prior_domain_loss(domains, domain_weights(domains, 0.0)) == pytest.approx(
        -(0.6 * np.log(0.6) + 0.4 * np.log(0.2))
    )
    assert prior_domain_loss(domains, domain_weights(domains, 1.0)) == pytest.approx(np.log(3))


def test_weighted_domain_loss_by_hand() -> None:
    probs = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], np.float32)
    targets = domain_targets(np.array([0, 1, -1], np.int32), np.array([2.0, 0.5, 0.0], np.float32))
    assert targets.dtype == np.float32 and targets.shape == (3, 2)
    loss = np.asarray(weighted_domain_loss(targets, probs))
    np.testing.assert_allclose(loss, [-2 * np.log(0.5), -0.5 * np.log(0.8), 0.0], rtol=1e-5)


def test_adversarial_branch_reverses_its_gradient() -> None:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(1)
    model = build_model(SMALL, (49, 13), 2)
    fitted = adversarial_model(model, 3, 0.25)
    branch = [fitted.get_layer("adversary_hidden"), fitted.get_layer("adversary")]
    plain = tf.keras.Model(model.input, branch[1](branch[0](model.layers[-3].output)))  # the same layers, no reversal
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 49, 13)), tf.float32)
    first = model.layers[2]  # the strided convolution: shared by both heads
    gradients = []
    for net in (lambda v: fitted(v, training=False)[1], lambda v: plain(v, training=False)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(net(x) * tf.constant([1.0, -2.0, 0.5]))
        gradients.append(tape.gradient(loss, first.kernel).numpy())
        assert np.abs(gradients[-1]).max() > 0
    np.testing.assert_allclose(gradients[0], -0.25 * gradients[1], rtol=1e-4, atol=1e-7)
    np.testing.assert_array_equal(fitted(x, training=False)[0], model(x, training=False))  # the class head unchanged


def test_adversary_trains_a_model_of_the_same_shape(version: tuple[Path, str]) -> None:
    base = TrainConfig(epochs=2, batch_size=16, hard_negative_rounds=1, hard_negatives_per_round=50,
                       hard_negative_min_prob=0.0)  # fmt: skip
    plain = train(version[0], ["alexa"], SMALL, base)
    adversarial = train(version[0], ["alexa"], SMALL, TrainConfig(**{**vars(base), "adversary": "voice"}))
    assert all(h["adversary_loss"] > 0 for h in adversarial.history)
    # Per speech window and against chance: the mined windows (no voice) do not dilute it.
    domains, names = window_domains(version[0], "train", "voice")
    chance = prior_domain_loss(domains, domain_weights(domains, 0.0))
    assert all(h["adversary_prior_loss"] == pytest.approx(chance) for h in adversarial.history)
    assert chance <= np.log(len(names)) + 1e-9
    assert 0.5 * chance < adversarial.history[-1]["adversary_loss"] < 2 * chance
    assert [h["loss"] for h in adversarial.history] != [h["loss"] for h in plain.history]
    assert adversarial.mining and adversarial.mining[0]["mined"] > 0  # mined windows joined without a domain
    assert len(adversarial.tflite) == len(plain.tflite)  # the branch is not exported
    assert adversarial.labels == plain.labels and adversarial.runtime_mismatches == 0
    with pytest.raises(ValueError, match="two or more domains"):
        train(version[0], ["alexa"], SMALL, TrainConfig(**{**vars(base), "adversary": "engine"}))
    for bad in ({"adversary": "speaker"}, {"adversary_weight": -1.0}, {"adversary_balance": 1.5},
                {"adversary": "voice", "mixup": 0.2},
                {"adversary": "voice", "class_weights": True}):  # fmt: skip
        with pytest.raises(ConfigError, match="adversary"):
            TrainConfig(**bad)
