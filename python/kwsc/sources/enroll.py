"""A user's own recordings (e.g. enrollment takes of the keyword) as a source.

Section keys:

* ``path``: a recording or a folder of recordings (searched recursively), relative to the project
  folder; or ``files``: a list of recordings. One of them is required (both may be given).
* ``label`` (required): the project label the takes say (a keyword label), or ``_negative`` /
  ``_noise`` for a user's own negative or background recordings.
* ``user``: who recorded them (default "default"); every take is in group ``"user:<user>"``, so one
  person's takes never straddle splits.
* ``name``: source name (default "enroll"); ids are ``"<name>/<user>/<file>"``.
* ``extensions``: audio suffixes looked for in a folder (default :data:`~kwsc.sources.corpora.AUDIO_EXTENSIONS`).

Items have kind "enroll" (the validator's enrollment profile), a ``"file"`` recipe, the file's
SHA-256 as ``input_sha256``, ``text`` = the label's keyword phrase when known, and ``meta`` with
``user`` and ``take`` (0-based, in sorted path order). Unreadable files are still items (see
:mod:`kwsc.sources.corpora`). Unknown keys, missing files or no audio raise ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kwsc.config import ConfigError
from kwsc.sources import NEGATIVE, NOISE, SourceContext, SourceItem
from kwsc.sources.corpora import AUDIO_EXTENSIONS, FileSpec, audio_files, extensions_option, file_items, resolve_path

SECTION_KEYS = ("path", "files", "label", "user", "name", "extensions")


def items(section: Mapping[str, Any], context: SourceContext) -> list[SourceItem]:
    """Items of an enrollment section (see the module docstring)."""
    name = str(section.get("name", "enroll"))
    what = f"enroll {name!r}"
    unknown = sorted(set(section) - set(SECTION_KEYS))
    if unknown:
        raise ConfigError(f"{what}: unknown key(s) {', '.join(unknown)} (known: {', '.join(SECTION_KEYS)})")
    label = section.get("label")
    allowed = (*context.labels, NEGATIVE, NOISE)
    if label not in allowed:
        raise ConfigError(f"{what}: 'label' must be one of {', '.join(allowed)}, got {label!r}")
    user = str(section.get("user", "default")).strip()
    if not user:
        raise ConfigError(f"{what}: 'user' must not be empty")
    extensions = extensions_option({"extensions": section.get("extensions", AUDIO_EXTENSIONS)}, what)
    if "path" not in section and "files" not in section:
        raise ConfigError(f"{what}: give 'path' (a recording or folder) or 'files' (a list of recordings)")

    paths: list[tuple[Path, str]] = []  # (file, id part)
    if "path" in section:
        root = resolve_path(section["path"], context, what)
        if root.is_dir():
            paths += [(p, p.relative_to(root).as_posix()) for p in audio_files(root, extensions)]
        else:
            paths.append((root, root.name))
    files = section.get("files", [])
    if isinstance(files, str) or not isinstance(files, list | tuple):
        raise ConfigError(f"{what}: 'files' must be a list of paths")
    for value in files:
        path = resolve_path(value, context, what)
        if path.is_dir():
            raise ConfigError(f"{what}: 'files' lists a folder ({str(path)!r}); use 'path' for a folder")
        paths.append((path, path.name))
    if not paths:
        raise ConfigError(f"{what}: no audio files found")

    text = None
    if label in context.labels and len(context.phrases) == len(context.labels):
        text = context.phrases[context.labels.index(label)]
    unique = {path: rel for path, rel in reversed(paths)}  # a file listed twice is one take
    ordered = sorted(unique.items(), key=lambda pr: str(pr[0]))
    specs = [
        FileSpec(f"{user}/{rel}", path, str(label), user, text=text, meta={"user": user, "take": take})
        for take, (path, rel) in enumerate(ordered)
    ]
    return file_items(specs, name, "enroll", group_prefix="user")
