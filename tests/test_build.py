"""The dataset compiler end to end on corpora the tests generate (nothing is downloaded)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from kwsc import signals
from kwsc.build import BuildError, build, collect_items
from kwsc.cli import main
from kwsc.config import ConfigError, ProjectConfig, SplitConfig, load_project
from kwsc.sources import SourceItem, canonical_json
from kwsc.store import Store


def _write(path: Path, pcm: np.ndarray, rate: int = 16000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, pcm, rate, subtype="PCM_16")


def _vorbis_copy(pcm: np.ndarray) -> np.ndarray:
    """The same recording after a lossy Vorbis round trip, 3 dB quieter: a near duplicate."""
    buffer = io.BytesIO()
    soundfile.write(buffer, pcm.astype(np.float64) / 32768 * 0.7, 16000, format="OGG", subtype="VORBIS")
    buffer.seek(0)
    return np.clip(np.rint(soundfile.read(buffer)[0] * 32768), -32768, 32767).astype(np.int16)


def _speech_commands(root: Path, speakers: int = 6, per_speaker: int = 2) -> Path:
    """A Speech Commands tree: "alexa" and "other" said by several speakers, background noise."""
    corpus = root / "sc"
    for word_index, word in enumerate(("alexa", "other")):
        for s in range(speakers):
            for n in range(per_speaker):
                seed = 1000 * word_index + 10 * s + n
                take = signals.take(signals.word_like(0.6, -22, seed=seed), 0.2, 0.2, -60, seed=seed)
                _write(corpus / word / f"spk{s:02d}_nohash_{n}.wav", take)
    _write(corpus / "_background_noise_" / "pink.wav", signals.pink_noise(3.0, -35, seed=5))
    (corpus / "validation_list.txt").write_text("")
    (corpus / "testing_list.txt").write_text("")
    return corpus


def _project(root: Path, extra: str = "") -> Path:
    path = root / "project.toml"
    path.write_text(
        '[project]\nname = "test"\n\n[keyword]\nphrases = ["alexa"]\n\n'
        '[sources.sc]\ntype = "corpus"\nlayout = "speech_commands"\npath = "sc"\n\n'
        '[sources.noise]\ntype = "noise"\nsilence = 1\ndither = 1\nwhite = 2\npink = 2\nbrown = 1\n'
        "hum = 1\ntone = 1\nbeep = 1\n" + extra
    )
    return path


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    corpus = _speech_commands(tmp_path)
    original = soundfile.read(corpus / "alexa" / "spk00_nohash_0.wav", dtype="int16")[0]
    _write(corpus / "alexa" / "spk07_nohash_0.wav", _vorbis_copy(original))  # planted near duplicate
    _write(corpus / "alexa" / "spk08_nohash_0.wav", original)  # planted exact duplicate
    (corpus / "other" / "spk09_nohash_0.wav").write_text("not audio")  # unreadable
    return _project(tmp_path)


def test_build_is_idempotent_and_counts_add_up(project: Path, tmp_path: Path) -> None:
    config = load_project(project)
    store = Store(tmp_path / "store")
    first = build(config, store, workers=2, progress=False)
    assert not first.reused and first.cache_hits <= 1  # the exact copy may hit its twin's entry
    c = first.counts
    assert c["inputs"] == c["accepted"] + c["rejected"] + c["duplicate"] > 0
    rows = store.manifest(first.version_id)
    assert {"status", "reason", "split", "group", "label", "source", "sha256"} <= set(rows[0])
    assert {r["status"] for r in rows} == {"accepted", "rejected", "duplicate"}
    # Same inputs and config: same id, nothing recomputed.
    again = build(load_project(project), store, workers=1, progress=False)
    assert again.version_id == first.version_id and again.reused
    # A new store with the same cache content: the same id again, and identical manifest bytes.
    other = Store(tmp_path / "store2")
    third = build(config, other, workers=1, progress=False)
    assert third.version_id == first.version_id
    assert (other.resolve(third.version_id) / "manifest.parquet").read_bytes() == (
        store.resolve(first.version_id) / "manifest.parquet"
    ).read_bytes()
    # Changing the config changes the id and reuses every cached ingest result.
    changed = _project(tmp_path, '\n[split]\nsalt = "other"\n')
    fourth = build(load_project(changed), store, workers=1, progress=False)
    assert fourth.version_id != first.version_id and fourth.cache_hits == c["inputs"]
    report = (store.resolve(first.version_id) / "report.md").read_text()
    assert "inputs = accepted + rejected + duplicates, per source and in total: yes" in report
    assert "inputs = accepted + rejected + duplicates in every split: yes" in report
    assert "Result: PASS" in report


def test_other_frontend_numerics_give_another_version_and_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change to the C frontend's outputs (its numerics fingerprint) must not reuse the old
    features, ingest results (the validator uses the frontend) or id; nor a change to the
    validator's."""
    from kwsc import numerics

    config = load_project(project)
    store = Store(tmp_path / "store")
    first = build(config, store, workers=1, progress=False)
    assert store.lineage(first.version_id)["frontend"]["numerics"] == numerics.numerics_fingerprint()
    folders = set(os.listdir(store.root / "cache" / "features"))
    assert folders == {config.frontend.content_hash()[:16]}  # the baseline numerics keep the old folder
    monkeypatch.setattr(numerics, "numerics_fingerprint", lambda: "f" * 64)
    second = build(config, store, workers=1, progress=False)
    assert second.version_id != first.version_id and not second.reused
    assert second.cache_hits == 0  # ingest results hold the validator's verdicts, and it runs the frontend
    assert set(os.listdir(store.root / "cache" / "features")) - folders == {folders.pop() + "-" + "f" * 16}
    assert store.lineage(second.version_id)["frontend"]["numerics"] == "f" * 64
    # Other validator numerics: another id, and no ingest result (the validator's verdicts) reused.
    monkeypatch.undo()
    monkeypatch.setattr(numerics, "validator_fingerprint", lambda: "e" * 64)
    third = build(config, store, workers=1, progress=False)
    assert third.version_id not in (first.version_id, second.version_id) and third.cache_hits == 0
    assert store.lineage(third.version_id)["validator_numerics"] == "e" * 64


