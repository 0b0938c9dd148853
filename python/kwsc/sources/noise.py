"""Non-speech inputs (label :data:`~kwsc.sources.NOISE`, kind "noise"): silence, noise, tones, babble.

Every item is generated from its recipe alone, with a seed derived from content (type, index and
the section seed), so the same config gives the same audio in any process, in any order.

Types (the section gives a count per type; group ``"noise:<type>:<index>"``, one per clip, since
noise has no speaker to keep together and per-type groups would leave splits without a type):

* ``silence``: digital silence (all zeros);
* ``dither``: near-silent white noise at ``dither_dbfs`` (default -96..-80 dBFS), like an idle
  converter's noise floor;
* ``white``, ``pink`` (power ~ 1/f), ``brown`` (power ~ 1/f^2): Gaussian noise shaped in the
  frequency domain; the shaping is flat below 20 Hz and DC is removed, so the level is audible
  sound rather than infrasonic drift;
* ``hum``: mains hum, 50 or 60 Hz (drawn) with 6 harmonics falling as h^-slope, slope drawn in
  0.5..2, random phases;
* ``tone``: a steady sine, frequency log-uniform in 100..4000 Hz;
* ``beep``: repeated beeps, frequency log-uniform in 400..3000 Hz, on 0.08..0.5 s, off 0.05..0.5 s,
  5 ms raised-cosine ramps;
* ``babble``: 3-6 overlapped speech recordings (e.g. TTS sentences), each trimmed of leading and
  trailing silence, looped to the clip's length, started at a random offset, at a random gain in
  -6..0 dB, summed. The talkers' recipes come from the caller (see :func:`items`), so this module
  knows nothing of TTS; the ``"babble"`` loader produces them with :func:`kwsc.sources.load_item`
  and resamples them to the clip's rate with soxr. Given talkers per split, a clip draws only
  from its own split's, so no voice of one split is heard in another's noise.

Levels are RMS over the whole clip in dBFS, ``20*log10(rms)`` with full scale 1.0 (a full-scale sine
is -3 dBFS), drawn uniformly from ``level_dbfs``; durations in seconds are drawn uniformly from
``duration_s`` (default 1..3 s) and rounded to whole milliseconds; samples are clipped to [-1, 1].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from kwsc.config import ConfigError
from kwsc.sources import NEGATIVE, NOISE, Audio, SourceContext, SourceItem, load_item, register_loader, seed_from

#: Noise types, in the order their items are listed.
NOISE_TYPES = ("silence", "dither", "white", "pink", "brown", "hum", "tone", "beep", "babble")

#: Keys of a noise section and their defaults (counts per type, ranges as [low, high]).
SECTION_DEFAULTS: dict[str, Any] = {
    "name": "noise",  # source name: item ids "<name>/<type>/<index>"
    "seed": None,  # None: the build seed (SourceContext.seed)
    "duration_s": (1.0, 3.0),  # seconds
    "level_dbfs": (-60.0, -20.0),  # RMS dBFS, for every type but silence and dither
    "dither_dbfs": (-96.0, -80.0),  # RMS dBFS of dither
    "sample_rate_hz": 16000,
    "babble_talkers": (3, 6),
    "silence": 10,
    "dither": 10,
    "white": 20,
    "pink": 20,
    "brown": 20,
    "hum": 10,
    "tone": 10,
    "beep": 10,
    "babble": None,  # None: 20 when the caller passes speech, else 0
}

#: Speech for babble: a list of recipes to draw talkers from, such lists per split name, or
#: ``speech(seed) -> recipe``.
SpeechSource = (
    Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Mapping[str, Any]]] | Callable[[int], Mapping[str, Any]]
)

_FLOOR_HZ = 20.0


# --------------------------------------------------------------------------- config


def _range(config: Mapping[str, Any], key: str, positive: bool = False) -> tuple[float, float]:
    """A [low, high] range (a single number means low == high)."""
    value = config[key]
    try:
        low, high = (float(value), float(value)) if isinstance(value, int | float) else map(float, value)
    except (TypeError, ValueError):
        raise ConfigError(f"noise.{key} must be a number or [low, high], got {value!r}") from None
    if low > high or (positive and low <= 0):
        raise ConfigError(f"noise.{key} must have {'0 < ' if positive else ''}low <= high, got {value!r}")
    return low, high


def _count(config: Mapping[str, Any], key: str) -> int:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"noise.{key} must be a count >= 0, got {value!r}")
    return value


def items(
    section: Mapping[str, Any],
    context: SourceContext,
    speech: SpeechSource | None = None,
    split_of: Callable[[str], str] | None = None,
) -> list[SourceItem]:
    """Noise items for a noise section (keys and defaults: :data:`SECTION_DEFAULTS`).

    Args:
        section: the config section; unknown keys raise ValueError (ConfigError).
        context: the build context (its seed is used when the section has none).
        speech: talkers for babble. Either a sequence of JSON-able recipes (any loader, e.g. TTS
            recipes ``{"loader": "tts", ...}``), from which each babble clip draws 3-6 distinct
            ones (with repeats only if fewer are given), or a callable ``speech(seed: int) ->
            recipe`` called once per talker with a content-derived 63-bit seed (it must be
            deterministic), or a mapping from split name to such a list: each babble clip then
            draws from the list of its own split, ``split_of(group)``, and records that split as
            ``talker_split`` in its recipe (a split without talkers gives the clip none, and the
            loader rejects it). Babble defaults to 20 clips when speech is given and to 0 when it
            is not; asking for babble without speech raises ValueError.
        split_of: a clip's split from its group; needed when ``speech`` is a mapping.
    """
    unknown = sorted(set(section) - set(SECTION_DEFAULTS))
    if unknown:
        raise ConfigError(f"noise: unknown key(s) {', '.join(unknown)} (known: {', '.join(SECTION_DEFAULTS)})")
    config = {**SECTION_DEFAULTS, **section}
    name = str(config["name"])
    seed = context.seed if config["seed"] is None else int(config["seed"])
    durations = _range(config, "duration_s", positive=True)
    levels = _range(config, "level_dbfs")
    dither_levels = _range(config, "dither_dbfs")
    talkers = tuple(int(v) for v in _range(config, "babble_talkers", positive=True))
    rate = config["sample_rate_hz"]
    if isinstance(rate, bool) or not isinstance(rate, int) or not 8000 <= rate <= 48000:
        raise ConfigError(f"noise.sample_rate_hz must be an integer 8000..48000, got {rate!r}")
    if config["babble"] is None:
        config["babble"] = 0 if speech is None else 20
    counts = {kind: _count(config, kind) for kind in NOISE_TYPES}
    if counts["babble"] and speech is None:
        raise ConfigError(
            "noise.babble needs speech recipes: pass speech= (the build passes TTS recipes) or set babble = 0"
        )
    per_split = isinstance(speech, Mapping)
    if counts["babble"] and not callable(speech) and not (any(speech.values()) if per_split else speech):
        raise ConfigError("noise.babble: the speech recipe list is empty")
    if counts["babble"] and per_split and split_of is None:
        raise ConfigError("noise.babble: talkers given per split need split_of")

    out = []
    for kind in NOISE_TYPES:
        for index in range(counts[kind]):
            group = f"noise:{kind}:{index:04d}"  # each clip its own group: balanced splits
            item_seed = seed_from("noise", kind, index, seed)
            rng = np.random.default_rng(item_seed)
            duration = round(float(rng.uniform(*durations)), 3)
            recipe: dict[str, Any] = {
                "loader": "babble" if kind == "babble" else "noise",
                "type": kind,
                "duration_s": duration,
                "sample_rate_hz": rate,
                "seed": item_seed,
            }
            if kind == "dither":
                recipe["level_dbfs"] = round(float(rng.uniform(*dither_levels)), 1)
            elif kind != "silence":
                recipe["level_dbfs"] = round(float(rng.uniform(*levels)), 1)
            if kind == "hum":
                recipe["mains_hz"] = float(rng.choice([50.0, 60.0]))
                recipe["harmonic_slope"] = round(float(rng.uniform(0.5, 2.0)), 2)
            elif kind == "tone":
                recipe["frequency_hz"] = round(float(np.exp(rng.uniform(np.log(100.0), np.log(4000.0)))), 1)
            elif kind == "beep":
                recipe["frequency_hz"] = round(float(np.exp(rng.uniform(np.log(400.0), np.log(3000.0)))), 1)
                recipe["beep_s"] = round(float(rng.uniform(0.08, 0.5)), 3)
                recipe["gap_s"] = round(float(rng.uniform(0.05, 0.5)), 3)
            elif kind == "babble":
                assert speech is not None
                pool = speech
                if per_split:
                    assert split_of is not None
                    recipe["talker_split"] = split_of(group)
                    pool = speech.get(recipe["talker_split"], ())
                n = int(rng.integers(talkers[0], talkers[1] + 1))
                recipe["parts"] = _talkers(pool, n, rng, item_seed)
                recipe["gains_db"] = [round(float(g), 1) for g in rng.uniform(-6.0, 0.0, n)]
                recipe["offsets_s"] = [round(float(o), 3) for o in rng.uniform(0.0, duration, n)]
            meta = {k: v for k, v in recipe.items() if k not in ("loader", "parts", "seed")}
            meta["noise_type"] = meta.pop("type")
            out.append(
                SourceItem(
                    id=f"{name}/{kind}/{index:04d}",
                    source=name,
                    kind="noise",
                    label=NOISE,
                    group=group,
                    origin=f"noise:{kind}",
                    recipe=recipe,
                    meta=meta,
                )
            )
    return out


def _talkers(speech: SpeechSource, n: int, rng: np.random.Generator, item_seed: int) -> list[dict[str, Any]]:
    """``n`` talker recipes for one babble clip."""
    if callable(speech):
        return [dict(speech(seed_from("babble-talker", item_seed, t))) for t in range(n)]
    pool = list(speech)
    if not pool:
        return []
    picks = rng.choice(len(pool), size=n, replace=len(pool) < n)
    return [dict(pool[int(i)]) for i in picks]


# --------------------------------------------------------------------------- generators


def _scale(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    """``x`` scaled to RMS ``level_dbfs`` (full scale 1.0), clipped to [-1, 1]."""
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    if rms == 0.0:
        return x
    return np.clip(x * (10.0 ** (level_dbfs / 20.0) / rms), -1.0, 1.0)


def _coloured(rng: np.random.Generator, n: int, rate: int, exponent: float) -> np.ndarray:
    """Gaussian noise with power spectrum ~ 1/f^exponent (flat below 20 Hz, no DC)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    if exponent:
        freqs = np.fft.rfftfreq(n, 1.0 / rate)
        spectrum /= np.maximum(freqs, _FLOOR_HZ) ** (exponent / 2.0)
    spectrum[0] = 0.0
    return np.fft.irfft(spectrum, n=n)


