"""Feature windows, normalisation learned on train only, shards and loaders, Dask = local."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile

from kwsc import Frontend, FrontendConfig, QuantParams, signals
from kwsc._kwsc_c import ffi, lib
from kwsc.build import build
from kwsc.config import ConfigError, load_project
from kwsc.executor import Executor
from kwsc.features import (
    FeatureConfig,
    WindowJob,
    bed_gain,
    context_beds,
    cut,
    iter_windows,
    learn_normalization,
    load_windows,
    on_bed,
    quantize_window,
    relative_c0_cepstra,
    window_audio,
    window_cepstra,
    window_starts,
)
from kwsc.ingest import store_pcm
from kwsc.split import split_of
from kwsc.store import Store


def _corpus(root: Path, speakers: list[str], seed0: int = 0) -> None:
    signals.write_speech_commands_tree(root, speakers, seed0=seed0)
    long = root / "sc" / "_background_noise_" / "pink.wav"
    long.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(long, signals.pink_noise(3.0, -35, seed=9), 16000, subtype="PCM_16")


def _project(root: Path, frontend: str = "") -> Path:
    path = root / "project.toml"
    path.write_text('[keyword]\nphrases = ["alexa"]\n[sources.sc]\ntype = "corpus"\nlayout = "speech_commands"\n'
                    'path = "sc"\nnoise_clip_s = 0\n' + frontend)  # fmt: skip
    return path


SPEAKERS = [f"spk{k:02d}" for k in range(12)]


def test_windows_and_shards(tmp_path: Path) -> None:
    _corpus(tmp_path, SPEAKERS)
    store = Store(tmp_path / "store")
    result = build(load_project(_project(tmp_path)), store, workers=2, progress=False)
    version = store.resolve(result.version_id)
    features, labels = load_windows(version)
    assert features.dtype == np.int8 and features.shape[1:] == (49, 13)
    assert set(labels) == {"alexa", "_negative", "_noise"}
    rows = {r["id"]: r for r in store.manifest(result.version_id)}
    assert sum(r["windows"] for r in rows.values()) == features.shape[0]
    long_noise = next(r for r in rows.values() if "_background_noise_" in r["id"])
    assert long_noise["windows"] == 5  # 3 s cut every 0.5 s into 1 s windows: starts 0, 0.5, ..., 2.0
    table = pq.read_table(next((version / "features").glob("part-*.parquet")))
    assert {"id", "clip_id", "label", "split", "group", "features", "frames", "coeffs"} <= set(table.column_names)
    lineage = store.lineage(result.version_id)
    assert lineage["features"]["windows"] == features.shape[0]
    batches = list(iter_windows(version, "train", batch_rows=7))
    assert sum(b[0].shape[0] for b in batches) == int(
        (np.array([r["split"] for r in table.to_pylist()]) == "train").sum()
    )


def test_normalisation_is_learned_on_train_only(tmp_path: Path) -> None:
    """Adding speakers that land in validation/test changes nothing learned; one in train does."""
    _corpus(tmp_path, SPEAKERS)
    config = load_project(_project(tmp_path))
    first = build(config, Store(tmp_path / "a"), workers=1, progress=False)
    norm = Store(tmp_path / "a").lineage(first.version_id)["features"]["normalization"]
    held_out = [f"new{k:03d}" for k in range(200) if split_of(f"sc:new{k:03d}", config.split) != "train"][:3]
    _corpus(tmp_path, held_out, seed0=100)
    second = build(load_project(_project(tmp_path)), Store(tmp_path / "b"), workers=1, progress=False)
    assert second.version_id != first.version_id
    assert Store(tmp_path / "b").lineage(second.version_id)["features"]["normalization"] == norm
    trained = next(f"trn{k:03d}" for k in range(200) if split_of(f"sc:trn{k:03d}", config.split) == "train")
    _corpus(tmp_path, [trained], seed0=300)
    third = build(load_project(_project(tmp_path)), Store(tmp_path / "c"), workers=1, progress=False)
    assert Store(tmp_path / "c").lineage(third.version_id)["features"]["normalization"] != norm


def test_frontend_change_recomputes_what_depends_on_it(tmp_path: Path) -> None:
    """A new frontend config gets new features (and new validator verdicts: the validator reads the
    frontend's log-mel, as on the device), but the decoded audio is shared, not stored again."""
    _corpus(tmp_path, SPEAKERS[:6])
    store = Store(tmp_path / "store")
    build(load_project(_project(tmp_path)), store, workers=1, progress=False)
    features = store.root / "cache" / "features"
    audio = sorted(store.root.glob("cache/audio/*/*.flac"))
    first = sorted(p.name for p in features.iterdir())
    build(load_project(_project(tmp_path, "[frontend]\npreemphasis = 0.97\n")), store, workers=1, progress=False)
    assert sorted(store.root.glob("cache/audio/*/*.flac")) == audio
    second = sorted(p.name for p in features.iterdir())
    assert len(second) == len(first) + 1 and set(first) <= set(second)  # one new feature cache, the old kept


def test_dask_build_is_byte_identical_to_local(tmp_path: Path) -> None:
    _corpus(tmp_path, SPEAKERS[:8])
    config = load_project(_project(tmp_path, "[augment]\nvariants = { real = 1 }\n"))
    local = build(config, Store(tmp_path / "local"), workers=2, progress=False)
    with Executor("dask", workers=2) as runner:
        dask = build(config, Store(tmp_path / "dask"), progress=False, executor=runner)
    assert dask.version_id == local.version_id
    a, b = Store(tmp_path / "local").resolve(local.version_id), Store(tmp_path / "dask").resolve(dask.version_id)
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert any(str(n).startswith("features/") for n in names)
    assert local.counts["augmented"] == local.counts["accepted"] - 1  # one variant per clip but the noise
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


AUGMENT = "[augment]\nvariants = { real = 2 }\n"


def test_augmented_variants_follow_their_source(tmp_path: Path) -> None:
    import json

    _corpus(tmp_path, SPEAKERS)
    store = Store(tmp_path / "store")
    result = build(load_project(_project(tmp_path, AUGMENT)), store, workers=2, progress=False)
    rows = store.manifest(result.version_id)
    clips = {r["id"]: r for r in rows if r["status"] != "augmented"}
    variants = [r for r in rows if r["status"] == "augmented"]
    real = [r for r in clips.values() if r["status"] == "accepted" and r["kind"] == "real"]
    assert len(variants) == 2 * len(real) == result.counts["augmented"]
    assert result.counts["inputs"] == len(clips) == sum(result.counts[s] for s in ("accepted", "rejected", "duplicate"))
    noise_split = {r["sha256"]: r["split"] for r in clips.values() if r["kind"] == "noise"}
    for variant in variants:
        source = clips[variant["source_id"]]
        assert (variant["split"], variant["group"], variant["label"]) == (source["split"], source["group"],
                                                                        source["label"])  # fmt: skip
        recipe = json.loads(variant["augment"])
        assert recipe["source_sha256"] == source["sha256"] != variant["sha256"]
        assert variant["id"] == f"{source['id']}~a{recipe['index']}" and variant["windows"] == 1
        if recipe["noise"]:  # background noise only from the same split: no audio crosses splits
            assert noise_split[recipe["noise"]["sha256"]] == variant["split"]
    assert any(json.loads(v["augment"])["noise"] for v in variants if v["split"] in noise_split.values())
    lineage = store.lineage(result.version_id)
    assert lineage["augment"]["variants"] == len(variants) and lineage["counts"]["augmented"] == len(variants)
    version = store.resolve(result.version_id)
    assert "## Augmentation coverage" in (version / "report.md").read_text()
    assert load_windows(version)[0].shape[0] == sum(r["windows"] for r in rows)

    # Deterministic: a fresh store rebuilds the same bytes; the same store reuses every variant.
    again = build(load_project(_project(tmp_path, AUGMENT)), Store(tmp_path / "fresh"), workers=1, progress=False)
    assert again.version_id == result.version_id
    fresh = Store(tmp_path / "fresh").resolve(again.version_id)
    for name in ("manifest.parquet", "features/part-00000.parquet"):
        assert (fresh / name).read_bytes() == (version / name).read_bytes(), name
    cached = {p: p.stat().st_mtime_ns for p in store.root.glob("cache/augmented/*/*.json")}
    assert len(cached) == len(variants)

    # One more variant per clip: the first two are kept (drawn from the clip and their index only).
    more = build(load_project(_project(tmp_path, "[augment]\nvariants = { real = 3 }\n")), store, workers=1,
                 progress=False)  # fmt: skip
    grown = {r["id"]: r["sha256"] for r in store.manifest(more.version_id) if r["status"] == "augmented"}
    assert len(grown) == 3 * len(real)
    assert all(grown[v["id"]] == v["sha256"] for v in variants)
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in cached.items())


