"""Golden vectors: the C frontend's exact output on stored inputs (tests/make_golden.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kwsc
from kwsc import FrontendConfig, QuantParams

GOLDEN = np.load(Path(__file__).resolve().parent / "data" / "frontend_golden.npz")
CASES = sorted({key.split("/")[0] for key in GOLDEN.files} - {"quant"})


def _config(name: str) -> FrontendConfig:
    keys = sorted(FrontendConfig().to_dict())
    return FrontendConfig(**{k: int(v) for k, v in zip(keys, GOLDEN[f"{name}/config"], strict=True)})


@pytest.mark.parametrize("name", CASES)
def test_cepstra_match_golden(name: str) -> None:
    got = kwsc.Frontend(_config(name)).process(GOLDEN[f"{name}/pcm"])
    expected = GOLDEN[f"{name}/ceps"]
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected), f"{np.count_nonzero(got != expected)} values differ"


def test_int8_matches_golden() -> None:
    params = QuantParams(GOLDEN["quant/offset_q6"], GOLDEN["quant/scale_q16"], int(GOLDEN["quant/zero_point"][0]))
    got = kwsc.Frontend().quantize(GOLDEN["speech_default/ceps"], params)
    assert np.array_equal(got, GOLDEN["speech_default/int8"])
    assert len(np.unique(got)) > 20  # the parameters spread values over the int8 range, not all clipped


def test_golden_covers_all_cases() -> None:
    assert CASES == ["clipped_small_fft", "noise_preemph", "speech_default"]
