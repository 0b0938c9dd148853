"""Real corpora as sources: recorded speech imported with the corpus's own metadata.

Every file becomes a :class:`~kwsc.sources.SourceItem` with kind "real", a ``"file"`` recipe
(``{"loader": "file", "path": <absolute path>}``, plus ``start_s``/``end_s`` in seconds for a
segment), ``input_sha256`` = the file's SHA-256 (for a segment: the SHA-256 of
``canonical_json([file sha256, start_s, end_s])``, so two segments of one file never share a content
key; the file's own hash is then in ``meta["file_sha256"]``), and ``group`` =
``"<source name>:<speaker>"`` with the speaker id from the corpus. A file that cannot be read is
still an item (``input_sha256`` None, ``meta["input_error"]`` says why); the build rejects it when
its audio fails to decode. Nothing is skipped silently.

Labels: a corpus word that is one of the project's labels (or keyword phrases, or a ``label_map`` key)
keeps that label; any other word becomes :data:`~kwsc.sources.NEGATIVE`; ``_background_noise_``
and the project's ``_noise`` become :data:`~kwsc.sources.NOISE`. The corpus's word is kept in
``meta["corpus_label"]``.

Splits: the corpus's official split, when it has one, is in ``meta["corpus_split"]`` ("train",
"validation" or "test"). With ``official_split = true`` it is also in ``meta["split"]``: the split
stage must then put the item in that split.

Layouts (``layout`` key) and their extra keys:

``speech_commands``
    Google Speech Commands: ``<path>/<word>/<speaker>_nohash_<n>.wav``, ``validation_list.txt`` and
    ``testing_list.txt`` (paths relative to ``<path>``; every other file is "train").
    ``_background_noise_/*.wav`` are long noise recordings: label NOISE, cut into consecutive clips
    of ``noise_clip_s`` seconds (default 1.0; a shorter remainder is dropped; 0 keeps whole files,
    marked ``meta["long_noise"] = True``), one group per noise file.
``mswc``
    Multilingual Spoken Words Corpus split CSVs. ``path`` is a CSV file or a folder; in a folder, the
    ``*_splits.csv`` files are read if there are any, else every ``*.csv`` (``csv``: an explicit
    list of file names). Columns (case-insensitive, first alias found): ``LINK`` (or path, file,
    filename), ``WORD`` (or label, keyword), ``SPEAKER`` (or speaker_id, client_id; optional),
    ``GENDER`` (optional), ``VALID`` (or is_valid; optional, kept in meta), ``SET`` (or split;
    optional: TRAIN/DEV/TEST, else from the CSV's name: "train", "dev"/"valid", "test"). LINK is
    relative to ``audio_dir`` (default: the first existing of ``<csv folder>/clips``,
    ``<csv folder>/../clips``, the CSV folder); a LINK whose file is missing is looked up with the
    other audio extensions (MSWC's ``.opus`` converted to ``.wav``).
``folders``
    A folder per label: ``<path>/<label>/**/<file>``. The speaker is the first folder below the
    label folder (``<label>/<speaker>/.../take.wav``), or ``unknown:<label>/<file>`` (a group of its
    own) for files directly in the label folder; ``speaker_regex`` (a regular expression with a
    named group ``speaker``, searched in the file name) takes precedence when it matches.
    Audio files directly under ``<path>`` have no label: ValueError.
``manifest``
    A CSV (header row) or JSONL (``.jsonl``/``.ndjson``, one object a line) file with fields
    ``path`` and ``label`` (required), ``speaker`` (optional, else ``unknown:<path>``), ``start``/
    ``end`` (or ``start_s``/``end_s``: a segment, in seconds), ``split`` (the corpus's split) and
    ``text``; other fields go to ``meta["extra"]``. Relative paths are relative to the manifest.

Keys of every layout: ``layout`` and ``path`` (required; relative to the project folder), ``name``
(source name, default the layout), ``label_map`` (corpus word -> project label, NEGATIVE or NOISE),
``official_split`` (bool, default false), ``extensions`` (audio file suffixes, default
.wav .flac .ogg .opus .mp3 .aif .aiff). Unknown keys, a missing path, or a corpus with no audio
raise ValueError (:class:`~kwsc.config.ConfigError`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kwsc.config import ConfigError
from kwsc.sources import NEGATIVE, NOISE, SourceContext, SourceItem, canonical_json
from kwsc.sources.files import file_sha256

#: Audio file suffixes looked for by default (lowercase).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aif", ".aiff")
#: Speech Commands' folder of long noise recordings.
BACKGROUND_NOISE = "_background_noise_"

COMMON_KEYS = ("layout", "path", "name", "label_map", "official_split", "extensions")
LAYOUT_KEYS: dict[str, tuple[str, ...]] = {
    "speech_commands": ("noise_clip_s",),
    "mswc": ("csv", "audio_dir"),
    "folders": ("speaker_regex",),
    "manifest": (),
}

_SC_NAME = re.compile(r"^(?P<speaker>.+?)_nohash_(?P<n>\d+)$")


@dataclass
class FileSpec:
    """One input before hashing: what :func:`file_items` turns into a SourceItem."""

    rel: str  # id part, unique within the source
    path: Path
    label: str
    speaker: str
    text: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- shared helpers


def resolve_path(value: Any, context: SourceContext, what: str) -> Path:
    """``value`` as an absolute path (relative to the project folder); ValueError if it is missing."""
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise ConfigError(f"{what}: 'path' is required (a file or folder)")
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(context.project_dir) / path
    path = path.resolve()
    if not path.exists():
        raise ConfigError(f"{what}: path {str(path)!r} does not exist")
    return path


def audio_files(folder: Path, extensions: Iterable[str], recursive: bool = True) -> list[Path]:
    """Audio files under ``folder`` (by suffix, case-insensitive), sorted; hidden entries skipped."""
    suffixes = {e.lower() for e in extensions}
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    found = []
    for path in pattern:
        rel = path.relative_to(folder).parts
        if path.is_file() and path.suffix.lower() in suffixes and not any(p.startswith(".") for p in rel):
            found.append(path)
    return sorted(found)


def extensions_option(config: Mapping[str, Any], what: str) -> tuple[str, ...]:
    value = config.get("extensions", AUDIO_EXTENSIONS)
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{what}: 'extensions' must be a list of suffixes such as [\".wav\"]")
    return tuple(v.lower() if v.startswith(".") else f".{v.lower()}" for v in value)


def _hash(path: Path) -> tuple[str | None, str | None]:
    """(sha256, None) or (None, reason) for a file that cannot be read."""
    try:
        return file_sha256(path), None
    except OSError as exc:
        return None, f"{type(exc).__name__}: {exc.strerror or exc}"


def file_items(specs: list[FileSpec], source: str, kind: str, group_prefix: str | None = None) -> list[SourceItem]:
    """SourceItems with ``"file"`` recipes for ``specs``; files are hashed in parallel threads.

    ``group`` is ``"<group_prefix>:<speaker>"`` (``group_prefix`` defaults to ``source``). Ids are
    ``"<source>/<rel>"``; a repeated id gets ``#2``, ``#3``... so every id is unique.
    """
    paths = sorted({spec.path for spec in specs})
    workers = min(16, (os.cpu_count() or 1) * 2, max(1, len(paths)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hashes = dict(zip(paths, pool.map(_hash, paths), strict=True))
    prefix = source if group_prefix is None else group_prefix
    out: list[SourceItem] = []
    seen: dict[str, int] = {}
    for spec in specs:
        digest, error = hashes[spec.path]
        recipe: dict[str, Any] = {"loader": "file", "path": str(spec.path)}
        meta = dict(spec.meta)
        meta.setdefault("speaker", spec.speaker)
        origin = str(spec.path)
        if spec.start_s is not None or spec.end_s is not None:
            start = 0.0 if spec.start_s is None else float(spec.start_s)
            recipe["start_s"] = start
            if spec.end_s is not None:
                recipe["end_s"] = float(spec.end_s)
            origin += f"#{start:g}-{'' if spec.end_s is None else f'{float(spec.end_s):g}'}"
            if digest is not None:
                meta["file_sha256"] = digest
                digest = hashlib.sha256(canonical_json([digest, start, recipe.get("end_s")]).encode()).hexdigest()
        if error is not None:
            meta["input_error"] = error
        item_id = f"{source}/{spec.rel}"
        seen[item_id] = seen.get(item_id, 0) + 1
        if seen[item_id] > 1:
            item_id += f"#{seen[item_id]}"
        out.append(
            SourceItem(
                id=item_id,
                source=source,
                kind="noise" if spec.label == NOISE else kind,  # a corpus's noise gets the noise checks
                label=spec.label,
                group=f"{prefix}:{spec.speaker}",
                origin=origin,
                recipe=recipe,
                text=spec.text,
                meta=meta,
                input_sha256=digest,
            )
        )
    return out


def labeler(context: SourceContext, label_map: Mapping[str, str] | None = None) -> Callable[[str], str]:
    """A function mapping a corpus word to a project label (see the module docstring)."""
    allowed = {*context.labels, NEGATIVE, NOISE}
    table: dict[str, str] = {NEGATIVE: NEGATIVE, NOISE: NOISE, BACKGROUND_NOISE: NOISE}
    if len(context.phrases) == len(context.labels):
        for phrase, label in zip(context.phrases, context.labels, strict=True):
            table[phrase.casefold()] = label
            table[phrase.casefold().replace(" ", "_")] = label
    for label in context.labels:
        table[label] = label
        table.setdefault(label.casefold(), label)
    for word, label in dict(label_map or {}).items():
        if label not in allowed:
            raise ConfigError(
                f"label_map: {word!r} -> {label!r} is not a project label (labels: {', '.join(sorted(allowed))})"
            )
        table[str(word)] = label
        table[str(word).casefold()] = label

    def label_of(word: str) -> str:
        return table.get(word, table.get(word.casefold(), NEGATIVE))

    return label_of


# --------------------------------------------------------------------------- dispatch


def items(section: Mapping[str, Any], context: SourceContext) -> list[SourceItem]:
    """Items of a corpus section, dispatching on ``section["layout"]`` (see the module docstring)."""
    layout = section.get("layout")
    if layout not in LAYOUT_KEYS:
        raise ConfigError(f"corpus: 'layout' must be one of {', '.join(LAYOUT_KEYS)}, got {layout!r}")
    name = str(section.get("name", layout))
    what = f"corpus {name!r} ({layout})"
    unknown = sorted(set(section) - set(COMMON_KEYS) - set(LAYOUT_KEYS[layout]))
    if unknown:
        known = ", ".join((*COMMON_KEYS, *LAYOUT_KEYS[layout]))
        raise ConfigError(f"{what}: unknown key(s) {', '.join(unknown)} (known: {known})")
    path = resolve_path(section.get("path"), context, what)
    official = section.get("official_split", False)
    if not isinstance(official, bool):
        raise ConfigError(f"{what}: 'official_split' must be true or false")
    label_map = section.get("label_map", {})
    if not isinstance(label_map, Mapping):
        raise ConfigError(f"{what}: 'label_map' must be a table of corpus word -> label")
    label_of = labeler(context, label_map)
    extensions = extensions_option(section, what)
    readers = {
        "speech_commands": _speech_commands,
        "mswc": _mswc,
        "folders": _folders,
        "manifest": _manifest,
    }
    specs = readers[layout](path, section, label_of, extensions, what, official)
    if not specs:
        raise ConfigError(f"{what}: no audio files found under {str(path)!r}")
    for spec in specs:
        split = spec.meta.get("corpus_split")
        if official and split is not None:
            spec.meta["split"] = split
        spec.meta.setdefault("corpus", layout)
    return file_items(specs, name, "real")


# --------------------------------------------------------------------------- layouts

_SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "dev": "validation",
    "valid": "validation",
    "val": "validation",
    "validation": "validation",
    "test": "test",
    "testing": "test",
}


def _split_name(value: str, where: str) -> str | None:
    """A corpus's split name as "train", "validation" or "test" (None if empty); ValueError if unknown."""
    if not value or not value.strip():
        return None
    split = _SPLIT_NAMES.get(value.strip().lower())
    if split is None:
        raise ConfigError(f"{where}: split {value!r} is not one of {', '.join(_SPLIT_NAMES)}")
    return split


