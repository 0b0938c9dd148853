"""Float64 NumPy reference of the kwsc frontend, for tests and documentation only.

It computes, without any quantisation, what the fixed-point C frontend approximates:

1. pre-emphasis ``y[n] = x[n] - a x[n-1]`` on the int16 sample values (``x[-1] = 0``);
2. frames of ``window_samples`` every ``hop_samples``, times a periodic Hann window,
   zero-padded to ``fft_size``;
3. power spectrum ``|X[k]|^2``;
4. unit-height triangular mel filters on the HTK mel scale between ``mel_low_hz`` and
   ``mel_high_hz`` (adjacent triangles sum to one between their centres);
5. ``log2(max(E, 2^LOG_FLOOR_LOG2))``, energies in squared int16 units;
6. orthonormal DCT-II, keeping ``num_ceps`` coefficients (log2 units).

The integer tables of the C frontend are generated from the float tables defined here
(:mod:`kwsc.tables`), so both sides share one definition of window, filters and DCT.

Relation to librosa (checked in tests/test_reference.py): with the input padded by
``(fft_size - window_samples) / 2`` zeros on both sides (librosa frames ``fft_size`` samples and
centres the shorter window in them), ``center=False``,
``window="hann"``, ``htk=True``, ``norm=None`` mel filters, ``power=2``, input scaled to [-1, 1)
by 1/32768, ``power_to_db(ref=1, amin=1e-10, top_db=None)`` and ``dct_type=2, norm="ortho"``:

    kwsc[i] = librosa[i] / (10 log10 2)                     for i >= 1
    kwsc[0] = librosa[0] / (10 log10 2) + 30 sqrt(num_mel)

(log2 vs dB is a scale; the 1/32768 input scaling is 30 log2 units on every band, which the
orthonormal DCT moves into c0 only), as long as no band falls below the floor.
"""

from __future__ import annotations

import numpy as np

from kwsc.config import FrontendConfig

#: Energies below 2**LOG_FLOOR_LOG2 (squared int16 units) are clamped; matches the C constant.
LOG_FLOOR_LOG2 = 0


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: ``2595 log10(1 + f / 700)``; ``hz`` in Hz."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`; returns Hz."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_points_hz(config: FrontendConfig) -> np.ndarray:
    """The ``num_mel + 2`` triangle corner frequencies in Hz, equally spaced in mel."""
    mels = np.linspace(hz_to_mel(config.mel_low_hz), hz_to_mel(config.mel_high_hz), config.num_mel + 2)
    points = mel_to_hz(mels)
    points[[0, -1]] = config.mel_low_hz, config.mel_high_hz  # exact edges, no round-trip drift
    return points


def window(config: FrontendConfig) -> np.ndarray:
    """Periodic Hann window of ``window_samples`` values, ``0.5 - 0.5 cos(2 pi n / L)``."""
    n = np.arange(config.window_samples, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / config.window_samples)


def mel_filterbank(config: FrontendConfig) -> np.ndarray:
    """Mel weights, shape ``(num_mel, fft_size // 2 + 1)``: unit-height triangles in Hz."""
    points = mel_points_hz(config)
    freqs = np.arange(config.fft_size // 2 + 1) * config.sample_rate_hz / config.fft_size
    weights = np.zeros((config.num_mel, freqs.size))
    for m in range(config.num_mel):
        lo, centre, hi = points[m], points[m + 1], points[m + 2]
        rising = (freqs - lo) / (centre - lo)
        falling = (hi - freqs) / (hi - centre)
        weights[m] = np.clip(np.minimum(rising, falling), 0.0, None)
    return weights


def dct_matrix(config: FrontendConfig) -> np.ndarray:
    """Orthonormal DCT-II rows 0..num_ceps-1, shape ``(num_ceps, num_mel)``."""
    m = config.num_mel
    i = np.arange(config.num_ceps)[:, None]
    k = np.arange(m)[None, :]
    d = np.sqrt(2.0 / m) * np.cos(np.pi * i * (k + 0.5) / m)
    d[0] = np.sqrt(1.0 / m)
    return d


def frames(pcm: np.ndarray, config: FrontendConfig) -> np.ndarray:
    """Pre-emphasised frames, shape ``(num_frames, window_samples)``, int16 units (float64)."""
    x = np.asarray(pcm, dtype=np.float64)
    a = config.preemph_q15 / 32768.0
    y = x - a * np.concatenate(([0.0], x[:-1])) if a else x
    count = config.frame_count(x.size)
    if count == 0:
        return np.zeros((0, config.window_samples))
    idx = np.arange(config.window_samples)[None, :] + config.hop_samples * np.arange(count)[:, None]
    return y[idx]


def power_spectrum(pcm: np.ndarray, config: FrontendConfig) -> np.ndarray:
    """``|X[k]|^2`` per frame, shape ``(num_frames, fft_size // 2 + 1)``, squared int16 units."""
    spectrum = np.fft.rfft(frames(pcm, config) * window(config), n=config.fft_size, axis=1)
    return spectrum.real**2 + spectrum.imag**2


def log_mel(pcm: np.ndarray, config: FrontendConfig | None = None) -> np.ndarray:
    """Log2 mel energies, shape ``(num_frames, num_mel)``, floored at ``LOG_FLOOR_LOG2``."""
    config = config or FrontendConfig()
    energy = power_spectrum(pcm, config) @ mel_filterbank(config).T
    return np.log2(np.maximum(energy, 2.0**LOG_FLOOR_LOG2))


def mfcc(pcm: np.ndarray, config: FrontendConfig | None = None) -> np.ndarray:
    """Cepstra in log2 units, shape ``(num_frames, num_ceps)``; C output / 64 approximates it."""
    config = config or FrontendConfig()
    return log_mel(pcm, config) @ dct_matrix(config).T


def snr_db(reference_values: np.ndarray, approximation: np.ndarray) -> float:
    """SNR in dB of ``approximation`` against ``reference_values``: power of the reference over
    power of the difference, both summed over all elements (inf when identical)."""
    reference_values = np.asarray(reference_values, dtype=np.float64)
    error = np.sum((np.asarray(approximation, dtype=np.float64) - reference_values) ** 2)
    signal = np.sum(reference_values**2)
    if error == 0:
        return float("inf")
    return float(10.0 * np.log10(signal / error)) if signal > 0 else float("-inf")


def coefficient_snr_db(reference_values: np.ndarray, approximation: np.ndarray) -> np.ndarray:
    """Per-column SNR in dB of frames x coefficients: the reference's variance over time (its
    mean removed, so a large constant c0 cannot hide errors) over the mean squared error.
    NaN where the reference is constant over time (variance < 1e-10), inf where exact."""
    reference_values = np.asarray(reference_values, dtype=np.float64)
    error = np.mean((np.asarray(approximation, dtype=np.float64) - reference_values) ** 2, axis=0)
    variance = np.var(reference_values, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = 10.0 * np.log10(variance / error)
    return np.where(variance < 1e-10, np.nan, snr)
