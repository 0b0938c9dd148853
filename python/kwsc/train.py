"""Training: a dataset version's int8 feature windows in, a full-INT8 TFLite model out.

The model's input is the frontend's int8 output itself. The feature stage quantises each
coefficient as ``q = round((c - mean) / step)`` with ``step = 4 std / 128``, so ``q / 32`` is the
standardised coefficient. The Keras model is trained on ``z = q / 32`` and the TFLite converter
is calibrated so its input quantisation is exactly scale 1/32, zero point 0 (the representative
data includes one window holding -128 and 127, so min/max calibration lands on
``(127 - (-128)) / 32 / 255 = 1/32``); the device feeds frontend output straight in.

Architectures (``[model]``):

* ``dscnn``: depthwise-separable CNN after Hello Edge / MLPerf Tiny (a strided first
  convolution, ``blocks`` depthwise 3x3 + pointwise blocks of ``filters`` channels, average
  pooling, a dense layer);
* ``cnn``: one strided convolution and a dense layer, far cheaper per inference.

Checkpoint choice: after every epoch the validation windows are scored: false accepts per hour
of negative audio (windows not of a keyword whose keyword probability is at least 0.5; one
window stands for ``stride_s`` seconds of long-form audio) and keyword recall. Among the epochs
whose recall is at least ``recall_fraction`` of the best recall seen, the one with the fewest
false accepts per hour is kept (ties: the higher recall, then the earlier epoch). Without the
recall floor an untrained model that never fires would win.

Hard-negative mining: a keyword model meets hours of audio that is not its keyword, and the
windows that fool it are rare and specific. After ``hard_negative_rounds`` evenly spaced epochs
the model scores every window (every ``mining_stride_frames`` frames) of the training split's
negative stream: its non-keyword clips joined end to end exactly as the evaluation streams them
(joins included), through the C frontend and the version's int8 quantisation. The
``hard_negatives_per_round`` highest-scoring windows not yet mined (keyword probability at least
``hard_negative_min_prob``) join the training windows, labelled by the clip their last frame
falls in. Only the training split is mined, so validation and test stay unseen.

Adversarial training (``[train] adversary``): the TTS voices are few, and a model can learn them
instead of the word. A second head on the pooled features learns each speech window's voice group
(or engine) behind a gradient reversal, so the shared layers are trained to make it fail; the
head is dropped before conversion, so the device model is the same either way.

Determinism: the seed fixes Keras' initialisers, dropout and the shuffle; TensorFlow's op
determinism is on. On one machine and TensorFlow version a rerun gives the same weights and the
same .tflite bytes (tested); across CPUs (oneDNN kernels) float results may differ in the last bit.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from kwsc.augment import AugmentConfig, spec_augment
from kwsc.config import ARCHITECTURES, ConfigError, check_keys
from kwsc.export import export
from kwsc.features import load_windows, window_ids
from kwsc.runtime import Runtime
from kwsc.sources import NEGATIVE, canonical_json

#: Scale of the model's int8 input: the feature stage maps +-4 standard deviations onto int8.
INPUT_SCALE = 1.0 / 32.0


@dataclass(frozen=True)
class ModelConfig:
    """``[model]``: architecture (``dscnn``: depthwise-separable 2-D convolutions over frames x
    cepstra; ``cnn``: one convolution; ``tcn``: depthwise-separable temporal convolutions with the
    cepstra as channels), width (``filters``), depth (``blocks``, dscnn and tcn), dropout."""

    arch: str = "dscnn"
    filters: int = 64
    blocks: int = 4
    dropout: float = 0.2

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ConfigError(f"model.arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}")
        if self.filters < 1 or self.blocks < 0 or not 0.0 <= self.dropout < 1.0:
            raise ConfigError("model: filters >= 1, blocks >= 0, 0 <= dropout < 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """From a ``[model]`` table; unknown keys are an error."""
        check_keys(data, {f.name for f in fields(cls)}, "model")
        return _typed(cls, data, "model")


#: ``[train] lr_schedule`` values.
LR_SCHEDULES = ("constant", "cosine")

#: ``[train] adversary`` values: what the gradient-reversal branch is trained to tell apart from
#: the model's pooled features ("": no branch; "engine": the TTS engine or source of the speech;
#: "voice": its voice group, the unit of the split).
ADVERSARIES = ("", "engine", "voice")


@dataclass(frozen=True)
class TrainConfig:
    """``[train]``: epochs, batch size (windows), Adam learning rate, seed, SpecAugment on the
    training windows, class weights (inverse label frequency), the model size budget (bytes of
    the .tflite flatbuffer), the recall floor of the checkpoint choice (a fraction of the best
    validation recall), and hard-negative mining (rounds, windows per round, the keyword
    probability a mined window must reach, the scoring stride in frames and an optional cap on
    the hours of training negative stream scored), label smoothing (the share of each
    training target spread evenly over all classes; 0 trains on hard labels), and weight
    averaging: ``weight_averaging`` is the per-batch decay of an exponential moving average of
    the weights (0 turns it off; 0.999 averages over about the last 1,000 batches), and when on,
    the average is what is validated, kept and exported; ``mixup`` is the Beta(a, a) concentration
    of mixup (each training window blended with another drawn at random, targets blended alike,
    redrawn every epoch; 0 turns it off, 0.2-0.4 is usual); ``checkpoint_fa_per_hour`` > 0 keeps
    instead the epoch with the highest validation recall at the threshold that lets through that
    many false accepts per hour of validation negatives (a point on the window-level DET curve, so
    no fixed 0.5 probability; 0 keeps the rule above); ``lr_schedule`` is ``"constant"`` (Adam at
    ``learning_rate`` throughout) or ``"cosine"`` (epoch e of E, from 0, runs at ``learning_rate``
    times (1 + cos(pi e / E)) / 2: the last epochs take small steps, so the kept weights move less
    from one epoch to the next); ``restarts`` > 1 trains that many models, from seeds ``seed``,
    ``seed + 1``, ..., and keeps the one whose validation stream gives the lowest FRR at the
    threshold for the evaluation's target FA/h (:mod:`kwsc.restarts`; 1: one model, no choice);
    ``adversary`` (``"engine"`` or ``"voice"``; ``""`` off) adds a domain-adversarial branch during
    training (Ganin & Lempitsky 2015): a small classifier learns the engine or voice of each speech
    window from the model's pooled features, and the features get its gradient reversed and scaled by
    ``adversary_weight``, so they are pushed to carry what says the word and not what says the voice.
    ``adversary_balance`` in [0, 1] evens out the domains in the branch's loss: a speech window of a
    domain with n training windows weighs n^-balance (scaled so speech windows average 1), so 0 lets
    the largest voices dominate it and 1 gives every domain the same total weight. The branch is
    dropped before export: the device model is the same shape either way."""

    epochs: int = 20
    batch_size: int = 100
    learning_rate: float = 1e-3
    seed: int = 0
    spec_augment: bool = True
    class_weights: bool = False
    max_model_bytes: int = 64 * 1024
    recall_fraction: float = 0.9
    hard_negative_rounds: int = 3
    hard_negatives_per_round: int = 12000
    hard_negative_min_prob: float = 0.1
    mining_stride_frames: int = 8
    mining_hours: float = 0.0  # cap on hours of the training negative stream mined (0: all of it)
    label_smoothing: float = 0.0
    weight_averaging: float = 0.0
    mixup: float = 0.0
    checkpoint_fa_per_hour: float = 0.0
    lr_schedule: str = "constant"
    restarts: int = 1
    adversary: str = ""
    adversary_weight: float = 0.3
    adversary_balance: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0 or self.max_model_bytes < 1:
            raise ConfigError("train: epochs, batch_size, learning_rate and max_model_bytes must be positive")
        if not 0.0 <= self.recall_fraction <= 1.0:
            raise ConfigError("train.recall_fraction must be in [0, 1]")
        if self.hard_negative_rounds < 0 or self.hard_negatives_per_round < 0 or self.mining_stride_frames < 1:
            raise ConfigError(
                "train: hard_negative_rounds and hard_negatives_per_round >= 0, mining_stride_frames >= 1"
            )
        if not 0.0 <= self.hard_negative_min_prob <= 1.0 or self.mining_hours < 0:
            raise ConfigError("train: hard_negative_min_prob in [0, 1], mining_hours >= 0")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError("train.label_smoothing must be in [0, 1)")
        if not 0.0 <= self.weight_averaging < 1.0:
            raise ConfigError("train.weight_averaging must be in [0, 1)")
        if not 0.0 <= self.mixup <= 10.0:
            raise ConfigError("train.mixup (a Beta concentration) must be in [0, 10]")
        if self.checkpoint_fa_per_hour < 0:
            raise ConfigError("train.checkpoint_fa_per_hour must be >= 0")
        if not 1 <= self.restarts <= 32:
            raise ConfigError(f"train.restarts must be 1..32, got {self.restarts}")
        if self.adversary not in ADVERSARIES:
            raise ConfigError(f"train.adversary must be one of {ADVERSARIES}, got {self.adversary!r}")
        if not 0.0 <= self.adversary_weight <= 10.0:
            raise ConfigError("train.adversary_weight must be in [0, 10]")
        if not 0.0 <= self.adversary_balance <= 1.0:
            raise ConfigError("train.adversary_balance must be in [0, 1]")
        if self.adversary and (self.mixup or self.class_weights):
            raise ConfigError("train.adversary cannot be combined with mixup or class_weights")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"train.lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """From a ``[train]`` table; unknown keys are an error."""
        check_keys(data, {f.name for f in fields(cls)}, "train")
        return _typed(cls, data, "train")


def epoch_learning_rate(config: TrainConfig, epoch: int) -> float:
    """Adam's learning rate for ``epoch`` (0-based) under ``config.lr_schedule``."""
    if config.lr_schedule == "cosine":
        return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / config.epochs))
    return config.learning_rate


