"""Augmentation (kwsc.augment): seeded recipes, what each perturbation does to the audio, SpecAugment.

All audio is generated (kwsc.signals and harmonic tones here); nothing is downloaded.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from kwsc import augment, signals
from kwsc.augment import AugmentConfig
from kwsc.config import ConfigError

RATE = signals.SAMPLE_RATE_HZ
SOURCE = "ab" * 32
NOISES = {f"{i:02d}" * 32: signals.pink_noise(2.0 + i, -30.0, seed=40 + i) for i in range(3)}
#: every augmentation on, always
FULL = AugmentConfig.from_dict({"noise_probability": 1.0, "reverb_probability": 1.0})


def _clip(
    lead_s: float = 0.2, trail_s: float = 0.2, level_dbfs: float = -20.0, seed: int = 3
) -> tuple[np.ndarray, tuple[float, float]]:
    """A word-like utterance (0.6 s) with quiet background around it, and its span (s)."""
    word = signals.word_like(0.6, level_dbfs, seed=seed)
    return signals.take(word, lead_s, trail_s, -80.0, seed=seed + 1), (lead_s, lead_s + 0.6)


def _recipe(**fields: Any) -> dict[str, Any]:
    """A recipe that changes nothing, with ``fields`` replaced."""
    base = {"version": augment.AUGMENT_VERSION, "index": 0, "seed": 0, "source_sha256": SOURCE, "speed": 1.0,
            "pitch_semitones": 0.0, "vtlp": 1.0, "reverb": None, "noise": None, "bandlimit_hz": None, "gain_db": 0.0,
            "peak_limit_dbfs": 0.0, "shift_s": 0.0}  # fmt: skip
    return {**base, **fields}


def _harmonic(
    f0_hz: float, duration_s: float = 1.0, formants_hz: tuple[float, ...] = (), top_hz: float = 7800.0
) -> np.ndarray:
    """A harmonic tone (float, peak 0.3) with harmonics up to ``top_hz``: equal, or shaped by
    formants (Hz) of realistic bandwidths (80, 120, 160 Hz)."""
    t = np.arange(round(duration_s * RATE)) / RATE
    x = np.zeros(t.size)
    for h in range(1, int(top_hz / f0_hz) + 1):
        f = h * f0_hz
        weight = (
            1.0
            if not formants_hz
            else sum(1 / (1 + ((f - c) / b) ** 2) for c, b in zip(formants_hz, (80, 120, 160), strict=True))
        )
        x += weight * np.sin(2 * np.pi * f * t)
    return 0.3 * x / np.max(np.abs(x))


def _peak_hz(x: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Frequency (Hz) of the largest spectral peak in [low, high] of the middle 0.5 s, 0.06 Hz bins."""
    middle = x[x.size // 2 - RATE // 4 : x.size // 2 + RATE // 4]
    size = 1 << 18
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(middle.size), size))
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    band = (freqs > low_hz) & (freqs < high_hz)
    return float(freqs[band][np.argmax(spectrum[band])])


def _centroid_hz(x: np.ndarray) -> float:
    power = np.abs(np.fft.rfft(x)) ** 2
    return float(np.sum(power * np.fft.rfftfreq(x.size, 1 / RATE)) / np.sum(power))


def _db(a: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(a.astype(np.float64) ** 2)))


# ------------------------------------------------------------------------------------ config


def test_config_round_trip_and_defaults() -> None:
    config = AugmentConfig.from_dict({"variants": {"tts": 3}, "snr_db": [5, 15], "augmentations": {"real": ["noise"]}})
    assert config.variant_count("tts") == 3 and config.variant_count("real") == 2  # unnamed kinds keep defaults
    assert config.enabled("real") == {"noise"} and "pitch" in config.enabled("tts")
    assert config.snr_db == (5.0, 15.0)
    assert AugmentConfig.from_dict(config.to_dict()) == config
    assert json.loads(json.dumps(config.to_dict())) == config.to_dict()
    assert config.content_hash() != AugmentConfig().content_hash()
    assert AugmentConfig.from_dict({}) == AugmentConfig()


