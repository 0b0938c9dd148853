"""Augmentation: seeded, recorded variants of accepted clips, and SpecAugment at training time.

Two halves:

* :func:`plan` draws the *recipes* of all variants of one accepted clip. Every random number of
  variant ``i`` is a hash of ``(source sha256, i, config)`` (:func:`kwsc.sources.seed_from` over
  :meth:`AugmentConfig.draw_hash`, and SHA-256 below it rather than NumPy's generators, so a
  recipe does not change with the NumPy version), so a rebuild draws exactly the same recipes.
  A recipe is a JSON-able dict that records every choice (noise clip and offset, SNR, room,
  positions, gain, speed, pitch, warp, time shift): the manifest stores it and :func:`apply`
  needs nothing else.
* :func:`apply` turns a clip and a recipe into the variant's int16 samples; a pure function of
  its inputs (the same recipe and inputs give the same bytes, see "Determinism" below).

Processing order in :func:`apply` (16 kHz, float64 in [-1, 1) internally):

1. **speed** (factor ``s``; 1.1 = 10 % faster): soxr VHQ resampling from ``16000 * s`` Hz to
   16000 Hz, so duration becomes ``1 / s`` of the original and pitch and formants move with it
   (Kaldi/Ko et al. "speed perturbation"). Times in the clip, e.g. the speech span, scale by
   ``1 / s`` (:func:`variant_speech_span`).
2. **pitch** (``n`` semitones, factor ``r = 2 ** (n / 12)``): phase-vocoder time stretch to
   ``r`` times the duration (STFT 512 / hop 128, Hann, identity phase locking after Laroche and
   Dolson 1999), then soxr resampling by ``1 / r``: the duration is kept (to the sample) and every
   frequency, f0 and formants alike, moves by ``r``.
3. **VTL warp** (factor ``a``; > 1 = shorter vocal tract, formants up): per STFT frame the
   spectral envelope ("true envelope": iterated cepstral smoothing of the log magnitude, 24
   cepstral coefficients = 1.5 ms, so voices up to f0 ~ 330 Hz keep their harmonics out of it) is
   warped along frequency with the piecewise-linear VTLP map of Jaitly and Hinton (2013)
   (``f -> a f`` below a 4.8 kHz boundary, linear to Nyquist above it) and each bin is scaled by
   warped envelope / original envelope (limited to +-24 dB), phase kept. Only the envelope moves:
   the harmonics (f0) stay where they are, so warp and pitch are independent knobs. The RMS of the
   clip is restored afterwards.
4. **reverb**: a room impulse response from the image source method of pyroomacoustics
   (``ShoeBox``, frequency-flat absorption, no randomised ISM, no ray tracing, no air absorption),
   built here in float64 from the image sources (pyroomacoustics' own builder sums in float32
   over a thread count that depends on the machine; the fractional-delay filter is the same
   81-tap Hann-windowed sinc, and the same zero-phase 10 Hz high-pass follows). The output is the
   convolution advanced by the direct path's delay (the direct sound stays where the dry speech
   was; the tail runs past the end of the clip and is cut there, the length is kept) and scaled
   so the RMS over the speech span equals the dry clip's.
5. **noise**: the recipe's noise clip (``load_noise(sha256)``), read circularly from
   ``offset * len(noise)`` to the variant's length, scaled so that speech power / noise power,
   both measured over the (speed-scaled) speech span, is the recipe's SNR. Skipped when the
   speech span or the noise segment is silent.
6. **channel EQ** (``eq``: ``tilt_db_per_octave``, ``peak_hz``, ``peak_db``; off by default): the
   frequency response of a microphone and its housing, applied to speech and noise alike. The
   gain in dB is ``tilt * log2(f / 1 kHz)`` (f held within 100 Hz..8 kHz) plus a resonance or
   notch ``peak_db * exp(-log2(f / peak_hz)^2 / (2 * 0.5^2))`` (a Gaussian half an octave wide on a
   log-frequency axis), applied zero-phase as one real gain per FFT bin over the zero-padded clip
   (the padding holds the response's tails), then the RMS over the speech span is restored: the
   spectral shape changes, the level is the gain step's.
7. **band limit** (``bandlimit_hz``): a zero-phase low-pass (8th-order Butterworth, run forward
   and backward) at the recipe's cutoff, the channel of a cheap microphone, a telephone line or
   an 8 kHz recording: speech then carries no energy in the upper mel bands, which a model
   trained only on full-band TTS never sees.
8. **gain** (``gain_db`` dB), lowered if needed so the peak stays at or below
   ``peak_limit_dbfs`` (dBFS, 0 dBFS = 32768); then ``x * 32768``, rounded half to even and
   saturated to int16 (as in :func:`kwsc.ingest.to_int16`). With the default limit of -1 dBFS
   nothing saturates; a limit above 0 dBFS lets loud variants clip on purpose.

The time shift is *not* applied here: the feature stage places the window (with its own
jitter) and adds the recipe's ``shift_s`` (seconds, signed) to the window's position, so a
positive shift moves the window later and the speech earlier in it (kwsc.features.window_starts).
The variant's speech span for that placement is :func:`variant_speech_span`.

Determinism: all steps are float64 NumPy / SciPy FFTs (pocketfft, single-threaded), soxr and
the image source model of pyroomacoustics (deterministic for fixed parameters; its randomised
ISM is off). Nothing reads a global random state, a clock or a thread count, so the same recipe
and inputs give identical int16 output on a machine; across machines, libm and SIMD differences
may change a last bit of a float, which can move an int16 sample by one LSB.

:func:`spec_augment` masks time frames and feature coefficients of int8 feature windows at
training time (Park et al. 2019); its masks are never stored.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from kwsc.config import ConfigError, check_keys
from kwsc.sources import KINDS, canonical_json, seed_from

#: Bump when apply()'s output for the same recipe changes, or plan()'s recipes for the same
#: inputs do (it is part of every recipe, so caches keyed by the recipe are invalidated).
AUGMENT_VERSION = 2

SAMPLE_RATE_HZ = 16000
#: Augmentations that a source kind may enable (``augmentations`` in the config).
AUGMENTATIONS = ("speed", "pitch", "vtlp", "reverb", "noise", "eq", "bandlimit", "gain", "shift")

SPEED_OF_SOUND_M_S = 343.0
_FRAC_DELAY_TAPS = 81  # fractional-delay filter length of the RIR (as pyroomacoustics)
_RIR_HIGHPASS_HZ = 10.0  # high-pass applied to the RIR (as pyroomacoustics' default)
_WALL_MARGIN_M = 0.5  # minimum distance of source and microphone from any wall
_SOURCE_HEIGHT_M = (1.2, 1.9)  # standing / sitting talker's mouth
_MIC_HEIGHT_M = (0.7, 1.6)  # table, shelf, hand-held device
_STFT_SIZE = 512  # pitch and warp STFT: 32 ms Hann window
_STFT_HOP = 128  # 8 ms hop (75 % overlap)
_EQ_REFERENCE_HZ = 1000.0  # channel EQ: the tilt pivots here (0 dB)
_EQ_TILT_BAND_HZ = (100.0, 8000.0)  # the tilt is held constant outside this band
_EQ_PEAK_OCTAVES = 0.5  # standard deviation of the resonance on a log2-frequency axis
_EQ_PADDING = 4096  # zeros after the clip that take the zero-phase response's tails (256 ms)
_VTLP_BOUNDARY_HZ = 4800.0  # VTLP: linear warp below, linear to Nyquist above
_VTLP_LIFTER = 24  # cepstral coefficients of the spectral envelope
_VTLP_MAX_GAIN_DB = 24.0  # per-bin envelope ratio limit
_TRUE_ENVELOPE_ITERATIONS = 8

_DEFAULT_VARIANTS = (("tts", 4), ("real", 2), ("enroll", 8), ("noise", 0))
_DEFAULT_AUGMENTATIONS = (
    ("tts", ("speed", "pitch", "vtlp", "reverb", "noise", "eq", "bandlimit", "gain", "shift")),
    ("real", ("speed", "reverb", "noise", "eq", "bandlimit", "gain", "shift")),
    ("enroll", ("speed", "reverb", "noise", "eq", "bandlimit", "gain", "shift")),
    ("noise", ("gain", "shift")),
)
_RANGES = ("snr_db", "room_length_m", "room_width_m", "room_height_m", "absorption", "source_distance_m",
           "gain_db", "speed", "pitch_semitones", "vtlp", "bandlimit_hz", "eq_tilt_db_per_octave", "eq_peak_hz",
           "eq_peak_db")  # fmt: skip
_PROBABILITIES = ("noise_probability", "reverb_probability", "speed_probability", "pitch_probability",
                  "vtlp_probability", "bandlimit_probability", "eq_probability")  # fmt: skip
#: The channel EQ came after datasets were published. While it is off (probability 0) its
#: settings and its name in the kinds' lists stay out of the config's hashes, so the versions
#: built before it existed keep their ids (their variants are the same).
_EQ_FIELDS = ("eq_probability", "eq_tilt_db_per_octave", "eq_peak_hz", "eq_peak_db")
_SPEC_AUGMENT = ("time_masks", "time_mask_frames", "freq_masks", "freq_mask_coeffs")
_COUNTS = ("reverb_max_order", "seed", *_SPEC_AUGMENT)


@dataclass(frozen=True)
class AugmentConfig:
    """The ``[augment]`` table of a project config. Ranges are ``(low, high)``, drawn uniformly.

    Attributes:
        variants: variants per accepted clip, per source kind ("tts", "real", "enroll", "noise").
        augmentations: which of :data:`AUGMENTATIONS` apply, per source kind. By default TTS gets
            everything (pitch and VTL warp widen its few voices into more speaker-like variety);
            real and enrollment speech keep their speaker (no pitch, no warp); noise gets gain
            and shift only.
        snr_db: background noise SNR range in dB, measured over the speech span.
        noise_probability: chance that a variant gets background noise (needs a noise pool).
        reverb_probability: chance that a variant gets room reverberation.
        room_length_m, room_width_m, room_height_m: shoebox room dimensions in metres.
        absorption: energy absorption coefficient of the walls (0..1, frequency-flat); with the
            default rooms this is a Sabine RT60 of about 0.1..0.7 s.
        source_distance_m: talker-to-microphone distance in metres (shortened if the room is
            too small; the recipe records the actual positions).
        reverb_max_order: cap of the image source order. The order used is the one reaching the
            Sabine RT60 in the smallest dimension, up to this cap; beyond it the late tail decays
            too fast (a 6 x 4.5 x 3 m room, absorption 0.25, Sabine RT60 0.45 s, measures 0.34 s
            at order 20, 0.47 s at 30; the RIR takes 7.5 / 26 ms).
        bandlimit_probability: chance that a variant is low-passed (channel band limit).
        bandlimit_hz: range of the low-pass cutoff in Hz (3.4 kHz: telephone; 4 kHz: 8 kHz audio).
        eq_probability: chance that a variant gets a channel EQ (0, the default: never).
        eq_tilt_db_per_octave: range of the EQ's spectral tilt in dB per octave about 1 kHz.
        eq_peak_hz: range of the EQ resonance's centre in Hz (drawn uniformly in log frequency).
        eq_peak_db: range of the resonance's gain in dB (negative: a notch).
        gain_db: gain range in dB.
        peak_limit_dbfs: the gain is lowered so the variant's peak stays at or below this level
            (dBFS); above 0 lets loud variants saturate.
        speed: speed factor range (1.1 = 10 % faster and shorter, pitch up alike).
        speed_probability, pitch_probability, vtlp_probability: chance that a variant gets a
            speed / pitch / warp drawn from its range (otherwise 1.0 / 0 / 1.0).
        pitch_semitones: pitch shift range in semitones (duration kept).
        vtlp: vocal-tract-length warp factor range (> 1 moves formants up).
        max_combined_semitones: pitch and warp in the same direction are limited together:
            ``|pitch + 12 log2(warp)|`` beyond this (semitones) shrinks the warp (stacked shifts
            make the word unintelligible; see notes/tts-engines.md).
        shift_ms: maximum time shift in ms (recorded as ``shift_s``; applied by the feature stage).
        seed: extra seed: change it to draw a different set of variants from the same config.
        time_masks, time_mask_frames: SpecAugment time masks per window and maximum width of
            each in frames (width drawn uniformly from 0..max).
        freq_masks, freq_mask_coeffs: SpecAugment coefficient masks per window and maximum width
            of each in coefficients.
    """

    variants: tuple[tuple[str, int], ...] = _DEFAULT_VARIANTS
    augmentations: tuple[tuple[str, tuple[str, ...]], ...] = _DEFAULT_AUGMENTATIONS
    snr_db: tuple[float, float] = (0.0, 20.0)
    noise_probability: float = 0.8
    reverb_probability: float = 0.5
    room_length_m: tuple[float, float] = (3.0, 8.0)
    room_width_m: tuple[float, float] = (2.5, 6.0)
    room_height_m: tuple[float, float] = (2.4, 3.5)
    absorption: tuple[float, float] = (0.2, 0.7)
    source_distance_m: tuple[float, float] = (0.5, 3.0)
    reverb_max_order: int = 30
    bandlimit_probability: float = 0.3
    bandlimit_hz: tuple[float, float] = (3400.0, 7000.0)
    eq_probability: float = 0.0
    eq_tilt_db_per_octave: tuple[float, float] = (-3.0, 3.0)
    eq_peak_hz: tuple[float, float] = (300.0, 5000.0)
    eq_peak_db: tuple[float, float] = (-10.0, 10.0)
    gain_db: tuple[float, float] = (-6.0, 6.0)
    peak_limit_dbfs: float = -1.0
    speed: tuple[float, float] = (0.9, 1.1)
    speed_probability: float = 1.0
    pitch_semitones: tuple[float, float] = (-2.0, 2.0)
    pitch_probability: float = 1.0
    vtlp: tuple[float, float] = (0.92, 1.08)
    vtlp_probability: float = 1.0
    max_combined_semitones: float = 3.0
    shift_ms: float = 100.0
    seed: int = 0
    time_masks: int = 2
    time_mask_frames: int = 8
    freq_masks: int = 2
    freq_mask_coeffs: int = 2

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(f"augment.{message}")

        for kind, count in self.variants:
            need(kind in KINDS, f"variants: unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
            need(_is_int(count) and count >= 0, f"variants.{kind} must be a non-negative integer")
        for kind, names in self.augmentations:
            need(kind in KINDS, f"augmentations: unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
            for name in names:
                need(name in AUGMENTATIONS, f"augmentations.{kind}: unknown {name!r} ({', '.join(AUGMENTATIONS)})")
        for name in _RANGES:
            low, high = getattr(self, name)
            need(math.isfinite(low) and math.isfinite(high) and low <= high, f"{name} must be [low, high], low <= high")
        for name in _PROBABILITIES:
            need(0.0 <= getattr(self, name) <= 1.0, f"{name} must be in [0, 1]")
        for name in _COUNTS:
            need(_is_int(getattr(self, name)) and getattr(self, name) >= 0, f"{name} must be a non-negative integer")
        need(self.absorption[0] > 0.0 and self.absorption[1] <= 1.0, "absorption must be within (0, 1]")
        need(self.room_height_m[0] > 2 * _WALL_MARGIN_M, "room_height_m must exceed 1 m")
        need(self.room_length_m[0] > 2 * _WALL_MARGIN_M, "room_length_m must exceed 1 m")
        need(self.room_width_m[0] > 2 * _WALL_MARGIN_M, "room_width_m must exceed 1 m")
        need(self.source_distance_m[0] > 0.0, "source_distance_m must be positive")
        need(self.speed[0] >= 0.5 and self.speed[1] <= 2.0, "speed must be within [0.5, 2]")
        need(self.pitch_semitones[0] >= -12.0 and self.pitch_semitones[1] <= 12.0, "pitch_semitones within [-12, 12]")
        need(self.vtlp[0] >= 0.7 and self.vtlp[1] <= 1.4, "vtlp must be within [0.7, 1.4]")
        need(self.max_combined_semitones > 0.0, "max_combined_semitones must be positive")
        need(0.0 <= self.shift_ms <= 1000.0, "shift_ms must be within [0, 1000] ms")
        need(1 <= self.reverb_max_order <= 60, "reverb_max_order must be 1..60")
        need(self.bandlimit_hz[0] >= 1000.0 and self.bandlimit_hz[1] < SAMPLE_RATE_HZ / 2,
             "bandlimit_hz must be within [1000, 8000) Hz")  # fmt: skip
        need(max(abs(v) for v in self.eq_tilt_db_per_octave) <= 12.0,
             "eq_tilt_db_per_octave must be within [-12, 12] dB per octave")  # fmt: skip
        need(self.eq_peak_hz[0] >= 50.0 and self.eq_peak_hz[1] < SAMPLE_RATE_HZ / 2,
             "eq_peak_hz must be within [50, 8000) Hz")  # fmt: skip
        need(max(abs(v) for v in self.eq_peak_db) <= 24.0, "eq_peak_db must be within [-24, 24] dB")
        need(math.isfinite(self.peak_limit_dbfs), "peak_limit_dbfs must be a number")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AugmentConfig:
        """Build from an ``[augment]`` table; unknown keys are a :class:`ConfigError`.

        ``variants`` and ``augmentations`` are tables by kind (kinds not named keep their
        defaults), e.g. ``variants = {tts = 4, real = 2}``, ``augmentations = {real = ["noise"]}``;
        ranges are two-element arrays, e.g. ``snr_db = [0, 20]``.
        """
        check_keys(dict(data), {f.name for f in fields(cls)}, "augment")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "variants":
                table = _kind_table(value, key)
                values[key] = _merge(cls.variants, {k: _int(v, f"variants.{k}") for k, v in table.items()})
            elif key == "augmentations":
                table = _kind_table(value, key)
                lists = {}
                for kind, names in table.items():
                    if isinstance(names, str) or not isinstance(names, list | tuple):
                        raise ConfigError(f"augment.augmentations.{kind} must be a list of names")
                    lists[kind] = tuple(dict.fromkeys(str(n) for n in names))
                values[key] = _merge(cls.augmentations, lists)
            elif key in _RANGES:
                if isinstance(value, str) or not isinstance(value, list | tuple) or len(value) != 2:
                    raise ConfigError(f"augment.{key} must be a [low, high] pair")
                values[key] = (_float(value[0], key), _float(value[1], key))
            elif key in _COUNTS:
                values[key] = _int(value, key)
            else:
                values[key] = _float(value, key)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of all fields (``from_dict(to_dict())`` gives the same config)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "variants":
                out[f.name] = dict(value)
            elif f.name == "augmentations":
                out[f.name] = {kind: list(names) for kind, names in value}
            elif f.name in _RANGES:
                out[f.name] = [float(value[0]), float(value[1])]
            else:
                out[f.name] = value
        return out

    def identity_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` as the hashes see it: without the channel EQ's settings and its name in
        the kinds' lists while ``eq_probability`` is 0 (it does nothing then), so configs that
        predate it keep their hashes and dataset version ids."""
        values = self.to_dict()
        if self.eq_probability == 0.0:
            for name in _EQ_FIELDS:
                values.pop(name)
            values["augmentations"] = {
                kind: [n for n in names if n != "eq"] for kind, names in values["augmentations"].items()
            }
        return values

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the config (:meth:`identity_dict`) and AUGMENT_VERSION
        (for lineage)."""
        text = canonical_json({"augment": self.identity_dict(), "version": AUGMENT_VERSION})
        return hashlib.sha256(text.encode()).hexdigest()

    def draw_hash(self, kind: str) -> str:
        """SHA-256 of what the variants of source kind ``kind`` are drawn from: the config
        without the variant counts, the other kinds' augmentation lists, the SpecAugment
        settings and the channel EQ, plus ``kind`` and AUGMENT_VERSION. So raising a count keeps
        the variants already drawn (and cached), and editing another kind's list or SpecAugment
        (training time) redraws nothing; turning the EQ on or changing it adds or changes only
        the variants' ``eq`` entries (its draws have names of their own), so an EQ ablation keeps
        every other draw; any other change redraws every variant."""
        values = self.to_dict()
        for name in ("variants", *_SPEC_AUGMENT, *_EQ_FIELDS):
            values.pop(name)
        values["augmentations"] = sorted(self.enabled(kind) - {"eq"})
        text = canonical_json({"augment": values, "kind": kind, "version": AUGMENT_VERSION})
        return hashlib.sha256(text.encode()).hexdigest()

    def variant_count(self, kind: str) -> int:
        """Variants per accepted clip of source kind ``kind`` (0 for a kind not configured)."""
        return dict(self.variants).get(kind, 0)

    def enabled(self, kind: str) -> frozenset[str]:
        """The augmentations that apply to source kind ``kind``."""
        return frozenset(dict(self.augmentations).get(kind, ()))


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _int(value: Any, key: str) -> int:
    if not _is_int(value):
        raise ConfigError(f"augment.{key} must be an integer, got {value!r}")
    return int(value)


def _float(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"augment.{key} must be a number, got {value!r}")
    return float(value)


def _kind_table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"augment.{key} must be a table by source kind")
    unknown = sorted(set(value) - set(KINDS))
    if unknown:
        raise ConfigError(f"augment.{key}: unknown kind(s) {', '.join(unknown)} (kinds: {', '.join(KINDS)})")
    return dict(value)


def _merge(defaults: tuple[tuple[str, Any], ...], updates: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    merged = dict(defaults)
    merged.update(updates)
    return tuple((kind, merged[kind]) for kind in KINDS if kind in merged)


# --------------------------------------------------------------------------------------------
# Planning: recipes from hashes
# --------------------------------------------------------------------------------------------


def _uniform(seed: int, name: str) -> float:
    """A uniform number in [0, 1) named ``name`` within the variant of ``seed`` (SHA-256 based,
    independent of NumPy's generator algorithms and of the order of draws)."""
    digest = hashlib.sha256(f"kwsc.augment:{seed}:{name}".encode()).digest()
    return (int.from_bytes(digest[:8], "little") >> 11) / float(1 << 53)


def _between(seed: int, name: str, bounds: tuple[float, float]) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * _uniform(seed, name)


def _maybe(
    seed: int, enabled: bool, name: str, probability: float, bounds: tuple[float, float], neutral: float
) -> float:
    """A draw from ``bounds`` if the augmentation is enabled and its coin (``probability``) says so."""
    if enabled and _uniform(seed, f"{name}.on") < probability:
        return _between(seed, name, bounds)
    return float(neutral)


def sabine_rt60_s(room_dims_m: tuple[float, float, float] | list[float], absorption: float) -> float:
    """Sabine reverberation time (s) of a shoebox room (m) with uniform absorption (0..1)."""
    length, width, height = (float(d) for d in room_dims_m)
    volume = length * width * height
    surface = 2.0 * (length * width + length * height + width * height)
    return 0.161 * volume / (surface * absorption)


def _plan_room(seed: int, config: AugmentConfig) -> dict[str, Any]:
    dims = [
        round(_between(seed, "room.length", config.room_length_m), 3),
        round(_between(seed, "room.width", config.room_width_m), 3),
        round(_between(seed, "room.height", config.room_height_m), 3),
    ]
    absorption = round(_between(seed, "room.absorption", config.absorption), 4)
    lo = [_WALL_MARGIN_M] * 3
    hi = [d - _WALL_MARGIN_M for d in dims]
    mic = [
        lo[0] + (hi[0] - lo[0]) * _uniform(seed, "mic.x"),
        lo[1] + (hi[1] - lo[1]) * _uniform(seed, "mic.y"),
        min(hi[2], _between(seed, "mic.z", _MIC_HEIGHT_M)),
    ]
    z = min(hi[2], _between(seed, "source.z", _SOURCE_HEIGHT_M))
    distance = _between(seed, "source.distance", config.source_distance_m)
    horizontal = math.sqrt(max(distance**2 - (z - mic[2]) ** 2, 0.0))
    azimuth = 2.0 * math.pi * _uniform(seed, "source.azimuth")
    source = [
        min(max(mic[0] + horizontal * math.cos(azimuth), lo[0]), hi[0]),
        min(max(mic[1] + horizontal * math.sin(azimuth), lo[1]), hi[1]),
        z,
    ]
    rt60 = sabine_rt60_s(dims, absorption)
    order = math.ceil(SPEED_OF_SOUND_M_S * rt60 / min(dims))
    return {
        "room_dims_m": dims,
        "absorption": absorption,
        "source_m": [round(v, 3) for v in source],
        "mic_m": [round(v, 3) for v in mic],
        "max_order": int(min(max(order, 1), config.reverb_max_order)),
        "rt60_s": round(rt60, 4),  # Sabine, for people; apply() does not use it
    }


def plan(
    source_sha256: str, kind: str, label: str, config: AugmentConfig, noise_pool: list[str]
) -> list[dict[str, Any]]:
    """The recipes of all variants of one accepted clip (``config.variant_count(kind)`` of them).

    Args:
        source_sha256: PCM hash of the clip (its name in the store's audio cache).
        kind: source kind ("tts", "real", "enroll", "noise"): picks the count and augmentations.
        label: the clip's label (part of the build's call; the draws do not depend on it).
        config: the augment config.
        noise_pool: sha256 hashes of cached noise clips a variant may mix in (order does not
            matter: the pool is sorted; the clip itself is never picked).

    Returns:
        JSON-able recipes. Variant ``i`` is drawn from its ``seed`` = ``seed_from(source_sha256,
        i, config.draw_hash(kind))`` alone (and the noise pool), so a rebuild reproduces it and
        variant ``i`` does not depend on how many variants are drawn. An augmentation that does
        not apply has its neutral value (speed 1.0, pitch 0, vtlp 1.0, gain 0 dB, shift 0 s) or
        ``None`` (``reverb``, ``noise``). Recipe fields: ``version`` (AUGMENT_VERSION),
        ``index``, ``seed``, ``source_sha256``, ``speed`` (factor), ``pitch_semitones``,
        ``vtlp`` (warp factor), ``reverb`` (``room_dims_m`` [x, y, z], ``absorption``,
        ``source_m`` and ``mic_m`` positions [x, y, z] in m, ``max_order``, ``rt60_s`` Sabine
        estimate), ``noise`` (``sha256``, ``offset`` as a fraction 0..1 of the noise clip's
        length, ``snr_db``), ``bandlimit_hz`` (low-pass cutoff or ``None``), ``gain_db``,
        ``peak_limit_dbfs``, ``shift_s`` (s, signed); and ``eq`` (``tilt_db_per_octave``,
        ``peak_hz``, ``peak_db``) only in the variants that draw a channel EQ, so recipes
        without one are those of a config without the option.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown source kind {kind!r} (kinds: {', '.join(KINDS)})")
    enabled = config.enabled(kind)
    pool = sorted(set(noise_pool) - {source_sha256})
    draw_hash = config.draw_hash(kind)
    recipes = []
    for index in range(config.variant_count(kind)):
        seed = seed_from("kwsc.augment", source_sha256, index, draw_hash)
        speed = round(_maybe(seed, "speed" in enabled, "speed", config.speed_probability, config.speed, 1.0), 4)
        pitch = round(_maybe(seed, "pitch" in enabled, "pitch", config.pitch_probability, config.pitch_semitones, 0), 3)
        warp = _maybe(seed, "vtlp" in enabled, "vtlp", config.vtlp_probability, config.vtlp, 1.0)
        warp_st = 12.0 * math.log2(warp)
        if pitch * warp_st > 0 and abs(pitch + warp_st) > config.max_combined_semitones:
            warp = 2.0 ** (math.copysign(max(config.max_combined_semitones - abs(pitch), 0.0), pitch) / 12.0)
        warp = round(warp, 4)
        reverb = None
        if "reverb" in enabled and _uniform(seed, "reverb.on") < config.reverb_probability:
            reverb = _plan_room(seed, config)
        noise = None
        if "noise" in enabled and pool and _uniform(seed, "noise.on") < config.noise_probability:
            noise = {
                "sha256": pool[min(int(_uniform(seed, "noise.pick") * len(pool)), len(pool) - 1)],
                "offset": round(_uniform(seed, "noise.offset"), 6),
                "snr_db": round(_between(seed, "noise.snr", config.snr_db), 3),
            }
        bandlimit = None
        if "bandlimit" in enabled and _uniform(seed, "bandlimit.on") < config.bandlimit_probability:
            bandlimit = round(_between(seed, "bandlimit.hz", config.bandlimit_hz), 1)
        gain = round(_between(seed, "gain", config.gain_db), 3) if "gain" in enabled else 0.0
        shift = config.shift_ms / 1000.0
        shift_s = round(_between(seed, "shift", (-shift, shift)), 4) if "shift" in enabled else 0.0
        recipe: dict[str, Any] = {
            "version": AUGMENT_VERSION,
            "index": index,
            "seed": seed,
            "source_sha256": source_sha256,
            "speed": speed,
            "pitch_semitones": pitch,
            "vtlp": warp,
            "reverb": reverb,
            "noise": noise,
            "bandlimit_hz": bandlimit,
            "gain_db": gain,
            "peak_limit_dbfs": config.peak_limit_dbfs,
            "shift_s": shift_s,
        }
        if "eq" in enabled and _uniform(seed, "eq.on") < config.eq_probability:
            low_octave, high_octave = (math.log2(f) for f in config.eq_peak_hz)
            recipe["eq"] = {
                "tilt_db_per_octave": round(_between(seed, "eq.tilt", config.eq_tilt_db_per_octave), 3),
                "peak_hz": round(2.0 ** _between(seed, "eq.peak_hz", (low_octave, high_octave)), 1),
                "peak_db": round(_between(seed, "eq.peak_db", config.eq_peak_db), 3),
            }
        recipes.append(recipe)
    return recipes


def variant_speech_span(recipe: Mapping[str, Any], speech_span_s: tuple[float, float]) -> tuple[float, float]:
    """Where the speech span (s) of the source clip lies in the variant (s): scaled by 1 / speed
    (pitch, warp and reverb keep times; the shift is the feature stage's)."""
    speed = float(recipe.get("speed", 1.0))
    return (speech_span_s[0] / speed, speech_span_s[1] / speed)


def variant_samples(recipe: Mapping[str, Any], num_samples: int) -> int:
    """Length in samples of the variant of a clip of ``num_samples`` samples."""
    return _speed_length(num_samples, float(recipe.get("speed", 1.0)))


# --------------------------------------------------------------------------------------------
# Applying a recipe
# --------------------------------------------------------------------------------------------


def apply(
    pcm: np.ndarray,
    recipe: Mapping[str, Any],
    speech_span_s: tuple[float, float],
    load_noise: Callable[[str], np.ndarray],
) -> np.ndarray:
    """The variant of ``pcm`` (int16, 16 kHz, mono) that ``recipe`` describes, as int16.

    Args:
        pcm: the source clip's samples (int16, 16 kHz).
        recipe: one of :func:`plan`'s recipes.
        speech_span_s: (start, end) of speech in ``pcm``, in seconds (the validator's span);
            the SNR and the reverb level are measured over it (the whole clip if empty).
        load_noise: sha256 -> the cached noise clip's samples (int16, 16 kHz); called only if
            the recipe mixes noise.

    Returns:
        int16 samples, ``variant_samples(recipe, len(pcm))`` of them. See the module docstring
        for the order and the methods of the steps.
    """
    if pcm.ndim != 1:
        raise ValueError("apply: pcm must be mono (1-D)")
    if int(recipe.get("version", AUGMENT_VERSION)) != AUGMENT_VERSION:
        raise ValueError(f"apply: recipe version {recipe.get('version')} != {AUGMENT_VERSION}")
    x = _as_float(pcm)
    if x.size == 0:
        return np.zeros(0, dtype=np.int16)
    speed = float(recipe.get("speed", 1.0))
    if speed != 1.0:
        x = speed_perturb(x, speed)
    span = _span_samples(variant_speech_span(recipe, speech_span_s), x.size)
    pitch = float(recipe.get("pitch_semitones", 0.0))
    if pitch != 0.0:
        x = pitch_shift(x, pitch)
    warp = float(recipe.get("vtlp", 1.0))
    if warp != 1.0:
        x = vtl_warp(x, warp)
    room = recipe.get("reverb")
    if room:
        wet = np.asarray(fftconvolve_aligned(x, room_impulse_response(room)), dtype=np.float64)
        x = wet * _level_ratio(x, wet, span)
    noise = recipe.get("noise")
    if noise:
        x = mix_at_snr(x, _as_float(load_noise(str(noise["sha256"]))), float(noise["snr_db"]),
                       float(noise["offset"]), span)  # fmt: skip
    eq = recipe.get("eq")
    if eq:
        shaped = channel_eq(x, float(eq["tilt_db_per_octave"]), float(eq["peak_hz"]), float(eq["peak_db"]))
        x = shaped * _level_ratio(x, shaped, span)
    cutoff = recipe.get("bandlimit_hz")
    if cutoff:
        x = band_limit(x, float(cutoff))
    gain = 10.0 ** (float(recipe.get("gain_db", 0.0)) / 20.0)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    limit = 10.0 ** (float(recipe.get("peak_limit_dbfs", 0.0)) / 20.0)
    if peak * gain > limit:
        gain = limit / peak
    return _to_int16(x * gain)


def _as_float(samples: np.ndarray) -> np.ndarray:
    """int16 -> float64 / 32768; float input is taken as already in [-1, 1]."""
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise ValueError("audio must be mono (1-D)")
    if np.issubdtype(samples.dtype, np.integer):
        return samples.astype(np.float64) / 32768.0
    return samples.astype(np.float64)


def _to_int16(x: np.ndarray) -> np.ndarray:
    """float in [-1, 1) -> int16: * 32768, round half to even, saturate (as kwsc.ingest)."""
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype(np.int16)


def _span_samples(span_s: tuple[float, float], n: int) -> slice:
    start = min(max(round(span_s[0] * SAMPLE_RATE_HZ), 0), n)
    end = min(max(round(span_s[1] * SAMPLE_RATE_HZ), start), n)
    return slice(start, end) if end > start else slice(0, n)


def _speed_length(n: int, speed: float) -> int:
    return n if speed == 1.0 else round(n / speed)


def speed_perturb(x: np.ndarray, speed: float) -> np.ndarray:
    """``x`` (float, 16 kHz) played ``speed`` times faster: soxr VHQ resampling, length n / speed."""
    import soxr

    y = np.asarray(soxr.resample(x, SAMPLE_RATE_HZ * speed, SAMPLE_RATE_HZ, quality="VHQ"), dtype=np.float64)
    return _fit(y, _speed_length(x.size, speed))


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    """``y`` cut or zero-padded to ``n`` samples."""
    if y.size >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - y.size)])


