"""Hibari neural voices (an ONNX acoustic model and a NumPy vocoder) that run offline.

PyPI's ``hibari-tts`` ships one voice in its wheel, ``heart``: an American woman, a small model
trained to imitate Kokoro-82M's ``af_heart`` (Apache-2.0). Its other voices are downloaded on first
use, so kwsc only uses the voices already on disk (:func:`installed_voices`) and never asks for
a download. The model predicts vocoder parameters from misaki's phonemes (the package's own G2P);
the vocoder's noise comes from a NumPy generator the caller seeds, so the same text, speed and
seed give the same audio, bit for bit (one onnxruntime thread, as here).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from typing import Any

import numpy as np

#: The distribution and what installs it (onnxruntime comes with it).
DISTRIBUTION = "hibari-tts"
INSTALL_HINT = "pip install hibari-tts"

#: Hibari's output rate (Hz).
SAMPLE_RATE_HZ = 24_000

#: Peak level of a synthesized clip: -6 dBFS, as for Piper and Kokoro.
PEAK = 0.5

#: The speeds the model accepts (1.0 is its teacher's pace; > 1 is faster).
SPEED_RANGE = (0.5, 2.0)


def available() -> bool:
    """Whether the ``hibari`` package (and onnxruntime) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("hibari", "onnxruntime"))


def installed_voices() -> list[str]:
    """The voices whose models are on disk (the wheel's ``heart``, and any a user fetched), in the
    package's registry order; none when the package is missing."""
    if not available():
        return []
    from hibari import voices

    found = []
    for name in voices.VOICES:
        try:
            voices.voice_path(name, download_missing=False)
        except (FileNotFoundError, RuntimeError, KeyError, OSError):
            continue
        found.append(name)
    return found


def version(voice: str | None = None) -> str:
    """hibari-tts's and onnxruntime's versions, plus the voice model's SHA-256 (from the package's
    registry) when ``voice`` is given: part of every recipe, so a changed model changes the cache key."""
    parts = [f"{DISTRIBUTION} {importlib.metadata.version(DISTRIBUTION)}"]
    parts.append(f"onnxruntime {importlib.metadata.version('onnxruntime')}")
    if voice is not None:
        from hibari import voices

        parts.append(f"{voice} sha256 {voices.VOICES[voice]['sha256'][:16]}")
    return "; ".join(parts)


@functools.cache
def _load(voice: str) -> Any:
    if voice not in installed_voices():
        raise RuntimeError(
            f"Hibari voice {voice!r} is not on disk (installed: {', '.join(installed_voices()) or 'none'}; "
            f"{INSTALL_HINT} ships 'heart', and kwsc downloads nothing)"
        )
    from hibari import Hibari, voices

    # One thread: the loader already runs one item per worker, and a fixed reduction order keeps
    # the audio identical from run to run.
    return Hibari(voice, model=voices.voice_path(voice, download_missing=False), threads=1)


def synthesize(voice: str, text: str, *, speed: float, seed: int) -> np.ndarray:
    """Speak ``text`` with a Hibari voice: float64 samples at :data:`SAMPLE_RATE_HZ`, peak :data:`PEAK`.

    ``speed`` is the speaking-rate factor (> 1 is faster, within :data:`SPEED_RANGE`); ``seed``
    seeds the vocoder's noise, so equal arguments give equal audio."""
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        raise ValueError(f"hibari: speed must be in [{SPEED_RANGE[0]}, {SPEED_RANGE[1]}], got {speed}")
    samples = np.asarray(_load(voice)(text, speed=speed, seed=seed), dtype=np.float64)
    peak = float(np.max(np.abs(samples), initial=0.0))
    if peak == 0.0:
        raise RuntimeError(f"Hibari {voice}: {text!r} gave no audio")
    return samples * (PEAK / peak)