@pytest.mark.parametrize(
    "table",
    [
        {"snr": [0, 20]},  # unknown key
        {"variants": {"tss": 4}},  # unknown kind
        {"augmentations": {"tts": ["echo"]}},  # unknown augmentation
        {"snr_db": [20, 0]},  # low > high
        {"snr_db": 10},  # not a pair
        {"noise_probability": 1.5},
        {"variants": {"tts": -1}},
        {"variants": {"tts": 2.5}},
        {"absorption": [0.0, 0.5]},
        {"time_masks": "two"},
        {"eq_probability": -0.1},
        {"eq_tilt_db_per_octave": [-20, 3]},
        {"eq_peak_hz": [300, 9000]},
        {"eq_peak_db": [-30, 0]},
    ],
)
def test_bad_config_raises(table: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        AugmentConfig.from_dict(table)


# ------------------------------------------------------------------------------------ plan


def test_plan_is_deterministic_and_json() -> None:
    pool = list(NOISES)
    first = augment.plan(SOURCE, "tts", "alexa", FULL, pool)
    assert len(first) == FULL.variant_count("tts") == 4
    assert augment.plan(SOURCE, "tts", "alexa", FULL, pool[::-1]) == first  # pool order does not matter
    assert json.loads(json.dumps(first)) == first
    assert len({json.dumps(r, sort_keys=True) for r in first}) == len(first)  # index -> different variant
    assert len({r["seed"] for r in first}) == len(first)
    other = augment.plan("cd" * 32, "tts", "alexa", FULL, pool)
    assert all(a["seed"] != b["seed"] and a["speed"] != b["speed"] for a, b in zip(first, other, strict=True))
    changed = AugmentConfig.from_dict({**FULL.to_dict(), "snr_db": [3, 9]})
    assert all(
        a["seed"] != b["seed"] for a, b in zip(first, augment.plan(SOURCE, "tts", "x", changed, pool), strict=True)
    )
    # more variants, another kind's list or SpecAugment settings: the variants already drawn stay
    more = AugmentConfig.from_dict({**FULL.to_dict(), "variants": {"tts": 6}, "time_masks": 1,
                                    "augmentations": {"real": ["gain"]}})  # fmt: skip
    assert augment.plan(SOURCE, "tts", "alexa", more, pool)[:4] == first
    for recipe in first:
        assert recipe["noise"]["sha256"] in NOISES and 0 <= recipe["noise"]["offset"] < 1
        room = recipe["reverb"]
        assert all(
            0.5 - 1e-9 <= p <= d - 0.5 + 1e-9 for p, d in zip(room["source_m"], room["room_dims_m"], strict=True)
        )
        assert all(0.5 - 1e-9 <= p <= d - 0.5 + 1e-9 for p, d in zip(room["mic_m"], room["room_dims_m"], strict=True))
        assert abs(recipe["shift_s"]) <= 0.1


def test_plan_ranges_kinds_and_limits() -> None:
    recipes = [r for i in range(60) for r in augment.plan(f"{i:064x}", "tts", "alexa", FULL, list(NOISES))]
    config = FULL
    for key, (low, high) in (("speed", config.speed), ("pitch_semitones", config.pitch_semitones),
                             ("vtlp", config.vtlp), ("gain_db", config.gain_db)):  # fmt: skip
        values = [r[key] for r in recipes]
        assert low <= min(values) and max(values) <= high and max(values) - min(values) > 0.5 * (high - low)
    snrs = [r["noise"]["snr_db"] for r in recipes]
    assert config.snr_db[0] <= min(snrs) and max(snrs) <= config.snr_db[1]
    assert len({r["noise"]["sha256"] for r in recipes}) == len(NOISES)
    for r in recipes:  # pitch and warp in the same direction are limited together
        combined = r["pitch_semitones"] + 12 * np.log2(r["vtlp"])
        if r["pitch_semitones"] * np.log2(r["vtlp"]) > 0:
            assert abs(combined) <= config.max_combined_semitones + 0.01
    # real speech keeps its speaker by default; noise clips get no variants; no pool -> no noise
    real = augment.plan(SOURCE, "real", "alexa", FULL, list(NOISES))
    assert len(real) == 2 and all(r["pitch_semitones"] == 0 and r["vtlp"] == 1.0 for r in real)
    assert augment.plan(SOURCE, "noise", "_noise", FULL, list(NOISES)) == []
    assert all(r["noise"] is None for r in augment.plan(SOURCE, "tts", "alexa", FULL, []))
    assert all(r["noise"] is None for r in augment.plan(next(iter(NOISES)), "tts", "x", FULL, [next(iter(NOISES))]))
    half = AugmentConfig.from_dict({"reverb_probability": 0.5, "noise_probability": 0.0})
    many = [r for i in range(50) for r in augment.plan(f"{i:064x}", "tts", "a", half, list(NOISES))]
    assert 0.35 < np.mean([r["reverb"] is not None for r in many]) < 0.65
    assert all(r["noise"] is None for r in many)


# ------------------------------------------------------------------------------------ apply


def test_apply_is_deterministic_and_index_matters() -> None:
    pcm, span = _clip()
    recipes = augment.plan(SOURCE, "tts", "alexa", FULL, list(NOISES))
    outputs = []
    for recipe in recipes:
        once = augment.apply(pcm, recipe, span, NOISES.__getitem__)
        twice = augment.apply(pcm.copy(), json.loads(json.dumps(recipe)), span, NOISES.__getitem__)
        assert once.dtype == np.int16 and once.size == augment.variant_samples(recipe, pcm.size)
        assert once.tobytes() == twice.tobytes()
        outputs.append(once.tobytes())
    assert len(set(outputs)) == len(outputs)
    assert augment.apply(pcm, _recipe(), span, NOISES.__getitem__).tobytes() == pcm.tobytes()  # identity


def test_rir_is_deterministic_and_matches_pyroomacoustics() -> None:
    import pyroomacoustics as pra

    room = {"room_dims_m": [6.0, 4.5, 3.0], "absorption": 0.3, "source_m": [2.0, 1.5, 1.6], "mic_m": [4.0, 3.0, 1.1],
            "max_order": 12}  # fmt: skip
    rir, direct_index = augment.room_impulse_response(room)
    again, _ = augment.room_impulse_response(room)
    assert rir.tobytes() == again.tobytes()
    assert np.argmax(np.abs(rir)) in (direct_index, direct_index + 1)
    shoebox = pra.ShoeBox(room["room_dims_m"], fs=RATE, materials=pra.Material(0.3), max_order=12)
    shoebox.add_source(room["source_m"])
    shoebox.add_microphone(room["mic_m"])
    shoebox.compute_rir()
    reference = shoebox.rir[0][0] * np.linalg.norm(np.subtract(room["source_m"], room["mic_m"]))
    n = min(reference.size, rir.size)
    assert np.sqrt(np.mean((rir[:n] - reference[:n]) ** 2) / np.mean(reference[:n] ** 2)) < 0.01


@pytest.mark.parametrize("snr_db", [0.0, 7.5, 20.0])
def test_noise_is_mixed_at_the_snr_of_the_speech_span(snr_db: float) -> None:
    pcm, span = _clip(0.5, 0.5, level_dbfs=-35.0)
    # pink noise with a white burst 15 dB louder at 1.0..1.3 s; read from 1.0 s (offset 0.25 of
    # 4 s) the burst lies before the speech span, and only the span's power may count
    noise = signals.pink_noise(4.0, -40.0, seed=2)
    noise[RATE : RATE + RATE * 3 // 10] = signals.white_noise(0.3, -25.0, seed=1)
    recipe = _recipe(noise={"sha256": "n", "offset": 0.25, "snr_db": snr_db}, speed=1.05, peak_limit_dbfs=6.0)
    noisy = augment.apply(pcm, recipe, span, lambda sha: noise).astype(np.float64)
    clean = augment.apply(pcm, {**recipe, "noise": None}, span, lambda sha: noise).astype(np.float64)
    start, end = (round(t * RATE) for t in augment.variant_speech_span(recipe, span))
    measured = _db(clean[start:end]) - _db((noisy - clean)[start:end])
    assert abs(measured - snr_db) < 0.5
    assert _db((noisy - clean)[: RATE * 3 // 10]) > _db((noisy - clean)[start:end]) + 10  # the burst, before it


def test_short_noise_is_looped_from_its_offset() -> None:
    x = np.full(1000, 0.1)
    noise = np.sin(np.arange(300) / 7.0)  # 300 samples, read from 0.5 * 300 = 150 on, wrapping
    mixed = augment.mix_at_snr(x, noise, 10.0, 0.5, slice(0, 1000))
    added = mixed - x
    expected = noise[(150 + np.arange(1000)) % 300]
    scale = added[0] / expected[0]
    assert np.allclose(added, expected * scale)
    assert 10 * np.log10(np.mean(x**2) / np.mean(added**2)) == pytest.approx(10.0, abs=1e-9)
    assert np.array_equal(augment.mix_at_snr(x, np.zeros(300), 10.0, 0.5, slice(0, 1000)), x)  # silent noise


def test_speed_changes_duration_and_times_by_the_factor() -> None:
    pcm, span = _clip(0.3, 0.5)
    for speed in (0.9, 1.1):
        out = augment.apply(pcm, _recipe(speed=speed), span, NOISES.__getitem__)
        assert out.size == round(pcm.size / speed)

        def energy_centre(x: np.ndarray) -> float:
            power = x.astype(np.float64) ** 2
            return float(np.sum(power * np.arange(x.size)) / np.sum(power) / RATE)

        assert abs(energy_centre(out) - energy_centre(pcm) / speed) < 0.002
        assert augment.variant_speech_span(_recipe(speed=speed), span) == pytest.approx((0.3 / speed, 0.9 / speed))
    tone = signals.tone(1.0, 1000.0, -12.0)
    assert _peak_hz(augment.apply(tone, _recipe(speed=1.1), (0, 1), dict.get).astype(float), 500, 2000) == (
        pytest.approx(1100.0, abs=1.0)
    )


@pytest.mark.parametrize("semitones", [-2.0, 1.0, 2.0])
def test_pitch_keeps_duration_and_moves_f0(semitones: float) -> None:
    tone = augment._to_int16(_harmonic(200.0, top_hz=6000.0))  # nothing shifted past Nyquist
    out = augment.apply(tone, _recipe(pitch_semitones=semitones), (0.0, 1.0), NOISES.__getitem__)
    assert out.size == tone.size
    expected = 200.0 * 2 ** (semitones / 12)
    assert _peak_hz(out.astype(float), 120, 300) == pytest.approx(expected, rel=0.003)
    assert abs(_db(out) - _db(tone)) < 0.2  # level kept
    # a burst keeps its place in time (duration, not just length, is kept)
    burst = np.zeros(RATE)
    burst[6000:10000] = _harmonic(200.0, 0.25)
    shifted = augment.pitch_shift(burst, semitones)
    envelope = np.convolve(shifted**2, np.ones(160) / 160, "same")
    inside = np.flatnonzero(envelope > 0.5 * envelope.max())
    assert abs(inside[0] - 6000) < 200 and abs(inside[-1] - 10000) < 200


@pytest.mark.parametrize("f0_hz", [110.0, 220.0])
def test_warp_moves_formants_and_keeps_f0(f0_hz: float) -> None:
    vowel = augment._to_int16(_harmonic(f0_hz, formants_hz=(500.0, 1500.0, 2500.0)))
    centroid = _centroid_hz(vowel.astype(float))
    up = augment.apply(vowel, _recipe(vtlp=1.08), (0.0, 1.0), NOISES.__getitem__).astype(float)
    down = augment.apply(vowel, _recipe(vtlp=0.92), (0.0, 1.0), NOISES.__getitem__).astype(float)
    assert _centroid_hz(up) > centroid + 40 and _centroid_hz(down) < centroid - 40
    for out in (up, down):
        assert out.size == vowel.size
        assert _peak_hz(out, 0.8 * f0_hz, 1.2 * f0_hz) == pytest.approx(f0_hz, abs=0.5)  # harmonics stay
        assert abs(_db(out) - _db(vowel)) < 0.1  # level kept
    speech = signals.speech_like(1.0, -26.0, seed=2)
    assert _centroid_hz(augment.apply(speech, _recipe(vtlp=1.08), (0, 1), dict.get).astype(float)) > _centroid_hz(
        speech.astype(float)
    )


def test_reverb_adds_a_decaying_tail_and_keeps_the_speech_in_place() -> None:
    pcm, span = _clip(0.3, 0.6)
    room = {"room_dims_m": [7.0, 5.0, 3.0], "absorption": 0.25, "source_m": [2.0, 2.0, 1.6], "mic_m": [4.5, 3.0, 1.0],
            "max_order": 20}  # fmt: skip
    wet = augment.apply(pcm, _recipe(reverb=room), span, NOISES.__getitem__).astype(np.float64)
    dry = pcm.astype(np.float64)
    assert wet.size == dry.size
    end = round(span[1] * RATE)
    tail = slice(end + 800, end + 4800)  # 50..300 ms after the source stops
    assert _db(wet[tail]) > _db(dry[tail]) + 20
    late = slice(end + 3200, end + 4800)
    early = slice(end + 800, end + 2400)
    assert _db(wet[early]) > _db(wet[late]) + 3  # and it decays
    lags = np.arange(-40, 41)
    correlation = [np.dot(dry[1000:-1000], np.roll(wet, -lag)[1000:-1000]) for lag in lags]
    assert abs(lags[int(np.argmax(correlation))]) <= 1  # direct path aligned with the dry speech
    speech = slice(round(span[0] * RATE), end)
    assert abs(_db(wet[speech]) - _db(dry[speech])) < 0.1  # level over the speech span kept


def test_gain_is_exact_in_db_and_the_peak_limit_holds() -> None:
    pcm, span = _clip()
    for gain_db in (-6.0, 3.5, 6.0):
        out = augment.apply(pcm, _recipe(gain_db=gain_db), span, NOISES.__getitem__)
        assert _db(out) - _db(pcm) == pytest.approx(gain_db, abs=0.01)
    loud = augment.apply(pcm, _recipe(gain_db=30.0, peak_limit_dbfs=-1.0), span, NOISES.__getitem__)
    assert np.max(np.abs(loud.astype(np.int32))) <= round(32768 * 10 ** (-1 / 20))
    clipped = augment.apply(pcm, _recipe(gain_db=30.0, peak_limit_dbfs=40.0), span, NOISES.__getitem__)
    assert clipped.max() == 32767 and clipped.min() == -32768  # saturated, not wrapped


def test_band_limit_removes_the_band_above_the_cutoff_and_keeps_the_rest() -> None:
    t = np.arange(RATE) / RATE
    low, high = np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 6000 * t)
    pcm = np.round((low + high) * 0.3 * 32767).astype(np.int16)
    out = augment.apply(pcm, _recipe(bandlimit_hz=3400.0), (0.0, 1.0), NOISES.__getitem__).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(out[2000:-2000] * np.hanning(RATE - 4000)))
    in_band, above = spectrum[round(1000 * (RATE - 4000) / RATE)], spectrum[round(6000 * (RATE - 4000) / RATE)]
    assert 20 * np.log10(in_band / above) > 60  # 6 kHz gone, 1 kHz kept
    assert np.corrcoef(out, low)[0, 1] > 0.999  # zero phase: the kept tone does not move
    recipes = [r for i in range(200) for r in augment.plan(f"{i:064x}", "tts", "a", FULL, list(NOISES))]
    cutoffs = [r["bandlimit_hz"] for r in recipes if r["bandlimit_hz"] is not None]
    assert 0.2 < len(cutoffs) / len(recipes) < 0.4  # bandlimit_probability 0.3
    assert FULL.bandlimit_hz[0] <= min(cutoffs) and max(cutoffs) <= FULL.bandlimit_hz[1]


def test_channel_eq_off_keeps_the_hashes_and_recipes_of_configs_before_it() -> None:
    # The SHA-256 of the default config before the channel EQ existed: dataset version ids
    # built with it must not change while the EQ is off.
    assert AugmentConfig().content_hash() == "4499a7885fb4e3f2be7ee6f60775c65db560e4aa45eac884c91a9a215e7abad3"
    assert AugmentConfig().draw_hash("tts").startswith("e0ea9d02")
    assert (
        "eq" in AugmentConfig().enabled("tts") and "eq" not in AugmentConfig().identity_dict()["augmentations"]["tts"]
    )
    assert all("eq" not in r for r in augment.plan(SOURCE, "tts", "alexa", FULL, list(NOISES)))
    # moving the ranges of an EQ that is off changes nothing; turning it on changes the hash
    moved = AugmentConfig.from_dict({"eq_peak_db": [-3, 3]})
    assert moved.content_hash() == AugmentConfig().content_hash() and moved != AugmentConfig()
    assert AugmentConfig.from_dict({"eq_probability": 0.5}).content_hash() != AugmentConfig().content_hash()


def test_channel_eq_is_drawn_apart_from_every_other_choice() -> None:
    on = AugmentConfig.from_dict({**FULL.to_dict(), "eq_probability": 0.5})
    for i in range(40):
        plain = augment.plan(f"{i:064x}", "tts", "a", FULL, list(NOISES))
        with_eq = augment.plan(f"{i:064x}", "tts", "a", on, list(NOISES))
        for a, b in zip(plain, with_eq, strict=True):
            assert {k: v for k, v in b.items() if k != "eq"} == a  # the other draws are kept
    recipes = [r for i in range(200) for r in augment.plan(f"{i:064x}", "tts", "a", on, list(NOISES))]
    eqs = [r["eq"] for r in recipes if "eq" in r]
    assert 0.4 < len(eqs) / len(recipes) < 0.6
    for key, (low, high) in (("tilt_db_per_octave", on.eq_tilt_db_per_octave), ("peak_hz", on.eq_peak_hz),
                             ("peak_db", on.eq_peak_db)):  # fmt: skip
        values = [e[key] for e in eqs]
        assert low <= min(values) and max(values) <= high and max(values) - min(values) > 0.5 * (high - low)
    centres = np.log2([e["peak_hz"] for e in eqs])  # uniform in log frequency: median near the geometric mean
    assert abs(np.median(centres) - np.mean(np.log2(on.eq_peak_hz))) < 0.4
    assert any("eq" in r for i in range(10) for r in augment.plan(f"{i:064x}", "real", "a", on, list(NOISES)))
    noise_variants = AugmentConfig.from_dict({"eq_probability": 1.0, "variants": {"noise": 2}})
    drawn = augment.plan(SOURCE, "noise", "_noise", noise_variants, [])
    assert len(drawn) == 2 and all("eq" not in r for r in drawn)  # noise clips: gain and shift only


@pytest.mark.parametrize(("tilt", "peak_hz", "peak_db"), [(2.0, 2000.0, 0.0), (-3.0, 500.0, 8.0), (0.0, 4000.0, -9.0)])
def test_channel_eq_shapes_tones_as_its_curve_and_keeps_the_level(tilt: float, peak_hz: float, peak_db: float) -> None:
    t = np.arange(RATE) / RATE
    tones_hz = (250.0, 1000.0, 4000.0)
    pcm = np.round(sum(np.sin(2 * np.pi * f * t) for f in tones_hz) * 0.2 * 32767).astype(np.int16)
    recipe = _recipe(eq={"tilt_db_per_octave": tilt, "peak_hz": peak_hz, "peak_db": peak_db})
    out = augment.apply(pcm, recipe, (0.0, 1.0), NOISES.__getitem__).astype(np.float64)
    inner = slice(2000, RATE - 2000)
    spectrum = np.abs(np.fft.rfft(out[inner] * np.hanning(RATE - 4000)))
    before = np.abs(np.fft.rfft(pcm[inner] * np.hanning(RATE - 4000)))
    bins = [round(f * (RATE - 4000) / RATE) for f in tones_hz]
    change_db = np.array([20 * np.log10(spectrum[b] / before[b]) for b in bins])
    expected_db = augment.channel_eq_db(np.array(tones_hz), tilt, peak_hz, peak_db)
    # the level is restored afterwards, so the curve holds up to one common offset
    assert np.allclose(change_db - change_db[1], expected_db - expected_db[1], atol=0.05)
    assert _db(out) == pytest.approx(_db(pcm), abs=0.05)
    lags = np.arange(-40, 41)
    xcorr = [np.dot(out[inner], np.roll(pcm.astype(np.float64), lag)[inner]) for lag in lags]
    assert lags[int(np.argmax(xcorr))] == 0  # zero phase: nothing moves in time
    assert augment.apply(pcm, recipe, (0.0, 1.0), NOISES.__getitem__).tobytes() == out.astype(np.int16).tobytes()


# ------------------------------------------------------------------------------------ SpecAugment


def test_spec_augment_masks_counts_and_widths_and_nothing_else() -> None:
    config = AugmentConfig.from_dict({"time_masks": 2, "time_mask_frames": 6, "freq_masks": 1, "freq_mask_coeffs": 3})
    features = np.random.default_rng(0).integers(-100, 101, size=(300, 49, 13)).astype(np.int8)
    before = features.copy()
    out = augment.spec_augment(features, np.random.default_rng(7), config, fill=-128)
    time, freq = augment.spec_augment_masks(features.shape, np.random.default_rng(7), config)
    assert np.array_equal(features, before) and out.dtype == np.int8 and out.shape == features.shape
    assert time.shape == (300, 2, 2) and freq.shape == (300, 1, 2)
    assert time[..., 1].max() == 6 and time[..., 1].min() == 0 and freq[..., 1].max() == 3
    assert np.all(time[..., 0] + time[..., 1] <= 49) and np.all(freq[..., 0] + freq[..., 1] <= 13)
    expected = np.zeros(features.shape, dtype=bool)
    for w in range(features.shape[0]):
        for start, width in time[w]:
            expected[w, start : start + width, :] = True
        for start, width in freq[w]:
            expected[w, :, start : start + width] = True
    assert np.array_equal(out == -128, expected)
    assert np.array_equal(out[~expected], features[~expected])
    single = augment.spec_augment(features[0], np.random.default_rng(7), config, fill=-128)
    one_time, one_freq = augment.spec_augment_masks((1, 49, 13), np.random.default_rng(7), config)
    assert single.shape == (49, 13)
    for start, width in one_time[0]:
        assert np.all(single[start : start + width] == -128)
    for start, width in one_freq[0]:
        assert np.all(single[:, start : start + width] == -128)
    off = AugmentConfig.from_dict({"time_masks": 0, "freq_masks": 0})
    assert np.array_equal(augment.spec_augment(features, np.random.default_rng(1), off), features)
    with pytest.raises(ValueError):
        augment.spec_augment(features, np.random.default_rng(1), config, fill=200)