def test_tf_data_loader_streams_the_shards(tmp_path: Path) -> None:
    from kwsc.augment import AugmentConfig
    from kwsc.features import tf_dataset

    _corpus(tmp_path, SPEAKERS)
    store = Store(tmp_path / "store")
    version = store.resolve(build(load_project(_project(tmp_path)), store, workers=1, progress=False).version_id)
    labels = ["alexa", "_negative", "_noise"]
    features, names = load_windows(version, "train")
    streamed = list(tf_dataset(version, "train", labels, batch_rows=5).as_numpy_iterator())
    assert np.array_equal(np.stack([x for x, _ in streamed]), features)
    assert [labels[y] for _, y in streamed] == list(names)
    masks = AugmentConfig(time_masks=2, time_mask_frames=8, freq_masks=1, freq_mask_coeffs=2)
    dataset = tf_dataset(version, "train", labels, spec_augment=masks, seed=3)
    epoch1 = np.stack([x for x, _ in dataset.as_numpy_iterator()])
    epoch2 = np.stack([x for x, _ in dataset.as_numpy_iterator()])
    changed = epoch1 != features
    assert changed.any() and (epoch1[changed] == 0).all()  # masked cells hold the learned mean, int8 0
    assert not np.array_equal(epoch1, epoch2)  # fresh masks every epoch