def _split_in_name(stem: str) -> str | None:
    """The split a file name declares ("en_train" -> "train", "dev.csv" -> "validation"), if any."""
    for token in re.split(r"[_\-. ]+", stem.lower()):
        if token in _SPLIT_NAMES:
            return _SPLIT_NAMES[token]
    return None


def _read_list(path: Path) -> set[str]:
    with open(path, encoding="utf-8") as handle:
        return {line.strip().replace("\\", "/") for line in handle if line.strip()}


def _speech_commands(
    root: Path, section: Mapping[str, Any], label_of: Callable[[str], str], extensions: tuple[str, ...], what: str,
    official: bool,
) -> list[FileSpec]:  # fmt: skip
    clip_s = section.get("noise_clip_s", 1.0)
    if isinstance(clip_s, bool) or not isinstance(clip_s, int | float) or clip_s < 0:
        raise ConfigError(f"{what}: 'noise_clip_s' must be a number of seconds >= 0")
    if not root.is_dir():
        raise ConfigError(f"{what}: path {str(root)!r} must be the corpus folder")
    lists = {"validation": root / "validation_list.txt", "test": root / "testing_list.txt"}
    have_lists = all(p.is_file() for p in lists.values())
    if official and not have_lists:
        raise ConfigError(f"{what}: official_split needs validation_list.txt and testing_list.txt in {str(root)!r}")
    membership = {split: _read_list(p) for split, p in lists.items()} if have_lists else {}
    specs: list[FileSpec] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        word = folder.name
        for path in audio_files(folder, extensions, recursive=False):
            rel = f"{word}/{path.name}"
            if word == BACKGROUND_NOISE:
                specs += _noise_clips(path, rel, float(clip_s))
                continue
            match = _SC_NAME.match(path.stem)
            speaker = match["speaker"] if match else f"unknown:{rel}"
            split = None
            if have_lists:
                split = next((s for s, names in membership.items() if rel in names), "train")
            meta = {"corpus_label": word, "corpus_split": split}
            if match:
                meta["utterance"] = int(match["n"])
            specs.append(FileSpec(rel, path, label_of(word), speaker, text=word, meta=meta))
    stray = audio_files(root, extensions, recursive=False)
    if stray:
        raise ConfigError(f"{what}: audio files outside word folders: {', '.join(p.name for p in stray[:5])}")
    return specs


