"""Sources: where a dataset's inputs come from, described before any audio is touched.

Manifest-first (as in lhotse): a source turns its part of the project config into a list of
:class:`SourceItem` records. Each record carries a ``recipe``, everything needed to produce its
audio, so producing it is a pure function (:func:`load_item`) that the build can cache by the
recipe's hash, run in worker processes, and repeat with the same result. One module per source
family: ``tts`` (espeak-ng, flite, festival), ``corpora`` (Speech Commands, MSWC CSV, folder per
label, CSV/JSONL manifests), ``noise`` (silence, coloured noise, babble, tones), ``negatives``
(confusable phrases and general speech text), ``enroll`` (a user's own recordings).

Contract for a source module: ``items(section: dict, context: SourceContext) -> list[SourceItem]``
and ``load(item: SourceItem) -> Audio``, registered in :data:`LOADERS` under the recipe's
``"loader"`` key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Labels of the non-keyword classes.
NEGATIVE = "_negative"  # speech that is not the keyword (confusables, general speech)
NOISE = "_noise"  # non-speech: silence, noise, babble, tones

#: Validator profiles: which thresholds apply (project config [validate.<kind>]).
KINDS = ("tts", "real", "noise", "enroll")


@dataclass(frozen=True)
class Audio:
    """Decoded audio as produced by a source: float64 in [-1, 1], shape (samples, channels)."""

    samples: np.ndarray
    sample_rate_hz: int


@dataclass(frozen=True)
class SourceItem:
    """One input of a dataset build, before its audio is produced.

    Attributes:
        id: unique, stable id within the build (e.g. "tts/espeak-ng/en-us+m3/alexa/0007").
        source: name of the config section that produced it (e.g. "tts", "speech_commands").
        kind: validator profile: "tts", "real", "noise" or "enroll".
        label: keyword label (the phrase's label), NEGATIVE or NOISE.
        group: speaker or voice group; splits never put one group in two splits.
        origin: where it came from, for people: a path, or "espeak-ng:en-us+m3:alexa".
        recipe: JSON-able dict that fully determines the audio; "loader" names the function.
        text: what is said, if known.
        meta: extra JSON-able facts for the manifest (engine, voice, prosody, corpus split...).
        input_sha256: for file inputs, the hash of the file's bytes (set by the source, so the
            build can key its cache on content); None for generated audio.
    """

    id: str
    source: str
    kind: str
    label: str
    group: str
    origin: str
    recipe: dict[str, Any]
    text: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    input_sha256: str | None = None

    def input_key(self) -> str:
        """Content key of the input: the file's hash, or the hash of the canonical recipe."""
        if self.input_sha256 is not None:
            return self.input_sha256
        return hashlib.sha256(canonical_json(self.recipe).encode()).hexdigest()


@dataclass(frozen=True)
class SourceContext:
    """What a source may use besides its own config section: the keyword phrases and labels,
    the project directory (relative paths resolve against it) and the build seed."""

    phrases: tuple[str, ...]
    labels: tuple[str, ...]
    project_dir: str
    seed: int = 0


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces): what content hashes are taken of."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seed_from(*parts: Any) -> int:
    """A 63-bit seed derived from content (never from time or order of execution)."""
    digest = hashlib.sha256(canonical_json(list(parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


#: loader name -> function producing the audio of a recipe; filled by the source modules.
LOADERS: dict[str, Callable[[SourceItem], Audio]] = {}
#: loader name -> function producing many items' audio at once (e.g. one festival process per
#: voice), giving the same audio as the per-item loader.
BATCH_LOADERS: dict[str, Callable[[list[SourceItem]], list[Audio]]] = {}


def register_loader(name: str) -> Callable[[Callable[[SourceItem], Audio]], Callable[[SourceItem], Audio]]:
    """Decorator: make ``load_item`` dispatch recipes with ``"loader": name`` to this function."""

    def wrap(function: Callable[[SourceItem], Audio]) -> Callable[[SourceItem], Audio]:
        LOADERS[name] = function
        return function

    return wrap


def register_batch_loader(
    name: str,
) -> Callable[[Callable[[list[SourceItem]], list[Audio]]], Callable[[list[SourceItem]], list[Audio]]]:
    """Decorator: a faster way to produce many items of loader ``name`` at once (same audio)."""

    def wrap(function: Callable[[list[SourceItem]], list[Audio]]) -> Callable[[list[SourceItem]], list[Audio]]:
        BATCH_LOADERS[name] = function
        return function

    return wrap


def load_items(items: list[SourceItem]) -> list[Audio | Exception]:
    """Produce many items' audio, through batch loaders where registered; an item that fails
    gives its exception in its place (a failing batch is retried item by item, so one bad recipe
    cannot take the others down)."""
    _import_source_modules()
    results: list[Audio | Exception | None] = [None] * len(items)
    by_loader: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_loader.setdefault(str(item.recipe.get("loader")), []).append(index)
    for loader, indexes in by_loader.items():
        if loader in BATCH_LOADERS and len(indexes) > 1:
            try:
                for index, audio in zip(indexes, BATCH_LOADERS[loader]([items[i] for i in indexes]), strict=True):
                    results[index] = audio
                continue
            except Exception:  # fall back to one by one, which reports per item
                pass
        for index in indexes:
            try:
                results[index] = load_item(items[index])
            except Exception as exc:  # returned to the caller, per item
                results[index] = exc
    return [r if r is not None else RuntimeError("no audio produced") for r in results]


def load_item(item: SourceItem) -> Audio:
    """Produce an item's audio (pure: the same recipe gives the same audio)."""
    _import_source_modules()
    loader = item.recipe.get("loader")
    if loader not in LOADERS:
        raise ValueError(f"{item.id}: no loader {loader!r} (known: {', '.join(sorted(LOADERS))})")
    return LOADERS[loader](item)


def _import_source_modules() -> None:
    """Import every source module so their loaders are registered (in worker processes too)."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