def _typed(cls: Any, data: dict[str, Any], section: str) -> Any:
    """``cls(**data)`` with each value checked against its field's default's type."""
    for f in fields(cls):
        if f.name in data:
            want = type(f.default)
            value = data[f.name]
            ok = isinstance(value, int | float) and not isinstance(value, bool) if want is float else (
                type(value) is want)  # fmt: skip
            if not ok:
                raise ConfigError(f"{section}.{f.name} must be {want.__name__}, got {value!r}")
    return cls(**data)


class BudgetError(RuntimeError):
    """The INT8 model does not fit its size budget."""


@dataclass
class TrainedModel:
    """What :func:`train` returns: the INT8 flatbuffer and the numbers that chose it."""

    tflite: bytes
    labels: list[str]
    epoch: int  # the kept epoch (1-based)
    history: list[dict[str, float]]  # per epoch: loss, val FA/h, val recall
    float_test_accuracy: float
    int8_test_accuracy: float
    input_quantization: tuple[float, int]  # (scale, zero point) of the int8 input
    arena_bytes: int = 0  # activation memory of the kwsc_nn runtime's static plan
    macs_per_inference: int = 0
    runtime_checked_windows: int = 0  # test windows on which kwsc_nn was compared with TFLite Micro
    runtime_mismatches: int = 0  # ... and on how many its int8 outputs differed (0 expected)
    mining: list[dict[str, float]] | None = None  # per mining round: epoch, windows scored, >= 0.5, mined


def labels_of(train_labels: np.ndarray, keywords: list[str]) -> list[str]:
    """Class labels in index order: the keywords, then the other labels of the training windows
    (sorted)."""
    return list(keywords) + sorted(set(map(str, train_labels)) - set(keywords))


