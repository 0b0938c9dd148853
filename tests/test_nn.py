"""The INT8 runtime (csrc/kwsc_nn.*) and export: bit-exact with the TFLite Micro interpreter.

For every model here the kwsc runtime's int8 outputs must equal those of PyPI's ``tflite-micro``
interpreter (TFLite Micro's reference kernels) exactly, on every window: a model that exercises
each kernel and option (tests/conftest.py ``zoo_model_tflite``), and DS-CNN and CNN models
trained by ``kwsc.train`` on a small dataset, over its whole test split (and the other splits).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import odd_shapes_model_tflite, words_version, zoo_model_tflite, zoo_windows
from kwsc import export as kexport
from kwsc._kwsc_c import lib
from kwsc.cli import main
from kwsc.config import ARCHITECTURES
from kwsc.features import load_windows
from kwsc.runtime import NNError, Runtime
from kwsc.train import ModelConfig, TrainConfig, run_int8, save, train


def test_every_kernel_bit_exact_with_tflite_micro(zoo_tflite: bytes) -> None:
    runtime = Runtime.from_tflite(zoo_tflite)
    kinds = {op.kind for op in runtime.plan.ops}
    assert kinds == set(kexport.OP_NAMES)  # the zoo covers every kernel
    windows = zoo_windows(400)
    reference = run_int8(zoo_tflite, windows)
    assert len(np.unique(reference, axis=0)) > 100  # outputs vary: the comparison has teeth
    np.testing.assert_array_equal(runtime.run(windows), reference)


def test_second_random_model_bit_exact(tmp_path: Path) -> None:
    tflite = zoo_model_tflite(seed=7)
    windows = zoo_windows(200, seed=7)
    np.testing.assert_array_equal(Runtime.from_tflite(tflite).run(windows), run_int8(tflite, windows))


def test_odd_shapes_bit_exact() -> None:
    """Every remainder and fallback path of the optimised kernels (see odd_shapes_model_tflite)."""
    tflite = odd_shapes_model_tflite(seed=3)
    windows = zoo_windows(200, seed=3)
    reference = run_int8(tflite, windows)
    assert len(np.unique(reference, axis=0)) > 20
    np.testing.assert_array_equal(Runtime.from_tflite(tflite).run(windows), reference)


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dataset of synthetic "alexa" and other words from 24 speakers."""
    store, version_id = words_version(tmp_path_factory.mktemp("nn"), ["alexa"])
    return store.resolve(version_id)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_trained_models_bit_exact_on_every_split(version: Path, arch: str) -> None:
    trained = train(
        version, ["alexa"], ModelConfig(arch=arch, filters=8, blocks=1), TrainConfig(epochs=2, batch_size=16)
    )
    runtime = Runtime.from_tflite(trained.tflite)
    assert runtime.plan.input_shape[:2] == (49, 13) and runtime.num_classes == 2
    for split in ("test", "validation", "train"):
        windows, _ = load_windows(version, split)
        assert len(windows) > 0
        np.testing.assert_array_equal(runtime.run(windows), run_int8(trained.tflite, windows), err_msg=split)