def _beeps(n: int, rate: int, frequency_hz: float, beep_s: float, gap_s: float) -> np.ndarray:
    """A beep pattern (on ``beep_s``, off ``gap_s``) with 5 ms raised-cosine ramps."""
    t = np.arange(n) / rate
    on = np.zeros(n)
    period = max(1, round((beep_s + gap_s) * rate))
    length = max(1, round(beep_s * rate))
    ramp = min(length // 2, round(0.005 * rate))
    envelope = np.ones(length)
    if ramp:
        rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        envelope[:ramp] = rise
        envelope[length - ramp :] = rise[::-1]
    for start in range(0, n, period):
        stop = min(n, start + length)
        on[start:stop] = envelope[: stop - start]
    return on * np.sin(2 * np.pi * frequency_hz * t)


def generate(recipe: Mapping[str, Any]) -> np.ndarray:
    """Mono float64 samples of a ``"noise"`` recipe (every type but babble)."""
    kind = recipe["type"]
    rate = int(recipe["sample_rate_hz"])
    n = round(float(recipe["duration_s"]) * rate)
    rng = np.random.default_rng(int(recipe["seed"]))
    if kind == "silence":
        return np.zeros(n)
    if kind in ("dither", "white"):
        x = rng.standard_normal(n)
    elif kind in ("pink", "brown"):
        x = _coloured(rng, n, rate, 1.0 if kind == "pink" else 2.0)
    elif kind == "hum":
        t = np.arange(n) / rate
        mains, slope = float(recipe["mains_hz"]), float(recipe["harmonic_slope"])
        phases = rng.uniform(0.0, 2 * np.pi, 7)
        x = sum(np.sin(2 * np.pi * mains * h * t + phases[h - 1]) / h**slope for h in range(1, 8))
        x = np.asarray(x, dtype=np.float64)
    elif kind == "tone":
        t = np.arange(n) / rate
        x = np.sin(2 * np.pi * float(recipe["frequency_hz"]) * t + rng.uniform(0.0, 2 * np.pi))
    elif kind == "beep":
        x = _beeps(n, rate, float(recipe["frequency_hz"]), float(recipe["beep_s"]), float(recipe["gap_s"]))
    else:
        raise ValueError(f"noise: unknown type {kind!r} (known: {', '.join(NOISE_TYPES)})")
    return _scale(x, float(recipe["level_dbfs"]))


@register_loader("noise")
def load_noise(item: SourceItem) -> Audio:
    """Audio of a ``"noise"`` recipe: (samples, 1) float64 at ``recipe["sample_rate_hz"]``."""
    return Audio(generate(item.recipe)[:, None], int(item.recipe["sample_rate_hz"]))


# --------------------------------------------------------------------------- babble


def _mono_at(audio: Audio, rate: int) -> np.ndarray:
    """Mono float64 samples of ``audio`` at ``rate`` Hz (soxr resampling when needed)."""
    x = np.asarray(audio.samples, dtype=np.float64)
    x = x.mean(axis=1) if x.ndim == 2 else x
    if audio.sample_rate_hz != rate and x.size:
        import soxr

        x = soxr.resample(x, audio.sample_rate_hz, rate)
    return np.asarray(x, dtype=np.float64)


def _trim(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` without leading/trailing parts quieter than 40 dB below its loudest 10 ms."""
    frame = max(1, rate // 100)
    frames = x.size // frame
    if frames == 0:
        return x
    energy = np.sqrt(np.mean(x[: frames * frame].reshape(frames, frame) ** 2, axis=1))
    loud = np.flatnonzero(energy > energy.max() * 0.01)
    if loud.size == 0:
        return x[:0]
    return x[loud[0] * frame : (loud[-1] + 1) * frame]


@register_loader("babble")
def load_babble(item: SourceItem) -> Audio:
    """Mix a babble recipe's talkers (see the module docstring); (samples, 1) float64.

    Each part is produced with :func:`kwsc.sources.load_item` (its errors propagate, so the build
    rejects the clip with the talker's reason); silent talkers are left out, and a clip whose
    talkers are all silent raises ValueError.
    """
    recipe = item.recipe
    rate = int(recipe["sample_rate_hz"])
    n = round(float(recipe["duration_s"]) * rate)
    if not recipe["parts"]:
        raise ValueError(f"{item.id}: babble: no talkers in its split ({recipe.get('talker_split', '?')})")
    mix = np.zeros(n)
    voices = 0
    talkers = zip(recipe["parts"], recipe["gains_db"], recipe["offsets_s"], strict=True)
    for k, (part, gain, offset) in enumerate(talkers):
        talker = SourceItem(
            id=f"{item.id}/talker{k}",
            source=item.source,
            kind="tts",
            label=NEGATIVE,
            group=item.group,
            origin=str(part.get("loader")),
            recipe=dict(part),
        )
        x = _trim(_mono_at(load_item(talker), rate), rate)
        rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
        if rms == 0.0:
            continue
        looped = np.resize(x / rms, n)  # repeats x to n samples
        mix += np.roll(looped, round(float(offset) * rate)) * 10.0 ** (float(gain) / 20.0)
        voices += 1
    if voices == 0:
        raise ValueError(f"{item.id}: babble: every talker was silent")
    return Audio(_scale(mix, float(recipe["level_dbfs"]))[:, None], rate)
