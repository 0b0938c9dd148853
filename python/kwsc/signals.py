"""Deterministic test signals: speech-like audio, noise, sweeps, tones, silence (int16, 16 kHz).

Used by the tests, the accuracy report and ``kwsc demo``; nothing is downloaded. The
speech-like generator is additive synthesis of a gliding glottal harmonic series through
vowel formant envelopes, alternated with fricative noise bursts and pauses: not intelligible
speech, but with speech's pitch, spectral tilt, formant movement and >4 kHz fricative energy.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SAMPLE_RATE_HZ = 16000

# (F1, F2, F3) in Hz for a few vowels (adult male averages, Peterson & Barney style).
_VOWEL_FORMANTS_HZ = np.array(
    [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410], [660, 1720, 2410]],
    dtype=np.float64,
)


def _scale_to_dbfs(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    """Scale float audio so its RMS is ``level_dbfs`` dB relative to full-scale (32768)."""
    rms = np.sqrt(np.mean(x**2))
    if rms == 0:
        return x
    return x * (32768.0 * 10.0 ** (level_dbfs / 20.0) / rms)


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def _speech_segments(
    rng: np.random.Generator, total: int, kinds: tuple[str, ...], voiced_edges: bool = False
) -> np.ndarray:
    """Float audio of ``total`` samples made of 60-220 ms segments drawn from ``kinds``
    ("vowel", "fricative", "pause"); with ``voiced_edges`` the first and last are vowels."""
    out = np.zeros(total)
    pos = 0
    while pos < total:
        kind = rng.choice(kinds)
        length = min(total - pos, int(rng.uniform(0.06, 0.22) * SAMPLE_RATE_HZ))
        if voiced_edges and (pos == 0 or total - pos - length < 0.06 * SAMPLE_RATE_HZ):
            kind, length = "vowel", total - pos if pos else length
        t = np.arange(length) / SAMPLE_RATE_HZ
        if kind == "vowel":
            f0 = np.linspace(rng.uniform(90, 240), rng.uniform(90, 240), length)
            phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE_HZ
            a, b = _VOWEL_FORMANTS_HZ[rng.integers(len(_VOWEL_FORMANTS_HZ), size=2)]
            formants = a[None, :] + (b - a)[None, :] * (t / max(t[-1], 1e-9))[:, None]
            segment = np.zeros(length)
            for h in range(1, int(7800 / f0.max()) + 1):
                freq = h * f0
                envelope = sum(1.0 / (1.0 + ((freq - formants[:, i]) / (60.0 + 40 * i)) ** 2) for i in range(3))
                segment += envelope * (freq < 7800) * np.sin(h * phase) / h**0.5
            segment *= np.hanning(length) ** 0.3
        elif kind == "fricative":
            spectrum = np.fft.rfft(rng.standard_normal(length))
            freqs = np.fft.rfftfreq(length, 1 / SAMPLE_RATE_HZ)
            spectrum *= (freqs > rng.uniform(2500, 4500)) * 0.3
            segment = np.fft.irfft(spectrum, n=length) * np.hanning(length)
        else:
            segment = rng.standard_normal(length) * 0.002
        out[pos : pos + length] = segment
        pos += length
    return out


def speech_like(duration_s: float = 1.0, level_dbfs: float = -26.0, seed: int = 0) -> np.ndarray:
    """Speech-like int16 audio at 16 kHz with RMS ``level_dbfs`` (over the whole clip)."""
    rng = np.random.default_rng(seed)
    out = _speech_segments(rng, round(duration_s * SAMPLE_RATE_HZ), ("vowel", "vowel", "fricative", "pause"))
    return _to_int16(_scale_to_dbfs(out, level_dbfs))


def word_like(duration_s: float = 0.6, level_dbfs: float = -20.0, seed: int = 0) -> np.ndarray:
    """One continuous word-like utterance (vowels and fricatives, no pauses; voiced at both
    ends), RMS ``level_dbfs``, with 20 ms fades so it starts and ends cleanly."""
    rng = np.random.default_rng(seed)
    out = _speech_segments(rng, round(duration_s * SAMPLE_RATE_HZ), ("vowel", "vowel", "fricative"), True)
    fade = min(out.size // 2, SAMPLE_RATE_HZ // 50)
    ramp = np.linspace(0.0, 1.0, fade)
    out[:fade] *= ramp
    out[out.size - fade :] *= ramp[::-1]
    return _to_int16(_scale_to_dbfs(out, level_dbfs))


def take(
    utterance: np.ndarray,
    lead_s: float = 0.4,
    trail_s: float = 0.4,
    noise_dbfs: float = -65.0,
    seed: int = 0,
) -> np.ndarray:
    """An enrollment-style recording: ``lead_s`` of background, the utterance, ``trail_s`` of
    background; pink background noise at ``noise_dbfs`` RMS runs under the whole take."""
    n_lead = round(lead_s * SAMPLE_RATE_HZ)
    n_trail = round(trail_s * SAMPLE_RATE_HZ)
    total = n_lead + utterance.size + n_trail
    background = pink_noise(total / SAMPLE_RATE_HZ, noise_dbfs, seed=seed).astype(np.float64)[:total]
    mix = background
    mix[n_lead : n_lead + utterance.size] += utterance
    return _to_int16(mix)


def add_noise_at_snr(pcm: np.ndarray, snr_db: float, speech: slice, seed: int = 0) -> np.ndarray:
    """``pcm`` plus white noise whose power is ``snr_db`` below the power of ``pcm[speech]``."""
    x = pcm.astype(np.float64)
    speech_power = np.mean(x[speech] ** 2)
    noise = np.random.default_rng(seed).standard_normal(x.size) * np.sqrt(speech_power / 10 ** (snr_db / 10))
    return _to_int16(x + noise)


def white_noise(duration_s: float = 1.0, level_dbfs: float = -20.0, seed: int = 0) -> np.ndarray:
    """Gaussian white noise, RMS ``level_dbfs``, saturated to int16."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(round(duration_s * SAMPLE_RATE_HZ))
    return _to_int16(_scale_to_dbfs(x, level_dbfs))


