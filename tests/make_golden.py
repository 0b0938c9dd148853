"""Write tests/data/frontend_golden.npz: small inputs and the exact C outputs they must give.

Run only when a numeric change is intended (then say why in the commit):
    python tests/make_golden.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import kwsc
from kwsc import FrontendConfig, QuantParams, signals

OUT = Path(__file__).resolve().parent / "data" / "frontend_golden.npz"

#: name -> (config, input); inputs are stored too, so generator changes cannot move the goldens.
CASES = {
    "speech_default": (FrontendConfig(), signals.speech_like(0.5, -26, seed=100)),
    "noise_preemph": (FrontendConfig(preemph_q15=31785), signals.white_noise(0.3, -40, seed=101)),
    "clipped_small_fft": (
        FrontendConfig(window_samples=400, hop_samples=160, fft_size=512, num_mel=32, num_ceps=10),
        signals.clipped(signals.speech_like(0.3, -10, seed=102), 24.0),
    ),
}
QUANT = QuantParams.from_affine(offset_log2=np.linspace(150, 0, 13), step_log2=np.linspace(2, 0.25, 13), zero_point=-5)


def main() -> None:
    """Compute and write the golden file."""
    arrays: dict[str, np.ndarray] = {}
    for name, (config, pcm) in CASES.items():
        frontend = kwsc.Frontend(config)
        arrays[f"{name}/pcm"] = pcm
        arrays[f"{name}/config"] = np.array([config.to_dict()[k] for k in sorted(config.to_dict())], np.int64)
        arrays[f"{name}/ceps"] = frontend.process(pcm)
    arrays["speech_default/int8"] = kwsc.Frontend().quantize(arrays["speech_default/ceps"], QUANT)
    arrays["quant/offset_q6"] = QUANT.offset_q6
    arrays["quant/scale_q16"] = QUANT.scale_q16
    arrays["quant/zero_point"] = np.array([QUANT.zero_point])
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