def test_window_placement() -> None:
    frontend = FrontendConfig()
    config = FeatureConfig()
    job = WindowJob("x", "0" * 64, True, 0.5, 1.1, 0.0, "/nonexistent", frontend, config)
    (start,) = window_starts(job, 32000)
    end = (start + 16000) / 16000  # the default anchors the window's end just after the speech
    assert config.keyword_anchor == "end" and abs(end - (1.1 + config.end_margin_s)) <= config.jitter_s + 1e-9
    (shifted,) = window_starts(replace(job, shift_s=0.05), 32000)
    assert shifted - start == 800
    centred = replace(job, features=replace(config, keyword_anchor="centre"))
    (start,) = window_starts(centred, 32000)
    centre = (start + 8000) / 16000
    assert abs(centre - 0.8) <= config.jitter_s + 1e-9
    with pytest.raises(ConfigError, match="keyword_anchor"):
        FeatureConfig.from_dict({"keyword_anchor": "start"})
    negative = WindowJob("y", "1" * 64, False, 0.0, 0.0, 0.0, "/nonexistent", frontend, config)
    assert window_starts(negative, 40000) == [0, 8000, 16000, 24000]
    short = window_starts(negative, 4000)
    assert len(short) == 1 and -12000 <= short[0] <= 0
    window = cut(np.arange(1, 11, dtype=np.int16), -3, 8)
    assert window.tolist() == [0, 0, 0, 1, 2, 3, 4, 5]