def test_other_dedup_or_windowing_code_gives_another_version(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code versions of the stages that decide the dataset's content are in the id and lineage:
    raising one gives another version of the same inputs (whose ingest results are reused)."""
    from kwsc import dedup, features

    config = load_project(project)
    store = Store(tmp_path / "store")
    first = build(config, store, workers=1, progress=False)
    lineage = store.lineage(first.version_id)
    assert (lineage["dedup_version"], lineage["features_version"]) == (dedup.DEDUP_VERSION, features.FEATURES_VERSION)
    ids = {first.version_id}
    for module, name in ((dedup, "DEDUP_VERSION"), (features, "FEATURES_VERSION")):
        monkeypatch.setattr(module, name, getattr(module, name) + 1)
        again = build(config, store, workers=1, progress=False)
        assert again.version_id not in ids and again.cache_hits == again.counts["inputs"]
        ids.add(again.version_id)


def test_dedup_catches_the_planted_copies(project: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    result = build(load_project(project), store, workers=1, progress=False)
    rows = {r["id"]: r for r in store.manifest(result.version_id)}
    near = rows["sc/alexa/spk07_nohash_0.wav"]
    exact = rows["sc/alexa/spk08_nohash_0.wav"]
    assert (near["status"], near["reason"], near["dup_of"]) == (
        "duplicate",
        "duplicate:near",
        "sc/alexa/spk00_nohash_0.wav",
    )
    assert (exact["status"], exact["reason"], exact["dup_of"]) == (
        "duplicate",
        "duplicate:exact",
        "sc/alexa/spk00_nohash_0.wav",
    )
    assert rows["sc/alexa/spk00_nohash_0.wav"]["status"] == "accepted"
    # Takes of other words by other speakers are not duplicates of each other.
    assert sum(r["status"] == "duplicate" for r in rows.values()) == 2


def test_every_reject_reason_reaches_the_manifest(tmp_path: Path) -> None:
    takes = tmp_path / "takes"
    expected = {}
    for name, (pcm, reasons) in signals.recording_defects(1).items():
        file = takes / f"{name.replace(' ', '_')}.wav"
        _write(file, pcm)
        expected[f"user/default/{file.name}"] = reasons
    (takes / "unreadable.wav").write_text("not audio")
    soundfile.write(takes / "empty.wav", np.zeros(0, np.int16), 16000, subtype="PCM_16")
    soundfile.write(takes / "stereo.wav", np.zeros((800, 2), np.int16), 16000, subtype="PCM_16")
    expected.update({"user/default/unreadable.wav": ("unreadable",), "user/default/empty.wav": ("empty",),
                     "user/default/stereo.wav": ("multichannel",)})  # fmt: skip
    config_path = tmp_path / "enroll.toml"
    config_path.write_text(
        '[keyword]\nphrases = ["alexa"]\n\n[sources.user]\ntype = "enroll"\npath = "takes"\nlabel = "alexa"\n'
        "\n[dedup]\nnear = false\n"
    )
    store = Store(tmp_path / "store")
    result = build(load_project(config_path), store, workers=2, progress=False)
    rows = {r["id"]: r for r in store.manifest(result.version_id)}
    got = {k: tuple(r["reason"].split(";")) if r["reason"] else () for k, r in rows.items()}
    mismatched = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
    assert not mismatched
    assert rows["user/default/unreadable.wav"]["error"]


def test_leakage_audit_catches_a_speaker_in_two_splits(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    lines = ["path,label,speaker,split"]
    for n, split in enumerate(["train", "train", "test"]):  # one speaker, two splits
        file = clips / f"a{n}.wav"
        _write(file, signals.take(signals.word_like(0.6, -22, seed=n), 0.2, 0.2, -60, seed=n))
        lines.append(f"{file},alexa,mallory,{split}")
    (tmp_path / "manifest.csv").write_text("\n".join(lines) + "\n")
    config_path = tmp_path / "leak.toml"
    config_path.write_text(
        '[keyword]\nphrases = ["alexa"]\n\n[sources.m]\ntype = "corpus"\nlayout = "manifest"\n'
        'path = "manifest.csv"\nofficial_split = true\n'
    )
    with pytest.raises(BuildError, match="group 'm:mallory' in test, train"):
        build(load_project(config_path), Store(tmp_path / "store"), workers=1, progress=False)
    assert not Store(tmp_path / "store").versions()  # a failed audit leaves no version behind


def test_leakage_audit_catches_near_copies_across_splits(tmp_path: Path) -> None:
    """With near dedup off, a re-encoded copy under another speaker lands in another split: the
    audit's own near-duplicate check must fail the build."""
    corpus = _speech_commands(tmp_path, speakers=8, per_speaker=1)
    original = soundfile.read(corpus / "alexa" / "spk00_nohash_0.wav", dtype="int16")[0]
    config = ProjectConfig.from_dict({"keyword": {"phrases": ["alexa"]}}, str(tmp_path))
    from kwsc.split import split_of

    speaker = next(
        f"zz{k}" for k in range(100) if split_of(f"sc:zz{k}", config.split) != split_of("sc:spk00", config.split)
    )
    _write(corpus / "alexa" / f"{speaker}_nohash_0.wav", _vorbis_copy(original))
    project = _project(tmp_path, "\n[dedup]\nnear = false\n")
    with pytest.raises(BuildError, match="near: correlation"):
        build(load_project(project), Store(tmp_path / "store"), workers=1, progress=False)


def test_resume_after_a_killed_build(tmp_path: Path) -> None:
    """Kill `kwsc build` once some items are cached; the rerun reuses them and gives the same
    dataset as an uninterrupted build."""
    corpus = _speech_commands(tmp_path, speakers=20, per_speaker=3)
    assert corpus.exists()
    project = _project(tmp_path)
    store = tmp_path / "store"
    env = {**os.environ, "KWSC_STORE": str(store)}
    process = subprocess.Popen([sys.executable, "-m", "kwsc", "build", str(project), "--workers", "1", "-q"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    cache = store / "cache" / "ingest"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if cache.exists() and sum(1 for _ in cache.rglob("*.json")) >= 10:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    cached = sum(1 for _ in cache.rglob("*.json"))
    assert cached >= 10 and not Store(store).versions()
    resumed = build(load_project(project), Store(store), workers=1, progress=False)
    assert resumed.cache_hits >= cached
    clean = build(load_project(project), Store(tmp_path / "clean"), workers=2, progress=False)
    assert clean.version_id == resumed.version_id
    assert Store(store).manifest(resumed.version_id) == Store(tmp_path / "clean").manifest(clean.version_id)


def test_cli_build_and_dataset_commands(project: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "store")
    result = runner.invoke(main, ["build", str(project), "--store", store, "-q"])
    assert result.exit_code == 0, result.output
    version = result.output.strip().splitlines()[-1]
    assert len(version) == 24
    listing = runner.invoke(main, ["dataset", "list", "--store", store])
    assert version in listing.output and "duplicates" in listing.output
    shown = runner.invoke(main, ["dataset", "show", version[:8], "--store", store])
    assert shown.exit_code == 0 and "## Leakage audit" in shown.output
    changed = _project(tmp_path, '\n[split]\nsalt = "other"\n')
    second = runner.invoke(main, ["build", str(changed), "--store", store, "-q"]).output.strip().splitlines()[-1]
    diff = runner.invoke(main, ["dataset", "diff", version, second, "--store", store])
    assert diff.exit_code == 0
    assert "config: 1 keys changed" in diff.output and "split.salt" in diff.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[keyword]\nphrases = ["alexa"]\n[sources.x]\ntype = "corpus"\nlayout = "folders"\nbogus = 1\n')
    assert runner.invoke(main, ["build", str(bad), "--store", store]).exit_code == 2


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown field"):
        ProjectConfig.from_dict({"keyword": {"phrases": ["alexa"]}, "sources": {}, "oops": {}})
    with pytest.raises(ConfigError, match="at least one phrase"):
        ProjectConfig.from_dict({"keyword": {}})
    with pytest.raises(ConfigError, match="sum to 1"):
        ProjectConfig.from_dict({"keyword": {"phrases": ["a"]}, "split": {"fractions": {"train": 0.5}}})


def test_tiny_example_from_tts(tmp_path: Path) -> None:
    """examples/tiny.toml end to end: real espeak-ng and flite voices, cmudict negatives, noise."""
    config = load_project(Path(__file__).resolve().parents[1] / "examples" / "tiny.toml")
    store = Store(tmp_path / "store")
    result = build(config, store, workers=2, progress=False)
    rows = store.manifest(result.version_id)
    accepted = [r for r in rows if r["status"] == "accepted"]
    assert {r["label"] for r in accepted} == {"alexa", "_negative", "_noise"}
    assert {r["kind"] for r in rows} == {"tts", "noise"}
    by_group: dict[str, set[str]] = {}
    for row in accepted:
        by_group.setdefault(row["group"], set()).add(row["split"])
    assert all(len(splits) == 1 for splits in by_group.values())
    assert {r["split"] for r in accepted} == {"train", "validation", "test"}
    engines = {__import__("json").loads(r["meta"]).get("engine") for r in rows if r["kind"] == "tts"}
    assert engines == {"espeak-ng", "flite"}
    variants = [r for r in rows if r["status"] == "augmented"]
    assert len(variants) == sum(r["kind"] == "tts" for r in accepted) == result.counts["augmented"]
    assert all(by_group[v["group"]] == {v["split"]} for v in variants)
    # Babble talkers come from the TTS negatives of the clip's own split, and the audit says so.
    # Here the test split holds no voice (8 voices: 6 train, 2 validation): its babble clips have
    # no talkers and are rejected with that reason.
    tts_split = {canonical_json(i.recipe): by_group[i.group] for i in collect_items(config) if i.kind == "tts"}
    babble = [i for i in collect_items(config) if i.recipe.get("loader") == "babble"]
    row_of = {r["id"]: r for r in rows}
    assert len(babble) == 6 and {i.recipe["talker_split"] for i in babble} == {"train", "test"}
    for item in babble:
        row = row_of[item.id]
        assert item.recipe["talker_split"] == row["split"]
        if row["split"] == "test":
            assert row["status"] == "rejected" and "no talkers in its split (test)" in row["error"]
        else:
            assert row["status"] == "accepted" and item.recipe["parts"]
            assert all(tts_split[canonical_json(part)] == {row["split"]} for part in item.recipe["parts"])
    assert "no babble talker from another split: yes" in (result.path / "report.md").read_text()
    lineage = store.lineage(result.version_id)
    assert "espeak-ng" in lineage["tools"] and lineage["counts"] == result.counts
    assert lineage["frontend"]["hash"] == config.frontend.content_hash()
    assert build(config, store, workers=1, progress=False).reused


def test_leakage_audit_catches_a_babble_talker_of_another_split() -> None:
    """A babble clip mixing a talker whose recipe is another split's TTS input is a leak."""
    from kwsc.build import _babble_leaks

    def item(id_: str, kind: str, recipe: dict) -> SourceItem:
        return SourceItem(id=id_, source="s", kind=kind, label="_negative", group=id_, origin=kind, recipe=recipe)

    voice_a, voice_b = {"loader": "tts", "voice": "a"}, {"loader": "tts", "voice": "b"}
    items = [
        item("a", "tts", voice_a),
        item("b", "tts", voice_b),
        item("n0", "noise", {"loader": "babble", "parts": [voice_a]}),
        item("n1", "noise", {"loader": "babble", "parts": [voice_a, voice_b]}),
    ]
    splits = {"a": "train", "b": "test", "n0": "train", "n1": "train"}
    rows = [{"id": i.id, "split": splits[i.id], "status": "accepted"} for i in items]
    leaks = _babble_leaks(items, rows)
    assert [(f.kind, f.ids) for f in leaks] == [("babble", ("n1",))]
    assert "n1 (train) mixes talkers of test" in leaks[0].detail
    rows[3]["status"] = "rejected"  # a rejected clip is in no split's audio
    assert _babble_leaks(items, rows) == []


def test_holdout_groups_form_the_crossvoice_split(tmp_path: Path) -> None:
    """Held-out groups (shell patterns) land in "crossvoice", whatever their hash says; the other
    groups keep the split their hash gives, so holding voices out moves nobody else."""
    from kwsc.split import HOLDOUT_SPLIT, split_of

    plain = SplitConfig()
    held = SplitConfig.from_dict({"holdout": ["festival:*", "espeak-ng:en-gb-scotland*"]})
    groups = [f"espeak-ng:en-us+v{k}" for k in range(50)] + ["espeak-ng:en-gb-scotland+m1", "festival:kal_diphone"]
    for group in groups:
        expected = (
            HOLDOUT_SPLIT if group.startswith(("festival:", "espeak-ng:en-gb-scotland")) else split_of(group, plain)
        )
        assert split_of(group, held) == expected
    assert {split_of(g, held) for g in groups[:50]} == {"train", "validation", "test"}
    with pytest.raises(ConfigError, match="holdout"):
        SplitConfig.from_dict({"holdout": "festival:*"})
    with pytest.raises(ConfigError, match="crossvoice"):
        SplitConfig.from_dict({"fractions": {"train": 0.9, "crossvoice": 0.1}})


def test_a_source_restricted_to_evaluation_splits_leaves_training_alone() -> None:
    """``splits = ["validation", "test"]`` adds evaluation audio only: the section keeps the inputs
    whose voice group falls in those splits, every other input (and babble) stays the same."""
    from kwsc.build import collect_items, item_split

    tiny = load_project(Path(__file__).resolve().parents[1] / "examples" / "tiny.toml")
    extra = {"type": "tts", "texts": "negatives", "engines": ["espeak-ng"], "max_voices": 30, "splits": []}
    raw = {**tiny.raw, "sources": {**tiny.raw["sources"], "eval_speech": extra}}
    with pytest.raises(BuildError, match="splits"):
        collect_items(ProjectConfig.from_dict(raw, tiny.project_dir))
    raw["sources"]["eval_speech"] = {**extra, "splits": ["validation", "test"]}
    config = ProjectConfig.from_dict(raw, tiny.project_dir)
    before, after = collect_items(tiny), collect_items(config)
    added = [i for i in after if i.source == "eval_speech"]
    assert {item_split(i, config) for i in added} == {"validation", "test"}
    assert len({i.group for i in added}) >= 4 and all(i.label == "_negative" for i in added)
    assert [i for i in after if i.source != "eval_speech"] == before  # babble talkers included
    raw["sources"]["eval_speech"] = {**extra, "splits": ["validation", "nowhere"]}
    with pytest.raises(BuildError, match="split names"):
        collect_items(ProjectConfig.from_dict(raw, tiny.project_dir))


def test_dedup_keeps_the_lowest_ranked_copy() -> None:
    """Ranked copies (the build ranks split-restricted sections last) yield to unranked ones,
    whatever their ids; without ranks the smallest id is kept."""
    from kwsc.config import DedupConfig
    from kwsc.dedup import exact_duplicates, near_duplicates

    ids, hashes = ["a/1", "b/1", "c/1"], ["h", "h", "other"]
    assert [(d.id, d.of) for d in exact_duplicates(ids, hashes)] == [("b/1", "a/1")]
    assert [(d.id, d.of) for d in exact_duplicates(ids, hashes, [1, 0, 0])] == [("a/1", "b/1")]
    word = signals.word_like(0.5, -20, seed=3)
    waves = [word, (word.astype(np.int32) // 2).astype(np.int16), signals.word_like(0.5, -20, seed=4)]
    prints, speech_ms = np.zeros((3, 24)), np.full(3, 500.0)
    plain = near_duplicates(ids, waves.__getitem__, prints, speech_ms, DedupConfig(), False)
    assert [(d.id, d.of, d.kind) for d in plain] == [("b/1", "a/1", "near")]
    ranked = near_duplicates(ids, waves.__getitem__, prints, speech_ms, DedupConfig(), False, [1, 0, 1])
    assert [(d.id, d.of) for d in ranked] == [("a/1", "b/1")]