def _requantize_reference(x: int, multiplier: int, shift: int) -> int:
    """TFLite's double-rounding MultiplyByQuantizedMultiplier in Python integers."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((x << left) + 2**31) % 2**32 - 2**31  # int32 wrap, as the reference's int32 multiply
    if a == multiplier == -(2**31):
        high = 2**31 - 1
    else:
        ab = a * multiplier
        total = ab + (2**30 if ab >= 0 else 1 - 2**30)
        high = (abs(total) >> 31) * (1 if total >= 0 else -1)  # division truncating toward zero
    mask = (1 << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if remainder > threshold else 0)


@given(
    x=st.integers(-(2**31), 2**31 - 1),
    multiplier=st.integers(2**30, 2**31 - 1),
    shift=st.integers(-31, 0),
)
def test_requantize_matches_tflite_rounding(x: int, multiplier: int, shift: int) -> None:
    assert lib.kwsc_nn_requantize(x, multiplier, shift) == _requantize_reference(x, multiplier, shift)


def test_requantize_ties() -> None:
    half = 2**30  # multiplier 0.5
    assert lib.kwsc_nn_requantize(3, half, 0) == 2  # 1.5 -> 2 (up)
    assert lib.kwsc_nn_requantize(-3, half, 0) == -1  # -1.5 -> -1: the high multiply rounds ties upward
    assert lib.kwsc_nn_requantize(6, half, -2) == 1  # 0.75 -> 1
    assert lib.kwsc_nn_requantize(-10, half, -2) == -1  # -1.25 -> -1
    assert lib.kwsc_nn_requantize(-12, half, -2) == -2  # -1.5 -> -2: the shift rounds ties away from zero


def test_quantize_multiplier() -> None:
    assert kexport.quantize_multiplier(0.5) == (2**30, 0)
    assert kexport.quantize_multiplier(1.0) == (2**30, 1)
    assert kexport.quantize_multiplier(0.0) == (0, 0)
    assert kexport.quantize_multiplier(2.0**-40) == (0, 0)  # below 2^-31: every product rounds to 0
    m, s = kexport.quantize_multiplier(0.0123)
    assert 2**30 <= m < 2**31 and abs(m * 2.0 ** (s - 31) - 0.0123) < 1e-11


@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(0, 12), st.integers(0, 6)), min_size=1, max_size=25))
def test_memory_plan_never_overlaps_live_tensors(specs: list[tuple[int, int, int]]) -> None:
    sizes = {i: size for i, (size, _, _) in enumerate(specs)}
    lifetimes = {i: (first, first + length) for i, (_, first, length) in enumerate(specs)}
    offsets, arena = kexport.plan_memory(lifetimes, sizes)
    assert arena % kexport.ARENA_ALIGN == 0
    assert arena <= sum(-(-s // 4) * 4 for s in sizes.values())
    for a in sizes:
        assert offsets[a] % kexport.ARENA_ALIGN == 0 and offsets[a] + sizes[a] <= arena
        for b in sizes:
            live_together = lifetimes[a][0] <= lifetimes[b][1] and lifetimes[b][0] <= lifetimes[a][1]
            if a < b and live_together:
                assert offsets[a] + sizes[a] <= offsets[b] or offsets[b] + sizes[b] <= offsets[a]


def test_chain_arena_is_the_largest_adjacent_pair(zoo_tflite: bytes) -> None:
    plan = kexport.plan_from_tflite(zoo_tflite)
    aligned = {t: -(-s // 4) * 4 for t, s in plan.sizes.items()}
    peak = max(aligned[op.input_tensor] + aligned[op.output_tensor] for op in plan.ops)
    assert plan.arena_bytes == peak  # a chain of ops needs no more than its widest step


def test_unsupported_models_fail_clearly(tmp_path: Path) -> None:
    import tensorflow as tf

    inputs = tf.keras.Input(shape=(49, 13))
    x = tf.keras.layers.Reshape((49, 13, 1))(inputs)
    x = tf.keras.layers.MaxPooling2D((2, 2))(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Flatten()(x))
    float_model = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    with pytest.raises(kexport.ExportError, match=r"MAX_POOL_2D is not implemented|not int8|SHAPE"):
        kexport.plan_from_tflite(float_model)
    with pytest.raises(kexport.ExportError, match=r"not a TFLite flatbuffer|subgraph"):
        kexport.plan_from_tflite(b"\x00" * 64)


def test_runtime_refuses_a_corrupted_plan(zoo_tflite: bytes) -> None:
    plan = kexport.plan_from_tflite(zoo_tflite)
    plan.arena_bytes -= 4  # the largest step no longer fits
    with pytest.raises(NNError, match="refused"):
        Runtime(plan)
    runtime = Runtime.from_tflite(zoo_tflite)
    with pytest.raises(ValueError, match="int8"):
        runtime.invoke(np.zeros((49, 13), np.float32))


def test_cli_export_writes_c_and_reports_the_plan(version: Path, tmp_path: Path) -> None:
    config = TrainConfig(epochs=1, batch_size=16)
    trained = train(version, ["alexa"], ModelConfig(filters=8, blocks=1), config)
    folder = save(version.parents[1], version.name, trained, ModelConfig(filters=8, blocks=1), config, ["alexa"])
    result = CliRunner().invoke(main, ["export", str(folder), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    source = (tmp_path / "c" / "kwsc_model.c").read_text()
    header = (tmp_path / "c" / "kwsc_model.h").read_text()
    plan = kexport.plan_from_tflite(trained.tflite)
    assert f"#define KWSC_MODEL_ARENA_BYTES {plan.arena_bytes}u" in header
    assert source.count(".type = KWSC_NN_") == len(plan.ops)
    assert f"arena {plan.arena_bytes:,} B" in result.output
    summary = json.loads((tmp_path / "c" / "export.json").read_text())
    assert summary["arena_bytes"] == plan.arena_bytes and summary["ops"] == [op.name for op in plan.ops]


@pytest.fixture(scope="module")
def trained_folder(version: Path) -> Path:
    """A small trained DS-CNN saved in the version's store."""
    model_config, config = ModelConfig(filters=8, blocks=1), TrainConfig(epochs=2, batch_size=16, seed=3)
    trained = train(version, ["alexa"], model_config, config)
    return save(version.parents[1], version.name, trained, model_config, config, ["alexa"])