def _stft(x: np.ndarray) -> np.ndarray:
    """Centered STFT (frames, bins): Hann window of _STFT_SIZE, hop _STFT_HOP, zero padded."""
    pad = _STFT_SIZE // 2
    padded = np.concatenate([np.zeros(pad), x, np.zeros(pad + _STFT_SIZE)])
    count = 1 + x.size // _STFT_HOP
    index = np.arange(count)[:, None] * _STFT_HOP + np.arange(_STFT_SIZE)[None, :]
    return np.fft.rfft(padded[index] * _hann(), axis=1)


def _istft(spectrum: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`_stft` (weighted overlap-add, Hann synthesis window), ``n`` samples."""
    frames = np.fft.irfft(spectrum, n=_STFT_SIZE, axis=1) * _hann()
    total = (spectrum.shape[0] - 1) * _STFT_HOP + _STFT_SIZE
    out = np.zeros(total)
    norm = np.zeros(total)
    window_sq = _hann() ** 2
    for i in range(spectrum.shape[0]):
        out[i * _STFT_HOP : i * _STFT_HOP + _STFT_SIZE] += frames[i]
        norm[i * _STFT_HOP : i * _STFT_HOP + _STFT_SIZE] += window_sq
    out = out / np.maximum(norm, 1e-3)
    pad = _STFT_SIZE // 2
    return _fit(out[pad:], n)


def _hann() -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(_STFT_SIZE) / _STFT_SIZE)  # periodic


def time_stretch(x: np.ndarray, factor: float) -> np.ndarray:
    """``x`` (float) made ``factor`` times as long at the same pitch: phase vocoder with
    identity phase locking (each bin keeps its phase offset to the spectral peak it belongs to)."""
    spectrum = _stft(x)
    n_frames, n_bins = spectrum.shape
    spectrum = np.concatenate([spectrum, np.zeros((2, n_bins), dtype=complex)])
    magnitude = np.abs(spectrum)
    phase = np.angle(spectrum)
    steps = np.arange(0.0, n_frames, 1.0 / factor)
    expected = 2.0 * np.pi * _STFT_HOP * np.arange(n_bins) / _STFT_SIZE
    accumulated = phase[0].copy()
    out = np.empty((steps.size, n_bins), dtype=complex)
    bins = np.arange(n_bins)
    for t, step in enumerate(steps):
        k = int(step)
        frac = step - k
        mag = (1.0 - frac) * magnitude[k] + frac * magnitude[k + 1]
        # identity phase locking: peaks take the vocoder phase, their neighbours keep their
        # analysis phase offset to the peak
        peaks = np.flatnonzero((mag[1:-1] > mag[:-2]) & (mag[1:-1] >= mag[2:])) + 1
        if peaks.size:
            edges = (peaks[:-1] + peaks[1:]) // 2
            owner = peaks[np.searchsorted(edges, bins, side="right")]
            out_phase = accumulated[owner] + phase[k] - phase[k][owner]
        else:
            out_phase = accumulated
        out[t] = mag * np.exp(1j * out_phase)
        delta = phase[k + 1] - phase[k] - expected
        delta -= 2.0 * np.pi * np.rint(delta / (2.0 * np.pi))
        accumulated = accumulated + expected + delta
    return _istft(out, round(x.size * factor))


def pitch_shift(x: np.ndarray, semitones: float) -> np.ndarray:
    """``x`` (float, 16 kHz) with every frequency moved by ``semitones``, duration kept: time
    stretch by r = 2 ** (semitones / 12), then soxr VHQ resampling by 1 / r."""
    import soxr

    ratio = 2.0 ** (semitones / 12.0)
    stretched = time_stretch(x, ratio)
    y = np.asarray(soxr.resample(stretched, SAMPLE_RATE_HZ * ratio, SAMPLE_RATE_HZ, quality="VHQ"), dtype=np.float64)
    return _fit(y, x.size)


def vtlp_map_hz(frequency_hz: np.ndarray, warp: float) -> np.ndarray:
    """The piecewise-linear VTLP frequency map (Hz -> Hz) of Jaitly and Hinton (2013)."""
    nyquist = SAMPLE_RATE_HZ / 2.0
    knee = _VTLP_BOUNDARY_HZ * min(warp, 1.0) / warp
    upper = nyquist - (nyquist - _VTLP_BOUNDARY_HZ * min(warp, 1.0)) / (nyquist - knee) * (nyquist - frequency_hz)
    return np.where(frequency_hz <= knee, warp * frequency_hz, upper)


def vtl_warp(x: np.ndarray, warp: float) -> np.ndarray:
    """``x`` (float, 16 kHz) with its spectral envelope warped by ``warp`` (> 1: formants up),
    harmonics and phase kept, RMS kept (see the module docstring)."""
    spectrum = _stft(x)
    n_bins = spectrum.shape[1]
    envelope = spectral_envelope(np.abs(spectrum))
    freqs = np.arange(n_bins) * (SAMPLE_RATE_HZ / _STFT_SIZE)
    source_hz = np.interp(freqs, vtlp_map_hz(freqs, warp), freqs)  # inverse map
    position = source_hz / (SAMPLE_RATE_HZ / _STFT_SIZE)
    low = np.minimum(np.floor(position).astype(int), n_bins - 2)
    frac = position - low
    warped = (1.0 - frac) * envelope[:, low] + frac * envelope[:, low + 1]
    limit = _VTLP_MAX_GAIN_DB / 20.0 * np.log(10.0)
    gain = np.exp(np.clip(warped - envelope, -limit, limit))
    y = _istft(spectrum * gain, x.size)
    return y * _level_ratio(x, y, slice(0, x.size))


def spectral_envelope(magnitude: np.ndarray) -> np.ndarray:
    """Natural-log spectral envelope of STFT magnitudes (frames, bins): the "true envelope"
    (Roebel and Rodet 2005), a cepstrally smoothed log magnitude (_VTLP_LIFTER coefficients)
    iterated to pass through the harmonic peaks rather than between them. Magnitudes more
    than 80 dB below a frame's peak are floored there."""
    floor = np.max(magnitude, axis=1, keepdims=True) * 1e-4 + 1e-12
    target = np.log(np.maximum(magnitude, floor))

    def smooth(log_mag: np.ndarray) -> np.ndarray:
        cepstrum = np.fft.irfft(log_mag, n=_STFT_SIZE, axis=1)
        cepstrum[:, _VTLP_LIFTER : _STFT_SIZE - _VTLP_LIFTER + 1] = 0.0
        return np.fft.rfft(cepstrum, axis=1).real

    envelope = smooth(target)
    for _ in range(_TRUE_ENVELOPE_ITERATIONS):
        target = np.maximum(target, envelope)
        envelope = smooth(target)
    return envelope


def _level_ratio(reference: np.ndarray, y: np.ndarray, span: slice) -> float:
    """Factor that gives ``y`` the RMS of ``reference`` over ``span`` (1 if either is silent)."""
    ref = float(np.mean(reference[span] ** 2)) if reference[span].size else 0.0
    now = float(np.mean(y[span] ** 2)) if y[span].size else 0.0
    return math.sqrt(ref / now) if ref > 0.0 and now > 0.0 else 1.0


def room_impulse_response(room: Mapping[str, Any]) -> tuple[np.ndarray, int]:
    """The RIR (float64, 16 kHz, direct path gain 1) of a recipe's room, and the index of its
    direct-path arrival. Image sources from pyroomacoustics' ShoeBox image source model; the
    impulse response is built here (see the module docstring)."""
    import pyroomacoustics as pra
    from scipy.signal import sosfiltfilt

    dims = [float(v) for v in room["room_dims_m"]]
    source = np.array([float(v) for v in room["source_m"]])
    mic = np.array([float(v) for v in room["mic_m"]])
    shoebox = pra.ShoeBox(
        dims,
        fs=SAMPLE_RATE_HZ,
        materials=pra.Material(float(room["absorption"])),
        max_order=int(room["max_order"]),
        air_absorption=False,
        ray_tracing=False,
        use_rand_ism=False,
    )
    shoebox.add_source(source.tolist())
    shoebox.add_microphone(mic.tolist())
    shoebox.image_source_model()
    images = np.asarray(shoebox.sources[0].images, dtype=np.float64)
    damping = np.asarray(shoebox.sources[0].damping, dtype=np.float64)[0]
    visible = np.asarray(shoebox.visibility[0][0], dtype=bool)
    distance = np.sqrt(np.sum((images[:, visible] - mic[:, None]) ** 2, axis=0))
    amplitude = damping[visible] / distance
    half = _FRAC_DELAY_TAPS // 2
    delay = distance / SPEED_OF_SOUND_M_S * SAMPLE_RATE_HZ + half
    whole = np.floor(delay).astype(np.int64)
    taps = np.arange(-half, half + 1)
    fraction = delay - whole
    # windowed sinc(k - f) = (-1)^(k+1) sin(pi f) / (pi (k - f)): one sine per image, not per tap;
    # an arrival exactly on a sample (f == 0) is a unit impulse at k == 0
    signed_window = np.hanning(_FRAC_DELAY_TAPS) * np.where(taps % 2 == 0, -1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kernels = (np.sin(np.pi * fraction) / np.pi * amplitude)[:, None] / (taps[None, :] - fraction[:, None])
    kernels *= signed_window[None, :]
    on_sample = np.flatnonzero(fraction == 0.0)
    kernels[on_sample] = 0.0
    kernels[on_sample, half] = amplitude[on_sample]
    positions = whole[:, None] + taps[None, :]
    rir = np.bincount(positions.ravel(), weights=kernels.ravel(), minlength=int(positions.max()) + 1)
    rir = sosfiltfilt(_rir_highpass(), rir)
    direct = float(np.linalg.norm(source - mic))
    direct_index = int(np.floor(direct / SPEED_OF_SOUND_M_S * SAMPLE_RATE_HZ + half))
    return rir * direct, direct_index


@functools.cache
def _rir_highpass() -> np.ndarray:
    """Second-order Butterworth high-pass at _RIR_HIGHPASS_HZ (sos), as pyroomacoustics applies."""
    from scipy.signal import butter

    return np.asarray(butter(2, _RIR_HIGHPASS_HZ, btype="highpass", fs=SAMPLE_RATE_HZ, output="sos"))


def fftconvolve_aligned(x: np.ndarray, rir: tuple[np.ndarray, int]) -> np.ndarray:
    """``x`` convolved with ``rir[0]``, advanced by the direct-path index ``rir[1]``, same length."""
    from scipy.signal import fftconvolve

    response, direct_index = rir
    wet = fftconvolve(x, response)
    return wet[direct_index : direct_index + x.size]


def band_limit(x: np.ndarray, cutoff_hz: float, rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """``x`` low-passed at ``cutoff_hz`` (Hz): 8th-order Butterworth, zero phase (forward and
    backward), so the speech span does not move."""
    from scipy.signal import butter, sosfiltfilt

    if x.size < 64:  # shorter than the filter's padding: nothing meaningful to filter
        return x
    return sosfiltfilt(butter(8, cutoff_hz, btype="low", fs=rate_hz, output="sos"), x)


def channel_eq_db(frequency_hz: np.ndarray, tilt_db_per_octave: float, peak_hz: float, peak_db: float) -> np.ndarray:
    """The channel EQ's gain in dB at ``frequency_hz`` (Hz): a tilt of ``tilt_db_per_octave`` dB
    per octave about 1 kHz (held constant below 100 Hz and above 8 kHz) plus a Gaussian
    resonance of ``peak_db`` dB at ``peak_hz`` Hz, half an octave wide (standard deviation)."""
    f = np.clip(np.asarray(frequency_hz, dtype=np.float64), *_EQ_TILT_BAND_HZ)
    octaves_from_peak = np.log2(f / peak_hz)
    return tilt_db_per_octave * np.log2(f / _EQ_REFERENCE_HZ) + peak_db * np.exp(
        -0.5 * (octaves_from_peak / _EQ_PEAK_OCTAVES) ** 2
    )


def channel_eq(
    x: np.ndarray, tilt_db_per_octave: float, peak_hz: float, peak_db: float, rate_hz: int = SAMPLE_RATE_HZ
) -> np.ndarray:
    """``x`` through the zero-phase channel EQ of :func:`channel_eq_db` (one real gain per FFT bin
    of the clip padded with ``_EQ_PADDING`` zeros, so the response's short tails fall in the
    padding instead of wrapping onto the clip). The length is kept; the level is not restored."""
    if x.size == 0:
        return x
    n = 1 << (x.size + _EQ_PADDING - 1).bit_length()  # the power of two >= clip + padding
    gain = 10.0 ** (channel_eq_db(np.fft.rfftfreq(n, 1.0 / rate_hz), tilt_db_per_octave, peak_hz, peak_db) / 20.0)
    return np.fft.irfft(np.fft.rfft(x, n) * gain, n)[: x.size]


def mix_at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float, offset: float, span: slice) -> np.ndarray:
    """``x`` plus ``noise`` (read circularly from ``offset`` (0..1) of its length, to ``x``'s
    length) scaled so that the power ratio over ``span`` is ``snr_db`` dB. Unchanged if the
    noise or the speech span is silent."""
    if noise.size == 0 or x.size == 0:
        return x
    start = min(int(offset * noise.size), noise.size - 1)
    segment = noise[(start + np.arange(x.size)) % noise.size]
    speech_power = float(np.mean(x[span] ** 2))
    noise_power = float(np.mean(segment[span] ** 2))
    if speech_power <= 0.0 or noise_power <= 0.0:
        return x
    return x + segment * math.sqrt(speech_power / (noise_power * 10.0 ** (snr_db / 10.0)))


# --------------------------------------------------------------------------------------------
# The build's unit of work: all variants of one clip, cached
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AugmentJob:
    """The variants of one accepted clip to produce (picklable, for the build's executor).

    Attributes:
        store: the store's root folder (audio in ``cache/audio``, results in ``cache/augmented``).
        source_sha256: the clip's PCM hash in the audio cache.
        speech_span_s: (start, end) of speech in the clip, in seconds (the validator's span).
        recipes: :func:`plan`'s recipes for the clip.
        sample_rate_hz: the store's audio rate in Hz (16000).
    """

    store: str
    source_sha256: str
    speech_span_s: tuple[float, float]
    recipes: tuple[Mapping[str, Any], ...]
    sample_rate_hz: int = SAMPLE_RATE_HZ


def variant_key(recipe: Mapping[str, Any], speech_span_s: tuple[float, float]) -> str:
    """Cache key of a variant: SHA-256 of its recipe (which names the source and noise clips by
    hash and carries AUGMENT_VERSION) and the speech span it is levelled over."""
    text = canonical_json({"recipe": dict(recipe), "speech_span_s": [float(v) for v in speech_span_s]})
    return hashlib.sha256(text.encode()).hexdigest()


def augment_clip(job: AugmentJob) -> list[tuple[str, int, bool]]:
    """Produce (or read from the cache) every variant of ``job``'s clip.

    Each variant's int16 samples go into the store's audio cache under their own sha256 (so the
    feature stage reads variants like any clip), and ``cache/augmented/<key>.json`` maps the
    :func:`variant_key` to it: a rebuild, or an interrupted one resumed, applies nothing twice.

    Returns:
        (variant sha256, length in samples, read from the cache) per recipe, in recipe order.
    """
    import json
    from pathlib import Path

    from kwsc.ingest import atomic_write_bytes, load_pcm, store_pcm

    root = Path(job.store)
    pcm: np.ndarray | None = None
    load_noise = functools.lru_cache(maxsize=8)(lambda sha: load_pcm(root, sha))
    out = []
    for recipe in job.recipes:
        key = variant_key(recipe, job.speech_span_s)
        record = root / "cache" / "augmented" / key[:2] / f"{key}.json"
        if record.is_file():
            data = json.loads(record.read_text())
            out.append((str(data["sha256"]), int(data["samples"]), True))
            continue
        if pcm is None:
            pcm = load_pcm(root, job.source_sha256)
        variant = apply(pcm, recipe, job.speech_span_s, load_noise)
        sha = store_pcm(root, variant, job.sample_rate_hz)
        atomic_write_bytes(record, json.dumps({"sha256": sha, "samples": int(variant.size)}).encode())
        out.append((sha, int(variant.size), False))
    return out


# --------------------------------------------------------------------------------------------
# SpecAugment (training time)
# --------------------------------------------------------------------------------------------


def spec_augment_masks(
    shape: tuple[int, ...], rng: np.random.Generator, config: AugmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """The masks :func:`spec_augment` applies to features of ``shape`` (windows, frames, coeffs).

    Returns:
        (time, freq): int arrays of shape (windows, time_masks, 2) and (windows, freq_masks, 2)
        holding (start, width) of each mask, in frames and coefficients. Widths are uniform in
        0..max (capped at the axis length), starts uniform over the positions where the mask fits.
    """
    windows, frames, coeffs = shape

    def draw(count: int, max_width: int, length: int) -> np.ndarray:
        width = rng.integers(0, min(max_width, length) + 1, size=(windows, count))
        start = np.floor(rng.random((windows, count)) * (length - width + 1)).astype(np.int64)
        return np.stack([start, width], axis=-1)

    return draw(config.time_masks, config.time_mask_frames, frames), draw(
        config.freq_masks, config.freq_mask_coeffs, coeffs
    )


def spec_augment(features: np.ndarray, rng: np.random.Generator, config: AugmentConfig, fill: int = 0) -> np.ndarray:
    """SpecAugment time and coefficient masks on feature windows, as a new array.

    Args:
        features: (windows, frames, coeffs) int8 features (a single (frames, coeffs) window is
            accepted too); not modified.
        rng: the training loop's generator (masks are drawn fresh each epoch, never stored).
        config: ``time_masks`` masks of up to ``time_mask_frames`` frames and ``freq_masks``
            masks of up to ``freq_mask_coeffs`` coefficients per window.
        fill: value written into masked cells: the features' quantized zero point (the int8
            value of 0.0), or the value that means "silence" to the model.

    Returns:
        An array of the same shape and dtype with the masked cells set to ``fill``.
    """
    array = np.asarray(features)
    single = array.ndim == 2
    if single:
        array = array[None]
    if array.ndim != 3:
        raise ValueError("spec_augment: features must be (windows, frames, coeffs)")
    _, frames, coeffs = array.shape
    time, freq = spec_augment_masks(array.shape, rng, config)
    masked = (_mask_rows(time, frames)[:, :, None]) | (_mask_rows(freq, coeffs)[:, None, :])
    if np.issubdtype(array.dtype, np.integer) and not np.iinfo(array.dtype).min <= fill <= np.iinfo(array.dtype).max:
        raise ValueError(f"spec_augment: fill {fill} does not fit {array.dtype}")
    out = np.where(masked, np.asarray(fill, dtype=array.dtype), array)
    return out[0] if single else out


def _mask_rows(masks: np.ndarray, length: int) -> np.ndarray:
    """(windows, count, 2) (start, width) -> (windows, length) bool, True inside any mask."""
    position = np.arange(length)[None, None, :]
    start = masks[:, :, 0:1]
    inside = (position >= start) & (position < start + masks[:, :, 1:2])
    return inside.any(axis=1)