def test_windows_hear_a_background_bed_not_digital_silence(tmp_path: Path) -> None:
    """Every speech clip's windows sit on a noise clip of its own split (cross-voice borrows
    test's), levelled below its speech; noise clips get none; "zeros" keeps the old padding."""
    rows = [
        {"id": "kw", "label": "alexa", "split": "train", "sha256": "a" * 64},
        {"id": "neg", "label": "_negative", "split": "validation", "sha256": "b" * 64},
        {"id": "held", "label": "alexa", "split": "crossvoice", "sha256": "c" * 64},
        {"id": "n1", "label": "_noise", "split": "train", "sha256": "1" * 64},
        {"id": "n2", "label": "_noise", "split": "validation", "sha256": "2" * 64},
        {"id": "n3", "label": "_noise", "split": "test", "sha256": "3" * 64},
    ]
    config = FeatureConfig()
    beds = context_beds(rows, config, "_noise", seed=0)
    assert set(beds) == {"kw", "neg", "held"}
    assert [beds[k][0][0] for k in ("kw", "neg", "held")] == ["1", "2", "3"]
    assert all(10.0 <= snr <= 40.0 for _, snr in beds.values())
    assert context_beds(rows, config, "_noise", seed=0) == beds  # a pure function of the rows
    assert context_beds(rows, replace(config, context="zeros"), "_noise") == {}
    assert context_beds(rows[:3], config, "_noise") == {}  # no noise clip: nothing to lay under
    with pytest.raises(ConfigError, match="context"):
        FeatureConfig.from_dict({"context": "silence"})
    assert FeatureConfig.from_dict({"context_snr_db": [5, 15]}).context_snr_db == (5.0, 15.0)

    window = np.array([0, 0, 100, -32760, 0], np.int16)
    bed = np.array([1000, -1000, 2000], np.int16)
    mixed = on_bed(window, bed, offset=1, gain=0.5)  # the bed from its sample 1, looped
    assert mixed.tolist() == [-500, 1000, 600, -32768, 1000]  # saturated, never wrapped
    assert on_bed(window, bed, 0, 0.0) is window

    # Through the C frontend: a short keyword clip's window is no longer digital silence before the word.
    word, noise = signals.speech_like(0.5, seed=3), signals.pink_noise(2.0, -40, seed=4)
    word_sha, noise_sha = store_pcm(tmp_path, word, 16000), store_pcm(tmp_path, noise, 16000)
    job = WindowJob("kw", word_sha, True, 0.1, 0.4, 0.0, str(tmp_path), FrontendConfig(), config)
    on_zeros = window_cepstra(job)
    on_noise = window_cepstra(replace(job, bed_sha256=noise_sha, bed_snr_db=20.0))
    # window_audio is what the frontend heard: its cepstra are the (cached) window's.
    heard = window_audio(replace(job, bed_sha256=noise_sha, bed_snr_db=20.0))
    assert len(heard) == 1 and heard[0].dtype == np.int16 and heard[0].size == 16000
    assert np.array_equal(Frontend().process(heard[0]), on_noise[0])
    assert np.array_equal(window_audio(job)[0][:1600], np.zeros(1600, np.int16))  # no bed: zeros before the word
    assert on_zeros.shape == on_noise.shape == (1, 49, 13)
    assert np.all(on_zeros[0, :10] == 0) and np.all(on_noise[0, :10, 0] > 0)  # the lead-in: zeros vs the bed
    gain = bed_gain(word, replace(job, bed_snr_db=20.0), noise)
    speech = word[1600:6400].astype(np.float64)
    level = 20 * np.log10(np.sqrt(np.mean(speech**2)) / np.sqrt(np.mean((noise * gain) ** 2)))
    assert level == pytest.approx(20.0, abs=1e-6)


def test_learn_normalisation_maps_four_sigma_onto_int8() -> None:
    rng = np.random.default_rng(0)
    ceps = [np.rint(rng.normal(10, 2, size=(50, 49, 13)) * 64).astype(np.int16)]
    norm = learn_normalization(ceps)
    assert norm.mean_log2[0] == pytest.approx(10, abs=0.05) and norm.std_log2[0] == pytest.approx(2, abs=0.05)
    assert norm.quant.scale_q16[0] == round(2**10 / (4 * norm.std_log2[0] / 128))


def test_dropped_coefficients_quantise_to_zero_and_keep_their_statistics() -> None:
    rng = np.random.default_rng(1)
    ceps = [np.rint(rng.normal(10, 2, size=(20, 49, 13)) * 64).astype(np.int16)]
    kept = learn_normalization(ceps)
    dropped = learn_normalization(ceps, (0, 5))
    assert dropped.mean_log2 == kept.mean_log2 and dropped.std_log2 == kept.std_log2
    assert dropped.quant.scale_q16[[0, 5]].tolist() == [0, 0] and dropped.quant.offset_q6[[0, 5]].tolist() == [0, 0]
    others = [k for k in range(13) if k not in (0, 5)]
    assert np.array_equal(dropped.quant.scale_q16[others], kept.quant.scale_q16[others])
    frontend = Frontend()
    q_kept, q_dropped = frontend.quantize(ceps[0][0], kept.quant), frontend.quantize(ceps[0][0], dropped.quant)
    assert np.all(q_dropped[:, [0, 5]] == 0) and np.any(q_kept[:, 0] != 0)
    assert np.array_equal(q_dropped[:, others], q_kept[:, others])
    with pytest.raises(ConfigError, match="13 coefficients"):
        learn_normalization(ceps, (13,))