def test_firmware_outputs_equal_host_on_every_split(version: Path, trained_folder: Path, tmp_path: Path) -> None:
    """The exported C compiled into the Cortex-M4 firmware, run under QEMU, gives the host
    runtime's int8 outputs (and so TFLite Micro's) on every window of the dataset."""
    from kwsc import firmware

    _, _, plan = kexport.export(trained_folder / "model.tflite", tmp_path)
    build = firmware.build(model_dir=tmp_path)
    windows = np.concatenate([load_windows(version, split)[0] for split in ("test", "validation", "train")])
    device = firmware.run_nn(build, windows)
    np.testing.assert_array_equal(device.outputs, Runtime(plan).run(windows))
    assert device.arena_bytes == plan.arena_bytes
    assert plan.macs() < device.instructions_per_inference < 100 * plan.macs()
    assert 0 < device.stack_bytes < 2048  # the convolution column buffer is 1 KB of it


def test_firmware_without_a_model_says_so() -> None:
    from kwsc import firmware

    with pytest.raises(firmware.FirmwareError, match="no model compiled in"):
        firmware.run_nn(firmware.build(), np.zeros((1, 49, 13), np.int8))


def test_footprint_of_a_model_against_tflite_micro(trained_folder: Path) -> None:
    result = CliRunner().invoke(main, ["footprint", str(trained_folder), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    plan = kexport.plan_from_tflite((trained_folder / "model.tflite").read_bytes())
    model, runtime = document["model"], document["model runtime"]
    assert model["state_bytes"] == plan.arena_bytes  # the static arena, sized at export
    assert model["tables_bytes"] >= plan.const_bytes()  # weights, biases, requantisation, op table
    assert runtime["code_bytes"] > 1000 and model["instructions_per_inference"] > plan.macs()
    tflm = document["tflite_micro"]
    assert tflm["flatbuffer_bytes"] == (trained_folder / "model.tflite").stat().st_size
    assert tflm["arena_bytes"] > model["state_bytes"]  # TFLite Micro adds its tensor and node structs
    assert tflm["flash_bytes_lower_bound"] > model["flash_bytes"] + runtime["flash_bytes"]
    detector = document["detector"]  # the whole keyword path, streaming on the device
    assert detector["state_bytes"] > plan.arena_bytes and detector["instructions_per_second"] > 0
    budgets = {b["name"]: b for b in model["budgets"]}
    assert budgets["flash bytes with the runtime"]["ok"]
