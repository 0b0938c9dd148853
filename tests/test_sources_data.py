"""Data sources: real-corpus layouts, enrollment folders, negative texts and generated noise.

Every corpus is a tiny tree of generated WAV files in tmp_path (kwsc.signals; nothing downloaded).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from kwsc import signals
from kwsc.sources import (
    NEGATIVE,
    NOISE,
    Audio,
    SourceContext,
    SourceItem,
    corpora,
    enroll,
    load_item,
    negatives,
    noise,
    register_loader,
)
from kwsc.sources.files import file_sha256

RATE = signals.SAMPLE_RATE_HZ


def write_wav(path: Path, duration_s: float = 0.3, seed: int = 0) -> Path:
    """A short speech-like 16 kHz int16 WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, signals.word_like(duration_s, seed=seed), RATE, subtype="PCM_16")
    return path


def context(tmp_path: Path, phrases: tuple[str, ...] = ("alexa",), labels: tuple[str, ...] | None = None):
    return SourceContext(phrases, labels or phrases, str(tmp_path), seed=7)


def by_id(items: list[SourceItem]) -> dict[str, SourceItem]:
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids)), "ids must be unique"
    return {item.id: item for item in items}


def rms_dbfs(audio: Audio) -> float:
    return 20 * np.log10(np.sqrt(np.mean(audio.samples**2)))


# --------------------------------------------------------------------------- Speech Commands


@pytest.fixture()
def speech_commands(tmp_path: Path) -> Path:
    root = tmp_path / "sc"
    write_wav(root / "yes" / "aaa111_nohash_0.wav", seed=1)
    write_wav(root / "yes" / "bbb222_nohash_0.wav", seed=2)
    write_wav(root / "no" / "aaa111_nohash_1.wav", seed=3)
    write_wav(root / "cat" / "ccc333_nohash_0.wav", seed=4)
    (root / "yes" / "ddd444_nohash_0.wav").write_bytes(b"not a wav file")
    noise_dir = root / "_background_noise_"
    noise_dir.mkdir()
    soundfile.write(noise_dir / "white_noise.wav", signals.white_noise(3.5, -30, seed=5), RATE, subtype="PCM_16")
    (noise_dir / "README.md").write_text("noise files\n")
    (root / "validation_list.txt").write_text("no/aaa111_nohash_1.wav\n")
    (root / "testing_list.txt").write_text("cat/ccc333_nohash_0.wav\n")
    return root


def test_speech_commands_labels_groups_and_official_split(tmp_path: Path, speech_commands: Path) -> None:
    ctx = context(tmp_path, ("yes", "no"))
    section = {"layout": "speech_commands", "path": "sc", "name": "sc", "official_split": True}
    items = by_id(corpora.items(section, ctx))
    assert set(items) == {
        "sc/yes/aaa111_nohash_0.wav",
        "sc/yes/bbb222_nohash_0.wav",
        "sc/yes/ddd444_nohash_0.wav",
        "sc/no/aaa111_nohash_1.wav",
        "sc/cat/ccc333_nohash_0.wav",
        "sc/_background_noise_/white_noise.wav@0",
        "sc/_background_noise_/white_noise.wav@1",
        "sc/_background_noise_/white_noise.wav@2",
    }
    yes = items["sc/yes/aaa111_nohash_0.wav"]
    assert (yes.kind, yes.label, yes.group, yes.text) == ("real", "yes", "sc:aaa111", "yes")
    assert yes.recipe == {"loader": "file", "path": str(speech_commands / "yes" / "aaa111_nohash_0.wav")}
    assert yes.input_sha256 == file_sha256(speech_commands / "yes" / "aaa111_nohash_0.wav")
    assert yes.meta["corpus_split"] == yes.meta["split"] == "train"
    assert items["sc/no/aaa111_nohash_1.wav"].group == "sc:aaa111"  # same speaker, other word
    assert items["sc/no/aaa111_nohash_1.wav"].meta["split"] == "validation"
    cat = items["sc/cat/ccc333_nohash_0.wav"]
    assert (cat.label, cat.meta["corpus_label"], cat.meta["split"]) == (NEGATIVE, "cat", "test")

    clips = [items[f"sc/_background_noise_/white_noise.wav@{k}"] for k in range(3)]
    assert {c.label for c in clips} == {NOISE}
    assert {c.group for c in clips} == {"sc:_background_noise_:white_noise"}
    assert [(c.recipe["start_s"], c.recipe["end_s"]) for c in clips] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
    assert len({c.input_sha256 for c in clips}) == 3  # segments never share a content key
    assert {c.meta["file_sha256"] for c in clips} == {
        file_sha256(speech_commands / "_background_noise_/white_noise.wav")
    }

    audio = load_item(yes)
    assert audio.sample_rate_hz == RATE and audio.samples.shape == (round(0.3 * RATE), 1)
    assert load_item(clips[1]).samples.shape == (RATE, 1)

    broken = items["sc/yes/ddd444_nohash_0.wav"]  # unreadable audio is still an item
    assert broken.input_sha256 == file_sha256(speech_commands / "yes" / "ddd444_nohash_0.wav")
    with pytest.raises(ValueError, match="unreadable"):
        load_item(broken)