def test_without_c0_the_int8_features_barely_move_with_input_level() -> None:
    """A 20 dB quieter take shifts c0 and leaves c1.. unchanged (up to fixed-point rounding), so
    with c0 dropped the model's input hardly changes."""
    word = signals.take(signals.word_like(0.6, -20, seed=3), 0.2, 0.2, -60, seed=3)
    loud = np.rint(word * 32767).astype(np.int16)
    quiet = np.rint(word * 32767 / 10).astype(np.int16)
    frontend = Frontend()
    ceps_loud, ceps_quiet = frontend.process(loud), frontend.process(quiet)
    norm = learn_normalization([ceps_loud[None]], (0,))
    q_loud, q_quiet = frontend.quantize(ceps_loud, norm.quant), frontend.quantize(ceps_quiet, norm.quant)
    # 20 dB less is log2(100) = 6.64 log2 units less energy in every mel band: c0 (orthonormal DCT
    # row 0, weight 1/sqrt(40)) moves by sqrt(40) * 6.64, the other rows sum to zero.
    shift = (ceps_quiet.astype(np.int32) - ceps_loud) / 64
    assert shift[:, 0].mean() == pytest.approx(-np.sqrt(40) * np.log2(100), abs=0.05)
    assert np.abs(shift[:, 1:]).mean() < 0.01
    with_c0 = learn_normalization([ceps_loud[None]])
    moved_with_c0 = np.abs(frontend.quantize(ceps_quiet, with_c0.quant).astype(int)
                           - frontend.quantize(ceps_loud, with_c0.quant)).mean()  # fmt: skip
    moved_without = np.abs(q_quiet.astype(int) - q_loud).mean()
    assert moved_without < 0.1 * moved_with_c0


def _build_with_and_without(root: Path, features_line: str) -> tuple[Store, str, np.ndarray, np.ndarray]:
    """Build the small corpus with and without one ``[features]`` line: (store, the version with
    it, its int8 windows, the plain version's windows); the two version ids differ."""
    _corpus(root, SPEAKERS[:6])
    store = Store(root / "store")
    plain = build(load_project(_project(root)), store, workers=1, progress=False)
    changed = build(load_project(_project(root, f"[features]\n{features_line}\n")), store, workers=1, progress=False)
    assert changed.version_id != plain.version_id
    features, _ = load_windows(store.resolve(changed.version_id))
    before, _ = load_windows(store.resolve(plain.version_id))
    return store, changed.version_id, features, before


def test_drop_coeffs_config_and_version_id(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="distinct"):
        FeatureConfig.from_dict({"drop_coeffs": [0, 0]})
    with pytest.raises(ConfigError, match="integers"):
        FeatureConfig.from_dict({"drop_coeffs": 0})
    assert FeatureConfig.from_dict({"drop_coeffs": [3, 0]}).drop_coeffs == (0, 3)
    assert "drop_coeffs" not in FeatureConfig().identity_dict()  # older configs keep their version ids
    store, version, features, before = _build_with_and_without(tmp_path, "drop_coeffs = [0]")
    assert np.all(features[:, :, 0] == 0) and np.any(before[:, :, 0] != 0)
    assert np.array_equal(features[:, :, 1:], before[:, :, 1:])
    quant = store.lineage(version)["features"]["normalization"]["quant"]
    assert quant["scale_q16"][0] == 0 and quant["offset_q6"][0] == 0


