"""Fingerprints of the C frontend's and validator's numerics, so caches and versions follow the code.

The feature cache and the dataset version id are keyed by the frontend *config*; the integer
code that turns a config and audio into features (csrc/) can change too, and a change that
moves one output bit must not reuse features cached under the old code, nor give a dataset
the old version id (invariant 3). :func:`numerics_fingerprint` runs the C frontend, through the
binding, on a fixed probe under several configs and hashes every int16 cepstrum and int8
feature. The probe is made with integer arithmetic only, so it is the same on every platform
and NumPy version; the configs reach every code path (pre-emphasis on and off, the FFT with and
without its radix-2 first pass, an odd window length, other hop, band and coefficient counts,
int8 saturation).

The ingest cache holds the C validator's verdicts and metrics, so :func:`validator_fingerprint`
does the same for the validator (an accepted utterance and probe slices that fail every check)
and keys ingest results and version ids likewise.

The numerics every dataset and cache before the fingerprints existed were made with are
:data:`BASELINE` and :data:`VALIDATOR_BASELINE`: for them :func:`numerics_key` and
:func:`validator_key` are None and ids and cache paths stay as they were, the way ``kwsc.train``
leaves later training options out of the model id when they are off.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

from kwsc.config import FrontendConfig

#: Frontend configs the probe runs under: the default, and one per other code path.
PROBE_CONFIGS = (
    FrontendConfig(),
    FrontendConfig(preemph_q15=31785),  # pre-emphasis 0.97
    FrontendConfig(window_samples=400, hop_samples=160, num_mel=32, num_ceps=10),
    FrontendConfig(
        window_samples=255, hop_samples=100, fft_size=256, mel_low_hz=100, mel_high_hz=4000, num_mel=20, num_ceps=12
    ),  # odd window length; 128-point complex FFT: an odd number of radix-2 stages
)

#: The fingerprint of the numerics every version id and feature cache made before the fingerprint (2026-11) has.
BASELINE = "cd4d8a74970c5ca273869191253a1327f1ee9d6dc27ee94cd88daf360e02a212"
#: The same for the C validator (:func:`validator_fingerprint`), whose verdicts and metrics the
#: ingest cache holds.
VALIDATOR_BASELINE = "537a6ea89de9409fb0e12cc49c188d794b28d7daaf2bd61122caca340bf42045"


def _mix32(k: np.ndarray) -> np.ndarray:
    """A 32-bit integer hash of each k (MurmurHash3's finaliser), uint64 arithmetic modulo 2^32."""
    mask = np.uint64(0xFFFFFFFF)
    h = (k * np.uint64(0x9E3779B1)) & mask
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & mask
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & mask
    h ^= h >> np.uint64(16)
    return h


def probe_pcm() -> np.ndarray:
    """The probe, int16 at 16 kHz, 18,300 samples (1.14 s): hashed white noise at full scale, -30
    and -66 dBFS (shifts of 0, 5 and 11 bits), a square wave (period 36 samples) over quiet noise,
    alternating int16 extremes, digital silence, then noise at -18 dBFS. Integer arithmetic only."""
    noise = (_mix32(np.arange(4000, dtype=np.uint64)) >> np.uint64(16)).astype(np.int64) - 32768
    square = np.where((np.arange(3000) // 18) % 2 == 0, 8000, -8000) + (noise[:3000] >> 8)
    extremes = np.where(np.arange(800) % 2 == 0, 32767, -32768)
    parts = [noise, noise >> 5, noise >> 11, square, extremes, np.zeros(1000, np.int64), noise[:1500] >> 3]
    return np.concatenate(parts).astype(np.int16)


def compute_numerics_fingerprint() -> str:
    """SHA-256 (hex) over the probe's int16 cepstra (Q6) and int8 features under every
    :data:`PROBE_CONFIGS` entry, with the configs themselves."""
    from kwsc.frontend import Frontend, QuantParams

    pcm = probe_pcm()
    digest = hashlib.sha256()
    for config in PROBE_CONFIGS:
        frontend = Frontend(config)
        ceps = frontend.process(pcm)
        n = config.num_ceps
        # c0 centred, scales that spread every coefficient over int8 and saturate its extremes.
        offsets = np.zeros(n, np.int32)
        offsets[0] = 6000
        quant = QuantParams(offsets, np.arange(n, dtype=np.int32) * 600 + 1200, -20)
        digest.update(repr(sorted(config.to_dict().items())).encode())
        digest.update(np.ascontiguousarray(ceps, "<i2").tobytes())
        digest.update(np.ascontiguousarray(frontend.quantize(ceps, quant), np.int8).tobytes())
    return digest.hexdigest()


@functools.cache
def numerics_fingerprint() -> str:
    """:func:`compute_numerics_fingerprint`, computed once per process (a few milliseconds)."""
    return compute_numerics_fingerprint()


def utterance_pcm() -> np.ndarray:
    """1.5 s of int16 audio the default validator accepts as one utterance: two bursts of probe
    noise (-18 dBFS) plus a square wave (period 40 samples) over a -66 dBFS floor, 0.3 s in.
    Integer arithmetic only."""
    noise = np.tile(probe_pcm()[:4000].astype(np.int64), 6)[:24000]
    gate = np.zeros(24000, np.int64)
    gate[5000:9000] = 1
    gate[12000:17000] = 1
    square = np.where((np.arange(24000) // 20) % 2 == 0, 6000, -6000)
    return ((noise >> 10) + gate * ((noise >> 3) + square)).astype(np.int16)


def compute_validator_fingerprint() -> str:
    """SHA-256 (hex) over the C validator's integer metrics and verdicts (default thresholds and
    frontend) on an accepted utterance and on slices of the probe that fail every way it knows
    (clipping, DC offset, no speech, too loud, too short, truncation, tonal noise)."""
    from kwsc.validate import validate_array

    probe = probe_pcm()
    clips = [utterance_pcm(), probe] + [probe[a:b] for a, b in ((0, 4000), (4000, 8000), (12000, 15800), (0, 300))]
    digest = hashlib.sha256()
    for pcm in clips:
        verdict = validate_array(pcm)
        digest.update(repr((verdict.status, verdict.reasons, sorted(verdict.raw.items()))).encode())
    return digest.hexdigest()


@functools.cache
def validator_fingerprint() -> str:
    """:func:`compute_validator_fingerprint`, computed once per process."""
    return compute_validator_fingerprint()


def _key(fingerprint: str, baseline: str) -> str | None:
    """A fingerprint's first 16 hex digits, or None while it equals its baseline."""
    return None if fingerprint == baseline else fingerprint[:16]


def numerics_key() -> str | None:
    """What keys feature caches and version ids: the frontend fingerprint's first 16 hex digits,
    or None while the numerics are :data:`BASELINE`'s."""
    return _key(numerics_fingerprint(), BASELINE)


def validator_key() -> str | None:
    """What keys ingest results and version ids: the validator fingerprint's first 16 hex digits,
    or None while it is :data:`VALIDATOR_BASELINE`."""
    return _key(validator_fingerprint(), VALIDATOR_BASELINE)


def changed_numerics() -> dict[str, str]:
    """``{"frontend_numerics": key, "validator_numerics": key}`` for the keys that are not None:
    what version ids and ingest keys add once C numerics differ from their baselines."""
    keys = {"frontend_numerics": numerics_key(), "validator_numerics": validator_key()}
    return {name: key for name, key in keys.items() if key is not None}