def test_speech_commands_split_only_when_asked(tmp_path: Path, speech_commands: Path) -> None:
    ctx = context(tmp_path, ("yes",))
    items = by_id(corpora.items({"layout": "speech_commands", "path": str(speech_commands), "noise_clip_s": 0}, ctx))
    item = items["speech_commands/no/aaa111_nohash_1.wav"]
    assert item.label == NEGATIVE and item.group == "speech_commands:aaa111"
    assert item.meta["corpus_split"] == "validation" and "split" not in item.meta
    whole = items["speech_commands/_background_noise_/white_noise.wav"]
    assert whole.meta["long_noise"] is True and "start_s" not in whole.recipe

    (speech_commands / "testing_list.txt").unlink()
    with pytest.raises(ValueError, match=r"testing_list\.txt"):
        corpora.items({"layout": "speech_commands", "path": "sc", "official_split": True}, ctx)


# --------------------------------------------------------------------------- MSWC


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_mswc_split_csvs(tmp_path: Path) -> None:
    root = tmp_path / "mswc" / "en"
    header = ["LINK", "WORD", "VALID", "SPEAKER", "GENDER"]
    rows = {
        "train": [
            ["alexa/cv_1.opus", "alexa", "True", "spk1", "FEMALE"],
            ["house/cv_2.opus", "house", "True", "spk2", "MALE"],
        ],
        "dev": [["alexa/cv_3.opus", "alexa", "False", "spk3", "NAN"]],
        "test": [["house/cv_4.opus", "house", "True", "", "MALE"]],
    }
    for split, lines in rows.items():
        write_csv(root / f"en_{split}.csv", header, lines)
        for k, line in enumerate(lines):
            write_wav((root / "clips" / line[0]).with_suffix(".wav"), seed=k)  # opus converted to wav
    items = by_id(
        corpora.items({"layout": "mswc", "path": str(root), "name": "mswc", "official_split": True}, context(tmp_path))
    )
    assert len(items) == 4
    one = items["mswc/alexa/cv_1.opus"]
    assert (one.label, one.group, one.kind, one.text) == ("alexa", "mswc:spk1", "real", "alexa")
    assert one.recipe["path"] == str(root / "clips" / "alexa" / "cv_1.wav")
    assert one.meta["split"] == "train" and one.meta["gender"] == "FEMALE" and one.meta["corpus_valid"] is True
    assert one.input_sha256 == file_sha256(root / "clips" / "alexa" / "cv_1.wav")
    three = items["mswc/alexa/cv_3.opus"]
    assert three.meta["split"] == "validation" and three.meta["corpus_valid"] is False
    four = items["mswc/house/cv_4.opus"]
    assert (four.label, four.group, four.meta["split"]) == (NEGATIVE, "mswc:unknown:house/cv_4.opus", "test")
    assert load_item(four).samples.shape[0] == round(0.3 * RATE)