def test_relative_c0_window_matches_the_rule_and_ignores_level() -> None:
    """quantize_window's relative c0 (the detector's C function) equals the rule written in NumPy
    for any window, including rings read from the middle; a 20 dB quieter take gives (nearly) the
    same int8 window, and the other columns are the frontend's quantisation."""
    from test_detect import relative_c0_reference

    rng = np.random.default_rng(4)
    frontend = Frontend()
    quant = QuantParams.from_affine(rng.normal(0, 20, 13), rng.uniform(0.05, 2.0, 13), zero_point=-3)
    for frames in (1, 2, 49, 50):
        ceps = rng.integers(-32768, 32768, size=(frames, 13)).astype(np.int16)
        window = quantize_window(frontend, ceps, quant, True)
        assert np.array_equal(window, relative_c0_reference(frontend.quantize(ceps, quant), ceps, quant))
        oldest = frames // 3
        ring = np.roll(ceps[:, 0], oldest)  # row 0 of the window sits at ring index ``oldest``
        out = frontend.quantize(ceps, quant)
        lib.kwsc_detect_relative_c0(ffi.from_buffer("int16_t[]", ring), frames, oldest, quant._struct(),
                                    ffi.from_buffer("int8_t[]", out), 13)  # fmt: skip
        assert np.array_equal(out, window)
    word = signals.take(signals.word_like(0.6, -20, seed=5), 0.2, 0.2, -60, seed=5)
    loud = frontend.process(np.rint(word * 32767).astype(np.int16))
    quiet = frontend.process(np.rint(word * 32767 / 10).astype(np.int16))
    norm = learn_normalization([loud[None]], relative_c0=True)
    assert norm.relative_c0 and norm.to_dict()["relative_c0"] is True
    assert abs(norm.mean_log2[0]) < 0.05  # c0 relative to its window averages ~0
    q_loud, q_quiet = norm.quantize(frontend, loud), norm.quantize(frontend, quiet)
    assert np.abs(q_loud.astype(int) - q_quiet).max() <= 1 and np.unique(q_loud[:, 0]).size > 10
    plain = learn_normalization([loud[None]])
    assert "relative_c0" not in plain.to_dict()
    moved = plain.quantize(frontend, loud)[:, 0].astype(int) - plain.quantize(frontend, quiet)[:, 0]
    assert moved.mean() > 50  # with absolute c0 the quiet take sits far lower (mostly saturated at -128)
    assert np.array_equal(relative_c0_cepstra(loud[None])[0, :, 1:], loud[:, 1:])


def test_relative_c0_build(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="true or false"):
        FeatureConfig.from_dict({"relative_c0": 1})
    assert "relative_c0" not in FeatureConfig().identity_dict()
    store, version, features, before = _build_with_and_without(tmp_path, "relative_c0 = true")
    assert np.array_equal(features[:, :, 1:], before[:, :, 1:]) and not np.array_equal(features, before)
    normalization = store.lineage(version)["features"]["normalization"]
    assert normalization["relative_c0"] is True
    # A model trained on it carries the flag to the detector (meta.json's normalisation).
    from kwsc.detector import Detector
    from kwsc.train import ModelConfig, TrainConfig, save, train

    model_config, train_config = ModelConfig(filters=8, blocks=1), TrainConfig(epochs=1, batch_size=16)
    trained = train(store.resolve(version), ["alexa"], model_config, train_config)
    folder = save(store.root, version, trained, model_config, train_config, ["alexa"])
    assert Detector.from_folder(folder).relative_c0


def test_cli_drift_between_splits_and_against_recordings(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kwsc.cli import main

    _corpus(tmp_path, SPEAKERS)
    store = Store(tmp_path / "store")
    version = build(load_project(_project(tmp_path)), store, workers=1, progress=False).version_id
    runner = CliRunner()
    same = runner.invoke(main, ["dataset", "drift", f"{version}:train", f"{version}:train", "--store", str(store.root)])
    assert same.exit_code == 0, same.output
    assert "| c0 |" in same.output
    # Field recordings 20 dB louder than anything in the dataset: c0 drifts, exit code 1.
    field = tmp_path / "field"
    field.mkdir()
    for k in range(6):
        loud = signals.take(signals.word_like(0.6, -2, seed=900 + k), 0.3, 0.3, -40, seed=k)
        soundfile.write(field / f"{k}.wav", loud, 16000, subtype="PCM_16")
    out = tmp_path / "drift.json"
    loud = runner.invoke(main, ["dataset", "drift", version, str(field), "--store", str(store.root), "--json", str(out),
                                "--plot", str(tmp_path / "drift.png")])  # fmt: skip
    assert loud.exit_code == 1, loud.output
    assert out.read_text().startswith("{") and (tmp_path / "drift.png").read_bytes()[:4] == b"\x89PNG"
