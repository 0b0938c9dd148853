"""The C frontend's numerics fingerprint (kwsc.numerics): what it covers and what it keys."""

from __future__ import annotations

import numpy as np
import pytest

from kwsc import numerics
from kwsc.frontend import Frontend


def test_probe_is_integer_made_and_reaches_every_level() -> None:
    pcm = numerics.probe_pcm()
    assert pcm.dtype == np.int16 and np.array_equal(pcm, numerics.probe_pcm())
    assert pcm.min() == -32768 and pcm.max() == 32767  # full scale and the extremes
    peaks = [np.abs(pcm[k : k + 4000].astype(np.int32)).max() for k in (0, 4000, 8000)]
    assert peaks == [32768, 1024, 16]  # 0, 5 and 11 bits down
    assert not pcm[15800:16800].any()  # digital silence
    for config in numerics.PROBE_CONFIGS:  # every config gives frames of the probe
        assert len(Frontend(config).process(pcm)) >= 50
    assert {c.fft_size for c in numerics.PROBE_CONFIGS} == {256, 512}  # the FFT with and without its radix-2 pass
    assert any(c.preemph_q15 for c in numerics.PROBE_CONFIGS)
    assert any(c.window_samples % 2 for c in numerics.PROBE_CONFIGS)


def test_fingerprint_moves_with_any_output_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    reference = numerics.compute_numerics_fingerprint()
    assert len(reference) == 64 and reference == numerics.numerics_fingerprint()
    process, quantize = Frontend.process, Frontend.quantize

    def one_cepstrum_off(self: Frontend, pcm: np.ndarray) -> np.ndarray:
        ceps = process(self, pcm)
        if self.config.num_ceps == 10:  # in one config only
            ceps[30, 9] += 1
        return ceps

    monkeypatch.setattr(Frontend, "process", one_cepstrum_off)
    assert numerics.compute_numerics_fingerprint() != reference
    monkeypatch.setattr(Frontend, "process", process)

    def one_int8_off(self: Frontend, ceps: np.ndarray, params: object) -> np.ndarray:
        q = quantize(self, ceps, params)
        q[0, 0] ^= 1
        return q

    monkeypatch.setattr(Frontend, "quantize", one_int8_off)
    assert numerics.compute_numerics_fingerprint() != reference
    monkeypatch.setattr(Frontend, "quantize", quantize)
    assert numerics.compute_numerics_fingerprint() == reference


def test_validator_fingerprint_moves_with_any_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    from kwsc import validate

    assert validate.validate_array(numerics.utterance_pcm()).accepted  # the speech path is covered too
    reference = numerics.compute_validator_fingerprint()
    assert reference == numerics.validator_fingerprint()
    original = validate.validate_array

    def one_metric_off(pcm: np.ndarray) -> validate.Validation:
        verdict = original(pcm)
        if verdict.accepted:
            verdict.raw["snr_db_q8"] += 1
        return verdict

    monkeypatch.setattr(validate, "validate_array", one_metric_off)
    assert numerics.compute_validator_fingerprint() != reference


def test_keys_are_none_only_for_the_baselines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numerics, "numerics_fingerprint", lambda: numerics.BASELINE)
    monkeypatch.setattr(numerics, "validator_fingerprint", lambda: numerics.VALIDATOR_BASELINE)
    assert numerics.numerics_key() is None and numerics.validator_key() is None
    assert numerics.changed_numerics() == {}
    monkeypatch.setattr(numerics, "numerics_fingerprint", lambda: "0123456789abcdef" * 4)
    assert numerics.numerics_key() == "0123456789abcdef"
    assert numerics.changed_numerics() == {"frontend_numerics": "0123456789abcdef"}
    monkeypatch.setattr(numerics, "validator_fingerprint", lambda: "fedcba9876543210" * 4)
    both = {"frontend_numerics": "0123456789abcdef", "validator_numerics": "fedcba9876543210"}
    assert numerics.changed_numerics() == both


#: The C outputs this checkout is known to give (the fingerprints of today's csrc/). A change
#: to csrc/ meant to keep every output bit (a faster loop) must leave them; one that moves bits
#: changes every dataset id and feature cache, so it updates these on purpose (the baselines in
#: kwsc.numerics stay: they mark the numerics the first ids were made with).
EXPECTED_FRONTEND = "cd4d8a74970c5ca273869191253a1327f1ee9d6dc27ee94cd88daf360e02a212"
EXPECTED_VALIDATOR = "537a6ea89de9409fb0e12cc49c188d794b28d7daaf2bd61122caca340bf42045"


def test_the_c_numerics_are_the_expected_ones() -> None:
    """A tripwire for output-preserving rewrites of csrc/: any moved bit fails here first."""
    assert numerics.compute_numerics_fingerprint() == EXPECTED_FRONTEND
    assert numerics.compute_validator_fingerprint() == EXPECTED_VALIDATOR
