"""Accuracy of the fixed-point C frontend against the float64 reference.

Metric: SNR of C cepstra (int16 Q6 / 64) against reference cepstra, both in log2 units, over all
frames and coefficients ("total"), and per coefficient with the reference's mean over time
removed (so the large c0 cannot hide errors in the small high-order coefficients).

Floors and why: the int16 Q6 output alone has a rounding error of 1/64/sqrt(12) = 0.0045 log2
units RMS, which caps the per-coefficient SNR near 45-55 dB for these signals; everything before
it (31-bit block-normalised frame, Q31 window and twiddles, exact 64-bit energies, log2 table
error < 2e-4) is designed to stay below that. The floors sit 6-10 dB under what is measured
(bench/report_accuracy.py prints the numbers), so a lost bit anywhere in the chain fails here,
and far above the 30 dB the issue asks for on speech at -40 to -6 dBFS.
"""

from __future__ import annotations

import numpy as np
import pytest

import kwsc
from kwsc import reference, signals
from kwsc.frontend import CEPS_Q

SPEECH_LEVELS_DBFS = (-40, -26, -6)


def _measure(frontend: kwsc.Frontend, audio: np.ndarray) -> tuple[float, np.ndarray, float]:
    fixed = frontend.process(audio) / 2**CEPS_Q
    exact = reference.mfcc(audio, frontend.config)
    return (
        reference.snr_db(exact, fixed),
        reference.coefficient_snr_db(exact, fixed),
        float(np.abs(fixed - exact).max()),
    )


@pytest.mark.parametrize("level_dbfs", SPEECH_LEVELS_DBFS)
@pytest.mark.parametrize("seed", [0, 1])
def test_typical_speech_levels(frontend: kwsc.Frontend, level_dbfs: int, seed: int) -> None:
    total, per_coefficient, max_error = _measure(frontend, signals.speech_like(3.0, level_dbfs, seed=seed))
    assert total >= 65.0
    assert per_coefficient.min() >= 45.0, per_coefficient
    assert max_error <= 0.05  # log2 units (0.15 dB)


@pytest.mark.parametrize(
    "name",
    [
        "speech -60 dBFS",
        "white noise -30 dBFS",
        "pink noise -20 dBFS",
        "sine sweep -12 dBFS",
        "speech clipped +20 dB",
    ],
)
def test_corpus_signals(frontend: kwsc.Frontend, corpus: dict[str, np.ndarray], name: str) -> None:
    total, per_coefficient, max_error = _measure(frontend, corpus[name])
    assert total >= 60.0
    assert per_coefficient.min() >= 38.0, per_coefficient
    assert max_error <= 0.05


def test_quiet_tone(frontend: kwsc.Frontend, corpus: dict[str, np.ndarray]) -> None:
    """A -60 dBFS tone: cepstra are constant over time, so only the total SNR is meaningful."""
    total, _, max_error = _measure(frontend, corpus["tone 1 kHz -60 dBFS"])
    assert total >= 60.0
    assert max_error <= 0.05


def test_silence_is_exact(frontend: kwsc.Frontend, corpus: dict[str, np.ndarray]) -> None:
    fixed = frontend.process(corpus["silence"]) / 2**CEPS_Q
    assert np.array_equal(fixed, reference.mfcc(corpus["silence"], frontend.config))


def test_precision_does_not_depend_on_level(frontend: kwsc.Frontend) -> None:
    """Block floating point: the same speech at -60 dBFS and amplified by an exact power of two (to
    just below full scale) gives log-mel energies that differ by the gain alone wherever the band
    is above the floor: no precision is lost on quiet input."""
    quiet = signals.speech_like(2.0, -60, seed=7)
    shift = int(np.floor(np.log2(32767 / np.abs(quiet.astype(np.int64)).max())))
    assert shift >= 6  # at least 36 dB of gain
    loud = (quiet.astype(np.int64) << shift).astype(np.int16)
    lm_quiet = frontend.process_log_mel(quiet) / 2**16
    lm_loud = frontend.process_log_mel(loud) / 2**16
    above_floor = reference.log_mel(quiet) > 4
    assert np.abs((lm_loud - lm_quiet) - 2 * shift)[above_floor].max() < 0.002
