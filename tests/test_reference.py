"""The float64 reference against librosa: the conventions differ, the mapping is exact.

librosa with center=False frames fft_size samples and centres the window in them, so its input is
padded by (fft_size - window_samples) / 2 zeros on both sides to line the frames up.

kwsc uses log2 energies of int16-valued samples; librosa uses dB of [-1, 1) samples. With
matched parameters (see kwsc.reference's docstring):
    kwsc[i] = librosa[i] / (10 log10 2)                  for i >= 1
    kwsc[0] = librosa[0] / (10 log10 2) + 30 sqrt(num_mel)
"""

from __future__ import annotations

import numpy as np
import pytest

from kwsc import FrontendConfig, reference, signals

librosa = pytest.importorskip("librosa")

DB_PER_LOG2 = 10.0 * np.log10(2.0)


def _librosa_mfcc(audio: np.ndarray, config: FrontendConfig) -> np.ndarray:
    # librosa frames n_fft samples and centres the shorter window inside them; padding by half the
    # difference on both sides makes its frames start where kwsc's do, with the same count.
    pad = (config.fft_size - config.window_samples) // 2
    mel = librosa.feature.melspectrogram(
        y=np.pad(audio.astype(np.float64) / 32768.0, pad),
        sr=config.sample_rate_hz,
        n_fft=config.fft_size,
        win_length=config.window_samples,
        hop_length=config.hop_samples,
        window="hann",
        center=False,
        power=2.0,
        n_mels=config.num_mel,
        fmin=config.mel_low_hz,
        fmax=config.mel_high_hz,
        htk=True,
        norm=None,
    )
    db = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    return librosa.feature.mfcc(S=db, n_mfcc=config.num_ceps, dct_type=2, norm="ortho").T


@pytest.mark.parametrize("config", [FrontendConfig(), FrontendConfig(num_mel=32, num_ceps=20, fft_size=1024)])
def test_reference_maps_onto_librosa(config: FrontendConfig) -> None:
    audio = signals.speech_like(2.0, -26, seed=1)
    ours = reference.mfcc(audio, config)
    assert reference.log_mel(audio, config).min() > 0  # mapping holds only above the floor
    theirs = _librosa_mfcc(audio, config)
    mapped = theirs / DB_PER_LOG2
    mapped[:, 0] += 30.0 * np.sqrt(config.num_mel)
    assert ours.shape == mapped.shape
    np.testing.assert_allclose(ours, mapped, atol=1e-6 * np.abs(ours).max())


def test_filterbank_matches_librosa_htk_unnormalised() -> None:
    config = FrontendConfig()
    ours = reference.mel_filterbank(config)
    theirs = librosa.filters.mel(
        sr=config.sample_rate_hz,
        n_fft=config.fft_size,
        n_mels=config.num_mel,
        fmin=config.mel_low_hz,
        fmax=config.mel_high_hz,
        htk=True,
        norm=None,
    )
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    inner = (
        (ours.sum(axis=0) > 0)
        & (np.arange(ours.shape[1]) > ours.argmax(axis=1)[0])
        & (np.arange(ours.shape[1]) < ours.argmax(axis=1)[-1])
    )
    np.testing.assert_allclose(ours.sum(axis=0)[inner], 1.0, atol=1e-12)  # adjacent triangles sum to 1