def test_mswc_single_csv_with_set_column(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write_csv(
        root / "en_splits.csv",
        ["SET", "LINK", "WORD", "VALID", "SPEAKER", "GENDER"],
        [["TRAIN", "a/1.wav", "alexa", "True", "s1", "MALE"], ["TEST", "b/2.wav", "bee", "True", "s2", "FEMALE"]],
    )
    write_wav(root / "clips" / "a" / "1.wav")
    items = by_id(corpora.items({"layout": "mswc", "path": "corpus/en_splits.csv"}, context(tmp_path)))
    assert items["mswc/a/1.wav"].meta["corpus_split"] == "train" and "split" not in items["mswc/a/1.wav"].meta
    missing = items["mswc/b/2.wav"]  # listed but absent: still an item, rejected at load time
    assert missing.input_sha256 is None and "input_error" in missing.meta
    with pytest.raises(ValueError, match="unreadable"):
        load_item(missing)


# --------------------------------------------------------------------------- folders and manifests


def test_folder_per_label(tmp_path: Path) -> None:
    root = tmp_path / "folders"
    write_wav(root / "alexa" / "ann" / "take1.wav", seed=1)
    write_wav(root / "alexa" / "ann" / "take2.wav", seed=2)
    write_wav(root / "alexa" / "loose.wav", seed=3)
    write_wav(root / "chatter" / "x_spk9_1.wav", seed=4)
    write_wav(root / "_noise" / "fan.wav", seed=5)
    section = {"layout": "folders", "path": "folders", "name": "mine", "speaker_regex": r"_(?P<speaker>spk\d+)_"}
    items = by_id(corpora.items(section, context(tmp_path)))
    assert {i: (v.label, v.group) for i, v in items.items()} == {
        "mine/alexa/ann/take1.wav": ("alexa", "mine:ann"),
        "mine/alexa/ann/take2.wav": ("alexa", "mine:ann"),
        "mine/alexa/loose.wav": ("alexa", "mine:unknown:alexa/loose.wav"),
        "mine/chatter/x_spk9_1.wav": (NEGATIVE, "mine:spk9"),
        "mine/_noise/fan.wav": (NOISE, "mine:unknown:_noise/fan.wav"),
    }
    assert all(v.input_sha256 == file_sha256(v.recipe["path"]) for v in items.values())
    write_wav(root / "stray.wav")
    with pytest.raises(ValueError, match="no label folder"):
        corpora.items(section, context(tmp_path))


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_manifest(tmp_path: Path, kind: str) -> None:
    audio = write_wav(tmp_path / "data" / "rec" / "long.wav", duration_s=2.0)
    write_wav(tmp_path / "data" / "rec" / "short.wav", seed=9)
    rows = [
        {"path": "rec/long.wav", "label": "alexa", "speaker": "bob", "start": 0.5, "end": 1.25, "split": "test"},
        {"path": "rec/long.wav", "label": "_negative", "speaker": "bob", "start": 1.25, "end": 2.0, "room": "kitchen"},
        {"path": "rec/short.wav", "label": "hello", "speaker": "", "text": "hello"},
        {"path": "rec/gone.wav", "label": "alexa", "speaker": "eve"},
    ]
    manifest = tmp_path / "data" / f"manifest.{kind}"
    if kind == "jsonl":
        manifest.write_text("".join(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n" for r in rows))
    else:
        fields = ["path", "label", "speaker", "start", "end", "split", "room", "text"]
        write_csv(manifest, fields, [[str(r.get(f, "")) for f in fields] for r in rows])
    items = corpora.items(
        {"layout": "manifest", "path": f"data/manifest.{kind}", "official_split": True}, context(tmp_path)
    )
    first, second, short, gone = items
    assert (first.label, first.group, first.meta["split"]) == ("alexa", "manifest:bob", "test")
    assert (first.recipe["start_s"], first.recipe["end_s"]) == (0.5, 1.25)
    assert first.meta["file_sha256"] == file_sha256(audio) != first.input_sha256
    assert first.input_sha256 != second.input_sha256
    assert load_item(first).samples.shape == (round(0.75 * RATE), 1)
    assert second.label == NEGATIVE and second.meta["extra"] == {"room": "kitchen"} and "split" not in second.meta
    assert (short.label, short.group, short.text) == (NEGATIVE, "manifest:unknown:rec/short.wav", "hello")
    assert short.input_sha256 == file_sha256(tmp_path / "data" / "rec" / "short.wav")
    assert gone.input_sha256 is None and gone.meta["input_error"]


def test_corpus_section_errors(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="layout"):
        corpora.items({"layout": "kaldi", "path": "empty"}, ctx)
    with pytest.raises(ValueError, match="unknown key"):
        corpora.items({"layout": "folders", "path": "empty", "noise_clip_s": 1}, ctx)
    with pytest.raises(ValueError, match="does not exist"):
        corpora.items({"layout": "folders", "path": "nowhere"}, ctx)
    with pytest.raises(ValueError, match="'path' is required"):
        corpora.items({"layout": "folders"}, ctx)
    with pytest.raises(ValueError, match="no audio"):
        corpora.items({"layout": "folders", "path": "empty"}, ctx)
    with pytest.raises(ValueError, match="not a project label"):
        corpora.items({"layout": "folders", "path": "empty", "label_map": {"x": "bogus"}}, ctx)


# --------------------------------------------------------------------------- enrollment


def test_enroll_folder_and_files(tmp_path: Path) -> None:
    takes = [write_wav(tmp_path / "takes" / f"take{k}.wav", seed=k) for k in range(3)]
    ctx = context(tmp_path, ("hey computer",), ("hey_computer",))
    items = enroll.items({"path": "takes", "label": "hey_computer", "user": "ann"}, ctx)
    assert [i.id for i in items] == [f"enroll/ann/take{k}.wav" for k in range(3)]
    assert {(i.kind, i.label, i.group, i.text) for i in items} == {
        ("enroll", "hey_computer", "user:ann", "hey computer")
    }
    assert [i.input_sha256 for i in items] == [file_sha256(t) for t in takes]
    assert [i.meta["take"] for i in items] == [0, 1, 2]
    assert load_item(items[0]).samples.shape == (round(0.3 * RATE), 1)
    listed = enroll.items({"files": [str(takes[1])], "label": NEGATIVE, "name": "me"}, ctx)
    assert [(i.id, i.group, i.label) for i in listed] == [("me/default/take1.wav", "user:default", NEGATIVE)]
    with pytest.raises(ValueError, match="label"):
        enroll.items({"path": "takes", "label": "alexa"}, ctx)
    with pytest.raises(ValueError, match="unknown key"):
        enroll.items({"path": "takes", "label": "hey_computer", "speaker": "x"}, ctx)


# --------------------------------------------------------------------------- negatives


def sounds(text: str) -> set[tuple[str, ...]]:
    """Every pronunciation of a text as one phoneme sequence."""
    return {
        tuple(p for pron in combination for p in pron)
        for combination in negatives.phrase_pronunciations(text, limit=64)
    }


def test_confusables_for_alexa() -> None:
    texts = negatives.confusable_texts("alexa", 100, seed=3)
    assert len(texts) == 100 == len(set(texts))
    assert texts == negatives.confusable_texts("alexa", 100, seed=3)
    assert texts != negatives.confusable_texts("alexa", 100, seed=4)
    assert len({"election", "selection", "collection", "lexus", "alexis", "electra"} & set(texts)) >= 3
    target = sounds("alexa")
    for text in texts:
        assert "alexa" not in text.split()
        assert not sounds(text) & target, f"{text!r} is a homophone of alexa"


def test_confusables_for_a_two_word_phrase() -> None:
    texts = negatives.confusable_texts("hey computer", 60, seed=0, exclude=["computer"])
    assert "hey computers" in texts and "hey" in texts
    assert "computer" not in texts and "hay computer" not in texts  # excluded phrase, homophone
    target = sounds("hey computer")
    for text in texts:
        words = text.split()
        assert not sounds(text) & target
        assert ["hey", "computer"] not in [words[i : i + 2] for i in range(len(words))]
        assert "computer" not in words
    assert negatives.phoneme_distance(("AH", "L", "EH", "K", "S", "AH"), ("IH", "L", "EH", "K", "SH", "AH", "N")) == 2.0
    with pytest.raises(ValueError, match="pronunciations"):
        negatives.confusable_texts("zorblax", 5)
    assert negatives.confusable_texts("zorblax", 5, pronunciations={"zorblax": "Z AO R B L AE K S"})


def test_general_sentences() -> None:
    sentences = negatives.general_sentences(200, seed=1, words_per_sentence=(3, 6), exclude=["the", "alexa"])
    assert len(sentences) == 200 and sentences == negatives.general_sentences(200, 1, (3, 6), ["the", "alexa"])
    for sentence in sentences:
        words = sentence.split()
        assert 3 <= len(words) <= 6
        assert not {"the", "thee", "alexa"} & set(words)


def test_negative_items_section(tmp_path: Path) -> None:
    ctx = context(tmp_path, ("alexa", "stop"))
    pairs = negatives.items({"confusables": 10, "sentences": 5, "texts": ["turn it off"]}, ctx)
    assert {label for _, label in pairs} == {NEGATIVE}
    texts = [t for t, _ in pairs]
    assert len(texts) == 26 and texts[-1] == "turn it off"
    assert not {"alexa", "stop"} & set(texts)
    with pytest.raises(ValueError, match="unknown key"):
        negatives.items({"hours": 3}, ctx)
    with pytest.raises(ValueError, match="keyword"):
        negatives.items({"confusables": 0, "sentences": 0, "texts": ["hey alexa"]}, ctx)


# --------------------------------------------------------------------------- noise


def test_noise_items_are_deterministic_with_configured_durations_and_levels(tmp_path: Path) -> None:
    section = {
        "silence": 1,
        "dither": 1,
        "white": 2,
        "pink": 2,
        "brown": 2,
        "hum": 2,
        "tone": 1,
        "beep": 2,
        "duration_s": [0.5, 0.8],
        "level_dbfs": [-40, -30],
    }
    ctx = context(tmp_path)
    items = noise.items(section, ctx)
    assert items == noise.items(section, ctx)
    assert len(items) == 13 and {i.label for i in items} == {NOISE} and {i.kind for i in items} == {"noise"}
    assert {i.group.rsplit(":", 1)[0] for i in items} == {
        f"noise:{t}" for t in ("silence", "dither", "white", "pink", "brown", "hum", "tone", "beep")
    }
    assert len({i.group for i in items}) == len(items)  # one group per clip
    for item in items:
        audio = load_item(item)
        assert np.array_equal(audio.samples, load_item(item).samples)
        duration = item.recipe["duration_s"]
        assert 0.5 <= duration <= 0.8 and audio.samples.shape == (round(duration * RATE), 1)
        assert audio.sample_rate_hz == RATE and np.abs(audio.samples).max() <= 1.0
        kind = item.recipe["type"]
        if kind == "silence":
            assert not audio.samples.any()
        elif kind == "dither":
            assert -96 <= rms_dbfs(audio) <= -80
        else:
            assert -40 <= item.recipe["level_dbfs"] <= -30
            assert rms_dbfs(audio) == pytest.approx(item.recipe["level_dbfs"], abs=0.05)
    hum = next(i for i in items if i.recipe["type"] == "hum")
    spectrum = np.abs(np.fft.rfft(load_item(hum).samples[:, 0]))
    peak_hz = np.argmax(spectrum) * RATE / (2 * (spectrum.size - 1))
    assert abs(peak_hz - hum.recipe["mains_hz"]) < 3
    assert noise.items({**section, "seed": 1}, ctx) != items
    with pytest.raises(ValueError, match="unknown key"):
        noise.items({"pinkish": 1}, ctx)
    with pytest.raises(ValueError, match="babble"):
        noise.items({"babble": 2}, ctx)


@register_loader("test-speech")
def _test_speech(item: SourceItem) -> Audio:
    """Stand-in for TTS: a word-like utterance, at 22.05 kHz for odd seeds (to exercise resampling)."""
    seed = int(item.recipe["seed"])
    x = np.concatenate([np.zeros(800), signals.word_like(0.5, seed=seed) / 32768.0, np.zeros(800)])
    if seed % 2:
        import soxr

        return Audio(soxr.resample(x, RATE, 22050)[:, None], 22050)
    return Audio(x[:, None], RATE)


def test_babble_mixes_overlapped_speech(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    zero = dict.fromkeys(("silence", "dither", "white", "pink", "brown", "hum", "tone", "beep"), 0)
    section = {**zero, "babble": 3, "duration_s": 1.5, "level_dbfs": -25}
    pool = [{"loader": "test-speech", "seed": k} for k in range(8)]
    items = noise.items(section, ctx, speech=pool)
    assert [i.group for i in items] == [f"noise:babble:{k:04d}" for k in range(3)]
    for item in items:
        assert 3 <= len(item.recipe["parts"]) <= 6 and all(p in pool for p in item.recipe["parts"])
        audio = load_item(item)
        assert audio.samples.shape == (round(1.5 * RATE), 1) and audio.sample_rate_hz == RATE
        assert rms_dbfs(audio) == pytest.approx(-25, abs=0.05)
        assert np.array_equal(audio.samples, load_item(item).samples)
    drawn = noise.items(section, ctx, speech=lambda seed: {"loader": "test-speech", "seed": seed % 1000})
    assert drawn == noise.items(section, ctx, speech=lambda seed: {"loader": "test-speech", "seed": seed % 1000})
    assert load_item(drawn[0]).samples.std() > 0
    assert len(noise.items({**zero}, ctx, speech=pool)) == 20  # babble defaults to 20 when speech is given


def test_babble_talkers_given_per_split_stay_in_their_split(tmp_path: Path) -> None:
    """With talkers per split, a clip mixes only talkers of its own split and records that split;
    a clip whose split has none gets no talkers, and its loader rejects it with the reason."""
    ctx = context(tmp_path)
    zero = dict.fromkeys(("silence", "dither", "white", "pink", "brown", "hum", "tone", "beep"), 0)
    section = {**zero, "babble": 12, "duration_s": 1.0}
    pools = {name: [{"loader": "test-speech", "seed": 10 * k + n} for n in range(5)]
             for k, name in enumerate(("train", "validation"))}  # fmt: skip

    def split_of(group: str) -> str:
        return ("train", "validation", "test")[int(group.rsplit(":", 1)[1]) % 3]

    items = noise.items(section, ctx, speech=pools, split_of=split_of)
    for item in items:
        split = split_of(item.group)
        assert item.recipe["talker_split"] == split == item.meta["talker_split"]
        if split == "test":
            assert item.recipe["parts"] == []
            with pytest.raises(ValueError, match=r"no talkers in its split \(test\)"):
                load_item(item)
        else:
            assert len(item.recipe["parts"]) >= 3 and all(p in pools[split] for p in item.recipe["parts"])
    assert items == noise.items(section, ctx, speech=pools, split_of=split_of)
    with pytest.raises(ValueError, match="split_of"):
        noise.items(section, ctx, speech=pools)
    with pytest.raises(ValueError, match="empty"):
        noise.items(section, ctx, speech={"train": []}, split_of=split_of)
