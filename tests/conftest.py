"""Shared fixtures: the default frontend and the generated signal corpus."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings

import kwsc
from kwsc import signals

# In CI, property tests are derandomised so a run is reproducible; locally they explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def frontend() -> kwsc.Frontend:
    """A default-config frontend (its streaming state is reset by tests that use push)."""
    return kwsc.Frontend()


@pytest.fixture(scope="session")
def corpus() -> dict[str, np.ndarray]:
    """Named 2 s test signals: speech-like at several levels, noise, sweep, tone, clipped, silence."""
    return signals.corpus(2.0)


def zoo_model_tflite(seed: int = 0) -> bytes:
    """A full-INT8, batch-1 .tflite that exercises every kwsc_nn kernel and option kwsc models
    can meet: valid and same padding, strides, dilation, ReLU6 / ReLU / none, a depthwise
    depth multiplier of 2, average pooling over partial windows, reshape, fully connected with
    bias, and a 12-class softmax. Random weights and biases, calibrated on random windows."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    init = {"bias_initializer": tf.keras.initializers.RandomNormal(stddev=0.3)}
    inputs = tf.keras.Input(batch_shape=(1, 49, 13), name="features")
    x = layers.Reshape((49, 13, 1))(inputs)
    x = layers.Conv2D(6, (5, 3), strides=(2, 1), padding="valid", activation="relu6", **init)(x)
    x = layers.Conv2D(8, (3, 3), dilation_rate=(2, 1), padding="same", activation="relu", **init)(x)
    x = layers.DepthwiseConv2D((3, 3), strides=(2, 2), depth_multiplier=2, padding="same", **init)(x)
    x = layers.AveragePooling2D((3, 3), strides=(2, 2), padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(24, activation="relu", **init)(x)
    outputs = layers.Dense(12, activation="softmax", **init)(x)
    return _full_int8(tf.keras.Model(inputs, outputs), seed)


def odd_shapes_model_tflite(seed: int = 0) -> bytes:
    """A full-INT8 .tflite whose shapes hit every remainder and fallback path of kwsc_nn.c's
    kernels: odd channel counts (2-, 4-channel blocks with a tail), an odd number of output
    positions, depthwise with multiplier 1 (blocks of four plus one, dilated), a column longer
    than one 128-tap packed chunk (3x3x17), one longer than the 256-tap column (7x7x6, the direct
    loop) and a fully connected layer with five outputs."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    init = {"bias_initializer": tf.keras.initializers.RandomNormal(stddev=0.3)}
    inputs = tf.keras.Input(batch_shape=(1, 49, 13), name="features")
    x = layers.Reshape((49, 13, 1))(inputs)
    x = layers.Conv2D(5, (10, 4), strides=(2, 2), padding="same", activation="relu", **init)(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same", activation="relu", **init)(x)
    x = layers.Conv2D(17, (1, 1), activation="relu", **init)(x)
    x = layers.DepthwiseConv2D((3, 3), dilation_rate=(2, 1), padding="same", **init)(x)
    x = layers.Conv2D(6, (3, 3), strides=(2, 1), padding="same", activation="relu", **init)(x)
    x = layers.Conv2D(3, (7, 7), padding="valid", **init)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(5, activation="softmax", **init)(x)
    return _full_int8(tf.keras.Model(inputs, outputs), seed)


def _full_int8(model: object, seed: int) -> bytes:
    """Convert a Keras model to full INT8, calibrated on random windows."""
    import tensorflow as tf

    from kwsc.train import INPUT_SCALE

    rng = np.random.default_rng(seed)

    def representative():  # type: ignore[no-untyped-def]
        for _ in range(64):
            yield [rng.normal(0, 40, (1, 49, 13)).clip(-128, 127).astype(np.float32) * INPUT_SCALE]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


@pytest.fixture(scope="session")
def zoo_tflite() -> bytes:
    """:func:`zoo_model_tflite` built once per session."""
    return zoo_model_tflite()


def zoo_windows(count: int, seed: int = 1) -> np.ndarray:
    """int8 windows (count, 49, 13) for the zoo model: speech-like, uniform, quiet and extremes."""
    rng = np.random.default_rng(seed)
    parts = [
        rng.normal(0, 40, (count // 4, 49, 13)),
        rng.integers(-128, 128, (count // 4, 49, 13)),
        rng.normal(0, 4, (count // 4, 49, 13)),
        rng.choice([-128, 127, 0], (count - 3 * (count // 4), 49, 13)),
    ]
    return np.concatenate([np.clip(np.rint(p), -128, 127) for p in parts]).astype(np.int8)


def words_version(root: Path, keywords: list[str], words: tuple[str, ...] = ("alexa", "other")) -> tuple[Any, str]:
    """A small dataset version built under ``root``: synthetic ``words`` from 24 speakers in a
    Speech Commands tree, ``keywords`` as the project's phrases, split 0.6/0.2/0.2 by speaker.
    Returns (store, version id)."""
    import json

    from kwsc.build import build
    from kwsc.config import load_project
    from kwsc.store import Store

    signals.write_speech_commands_tree(root, [f"spk{k:02d}" for k in range(24)], words)
    project = root / "project.toml"
    project.write_text(f"[keyword]\nphrases = {json.dumps(keywords)}\n[sources.sc]\ntype = \"corpus\"\n"
                       'layout = "speech_commands"\npath = "sc"\n'
                       "[split]\nfractions = { train = 0.6, validation = 0.2, test = 0.2 }\n")  # fmt: skip
    store = Store(root / "store")
    return store, build(load_project(project), store, workers=1, progress=False).version_id