def _noise_clips(path: Path, rel: str, clip_s: float) -> list[FileSpec]:
    """A long noise recording as consecutive clips of ``clip_s`` seconds (or whole, marked)."""
    speaker = f"{BACKGROUND_NOISE}:{path.stem}"
    meta: dict[str, Any] = {"corpus_label": BACKGROUND_NOISE, "noise_file": rel}
    try:
        import soundfile

        duration = soundfile.info(str(path)).duration
    except Exception:  # unreadable: one item, rejected by the build with the decoder's reason
        duration = None
    if clip_s == 0 or duration is None or duration < clip_s:
        return [FileSpec(rel, path, NOISE, speaker, meta={**meta, "long_noise": clip_s == 0})]
    count = int(duration // clip_s + 1e-9)
    return [
        FileSpec(
            f"{rel}@{k * clip_s:g}",
            path,
            NOISE,
            speaker,
            start_s=round(k * clip_s, 6),
            end_s=round((k + 1) * clip_s, 6),
            meta=dict(meta),
        )
        for k in range(count)
    ]


_MSWC_COLUMNS = {
    "link": ("link", "path", "file", "filename"),
    "word": ("word", "label", "keyword"),
    "speaker": ("speaker", "speaker_id", "client_id"),
    "gender": ("gender",),
    "valid": ("valid", "is_valid"),
    "set": ("set", "split"),
}


def _mswc(
    path: Path, section: Mapping[str, Any], label_of: Callable[[str], str], extensions: tuple[str, ...], what: str,
    official: bool,
) -> list[FileSpec]:  # fmt: skip
    folder = path if path.is_dir() else path.parent
    if path.is_file():
        csvs = [path]
    elif "csv" in section:
        names = section["csv"]
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{what}: 'csv' must be a list of CSV file names")
        csvs = [folder / n for n in names]
        missing = [str(p) for p in csvs if not p.is_file()]
        if missing:
            raise ConfigError(f"{what}: CSV file(s) not found: {', '.join(missing)}")
    else:
        csvs = sorted(folder.glob("*_splits.csv")) or sorted(folder.glob("*.csv"))
    if not csvs:
        raise ConfigError(f"{what}: no CSV files in {str(folder)!r}")
    if "audio_dir" in section:
        audio_dir = Path(str(section["audio_dir"])).expanduser()
        audio_dir = audio_dir if audio_dir.is_absolute() else folder / audio_dir
        if not audio_dir.is_dir():
            raise ConfigError(f"{what}: audio_dir {str(audio_dir)!r} does not exist")
    else:
        audio_dir = next((d for d in (folder / "clips", folder.parent / "clips") if d.is_dir()), folder)
    specs: list[FileSpec] = []
    for csv_path in csvs:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = {name.strip().lower(): name for name in reader.fieldnames or ()}
            column = {
                key: next((fields[a] for a in aliases if a in fields), None) for key, aliases in _MSWC_COLUMNS.items()
            }
            if column["link"] is None or column["word"] is None:
                raise ConfigError(f"{what}: {csv_path.name} needs LINK and WORD columns, has {reader.fieldnames}")
            file_split = _split_in_name(csv_path.stem)
            for line, row in enumerate(reader, start=2):
                link = (row.get(column["link"]) or "").strip()
                word = (row.get(column["word"]) or "").strip()
                if not link or not word:
                    raise ConfigError(f"{what}: {csv_path.name} line {line}: empty LINK or WORD")
                speaker = (row.get(column["speaker"]) or "").strip() if column["speaker"] else ""
                where = f"{what}: {csv_path.name} line {line}"
                split = _split_name(row.get(column["set"]) or "", where) if column["set"] else None
                meta: dict[str, Any] = {
                    "corpus_label": word,
                    "corpus_split": split or file_split,
                    "csv": csv_path.name,
                }
                if column["gender"]:
                    meta["gender"] = (row.get(column["gender"]) or "").strip() or None
                if column["valid"]:
                    meta["corpus_valid"] = (row.get(column["valid"]) or "").strip().lower() in ("true", "1", "yes")
                audio = _find_audio(audio_dir / link, extensions)
                specs.append(FileSpec(link, audio, label_of(word), speaker or f"unknown:{link}", text=word, meta=meta))
    return specs


def _find_audio(path: Path, extensions: tuple[str, ...]) -> Path:
    """``path``, or the same name with another audio suffix if only that exists."""
    if path.exists():
        return path
    for suffix in extensions:
        other = path.with_suffix(suffix)
        if other.exists():
            return other
    return path


def _folders(
    root: Path, section: Mapping[str, Any], label_of: Callable[[str], str], extensions: tuple[str, ...], what: str,
    official: bool,
) -> list[FileSpec]:  # fmt: skip
    if not root.is_dir():
        raise ConfigError(f"{what}: path {str(root)!r} must be a folder with one folder per label")
    pattern = section.get("speaker_regex")
    regex = None
    if pattern is not None:
        try:
            regex = re.compile(str(pattern))
        except re.error as exc:
            raise ConfigError(f"{what}: speaker_regex {pattern!r}: {exc}") from None
        if "speaker" not in regex.groupindex:
            raise ConfigError(f"{what}: speaker_regex needs a named group (?P<speaker>...)")
    stray = audio_files(root, extensions, recursive=False)
    if stray:
        raise ConfigError(f"{what}: audio files with no label folder: {', '.join(p.name for p in stray[:5])}")
    specs: list[FileSpec] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in audio_files(folder, extensions):
            rel = path.relative_to(root).as_posix()
            inner = path.relative_to(folder).parts
            match = regex.search(path.name) if regex else None
            if match and match["speaker"]:
                speaker = match["speaker"]
            elif len(inner) > 1:
                speaker = inner[0]
            else:
                speaker = f"unknown:{rel}"
            specs.append(FileSpec(rel, path, label_of(folder.name), speaker, meta={"corpus_label": folder.name}))
    return specs


_MANIFEST_FIELDS = ("path", "label", "speaker", "start", "end", "start_s", "end_s", "split", "text")


def _manifest_rows(path: Path, what: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs of a CSV or JSONL manifest."""
    rows: list[tuple[int, dict[str, Any]]] = []
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with open(path, encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{what}: {path.name} line {line}: not JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise ConfigError(f"{what}: {path.name} line {line}: not a JSON object")
                rows.append((line, row))
        return rows
    with open(path, newline="", encoding="utf-8-sig") as handle:
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        reader = csv.DictReader(handle, dialect=dialect)
        for line, row in enumerate(reader, start=2):
            rows.append((line, {k.strip().lower(): v for k, v in row.items() if k is not None}))
    return rows


def _seconds(value: Any, what: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: {value!r} is not a number of seconds") from None
    if not seconds >= 0:
        raise ConfigError(f"{what}: {value!r} must be >= 0 seconds")
    return seconds


def _manifest(
    path: Path, section: Mapping[str, Any], label_of: Callable[[str], str], extensions: tuple[str, ...], what: str,
    official: bool,
) -> list[FileSpec]:  # fmt: skip
    if not path.is_file():
        raise ConfigError(f"{what}: path {str(path)!r} must be a CSV or JSONL manifest file")
    base = path.parent
    specs: list[FileSpec] = []
    for line, row in _manifest_rows(path, what):
        where = f"{what}: {path.name} line {line}"
        file_value = str(row.get("path") or "").strip()
        label_value = str(row.get("label") or "").strip()
        if not file_value or not label_value:
            raise ConfigError(f"{where}: 'path' and 'label' are required")
        file_path = Path(file_value).expanduser()
        file_path = file_path if file_path.is_absolute() else base / file_path
        file_path = Path(os.path.normpath(file_path))
        start = _seconds(row.get("start", row.get("start_s")), where)
        end = _seconds(row.get("end", row.get("end_s")), where)
        if end is not None and end <= (start or 0.0):
            raise ConfigError(f"{where}: end ({end} s) must be after start ({start or 0.0} s)")
        try:
            rel = file_path.relative_to(base).as_posix()
        except ValueError:
            rel = file_path.as_posix().lstrip("/")
        if start is not None or end is not None:
            rel += f"@{start or 0.0:g}-{'' if end is None else f'{end:g}'}"
        speaker = str(row.get("speaker") or "").strip() or f"unknown:{rel}"
        extra = {k: v for k, v in row.items() if k not in _MANIFEST_FIELDS}
        split = _split_name(str(row.get("split") or ""), where)
        meta: dict[str, Any] = {"corpus_label": label_value, "corpus_split": split}
        if extra:
            meta["extra"] = extra
        text = str(row["text"]) if row.get("text") else None
        specs.append(FileSpec(rel, file_path, label_of(label_value), speaker, text, start, end, meta))
    return specs