def pink_noise(duration_s: float = 1.0, level_dbfs: float = -20.0, seed: int = 0) -> np.ndarray:
    """1/f (pink) noise, RMS ``level_dbfs``."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * SAMPLE_RATE_HZ)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE_HZ)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    return _to_int16(_scale_to_dbfs(np.fft.irfft(spectrum, n=n), level_dbfs))


def sine_sweep(
    duration_s: float = 1.0, level_dbfs: float = -12.0, f_start_hz: float = 50.0, f_end_hz: float = 7900.0
) -> np.ndarray:
    """Exponential sine sweep from ``f_start_hz`` to ``f_end_hz`` Hz, RMS ``level_dbfs``."""
    n = round(duration_s * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    k = np.log(f_end_hz / f_start_hz) / duration_s
    phase = 2 * np.pi * f_start_hz * (np.exp(k * t) - 1) / k
    return _to_int16(_scale_to_dbfs(np.sin(phase), level_dbfs))


def tone(duration_s: float = 1.0, frequency_hz: float = 1000.0, level_dbfs: float = -12.0) -> np.ndarray:
    """A pure tone of ``frequency_hz`` Hz, RMS ``level_dbfs``."""
    t = np.arange(round(duration_s * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return _to_int16(_scale_to_dbfs(np.sin(2 * np.pi * frequency_hz * t), level_dbfs))


def silence(duration_s: float = 1.0) -> np.ndarray:
    """Digital silence (all zeros)."""
    return np.zeros(round(duration_s * SAMPLE_RATE_HZ), dtype=np.int16)


def clipped(x: np.ndarray, gain_db: float = 20.0) -> np.ndarray:
    """``x`` amplified by ``gain_db`` dB and hard-clipped at int16 full scale."""
    return _to_int16(x.astype(np.float64) * 10.0 ** (gain_db / 20.0))


def corpus(duration_s: float = 1.0) -> dict[str, np.ndarray]:
    """The named signal set used to measure accuracy (see bench/report_accuracy.py)."""
    signals = {f"speech {lvl} dBFS": speech_like(duration_s, lvl, seed=i) for i, lvl in enumerate((-60, -40, -26, -6))}
    signals.update(
        {
            "white noise -30 dBFS": white_noise(duration_s, -30, seed=10),
            "pink noise -20 dBFS": pink_noise(duration_s, -20, seed=11),
            "sine sweep -12 dBFS": sine_sweep(duration_s, -12),
            "tone 1 kHz -60 dBFS": tone(duration_s, 1000.0, -60),
            "speech clipped +20 dB": clipped(speech_like(duration_s, -10, seed=12), 20.0),
            "silence": silence(duration_s),
        }
    )
    return signals


def upsampled_from_8k(pcm: np.ndarray) -> np.ndarray:
    """``pcm`` (16 kHz) taken down to 8 kHz and back with a real resampler: telephone-band audio."""
    import soxr

    x = pcm.astype(np.float64) / 32768.0
    back = soxr.resample(soxr.resample(x, SAMPLE_RATE_HZ, 8000), 8000, SAMPLE_RATE_HZ)[: x.size]
    return _to_int16(back * 32768.0)


def hum(duration_s: float, level_dbfs: float = -40.0, mains_hz: float = 50.0) -> np.ndarray:
    """Mains hum: ``mains_hz`` and six harmonics falling as h^-1.5, RMS ``level_dbfs``."""
    t = np.arange(round(duration_s * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    x = sum(np.sin(2 * np.pi * mains_hz * h * t) / h**1.5 for h in range(1, 8))
    return _to_int16(_scale_to_dbfs(np.asarray(x), level_dbfs))


def recording_defects(seed: int = 1) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    """Enrollment-style recordings with one defect each, and the validator reasons each must give.

    Every recording is built from one word-like utterance (0.6 s, -20 dBFS) with 0.5 s of quiet
    pink background on both sides; "clean" must pass every check.
    """

    def clean(level: float = -20.0, lead: float = 0.5, trail: float = 0.5, noise: float = -65.0, dur: float = 0.6):
        return take(word_like(dur, level, seed=seed), lead, trail, noise, seed=seed + 100)

    base = clean()
    speech = slice(round(0.5 * SAMPLE_RATE_HZ), round(1.1 * SAMPLE_RATE_HZ))

    def mixed(extra: np.ndarray) -> np.ndarray:
        return _to_int16(base.astype(np.float64) + extra[: base.size])

    tone_1k = tone(base.size / SAMPLE_RATE_HZ, 1000.0, -45.0)
    return {
        "clean": (base, ()),
        "clipped": (clipped(base, 12.0), ("clipped",)),
        "silent": (silence(1.0), ("no_speech",)),
        "too quiet": (clean(level=-50.0, noise=-95.0), ("too_quiet",)),
        "two words": (
            np.concatenate([clean(trail=0.25), take(word_like(0.6, -20, seed=seed + 1), 0.25, 0.5)]),
            ("multiple_utterances",),
        ),
        "truncated start": (clean(lead=0.02), ("truncated_start",)),
        "truncated end": (clean(trail=0.02), ("truncated_end",)),
        "5 dB SNR": (add_noise_at_snr(base, 5.0, speech, seed=seed + 2), ("low_snr",)),
        "DC offset": (_to_int16(base.astype(np.float64) + 1000.0), ("dc_offset",)),
        "8 kHz upsampled": (upsampled_from_8k(base), ("band_limited",)),
        "hum": (mixed(hum(base.size / SAMPLE_RATE_HZ, -42.0).astype(np.float64)), ("hum",)),
        "tone": (mixed(tone_1k.astype(np.float64)), ("tonal_noise",)),
        "too long": (clean(dur=1.8), ("too_long",)),
        "too short": (clean(dur=0.15), ("too_short",)),
    }


def write_speech_commands_tree(
    root: str | os.PathLike[str],
    speakers: Sequence[str],
    words: Sequence[str] = ("alexa", "other"),
    seed0: int = 0,
    level_dbfs: float = -22.0,
) -> list[Path]:
    """A synthetic corpus in the Speech Commands layout, for tests and examples:
    ``root/sc/<word>/<speaker>_nohash_0.wav`` (16 kHz, int16), one :func:`word_like` take of 0.6 s
    at ``level_dbfs`` dBFS with 0.3 s of -60 dBFS background each side. Word ``w`` of speaker
    ``s`` is drawn from seed ``seed0 + 500 w + s``, so every speaker and word differs.
    Returns the paths written."""
    import soundfile

    paths = []
    for s, speaker in enumerate(speakers):
        for w, word in enumerate(words):
            seed = seed0 + 500 * w + s
            path = Path(root) / "sc" / word / f"{speaker}_nohash_0.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(path, take(word_like(0.6, level_dbfs, seed=seed), 0.3, 0.3, -60, seed=seed), 16000,
                            subtype="PCM_16")  # fmt: skip
            paths.append(path)
    return paths