def _separable_stack(
    x: Any,
    layers: Any,
    config: ModelConfig,
    first_kernel: tuple[int, int],
    strides: tuple[int, int],
    block_kernel: tuple[int, int],
) -> Any:
    """A convolution (``first_kernel``, ``strides``), ``config.blocks`` depthwise-separable
    blocks, each layer batch-normalised and ReLU'd, then an average over the whole map."""
    x = layers.Conv2D(config.filters, first_kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for _ in range(config.blocks):
        x = layers.DepthwiseConv2D(block_kernel, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(config.filters, (1, 1), use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    return layers.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])))(x)


def build_model(config: ModelConfig, input_shape: tuple[int, int], num_classes: int) -> Any:
    """A Keras model: float input (frames, coeffs) = int8 features / 32, softmax output."""
    import tensorflow as tf

    layers = tf.keras.layers
    inputs = tf.keras.Input(shape=input_shape, name="features")
    if config.arch == "tcn":
        # Temporal convolutions (after TC-ResNet, Choi et al. 2019, without its residual adds, which
        # the runtime lacks): the cepstra are the channels of a one-pixel-wide image, so every
        # kernel sees all coefficients of its frames and slides over time only. The reshape does
        # not move a byte (NHWC), and the maps are 1/7 the size of the DS-CNN's.
        x = layers.Reshape((input_shape[0], 1, input_shape[1]))(inputs)
        x = _separable_stack(x, layers, config, (9, 1), (2, 1), (9, 1))
    else:
        x = layers.Reshape((*input_shape, 1))(inputs)
        if config.arch == "dscnn":
            x = _separable_stack(x, layers, config, (10, 4), (2, 2), (3, 3))
        else:
            x = layers.Conv2D(config.filters, (10, 8), strides=(2, 2), padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(config.dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return tf.keras.Model(inputs, outputs, name=f"kwsc_{config.arch}")


def window_domains(version_dir: str | Path, split: str, adversary: str) -> tuple[np.ndarray, list[str]]:
    """Per window of ``split`` (in :func:`kwsc.features.load_windows` order) the index of its
    domain for ``[train] adversary``: what made its speech (``"engine"``: the TTS engine, the first
    field of a TTS clip's origin such as ``espeak-ng``; for recorded speech its source section) or its
    voice group (``"voice"``), and -1 for noise windows, which have no voice; and the domain names in
    index order (sorted)."""
    from kwsc.store import Store

    version_dir = Path(version_dir)
    rows = {row["id"]: row for row in Store(version_dir.parents[1]).manifest(version_dir.name)}
    keys: list[str | None] = []
    for window in window_ids(version_dir, split):
        row = rows[window.rsplit("#", 1)[0]]
        if row["kind"] == "noise":
            keys.append(None)
        else:
            engine = str(row["origin"]).split(":", 1)[0] if row["kind"] == "tts" else str(row["source"])
            keys.append(engine if adversary == "engine" else str(row["group"]))
    names = sorted({k for k in keys if k is not None})
    index = {name: k for k, name in enumerate(names)}
    return np.array([-1 if k is None else index[k] for k in keys], np.int32), names


def adversarial_model(model: Any, domains: int, weight: float) -> Any:
    """The model to fit for ``[train] adversary``: ``model``'s input to [its class probabilities,
    the domain probabilities of a two-layer branch on its pooled features (the flattened average
    pool, before dropout)]. Between the features and the branch a gradient reversal: identity
    forward, ``-weight`` times the gradient backward. ``model``'s layers are shared, so fitting this
    trains ``model``; the branch is never exported."""
    import tensorflow as tf

    layers = tf.keras.layers

    @tf.custom_gradient
    def reverse(x: Any) -> Any:
        return tf.identity(x), lambda dy: -weight * dy

    pooled = model.layers[-3].output  # Flatten, then Dropout and the Dense head (build_model)
    x = layers.Lambda(reverse, name="gradient_reversal")(pooled)
    x = layers.Dense(64, activation="relu", name="adversary_hidden")(x)
    outputs = layers.Dense(domains, activation="softmax", name="adversary")(x)
    return tf.keras.Model(model.input, [model.output, outputs], name=f"{model.name}_adversarial")


def domain_weights(domains: np.ndarray, balance: float) -> np.ndarray:
    """Per window, the weight of its domain loss for ``[train] adversary_balance``: 0 for windows
    of domain -1 (noise, mined stream windows), n^-balance for a speech window of a domain with n
    windows, scaled so the speech windows' weights average 1 (balance 0: every speech window 1)."""
    speech = domains >= 0
    weights = np.zeros(len(domains), np.float32)
    if speech.any():
        counts = np.bincount(domains[speech])
        raw = counts[domains[speech]].astype(np.float64) ** -balance
        weights[speech] = raw * (speech.sum() / raw.sum())
    return weights


def domain_targets(domains: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The adversary branch's targets: per window its domain index and loss weight, (N, 2) float32."""
    return np.stack([domains.astype(np.float32), weights.astype(np.float32)], axis=1)


def prior_domain_loss(domains: np.ndarray, weights: np.ndarray) -> float:
    """Cross-entropy (nats) per weighted speech window of a branch that only knows how often each
    domain occurs: the entropy of the weighted domain frequencies. A branch loss near it means the
    pooled features tell the voices apart no better than chance."""
    speech = domains >= 0
    mass = np.bincount(domains[speech], weights=weights[speech]).astype(np.float64)
    p = mass[mass > 0] / mass.sum()
    return float(-(p * np.log(p)).sum())


def weighted_domain_loss(y_true: Any, y_pred: Any) -> Any:
    """Sparse cross-entropy per window over the domains times the window's weight (the second
    column of :func:`domain_targets`; 0 for noise and mined windows, which still count in the batch
    mean, so the branch weighs speech windows by their share of the batch)."""
    import tensorflow as tf

    y = tf.cast(y_true[:, 0], tf.int32)
    loss = tf.keras.losses.sparse_categorical_crossentropy(tf.maximum(y, 0), y_pred)
    return tf.where(y >= 0, loss * y_true[:, 1], tf.zeros_like(loss))


def _class_indices(names: np.ndarray, labels: list[str], split: str) -> np.ndarray:
    index = {name: k for k, name in enumerate(labels)}
    unknown = sorted(set(map(str, names)) - set(index))
    if unknown:
        raise ValueError(f"{split} windows have labels {unknown} not in {labels}")
    return np.array([index[str(n)] for n in names], dtype=np.int32)


def _keyword_scores(
    probs: np.ndarray, y: np.ndarray, keywords: int, stride_s: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Per scored window its most likely keyword's probability and whether it is a negative
    (class index >= ``keywords``); and the hours of audio the negatives stand for (``stride_s`` s
    each, at least one window's worth)."""
    keyword_prob = probs[:, :keywords].max(axis=1)
    negative = y >= keywords
    return keyword_prob, negative, max(int(negative.sum()), 1) * stride_s / 3600.0


def false_accepts_per_hour(probs: np.ndarray, y: np.ndarray, keywords: int, stride_s: float) -> tuple[float, float]:
    """(false accepts per hour, keyword recall) at probability 0.5 on scored windows.

    A false accept is a non-keyword window (class index >= ``keywords``) whose most likely
    keyword has probability >= 0.5; each such window stands for ``stride_s`` seconds of audio.
    """
    keyword_prob, negative, hours = _keyword_scores(probs, y, keywords, stride_s)
    false_accepts = int(((keyword_prob >= 0.5) & negative).sum())
    positives = ~negative
    hits = (probs[positives].argmax(axis=1) == y[positives]) & (keyword_prob[positives] >= 0.5)
    recall = float(hits.mean()) if positives.any() else 0.0
    return false_accepts / hours, recall


def mixup(x: np.ndarray, targets: np.ndarray, rng: np.random.Generator, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Mixup (Zhang et al. 2018): window i becomes ``lam x[i] + (1 - lam) x[j]`` with ``j`` a random
    permutation of the windows and ``lam ~ Beta(alpha, alpha)`` drawn per window; the one-hot
    ``targets`` are blended with the same ``lam``. ``x`` is the model's float input (int8 / 32),
    any shape with windows first; returns new arrays."""
    partner = rng.permutation(len(x))
    lam = rng.beta(alpha, alpha, size=len(x)).astype(np.float32)
    lam_x = lam.reshape((-1,) + (1,) * (x.ndim - 1))
    return lam_x * x + (1 - lam_x) * x[partner], lam[:, None] * targets + (1 - lam[:, None]) * targets[partner]


def spec_augment_config(lineage: dict[str, Any]) -> AugmentConfig:
    """The SpecAugment masks (``time_masks``, ``time_mask_frames``, ``freq_masks``,
    ``freq_mask_coeffs``) a dataset version asks for: its ``[augment]`` table as recorded in its
    lineage (those keys are part of the version id), or the defaults for a version built without
    one."""
    recorded = (lineage.get("augment") or {}).get("config")
    return AugmentConfig.from_dict(recorded) if recorded else AugmentConfig()


def recall_at_false_accepts(
    probs: np.ndarray, y: np.ndarray, keywords: int, stride_s: float, fa_per_hour: float
) -> float:
    """Keyword recall at the strictest-needed threshold for ``fa_per_hour`` on scored windows.

    Negative windows (class index >= ``keywords``) stand for ``stride_s`` seconds each; the
    threshold lets through floor(``fa_per_hour`` x their hours) of them (a window passes when its
    most likely keyword's probability is above the threshold). A keyword window is recalled when
    its own keyword is its most likely keyword and is above the threshold.
    """
    keyword_prob, negative, hours = _keyword_scores(probs, y, keywords, stride_s)
    allowed = int(np.floor(fa_per_hour * hours + 1e-9))
    scores = np.sort(keyword_prob[negative])[::-1]
    threshold = float(scores[allowed]) if allowed < len(scores) else -1.0
    positives = ~negative
    if not positives.any():
        return 0.0
    hits = (probs[positives, :keywords].argmax(axis=1) == y[positives]) & (keyword_prob[positives] > threshold)
    return float(hits.mean())


def choose_epoch(history: list[dict[str, float]], recall_fraction: float) -> int:
    """The kept epoch (1-based): fewest validation FA/h among the epochs whose recall is at least
    ``recall_fraction`` of the best; ties go to the higher recall, then the earlier epoch. With
    ``val_recall_at_target`` in the history (``checkpoint_fa_per_hour`` on), the epoch with the
    highest recall at that DET point instead (ties: the earlier epoch)."""
    if all("val_recall_at_target" in h for h in history):
        return int(max(history, key=lambda h: (h["val_recall_at_target"], -h["epoch"]))["epoch"])
    floor = recall_fraction * max(h["val_recall"] for h in history)
    eligible = [h for h in history if h["val_recall"] >= floor]
    return int(min(eligible, key=lambda h: (h["val_fa_per_hour"], -h["val_recall"], h["epoch"]))["epoch"])


def train(
    version_dir: str | Path,
    keywords: list[str],
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    stride_s: float | None = None,
    verbose: int = 0,
    log: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Train on the version's train split, choose the epoch by validation FA/h under a recall
    floor, convert to full INT8 and check the size budget (:class:`BudgetError` with the
    numbers). ``stride_s`` (s of audio per negative window) defaults to the version's feature
    stride; ``verbose`` is Keras' (0 silent); ``log`` gets one line per epoch."""
    import tensorflow as tf

    model_config = model_config or ModelConfig()
    train_config = train_config or TrainConfig()
    tf.keras.backend.clear_session()  # layer names (they are in the flatbuffer) restart from scratch
    tf.keras.utils.set_random_seed(train_config.seed)
    tf.config.experimental.enable_op_determinism()
    lineage = json.loads((Path(version_dir) / "lineage.json").read_text())
    if stride_s is None:
        stride_s = float(lineage["features"]["config"]["stride_s"])
    (x_train, train_names), (x_val, val_names), (x_test, test_names) = (
        load_windows(version_dir, split) for split in ("train", "validation", "test"))  # fmt: skip
    if not len(x_train):
        raise ValueError(f"{version_dir}: no training windows")
    labels = labels_of(train_names, keywords)
    y_train, y_val, y_test = (_class_indices(names, labels, split) for names, split in (
        (train_names, "train"), (val_names, "validation"), (test_names, "test")))  # fmt: skip
    model = build_model(model_config, x_train.shape[1:], len(labels))
    smoothing = train_config.label_smoothing
    # Keras' sparse loss has neither smoothing nor blended targets: with them the targets go in one-hot.
    one_hot = bool(smoothing or train_config.mixup)
    loss = (
        tf.keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)
        if one_hot
        else "sparse_categorical_crossentropy"
    )
    fitted = model  # what model.fit trains: the model itself, or it with the adversarial branch
    domains = np.zeros(0, np.int32)
    prior_loss = 0.0
    if train_config.adversary:
        domains, domain_names = window_domains(version_dir, "train", train_config.adversary)
        if len(domain_names) < 2:
            raise ValueError(f"train.adversary = {train_config.adversary!r} needs two or more domains in the "
                             f"training split, found {domain_names}")  # fmt: skip
        prior_loss = prior_domain_loss(domains, domain_weights(domains, train_config.adversary_balance))
        fitted = adversarial_model(model, len(domain_names), train_config.adversary_weight)
        if log:
            log(f"adversary: {len(domain_names)} {train_config.adversary} domains over "
                f"{int((domains >= 0).sum()):,} speech windows, weight {train_config.adversary_weight:g}, "
                f"balance {train_config.adversary_balance:g}; a branch at chance loses {prior_loss:.3f}")  # fmt: skip
        fitted.compile(optimizer=tf.keras.optimizers.Adam(train_config.learning_rate),
                       loss=[loss, weighted_domain_loss], metrics=[["accuracy"], []])  # fmt: skip
    else:
        model.compile(optimizer=tf.keras.optimizers.Adam(train_config.learning_rate), loss=loss,
                      metrics=["categorical_accuracy" if one_hot else "accuracy"])  # fmt: skip
    weights = None
    if train_config.class_weights:
        counts = np.bincount(y_train, minlength=len(labels))
        weights = {k: float(len(y_train) / (len(labels) * c)) if c else 0.0 for k, c in enumerate(counts)}
    rng = np.random.default_rng(train_config.seed)
    mixup_rng = np.random.default_rng([train_config.seed, 1])  # its own stream: SpecAugment's draws stay as they were
    masks = spec_augment_config(lineage)
    history: list[dict[str, float]] = []
    snapshots = []
    mine_after = mining_epochs(train_config.epochs, train_config.hard_negative_rounds)
    if not train_config.hard_negatives_per_round:
        mine_after = []
    mining: list[dict[str, float]] = []
    if mine_after:
        stream = negative_stream_features(version_dir, "train", keywords, train_config.mining_hours or None)
        stream_windows, stream_ends = stream.windows(x_train.shape[1], train_config.mining_stride_frames)
        taken = np.zeros(len(stream_windows), bool)
        if log:
            log(f"hard-negative mining: {stream.seconds / 3600:.2f} h of training negative stream, "
                f"{len(stream_windows):,} windows, after epochs {mine_after}")  # fmt: skip
    averager = WeightAverage(model, train_config.weight_averaging) if train_config.weight_averaging else None
    callbacks = [tf.keras.callbacks.LambdaCallback(on_train_batch_end=averager.update)] if averager else []
    for epoch in range(train_config.epochs):
        fitted.optimizer.learning_rate.assign(epoch_learning_rate(train_config, epoch))
        x = spec_augment(x_train, rng, masks) if train_config.spec_augment else x_train
        x = x.astype(np.float32) * INPUT_SCALE
        targets = np.eye(len(labels), dtype=np.float32)[y_train] if one_hot else y_train
        if train_config.mixup:
            x, targets = mixup(x, targets, mixup_rng, train_config.mixup)
        y = targets
        if train_config.adversary:  # mined windows join as domain -1: weight 0, the speech windows' unchanged
            voice_weights = domain_weights(domains, train_config.adversary_balance)
            y = [targets, domain_targets(domains, voice_weights)]
        fit = fitted.fit(x, y,
                         batch_size=train_config.batch_size, epochs=1, shuffle=True, class_weight=weights,
                         verbose=verbose, callbacks=callbacks)  # fmt: skip
        # With averaging, the average is what gets validated and kept; training goes on from the raw weights.
        with averager.applied() if averager else contextlib.nullcontext():
            probs = model.predict(x_val.astype(np.float32) * INPUT_SCALE, verbose=0) if len(x_val) else np.zeros((0, 1))
            snapshots.append(model.get_weights())
        fa_h, recall = false_accepts_per_hour(probs, y_val, len(keywords), stride_s) if len(x_val) else (0.0, 0.0)
        history.append({"epoch": epoch + 1, "loss": float(fit.history["loss"][0]), "val_fa_per_hour": fa_h,
                        "val_recall": recall})  # fmt: skip
        adversary_note = ""
        if train_config.adversary:  # "loss" is the sum of both heads': keep the classifier's apart
            branch_loss = float(fit.history["adversary_loss"][0])  # a mean over every window, noise too
            history[-1]["loss"] -= branch_loss
            # Per weighted speech window, so it compares across epochs and runs whatever mining adds.
            history[-1]["adversary_loss"] = branch_loss * len(domains) / float(voice_weights.sum())
            history[-1]["adversary_prior_loss"] = prior_loss
            adversary_note = f", adversary loss {history[-1]['adversary_loss']:.3f} (chance {prior_loss:.3f})"
        target = train_config.checkpoint_fa_per_hour
        at_target = ""
        if target:
            history[-1]["val_recall_at_target"] = recall_at_false_accepts(probs, y_val, len(keywords), stride_s, target)
            at_target = f", recall at {target:g} FA/h {history[-1]['val_recall_at_target']:.3f}"
        if log:
            log(f"epoch {epoch + 1}/{train_config.epochs}: loss {history[-1]['loss']:.4f}{adversary_note}, "
                f"validation {fa_h:.1f} FA/h, recall {recall:.3f}{at_target}")  # fmt: skip
        if epoch + 1 in mine_after and len(stream_windows):
            chosen, firing = mine_hard_negatives(
                lambda x: model.predict(x, batch_size=1024, verbose=0), stream_windows, len(keywords),
                taken, train_config.hard_negatives_per_round, train_config.hard_negative_min_prob)  # fmt: skip
            taken[chosen] = True
            x_train = np.concatenate([x_train, np.ascontiguousarray(stream_windows[chosen])])
            y_train = np.concatenate(
                [y_train, _class_indices(stream.frame_labels[stream_ends[chosen]], labels, "mined")]
            )
            if train_config.adversary:  # a stream window may span two clips and voices: no domain
                domains = np.concatenate([domains, np.full(len(chosen), -1, np.int32)])
            mining.append({"epoch": epoch + 1, "windows": len(stream_windows), "firing": firing, "mined": len(chosen)})
            if log:
                log(f"mined {len(chosen):,} hard negatives after epoch {epoch + 1} ({firing:,} of "
                    f"{len(stream_windows):,} stream windows score >= 0.5)")  # fmt: skip
    best_epoch = choose_epoch(history, train_config.recall_fraction)
    model.set_weights(snapshots[best_epoch - 1])
    tflite = to_int8_tflite(model, x_train)
    if len(tflite) > train_config.max_model_bytes:
        shape = f"{model_config.arch}, filters {model_config.filters}, blocks {model_config.blocks}"
        raise BudgetError(f"INT8 model is {len(tflite):,} B, budget {train_config.max_model_bytes:,} B ({shape})")
    float_out = model.predict(x_test.astype(np.float32) * INPUT_SCALE, verbose=0) if len(x_test) else None
    float_acc = float((float_out.argmax(1) == y_test).mean()) if float_out is not None else 0.0
    int8_out = run_int8(tflite, x_test) if len(x_test) else np.zeros((0, len(labels)), np.int8)
    int8_acc = float((int8_out.argmax(1) == y_test).mean()) if len(x_test) else 0.0
    # The device's runtime (kwsc_nn, the same C on host and Cortex-M) against TFLite Micro, on
    # every test window: the plan also fails here if the model needs an op kwsc_nn lacks.
    runtime = Runtime.from_tflite(tflite)
    mismatches = int((runtime.run(x_test) != int8_out).any(axis=1).sum()) if len(x_test) else 0
    if log:
        log(f"kwsc_nn runtime vs TFLite Micro on {len(x_test):,} test windows: {mismatches} differ")
    return TrainedModel(tflite, labels, best_epoch, history, float_acc, int8_acc, input_quantization(tflite),
                        runtime.plan.arena_bytes, runtime.plan.macs(), len(x_test), mismatches, mining)  # fmt: skip


@dataclass
class NegativeStream:
    """The int8 features of a split's negative stream (see :func:`negative_stream_features`)."""

    frames: np.ndarray  # int8 (n_frames, coeffs)
    frame_labels: np.ndarray  # str (n_frames,): label of the clip each frame ends in
    seconds: float  # audio streamed

    def windows(self, width: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
        """(zero-copy view of the windows of ``width`` frames every ``stride`` frames, shape
        (n, width, coeffs); index of each window's last frame)."""
        if len(self.frames) < width:
            return np.zeros((0, width, self.frames.shape[1]), np.int8), np.zeros(0, np.int64)
        view = np.lib.stride_tricks.sliding_window_view(self.frames, width, axis=0)[::stride]
        ends = np.arange(width - 1, len(self.frames), stride)[: len(view)]
        return view.transpose(0, 2, 1), ends


def negative_stream_features(
    version_dir: str | Path, split: str, keywords: list[str], max_hours: float | None = None
) -> NegativeStream:
    """A split's non-keyword clips joined into one stream exactly as :mod:`kwsc.evaluate` streams
    them, through the C frontend (one continuous state) and the version's int8 quantisation:
    the features the device's detector would see."""
    from kwsc.config import FrontendConfig
    from kwsc.evaluate import negative_rows, stream_chunks
    from kwsc.frontend import Frontend, QuantParams
    from kwsc.store import Store

    version_dir = Path(version_dir)
    lineage = json.loads((version_dir / "lineage.json").read_text())
    config = FrontendConfig.from_dict(lineage["frontend"]["config"])
    quant = QuantParams.from_dict(lineage["features"]["normalization"]["quant"])
    store = Store(version_dir.parents[1])
    rows = negative_rows(store.manifest(version_dir.name), split, keywords)
    frontend = Frontend(config)
    parts, labels, clip_ends, samples = [], [], [], 0
    for row, pcm in stream_chunks(store.root, rows, config.sample_rate_hz, max_hours):
        parts.append(frontend.push(pcm))
        samples += pcm.size
        labels.append(str(row["label"]))
        clip_ends.append(samples)
    ceps = np.concatenate(parts) if parts else np.zeros((0, config.num_ceps), np.int16)
    last_sample = np.arange(len(ceps)) * config.hop_samples + config.window_samples - 1
    clip = np.minimum(np.searchsorted(np.array(clip_ends), last_sample, side="right"), max(len(labels) - 1, 0))
    frame_labels = np.array(labels, dtype=object)[clip] if labels else np.zeros(0, dtype=object)
    return NegativeStream(frontend.quantize(ceps, quant), frame_labels, samples / config.sample_rate_hz)


class WeightAverage:
    """Exponential moving average of a Keras model's weights, updated after every training batch.

    The decay per batch is warmed up as ``min(decay, (1 + t) / (10 + t))`` over the first updates
    ``t`` so that the random initial weights fade quickly. Floating-point weights (BatchNorm's
    moving statistics included) are averaged in float64; any other weight keeps its latest value.
    """

    def __init__(self, model: Any, decay: float) -> None:
        self.model = model
        self.decay = decay
        self.updates = 0
        self.average: list[np.ndarray] = []

    def update(self, *_: Any, **_keywords: Any) -> None:
        """Fold the model's current weights into the average (a Keras batch-end hook)."""
        weights = self.model.get_weights()
        if not self.average:
            self.average = [np.array(w, np.float64) if np.issubdtype(w.dtype, np.floating) else w for w in weights]
        else:
            d = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
            for k, w in enumerate(weights):
                if np.issubdtype(w.dtype, np.floating):
                    self.average[k] *= d
                    self.average[k] += (1.0 - d) * w
                else:
                    self.average[k] = w
        self.updates += 1

    def weights(self) -> list[np.ndarray]:
        """The averaged weights in the model's own dtypes (the model's weights before any update)."""
        return self._like(self.model.get_weights())

    def _like(self, current: list[np.ndarray]) -> list[np.ndarray]:
        if not self.average:
            return current
        return [a.astype(w.dtype) for a, w in zip(self.average, current, strict=True)]

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Within the block the model holds the averaged weights; after it, its own again."""
        own = self.model.get_weights()
        self.model.set_weights(self._like(own))
        try:
            yield
        finally:
            self.model.set_weights(own)


def mining_epochs(epochs: int, rounds: int) -> list[int]:
    """The epochs (1-based) after which hard negatives are mined: ``rounds`` evenly spaced, never
    after the last epoch (mined windows must be trained on)."""
    return sorted({min(epochs - 1, round(epochs * (r + 1) / (rounds + 1))) for r in range(rounds)} - {0})


def mine_hard_negatives(
    predict: Callable[[np.ndarray], np.ndarray],
    windows: np.ndarray,
    keywords: int,
    taken: np.ndarray,
    count: int,
    min_prob: float,
    batch: int = 8192,
) -> tuple[np.ndarray, int]:
    """(indices of the ``count`` highest-scoring windows not ``taken`` whose keyword probability
    is at least ``min_prob``, in index order; windows scoring >= 0.5). ``predict`` maps float
    model input to class probabilities."""
    score = np.zeros(len(windows), np.float32)
    for start in range(0, len(windows), batch):
        x = np.ascontiguousarray(windows[start : start + batch], np.float32) * INPUT_SCALE
        score[start : start + batch] = predict(x)[:, :keywords].max(axis=1)
    firing = int((score >= 0.5).sum())
    score[taken] = -1.0
    eligible = np.flatnonzero(score >= min_prob)
    order = eligible[np.argsort(-score[eligible], kind="stable")][:count]
    return np.sort(order), firing


def _representative(x_train: np.ndarray, count: int = 300) -> Iterator[list[np.ndarray]]:
    edge = np.full((1, *x_train.shape[1:]), -128, np.float32)
    edge.reshape(-1)[::2] = 127  # the int8 extremes: calibrates the input to exactly scale 1/32
    yield [edge * INPUT_SCALE]
    step = max(1, len(x_train) // count)
    for window in x_train[::step][:count]:
        yield [window[None].astype(np.float32) * INPUT_SCALE]


def to_int8_tflite(model: Any, x_train: np.ndarray) -> bytes:
    """Full-integer INT8 flatbuffer (int8 input and output), calibrated on training windows.

    Converted with a fixed batch of one, as a device runs it: a dynamic batch would add
    SHAPE/STRIDED_SLICE/PACK ops in front of every reshape."""
    import tensorflow as tf

    single = tf.keras.models.clone_model(
        model, input_tensors=tf.keras.Input(batch_shape=(1, *model.input_shape[1:]), name="features")
    )
    single.set_weights(model.get_weights())
    converter = tf.lite.TFLiteConverter.from_keras_model(single)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: _representative(x_train)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with contextlib.redirect_stdout(io.StringIO()):  # Keras' export prints its signature listing
        tflite = converter.convert()
    scale, zero = input_quantization(tflite)
    if abs(scale - INPUT_SCALE) > 1e-9 or zero != 0:
        raise RuntimeError(f"model input quantisation is ({scale}, {zero}), not the frontend's (1/32, 0)")
    return tflite


def input_quantization(tflite: bytes) -> tuple[float, int]:
    """(scale, zero point) of the model's int8 input."""
    from tflite_micro.python.tflite_micro import runtime

    params = runtime.Interpreter.from_bytes(tflite).get_input_details(0)["quantization_parameters"]
    return float(params["scales"][0]), int(params["zero_points"][0])


def run_int8(tflite: bytes, features: np.ndarray) -> np.ndarray:
    """int8 outputs of the TFLite Micro interpreter (PyPI ``tflite-micro``: the device's kernels)
    for int8 feature windows (n, frames, coeffs), one window per invocation.

    Not TensorFlow's ``tf.lite.Interpreter``: on the default example's 13,400 test windows its
    XNNPACK path differed from TFLite Micro on 12 % of the outputs (up to 19 int8 steps), and
    even its reference kernels on a few (up to 7)."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(tflite)
    outputs = []
    for window in np.ascontiguousarray(features, np.int8):
        interpreter.set_input(window[None], 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0)[0], dtype=np.int8))
    return np.stack(outputs) if outputs else np.zeros((0, 0), np.int8)


#: Training options added after models were published, with the value that turns them off. At
#: that value they stay out of the model id, so adding an option does not rename the models
#: trained before it existed (their training was the same).
_LATER_OPTIONS_OFF = {"label_smoothing": 0.0, "weight_averaging": 0.0, "mixup": 0.0, "checkpoint_fa_per_hour": 0.0,
                      "lr_schedule": "constant", "restarts": 1, "adversary": "",
                      "adversary_weight": TrainConfig.adversary_weight, "adversary_balance": 0.0}  # fmt: skip


#: Version of what training makes of its inputs: bump it with any change to the training code
#: that changes the models it trains, so that one model id never stands for two sets of weights
#: (stored models are reused by id). At 1 it stays out of the id, as the later options do.
TRAIN_VERSION = 1


def model_id(dataset_version: str, model_config: ModelConfig, train_config: TrainConfig, keywords: list[str]) -> str:
    """Hash of what determines the model: dataset version, configs (seed included), keywords and
    the training code's version."""
    train_fields = {k: v for k, v in asdict(train_config).items() if _LATER_OPTIONS_OFF.get(k, object()) != v}
    payload: dict[str, Any] = {"dataset": dataset_version, "model": asdict(model_config), "train": train_fields,
                               "keywords": list(keywords)}  # fmt: skip
    if TRAIN_VERSION != 1:
        payload["train_version"] = TRAIN_VERSION
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:24]


def save(
    store_root: str | Path,
    dataset_version: str,
    trained: TrainedModel,
    model_config: ModelConfig,
    train_config: TrainConfig,
    keywords: list[str],
) -> Path:
    """Write ``<store>/models/<model_id>/``: model.tflite, kwsc_model.c/.h (its C export for the
    device), meta.json (what the device needs to run it) and lineage.json (what produced it)."""
    from kwsc import __version__, lineage

    root = Path(store_root)
    version_lineage = json.loads((root / "datasets" / dataset_version / "lineage.json").read_text())
    folder = root / "models" / model_id(dataset_version, model_config, train_config, keywords)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.tflite").write_bytes(trained.tflite)
    export(folder / "model.tflite", folder)  # kwsc_model.c/.h: the same model as C for the device
    features = version_lineage["features"]
    meta = {"labels": trained.labels, "keywords": list(keywords), "negative": NEGATIVE,
            "frontend": version_lineage["frontend"], "normalization": features["normalization"],
            "window": features["config"], "input_quantization": list(trained.input_quantization),
            "arena_bytes": trained.arena_bytes, "macs_per_inference": trained.macs_per_inference}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    record = {"dataset_version": dataset_version, "model": asdict(model_config), "train": asdict(train_config),
              "epoch": trained.epoch, "history": trained.history, "model_bytes": len(trained.tflite),
              "model_sha256": hashlib.sha256(trained.tflite).hexdigest(),
              "float_test_accuracy": trained.float_test_accuracy, "int8_test_accuracy": trained.int8_test_accuracy,
              "runtime_checked_windows": trained.runtime_checked_windows,
              "runtime_mismatches": trained.runtime_mismatches, "mining": trained.mining or [],
              "train_version": TRAIN_VERSION, "code_version": lineage.code_version(), "kwsc_version": __version__,
              "packages": lineage.package_versions()}  # fmt: skip
    (folder / "lineage.json").write_text(json.dumps(record, indent=2, sort_keys=True))
    return folder


#: Files that make a stored model; save writes lineage.json last, so with it the folder is complete.
MODEL_FILES = ("model.tflite", "kwsc_model.c", "kwsc_model.h", "meta.json", "lineage.json")


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` holds a whole saved model (an interrupted save leaves no lineage.json)."""
    return all((folder / name).is_file() for name in MODEL_FILES)


def train_or_reuse(
    store_root: str | Path,
    version_dir: str | Path,
    keywords: list[str],
    model_config: ModelConfig,
    train_config: TrainConfig,
    log: Callable[[str], None] | None = None,
) -> tuple[Path, bool]:
    """The stored model of one training (``train_config.restarts`` must be 1): reused when the
    store already holds it complete (its id covers the dataset version, both configs, the seed,
    the keywords and :data:`TRAIN_VERSION`; delete the folder to train it again), else trained
    and saved. Returns (model folder, reused)."""
    if train_config.restarts != 1:
        raise ValueError("train_or_reuse trains one model: restarts must be 1 (see kwsc.restarts)")
    version_dir = Path(version_dir)
    folder = Path(store_root) / "models" / model_id(version_dir.name, model_config, train_config, keywords)
    if is_complete(folder):
        return folder, True
    trained = train(version_dir, keywords, model_config, train_config, log=log)
    return save(store_root, version_dir.name, trained, model_config, train_config, keywords), False


def summary_line(folder: Path) -> str:
    """One line on a stored model: size against budget, the kept epoch's validation numbers, test
    accuracy, arena and MACs, and the runtime check against TFLite Micro."""
    record = json.loads((folder / "lineage.json").read_text())
    meta = json.loads((folder / "meta.json").read_text())
    model, config, kept = record["model"], record["train"], record["history"][record["epoch"] - 1]
    checked, mismatches = record["runtime_checked_windows"], record["runtime_mismatches"]
    return (f"{model['arch']} ({model['filters']} filters, {model['blocks']} blocks): {record['model_bytes']:,} B "
            f"INT8 (budget {config['max_model_bytes']:,} B); epoch {record['epoch']} of {config['epochs']} chosen: "
            f"validation {kept['val_fa_per_hour']:.1f} FA/h, recall {kept['val_recall']:.3f}; test accuracy float "
            f"{record['float_test_accuracy']:.3f}, int8 {record['int8_test_accuracy']:.3f}; arena "
            f"{meta['arena_bytes']:,} B, {meta['macs_per_inference']:,} MACs per inference; kwsc_nn == TFLite "
            f"Micro on {checked - mismatches:,} of {checked:,} test windows")  # fmt: skip
